"""``idrt network info|fetch``: inspect and download road networks."""

from __future__ import annotations

import argparse
from pathlib import Path

from idrt.errors import NetworkError
from idrt.network import load_network, network_from_graph, online

__all__ = ["register"]


def _network_info(args: argparse.Namespace) -> int:

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
    import osmnx as ox  # noqa: PLC0415 - osmnx: ~1.4 s to import

    if (args.place is None) == (args.bbox is None):
        msg = 'give either --place "Unseo-dong, Jung-gu, Incheon" or --bbox WEST SOUTH EAST NORTH'
        raise NetworkError(msg)
    if args.place is not None:
        G = online.graph_from_place(args.place)
    else:
        G = online.graph_from_bbox(tuple(args.bbox))
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{args.name}.graphml"
    ox.save_graphml(G, path)
    net = network_from_graph(G, name=args.name)
    print(f"saved {path} ({net.n_nodes} nodes, {net.n_edges} edges, {net.n_signals} signals)")
    print(f'use it as load_network("{args.name}") or network = "{args.name}" in a scenario')
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``idrt network`` to the ``idrt`` parser."""
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
