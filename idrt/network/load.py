"""``load_network``: one entry point for every source of a road network."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from idrt.errors import NetworkError
from idrt.network import nodelink, online, synthetic
from idrt.network.build import network_from_graph
from idrt.network.road_network import RoadNetwork
from idrt.network.signals import DEFAULT_SIGNAL_CLUSTER_M, simplify_keeping_signals

__all__ = ["PRESETS", "load_network", "networks_dirs", "read_csv_graph"]

PRESETS = ("yeongjong", "city")
"""Built-in synthetic networks (no download): see ``networks/README.md``."""

_GRAPH_SUFFIXES = (".graphml",)
_XML_SUFFIXES = (".osm", ".xml")


def networks_dirs() -> list[Path]:
    """Folders searched for a network given by name, in order.

    ``$IDRT_NETWORKS_DIR`` (if set), ``./networks`` and the ``networks/``
    folder of the idrt source checkout. ``idrt network fetch`` saves there.
    """
    dirs = []
    if env := os.environ.get("IDRT_NETWORKS_DIR"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "networks")
    dirs.append(Path(__file__).resolve().parents[2] / "networks")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def load_network(
    source: str | os.PathLike[str] | nx.MultiDiGraph | None = None,
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    speeds_kmh: Mapping[str, float] | None = None,
    signal_cluster_m: float = DEFAULT_SIGNAL_CLUSTER_M,
    region: str | Sequence[str] | None = None,
) -> RoadNetwork:
    """Load a road network from a preset, a file, a graph or OpenStreetMap.

    Parameters
    ----------
    source
        One of: a preset name (``"yeongjong"``, the embedded synthetic
        island, or ``"city"`` / ``"city:20000"``, a synthetic city of that many
        nodes); the name of a network saved by ``idrt network fetch`` (looked up
        in :func:`networks_dirs`); a path to an osmnx GraphML file, an OSM XML
        file (``.osm``), a saved idrt network (``.npz``), an island spec
        (``.toml``), a folder with FleetPy-style ``nodes.csv`` and
        ``edges.csv``, the Korean standard node-link ``MOCT_LINK.shp`` or a
        folder holding it (:mod:`idrt.network.nodelink`); or an osmnx
        ``MultiDiGraph``.
    place
        A place name osmnx can geocode (downloads; cached by osmnx).
    bbox
        ``(west, south, east, north)`` in degrees (downloads; cached by osmnx).
    speeds_kmh
        Per-road-class free-flow speed overrides in km/h.
    signal_cluster_m
        Signal-tagged nodes closer than this (metres) are one intersection.
    region
        Node-link sources only: node-id prefixes (region codes) to keep,
        e.g. ``"161"``; see :func:`idrt.network.nodelink.read_nodelink`.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        Missing or corrupt file, unknown preset, graph without edges, a place
        osmnx cannot geocode.

    Examples
    --------
    >>> net = idrt.load_network("yeongjong")                      # doctest: +SKIP
    >>> net.travel_time_s(net.node_ids[0], net.node_ids[1])      # doctest: +SKIP
    """
    given = sum(x is not None for x in (source, place, bbox))
    if given != 1:
        msg = (
            "give exactly one of: a preset name or path (load_network('yeongjong')), "
            "place='Unseo-dong, Jung-gu, Incheon', or bbox=(west, south, east, north)"
        )
        raise NetworkError(msg)
    options = {"speeds_kmh": speeds_kmh, "signal_cluster_m": signal_cluster_m}
    if region is not None:
        path = (
            Path(str(source)) if source is not None and not isinstance(source, nx.Graph) else None
        )
        if path is None or not nodelink.is_nodelink(path):
            msg = "region applies to Korean node-link sources only (MOCT_LINK.shp or its folder)"
            raise NetworkError(msg)
        G = nodelink.read_nodelink(path, region=region, turns=True)
        return network_from_graph(G, name=f"{path.stem}[{region}]", **options)
    if place is not None:
        return network_from_graph(online.graph_from_place(place), name=place, **options)
    if bbox is not None:
        return network_from_graph(online.graph_from_bbox(bbox), name=f"bbox{bbox}", **options)
    if isinstance(source, nx.Graph):
        return network_from_graph(source, name=source.graph.get("name", "graph"), **options)
    return _load_named_or_path(str(source), **options)


def _load_named_or_path(source: str, **options) -> RoadNetwork:
    path = Path(source).expanduser()
    if path.exists():
        return _load_path(path, **options)
    preset, _, arg = source.partition(":")
    if preset in PRESETS and os.sep not in source:
        return _load_preset(preset, arg, **options)
    if os.sep not in source and not path.suffix:
        for folder in networks_dirs():
            for suffix in (".graphml", ".osm", ".npz", ".toml"):
                candidate = folder / f"{source}{suffix}"
                if candidate.is_file():
                    return _load_path(candidate, **options)
        known = sorted({p.stem for d in networks_dirs() if d.is_dir() for p in d.glob("*.graphml")})
        msg = (
            f"unknown network {source!r}: not a preset ({', '.join(PRESETS)}), not a saved "
            f"network ({', '.join(known) or 'none saved yet'}) and not a file. Fetch it with "
            f'`idrt network fetch --place "..." --name {source}` or give a file path.'
        )
        raise NetworkError(msg)
    msg = f"network file {source!r} does not exist; check the path (relative to {Path.cwd()})"
    raise NetworkError(msg)


def _load_preset(preset: str, arg: str, **options) -> RoadNetwork:
    if preset == "yeongjong":
        if arg:
            msg = f"preset 'yeongjong' takes no argument; got {arg!r}. Use a .toml spec instead."
            raise NetworkError(msg)
        return network_from_graph(synthetic.island(), name="yeongjong", **options)
    try:
        n_nodes = int(arg) if arg else 50_000
    except ValueError:
        n_nodes = -1
    if n_nodes < 100:
        msg = f"preset 'city:{arg}' needs a node count of at least 100, e.g. 'city:50000'"
        raise NetworkError(msg)
    return network_from_graph(
        synthetic.city(n_nodes), name=f"city:{n_nodes}", use_given_travel_times=False, **options
    )


def _load_path(path: Path, **options) -> RoadNetwork:
    suffix = path.suffix.lower()
    if nodelink.is_nodelink(path):
        G = nodelink.read_nodelink(path, turns=True)
        return network_from_graph(G, name=path.stem if path.is_file() else path.name, **options)
    if path.is_dir() or path.name in {"nodes.csv", "edges.csv"}:
        folder = path if path.is_dir() else path.parent
        return network_from_graph(read_csv_graph(folder), name=folder.name, **options)
    if suffix == ".npz":
        if options.get("speeds_kmh"):
            msg = (
                f"{str(path)!r} is a saved network whose link speeds are fixed; speeds_kmh "
                "cannot change them. Load the source graph (.graphml, .osm) instead"
            )
            raise NetworkError(msg)
        return RoadNetwork.load(path)
    if suffix == ".toml":
        spec = synthetic.IslandSpec.from_toml(path)
        return network_from_graph(synthetic.island(spec), name=path.stem, **options)
    if suffix in _GRAPH_SUFFIXES:
        G = _read_graphml(path)
    elif suffix in _XML_SUFFIXES:
        G = _read_osm_xml(path)
    else:
        msg = (
            f"cannot read {str(path)!r}: unknown file type {suffix!r}. Give a .graphml, "
            ".osm (OSM XML), .npz (saved idrt network), .toml (island spec) or a folder with "
            "nodes.csv and edges.csv"
        )
        raise NetworkError(msg)
    return network_from_graph(G, name=path.stem, **options)


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox  # noqa: PLC0415 -- osmnx costs ~1.6 s, only to read OSM/GraphML

    try:
        G = ox.load_graphml(path)
    except Exception as exc:
        msg = (
            f"{str(path)!r} is not a readable osmnx GraphML file ({type(exc).__name__}: {exc}). "
            "Re-save it with osmnx.save_graphml or download it again."
        )
        raise NetworkError(msg) from exc
    return G


def _read_osm_xml(path: Path) -> nx.MultiDiGraph:
    import osmnx as ox  # noqa: PLC0415 -- osmnx costs ~1.6 s, only to read OSM/GraphML

    try:
        G = ox.graph_from_xml(path, simplify=False, retain_all=True)
        return simplify_keeping_signals(G)
    except Exception as exc:
        msg = (
            f"{str(path)!r} is not a readable OSM XML file with roads ({type(exc).__name__}: "
            f"{exc}). Export it again from openstreetmap.org or with osmium."
        )
        raise NetworkError(msg) from exc


def read_csv_graph(folder: str | os.PathLike[str]) -> nx.MultiDiGraph:
    """Read the FleetPy network format into a MultiDiGraph.

    ``nodes.csv`` has ``node_index,is_stop_only,pos_x,pos_y`` (coordinates in
    the CRS named in ``crs.info``, WGS84 when absent); ``edges.csv`` has
    ``from_node,to_node,distance,travel_time`` (metres, seconds). Nodes marked
    ``is_stop_only`` are kept as ordinary nodes.

    Raises
    ------
    NetworkError
        If a file is missing or a column is absent or not numeric.
    """
    folder = Path(folder)
    files = {name: folder / f"{name}.csv" for name in ("nodes", "edges")}
    for name, file in files.items():
        if not file.is_file():
            msg = (
                f"{str(folder)!r} has no {name}.csv; the CSV network format needs nodes.csv "
                "and edges.csv"
            )
            raise NetworkError(msg)
    crs_file = folder / "crs.info"
    crs = crs_file.read_text().strip() if crs_file.is_file() else "EPSG:4326"
    required = {
        "nodes": ["node_index", "pos_x", "pos_y"],
        "edges": ["from_node", "to_node", "distance", "travel_time"],
    }
    frames = {}
    for name, file in files.items():
        try:
            frame = pd.read_csv(file)
        except Exception as exc:
            msg = f"cannot read {str(file)!r} as CSV: {exc}"
            raise NetworkError(msg) from exc
        missing = [c for c in required[name] if c not in frame.columns]
        if missing:
            msg = f"{str(file)!r} lacks column(s) {missing}; it needs {required[name]}"
            raise NetworkError(msg)
        for column in required[name]:
            if not pd.api.types.is_numeric_dtype(frame[column]) or frame[column].isna().any():
                bad = frame.index[pd.to_numeric(frame[column], errors="coerce").isna()]
                row = int(bad[0]) + 2 if len(bad) else "?"
                msg = f"{str(file)!r}: column {column!r} must be numeric; see line {row}"
                raise NetworkError(msg)
        frames[name] = frame
    nodes, edges = frames["nodes"], frames["edges"]
    G = nx.MultiDiGraph(crs=crs, name=folder.name)
    G.add_nodes_from(
        (int(i), {"x": float(x), "y": float(y)})
        for i, x, y in zip(nodes["node_index"], nodes["pos_x"], nodes["pos_y"], strict=True)
    )
    known = set(G.nodes)
    unknown = ~(edges["from_node"].isin(known) & edges["to_node"].isin(known))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0]) + 2
        msg = f"{str(files['edges'])!r} line {row}: edge refers to a node not in nodes.csv"
        raise NetworkError(msg)
    G.add_edges_from(
        (int(u), int(v), {"length": float(d), "travel_time": float(t)})
        for u, v, d, t in zip(
            edges["from_node"],
            edges["to_node"],
            edges["distance"],
            edges["travel_time"],
            strict=True,
        )
    )
    return G
