"""Virtual stops: where an I-MOD-style service picks riders up.

Demand-responsive services such as I-MOD use *virtual stops*, points on the
street network a rider walks to, instead of fixed bus stops. They are placed
here by a greedy packing on the area's nodes:

1. candidates are the network nodes inside the service area, taken junctions
   first (more distinct neighbours first), then in the network's node order
   (a space-filling curve, so the sweep is spatially coherent);
2. a candidate becomes a stop unless an existing stop lies closer than
   ``spacing_m`` (straight line).

So every two stops are at least ``spacing_m`` apart, and every node of the
area lies less than ``spacing_m`` from a stop: the spacing is the target
distance between neighbouring stops. Riders then *walk on the network*: each
node of the whole network maps to every stop within ``max_walk_m`` of walking
(undirected road graph, lengths in metres, routing kernels).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from idrt import routing
from idrt.demand._validate import positive
from idrt.demand._walk import walking_graph
from idrt.demand.area import ServiceArea
from idrt.errors import DemandError
from idrt.network.ids import IdIndex

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["VirtualStops", "virtual_stops"]


@dataclass(frozen=True, eq=False)
class VirtualStops:
    """Virtual stops and, for every network node, the stops within walking distance.

    The walking map is stored CSR-like over the network's nodes: the stops
    reachable from node row ``i`` (``node_ids[i]``) are
    ``stop_index[indptr[i]:indptr[i+1]]`` (positions in :attr:`stop_nodes`),
    at ``walk_m[indptr[i]:indptr[i+1]]`` metres, nearest first (ties by stop
    position).

    Attributes
    ----------
    stop_nodes : numpy.ndarray
        int64 source node ids of the stops, in placement order.
    stop_lon, stop_lat : numpy.ndarray
        WGS84 degrees of the stops.
    node_ids : numpy.ndarray
        int64 source ids of the rows: every node of the network.
    indptr : numpy.ndarray
        int64 ``(n_nodes + 1,)``.
    stop_index : numpy.ndarray
        int32, position of each reachable stop in :attr:`stop_nodes`.
    walk_m : numpy.ndarray
        float64, walking distance in metres on the undirected road graph.
    spacing_m, max_walk_m : float
        The placement spacing and the walking radius, metres.
    """

    stop_nodes: np.ndarray
    stop_lon: np.ndarray
    stop_lat: np.ndarray
    node_ids: np.ndarray
    indptr: np.ndarray
    stop_index: np.ndarray
    walk_m: np.ndarray
    spacing_m: float
    max_walk_m: float

    def __len__(self) -> int:
        return int(self.stop_nodes.size)

    def __repr__(self) -> str:
        return (
            f"VirtualStops(stops={len(self)}, spacing_m={self.spacing_m:g}, "
            f"max_walk_m={self.max_walk_m:g}, nodes_covered={self.covered.mean():.1%})"
        )

    @cached_property
    def _id_index(self) -> IdIndex:
        return IdIndex(self.node_ids)

    def rows(self, node_ids: Any) -> np.ndarray:
        """Row of each source node id in the walking map (its internal network index).

        Row ``i``'s stops are ``stop_index[indptr[i]:indptr[i+1]]``, nearest first.

        Raises
        ------
        DemandError
            If an id is not a node of the network the stops were built on.
        """
        ids = np.atleast_1d(np.asarray(node_ids, dtype=np.int64))
        rows, found = self._id_index.find(ids)
        if not found.all():
            missing = ids[~found][:5].tolist()
            msg = f"node id(s) {missing} are not nodes of the network these stops were built on"
            raise DemandError(msg)
        return rows

    @property
    def covered(self) -> np.ndarray:
        """Boolean per row: the node has at least one stop within walking distance."""
        return np.diff(self.indptr) > 0

    def stops_near(self, node_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Stops (source node ids) within walking distance of a node, nearest first, and metres."""
        row = int(self.rows(node_id)[0])
        sl = slice(self.indptr[row], self.indptr[row + 1])
        return self.stop_nodes[self.stop_index[sl]], self.walk_m[sl].copy()

    def nearest_stop(self, node_id: Any) -> tuple[Any, Any]:
        """The nearest stop by walking and its distance in metres.

        Parameters
        ----------
        node_id
            A source node id or an array of them.

        Returns
        -------
        stop, walk_m
            Stop node id(s) (``-1`` where no stop is within ``max_walk_m``)
            and metres (``inf`` there). Scalars for a scalar input.
        """
        rows = self.rows(node_id)
        has = self.indptr[rows + 1] > self.indptr[rows]
        stop = np.full(rows.size, -1, dtype=np.int64)
        walk = np.full(rows.size, np.inf)
        first = self.indptr[rows[has]]  # each row is sorted nearest first
        stop[has] = self.stop_nodes[self.stop_index[first]]
        walk[has] = self.walk_m[first]
        if np.ndim(node_id) == 0:
            return int(stop[0]), float(walk[0])
        return stop, walk

    def to_frame(self) -> pd.DataFrame:
        """The walking map as a tidy table: ``node_id``, ``stop_node``, ``walk_m``."""
        return pd.DataFrame(
            {
                "node_id": np.repeat(self.node_ids, np.diff(self.indptr)),
                "stop_node": self.stop_nodes[self.stop_index],
                "walk_m": self.walk_m,
            }
        )

    def stops_frame(self) -> pd.DataFrame:
        """The stops: ``stop_node``, ``lon``, ``lat``."""
        return pd.DataFrame(
            {"stop_node": self.stop_nodes, "lon": self.stop_lon, "lat": self.stop_lat}
        )


def virtual_stops(
    net: RoadNetwork,
    area: ServiceArea,
    spacing_m: float = 300.0,
    *,
    max_walk_m: float = 400.0,
) -> VirtualStops:
    """Place virtual stops on the network at a target spacing and map walking access.

    Parameters
    ----------
    net
        The road network.
    area
        Stops are placed on nodes inside it.
    spacing_m
        Minimum straight-line distance between stops, metres; every area node
        ends up closer than this to some stop (see the module docstring).
    max_walk_m
        Walking radius in metres on the undirected road graph: each network
        node maps to the stops within it.

    Returns
    -------
    VirtualStops

    Raises
    ------
    DemandError
        Non-positive spacing or walking radius, or an area with no node.

    Examples
    --------
    >>> stops = virtual_stops(net, area, spacing_m=300)     # doctest: +SKIP
    >>> stop, metres = stops.nearest_stop(net.node_ids[0])  # doctest: +SKIP
    """
    spacing_m = positive(spacing_m, name="spacing_m")
    max_walk_m = positive(max_walk_m, name="max_walk_m", allow_zero=True)
    candidates = np.flatnonzero(area.node_mask(net))
    if candidates.size == 0:
        msg = (
            f"service area {area.name!r} holds no node of network {net.name!r}; "
            "check that it overlaps the network"
        )
        raise DemandError(msg)
    walk = walking_graph(net)
    stops = _place(net, walk, candidates, spacing_m)

    rows, cols, dists = [], [], []
    everyone = np.arange(net.n_nodes, dtype=np.int64)
    for k, s in enumerate(stops):
        d = routing.one_to_many(walk, int(s), everyone, max_time_s=max_walk_m)
        reach = np.flatnonzero(d <= max_walk_m)
        rows.append(reach)
        cols.append(np.full(reach.size, k, dtype=np.int32))
        dists.append(d[reach])
    node = np.concatenate(rows) if rows else np.empty(0, dtype=np.int64)
    stop_k = np.concatenate(cols) if cols else np.empty(0, dtype=np.int32)
    walk_m = np.concatenate(dists) if dists else np.empty(0, dtype=np.float64)
    order = np.lexsort((stop_k, walk_m, node))
    node, stop_k, walk_m = node[order], stop_k[order], walk_m[order]
    indptr = np.zeros(net.n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=net.n_nodes), out=indptr[1:])
    return VirtualStops(
        stop_nodes=net.node_ids[stops].astype(np.int64),
        stop_lon=net.lon[stops].copy(),
        stop_lat=net.lat[stops].copy(),
        node_ids=net.node_ids.astype(np.int64),
        indptr=indptr,
        stop_index=stop_k.astype(np.int32),
        walk_m=walk_m.astype(np.float64),
        spacing_m=spacing_m,
        max_walk_m=max_walk_m,
    )


def _place(
    net: RoadNetwork, walk: routing.CSRGraph, candidates: np.ndarray, spacing_m: float
) -> np.ndarray:
    """Greedy packing: internal indices of the stops (see the module docstring)."""
    tails = np.repeat(np.arange(walk.n_nodes, dtype=np.int64), np.diff(walk.indptr))
    pairs = np.unique(np.column_stack([tails, walk.heads]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    degree = np.bincount(pairs[:, 0], minlength=net.n_nodes)
    order = candidates[np.lexsort((candidates, -degree[candidates]))]
    xy = np.column_stack([net.x_m[order], net.y_m[order]])
    tree = cKDTree(xy)
    blocked = np.zeros(order.size, dtype=bool)
    chosen = []
    for k in range(order.size):
        if blocked[k]:
            continue
        chosen.append(order[k])
        near = np.asarray(tree.query_ball_point(xy[k], spacing_m), dtype=np.int64)
        near = near[np.hypot(*(xy[near] - xy[k]).T) < spacing_m]
        blocked[near] = True
    return np.asarray(chosen, dtype=np.int64)
