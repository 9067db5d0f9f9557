"""``idrt export sumo``: a scenario as a SUMO case (:func:`idrt.interop.to_sumo`)."""

from __future__ import annotations

import argparse

from idrt.cli.common import add_set_option, parse_overrides
from idrt.cli.output import check_output_folder
from idrt.interop.sumo_export import to_sumo
from idrt.scenario import Scenario

__all__ = ["register"]


def _export_sumo(args: argparse.Namespace) -> int:

    scn = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.set:
        scn = scn.with_overrides(parse_overrides(args.set))
    check_output_folder(args.out)
    case = to_sumo(
        scn,
        seed=args.seed,
        out=args.out,
        force=args.force,
        dispatch=args.dispatch,
        dispatch_period_s=args.dispatch_period,
    )
    print(
        f"exported scenario {scn.name!r} (seed {args.seed if args.seed is not None else scn.seed})"
        f": {case.n_requests} requests ({case.n_persons} riders), {case.n_taxis} taxis "
        f"-> {case.folder}/"
    )
    if case.built:
        print(f"run it with: sumo -c {case.config}")
    else:
        print(f"network not built (SUMO missing): see {case.folder / 'README.md'}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt export sumo`` to the ``idrt`` command's subparsers.

    Parameters
    ----------
    commands
        The subparsers action of the ``idrt`` parser (``add_subparsers()``).
    """
    export = commands.add_parser("export", help="export a scenario to another tool (SUMO)")
    targets = export.add_subparsers(dest="export_target", required=True, metavar="TOOL")
    sumo = targets.add_parser(
        "sumo",
        help="write a SUMO case: net.xml, rou.xml, sumocfg, id mapping and README",
        description=(
            "Export the scenario's network, signals, fleet and one seeded demand draw as a "
            "case that `sumo -c OUT/case.sumocfg` runs. SUMO has no background traffic: "
            "compare with --set traffic.profile=''."
        ),
    )
    sumo.add_argument(
        "scenario", nargs="?", help="scenario TOML (default: the embedded Yeongjong pilot)"
    )
    sumo.add_argument(
        "--seed", type=int, default=None, help="demand seed (default: the scenario's)"
    )
    sumo.add_argument("--out", default="sumo_case", help="folder to write (default sumo_case/)")
    sumo.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    sumo.add_argument(
        "--dispatch",
        default="greedyShared",
        choices=["greedyShared", "greedy", "greedyClosest", "routeExtension"],
        help="SUMO taxi dispatch algorithm (default greedyShared)",
    )
    sumo.add_argument(
        "--dispatch-period", type=float, default=60.0, help="SUMO dispatch period, s (default 60)"
    )
    add_set_option(sumo)
    sumo.set_defaults(func=_export_sumo)
