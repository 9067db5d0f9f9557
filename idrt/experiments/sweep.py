"""Sweeps: a grid of scenario parameters times seeds, run in parallel and stored.

Three ways to run the same list of runs, with the same rows as the result:

- in this process (``workers=0``);
- local worker processes (the default: one per CPU core;
  :mod:`idrt.experiments.pool`): fresh interpreters that never import the
  caller's script, kept warm between sweeps, memory-mapping the road network
  from one file, and exiting when this process dies;
- a ``dask.distributed`` cluster (``client=`` a Client, or ``scheduler=``
  its address); the network is scattered to every worker once per client
  (``client.scatter(net, broadcast=True)``) and each run gets a reference.

How they run is one :class:`~idrt.experiments.RunOptions`. Each distinct
warning the runs raise is shown once per sweep, not once per run.

Each run's KPI row is written to the results folder as soon as it finishes
(:class:`~idrt.experiments.store.RunStore`); a rerun with the same folder
skips the runs already there, so a crash or Ctrl-C loses nothing finished.
"""

from __future__ import annotations

import json
import os
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from idrt.errors import IdrtError
from idrt.experiments._errors import ExperimentError
from idrt.experiments.grid import RunSpec, _values, expand_grid
from idrt.experiments.inputs import input_digests
from idrt.experiments.options import RunOptions, RunShortcuts, progress_bar, resolve_options
from idrt.experiments.pool import TaskFailed, WorkerDied, WorkerPool, shared_pool
from idrt.experiments.stats import interval_scope
from idrt.experiments.store import META_COLUMNS, RunStore
from idrt.network import RoadNetwork
from idrt.scenario import Scenario, read_toml
from idrt.sim import simulate
from idrt.sim.assembly import build_network

__all__ = ["Runner", "SweepFile", "as_scenario", "connect", "read_sweep_file", "sweep"]

TIMING_COLUMNS = ["sim_wall_s", "run_wall_s"]
"""Row columns that differ between identical runs (wall-clock seconds)."""


def as_scenario(scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A scenario, read from TOML when given a path."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.from_toml(scenario)
    msg = f"scenario must be an idrt.Scenario or a TOML path, got {type(scenario).__name__}"
    raise ExperimentError(msg)


def sweep(
    scenario: Scenario | str | os.PathLike[str],
    grid: Mapping[str, Any],
    seeds: int | Iterable[int] = 10,
    *,
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    network: RoadNetwork | None = None,
    keep_requests: bool = False,
    on_run: Callable[[dict[str, Any]], None] | None = None,
    **shortcuts: Unpack[RunShortcuts],
) -> pd.DataFrame:
    """Run every combination of grid values for every seed.

    Parameters
    ----------
    scenario
        Base scenario (or its TOML path).
    grid
        ``{dotted.path: values}``, e.g. ``{"fleet.size": range(5, 41, 5),
        "demand.scale": [1, 1.5]}``. Every combination is checked before any
        run starts.
    seeds
        Replications per grid point: a count (seeds ``scenario.seed``,
        ``scenario.seed + 1``, ...) or the list of seeds. Every grid point
        uses the same seeds (common random numbers).
    out
        Results folder (Parquet rows, resolved scenarios). Runs already
        stored there are not run again. ``None``: keep rows in memory only.
    options
        How the runs execute (:class:`~idrt.experiments.RunOptions`: local
        workers, Dask client or scheduler, progress bar, timeouts).
    network
        The road network, when already built; else built once from the
        scenario (per distinct ``[network]`` section).
    keep_requests
        Also store each run's per-request table (``out/requests``).
    on_run
        Called in this process with each new row once it is stored.
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).

    Returns
    -------
    pandas.DataFrame
        One row per run, in grid order with seeds innermost: ``run_key``,
        ``scenario``, ``scenario_hash``, ``seed``, one column per grid
        parameter (named by its dotted path), every KPI of
        :meth:`idrt.Result.summary` (``wait_p95_s``, ``served_share``, ...),
        ``sim_wall_s`` and ``run_wall_s`` (wall-clock seconds).

    Raises
    ------
    ScenarioError
        On a grid parameter that is not a scenario key, or a bad value.
    ExperimentError
        On an empty grid, bad seeds, an unreachable scheduler or a failed run.

    Notes
    -----
    Local workers are fresh Python processes that import idrt, never the
    calling script, so no ``if __name__ == "__main__":`` guard is needed and
    a sweep works from ``python -`` too. They stay warm for the next sweep
    in this process and exit when it ends or dies.

    Examples
    --------
    >>> runs = idrt.sweep(scn, grid={"fleet.size": range(4, 15, 2)}, seeds=10,
    ...                   out="runs/fleet")                        # doctest: +SKIP
    >>> idrt.plot.wait_curves(runs, x="fleet.size")                 # doctest: +SKIP
    """
    opts = resolve_options(options, **shortcuts)
    scn = as_scenario(scenario)
    specs = expand_grid(scn, grid, seeds)
    with Runner(
        out=out, options=opts, network=network, keep_requests=keep_requests, on_run=on_run
    ) as runner:
        if runner.store is not None:
            runner.store.save_scenario(scn)
            runner.store.save_manifest(
                {
                    "scenario": scn.name,
                    "scenario_hash": scn.content_hash(),
                    "input_files": input_digests(scn),
                    "grid": {str(k): _values(str(k), v) for k, v in grid.items()},
                    "seeds": sorted({s.seed for s in specs}),
                    "runs": len(specs),
                    "interval_covers": interval_scope(scn),
                }
            )
        runs = runner.run(specs, desc=f"sweep {scn.name}")
    runs.attrs["interval_covers"] = interval_scope(scn)
    return runs


# ---------------------------------------------------------------- the runner
class Runner:
    """Runs lists of :class:`RunSpec` on one backend, storing rows as they finish.

    The backend (warm local workers or a Dask client) and the shipped
    networks are kept between calls of :meth:`run`, so a fleet-size search
    pays their start-up once; each distinct warning raised by the runs is
    shown once per runner, not once per run. Use it as a context manager.

    Parameters
    ----------
    out, network, keep_requests, on_run
        As for :func:`sweep`.
    options
        :class:`~idrt.experiments.RunOptions`.
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).
    """

    def __init__(
        self,
        *,
        out: str | os.PathLike[str] | None = None,
        options: RunOptions | None = None,
        network: RoadNetwork | None = None,
        keep_requests: bool = False,
        on_run: Callable[[dict[str, Any]], None] | None = None,
        **shortcuts: Unpack[RunShortcuts],
    ) -> None:
        opts = resolve_options(options, **shortcuts)
        self.options = opts
        self.store = RunStore(out) if out is not None else None
        self.workers = opts.workers
        self.keep_requests = keep_requests
        self.progress = opts.progress
        self.on_run = on_run
        self.timeout_s = float(opts.timeout_s)
        self._network = network
        self._networks: dict[str, RoadNetwork] = {}
        self._memory: dict[str, tuple[dict[str, Any], pd.DataFrame | None]] = {}
        self._pool: WorkerPool | None = None
        self._private_pool = False
        self._client = opts.client
        self._own_client = False
        self._scattered: dict[str, Any] = {}
        self._warned: set[tuple[str, str]] = set()
        if self._client is None and opts.scheduler:
            self._client = connect(opts.scheduler, self.timeout_s)
            self._own_client = True

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(cancel=exc[0] is not None)

    def close(self, cancel: bool = False) -> None:
        """Release the workers (they stay warm for the next runner) and a client it opened."""
        if self._pool is not None:
            self._pool.lock.release()
            if self._private_pool:
                self._pool.close()
            self._pool = None
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None

    @property
    def backend(self) -> str:
        """``"dask"``, ``"process"`` or ``"in-process"``."""
        if self._client is not None:
            return "dask"
        return "in-process" if self.workers == 0 else "process"

    @property
    def warnings_shown(self) -> list[tuple[str, str]]:
        """The distinct warnings (category name, message) the runs raised so far."""
        return sorted(self._warned)

    # ----------------------------------------------------------- running
    def run(self, specs: Sequence[RunSpec], *, desc: str = "runs") -> pd.DataFrame:
        """Run the specs not yet stored; return the rows of all, in spec order."""
        unique: dict[str, RunSpec] = {}
        for spec in specs:
            unique.setdefault(spec.key, spec)
        done = self.store.done() if self.store is not None else set(self._memory)
        todo = [s for s in unique.values() if s.key not in done]
        if self.store is not None:
            for scn in {s.scenario.content_hash(): s.scenario for s in todo}.values():
                self.store.save_scenario(scn)
        if todo:
            bar = progress_bar(len(unique), len(unique) - len(todo), desc, self.progress)
            try:
                if self.backend == "dask":
                    self._run_dask(todo, bar)
                elif self.backend == "process" and len(todo) > 1:
                    self._run_pool(todo, bar)
                else:
                    self._run_here(todo, bar)
            finally:
                bar.close()
        rows = []
        for spec in specs:
            row = self.store.row(spec.key) if self.store is not None else self._memory[spec.key][0]
            rows.append(_with_spec_columns(row, spec))
        return _frame(rows)

    def requests(self, key: str) -> pd.DataFrame:
        """The per-request table of a run (``keep_requests=True``)."""
        if self.store is not None:
            return self.store.requests(key)
        table = self._memory.get(key, ({}, None))[1]
        if table is None:
            msg = f"no request table for run {key}; run with keep_requests=True"
            raise ExperimentError(msg)
        return table

    def _finish(self, spec: RunSpec, row: dict[str, Any], requests: pd.DataFrame | None) -> None:
        if self.store is not None:
            self.store.write(row, requests)
        else:
            self._memory[spec.key] = (row, requests)
        if self.on_run is not None:
            self.on_run(_with_spec_columns(row, spec))

    def _warn(self, caught: list[tuple[Any, str, str, int]]) -> None:
        """Show each distinct warning of the runs once per runner."""
        for category, message, filename, lineno in caught:
            name = getattr(category, "__name__", str(category))
            if (name, message) in self._warned:
                continue
            self._warned.add((name, message))
            if not (isinstance(category, type) and issubclass(category, Warning)):
                category = UserWarning
            warnings.warn_explicit(message, category, filename, lineno)

    def _network_for(self, spec: RunSpec) -> RoadNetwork:
        if self._network is not None:
            return self._network
        key = spec.network_key
        if key not in self._networks:
            self._networks[key] = build_network(spec.scenario)
        return self._networks[key]

    def _run_here(self, todo: list[RunSpec], bar) -> None:
        for spec in todo:
            net = self._network_for(spec)
            (row, requests), caught = _result_or_raise(
                lambda spec=spec, net=net: _caught(execute, spec, net, self.keep_requests), spec
            )
            self._finish(spec, row, requests)  # stored first: a warning may raise
            self._warn(caught)
            bar.update()

    def _net_key(self, spec: RunSpec) -> str:
        return "given" if self._network is not None else spec.network_key

    def _ensure_pool(self) -> WorkerPool:
        if self._pool is None:
            n_cpu = _cpu_count()
            n = self.workers or n_cpu
            pool = shared_pool(n, max(1, n_cpu // n), self.options.worker_idle_s)
            if not pool.lock.acquire(blocking=False):  # in use by another runner: a private one
                pool = WorkerPool(n, max(1, n_cpu // n), self.options.worker_idle_s)
                pool.lock.acquire()
                self._private_pool = True
            self._pool = pool
        return self._pool

    def _run_pool(self, todo: list[RunSpec], bar) -> None:
        pool = self._ensure_pool()
        for spec in todo:
            pool.share(self._net_key(spec), self._network_for(spec))
        tasks = [(spec.key, (spec, self.keep_requests), self._net_key(spec)) for spec in todo]
        by_key = {spec.key: spec for spec in todo}
        results = pool.run(_pool_task, tasks)
        try:
            while True:
                try:
                    key, (row, requests), caught = next(results)
                except StopIteration:
                    break
                except TaskFailed as exc:
                    spec = by_key[exc.task_id]
                    if exc.remote_traceback and hasattr(exc.error, "add_note"):
                        exc.error.add_note(f"in the worker:\n{exc.remote_traceback}")
                    _result_or_raise(_reraise(exc.error), spec)
                    raise
                except WorkerDied as exc:
                    msg = f"{exc}; finished runs are stored, rerun to finish the rest"
                    raise ExperimentError(msg) from None
                self._finish(by_key[key], row, requests)  # stored first: a warning may raise
                self._warn(caught)
                bar.update()
        finally:
            results.close()

    def _run_dask(self, todo: list[RunSpec], bar) -> None:
        from dask.distributed import as_completed  # noqa: PLC0415 - dask.distributed: ~0.6 s to import

        client = self._client
        try:
            client.wait_for_workers(1, timeout=self.timeout_s)
        except (TimeoutError, OSError) as exc:
            msg = (
                f"the Dask scheduler {getattr(client.scheduler, 'address', '')!r} has no workers "
                f"after {self.timeout_s:g} s; start some with `dask worker ADDRESS` (idrt "
                "installed on each)"
            )
            raise ExperimentError(msg) from exc
        for spec in todo:
            key = self._net_key(spec)
            if key not in self._scattered:
                self._scattered[key] = _scattered(client, self._network_for(spec))
        futures = {
            client.submit(
                _caught,
                execute,
                spec,
                self._scattered[self._net_key(spec)],
                self.keep_requests,
                pure=False,
                key=f"idrt-run-{spec.key}-{time.time_ns()}",
            ): spec
            for spec in todo
        }
        try:
            for future in as_completed(list(futures), loop=client.loop):
                spec = futures[future]
                (row, requests), caught = _result_or_raise(future.result, spec)
                self._finish(spec, row, requests)  # stored first: a warning may raise
                self._warn(caught)
                bar.update()
        except BaseException:
            client.cancel(list(futures))
            raise


_SCATTERED: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
"""Networks on a Dask cluster: ``(id(client), id(net))`` to (client ref, net ref, future)."""


def _scattered(client: Any, net: RoadNetwork) -> Any:
    """The network on every Dask worker, sent once per client and network object.

    Later sweeps, fleet-size searches and comparisons with the same client
    and network reuse it (and the workers' travel-time tables built for it).
    """
    for k in [k for k, (c, n, _) in _SCATTERED.items() if c() is None or n() is None]:
        del _SCATTERED[k]
    key = (id(client), id(net))
    hit = _SCATTERED.get(key)
    if hit is not None and hit[0]() is client and hit[1]() is net:
        future = hit[2]
        if getattr(client, "status", "running") == "running" and future.status == "finished":
            return future
    future = client.scatter(net, broadcast=True, hash=False)
    _SCATTERED[key] = (weakref.ref(client), weakref.ref(net), future)
    return future


# ----------------------------------------------------------- one run (worker)
def _pool_task(task: tuple[RunSpec, bool], network: RoadNetwork):
    """One run in a pool worker (``task`` is ``(spec, keep_requests)``)."""
    spec, keep_requests = task
    return execute(spec, network, keep_requests)


def _caught(function: Callable, *args: Any) -> tuple[Any, list[tuple[Any, str, str, int]]]:
    """``function(*args)`` and the warnings it raised (shown later, once per runner)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = function(*args)
    return value, [(w.category, str(w.message), w.filename, w.lineno) for w in caught]


def _reraise(error: BaseException) -> Callable[[], Any]:
    def get() -> Any:
        raise error

    return get


def execute(
    spec: RunSpec, network: RoadNetwork, keep_requests: bool = False
) -> tuple[dict[str, Any], pd.DataFrame | None]:
    """Simulate one run and make its row (runs wherever the backend puts it).

    Returns
    -------
    row : dict
        ``run_key``, ``scenario``, ``scenario_hash``, ``seed``, the grid
        parameters, the KPIs, ``sim_wall_s`` and ``run_wall_s``.
    requests : pandas.DataFrame or None
        The per-request table when ``keep_requests``.
    """
    t0 = time.perf_counter()
    result = simulate(spec.scenario, spec.seed, network=network)
    summary = result.summary()
    row: dict[str, Any] = {
        "run_key": spec.key,
        "scenario": spec.label,
        "scenario_hash": spec.scenario.content_hash(),
        "seed": int(spec.seed),
    }
    row.update(_param_columns(spec))
    for kpi, value in summary.items():
        row[str(kpi)] = _number(value)
    row["sim_wall_s"] = float(result.wall_s)
    row["run_wall_s"] = time.perf_counter() - t0
    return row, (result.requests if keep_requests else None)


# ------------------------------------------------------------------ helpers
def _param_columns(spec: RunSpec) -> dict[str, Any]:

    out = {}
    for key, value in spec.params:
        out[key] = value if isinstance(value, (bool, int, float, str)) else json.dumps(value)
    return out


def _with_spec_columns(row: dict[str, Any], spec: RunSpec) -> dict[str, Any]:
    """A stored row with the labels of this spec (a run may be shared by sweeps)."""
    meta = {k: row[k] for k in META_COLUMNS}
    meta["scenario"] = spec.label
    params = _param_columns(spec)
    rest = {k: v for k, v in row.items() if k not in meta and k not in params}
    return {**meta, **params, **rest}


def _number(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    # timing columns last, wherever a row first had them
    columns = [c for c in columns if c not in TIMING_COLUMNS] + [
        c for c in TIMING_COLUMNS if c in columns
    ]
    return pd.DataFrame.from_records(rows, columns=columns)


def _result_or_raise(get: Callable[[], Any], spec: RunSpec):
    try:
        return get()
    except (KeyboardInterrupt, SystemExit):
        raise
    except IdrtError as exc:
        msg = f"run {_describe(spec)} failed: {exc}"
        raise ExperimentError(msg) from exc
    except Exception as exc:
        msg = f"run {_describe(spec)} failed on a worker: {type(exc).__name__}: {exc}"
        raise ExperimentError(msg) from exc


def _describe(spec: RunSpec) -> str:
    params = ", ".join(f"{k}={v!r}" for k, v in spec.params)
    return f"{spec.label!r} ({params + ', ' if params else ''}seed {spec.seed})"


def _cpu_count() -> int:
    if hasattr(os, "process_cpu_count"):
        return os.process_cpu_count() or 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def connect(address: str, timeout_s: float):
    """A Dask client for a scheduler address, or one clear error."""
    try:
        from dask.distributed import Client  # noqa: PLC0415 - dask.distributed: ~0.6 s to import
    except ImportError as exc:  # pragma: no cover - a core dependency
        msg = "sweeps on a cluster need dask[distributed]: pip install 'dask[distributed]'"
        raise ExperimentError(msg) from exc
    try:
        return Client(address, timeout=f"{timeout_s}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        msg = (
            f"cannot reach the Dask scheduler at {address!r} within {timeout_s:g} s "
            f"({type(exc).__name__}: {exc}); start one with `dask scheduler` and workers with "
            "`dask worker ADDRESS` (idrt installed on each), or run without --scheduler"
        )
        raise ExperimentError(msg) from exc
    except ValueError as exc:
        msg = f"scheduler address {address!r} is not valid ({exc}); use tcp://HOST:8786"
        raise ExperimentError(msg) from exc


# --------------------------------------------------------------- sweep files
@dataclass(frozen=True)
class SweepFile:
    """A sweep definition read from TOML (see :func:`read_sweep_file`).

    Attributes
    ----------
    scenario : Scenario
        The base scenario, with the file's ``[set]`` overrides applied.
    grid : dict
        ``{dotted.path: [values]}``.
    seeds : int or list of int
        Replications per grid point.
    name : str
        Name of the sweep (default: the file's stem).
    out : str
        Results folder named in the file (relative to the working directory);
        empty when not given.
    """

    scenario: Scenario
    grid: dict[str, list[Any]]
    seeds: int | list[int]
    name: str
    out: str = ""


_SWEEP_KEYS = ("scenario", "seeds", "name", "out", "set", "grid")


def read_sweep_file(path: str | os.PathLike[str]) -> SweepFile:
    """Read a sweep TOML file.

    Format::

        scenario = "yeongjong.toml"   # relative to this file
        seeds = 10                    # a count, or a list [1, 2, 3]
        out = "runs/yeongjong_sweep"  # optional default results folder
        [set]                         # optional fixed overrides of the scenario
        "dispatch.mode" = "immediate"
        [grid]                        # every combination is run
        "fleet.size" = [4, 6, 8, 10, 12, 14]
        "demand.scale" = [1.0, 1.5]

    Unquoted dotted keys (``fleet.size = [...]``) are read as the same path.

    Raises
    ------
    ExperimentError
        On a missing file, invalid TOML, unknown keys or a missing grid.
    ScenarioError
        On a bad scenario or ``[set]`` override.
    """
    path = Path(path)
    data = read_toml(path, "sweep file", ExperimentError)
    unknown = sorted(set(data) - set(_SWEEP_KEYS))
    if unknown:
        msg = f"unknown key(s) {unknown} in sweep file {str(path)!r}; valid keys are {_SWEEP_KEYS}"
        raise ExperimentError(msg)
    if "scenario" in data:
        if not isinstance(data["scenario"], str):
            msg = f"sweep file {str(path)!r}: scenario must be a path string"
            raise ExperimentError(msg)
        scn_path = Path(data["scenario"]).expanduser()
        if not scn_path.is_absolute():
            scn_path = path.resolve().parent / scn_path
        scn = Scenario.from_toml(scn_path)
    else:
        scn = Scenario()
    overrides = _flatten(data.get("set", {}), "set")
    if overrides:
        scn = scn.with_overrides(overrides)
    grid = _flatten(data.get("grid", {}), "grid")
    return SweepFile(
        scenario=scn,
        grid=grid,
        seeds=data.get("seeds", 10),
        name=str(data.get("name", path.stem)),
        out=str(data.get("out", "")),
    )


def _flatten(table: Any, section: str, prefix: str = "") -> dict[str, Any]:
    if not isinstance(table, dict):
        msg = f"[{section}] must be a table of dotted.path = value(s), got {table!r}"
        raise ExperimentError(msg)
    out: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and not (section == "set" and dotted.count(".") >= 1):
            out.update(_flatten(value, section, f"{dotted}."))
        else:
            out[dotted] = value
    return out
