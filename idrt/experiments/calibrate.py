"""Calibration: fit scenario keys so the simulated KPIs match observed ones.

The observed KPIs are the scenario's ``[reference]`` table (names as in
:meth:`idrt.Result.summary`). A candidate is one value per fitted key; it is
simulated with the same seeds as every other candidate (common random
numbers), and scored by the weighted mean squared relative error of its KPI
means::

    loss(x) = sum_k w_k * ((mean_k(x) - ref_k) / |ref_k|) ** 2 / sum_k w_k

The optimisers are scipy's (no optimiser of our own). The loss of a
discrete-event simulation is a step function of its inputs even with common
random numbers, so neither uses a gradient:

- ``"nelder-mead"`` (the default): :func:`scipy.optimize.minimize` with
  the Nelder-Mead simplex, in coordinates scaled to each key's range, from
  the scenario's own values. Calibrations have few keys and usually start
  from a plausible scenario; on a two-key twin it reached a loss of ~1e-4 in
  40-60 candidates. Each candidate runs all its seeds in parallel.
- ``"differential-evolution"``: :func:`scipy.optimize.differential_evolution`,
  a global search of the whole box for a poor start or several minima. It
  keeps whole-number keys whole (``integrality``) and scores a generation at
  once (``vectorized``), so every candidate x seed of a generation goes to
  the process pool or Dask cluster together; it needs several times the
  candidates (2e-3..8e-3 after 60 candidates on the same twin). Its random
  state is seeded, so a rerun proposes the same candidates.

Candidate values are rounded (whole numbers, or about 1e-4 of the range), so
a repeated candidate is scored once.

Every candidate x seed is a run stored like a sweep's
(:class:`~idrt.experiments.store.RunStore`, keyed by the scenario's content
hash and the seed): an interrupted calibration resumes where it stopped, and
a sweep or a second calibration over the same folder reuses the runs.

After the fit, each key is moved by a step either way (inside its bounds)
to measure each KPI's sensitivity to it, paired by seed; a KPI the fit
cannot match is explained by the keys that would have to leave their range
to move it the right way.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from idrt.errors import ScenarioError, collect_warnings
from idrt.experiments._errors import ExperimentError
from idrt.experiments.calibration_report import CalibrationReport, advise, write_csv, write_text
from idrt.experiments.grid import seed_list, specs_for
from idrt.experiments.options import RunOptions, RunShortcuts, progress_bar, resolve_options
from idrt.experiments.stats import mean_ci, paired_difference
from idrt.experiments.sweep import Runner, as_scenario
from idrt.network import RoadNetwork
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from idrt.sim.assembly import kpi_names as summary_kpi_names

__all__ = ["CalibrationPlan", "CalibrationReport", "FitKey", "calibrate", "loss", "parse_fit"]

NAN_PENALTY = 10.0
"""Relative error given to a KPI whose simulated mean is undefined (NaN)."""

MIN_SEEDS = 2
"""Seeds per candidate needed for a confidence interval."""

_NOT_FITTABLE = ("name", "seed", "reference", "output")


# ------------------------------------------------------------------ the keys
@dataclasses.dataclass(frozen=True)
class FitKey:
    """One fitted scenario key and its bounds.

    Attributes
    ----------
    key : str
        Dotted scenario path, e.g. ``"demand.trips_per_day"``.
    low, high : float
        Bounds, in the key's unit (``low < high``).
    integer : bool
        Whether the key is a whole number (``fleet.size``): candidates are
        whole numbers.
    start : float
        The scenario's own value (clipped into the bounds); a member of the
        first generation.
    """

    key: str
    low: float
    high: float
    integer: bool
    start: float

    @property
    def digits(self) -> int:
        """Decimals kept in a candidate value (about 1e-4 of the range)."""
        if self.integer:
            return 0
        return max(0, 4 - math.floor(math.log10(self.high - self.low)))

    def value(self, x: float) -> int | float:
        """A candidate value: rounded (to a whole number or ``digits``), inside the bounds."""
        x = min(max(float(x), self.low), self.high)
        if self.integer:
            return round(x)
        return float(round(x, self.digits))


def _current_value(scn: Scenario, key: str) -> Any:
    node: Any = scn.to_dict()
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            try:
                scn.with_overrides({key: 0})  # the scenario's own message, naming valid keys
            except ScenarioError as exc:
                msg = f"fit key {key!r} is not a scenario key: {exc}"
                raise ScenarioError(msg) from exc
            msg = f"fit key {key!r} is not a scenario key"  # pragma: no cover
            raise ScenarioError(msg)  # pragma: no cover
        node = node[part]
    return node


def parse_fit(scenario: Scenario, fit: Mapping[str, Sequence[float]]) -> list[FitKey]:
    """Check the fitted keys and their bounds against a scenario.

    Parameters
    ----------
    scenario
        The scenario whose keys are fitted.
    fit
        ``{dotted.key: (low, high)}``, e.g. ``{"demand.trips_per_day": (400,
        1200), "fleet.size": (4, 12)}``.

    Returns
    -------
    list of FitKey

    Raises
    ------
    ScenarioError
        On a key that is not in the scenario, or whose bounds make an
        invalid scenario (``fleet.size = 0``).
    ExperimentError
        On no keys, a key that is not a number (or not a model key), bounds
        that are not two numbers with ``low < high``, or fractional bounds of
        a whole-number key.
    """
    if not isinstance(fit, Mapping) or not fit:
        msg = (
            "give at least one key to fit with its bounds, e.g. "
            "fit={'demand.trips_per_day': (400, 1200)} (--fit demand.trips_per_day=400:1200)"
        )
        raise ExperimentError(msg)
    keys = []
    for key, bounds in fit.items():
        key = str(key)
        if key.split(".")[0] in _NOT_FITTABLE or "." not in key:
            msg = (
                f"fit key {key!r}: only model keys inside a section can be fitted "
                "(e.g. demand.trips_per_day, fleet.size), not name, seed, [output] or [reference]"
            )
            raise ExperimentError(msg)
        current = _current_value(scenario, key)
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            msg = (
                f"fit key {key!r} is {current!r}, not a number; only numeric keys can be "
                "fitted (fix it with --set instead)"
            )
            raise ExperimentError(msg)
        if (
            isinstance(bounds, (str, bytes))
            or not isinstance(bounds, Sequence)
            or len(bounds) != 2
            or not all(
                isinstance(b, numbers.Real) and not isinstance(b, bool) and math.isfinite(b)
                for b in bounds
            )
        ):
            msg = f"fit key {key!r}: bounds {bounds!r} must be two finite numbers (low, high)"
            raise ExperimentError(msg)
        low, high = float(bounds[0]), float(bounds[1])
        if not low < high:
            msg = (
                f"fit key {key!r}: bounds {low:g}:{high:g} are reversed or empty; give "
                f"LOW:HIGH with LOW < HIGH, e.g. {min(low, high):g}:{max(low, high):g}"
            )
            raise ExperimentError(msg)
        integer = isinstance(current, int)
        if integer and not (low.is_integer() and high.is_integer()):
            msg = (
                f"fit key {key!r} is a whole number; give whole bounds, e.g. "
                f"{math.ceil(low)}:{math.floor(high)}"
            )
            raise ExperimentError(msg)
        for which, value in (("lower", low), ("upper", high)):
            try:
                scenario.with_overrides({key: int(value) if integer else value})
            except ScenarioError as exc:
                msg = f"fit key {key!r} at its {which} bound {value:g}: {exc}"
                raise ScenarioError(msg) from exc
        start = min(max(float(current), low), high)
        keys.append(FitKey(key, low, high, integer, start))
    return keys


@dataclasses.dataclass(frozen=True)
class CalibrationPlan:
    """What a calibration will do, once every input is checked (before any run).

    Attributes
    ----------
    scenario : Scenario
        The base scenario.
    keys : list of FitKey
        The fitted keys and bounds.
    reference : dict
        ``{kpi: observed value}`` of the fitted KPIs.
    weights : dict
        ``{kpi: weight}`` in the loss.
    seeds : tuple of int
        Seeds of every candidate.
    method : str
        The optimiser (see :func:`calibrate`).
    max_candidates : int
        Most candidates scored, sensitivities included.
    max_runs : int
        ``max_candidates * len(seeds)``; runs already stored are not rerun.
    backend : str
        ``"dask"``, ``"process"`` or ``"in-process"``.
    """

    scenario: Scenario
    keys: list[FitKey]
    reference: dict[str, float]
    weights: dict[str, float]
    seeds: tuple[int, ...]
    method: str
    max_candidates: int
    max_runs: int
    backend: str


# ------------------------------------------------------------------ the KPIs
def kpi_names(scenario: Scenario, network: RoadNetwork | None = None) -> list[str]:
    """The KPI names a run of ``scenario`` reports (a run without riders, no real work).

    Parameters
    ----------
    scenario
        The scenario.
    network
        Its road network, when already built.
    """
    names = summary_kpi_names(scenario)  # from the result code, no simulation
    if names is not None:
        return names
    empty = {"demand.trips_per_day": 0.0, "demand.trips": "", "expansion.trips_per_day": 0.0}
    with collect_warnings():  # "the run has no requests" is the point here
        result = simulate(scenario.with_overrides(empty), 1, network=network)
    return [str(k) for k in result.summary().index]


def _targets(
    scenario: Scenario,
    reference: Mapping[str, float] | None,
    kpis: Sequence[str] | None,
    weights: Mapping[str, float] | None,
) -> tuple[dict[str, float], dict[str, float]]:
    """The KPIs to match, their reference values and weights (no KPI-name check yet)."""
    ref = dict(scenario.reference if reference is None else reference)
    if not ref:
        msg = (
            f"scenario {scenario.name!r} has no [reference] table, so there is nothing to "
            "calibrate to; add a [reference] table of observed KPIs to the scenario file "
            "(e.g. requests = 735, wait_mean_s = 762) or pass reference={...}"
        )
        raise ExperimentError(msg)
    if kpis:
        missing = [k for k in kpis if k not in ref]
        if missing:
            msg = f"KPI(s) {missing} have no reference value; [reference] holds {sorted(ref)}"
            raise ExperimentError(msg)
        ref = {k: ref[k] for k in kpis}
    w = {k: 1.0 for k in ref}
    for kpi, value in (weights or {}).items():
        if kpi not in ref:
            msg = f"weight for {kpi!r}, which is not a fitted KPI; fitted KPIs are {sorted(ref)}"
            raise ExperimentError(msg)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            msg = f"weight of {kpi!r} = {value!r}: give a number >= 0 (0 leaves it out)"
            raise ExperimentError(msg)
        w[kpi] = float(value)
    ref = {k: v for k, v in ref.items() if w[k] > 0}
    if not ref:
        msg = "every KPI has weight 0; give at least one a positive weight"
        raise ExperimentError(msg)
    for kpi, value in ref.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            msg = f"reference {kpi} = {value!r} must be a number"
            raise ExperimentError(msg)
        if not math.isfinite(value) or value == 0:
            msg = (
                f"reference {kpi} = {value!r}: the loss is a relative error, so the reference "
                "must be finite and non-zero; leave this KPI out (kpis= / --kpi)"
            )
            raise ExperimentError(msg)
    return {k: float(v) for k, v in ref.items()}, {k: w[k] for k in ref}


def relative_errors(means: Mapping[str, float], reference: Mapping[str, float]) -> dict[str, float]:
    """``(mean - ref) / |ref|`` per KPI; NaN means get :data:`NAN_PENALTY`."""
    out = {}
    for kpi, ref in reference.items():
        m = means.get(kpi, math.nan)
        out[kpi] = NAN_PENALTY if m is None or math.isnan(m) else (m - ref) / abs(ref)
    return out


def loss(
    means: Mapping[str, float], reference: Mapping[str, float], weights: Mapping[str, float]
) -> float:
    """Weighted mean squared relative error of KPI means against their references.

    Examples
    --------
    >>> loss({"requests": 110.0, "wait_mean_s": 600.0}, {"requests": 100.0,
    ...       "wait_mean_s": 600.0}, {"requests": 1.0, "wait_mean_s": 1.0})
    0.005
    """
    rel = relative_errors(means, reference)
    total = sum(weights[k] for k in reference)
    return round(sum(weights[k] * rel[k] ** 2 for k in reference) / total, 15)


# ---------------------------------------------------------------- calibration
METHODS = ("nelder-mead", "differential-evolution")
"""The optimisers :func:`calibrate` offers (both from :mod:`scipy.optimize`)."""


def calibrate(
    scenario: Scenario | str | os.PathLike[str],
    fit: Mapping[str, Sequence[float]],
    *,
    seeds: int | Iterable[int] = 10,
    reference: Mapping[str, float] | None = None,
    kpis: Sequence[str] | None = None,
    weights: Mapping[str, float] | None = None,
    tolerance: float = 0.10,
    method: str = "nelder-mead",
    max_candidates: int = 100,
    popsize: int = 6,
    optimizer_seed: int = 0,
    sensitivity: bool = True,
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    network: RoadNetwork | None = None,
    on_start: Callable[[CalibrationPlan], None] | None = None,
    **shortcuts: Unpack[RunShortcuts],
) -> CalibrationReport:
    """Fit scenario keys so the simulated KPI means match the ``[reference]`` table.

    Parameters
    ----------
    scenario
        The scenario (or its TOML path); its ``[reference]`` table holds the
        observed KPIs (names as in :meth:`idrt.Result.summary`).
    fit
        ``{dotted.key: (low, high)}``: the keys to fit and their bounds, e.g.
        ``{"demand.trips_per_day": (400, 1200), "fleet.size": (4, 12)}``.
        Any numeric scenario key works; whole-number keys (``fleet.size``)
        take whole values and need whole bounds.
    seeds
        Replications per candidate (a count from ``scenario.seed``, or the
        seeds); every candidate uses the same seeds. At least 2.
    reference
        Observed KPIs to use instead of the scenario's ``[reference]``.
    kpis
        Fit only these reference KPIs (default: all of them).
    weights
        ``{kpi: weight}`` in the loss (default 1 each; 0 leaves a KPI out).
    tolerance
        A KPI within this relative error of its reference is matched.
    method
        ``"nelder-mead"`` (default): a local simplex search from the
        scenario's own values, in coordinates scaled to each key's range;
        few candidates, each run on all seeds in parallel.
        ``"differential-evolution"``: a global search over the whole box,
        ``popsize * len(fit)`` candidates per generation scored together
        (parallel over candidates and seeds); for a poor start or several
        minima, at several times the candidates.
    max_candidates
        Most candidates the optimiser scores (each on every seed), not
        counting the ``2 * len(fit)`` of the sensitivities. Differential
        evolution scores whole generations: at least one, and no more
        generations than fit in this budget.
    popsize, optimizer_seed
        Differential evolution: candidates per generation per key, and the
        seed of its random proposals (the same seed proposes the same
        candidates, so a rerun reuses the stored runs).
    sensitivity
        After the fit, move each key by a tenth of its range either way to
        measure each KPI's slope in it (paired by seed) and explain KPIs
        that cannot be matched.
    out
        Results folder: the runs (resumable, as for :func:`idrt.sweep`),
        ``calibration.csv`` (rewritten as candidates are scored),
        ``calibration.json`` (what was asked), ``fit.csv``,
        ``sensitivity.csv``, ``fitted.toml`` and ``convergence.png`` /
        ``.svg``. ``None``: keep everything in memory.
    options, network
        As for :func:`idrt.sweep`: how the runs execute, the road network.
    on_start
        Called once with the :class:`CalibrationPlan` after every input is
        checked, before the first run (the command line prints it).
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).

    Returns
    -------
    CalibrationReport
        ``print(report)`` gives the fitted values and a KPI table.

    Raises
    ------
    ExperimentError
        Before any candidate runs: no ``[reference]``, a KPI that no run
        reports, bad bounds, weights, seeds or method.
    ScenarioError
        Before any candidate runs: a fitted key that is not in the
        scenario, or bounds that make an invalid scenario.

    Notes
    -----
    KPI names are checked against the names the result code reports
    (:func:`idrt.sim.assembly.kpi_names`), before any simulation.

    Examples
    --------
    >>> report = idrt.calibrate("experiments/yeongjong.toml",
    ...     {"demand.trips_per_day": (400, 1200), "fleet.size": (4, 12)},
    ...     seeds=10, out="runs/calibrate")                          # doctest: +SKIP
    >>> report.fitted                                                 # doctest: +SKIP
    {'demand.trips_per_day': 741.3, 'fleet.size': 6}
    """
    opts = resolve_options(options, **shortcuts)
    scn = as_scenario(scenario)
    keys = parse_fit(scn, fit)
    ref, w = _targets(scn, reference, kpis, weights)
    seed_values = seed_list(seeds, scn.seed)
    if len(seed_values) < MIN_SEEDS:
        msg = (
            f"calibration needs at least {MIN_SEEDS} seeds per candidate for a confidence "
            f"interval, got {len(seed_values)}; use 10 or more for a fit you report"
        )
        raise ExperimentError(msg)
    if method not in METHODS:
        msg = f"method = {method!r}: choose one of {list(METHODS)}"
        raise ExperimentError(msg)
    for name, value, lowest in (
        ("max_candidates", max_candidates, len(keys) + 1),
        ("popsize", popsize, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
            msg = f"{name} = {value!r}: give a whole number >= {lowest}"
            raise ExperimentError(msg)
    if (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not 0 < tolerance < 10
    ):
        msg = f"tolerance = {tolerance!r}: give a relative error, e.g. 0.1 for 10 %"
        raise ExperimentError(msg)

    fits_network = any(k.key.startswith("network.") for k in keys)
    if network is None and not fits_network:
        network = build_network(scn)
    search = _search_budget(method, int(max_candidates), int(popsize), len(keys))
    budget = search + (2 * len(keys) if sensitivity else 0)
    store_dir = Path(out) if out is not None else None
    cache: dict[tuple, dict[str, Any]] = {}
    history: list[dict[str, Any]] = []
    generation = [0]
    fresh = [0]

    def on_run(_row: dict[str, Any]) -> None:
        fresh[0] += 1
        bar.update()

    runner = Runner(
        out=out,
        options=opts.replace(progress=False),  # one bar over all candidates instead
        network=None if fits_network else network,
        on_run=on_run,
    )
    plan = CalibrationPlan(
        scenario=scn,
        keys=keys,
        reference=ref,
        weights=w,
        seeds=tuple(seed_values),
        method=method,
        max_candidates=budget,
        max_runs=budget * len(seed_values),
        backend=runner.backend,
    )
    try:  # a bad scheduler address has failed above, before this probe
        valid = kpi_names(scn, None if fits_network else network)
        unknown = [k for k in ref if k not in valid]
        if unknown:
            msg = (
                f"reference KPI(s) {unknown} are not reported by a run; valid KPI names are {valid}"
            )
            raise ExperimentError(msg)
        if on_start is not None:
            on_start(plan)
    except BaseException:
        runner.close(cancel=True)
        raise
    bar = progress_bar(budget * len(seed_values), 0, f"calibrate {scn.name}", opts.progress)

    def score(points: list[tuple]) -> list[dict[str, Any]]:
        """Loss and runs of candidate points (values in key order), run where needed."""
        new = [p for p in dict.fromkeys(points) if p not in cache]
        if new:
            params = [tuple((k.key, v) for k, v in zip(keys, p, strict=True)) for p in new]
            specs = specs_for(scn, params, seed_values)
            before = fresh[0]
            rows = runner.run(specs, desc="candidates")
            bar.update(len({s.key for s in specs}) - (fresh[0] - before))
            n = len(seed_values)
            for i, p in enumerate(new):
                block = rows.iloc[i * n : (i + 1) * n].reset_index(drop=True)
                means = {kpi: mean_ci(block[kpi].to_numpy(float)).mean for kpi in ref}
                cache[p] = {"rows": block, "means": means, "loss": loss(means, ref, w)}
        return [cache[p] for p in points]

    def objective(x: np.ndarray) -> np.ndarray:
        """Losses of candidates ``x`` (keys x candidates, in the keys' units)."""
        x = np.asarray(x, dtype=float).reshape(len(keys), -1)
        points = [tuple(k.value(v) for k, v in zip(keys, col, strict=True)) for col in x.T]
        scores = score(points)
        best = min((h["loss"] for h in history), default=math.inf)
        for p, s in zip(points, scores, strict=True):
            best = min(best, s["loss"])
            history.append(
                {
                    "candidate": len(history),
                    "generation": generation[0],
                    **{k.key: v for k, v in zip(keys, p, strict=True)},
                    "loss": s["loss"],
                    "best_loss": best,
                    **{f"mean_{kpi}": s["means"][kpi] for kpi in ref},
                }
            )
        bar.set_postfix_str(f"best loss {best:.3g}", refresh=False)
        if store_dir is not None:
            write_csv(pd.DataFrame(history), store_dir / "calibration.csv")
        return np.array([s["loss"] for s in scores])

    if store_dir is not None:
        store_dir.mkdir(parents=True, exist_ok=True)
        manifest = {
            "scenario": scn.name,
            "scenario_hash": scn.content_hash(),
            "fit": {k.key: [k.low, k.high] for k in keys},
            "reference": ref,
            "weights": w,
            "seeds": seed_values,
            "method": f"scipy.optimize {method}",
            "max_candidates": max_candidates,
            "popsize": popsize,
            "optimizer_seed": optimizer_seed,
        }
        write_text(store_dir / "calibration.json", json.dumps(manifest, indent=2))
    try:
        with runner:
            if method == "nelder-mead":
                result = _nelder_mead(objective, keys, max_candidates, generation)
            else:
                result = _differential_evolution(
                    objective, keys, max_candidates, popsize, optimizer_seed, generation
                )
            frame = pd.DataFrame(history)
            best_i = int(frame["loss"].to_numpy().argmin())
            best = tuple(k.value(frame.loc[best_i, k.key]) for k in keys)
            sens = _sensitivity(keys, best, score, ref) if sensitivity else _empty_sensitivity()
        bar.total = bar.n  # the search may stop before its budget
        bar.refresh()
    finally:
        bar.close()
    chosen = cache[best]
    fitted = dict(zip([k.key for k in keys], best, strict=True))
    table = _fit_table(chosen["rows"], ref, w, tolerance)
    advice = advise(table, sens, keys, fitted)
    table["advice"] = [dict(advice).get(kpi, "") for kpi in table["kpi"]]
    report = CalibrationReport(
        fitted=fitted,
        scenario=scn.with_overrides(fitted),
        loss=float(chosen["loss"]),
        keys=keys,
        fit=table,
        history=frame,
        sensitivity=sens,
        advice=[a for _, a in advice],
        seeds=tuple(seed_values),
        tolerance=float(tolerance),
        method=method,
        converged=bool(result.success),
        message=str(result.message),
        runs=chosen["rows"],
    )
    if store_dir is not None:
        report.save(store_dir)
    return report


def _nelder_mead(objective, keys: list[FitKey], max_candidates: int, generation: list[int]):
    """Nelder-Mead in coordinates scaled to [0, 1] per key, from the scenario's values.

    The first simplex steps a quarter of each range from the start (inwards
    at a bound); it stops when the simplex is within 0.2 % of every range
    (finer is below the noise of a few seeds) and its losses agree within
    1e-6, or after ``max_candidates`` scored candidates.
    """
    from scipy.optimize import minimize  # noqa: PLC0415 - scipy.optimize: ~0.3 s to import

    low = np.array([k.low for k in keys])
    span = np.array([k.high - k.low for k in keys])
    u0 = (np.array([k.start for k in keys]) - low) / span
    simplex = [u0]
    for i in range(len(keys)):
        vertex = u0.copy()
        vertex[i] += 0.25 if u0[i] + 0.25 <= 1 else -0.25
        simplex.append(vertex)

    def f(u: np.ndarray) -> float:
        return float(objective(low + np.clip(u, 0.0, 1.0) * span)[0])

    def next_iteration(_xk: np.ndarray) -> None:
        generation[0] += 1

    return minimize(
        f,
        u0,
        method="Nelder-Mead",
        bounds=[(0.0, 1.0)] * len(keys),
        callback=next_iteration,
        options={
            "initial_simplex": np.array(simplex),
            "xatol": 2e-3,
            "fatol": 1e-6,
            "maxfev": int(max_candidates),
        },
    )


def _search_budget(method: str, max_candidates: int, popsize: int, n_keys: int) -> int:
    """Most candidates the search scores (differential evolution: whole generations)."""
    if method == "nelder-mead":
        return max_candidates
    pop = max(5, popsize * n_keys)  # scipy's population size
    return pop * max(1, max_candidates // pop)


def _differential_evolution(
    objective,
    keys: list[FitKey],
    max_candidates: int,
    popsize: int,
    optimizer_seed: int,
    generation: list[int],
):
    """Differential evolution over the bounds; one generation per call of ``objective``."""
    from scipy.optimize import differential_evolution  # noqa: PLC0415 - scipy.optimize: ~0.3 s to import

    pop = max(5, popsize * len(keys))  # scipy's population size
    maxiter = (
        _search_budget("differential-evolution", max_candidates, popsize, len(keys)) // pop - 1
    )

    def batch(x: np.ndarray) -> np.ndarray:
        out = objective(x)
        generation[0] += 1
        return out

    seed_kw = "rng" if "rng" in inspect.signature(differential_evolution).parameters else "seed"
    return differential_evolution(
        batch,
        bounds=[(k.low, k.high) for k in keys],
        maxiter=maxiter,
        popsize=popsize,
        polish=False,  # a gradient polish is meaningless on a step function
        init="latinhypercube",
        updating="deferred",
        vectorized=True,  # a whole generation at once: parallel over candidates
        integrality=[k.integer for k in keys],
        x0=[k.start for k in keys],
        **{seed_kw: int(optimizer_seed)},
    )


def _fit_table(
    rows: pd.DataFrame, ref: dict[str, float], w: dict[str, float], tolerance: float
) -> pd.DataFrame:
    out = []
    for kpi, r in ref.items():
        m = mean_ci(rows[kpi].to_numpy(float))
        low, high = m.low, m.high
        values = rows[kpi].to_numpy(float)
        if not math.isnan(low) and np.nanmin(values) >= 0:  # a count, time, km, ratio
            low = max(low, 0.0)
        if kpi.endswith("_share") and not math.isnan(high):
            high = min(high, 1.0)
        rel = relative_errors({kpi: m.mean}, {kpi: r})[kpi]
        out.append(
            {
                "kpi": kpi,
                "reference": r,
                "weight": w[kpi],
                "mean": m.mean,
                "ci_low": low,
                "ci_high": high,
                "n": m.n,
                "rel_error": rel,
                "matched": bool(abs(rel) <= tolerance),
            }
        )
    return pd.DataFrame(out)


_SENS_COLUMNS = [
    "kpi",
    "key",
    "low_value",
    "high_value",
    "slope",
    "ci_low",
    "ci_high",
    "significant",
]


def _empty_sensitivity() -> pd.DataFrame:
    return pd.DataFrame(columns=_SENS_COLUMNS)


def _sensitivity(keys: list[FitKey], best: tuple, score, ref: dict[str, float]) -> pd.DataFrame:
    """Slopes of every KPI in every key at the fit, paired by seed (common random numbers)."""
    points = []
    for i, k in enumerate(keys):
        step = max(1, round(0.1 * (k.high - k.low))) if k.integer else 0.1 * (k.high - k.low)
        lo = k.value(best[i] - step)
        hi = k.value(best[i] + step)
        points.append(((*best[:i], lo, *best[i + 1 :]), (*best[:i], hi, *best[i + 1 :])))
    flat = [p for pair in points for p in pair]
    scores = dict(zip(flat, score(flat), strict=True))
    rows = []
    for i, (k, (p_lo, p_hi)) in enumerate(zip(keys, points, strict=True)):
        span = float(p_hi[i]) - float(p_lo[i])
        if span <= 0:  # pragma: no cover - bounds are checked to be apart
            continue
        for kpi in ref:
            a = scores[p_lo]["rows"][kpi].to_numpy(float)
            b = scores[p_hi]["rows"][kpi].to_numpy(float)
            d = paired_difference(a, b)
            rows.append(
                {
                    "kpi": kpi,
                    "key": k.key,
                    "low_value": p_lo[i],
                    "high_value": p_hi[i],
                    "slope": d.diff / span,
                    "ci_low": d.low / span,
                    "ci_high": d.high / span,
                    "significant": _clear_effect(a, b, d),
                }
            )
    return pd.DataFrame(rows, columns=_SENS_COLUMNS)


def _clear_effect(a: np.ndarray, b: np.ndarray, d) -> bool:
    """Whether ``b - a`` (paired by seed) is a clear effect.

    The paired 95 % interval excludes 0; or, with fewer than 5 seeds (too few
    for a useful t-interval), every seed moved the same way.
    """
    if d.n == 0 or d.diff == 0:
        return False
    if not math.isnan(d.low) and (d.low > 0 or d.high < 0):
        return True
    diff = (b - a)[~(np.isnan(a) | np.isnan(b))]
    return bool(d.n < 5 and (np.all(diff > 0) or np.all(diff < 0)))
