"""Travel-time oracles: the one way the simulator and dispatcher read drive times.

Two implementations of the same small interface, chosen by network size:

- :class:`DenseOracle` precomputes every pair (times and last edges, Numba,
  parallel) once per network: O(1) lookups, paths by walking predecessors.
  Memory is 12 bytes per node pair (about 100 MB at 3,000 nodes), so it is
  used up to :data:`DENSE_MAX_NODES`.
- :class:`SearchOracle` runs bounded Dijkstra searches (early exit) per query
  on large networks.

Both read the network's ``edge_travel_time_s``: the travel time of a link is
computed in one place.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from idrt.network.road_network import RoadNetwork
from idrt.routing import _kernels as rk
from idrt.routing import _tables

__all__ = ["DENSE_MAX_NODES", "DenseOracle", "SearchOracle", "oracle_for"]

DENSE_MAX_NODES = 6000
"""Largest network (nodes) for which all pairs are precomputed."""

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Base:
    def __init__(self, net: RoadNetwork) -> None:
        self.indptr = net.indptr
        self.heads = net.heads
        self.weights = net.edge_travel_time_s
        self.length_m = net.length_m
        self.tails = net.edge_tails
        self.n_nodes = net.n_nodes

    def leg(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nodes after ``a`` along the fastest path to ``b``.

        Returns the nodes with cumulative times (s) and lengths (m) at each
        of them (empty arrays if ``a == b``).
        """
        edges = self.path_edges(a, b)
        return (
            self.heads[edges].astype(np.int64),
            np.cumsum(self.weights[edges]),
            np.cumsum(self.length_m[edges]),
        )

    def path_edges(self, a: int, b: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class DenseOracle(_Base):
    """All pairs precomputed: ``time(a, b)`` is a table lookup."""

    def __init__(self, net: RoadNetwork) -> None:
        super().__init__(net)
        self.dist, self.pred = _tables.all_pairs(self.indptr, self.heads, self.weights)

    def time(self, a: int, b: int) -> float:
        """Fastest drive time a → b, s."""
        return float(self.dist[a, b])

    def times_to(self, points: np.ndarray, target: int, max_time_s: float = math.inf) -> np.ndarray:
        """Drive times from each of ``points`` to ``target``, s."""
        return self.dist[points, target]

    def times_from(
        self, source: int, points: np.ndarray, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Drive times from ``source`` to each of ``points``, s."""
        return self.dist[source, points]

    def path_edges(self, a: int, b: int) -> np.ndarray:
        """CSR edge indices along the fastest path a → b."""
        return _tables.path_edges_from_pred(self.pred[a], self.tails, a, b)


class SearchOracle(_Base):
    """Bounded Dijkstra searches per query, for networks too large for a table."""

    def __init__(self, net: RoadNetwork) -> None:
        super().__init__(net)
        r = rk.reverse_csr(self.indptr, self.heads, self.weights)
        self.r_indptr, self.r_heads, self.r_weights = r[0], r[1], r[2]

    def time(self, a: int, b: int) -> float:
        """Fastest drive time a → b, s."""
        targets = np.array([b], dtype=np.int64)
        return float(rk.one_to_many(self.indptr, self.heads, self.weights, a, targets, np.inf)[0])

    def times_to(self, points: np.ndarray, target: int, max_time_s: float = math.inf) -> np.ndarray:
        """Drive times from each of ``points`` to ``target`` (``inf`` past the bound), s."""
        points = np.ascontiguousarray(points, dtype=np.int64)
        if points.size == 0:
            return np.empty(0)
        return rk.one_to_many(
            self.r_indptr, self.r_heads, self.r_weights, target, points, max_time_s
        )

    def times_from(
        self, source: int, points: np.ndarray, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Drive times from ``source`` to each of ``points`` (``inf`` past the bound), s."""
        points = np.ascontiguousarray(points, dtype=np.int64)
        if points.size == 0:
            return np.empty(0)
        return rk.one_to_many(self.indptr, self.heads, self.weights, source, points, max_time_s)

    def path_edges(self, a: int, b: int) -> np.ndarray:
        """CSR edge indices along the fastest path a → b."""
        if a == b:
            return np.empty(0, dtype=np.int64)
        return rk.shortest_path_edges(self.indptr, self.heads, self.weights, a, b)


def oracle_for(net: RoadNetwork, kind: str = "auto") -> DenseOracle | SearchOracle:
    """The oracle for a network, built once and cached while the network lives.

    Parameters
    ----------
    net
        The road network.
    kind : {"auto", "dense", "search"}
        ``auto`` picks dense up to :data:`DENSE_MAX_NODES` nodes.
    """
    if kind == "auto":
        kind = "dense" if net.n_nodes <= DENSE_MAX_NODES else "search"
    cached = _CACHE.setdefault(net, {})
    if kind not in cached:
        cached[kind] = DenseOracle(net) if kind == "dense" else SearchOracle(net)
    return cached[kind]
