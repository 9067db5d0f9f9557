"""The compact road network every part of idrt routes on."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import ConvexHull, cKDTree

from idrt import routing
from idrt.errors import NetworkError
from idrt.network.ids import IdIndex
from idrt.network.speeds import ROAD_CLASSES

__all__ = ["RoadNetwork"]

_ARRAY_FIELDS = (
    "node_ids",
    "x_m",
    "y_m",
    "lon",
    "lat",
    "signal_id",
    "indptr",
    "heads",
    "edge_travel_time_s",
    "length_m",
    "speed_kmh",
    "road_class",
    "lanes",
)
_FORMAT_VERSION = 1


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A directed road network in compact (CSR) form.

    Build one with :func:`idrt.load_network`. Nodes are numbered ``0..n-1``
    internally (in a space-filling-curve order that keeps routing
    cache-friendly); the public methods take and return the *source* node ids
    (OSM ids, or ``node_index`` for the CSV format), kept in :attr:`node_ids`.

    Attributes
    ----------
    name : str
        Where the network came from (preset name, file, place).
    crs : str
        Projected CRS of :attr:`x_m`, :attr:`y_m` (a UTM zone).
    node_ids : numpy.ndarray
        int64 source id per internal node index.
    x_m, y_m : numpy.ndarray
        Projected coordinates in metres.
    lon, lat : numpy.ndarray
        WGS84 coordinates in degrees.
    signal_id : numpy.ndarray
        int32 signalised-intersection id per node, ``-1`` if not signalised.
    indptr : numpy.ndarray
        int64 (n+1,), edges of node ``u`` are ``indptr[u]:indptr[u+1]``.
    heads : numpy.ndarray
        int32 (m,), head node of each edge.
    edge_travel_time_s : numpy.ndarray
        float64 (m,), free-flow travel time of each edge in seconds; the one
        value routing, dispatch and KPIs all read.
    length_m : numpy.ndarray
        float64 (m,), length in metres.
    speed_kmh : numpy.ndarray
        float32 (m,), free-flow speed in km/h.
    road_class : numpy.ndarray
        int8 (m,), index into :data:`idrt.network.speeds.ROAD_CLASSES`.
    lanes : numpy.ndarray
        int8 (m,), lanes in the direction of travel (1 when unknown).
    dropped_nodes : int
        Nodes removed because they were outside the largest strongly
        connected component.
    """

    name: str
    crs: str
    node_ids: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    signal_id: np.ndarray
    indptr: np.ndarray
    heads: np.ndarray
    edge_travel_time_s: np.ndarray
    length_m: np.ndarray
    speed_kmh: np.ndarray
    road_class: np.ndarray
    lanes: np.ndarray
    dropped_nodes: int = 0
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in _ARRAY_FIELDS:
            getattr(self, name).flags.writeable = False

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_ids.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallel OSM edges merged to the fastest)."""
        return int(self.heads.shape[0])

    def __repr__(self) -> str:
        return (
            f"RoadNetwork({self.name!r}, nodes={self.n_nodes}, edges={self.n_edges}, "
            f"signals={self.n_signals})"
        )

    # ------------------------------------------------------------- node ids
    @cached_property
    def _id_index(self) -> IdIndex:
        return IdIndex(self.node_ids)

    def index_of(self, node_ids: Any) -> np.ndarray | int:
        """Internal indices of source node ids.

        Raises
        ------
        NetworkError
            If an id is not a node of this network (the message names it).
        """
        ids = np.asarray(node_ids)
        scalar = ids.ndim == 0
        ids = np.atleast_1d(ids)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            try:
                ids = ids.astype(np.int64, casting="safe")
            except TypeError:
                msg = (
                    f"node ids must be integers (OSM ids or CSV node_index); got {ids[:3]!r}. "
                    "Use net.nearest_node(lon, lat) to find the node at a coordinate."
                )
                raise NetworkError(msg) from None
        idx, found = self._id_index.find(ids)
        if not found.all():
            missing = ids[~found][:5].tolist()
            msg = (
                f"node id(s) {missing} are not in network {self.name!r} (it has {self.n_nodes} "
                "nodes after keeping the largest strongly connected component). Use "
                "net.nearest_node(lon, lat) to snap a coordinate to the network."
            )
            raise NetworkError(msg)
        return int(idx[0]) if scalar else idx

    # -------------------------------------------------------------- routing
    @property
    def csr(self) -> routing.CSRGraph:
        """The arrays routing kernels run on."""
        return routing.CSRGraph(self.indptr, self.heads, self.edge_travel_time_s)

    @cached_property
    def reverse_csr(self) -> routing.CSRGraph:
        """The reversed graph, for times *to* a node from many places."""
        reverse, _ = routing.reverse(self.csr)
        return reverse

    def travel_time_s(self, origin: int, destination: int) -> float:
        """Free-flow fastest travel time between two nodes, in seconds.

        Returns ``inf`` when the destination cannot be reached.
        """
        o = self.index_of(origin)
        d = self.index_of(destination)
        return float(routing.one_to_many(self.csr, o, np.array([d]))[0])

    def travel_times_from_s(
        self, origin: int, destinations: Any, *, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Travel times (s) from one node to many, ``inf`` beyond ``max_time_s``."""
        o = self.index_of(origin)
        d = np.atleast_1d(self.index_of(destinations))
        return routing.one_to_many(self.csr, o, d, max_time_s=max_time_s)

    def travel_time_table(
        self, nodes: Any, destinations: Any = None, *, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Many-to-many travel-time table in seconds.

        Parameters
        ----------
        nodes
            Origin node ids (source ids).
        destinations
            Destination node ids; the origins when omitted (a square table).
        max_time_s
            Entries slower than this are ``inf`` (searches stop there).

        Returns
        -------
        numpy.ndarray
            float32 array of shape ``(len(nodes), len(destinations))``.
        """
        sources = np.atleast_1d(self.index_of(nodes))
        targets = sources if destinations is None else np.atleast_1d(self.index_of(destinations))
        return routing.many_to_many(self.csr, sources, targets, max_time_s=max_time_s)

    def path(self, origin: int, destination: int) -> list[int]:
        """Source node ids along the fastest path, both ends included.

        Returns an empty list when the destination cannot be reached.
        """
        time_s, nodes = routing.shortest_path(
            self.csr, self.index_of(origin), self.index_of(destination)
        )
        if not math.isfinite(time_s):
            return []
        return self.node_ids[nodes].tolist()

    # ---------------------------------------------------------- geometry
    @cached_property
    def _kdtree(self):
        return cKDTree(np.column_stack([self.x_m, self.y_m]))

    @cached_property
    def _to_projected(self):
        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def project(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 degrees to this network's projected metres."""
        x, y = self._to_projected.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def nearest_node(
        self, lon: Any, lat: Any, *, projected: bool = False, return_dist: bool = False
    ) -> Any:
        """Nearest network node to coordinates (cKDTree on projected metres).

        Parameters
        ----------
        lon, lat
            WGS84 degrees (scalars or arrays); with ``projected=True``, x and y
            in metres in :attr:`crs`.
        projected
            Whether the coordinates are already projected metres.
        return_dist
            Also return the straight-line distance to the node in metres.

        Returns
        -------
        int or numpy.ndarray, and optionally the distances
            Source node ids.
        """
        x, y = (np.asarray(lon, float), np.asarray(lat, float))
        if not projected:
            x, y = self.project(x, y)
        dist, idx = self._kdtree.query(np.column_stack([np.ravel(x), np.ravel(y)]))
        ids = self.node_ids[idx]
        if np.ndim(x) == 0:
            ids, dist = int(ids[0]), float(dist[0])
        return (ids, dist) if return_dist else ids

    # ------------------------------------------------------------ signals
    @property
    def n_signals(self) -> int:
        """Number of signalised intersections (after merging clusters)."""
        return int(self.signal_id.max()) + 1 if self.signal_id.size else 0

    @cached_property
    def signals(self) -> pd.DataFrame:
        """Signalised intersections, one row each.

        Columns: ``intersection_id``, ``node_ids`` (tuple of source ids merged
        into it), ``n_nodes``, ``x_m``, ``y_m``, ``lon``, ``lat`` (centroid).
        """
        idx = np.flatnonzero(self.signal_id >= 0)
        frame = pd.DataFrame(
            {
                "intersection_id": self.signal_id[idx],
                "node_id": self.node_ids[idx],
                "x_m": self.x_m[idx],
                "y_m": self.y_m[idx],
                "lon": self.lon[idx],
                "lat": self.lat[idx],
            }
        )
        grouped = frame.groupby("intersection_id", sort=True)
        out = grouped[["x_m", "y_m", "lon", "lat"]].mean()
        out.insert(0, "n_nodes", grouped.size())
        out.insert(0, "node_ids", grouped["node_id"].agg(tuple))
        return out.reset_index()

    # ---------------------------------------------------------- summaries
    def info(self) -> dict[str, Any]:
        """Headline figures a planner checks first.

        Returns
        -------
        dict
            nodes, edges, signalised intersections, area (km², convex hull),
            total directed length (km), mean free-flow speed (km/h,
            length-weighted), dropped nodes, CRS.
        """
        points = np.column_stack([self.x_m, self.y_m])
        area_km2 = ConvexHull(points).volume / 1e6 if self.n_nodes >= 3 else 0.0
        total_m = float(self.length_m.sum())
        hours = float(self.edge_travel_time_s.sum()) / 3600.0
        return {
            "name": self.name,
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "signalised_intersections": self.n_signals,
            "signal_nodes": int((self.signal_id >= 0).sum()),
            "area_km2": round(area_km2, 3),
            "length_km": round(total_m / 1000.0, 3),
            "mean_speed_kmh": round(total_m / 1000.0 / hours, 2) if hours > 0 else 0.0,
            "dropped_nodes": self.dropped_nodes,
            "crs": self.crs,
        }

    @property
    def edge_tails(self) -> np.ndarray:
        """Tail node index of every edge (int64, (m,))."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def edges(self) -> pd.DataFrame:
        """Edges as a tidy table with source node ids and attributes."""
        tails = self.edge_tails
        return pd.DataFrame(
            {
                "u": self.node_ids[tails],
                "v": self.node_ids[self.heads],
                "length_m": self.length_m,
                "travel_time_s": self.edge_travel_time_s,
                "speed_kmh": self.speed_kmh,
                "road_class": np.asarray(ROAD_CLASSES, dtype=object)[self.road_class],
                "lanes": self.lanes,
            }
        )

    # ---------------------------------------------------------------- graph
    @property
    def graph(self) -> nx.MultiDiGraph:
        """The cleaned osmnx-style MultiDiGraph with ``travel_time`` (s) per edge.

        Exactly the travel times the kernels use (a kernel edge is the fastest
        of any parallel OSM edges). Not carried through pickling or ``.npz``:
        after a round trip it is rebuilt from the compact arrays (then without
        OSM attributes such as geometry and names).
        """
        if self._graph is None:
            object.__setattr__(self, "_graph", self._graph_from_arrays())
        return self._graph

    def _graph_from_arrays(self) -> nx.MultiDiGraph:
        G = nx.MultiDiGraph(crs="EPSG:4326", name=self.name)
        for i, nid in enumerate(self.node_ids.tolist()):
            attrs = {"x": float(self.lon[i]), "y": float(self.lat[i])}
            if self.signal_id[i] >= 0:
                attrs["highway"] = "traffic_signals"
            G.add_node(nid, **attrs)
        tails = self.edge_tails
        classes = np.asarray(ROAD_CLASSES, dtype=object)
        for e in range(self.n_edges):
            G.add_edge(
                int(self.node_ids[tails[e]]),
                int(self.node_ids[self.heads[e]]),
                length=float(self.length_m[e]),
                travel_time=float(self.edge_travel_time_s[e]),
                speed_kph=float(self.speed_kmh[e]),
                highway=str(classes[self.road_class[e]]),
                lanes=int(self.lanes[e]),
            )
        return G

    # ----------------------------------------------------- pickle and npz
    def __getstate__(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_graph"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_graph", None)
        self.__post_init__()

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the compact network as a compressed ``.npz`` file.

        The cleaned MultiDiGraph is not saved; everything routing needs is.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(".npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        meta = np.array([self.name, self.crs, str(self.dropped_nodes), str(_FORMAT_VERSION)])
        np.savez_compressed(path, _meta=meta, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RoadNetwork:
        """Load a network written by :meth:`save`.

        Raises
        ------
        NetworkError
            If the file is missing, not an idrt network, or corrupt.
        """
        path = Path(path)
        if not path.is_file():
            msg = f"network file {str(path)!r} does not exist; check the path or build it again"
            raise NetworkError(msg)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = data["_meta"].tolist()
                arrays = {name: data[name] for name in _ARRAY_FIELDS}
        except Exception as exc:
            msg = (
                f"{str(path)!r} is not a readable idrt network (.npz written by "
                f"RoadNetwork.save): {exc}. Delete it and rebuild it from its source."
            )
            raise NetworkError(msg) from exc
        if len(meta) != 4 or meta[3] != str(_FORMAT_VERSION):
            msg = f"{str(path)!r} was written by another idrt version; rebuild it from its source"
            raise NetworkError(msg)
        return cls(name=meta[0], crs=meta[1], dropped_nodes=int(meta[2]), **arrays)
