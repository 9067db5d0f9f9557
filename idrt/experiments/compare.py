"""Paired comparison of scenarios over replications (common random numbers).

Every scenario is run with the same seeds, so run ``i`` of A and run ``i``
of B see the same requests (and the same day of traffic): the difference of
a KPI is taken seed by seed, which removes most of the day-to-day noise and
gives far narrower intervals than comparing two independent means.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Unpack

import pandas as pd

from idrt.experiments._errors import ExperimentError
from idrt.experiments.grid import seed_list, specs_for
from idrt.experiments.options import RunOptions, RunShortcuts, resolve_options
from idrt.experiments.stats import interval_scope, paired_difference
from idrt.experiments.store import META_COLUMNS
from idrt.experiments.sweep import TIMING_COLUMNS, Runner, as_scenario
from idrt.network import RoadNetwork
from idrt.scenario import Scenario

__all__ = ["COMPARE_COLUMNS", "compare"]

COMPARE_COLUMNS = [
    "baseline",
    "scenario",
    "kpi",
    "mean_a",
    "mean_b",
    "diff",
    "ci_low",
    "ci_high",
    "rel_change",
    "p_value",
    "n",
]
"""Columns of the table :func:`compare` returns."""


def compare(
    scenario_a: Scenario | str | os.PathLike[str],
    scenario_b: Scenario | str | os.PathLike[str],
    *more: Scenario | str | os.PathLike[str],
    seeds: int | Iterable[int] = 10,
    kpis: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    confidence: float = 0.95,
    out: str | os.PathLike[str] | None = None,
    options: RunOptions | None = None,
    network: RoadNetwork | None = None,
    **shortcuts: Unpack[RunShortcuts],
) -> pd.DataFrame:
    """KPI differences of scenarios against a baseline, paired by seed.

    Parameters
    ----------
    scenario_a
        The baseline (a Scenario or a TOML path).
    scenario_b, *more
        Scenarios compared with the baseline, each on its own.
    seeds
        Replications: a count (seeds ``scenario_a.seed``, ...) or the seeds;
        every scenario runs the same seeds.
    kpis
        KPIs to report; default every KPI of :meth:`idrt.Result.summary`.
    labels
        Names of the scenarios in the table; default their ``name`` (made
        unique with ``#2``, ``#3``).
    confidence
        Coverage of the intervals of the differences.
    out, options, network
        As for :func:`idrt.sweep` (runs are stored and resumed alike).
    **shortcuts
        ``workers``, ``client``, ``scheduler``, ``progress``, ``timeout_s``:
        shortcuts for the fields of ``options`` that override it when given
        (:class:`~idrt.experiments.options.RunShortcuts`).

    Returns
    -------
    pandas.DataFrame
        One row per compared scenario and KPI: ``baseline``, ``scenario``,
        ``kpi``, ``mean_a`` (baseline), ``mean_b``, ``diff`` (mean of the
        paired differences B − A), ``ci_low``, ``ci_high`` (t-interval of
        ``diff``), ``rel_change`` (``diff / mean_a``), ``p_value`` (paired
        t-test), ``n`` (pairs). Every run's row is in the ``out`` folder
        (:class:`~idrt.experiments.store.RunStore`) when one is given.

    Raises
    ------
    ExperimentError
        On bad seeds or labels, or an unknown KPI.

    Examples
    --------
    >>> table = idrt.compare("experiments/yeongjong.toml",
    ...                      "experiments/yeongjong_cits.toml", seeds=10)  # doctest: +SKIP
    >>> table.set_index("kpi").loc["wait_p95_s", ["diff", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    opts = resolve_options(options, **shortcuts)
    scenarios = [as_scenario(s) for s in (scenario_a, scenario_b, *more)]
    names = list(labels) if labels is not None else _unique([s.name for s in scenarios])
    if len(names) != len(scenarios) or len(set(names)) != len(names):
        msg = f"labels {names!r}: give one distinct label per scenario ({len(scenarios)})"
        raise ExperimentError(msg)
    seed_values = seed_list(seeds, scenarios[0].seed)
    specs = []
    for scn, name in zip(scenarios, names, strict=True):
        specs += specs_for(scn, [()], seed_values, label=name)
    with Runner(out=out, options=opts, network=network) as runner:
        runs = runner.run(specs, desc="compare")
    available = [c for c in runs.columns if c not in {*META_COLUMNS, *TIMING_COLUMNS}]
    chosen = list(kpis) if kpis is not None else available
    unknown = [k for k in chosen if k not in available]
    if unknown:
        msg = f"unknown KPI(s) {unknown}; valid KPIs are {available}"
        raise ExperimentError(msg)
    base = runs[runs["scenario"] == names[0]].set_index("seed").loc[seed_values]
    rows = []
    for name in names[1:]:
        other = runs[runs["scenario"] == name].set_index("seed").loc[seed_values]
        for kpi in chosen:
            d = paired_difference(base[kpi].to_numpy(float), other[kpi].to_numpy(float), confidence)
            rows.append(
                {
                    "baseline": names[0],
                    "scenario": name,
                    "kpi": kpi,
                    "mean_a": d.mean_a,
                    "mean_b": d.mean_b,
                    "diff": d.diff,
                    "ci_low": d.low,
                    "ci_high": d.high,
                    "rel_change": d.rel_change,
                    "p_value": d.p_value,
                    "n": d.n,
                }
            )
    table = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    table.attrs["confidence"] = confidence
    table.attrs["interval_covers"] = interval_scope(scenarios[0])
    return table


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        label, i = name, 2
        while label in out:
            label, i = f"{name}#{i}", i + 1
        out.append(label)
    return out
