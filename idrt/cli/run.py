"""``idrt run``: simulate one scenario and write its tables, plots and KPIs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from idrt import geo
from idrt.cli.common import add_set_option, area_table, kpi_table, parse_overrides
from idrt.cli.output import RunFolder, rescue_folder
from idrt.errors import OutputError
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


def _save(result, net, folder: Path, args: argparse.Namespace):
    """Everything a run writes, into ``folder``; the by-area table (or None)."""
    from idrt.report import write_report  # noqa: PLC0415 - CLI start-up: plotly

    result.save(folder)
    save_run_figures(result, net, folder)
    geo.export(result, net, folder / "geo")
    table = None
    if result.scenario.expansion.area or args.zones:
        table = result.summary(by="area", zones=args.zones, network=net)
        table.to_csv(folder / "summary_by_area.csv")
    if not args.no_report:
        write_report(folder)
    return table


def _run(args: argparse.Namespace) -> int:
    scn = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    out = Path(args.out or scn.output.dir)
    # the output target is checked (and a staging folder made) before anything runs
    with RunFolder(out, force=args.force) as folder:
        try:
            net = build_network(scn)
            result = simulate(scn, seed=args.seed, network=net, progress=sys.stderr.isatty())
        except KeyboardInterrupt:
            print(f"\nidrt: interrupted; nothing was written to {out}/", file=sys.stderr)
            return 130
        try:
            table = _save(result, net, folder.staging, args)
            folder.commit()
        except KeyboardInterrupt:
            print(f"\nidrt: interrupted; nothing was written to {out}/", file=sys.stderr)
            return 130
        except OSError as exc:
            rescue = rescue_folder()
            _save(result, net, rescue, args)
            msg = (
                f"could not write the results to {out}/ ({type(exc).__name__}: {exc}); "
                f"the finished run is saved in {rescue}/ instead"
            )
            raise OutputError(msg) from exc
    summary = result.summary()
    print(
        f"scenario {scn.name!r} (hash {scn.content_hash()}), seed {result.seed}: "
        f"{int(summary.requests)} requests, {scn.fleet.size} vehicles, "
        f"simulated in {result.wall_s:.2f} s"
    )
    print(kpi_table(summary, scn.reference))
    print(cost_lines(summary, scn.cost))
    if table is not None:
        print(area_table(table))
    print(
        f"tables, plots, GIS layers (geo/*.geojson, for QGIS) and resolved scenario "
        f"written to {out}/"
    )
    if not args.no_report:
        print(f"report: {out / 'report.html'}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt run`` to the ``idrt`` parser."""
    run = commands.add_parser("run", help="simulate one scenario and write its tables and plot")
    run.add_argument(
        "scenario", nargs="?", help="scenario TOML (default: the embedded Yeongjong pilot)"
    )
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument(
        "--out",
        help="output folder (default: the scenario's output.dir); it must be empty or new",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier run in --out (its files are removed, never mixed with new ones)",
    )
    run.add_argument(
        "--no-report", action="store_true", help="do not write report.html (saves a few seconds)"
    )
    run.add_argument(
        "--zones",
        help="GeoJSON of zones: also print KPIs per zone (default: per base and expansion "
        "area when the scenario has one)",
    )
    add_set_option(run)
    run.set_defaults(func=_run)
