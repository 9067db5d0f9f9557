"""How experiment runs are executed: one options object for every experiment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from idrt.experiments._errors import ExperimentError

__all__ = ["RunOptions", "resolve_options"]


@dataclass(frozen=True)
class RunOptions:
    """Where and how the runs of a sweep, comparison or fleet sizing execute.

    Taken by :func:`idrt.sweep`, :func:`idrt.compare`, :func:`idrt.size_fleet`
    and :func:`idrt.experiments.cits.cits_effects` (``options=``). The older
    keyword arguments of those functions (``workers=``, ``client=``, ...)
    still work and override the matching field.

    Attributes
    ----------
    workers : int or None
        Local worker processes; ``None``: one per CPU core; ``0``: run in
        this process. Ignored with ``client`` or ``scheduler``.
    client : dask.distributed.Client or None
        A Dask client to run on.
    scheduler : str or None
        Address of a Dask scheduler (``"tcp://host:8786"``) to connect to.
    timeout_s : float
        Seconds to wait for the Dask scheduler and its first worker.
    progress : bool
        Show a progress bar with ETA (tqdm, on stderr).
    worker_idle_s : float
        A local worker left without work for this long exits; until then it
        stays warm for the next sweep in this process (s).

    Examples
    --------
    >>> opts = RunOptions(workers=2, progress=False)
    >>> opts.replace(workers=0).workers
    0
    """

    workers: int | None = None
    client: Any = None
    scheduler: str | None = None
    timeout_s: float = 10.0
    progress: bool = True
    worker_idle_s: float = 300.0

    def __post_init__(self) -> None:
        w = self.workers
        if w is not None and (isinstance(w, bool) or not isinstance(w, int) or w < 0):
            msg = f"workers = {w!r}: give 0 (this process), a count, or None (all cores)"
            raise ExperimentError(msg)
        if not (isinstance(self.timeout_s, (int, float)) and self.timeout_s > 0):
            msg = f"timeout_s = {self.timeout_s!r}: give a positive number of seconds"
            raise ExperimentError(msg)
        if not (isinstance(self.worker_idle_s, (int, float)) and self.worker_idle_s > 0):
            msg = f"worker_idle_s = {self.worker_idle_s!r}: give a positive number of seconds"
            raise ExperimentError(msg)

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def resolve_options(options: RunOptions | None, **given: Any) -> RunOptions:
    """``options`` (or the defaults) with the keyword arguments that were given (not None)."""
    if options is None:
        options = RunOptions()
    elif not isinstance(options, RunOptions):
        msg = f"options must be an idrt.experiments.RunOptions, got {type(options).__name__}"
        raise ExperimentError(msg)
    changes = {k: v for k, v in given.items() if v is not None}
    return options.replace(**changes) if changes else options
