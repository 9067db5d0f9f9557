"""The Korean national standard node-link network (표준노드링크) as a road graph.

The ITS national transport information centre (국가교통정보센터, its.go.kr) and
the road agencies publish the standard node-link data as ESRI shapefiles in
EPSG:5186 (Korea 2000 / Central Belt 2010):

* ``MOCT_LINK.shp`` — one *directed* link per row (a two-way road is two
  links): ``LINK_ID``, ``F_NODE``, ``T_NODE``, ``LANES``, ``ROAD_RANK``,
  ``ROAD_TYPE``, ``ROAD_NAME``, ``MAX_SPD`` (km/h), ``LENGTH`` (m), …
* ``MOCT_NODE.shp`` — points: ``NODE_ID``, ``NODE_TYPE`` (101 = intersection,
  102 = start/end of a road, 103 = change of attributes, …), ``NODE_NAME``,
  ``TURN_P`` (turn restriction present);
* ``TURNINFO`` (``.dbf``/``.shp``/``.csv``) — turn restrictions between links.

Node ids are ten digits whose first three are the region code (Incheon
161–169, Seoul 100–124, …), so a region is cut out by id prefix.

:func:`read_nodelink` turns them into the osmnx-style MultiDiGraph that
:func:`idrt.network.network_from_graph` cleans like every other source:
speeds from ``MAX_SPD``, else from the road rank (:data:`RANK_CLASSES` maps
the rank to the OSM class whose default speed applies); ``LANES`` to lanes
(capacities of the traffic model); intersection nodes where at least three
roads meet and one of them has two lanes or more become signal candidates
(``highway=traffic_signals``). idrt routes on nodes, so turn restrictions are
not modelled: when a turn file is given they are counted and a warning says
they are ignored.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from idrt.errors import IdrtWarning, NetworkError

__all__ = [
    "LINK_FILE",
    "NODE_FILE",
    "RANK_CLASSES",
    "is_nodelink",
    "read_nodelink",
]

logger = logging.getLogger("idrt.network")

LINK_FILE = "MOCT_LINK.shp"
NODE_FILE = "MOCT_NODE.shp"
CRS = "EPSG:5186"
"""CRS of the standard node-link files (Korea 2000 / Central Belt 2010), used when no .prj."""

RANK_CLASSES: dict[int, str] = {
    101: "motorway",  # 고속국도 expressway
    102: "motorway",  # 도시고속도로 urban expressway
    103: "trunk",  # 일반국도 national road
    104: "primary",  # 특별·광역시도 metropolitan road
    105: "secondary",  # 국가지원지방도 state-funded local road
    106: "secondary",  # 지방도 local road
    107: "tertiary",  # 시군도 city/county road
    108: "residential",  # 기타 other
}
"""``ROAD_RANK`` code → OSM ``highway`` class (for the default speed and road class)."""

_LINK_COLUMNS = ("F_NODE", "T_NODE")
_INTERSECTION = 101


def is_nodelink(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a node-link link file or a folder holding one."""
    p = Path(path)
    if p.is_dir():
        return _find(p, LINK_FILE) is not None
    return p.name.upper() == LINK_FILE.upper()


def read_nodelink(
    path: str | os.PathLike[str],
    *,
    region: str | Iterable[str] | None = None,
    polygon: object | None = None,
    turns: str | os.PathLike[str] | bool | None = None,
    encoding: str | None = None,
) -> nx.MultiDiGraph:
    """Read standard node-link shapefiles into an osmnx-style MultiDiGraph.

    Parameters
    ----------
    path
        ``MOCT_LINK.shp`` or the folder holding it (``MOCT_NODE.shp`` is read
        from the same folder when present; without it node coordinates come
        from the link ends).
    region
        Keep only links whose both end nodes' ids start with one of these
        prefixes, e.g. ``"161"`` or ``[str(c) for c in range(161, 170)]``
        for Incheon.
    polygon
        Keep only links with both ends inside this shapely polygon (in
        lon/lat degrees, EPSG:4326).
    turns
        A turn-information file (``TURNINFO.dbf``/``.shp``/``.csv``); ``True``
        looks for one beside the link file. Turn restrictions cannot be
        modelled on idrt's node-based graph: they are counted and a warning
        says they are ignored.
    encoding
        Text encoding of the ``.dbf`` files; from the ``.cpg`` file when
        present, else UTF-8 with a fallback to CP949 (the published files'
        encoding).

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``, ``y`` in EPSG:5186 (the graph's ``crs``), edges with
        ``length`` (m), ``highway``, ``lanes``, ``maxspeed`` (km/h, when
        posted), ``link_id``, ``road_rank`` and ``name``.

    Raises
    ------
    NetworkError
        A missing file or column, an unreadable shapefile, or nothing left
        after the region filter.
    """
    link_path, folder = _link_path(Path(path))
    links = _read(link_path, encoding)
    _require(links, link_path, [*_LINK_COLUMNS, "LENGTH"])
    node_path = _find(folder, NODE_FILE)
    nodes = _read(node_path, encoding) if node_path is not None else None
    if nodes is not None:
        _require(nodes, node_path, ["NODE_ID"])
    crs = links.crs or CRS
    links = links.assign(
        F_NODE=_ids(links["F_NODE"], link_path, "F_NODE"),
        T_NODE=_ids(links["T_NODE"], link_path, "T_NODE"),
    )
    if region is not None:
        prefixes = (region,) if isinstance(region, str) else tuple(str(r) for r in region)
        if not prefixes or not all(p.isdigit() for p in prefixes):
            msg = f"region {region!r}: give node-id prefixes (digits), e.g. '161' for Incheon"
            raise NetworkError(msg)
        keep = links["F_NODE"].str.startswith(prefixes) & links["T_NODE"].str.startswith(prefixes)
        links = links[keep]
        if links.empty:
            msg = (
                f"no link of {str(link_path)!r} has both ends in region {prefixes}; region codes "
                "are the first three digits of NODE_ID (Incheon 161-169)"
            )
            raise NetworkError(msg)
    coords = _node_coordinates(links, nodes)
    if polygon is not None:
        links = _inside(links, coords, polygon, crs)
    G = nx.MultiDiGraph(crs=str(crs), name=folder.name or link_path.stem)
    _add_nodes(G, links, nodes, coords)
    _add_edges(G, links)
    _mark_signal_candidates(G, nodes)
    _turn_note(turns, folder, encoding)
    return G


# ---------------------------------------------------------------------- files
def _link_path(path: Path) -> tuple[Path, Path]:
    if path.is_dir():
        found = _find(path, LINK_FILE)
        if found is None:
            msg = f"{str(path)!r} holds no {LINK_FILE}; give the node-link folder or the link file"
            raise NetworkError(msg)
        return found, path
    if not path.is_file():
        msg = f"node-link file {str(path)!r} does not exist; check the path"
        raise NetworkError(msg)
    return path, path.parent


def _find(folder: Path | None, name: str) -> Path | None:
    """A file by name, case-insensitively (published archives vary)."""
    if folder is None or not folder.is_dir():
        return None
    for p in folder.iterdir():
        if p.name.upper() == name.upper():
            return p
    return None


def _read(path: Path, encoding: str | None):
    import geopandas as gpd  # noqa: PLC0415 -- geopandas, only to read node-link shapefiles

    if encoding is None:
        cpg = path.with_suffix(".cpg")
        if cpg.is_file():
            encoding = cpg.read_text(encoding="ascii", errors="ignore").strip() or None
    tries = [encoding] if encoding else ["utf-8", "cp949"]
    error: Exception | None = None
    for enc in tries:
        try:
            return gpd.read_file(path, encoding=enc, engine="pyogrio")
        except UnicodeDecodeError as exc:
            error = exc
        except Exception as exc:
            msg = f"cannot read {str(path)!r} as a shapefile ({type(exc).__name__}: {exc})"
            raise NetworkError(msg) from exc
    msg = f"cannot decode the attributes of {str(path)!r} ({error}); pass encoding='cp949'"
    raise NetworkError(msg)


def _require(frame: pd.DataFrame, path: Path, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (
            f"{str(path)!r} lacks column(s) {missing} of the standard node-link schema; "
            f"it has {list(frame.columns)}"
        )
        raise NetworkError(msg)


def _ids(values: pd.Series, path: Path, column: str) -> pd.Series:
    text = values.astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
    bad = ~text.str.fullmatch(r"\d+")
    if bad.any():
        msg = f"{str(path)!r}: {column} {text[bad].iloc[0]!r} is not a numeric node id"
        raise NetworkError(msg)
    return text


# ---------------------------------------------------------------------- graph
def _node_coordinates(links, nodes) -> dict[str, tuple[float, float]]:
    coords: dict[str, tuple[float, float]] = {}
    for geom, f, t in zip(links.geometry, links["F_NODE"], links["T_NODE"], strict=True):
        if geom is None or geom.is_empty:
            continue
        xy = np.asarray(geom.coords) if geom.geom_type == "LineString" else None
        if xy is None:  # MultiLineString: first and last point of the parts
            parts = list(geom.geoms)
            first, last = parts[0].coords[0], parts[-1].coords[-1]
        else:
            first, last = xy[0], xy[-1]
        coords.setdefault(f, (float(first[0]), float(first[1])))
        coords.setdefault(t, (float(last[0]), float(last[1])))
    if nodes is not None:
        ids = _ids(nodes["NODE_ID"], Path(NODE_FILE), "NODE_ID")
        for nid, geom in zip(ids, nodes.geometry, strict=True):
            if geom is not None and not geom.is_empty:
                coords[nid] = (float(geom.x), float(geom.y))
    return coords


def _inside(links, coords, polygon, crs):
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ids = sorted(coords)
    xy = np.array([coords[i] for i in ids])
    lon, lat = to_lonlat.transform(xy[:, 0], xy[:, 1])
    inside = shapely.contains_xy(polygon, lon, lat)
    keep = {i for i, ok in zip(ids, inside, strict=True) if ok}
    kept = links[links["F_NODE"].isin(keep) & links["T_NODE"].isin(keep)]
    if kept.empty:
        msg = "no node-link link lies inside the polygon; give it in lon/lat degrees (EPSG:4326)"
        raise NetworkError(msg)
    return kept


def _add_nodes(G, links, nodes, coords) -> None:
    used = pd.unique(pd.concat([links["F_NODE"], links["T_NODE"]]))
    missing = [n for n in used if n not in coords]
    if missing:
        msg = f"node {missing[0]} has no coordinates (no MOCT_NODE point and no link geometry)"
        raise NetworkError(msg)
    types = {}
    if nodes is not None and "NODE_TYPE" in nodes.columns:
        ids = _ids(nodes["NODE_ID"], Path(NODE_FILE), "NODE_ID")
        types = dict(zip(ids, pd.to_numeric(nodes["NODE_TYPE"], errors="coerce"), strict=True))
    for n in used:
        x, y = coords[n]
        G.add_node(int(n), x=x, y=y, node_type=types.get(n, np.nan))


def _number(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(float)


def _add_edges(G, links) -> None:
    length = _number(links, "LENGTH")
    geom_len = np.array([g.length if g is not None else np.nan for g in links.geometry])
    length = np.where(np.isfinite(length) & (length > 0), length, geom_len)
    rank = _number(links, "ROAD_RANK")
    lanes = _number(links, "LANES")
    speed = _number(links, "MAX_SPD")
    names = links["ROAD_NAME"].astype(str) if "ROAD_NAME" in links.columns else None
    ids = links["LINK_ID"].astype(str) if "LINK_ID" in links.columns else None
    for k, (f, t) in enumerate(zip(links["F_NODE"], links["T_NODE"], strict=True)):
        if f == t:
            continue
        attrs = {
            "length": float(length[k]),
            "highway": RANK_CLASSES.get(int(rank[k]), "unclassified")
            if np.isfinite(rank[k])
            else "unclassified",
            "road_rank": int(rank[k]) if np.isfinite(rank[k]) else -1,
            "oneway": True,  # a node-link link is one direction; LANES counts its lanes
        }
        if np.isfinite(lanes[k]) and lanes[k] >= 1:
            attrs["lanes"] = int(lanes[k])
        if np.isfinite(speed[k]) and speed[k] > 0:
            attrs["maxspeed"] = f"{speed[k]:g}"
        if names is not None:
            attrs["name"] = names.iat[k]
        if ids is not None:
            attrs["link_id"] = ids.iat[k]
        G.add_edge(int(f), int(t), **attrs)


def _mark_signal_candidates(G, nodes) -> None:
    """Intersections (NODE_TYPE 101) where >= 3 roads meet, one with >= 2 lanes."""
    n_marked = 0
    for n, data in G.nodes(data=True):
        if nodes is not None and data.get("node_type") != _INTERSECTION:
            continue
        neighbours = set(G.successors(n)) | set(G.predecessors(n))
        if len(neighbours) < 3:
            continue
        edges = list(G.in_edges(n, data=True)) + list(G.out_edges(n, data=True))
        if any(e[2].get("lanes", 1) >= 2 for e in edges):
            data["highway"] = "traffic_signals"
            n_marked += 1
    logger.info("node-link: %d intersections marked as signal candidates", n_marked)


def _turn_note(turns, folder: Path, encoding: str | None) -> None:
    if turns is None or turns is False:
        return
    if turns is True:
        path = next(
            (p for name in ("TURNINFO.dbf", "TURNINFO.shp", "TURNINFO.csv")
             if (p := _find(folder, name)) is not None),
            None,
        )  # fmt: skip
        if path is None:
            return
    else:
        path = Path(turns)
        if not path.is_file():
            msg = f"turn file {str(path)!r} does not exist; check the path or leave turns out"
            raise NetworkError(msg)
    if path.suffix.lower() == ".csv":
        count = len(pd.read_csv(path, encoding=encoding or "utf-8"))
    else:
        count = len(_read(path, encoding))
    warnings.warn(
        f"{count} turn restrictions in {path.name} are ignored: idrt routes on nodes, so "
        "banned turns can be taken (routes may be slightly shorter than allowed)",
        IdrtWarning,
        stacklevel=3,
    )
