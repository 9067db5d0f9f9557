"""Turn an osmnx-style MultiDiGraph into a :class:`RoadNetwork`.

The one pipeline every source goes through (GraphML, OSM XML, downloads, the
FleetPy CSV format, the synthetic presets):

1. keep the largest strongly connected component (a bus must be able to get
   back from wherever it goes) and count what was dropped;
2. project coordinates to the local UTM zone (metres);
3. fill free-flow speeds: posted ``maxspeed``, else the class default
   (:mod:`idrt.network.speeds`), unless the source already gives travel times;
4. mark signalised intersections (:mod:`idrt.network.signals`);
5. write ``travel_time`` (s) and ``speed_kph`` on every edge of the cleaned
   graph, and pack the compact CSR arrays (parallel edges merged to the
   fastest, self-loops dropped, nodes in Morton order for cache locality).
"""

from __future__ import annotations

import ast
import logging
import math
from collections.abc import Mapping

import networkx as nx
import numpy as np
from pyproj import CRS, Transformer

from idrt.errors import NetworkError, warn
from idrt.network.road_network import RoadNetwork
from idrt.network.signals import DEFAULT_SIGNAL_CLUSTER_M, cluster_signals, is_signal_tag
from idrt.network.speeds import (
    FALLBACK_SPEED_KMH,
    ROAD_CLASSES,
    parse_maxspeed_kmh,
    resolve_speeds,
    road_class_of,
)

__all__ = ["network_from_graph"]

logger = logging.getLogger("idrt.network")

_CLASS_CODE = {name: code for code, name in enumerate(ROAD_CLASSES)}

MAX_LINK_M = 200_000.0
"""Longest plausible single road link, m; a longer ``length`` is a unit or data error."""


def _dropped_message(G: nx.MultiDiGraph, scc: set, name: str) -> str:
    """How many nodes cleaning dropped, and where they are (for the warning)."""
    dropped = [n for n in G.nodes if n not in scc]
    where = ""
    try:
        xs = np.array([float(G.nodes[n]["x"]) for n in dropped])
        ys = np.array([float(G.nodes[n]["y"]) for n in dropped])
        ok = np.isfinite(xs) & np.isfinite(ys)
        if ok.any():
            where = (
                f" within x {xs[ok].min():.5f}..{xs[ok].max():.5f}, "
                f"y {ys[ok].min():.5f}..{ys[ok].max():.5f} (the graph's CRS)"
            )
    except (KeyError, TypeError, ValueError):
        pass
    examples = ", ".join(str(n) for n in dropped[:5])
    return (
        f"network {name!r}: dropped {len(dropped)} of {G.number_of_nodes()} nodes "
        f"that vehicles cannot both reach and leave (not in the largest strongly connected "
        f"part){where}, e.g. node(s) {examples}; requests there cannot be served. Check "
        "one-way tags or load a larger area if that matters"
    )


def network_from_graph(
    G: nx.MultiDiGraph,
    *,
    name: str = "network",
    speeds_kmh: Mapping[str, float] | None = None,
    signal_cluster_m: float = DEFAULT_SIGNAL_CLUSTER_M,
    use_given_travel_times: bool = True,
) -> RoadNetwork:
    """Clean an osmnx-style graph and pack it into a :class:`RoadNetwork`.

    Parameters
    ----------
    G
        Directed road graph: nodes with ``x``/``y`` (in ``G.graph["crs"]``,
        WGS84 when absent), edges with ``length`` (metres; computed from the
        coordinates when absent), optional ``highway``, ``maxspeed``, ``lanes``
        and ``travel_time`` (seconds).
    name
        Label kept on the network.
    speeds_kmh
        Per-class free-flow speed overrides (km/h), e.g. ``{"residential": 25}``.
    signal_cluster_m
        Signal-tagged nodes closer than this (metres) form one intersection.
    use_given_travel_times
        When every edge carries ``travel_time`` and no speed override is given,
        use those times instead of deriving them from speeds.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    NetworkError
        If the graph has no edges, nodes lack coordinates, or nothing strongly
        connected is left.
    """
    if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
        msg = (
            f"network {name!r} has {G.number_of_nodes()} nodes and {G.number_of_edges()} "
            "edges; a road network needs edges. Check that the file or area holds drivable "
            "roads (osmnx network_type='drive')."
        )
        raise NetworkError(msg)
    if not G.is_directed():
        G = nx.MultiDiGraph(G.to_directed())

    scc = max(nx.strongly_connected_components(G), key=len)
    dropped = G.number_of_nodes() - len(scc)
    if len(scc) < 2:
        msg = (
            f"network {name!r} has no strongly connected part with more than one node "
            "(every road leads somewhere a vehicle cannot return from). Check one-way "
            "tags, or load a larger area."
        )
        raise NetworkError(msg)
    if dropped:
        logger.warning("%s", _dropped_message(G, scc, name))
    H = G.subgraph(scc).copy()

    node_list = list(H.nodes)
    try:
        x = np.array([float(H.nodes[n]["x"]) for n in node_list])
        y = np.array([float(H.nodes[n]["y"]) for n in node_list])
    except (KeyError, TypeError, ValueError) as exc:
        msg = (
            f"network {name!r}: every node needs numeric 'x' and 'y' coordinates "
            f"(missing or bad: {exc}). Load OSM data through osmnx, which sets them."
        )
        raise NetworkError(msg) from exc
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        msg = (
            f"network {name!r}: node {node_list[k]} has coordinates x={x[k]}, y={y[k]} "
            f"({int(bad.sum())} node(s) without finite coordinates); fix or drop them in the file"
        )
        raise NetworkError(msg)
    try:
        node_ids = np.array([int(n) for n in node_list], dtype=np.int64)
    except (TypeError, ValueError) as exc:
        msg = f"network {name!r}: node ids must be integers (OSM ids); got {exc}"
        raise NetworkError(msg) from exc

    crs, x_m, y_m, lon, lat = _project(H.graph.get("crs"), x, y, name)

    # Morton (Z-order) node numbering: neighbours in space are neighbours in
    # memory, which keeps Dijkstra's heap and distance arrays cache-friendly.
    order = _morton_order(x_m, y_m)
    node_list = [node_list[i] for i in order]
    node_ids, x_m, y_m, lon, lat = (a[order] for a in (node_ids, x_m, y_m, lon, lat))
    index = {n: i for i, n in enumerate(node_list)}

    speeds = resolve_speeds(
        speeds_kmh, present={road_class_of(d.get("highway")) for _, _, d in H.edges(data=True)}
    )
    given_times = use_given_travel_times and not speeds_kmh
    given_times = given_times and all("travel_time" in d for _, _, d in H.edges(data=True))

    m = H.number_of_edges()
    tails = np.empty(m, np.int64)
    heads = np.empty(m, np.int64)
    length_m = np.empty(m)
    time_s = np.empty(m)
    speed = np.empty(m)
    road_class = np.zeros(m, np.int8)
    lanes = np.ones(m, np.int8)
    bad_lengths: list[tuple[object, object, object]] = []
    for e, (u, v, data) in enumerate(H.edges(data=True)):
        tails[e] = index[u]
        heads[e] = index[v]
        given = data.get("length")
        length = _as_float(given)
        if not math.isfinite(length) or length < 0:
            if given is not None:
                bad_lengths.append((u, v, given))
            length = math.hypot(x_m[index[u]] - x_m[index[v]], y_m[index[u]] - y_m[index[v]])
        elif length > MAX_LINK_M:
            msg = (
                f"network {name!r}: edge {u}->{v} is {length:g} m long; no road link is longer "
                f"than {MAX_LINK_M / 1000:g} km. Lengths must be in metres: fix the file's "
                "'length' attribute (or remove it to compute lengths from coordinates)"
            )
            raise NetworkError(msg)
        cls = road_class_of(data.get("highway"))
        road_class[e] = _CLASS_CODE.get(cls, 0)
        lanes[e] = _lanes(data.get("lanes"), bool(_truthy(data.get("oneway"))))
        if given_times:
            t = _as_float(data["travel_time"])
            if not math.isfinite(t) or t < 0:
                msg = (
                    f"network {name!r}: edge {u}->{v} has travel_time {data['travel_time']!r}; "
                    "travel times must be non-negative seconds"
                )
                raise NetworkError(msg)
            kmh = length / t * 3.6 if t > 0 else speeds.get(cls, FALLBACK_SPEED_KMH)
        else:
            kmh = parse_maxspeed_kmh(data.get("maxspeed"))
            if math.isnan(kmh):
                kmh = speeds.get(cls, FALLBACK_SPEED_KMH)
            t = length / (kmh / 3.6)
        length_m[e] = length
        time_s[e] = t
        speed[e] = kmh
        data["travel_time"] = t
        data["speed_kph"] = kmh

    if bad_lengths:
        u, v, given = bad_lengths[0]
        warn(
            f"network {name!r}: {len(bad_lengths)} edge(s) have a length that is not a "
            f"non-negative number of metres (e.g. {u}->{v}: {given!r}); their straight-line "
            "length between the end nodes is used instead. Fix the file's 'length' values",
            key=f"bad-lengths:{name}",
        )

    is_signal = np.array([is_signal_tag(H.nodes[n].get("highway")) for n in node_list])
    signal_id = cluster_signals(is_signal, x_m, y_m, signal_cluster_m)

    # CSR: drop self-loops, keep the fastest of parallel edges, sort by tail.
    keep = tails != heads
    tails, heads, length_m, time_s, speed, road_class, lanes = (
        a[keep] for a in (tails, heads, length_m, time_s, speed, road_class, lanes)
    )
    order = np.lexsort((time_s, heads, tails))
    tails, heads, length_m, time_s, speed, road_class, lanes = (
        a[order] for a in (tails, heads, length_m, time_s, speed, road_class, lanes)
    )
    first = np.ones(tails.size, bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, length_m, time_s, speed, road_class, lanes = (
        a[first] for a in (tails, heads, length_m, time_s, speed, road_class, lanes)
    )
    n = len(node_list)
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])

    return RoadNetwork(
        name=name,
        crs=crs,
        node_ids=node_ids,
        x_m=x_m,
        y_m=y_m,
        lon=lon,
        lat=lat,
        signal_id=signal_id,
        indptr=indptr,
        heads=heads.astype(np.int32),
        edge_travel_time_s=time_s.astype(np.float64),
        length_m=length_m.astype(np.float64),
        speed_kmh=speed.astype(np.float32),
        road_class=road_class,
        lanes=lanes,
        dropped_nodes=int(dropped),
        _graph=H,
    )


def _project(
    crs: object, x: np.ndarray, y: np.ndarray, name: str
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (projected CRS, x_m, y_m, lon, lat) for node coordinates."""
    try:
        source = CRS.from_user_input(crs) if crs else CRS.from_epsg(4326)
    except Exception as exc:
        msg = f"network {name!r}: unknown CRS {crs!r} ({exc}); set G.graph['crs'], e.g. 'EPSG:4326'"
        raise NetworkError(msg) from exc
    if source.is_geographic:
        lon, lat = x, y
        if np.abs(lat).max() > 90 or np.abs(lon).max() > 180:
            msg = (
                f"network {name!r}: coordinates are not lon/lat degrees but the graph's CRS "
                f"is geographic ({crs!r}); set G.graph['crs'] to the projected CRS"
            )
            raise NetworkError(msg)
        zone = int((float(np.mean(lon)) + 180.0) // 6.0) % 60 + 1
        epsg = (32600 if float(np.mean(lat)) >= 0 else 32700) + zone
        target = f"EPSG:{epsg}"
        x_m, y_m = Transformer.from_crs(source, target, always_xy=True).transform(lon, lat)
        return target, np.asarray(x_m, float), np.asarray(y_m, float), lon, lat
    target = source.to_string()
    lon, lat = Transformer.from_crs(source, "EPSG:4326", always_xy=True).transform(x, y)
    return target, x, y, np.asarray(lon, float), np.asarray(lat, float)


def _morton_order(x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
    """Node permutation along a Z-order curve (stable, deterministic)."""
    span = max(float(np.ptp(x_m)), float(np.ptp(y_m)), 1.0)
    qx = ((x_m - x_m.min()) / span * 65535).astype(np.uint64)
    qy = ((y_m - y_m.min()) / span * 65535).astype(np.uint64)
    code = _spread_bits(qx) | (_spread_bits(qy) << np.uint64(1))
    return np.argsort(code, kind="stable")


def _spread_bits(v: np.ndarray) -> np.ndarray:
    v = v & np.uint64(0xFFFF)
    v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
    v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
    v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
    return (v | (v << np.uint64(1))) & np.uint64(0x55555555)


def _as_float(value: object) -> float:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "yes", "1", "-1"}
    return bool(value)


def _lanes(value: object, oneway: bool) -> int:
    """Lanes in the direction of travel (OSM ``lanes`` counts both ways)."""
    if isinstance(value, (list, tuple)):
        values = [_as_float(v) for v in value]
        values = [v for v in values if math.isfinite(v)]
        total = min(values) if values else math.nan
    elif isinstance(value, str) and value.startswith("["):
        try:
            return _lanes(ast.literal_eval(value), oneway)
        except (ValueError, SyntaxError):
            total = math.nan
    else:
        total = _as_float(value)
    if not math.isfinite(total) or total < 1:
        return 1
    per_direction = total if oneway else total / 2.0
    return int(min(max(round(per_direction), 1), 8))
