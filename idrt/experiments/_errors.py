"""The error of experiment runs (sweeps, fleet sizing, comparisons)."""

from __future__ import annotations

from idrt.errors import IdrtError

__all__ = ["ExperimentError"]


class ExperimentError(IdrtError, ValueError):
    """A sweep, fleet sizing or comparison cannot run as asked.

    Raised for a bad grid or seed list, an unreachable Dask scheduler, a run
    that failed on a worker, or a runs folder that holds no results. Runs
    finished before the error stay stored.
    """
