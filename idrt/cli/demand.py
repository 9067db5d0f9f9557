"""``idrt demand describe``: totals of a trip file by hour and zone."""

from __future__ import annotations

import argparse

from idrt.demand import describe_file
from idrt.network import load_network

__all__ = ["register"]


def _demand_describe(args: argparse.Namespace) -> int:

    net = None
    if args.network:
        net = load_network(args.network)
    print(describe_file(args.file, zones=args.zones or None, net=net))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt demand`` to the ``idrt`` parser."""
    demand = commands.add_parser("demand", help="inspect demand (trip files)")
    demand_commands = demand.add_subparsers(dest="demand_command", required=True)
    describe = demand_commands.add_parser(
        "describe", help="totals of a trip CSV by hour and by zone"
    )
    describe.add_argument("file", help="trip CSV (times and lon/lat or node ids)")
    describe.add_argument(
        "--zones", nargs="+", help="GeoJSON zones (default: the named areas in demand/)"
    )
    describe.add_argument(
        "--network", help="network for files that give node ids without coordinates"
    )
    describe.set_defaults(func=_demand_describe)
