"""``idrt run``: simulate one scenario and write its tables, plots and KPIs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idrt import geo
from idrt.cli.common import area_table, kpi_table, parse_overrides
from idrt.plot import save_run_figures
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate

__all__ = ["cost_lines", "register"]


def cost_lines(summary, cost) -> str:
    """The money a planner reads first: cost and subsidy per rider, per day and year."""
    cur = cost.currency
    year = cost.service_days_per_year
    return (
        f"cost per rider {summary.cost_per_rider:,.0f} {cur}, subsidy per rider "
        f"{summary.subsidy_per_rider:,.0f} {cur} (fare {cost.fare_per_rider:,.0f} {cur}, "
        f"farebox recovery {summary.farebox_recovery_share:.1%})\n"
        f"cost per day {summary.cost_per_day:,.0f} {cur}, per year "
        f"{summary.cost_per_day * year:,.0f} {cur} ({year:g} service days); unit costs from "
        "[cost], illustrative defaults: see docs/cost.md"
    )


def _run(args: argparse.Namespace) -> int:
    scn = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    net = build_network(scn)
    result = simulate(scn, seed=args.seed, network=net, progress=sys.stderr.isatty())
    out = Path(args.out or scn.output.dir)
    result.save(out)
    save_run_figures(result, net, out)
    geo.export(result, net, out / "geo")
    summary = result.summary()
    print(
        f"scenario {scn.name!r} (hash {scn.content_hash()}), seed {result.seed}: "
        f"{int(summary.requests)} requests, {scn.fleet.size} vehicles, "
        f"simulated in {result.wall_s:.2f} s"
    )
    print(kpi_table(summary, scn.reference))
    print(cost_lines(summary, scn.cost))
    if scn.expansion.area or args.zones:
        table = result.summary(by="area", zones=args.zones, network=net)
        table.to_csv(out / "summary_by_area.csv")
        print(area_table(table))
    print(
        f"tables, plots, GIS layers (geo/*.geojson, for QGIS) and resolved scenario "
        f"written to {out}/"
    )
    if not args.no_report:
        from idrt.report import write_report

        print(f"report: {write_report(out)}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt run`` to the ``idrt`` parser."""
    run = commands.add_parser("run", help="simulate one scenario and write its tables and plot")
    run.add_argument(
        "scenario", nargs="?", help="scenario TOML (default: the embedded Yeongjong pilot)"
    )
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", help="output folder (default: the scenario's output.dir)")
    run.add_argument(
        "--no-report", action="store_true", help="do not write report.html (saves a few seconds)"
    )
    run.add_argument(
        "--zones",
        help="GeoJSON of zones: also print KPIs per zone (default: per base and expansion "
        "area when the scenario has one)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set fleet.size=12 (repeatable)",
    )
    run.set_defaults(func=_run)
