"""What smart intersections are worth to on-demand buses: the C-ITS experiment.

Four variants of one scenario, run over the same seeds (common random
numbers: each seed's demand and day of traffic are identical across them):

* ``fixed timing``: today's fixed-time plans;
* ``adaptive``: adaptive signals at the equipped intersections;
* ``adaptive + priority``: plus bus (transit signal) priority for the DRT fleet;
* ``all three``: plus real-time information for the dispatcher.

For each: wait p50/p95, in-vehicle time, served share, signal delay per
passage and missed promises, as means with 95 % confidence intervals, the
paired differences against fixed timing (:func:`idrt.compare`), and the
buses needed for a service target (:func:`idrt.size_fleet`). Per
intersection: passages a day and delay saved, realised (from the fleet's
signal passages) and expected (from the traffic model's tables).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from idrt.experiments.compare import compare
from idrt.experiments.grid import run_key, seed_list
from idrt.experiments.options import RunOptions, RunShortcuts, resolve_options
from idrt.experiments.sizing import SizingReport, size_fleet
from idrt.experiments.stats import interval_scope, kpi_ci
from idrt.experiments.store import RunStore
from idrt.experiments.sweep import as_scenario
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from idrt.traffic import build_travel_times

__all__ = ["CITS_VARIANTS", "CitsEffects", "cits_effects"]

CITS_VARIANTS: dict[str, dict[str, Any]] = {
    "fixed timing": {
        "cits.adaptive_signals": False,
        "cits.bus_priority": False,
        "cits.realtime_info": False,
    },
    "adaptive": {
        "cits.adaptive_signals": True,
        "cits.bus_priority": False,
        "cits.realtime_info": False,
    },
    "adaptive + priority": {
        "cits.adaptive_signals": True,
        "cits.bus_priority": True,
        "cits.realtime_info": False,
    },
    "all three": {
        "cits.adaptive_signals": True,
        "cits.bus_priority": True,
        "cits.realtime_info": True,
    },
}
"""The variants, as overrides of the ``[cits]`` switches."""

KPIS = [
    "wait_p50_s",
    "wait_p95_s",
    "wait_mean_s",
    "in_vehicle_mean_s",
    "served_share",
    "signal_delay_per_passage_s",
    "missed_promise_share",
    "late_pickup_share",
    "vehicle_km_per_passenger",
]
"""KPIs reported per variant."""


@dataclasses.dataclass(frozen=True)
class CitsEffects:
    """The C-ITS experiment's tables.

    Attributes
    ----------
    kpis : pandas.DataFrame
        One row per (variant, KPI): ``mean``, ``ci_low``, ``ci_high`` (95 %),
        ``n`` (seeds); Wilson intervals inside [0, 1] for shares.
    deltas : pandas.DataFrame
        :func:`idrt.compare` of every variant against fixed timing.
    fleet : pandas.DataFrame
        Buses needed per variant for ``targets``: ``variant``, ``size``,
        ``met`` and the KPI means at that size (empty when not sized).
    intersections : pandas.DataFrame
        Per intersection, fixed timing vs all three: ``intersection_id``,
        ``lon``, ``lat``, ``passages_per_day``, realised ``delay_fixed_s`` and
        ``delay_cits_s`` (mean per passage), ``saved_per_passage_s``,
        ``saved_per_day_s`` and the model's ``expected_saved_s`` (mean over
        the service hours, s per passage).
    targets : dict
        The fleet-sizing targets.
    seeds : list of int
        The seeds.
    runs : pandas.DataFrame
        Every run's KPI row (``variant`` column added).
    sizing : dict
        The :class:`SizingReport` of each variant.
    interval_covers : str
        What the intervals cover (:func:`~idrt.experiments.stats.interval_scope`).
    """

    kpis: pd.DataFrame
    deltas: pd.DataFrame
    fleet: pd.DataFrame
    intersections: pd.DataFrame
    targets: dict[str, Any]
    seeds: list[int]
    runs: pd.DataFrame
    sizing: dict[str, SizingReport] = dataclasses.field(default_factory=dict)
    interval_covers: str = ""

    def save(self, folder: str | os.PathLike[str]) -> None:
        """Write every table as CSV into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.kpis.to_csv(folder / "kpis.csv", index=False)
        self.deltas.to_csv(folder / "deltas.csv", index=False)
        self.fleet.to_csv(folder / "fleet.csv", index=False)
        self.intersections.to_csv(folder / "intersections.csv", index=False)
        self.runs.to_csv(folder / "runs.csv", index=False)
        (folder / "intervals.txt").write_text(
            f"95% intervals over {len(self.seeds)} seeds; {self.interval_covers}\n",
            encoding="utf-8",
        )

    def table(self) -> pd.DataFrame:
        """KPI means per variant (rows) with their 95 % intervals, for a report."""
        wide = self.kpis.pivot(index="variant", columns="kpi", values="mean")
        return wide.reindex(index=list(CITS_VARIANTS), columns=KPIS)


def cits_effects(
    scenario: Scenario | str | os.PathLike[str],
    *,
    seeds: int | Iterable[int] = 10,
    targets: Mapping[str, Any] | None = None,
    max_size: int = 40,
    size_seeds: int | Iterable[int] | None = None,
    intersection_seeds: int = 3,
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    network: Any = None,
    **shortcuts: Unpack[RunShortcuts],
) -> CitsEffects:
    """Run the C-ITS experiment on a scenario.

    Parameters
    ----------
    scenario
        The scenario with today's signals (its ``[cits]`` switches are set
        per variant; its deployment ``cits.equipped`` is kept).
    seeds
        Replications per variant (at least 10 for a report).
    targets
        Service targets for the buses-needed column, e.g. ``{"wait_p95_s":
        900, "reject_share": 0.05}``; ``{}`` skips fleet sizing.
    max_size
        Largest fleet the sizing tries.
    size_seeds
        Replications per candidate fleet size (default: ``seeds``, at least 5).
    intersection_seeds
        Seeds simulated again in this process to log signal passages for the
        per-intersection table (fixed timing and all three).
    out
        Folder for the runs (resumable); ``None`` keeps them in memory.
    options, network
        As for :func:`idrt.sweep`: how the runs execute, the road network.
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).

    Returns
    -------
    CitsEffects
    """
    opts = resolve_options(options, **shortcuts)
    base = as_scenario(scenario)
    seeds = seed_list(seeds, base.seed)
    targets = dict({"wait_p95_s": 900.0, "reject_share": 0.05} if targets is None else targets)
    net = network if network is not None else build_network(base)
    variants = {name: base.with_overrides(o) for name, o in CITS_VARIANTS.items()}
    common = {"seeds": seeds, "options": opts, "network": net}
    sub = (lambda name: None) if out is None else (lambda name: os.path.join(out, name))

    with tempfile.TemporaryDirectory(prefix="idrt_cits_") as tmp:
        folder = sub("runs") or tmp
        deltas = compare(
            *variants.values(),
            labels=list(variants),
            kpis=KPIS,
            out=folder,
            **common,
        )
        stored = RunStore(folder).load().set_index("run_key")
    frames = []
    for name, scn in variants.items():
        keys = [run_key(scn, seed) for seed in seeds]
        frames.append(stored.loc[keys].reset_index().assign(variant=name))
    runs = pd.concat(frames, ignore_index=True)
    rows = []
    for name in variants:
        mine = runs[runs["variant"] == name]
        for kpi in KPIS:
            if kpi in mine:
                ci = kpi_ci(kpi, mine)
                rows.append(
                    {"variant": name, "kpi": kpi, "mean": ci.mean, "ci_low": ci.low,
                     "ci_high": ci.high, "n": len(mine)}
                )  # fmt: skip
    kpis = pd.DataFrame(rows)

    fleet_rows, reports = [], {}
    if targets:
        for name, scn in variants.items():
            report = size_fleet(
                scn,
                targets,
                seeds=size_seeds if size_seeds is not None else seeds,
                mode="base",
                max_size=max_size,
                out=sub(f"size_{name.replace(' ', '_').replace('+', 'and')}"),
                options=opts,
                network=net,
            )
            reports[name] = report
            fleet_rows.append({"variant": name, **_size_row(report)})
    fleet = pd.DataFrame(fleet_rows)

    # per intersection: the fleet's own passages, fixed timing vs all three
    per = {}
    for name in ("fixed timing", "all three"):
        frames = []
        for seed in seeds[:intersection_seeds]:
            result = simulate(variants[name], seed=seed, network=net)
            frames.append(result.signal_passages.assign(seed=seed))
        per[name] = pd.concat(frames, ignore_index=True)
    n_days = max(1, min(intersection_seeds, len(seeds)))
    fixed = per["fixed timing"].groupby("intersection_id")["delay_s"].agg(["size", "mean"])
    cits = per["all three"].groupby("intersection_id")["delay_s"].agg(["size", "mean"])
    sig = net.signals.set_index("intersection_id")
    inter = pd.DataFrame(index=sig.index)
    inter["lon"], inter["lat"] = sig["lon"], sig["lat"]
    inter["passages_per_day"] = fixed["size"].reindex(inter.index).fillna(0) / n_days
    inter["delay_fixed_s"] = fixed["mean"].reindex(inter.index)
    inter["delay_cits_s"] = cits["mean"].reindex(inter.index)
    inter["saved_per_passage_s"] = inter["delay_fixed_s"] - inter["delay_cits_s"]
    inter["saved_per_day_s"] = inter["saved_per_passage_s"] * inter["passages_per_day"]
    expected_fixed = build_travel_times(
        net, variants["fixed timing"].traffic, variants["fixed timing"].cits,
        base_dir=base.base_dir,
    )  # fmt: skip
    expected_cits = build_travel_times(
        net, variants["all three"].traffic, variants["all three"].cits, base_dir=base.base_dir
    )
    hours = np.arange(int(base.service.start_h), int(np.ceil(base.service.end_h))) % 24
    a = expected_fixed.intersection_delays()
    b = expected_cits.intersection_delays()
    a, b = a[a["slice"].isin(hours)], b[b["slice"].isin(hours)]
    saved = (
        a.groupby("intersection_id")["delay_s"].mean()
        - b.groupby("intersection_id")["delay_s"].mean()
    )
    inter["expected_saved_s"] = saved.reindex(inter.index)
    inter = inter.reset_index().sort_values("saved_per_day_s", ascending=False, na_position="last")
    return CitsEffects(
        kpis=kpis,
        deltas=deltas,
        fleet=fleet,
        intersections=inter.reset_index(drop=True),
        targets=targets,
        seeds=seeds,
        runs=runs,
        sizing=reports,
        interval_covers=interval_scope(base),
    )


def _size_row(report: SizingReport) -> dict[str, Any]:
    """Buses needed (or the best found) and the target KPIs' means there."""
    row: dict[str, Any] = {"size": report.size, "met": report.met, "best_size": report.best_size}
    at = report.table[report.table["size"] == report.best_size]
    for _, r in at.iterrows():
        row[f"{r['kpi']}_mean"] = r["mean"]
        row[f"{r['kpi']}_ci_low"] = r["ci_low"]
        row[f"{r['kpi']}_ci_high"] = r["ci_high"]
    return row
