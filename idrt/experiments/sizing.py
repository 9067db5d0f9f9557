"""Fleet sizing: the smallest fleet whose KPIs meet a planner's targets.

Each candidate size is simulated with the same ``seeds`` (at least 5
replications, common random numbers across sizes: size ``n`` and size
``n + 1`` see the same requests on each seed) and accepted by a stated
rule (:data:`RULES`):

- ``"bound"`` (default): for every target, the end of the KPI mean's
  confidence interval on the far side of the target meets it (the upper
  end for a maximum such as ``wait_p95_s <= 900``, the lower end for a
  minimum such as ``served_share >= 0.95``): a size is accepted only when
  the data say its mean meets the target with that confidence. Shares get
  Wilson intervals (inside [0, 1]), other KPIs t-intervals.
- ``"p_meet"``: the share of simulated days (seeds) on which *every*
  target is met is at least ``level`` (default 0.9): a service-level rule,
  "the targets hold on 9 days out of 10".

The chosen size meets its rule and the size below it does not (it is
simulated to show it). The search assumes the KPIs improve with the fleet
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
from typing import Any, Literal, Unpack

import pandas as pd

from idrt.experiments._errors import ExperimentError
from idrt.experiments.grid import seed_list, specs_for
from idrt.experiments.options import RunOptions, RunShortcuts, resolve_options
from idrt.experiments.stats import interval_scope, kpi_ci
from idrt.experiments.store import META_COLUMNS
from idrt.experiments.sweep import TIMING_COLUMNS, Runner, as_scenario
from idrt.experiments.text import kpi_text
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

RULES = ("bound", "p_meet")
"""Acceptance rules of :func:`size_fleet` (see the module docstring)."""


def rule_text(rule: str, confidence: float, level: float, n_seeds: int) -> str:
    """The acceptance rule in words, for reports."""
    if rule == "bound":
        return (
            f"rule 'bound': the {confidence:.0%} CI of each target KPI's mean lies on the right "
            "side of its target (upper end for a maximum, lower end for a minimum; Wilson "
            "intervals for shares)"
        )
    need = math.ceil(level * n_seeds - 1e-9)
    return (
        f"rule 'p_meet': every target is met on at least {level:.0%} of the simulated days "
        f"(here {need} of {n_seeds} seeds)"
    )


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
        ``ci_low``, ``ci_high``, ``n``, ``target``, ``p_meet`` (share of
        seeds meeting that target), ``meets`` (the target, by the rule).
    candidates : pandas.DataFrame
        Every size simulated, in search order: ``size``, ``meets``,
        ``p_meet`` (share of seeds meeting every target) and the mean of
        each target KPI.
    runs : pandas.DataFrame
        Every run's row (as from :func:`idrt.sweep`).
    seeds : tuple of int
        Seeds of every candidate.
    min_size, max_size : int
        The search range.
    rule : str
        ``"bound"`` or ``"p_meet"`` (see :data:`RULES`).
    level : float
        Required share of days meeting every target (rule ``"p_meet"``).
    confidence : float
        Coverage of the intervals (and of rule ``"bound"``).
    base_fleet : int
        ``fleet.size`` of the scenario (fixed in expansion mode).
    interval_covers : str
        What the intervals cover (:func:`~idrt.experiments.stats.interval_scope`).
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
    rule: str = "bound"
    level: float = 0.9
    confidence: float = 0.95
    base_fleet: int = 0
    interval_covers: str = ""

    @property
    def rule_text(self) -> str:
        """The acceptance rule in words."""
        return rule_text(self.rule, self.confidence, self.level, len(self.seeds))

    @property
    def mode(self) -> str:
        """``"base"`` or ``"expansion"``."""
        return "expansion" if self.parameter == "expansion.fleet_size" else "base"

    def __str__(self) -> str:
        goal = ", ".join(f"{k} {op} {kpi_text(k, v)}" for k, (op, v) in self.targets.items())
        what = (
            f"extra vehicles for the expansion area (expansion.fleet_size; existing fleet "
            f"fleet.size = {self.base_fleet} kept)"
            if self.mode == "expansion"
            else "vehicles (fleet.size)"
        )
        seeds = f"seeds {self.seeds[0]}..{self.seeds[-1]}" if self.seeds else "no seeds"
        lines = [
            f"fleet sizing: {what}",
            f"targets: {goal}",
            f"decided by {self.rule_text}",
            f"{len(self.seeds)} replications per size, the same {seeds} for every size "
            "(common random numbers)",
        ]
        if self.met:
            lines.append(f"smallest size meeting every target by this rule: {self.size}")
        else:
            lines.append(
                f"NO size from {self.min_size} to {self.max_size} meets every target; "
                f"best found: {self.best_size}"
            )
        sizes = sorted(self.table["size"].unique(), reverse=True)
        kpis = list(dict.fromkeys(self.table["kpi"]))
        width = max(len(k) for k in kpis)
        ci_name = f"{self.confidence:.0%} CI"
        head = f"{'kpi':<{width}}  {'target':>12}" + "".join(
            f"  {f'size {s}: mean [{ci_name}] days met':>46}" for s in sizes
        )
        lines += ["", head]
        for kpi in kpis:
            tgt = self.targets.get(kpi)
            cells = f"{kpi:<{width}}  {(tgt[0] + ' ' + kpi_text(kpi, tgt[1])) if tgt else '':>12}"
            for s in sizes:
                r = self.table[(self.table["size"] == s) & (self.table["kpi"] == kpi)].iloc[0]
                mark = "" if not tgt else (" ok" if r["meets"] else " NO")
                days = "" if not tgt else f" {r['p_meet']:.0%}"
                cell = (
                    f"{kpi_text(kpi, r['mean'])} [{kpi_text(kpi, r['ci_low'])}, "
                    f"{kpi_text(kpi, r['ci_high'])}]{days}{mark}"
                )
                cells += f"  {cell:>46}"
            lines.append(cells)
        order = ", ".join(
            f"{int(r['size'])}{'+' if r['meets'] else '-'}" for _, r in self.candidates.iterrows()
        )
        lines += [
            "",
            f"sizes simulated (+ meets, - does not), in search order: {order}",
            f"({self.interval_covers})" if self.interval_covers else "",
        ]
        return "\n".join(lines).rstrip()


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
    rule: Literal["bound", "p_meet"] = "bound",
    level: float = 0.9,
    confidence: float = 0.95,
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    network: RoadNetwork | None = None,
    **shortcuts: Unpack[RunShortcuts],
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
    rule
        How a size is accepted: ``"bound"``, the ``confidence`` interval of
        each target KPI's mean lies on the right side of its target;
        ``"p_meet"``, every target is met on at least ``level`` of the
        seeds (simulated days). See :data:`RULES`.
    level
        Share of days for rule ``"p_meet"``, in (0, 1].
    confidence
        Coverage of the reported intervals (and of rule ``"bound"``).
    out, options, network
        As for :func:`idrt.sweep`: where runs are stored (and resumed
        from), how they execute, the road network.
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).

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
    if rule not in RULES:
        msg = f"rule = {rule!r}: choose 'bound' (CI on the right side of each target) or 'p_meet'"
        raise ExperimentError(msg)
    if not (isinstance(level, (int, float)) and 0.0 < level <= 1.0):
        msg = f"level = {level!r}: the share of days meeting the targets, in (0, 1], e.g. 0.9"
        raise ExperimentError(msg)
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        msg = f"confidence = {confidence!r}: must be in (0, 1), e.g. 0.95"
        raise ExperimentError(msg)
    opts = resolve_options(options, **shortcuts)
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

    with Runner(out=out, options=opts, network=network) as runner:

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
                    stats[kpi] = kpi_ci(kpi, rows, confidence)
            day_ok = {
                kpi: [_meets(v, op, value) for v in rows[kpi].to_numpy(float)]
                for kpi, (op, value) in goals.items()
            }
            every = [all(day) for day in zip(*day_ok.values(), strict=True)]
            p_meet = sum(every) / len(every)
            p_each = {kpi: sum(ok) / len(ok) for kpi, ok in day_ok.items()}
            if rule == "bound":
                each = {
                    kpi: _meets(stats[kpi].high if op == "<=" else stats[kpi].low, op, value)
                    for kpi, (op, value) in goals.items()
                }
                meets = all(each.values())
            else:
                each = {kpi: p >= level - 1e-12 for kpi, p in p_each.items()}
                meets = p_meet >= level - 1e-12
            evaluated[n] = {
                "stats": stats,
                "meets": meets,
                "each": each,
                "p_meet": p_meet,
                "p_each": p_each,
            }
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
            # the KPIs need not improve with every bus: make sure the size below fails
            while ok - 1 >= lo_bound and evaluate(ok - 1):
                ok -= 1
            if ok - 1 >= floor:
                evaluate(ok - 1)  # the report shows one size below
        best = ok if ok is not None else _closest(evaluated, goals)

    table = _table(evaluated, goals, [best, best - 1])
    candidates = pd.DataFrame(
        [
            {
                "size": n,
                "meets": evaluated[n]["meets"],
                "p_meet": evaluated[n]["p_meet"],
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
        rule=rule,
        level=float(level),
        confidence=float(confidence),
        base_fleet=scn.fleet.size,
        interval_covers=interval_scope(scn),
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
                    "p_meet": evaluated[n]["p_each"].get(kpi, math.nan),
                    "meets": evaluated[n]["each"].get(kpi, True) if op_value else True,
                }
            )
    return pd.DataFrame(rows)
