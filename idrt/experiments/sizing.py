"""Fleet sizing: the smallest fleet whose KPIs meet a planner's targets.

Each candidate size is simulated with the same ``seeds`` (at least 5
replications, common random numbers across sizes) and judged on the KPI
means (or, with ``criterion="ci"``, on the pessimistic end of their 95 %
confidence intervals). The search assumes the KPIs improve with the fleet
(monotone): from the scenario's own size it brackets the answer by steps
that double (down while the targets are met, up while they are not), then
bisects the bracket. Every candidate's runs are stored like a sweep's, so a
search that stops can be resumed, and a later sweep reuses them.

``mode="expansion"`` keeps the existing fleet and sizes the extra vehicles
of the ``[expansion]`` area (``expansion.fleet_size``) for the whole
service (existing area plus new area) to meet the targets.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from idrt.experiments._errors import ExperimentError
from idrt.experiments.grid import seed_list, specs_for
from idrt.experiments.stats import mean_ci
from idrt.experiments.store import META_COLUMNS
from idrt.experiments.sweep import TIMING_COLUMNS, Runner, as_scenario
from idrt.network import RoadNetwork
from idrt.scenario import Scenario

__all__ = ["HIGHER_IS_BETTER", "SizingReport", "parse_targets", "size_fleet"]

HIGHER_IS_BETTER = frozenset(
    {
        "served",
        "served_share",
        "passengers",
        "passengers_per_vehicle_hour",
        "shared_ride_share",
        "mean_occupancy",
    }
)
"""KPIs whose target is a minimum (``>=``); every other target is a maximum (``<=``)."""

HEADLINE_KPIS = (
    "served_share",
    "reject_share",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "in_vehicle_mean_s",
    "vehicle_km_per_passenger",
    "passengers_per_vehicle_hour",
    "mean_occupancy",
)
"""KPIs shown in a sizing report besides the targets."""

MIN_SEEDS = 5


def parse_targets(targets: Mapping[str, Any]) -> dict[str, tuple[str, float]]:
    """Targets as ``{kpi: (op, value)}`` with ``op`` in ``"<="``, ``">="``.

    A bare number takes the KPI's natural direction: at least that much for
    :data:`HIGHER_IS_BETTER` KPIs (``served_share``), at most for the rest
    (``wait_p95_s``, ``reject_share``). Give ``(">=", 0.9)`` to choose.

    Raises
    ------
    ExperimentError
        On no targets, a bad operator or a non-numeric value.
    """
    if not isinstance(targets, Mapping) or not targets:
        msg = "give at least one target, e.g. targets={'wait_p95_s': 900, 'reject_share': 0.05}"
        raise ExperimentError(msg)
    out = {}
    for kpi, spec in targets.items():
        if isinstance(spec, (tuple, list)):
            if len(spec) != 2 or spec[0] not in ("<=", ">="):
                msg = f"target {kpi!r} = {spec!r}: give a number or ('<=' | '>=', number)"
                raise ExperimentError(msg)
            op, value = spec
        else:
            op, value = (">=" if kpi in HIGHER_IS_BETTER else "<="), spec
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            msg = f"target {kpi!r} = {value!r} must be a number"
            raise ExperimentError(msg)
        out[str(kpi)] = (op, float(value))
    return out


@dataclass(frozen=True)
class SizingReport:
    """What :func:`size_fleet` found.

    Attributes
    ----------
    parameter : str
        The searched key: ``"fleet.size"`` or ``"expansion.fleet_size"``.
    size : int or None
        Smallest size meeting every target; ``None`` when none up to
        ``max_size`` does.
    met : bool
        Whether ``size`` was found.
    best_size : int
        ``size`` when met; else the candidate closest to the targets.
    targets : dict
        ``{kpi: (op, value)}``.
    table : pandas.DataFrame
        KPI means with confidence intervals at ``best_size`` and one size
        below (when simulated): columns ``size``, ``kpi``, ``mean``,
        ``ci_low``, ``ci_high``, ``n``, ``target``, ``meets``.
    candidates : pandas.DataFrame
        Every size simulated, in search order: ``size``, ``meets``, and the
        mean of each target KPI.
    runs : pandas.DataFrame
        Every run's row (as from :func:`idrt.sweep`).
    seeds : tuple of int
        Seeds of every candidate.
    min_size, max_size : int
        The search range.
    criterion : str
        ``"mean"`` or ``"ci"``.
    base_fleet : int
        ``fleet.size`` of the scenario (fixed in expansion mode).
    """

    parameter: str
    size: int | None
    met: bool
    best_size: int
    targets: dict[str, tuple[str, float]]
    table: pd.DataFrame
    candidates: pd.DataFrame
    runs: pd.DataFrame = field(repr=False)
    seeds: tuple[int, ...] = ()
    min_size: int = 1
    max_size: int = 50
    criterion: str = "mean"
    base_fleet: int = 0

    @property
    def mode(self) -> str:
        """``"base"`` or ``"expansion"``."""
        return "expansion" if self.parameter == "expansion.fleet_size" else "base"

    def __str__(self) -> str:
        goal = ", ".join(f"{k} {op} {_fmt(k, v)}" for k, (op, v) in self.targets.items())
        what = (
            f"extra vehicles for the expansion area (expansion.fleet_size; existing fleet "
            f"fleet.size = {self.base_fleet} kept)"
            if self.mode == "expansion"
            else "vehicles (fleet.size)"
        )
        crit = "KPI means" if self.criterion == "mean" else "pessimistic 95% CI bounds"
        lines = [f"fleet sizing: {what}", f"targets ({crit}, {len(self.seeds)} seeds): {goal}"]
        if self.met:
            lines.append(f"smallest size meeting every target: {self.size}")
        else:
            lines.append(
                f"NO size from {self.min_size} to {self.max_size} meets every target; "
                f"best found: {self.best_size}"
            )
        sizes = sorted(self.table["size"].unique(), reverse=True)
        kpis = list(dict.fromkeys(self.table["kpi"]))
        width = max(len(k) for k in kpis)
        head = f"{'kpi':<{width}}  {'target':>12}" + "".join(
            f"  {f'size {s}: mean [95% CI]':>38}" for s in sizes
        )
        lines += ["", head]
        for kpi in kpis:
            tgt = self.targets.get(kpi)
            cells = f"{kpi:<{width}}  {(tgt[0] + ' ' + _fmt(kpi, tgt[1])) if tgt else '':>12}"
            for s in sizes:
                r = self.table[(self.table["size"] == s) & (self.table["kpi"] == kpi)].iloc[0]
                mark = "" if not tgt else (" ok" if r["meets"] else " NO")
                cell = (
                    f"{_fmt(kpi, r['mean'])} [{_fmt(kpi, r['ci_low'])}, "
                    f"{_fmt(kpi, r['ci_high'])}]{mark}"
                )
                cells += f"  {cell:>38}"
            lines.append(cells)
        order = ", ".join(
            f"{int(r['size'])}{'+' if r['meets'] else '-'}" for _, r in self.candidates.iterrows()
        )
        lines += ["", f"sizes simulated (+ meets, - does not), in search order: {order}"]
        return "\n".join(lines)


def _fmt(kpi: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if kpi.endswith("_share"):
        return f"{value:.1%}"
    if kpi.endswith("_s"):
        return f"{value:,.0f} s"
    if value == 0 or math.isinf(value):
        return f"{value:.0f}"
    # about three significant digits, never e-notation ("1,980", not "1.98e+03")
    return f"{value:,.{max(0, 2 - math.floor(math.log10(abs(value))))}f}"


def _meets(value: float, op: str, target: float) -> bool:
    if value is None or math.isnan(value):
        return False
    return value <= target if op == "<=" else value >= target


def size_fleet(
    scenario: Scenario | str | os.PathLike[str],
    targets: Mapping[str, Any],
    *,
    seeds: int | Iterable[int] = MIN_SEEDS,
    mode: Literal["auto", "base", "expansion"] = "auto",
    min_size: int | None = None,
    max_size: int = 50,
    criterion: Literal["mean", "ci"] = "mean",
    confidence: float = 0.95,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    client: Any = None,
    scheduler: str | None = None,
    network: RoadNetwork | None = None,
    progress: bool = True,
    timeout_s: float = 10.0,
) -> SizingReport:
    """The smallest fleet meeting every target, found with replications.

    Parameters
    ----------
    scenario
        The scenario (or its TOML path); its fleet size is where the search
        starts.
    targets
        ``{kpi: value}`` (natural direction, see :func:`parse_targets`) or
        ``{kpi: (op, value)}``, KPI names as in :meth:`idrt.Result.summary`,
        e.g. ``{"wait_p95_s": 900, "reject_share": 0.05}`` (95 % of riders
        wait at most 15 min, at most 5 % turned away).
    seeds
        Replications per candidate size: a count (at least 5) or the seeds.
    mode
        ``"base"`` sizes ``fleet.size``; ``"expansion"`` keeps the existing
        fleet and sizes ``expansion.fleet_size`` (needs ``[expansion]
        area``); ``"auto"``: expansion when the scenario has an expansion area.
    min_size, max_size
        Search range (vehicles; ``min_size`` defaults to 1, or 0 extra
        vehicles in expansion mode).
    criterion
        ``"mean"``: the KPI means must meet the targets; ``"ci"``: the
        pessimistic bound of their confidence intervals must.
    confidence
        Coverage of the reported intervals (and of ``criterion="ci"``).
    out, workers, client, scheduler, network, progress, timeout_s
        As for :func:`idrt.sweep`: where runs are stored (and resumed
        from) and what runs them.

    Returns
    -------
    SizingReport
        ``met`` is False (and ``size`` None) when no size up to
        ``max_size`` meets the targets; ``best_size`` and ``table`` then
        describe the closest candidate. ``print(report)`` gives a table.

    Raises
    ------
    ExperimentError
        On fewer than 5 seeds, bad targets (including KPI names that no run
        reports), an empty search range or expansion mode without an area.

    Examples
    --------
    >>> report = idrt.size_fleet(scn, targets={"wait_p95_s": 900, "reject_share": 0.05})
    ... # doctest: +SKIP
    >>> report.size, report.met                                       # doctest: +SKIP
    (11, True)
    """
    scn = as_scenario(scenario)
    goals = parse_targets(targets)
    seed_values = seed_list(seeds, scn.seed)
    if len(seed_values) < MIN_SEEDS:
        msg = (
            f"fleet sizing needs at least {MIN_SEEDS} seeds per candidate, got "
            f"{len(seed_values)}; the confidence intervals would be meaningless"
        )
        raise ExperimentError(msg)
    if criterion not in ("mean", "ci"):
        msg = f"criterion = {criterion!r}: choose 'mean' or 'ci'"
        raise ExperimentError(msg)
    if mode == "auto":
        mode = "expansion" if scn.expansion.area else "base"
    if mode == "expansion":
        if not scn.expansion.area:
            msg = (
                "mode='expansion' needs an [expansion] area in the scenario (expansion.area = "
                "'demand/expansion_industrial.geojson'); or size the whole fleet with mode='base'"
            )
            raise ExperimentError(msg)
        parameter, floor, start = "expansion.fleet_size", 0, scn.expansion.fleet_size
    elif mode == "base":
        parameter, floor, start = "fleet.size", 1, scn.fleet.size
    else:
        msg = f"mode = {mode!r}: choose 'auto', 'base' or 'expansion'"
        raise ExperimentError(msg)
    lo_bound = floor if min_size is None else int(min_size)
    if lo_bound < floor or int(max_size) < lo_bound:
        msg = (
            f"search range {lo_bound}..{max_size} for {parameter} is empty or below {floor}; "
            f"give {floor} <= min_size <= max_size"
        )
        raise ExperimentError(msg)
    hi_bound = int(max_size)
    start = min(max(int(start), lo_bound), hi_bound)

    evaluated: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    all_rows: list[pd.DataFrame] = []

    with Runner(
        out=out,
        workers=workers,
        client=client,
        scheduler=scheduler,
        network=network,
        progress=progress,
        timeout_s=timeout_s,
    ) as runner:

        def evaluate(n: int) -> bool:
            if n in evaluated:
                return evaluated[n]["meets"]
            specs = specs_for(scn, [((parameter, n),)], seed_values)
            rows = runner.run(specs, desc=f"{parameter}={n}")
            unknown = [k for k in goals if k not in rows.columns]
            if unknown:
                skip = {*META_COLUMNS, *TIMING_COLUMNS, parameter}
                kpis = [c for c in rows.columns if c not in skip]
                msg = f"target KPI(s) {unknown} are not reported by a run; valid KPIs are {kpis}"
                raise ExperimentError(msg)
            stats = {}
            for kpi in dict.fromkeys([*goals, *HEADLINE_KPIS]):
                if kpi in rows.columns:
                    stats[kpi] = mean_ci(rows[kpi].to_numpy(float), confidence)
            meets = {}
            for kpi, (op, value) in goals.items():
                m = stats[kpi]
                judged = m.mean if criterion == "mean" else (m.high if op == "<=" else m.low)
                meets[kpi] = _meets(judged, op, value)
            evaluated[n] = {"stats": stats, "meets": all(meets.values()), "each": meets}
            order.append(n)
            all_rows.append(rows)
            return evaluated[n]["meets"]

        # bracket: [fail, ok] with steps that double, then bisect
        fail: int | None = None
        ok: int | None = None
        step = 1
        if evaluate(start):
            ok = start
            while ok > lo_bound:
                n = max(lo_bound, ok - step)
                if evaluate(n):
                    ok = n
                    step *= 2
                else:
                    fail = n
                    break
        else:
            fail = start
            while fail < hi_bound:
                n = min(hi_bound, fail + step)
                if evaluate(n):
                    ok = n
                    break
                fail = n
                step *= 2
        if ok is not None:
            while fail is not None and ok - fail > 1:
                mid = (ok + fail) // 2
                if evaluate(mid):
                    ok = mid
                else:
                    fail = mid
            if ok - 1 >= floor:
                evaluate(ok - 1)  # the report shows one size below
        best = ok if ok is not None else _closest(evaluated, goals)

    table = _table(evaluated, goals, [best, best - 1])
    candidates = pd.DataFrame(
        [
            {
                "size": n,
                "meets": evaluated[n]["meets"],
                **{k: evaluated[n]["stats"][k].mean for k in goals},
            }
            for n in order
        ]
    )
    return SizingReport(
        parameter=parameter,
        size=ok,
        met=ok is not None,
        best_size=best,
        targets=goals,
        table=table,
        candidates=candidates,
        runs=pd.concat(all_rows, ignore_index=True),
        seeds=tuple(seed_values),
        min_size=lo_bound,
        max_size=hi_bound,
        criterion=criterion,
        base_fleet=scn.fleet.size,
    )


def _closest(evaluated: dict[int, dict[str, Any]], goals: dict[str, tuple[str, float]]) -> int:
    """The candidate with the smallest total relative shortfall (ties: the smaller)."""

    def shortfall(n: int) -> float:
        total = 0.0
        for kpi, (op, value) in goals.items():
            m = evaluated[n]["stats"][kpi].mean
            if math.isnan(m):
                return math.inf
            gap = m - value if op == "<=" else value - m
            total += max(gap, 0.0) / (abs(value) or 1.0)
        return total

    return min(sorted(evaluated), key=shortfall)


def _table(
    evaluated: dict[int, dict[str, Any]], goals: dict[str, tuple[str, float]], sizes: list[int]
) -> pd.DataFrame:
    rows = []
    for n in sizes:
        if n not in evaluated:
            continue
        for kpi, m in evaluated[n]["stats"].items():
            op_value = goals.get(kpi)
            rows.append(
                {
                    "size": n,
                    "kpi": kpi,
                    "mean": m.mean,
                    "ci_low": m.low,
                    "ci_high": m.high,
                    "n": m.n,
                    "target": f"{op_value[0]} {op_value[1]:g}" if op_value else "",
                    "meets": evaluated[n]["each"].get(kpi, True) if op_value else True,
                }
            )
    return pd.DataFrame(rows)
