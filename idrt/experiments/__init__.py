"""Experiments for planners: sweeps, fleet sizing and paired comparisons.

- :func:`sweep`: a grid of scenario parameters times seeds, on a local
  process pool or a Dask cluster, rows stored as each run finishes and
  skipped when rerun (:mod:`idrt.experiments.store`);
- :func:`size_fleet`: the smallest fleet meeting KPI targets, with
  replications and confidence intervals (also for an expansion area);
- :func:`compare`: KPI differences between scenarios over the same seeds;
- :class:`RunOptions`: how all of them execute (local workers, Dask,
  progress bar, timeouts), one object for every experiment.

The simulator is a black box here: each run is ``idrt.simulate(scenario,
seed, network=net)`` and its :meth:`~idrt.Result.summary` row.
"""

from __future__ import annotations

from idrt.experiments._errors import ExperimentError
from idrt.experiments.calibrate import CalibrationReport, calibrate
from idrt.experiments.compare import compare
from idrt.experiments.grid import RunSpec, expand_grid, run_key, seed_list
from idrt.experiments.inputs import input_digests
from idrt.experiments.options import RunOptions, RunShortcuts
from idrt.experiments.pool import shutdown_pool as shutdown_workers
from idrt.experiments.sizing import SizingReport, size_fleet
from idrt.experiments.stats import (
    interval_scope,
    kpi_ci,
    mean_ci,
    paired_difference,
    share_ci,
    summarize_runs,
)
from idrt.experiments.store import RunStore
from idrt.experiments.sweep import Runner, SweepFile, read_sweep_file, sweep

__all__ = [
    "CalibrationReport",
    "ExperimentError",
    "RunOptions",
    "RunShortcuts",
    "RunSpec",
    "RunStore",
    "Runner",
    "SizingReport",
    "SweepFile",
    "calibrate",
    "compare",
    "expand_grid",
    "input_digests",
    "interval_scope",
    "kpi_ci",
    "mean_ci",
    "paired_difference",
    "read_sweep_file",
    "run_key",
    "seed_list",
    "share_ci",
    "shutdown_workers",
    "size_fleet",
    "summarize_runs",
    "sweep",
]
