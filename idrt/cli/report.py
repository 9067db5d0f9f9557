"""``idrt report``: one offline HTML report of a run, sweep or comparison folder."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def _report(args: argparse.Namespace) -> int:
    from idrt.report import report_kind, write_report  # noqa: PLC0415 - CLI start-up: plotly

    kind = report_kind(args.folder)
    path = write_report(args.folder, args.out, baseline=args.baseline, basemap=args.basemap)
    print(f"{kind} report written to {path} (self-contained: opens offline in any browser)")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt report`` to the ``idrt`` parser."""
    p = commands.add_parser(
        "report",
        help="write one self-contained HTML report of a run, sweep or compare folder",
        description="Interactive map, KPI tables with reference figures and intervals, and "
        "the figures, in one HTML file that works offline.",
    )
    p.add_argument("folder", help="output folder of idrt run, idrt sweep or idrt compare")
    p.add_argument("--out", help="HTML file (default FOLDER/report.html)")
    p.add_argument(
        "--baseline",
        help="run reports: another run folder; intersections are coloured by delay saved",
    )
    p.add_argument(
        "--basemap",
        action="store_true",
        help="run reports: add a map on OpenStreetMap tiles (they load only when online)",
    )
    p.set_defaults(func=_report)
