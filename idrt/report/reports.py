"""The three reports: one run, a sweep, a comparison, each one offline HTML file."""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt import geo
from idrt.errors import IdrtError
from idrt.experiments.stats import mean_ci
from idrt.experiments.store import RunStore
from idrt.plot import split_grids
from idrt.report import charts
from idrt.report.charts import HEADLINE
from idrt.report.maps import basemap_figure, service_map_figure
from idrt.report.page import Page, format_value
from idrt.scenario import Scenario
from idrt.sim.assembly import build_network
from idrt.sim.results import PASSAGE_COLUMNS, Result

__all__ = ["HEADLINE", "ReportError", "load_run", "report_kind", "run_intervals", "write_report"]


class ReportError(IdrtError, ValueError):
    """A folder that is not a run, sweep or comparison output."""


def report_kind(folder: str | os.PathLike[str]) -> str:
    """``"run"``, ``"compare"`` or ``"sweep"`` for an output folder.

    Raises
    ------
    ReportError
        When the folder is none of them.
    """
    folder = Path(folder)
    if (folder / "summary.csv").is_file() and (folder / "requests.parquet").is_file():
        return "run"
    if (folder / "compare.csv").is_file():
        return "compare"
    if (folder / "runs").is_dir() and any((folder / "runs").glob("*.parquet")):
        return "sweep"
    msg = (
        f"{str(folder)!r} is not a run, sweep or compare folder (no summary.csv, compare.csv "
        "or runs/*.parquet); give the --out folder of idrt run, sweep or compare"
    )
    raise ReportError(msg)


def write_report(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    baseline: str | os.PathLike[str] | None = None,
    basemap: bool = False,
) -> Path:
    """Write the HTML report of a run, sweep or compare folder.

    Parameters
    ----------
    folder
        Output folder of ``idrt run``, ``idrt sweep`` or ``idrt compare``.
    out
        HTML file; default ``FOLDER/report.html``.
    baseline
        Run reports only: another run folder (say, without C-ITS) to colour
        the intersections by the delay saved against it.
    basemap
        Run reports only: add a second map on OpenStreetMap tiles (they load
        only when the page is opened online; the rest stays offline).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    folder = Path(folder)
    kind = report_kind(folder)
    target = Path(out) if out is not None else folder / "report.html"
    if kind == "run":
        page = _run_page(folder, baseline, basemap)
    elif kind == "sweep":
        page = _sweep_page(folder)
    else:
        page = _compare_page(folder)
    return page.write(target)


# ------------------------------------------------------------------- one run
def load_run(folder: str | os.PathLike[str]):
    """A :class:`idrt.Result` read back from the folder ``Result.save`` wrote."""
    folder = Path(folder)
    scn = Scenario.from_toml(folder / "scenario.toml")
    meta = json.loads((folder / "run.json").read_text()) if (folder / "run.json").is_file() else {}
    if meta.get("base_dir") and Path(meta["base_dir"]).is_dir():
        # the scenario's relative data paths (network, areas) as the run resolved them
        scn = dataclasses.replace(scn, base_dir=meta["base_dir"])
    passages = folder / "signal_passages.parquet"
    return Result(
        requests=pd.read_parquet(folder / "requests.parquet"),
        vehicles=pd.read_parquet(folder / "vehicles.parquet"),
        events=pd.read_parquet(folder / "events.parquet")
        if (folder / "events.parquet").is_file()
        else pd.DataFrame(columns=["time_s", "vehicle", "kind", "node", "request", "load"]),
        scenario=scn,
        seed=int(meta.get("seed", scn.seed)),
        service_hours=scn.service.end_h - scn.service.start_h,
        wall_s=float(meta.get("wall_s", float("nan"))),
        signal_passages=pd.read_parquet(passages)
        if passages.is_file()
        else pd.DataFrame(columns=PASSAGE_COLUMNS),
    )


def _wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float]:
    if n <= 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def run_intervals(requests: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """95 % within-day intervals of a run's KPIs that are shares or means over riders.

    Shares of requests (served, rejected) and of riders (shared rides,
    missed promises, late pickups): Wilson score intervals, inside [0, 1].
    Means over served riders (wait, time on board, walk): normal intervals
    of the mean. They show the sampling noise of one day's riders; the
    day-to-day spread needs replications (``idrt sweep`` / ``compare``).
    """
    n = len(requests)
    served = requests[requests["status"].astype(str) == "served"]
    out: dict[str, tuple[float, float]] = {}
    out["served_share"] = _wilson(len(served), n)
    out["reject_share"] = _wilson(float((requests["status"].astype(str) == "rejected").sum()), n)
    for kpi, col in (
        ("shared_ride_share", "shared"),
        ("missed_promise_share", "missed_promise"),
        ("late_pickup_share", "late_pickup"),
    ):
        if col in served.columns:
            out[kpi] = _wilson(float(served[col].sum()), len(served))
    for kpi, col in (
        ("wait_mean_s", "wait_s"),
        ("in_vehicle_mean_s", "in_vehicle_s"),
        ("walk_mean_m", "walk_m"),
    ):
        v = served[col].to_numpy(float) if col in served.columns else np.empty(0)
        v = v[np.isfinite(v)]
        if v.size > 1:
            half = 1.96 * v.std(ddof=1) / math.sqrt(v.size)
            out[kpi] = (float(v.mean() - half), float(v.mean() + half))
    return out


def _run_page(folder: Path, baseline, basemap: bool = False) -> Page:

    result = load_run(folder)
    scn = result.scenario
    net = build_network(scn)
    summary = pd.read_csv(folder / "summary.csv", index_col="kpi")["value"]
    cur = scn.cost.currency
    page = Page(f"idrt report: {scn.name}")
    page.text(
        f"scenario {scn.name!r} (hash {scn.content_hash()}), seed {result.seed}, "
        f"{int(summary['requests'])} requests, {len(result.vehicles)} vehicles, service "
        f"{scn.service.start_h:g}–{scn.service.end_h:g} h; network {net.name} "
        f"({net.n_nodes} nodes). Run folder: {folder}",
        cls="meta",
    )
    inter = geo.intersections_table(result, net)
    saved = None
    if baseline is not None:
        base = load_run(baseline)
        b = base.intersection_delays()[["intersection_id", "delay_mean_s"]]
        mine = result.intersection_delays()[["intersection_id", "delay_mean_s"]]
        saved = b.merge(mine, on="intersection_id", suffixes=("_base", ""))
        saved["delay_saved_s"] = saved["delay_mean_s_base"] - saved["delay_mean_s"]
        saved = saved[["intersection_id", "delay_saved_s"]]
    page.heading("Service map")
    page.text(
        "Layers switch on and off in the legend; the slider moves the vehicles through the "
        "day. Axes are kilometres in the network's projected coordinates (equal scale)."
        + (f" Intersections coloured by delay saved against {baseline}." if saved is not None
           else "")
    )  # fmt: skip
    page.chart(service_map_figure(result, net, intersections=inter, delay_saved=saved), height=760)
    if basemap:
        page.heading("On OpenStreetMap (online only)")
        page.text("Map tiles © OpenStreetMap contributors; they load only when online.")
        page.chart(basemap_figure(result, net, intersections=inter), height=640)

    page.heading("Key figures")
    ci = run_intervals(result.requests)
    rows = []
    for kpi, value in summary.astype(float).items():
        ref = scn.reference.get(kpi)
        low, high = ci.get(kpi, (float("nan"), float("nan")))
        interval = (
            f"{format_value(kpi, low, cur)} – {format_value(kpi, high, cur)}"
            if not math.isnan(low)
            else ""
        )
        rows.append(
            [
                kpi,
                (
                    format_value(kpi, value, cur),
                    {"data-kpi": kpi, "data-value": repr(float(value))},
                ),
                format_value(kpi, ref, cur) if ref is not None else "",
                interval,
            ]
        )
    page.table(["KPI", "simulated", "reference", "95% interval (within-day)"], rows,
               table_id="kpis")  # fmt: skip
    page.text(
        "Reference: observed figures from the scenario's [reference] table. Intervals: Wilson "
        "for shares, normal for means over riders; they cover one day's sampling noise only. "
        f"Money in {cur} from the scenario's [cost] section (illustrative defaults: "
        "docs/cost.md)."
    )
    if scn.expansion.area or (folder / "summary_by_area.csv").is_file():
        table = (
            pd.read_csv(folder / "summary_by_area.csv", index_col="area")
            if (folder / "summary_by_area.csv").is_file()
            else result.summary(by="area", network=net)
        )
        page.heading("By area")
        page.table(
            ["KPI", *table.index.astype(str)],
            [[k, *(format_value(k, table.loc[a, k], cur) for a in table.index)]
             for k in table.columns],
            table_id="areas",
        )  # fmt: skip
        page.text(
            "Requests belong to the area of their origin; vehicle-km to the area where each "
            "driven link lies; the day's cost is shared by vehicle-km."
        )
    page.heading("Waiting times and occupancy")
    page.chart(charts.wait_cdf(result), height=420)
    page.chart(charts.occupancy(result), height=420)
    figures = [p for p in ("service_map.png", "wait_time_cdf.png", "occupancy.png")
               if (folder / p).is_file()]  # fmt: skip
    if figures:
        page.heading("Figures for the report (PNG, also in the run folder)")
        for name in figures:
            page.image(folder / name, name)
    return page


# --------------------------------------------------------------------- sweep
def _sweep_page(folder: Path) -> Page:

    runs = RunStore(folder).load()
    page = Page(f"idrt report: sweep {folder.name}")
    page.text(f"{len(runs)} runs in {folder}", cls="meta")
    for i, (params, rows) in enumerate(split_grids(runs)):
        label = ", ".join(params) if params else "no grid"
        page.heading(f"Grid {i + 1}: {label} ({len(rows)} runs)")
        if not params:
            page.text("runs without grid parameters")
            continue
        x = params[0]
        page.chart(charts.sweep_curves(rows, x, params[1:], "wait"), height=420)
        page.chart(charts.sweep_curves(rows, x, params[1:], "served_share"), height=420)
        kpis = [k for k in HEADLINE if k in rows.columns and rows[k].notna().any()]
        table = []
        for key, group in rows.groupby(params, sort=True):
            key = key if isinstance(key, tuple) else (key,)
            cells: list[Any] = [f"{v:g}" if isinstance(v, float) else str(v) for v in key]
            cells.append(str(len(group)))
            for k in kpis:
                m = mean_ci(group[k].to_numpy(float))
                text = format_value(k, m.mean)
                if not math.isnan(m.low):
                    text += f" ({format_value(k, m.low)} – {format_value(k, m.high)})"
                cells.append((text, {"data-kpi": k, "data-value": repr(float(m.mean))}))
            table.append(cells)
        page.table([*params, "runs", *kpis], table, table_id=f"grid{i + 1}")
        page.text("Mean over seeds (95% Student-t interval over seeds).")
    return page


# ------------------------------------------------------------------- compare
def _compare_page(folder: Path) -> Page:

    table = pd.read_csv(folder / "compare.csv")
    cost = _baseline_cost(folder, table)
    cur = cost.currency if cost is not None else "KRW"
    page = Page(f"idrt report: comparison {folder.name}")
    for name, group in table.groupby("scenario", sort=False):
        base = group["baseline"].iloc[0]
        n = int(group["n"].max())
        page.heading(f"{name} (B) vs {base} (A), paired over {n} seeds")
        rows = []
        for _, r in group.iterrows():
            k = r["kpi"]
            rows.append(
                [
                    k,
                    (format_value(k, r["mean_a"], cur), {"data-kpi": k,
                                                          "data-value": repr(r["mean_a"])}),
                    format_value(k, r["mean_b"], cur),
                    _signed(k, r["diff"], cur),
                    f"{_signed(k, r['ci_low'], cur)} to {_signed(k, r['ci_high'], cur)}",
                    "-" if math.isnan(r["rel_change"]) else f"{r['rel_change']:+.1%}",
                    "yes" if r["ci_low"] > 0 or r["ci_high"] < 0 else "no",
                ]
            )  # fmt: skip
        page.table(
            ["KPI", f"A: {base}", f"B: {name}", "B − A", "95% CI of B − A", "change",
             "CI excludes 0"], rows, table_id=f"compare-{name}",
        )  # fmt: skip
        if cost is not None and "cost_per_day" in set(group["kpi"]):
            r = group.set_index("kpi").loc["cost_per_day"]
            year = cost.service_days_per_year
            verb = "saves" if r["diff"] < 0 else "costs"
            page.text(
                f"Money: {name} {verb} {abs(r['diff']):,.0f} {cur} a day (95% CI "
                f"{r['ci_low']:+,.0f} to {r['ci_high']:+,.0f}), {abs(r['diff']) * year:,.0f} "
                f"{cur} a year over {year:g} service days."
            )
        page.chart(charts.compare_deltas(group), height=420)
    return page


def _signed(kpi: str, value: float, cur: str) -> str:
    text = format_value(kpi, abs(value), cur) if not math.isnan(value) else "-"
    if math.isnan(value):
        return text
    if kpi.endswith("_share"):
        return f"{value * 100:+.1f} pp"
    return ("+" if value >= 0 else "−") + text


def _baseline_cost(folder: Path, table: pd.DataFrame):
    """The ``[cost]`` of the comparison's baseline (from the stored scenarios)."""
    try:
        runs = RunStore(folder).load()
        base = table["baseline"].iloc[0]
        h = runs.loc[runs["scenario"] == base, "scenario_hash"].iloc[0]
        return Scenario.from_toml(folder / "scenarios" / f"{h}.toml").cost
    except (IdrtError, IndexError, KeyError, OSError):
        return None
