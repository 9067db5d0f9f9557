"""The ``idrt`` terminal command: parse arguments, call the public API, print.

Every subcommand is a small function taking the parsed arguments; errors a
user can cause (:class:`idrt.IdrtError`) print one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from idrt.errors import IdrtError
from idrt.experiments.cli import register as register_experiments
from idrt.interop.cli import register as register_interop

__all__ = ["main"]


def _network_info(args: argparse.Namespace) -> int:
    from idrt.network import load_network

    net = load_network(args.network)
    info = net.info()
    width = max(len(k) for k in info)
    labels = {
        "signalised_intersections": "signalised intersections",
        "signal_nodes": "signal-tagged nodes",
        "area_km2": "area (km², convex hull)",
        "length_km": "road length (km, directed)",
        "mean_speed_kmh": "mean free-flow speed (km/h)",
        "dropped_nodes": "dropped nodes (not strongly connected)",
    }
    width = max(len(labels.get(k, k)) for k in info)
    for key, value in info.items():
        print(f"{labels.get(key, key):<{width}}  {value}")
    return 0


def _network_fetch(args: argparse.Namespace) -> int:
    import osmnx as ox

    from idrt.network import _online, network_from_graph

    if (args.place is None) == (args.bbox is None):
        from idrt.errors import NetworkError

        msg = 'give either --place "Unseo-dong, Jung-gu, Incheon" or --bbox WEST SOUTH EAST NORTH'
        raise NetworkError(msg)
    if args.place is not None:
        G = _online.graph_from_place(args.place)
    else:
        G = _online.graph_from_bbox(tuple(args.bbox))
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{args.name}.graphml"
    ox.save_graphml(G, path)
    net = network_from_graph(G, name=args.name)
    print(f"saved {path} ({net.n_nodes} nodes, {net.n_edges} edges, {net.n_signals} signals)")
    print(f'use it as load_network("{args.name}") or network = "{args.name}" in a scenario')
    return 0


def _parse_overrides(pairs: Sequence[str]) -> dict[str, object]:
    """``fleet.size=20`` strings to a dict, values parsed as TOML scalars."""
    import tomllib

    from idrt.errors import ScenarioError

    overrides: dict[str, object] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            msg = f"override {pair!r} must look like section.key=value, e.g. fleet.size=20"
            raise ScenarioError(msg)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        overrides[key.strip()] = value
    return overrides


def _format_kpi(key: str, value: float) -> str:
    if value != value:  # nan
        return "-"
    if key.endswith("_share"):
        return f"{value:.1%}"
    if key.endswith("_s"):
        return f"{value:,.0f} s ({value / 60:.1f} min)"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _kpi_table(summary, reference) -> str:
    """Simulated KPIs, with observed reference values beside them when given."""
    from idrt.errors import ScenarioError

    unknown = sorted(set(reference) - set(summary.index))
    if unknown:
        msg = f"[reference] names unknown KPI(s) {unknown}; valid names are {list(summary.index)}"
        raise ScenarioError(msg)
    width = max(len(k) for k in summary.index)
    rows = [
        (k, _format_kpi(k, v), _format_kpi(k, reference[k]) if k in reference else "")
        for k, v in summary.items()
    ]
    col = max(len(r[1]) for r in rows)
    head = f"{'kpi':<{width}}  {'simulated':>{col}}" + ("  reference" if reference else "")
    lines = [head] + [f"{k:<{width}}  {v:>{col}}  {r}".rstrip() for k, v, r in rows]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from idrt.experiments.cli import save_run_plots
    from idrt.scenario import Scenario
    from idrt.sim import build_network, simulate

    scn = Scenario.from_toml(args.scenario) if args.scenario else Scenario()
    if args.set:
        scn = scn.with_overrides(_parse_overrides(args.set))
    net = build_network(scn)
    result = simulate(scn, seed=args.seed, network=net, progress=sys.stderr.isatty())
    out = Path(args.out or scn.output.dir)
    result.save(out)
    save_run_plots(result, net, out)
    summary = result.summary()
    print(
        f"scenario {scn.name!r} (hash {scn.content_hash()}), seed {result.seed}: "
        f"{int(summary.requests)} requests, {scn.fleet.size} vehicles, "
        f"simulated in {result.wall_s:.2f} s"
    )
    print(_kpi_table(summary, scn.reference))
    print(f"tables, plots and resolved scenario written to {out}/")
    return 0


def _demand_describe(args: argparse.Namespace) -> int:
    from idrt.demand import describe_file

    net = None
    if args.network:
        from idrt.network import load_network

        net = load_network(args.network)
    print(describe_file(args.file, zones=args.zones or None, net=net))
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="idrt", description="Simulate demand-responsive transit on real road networks."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="simulate one scenario and write its tables and plot")
    run.add_argument(
        "scenario", nargs="?", help="scenario TOML (default: the embedded Yeongjong pilot)"
    )
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", help="output folder (default: the scenario's output.dir)")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario value, e.g. --set fleet.size=12 (repeatable)",
    )
    run.set_defaults(func=_run)

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

    network = commands.add_parser("network", help="inspect and fetch road networks")
    network_commands = network.add_subparsers(dest="network_command", required=True)
    info = network_commands.add_parser("info", help="headline figures of a network")
    info.add_argument("network", help="preset (yeongjong, city:N), saved name or file path")
    info.set_defaults(func=_network_info)
    fetch = network_commands.add_parser(
        "fetch", help="download an OpenStreetMap network with osmnx and save it by name"
    )
    fetch.add_argument("--place", help='place name, e.g. "Yeongjong-dong, Jung-gu, Incheon"')
    fetch.add_argument(
        "--bbox",
        nargs=4,
        type=float,
        metavar=("WEST", "SOUTH", "EAST", "NORTH"),
        help="bounding box in degrees",
    )
    fetch.add_argument("--name", required=True, help="name to save it under")
    fetch.add_argument("--dir", default="networks", help="folder to save into (default networks/)")
    fetch.set_defaults(func=_network_fetch)
    register_experiments(commands)
    register_interop(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``idrt`` command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except IdrtError as exc:
        print(f"idrt: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
