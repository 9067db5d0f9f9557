"""Travel-time oracles: the one way the simulator and dispatcher read drive times.

Three implementations of one small interface, chosen by network size:

- :class:`DenseOracle` precomputes every pair (times and last edges, Numba,
  parallel) once per network: O(1) lookups, paths by walking predecessors.
  Memory is 12 bytes per node pair (about 100 MB at 3,000 nodes), so it is
  used up to :data:`DENSE_MAX_NODES`.
- :class:`SubsetOracle` precomputes times and path lengths between a subset
  of nodes (virtual stops and depots in stop-based service) and searches for
  anything else: large networks in stop-based mode.
- :class:`SearchOracle` runs bounded Dijkstra searches (early exit) per query.
- :class:`HierarchySubsetOracle` is a :class:`SubsetOracle` whose stop
  tables come from a contraction hierarchy (bucket method) instead of one
  Dijkstra search per stop: used from :data:`HIERARCHY_MIN_NODES` nodes on
  (``kind="auto"``), or asked for as ``kind="hierarchy"``.

All read one link-time array (the network's ``edge_travel_time_s``, or one
hourly slice of the traffic model's tables) and agree bit for bit: a time is
always the sum of edge times along the path in path order, as Dijkstra
accumulates it. The one exception is :class:`HierarchySubsetOracle`: its
table times are the same fastest times summed in another order (shortcut
halves, forward plus backward half), a few ulps apart at most, and its
lengths are those of *a* fastest path (another of equal time may be
Dijkstra's). That is exact, not bit-identical, which is why it is used only
where the Dijkstra tables cost minutes (200,000 nodes: 11,000 stops).

:class:`TimeDependentOracle` holds one oracle per time slice of a
:class:`~idrt.traffic.TimeSlicedTravelTimes` table, built on first use;
``oracle.at(t)`` is the oracle for the slice holding time ``t`` (the static
oracles return themselves). Slice oracles live in one process-wide store keyed
by the content of the graph and the slice's link times (not by object), so
every run of a sweep or a replication loop with the same planning tables
reuses them, up to :data:`SLICE_CACHE_BYTES`.
"""

from __future__ import annotations

import hashlib
import math
import time
import weakref
from collections import OrderedDict

import numba
import numpy as np

from idrt.network.road_network import RoadNetwork
from idrt.routing import CSRGraph, contract
from idrt.routing import kernels as rk  # raw kernels: the oracles hold checked arrays
from idrt.routing.stop_tables import subset_tables

__all__ = [
    "DENSE_MAX_NODES",
    "HIERARCHY_MIN_NODES",
    "SLICE_CACHE_BYTES",
    "TIME_DEPENDENT_DENSE_MAX_NODES",
    "DenseOracle",
    "HierarchySubsetOracle",
    "SearchOracle",
    "SubsetOracle",
    "TimeDependentOracle",
    "oracle_for",
    "time_dependent_kind",
]

DENSE_MAX_NODES = 6000
"""Largest network (nodes) for which all pairs are precomputed."""

TIME_DEPENDENT_DENSE_MAX_NODES = 3500
"""Largest network (nodes) whose time slices get all-pairs tables (``kind="auto"``).

A slice table is 12 bytes per node pair (147 MB at 3,500 nodes); a service
day of 13 hourly slices then fits in :data:`SLICE_CACHE_BYTES`.
"""

HIERARCHY_MIN_NODES = 100_000
"""Smallest network (nodes) whose stop tables come from a contraction hierarchy (``auto``).

Below it stop tables are Dijkstra's, bit-identical to searches (the 50,000-node
city keeps its results); from it on one search per stop over the whole graph
costs minutes (about 10 on 200,000 nodes with 11,000 stops) and the hierarchy
seconds.
"""

SLICE_CACHE_BYTES = 2 * 2**30
"""Memory for the tables of time-slice oracles kept between runs (least recently used go)."""

TRANSPOSE_MAX_BYTES = 2**28
"""Tables up to this size get a transposed copy for :meth:`SearchOracle.lookup_into` (256 MiB)."""

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _digest(*arrays: np.ndarray) -> bytes:
    """A content key of arrays (their bytes, dtypes and shapes)."""
    h = hashlib.blake2b(digest_size=16)
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.data)
    return h.digest()


def _table_bytes(oracle) -> int:
    """Bytes held by an oracle's tables (0 for searches)."""
    total = 0
    for name in ("dist", "pred", "table_s", "table_m", "r_indptr", "r_heads", "r_weights"):
        arr = getattr(oracle, name, None)
        if arr is not None:
            total += arr.nbytes
    return total


class _SliceStore:
    """Slice oracles by content key, least recently used dropped past a byte budget."""

    def __init__(self) -> None:
        self.items: OrderedDict = OrderedDict()
        self.nbytes = 0

    def get(self, key):
        oracle = self.items.get(key)
        if oracle is not None:
            self.items.move_to_end(key)
        return oracle

    def put(self, key, oracle) -> None:
        size = _table_bytes(oracle)
        self.items[key] = oracle
        self.nbytes += size
        while self.nbytes > SLICE_CACHE_BYTES and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.nbytes -= _table_bytes(old)

    def clear(self) -> None:
        self.items.clear()
        self.nbytes = 0


_SLICES = _SliceStore()


class SearchOracle:
    """Bounded Dijkstra searches per query, for networks too large for a table.

    Parameters
    ----------
    net
        The road network.
    weights_s
        Link times to route on, s per edge; the network's free-flow
        ``edge_travel_time_s`` when omitted.
    """

    def __init__(self, net: RoadNetwork, weights_s: np.ndarray | None = None) -> None:
        self.indptr = net.indptr
        self.heads = net.heads
        self.weights = net.edge_travel_time_s if weights_s is None else weights_s
        self.edge_length_m = net.length_m
        self.tails = net.edge_tails
        self.n_nodes = net.n_nodes
        r = rk.reverse_csr(self.indptr, self.heads, self.weights)
        self.r_indptr, self.r_heads, self.r_weights = r[0], r[1], r[2]

    def at(self, time_s: float) -> SearchOracle:
        """The oracle valid at ``time_s``: itself (link times do not vary)."""
        return self

    def lower_bound(self) -> SearchOracle:
        """An oracle whose times never exceed this one's at any time: itself."""
        return self

    lookup: tuple[np.ndarray, np.ndarray] | None = None
    """``(table, slot)`` of an oracle with a table: times between the nodes
    with ``slot >= 0`` are ``table[slot[a], slot[b]]``."""

    _table_to: np.ndarray | None = None

    def lookup_into(self) -> tuple[np.ndarray, np.ndarray]:
        """``(table_to, slot)``: the table's transpose, ``table_to[slot[b], slot[a]]`` from a to b.

        One row of it holds every time into one node, so gathering the times
        from many nodes into one reads one row of memory instead of one
        cache line per node. A C-ordered copy, made on the first call and
        kept (the table's size again; up to :data:`TRANSPOSE_MAX_BYTES`,
        else the transposed view). None without a table.
        """
        if self.lookup is None:
            return None
        table, slot = self.lookup
        if self._table_to is None:
            if table.nbytes <= TRANSPOSE_MAX_BYTES:
                self._table_to = np.ascontiguousarray(table.T)
            else:
                self._table_to = table.T
        return self._table_to, slot

    def search_times_to(self, points: np.ndarray, target: int, max_time_s: float) -> np.ndarray:
        """:meth:`times_to` by a bounded search (``inf`` past the bound), s."""
        return SearchOracle.times_to(self, points, target, max_time_s)

    def search_times_from(self, source: int, points: np.ndarray, max_time_s: float) -> np.ndarray:
        """:meth:`times_from` by a bounded search (``inf`` past the bound), s."""
        return SearchOracle.times_from(self, source, points, max_time_s)

    def time(self, a: int, b: int) -> float:
        """Fastest drive time a → b, s."""
        if a == b:
            return 0.0
        targets = np.array([b], dtype=np.int64)
        return float(rk.one_to_many(self.indptr, self.heads, self.weights, a, targets, np.inf)[0])

    def length_m(self, a: int, b: int) -> float:
        """Length of the fastest path a → b, m."""
        return float(self.edge_length_m[self.path_edges(a, b)].sum())

    def times_to(self, points: np.ndarray, target: int, max_time_s: float = math.inf) -> np.ndarray:
        """Drive times from each of ``points`` to ``target`` (``inf`` past the bound), s."""
        points = np.ascontiguousarray(points, dtype=np.int64)
        if points.size == 0:
            return np.empty(0)
        return rk.one_to_many(
            self.r_indptr, self.r_heads, self.r_weights, target, points, max(max_time_s, 0.0)
        )

    def times_from(
        self, source: int, points: np.ndarray, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Drive times from ``source`` to each of ``points`` (``inf`` past the bound), s."""
        points = np.ascontiguousarray(points, dtype=np.int64)
        if points.size == 0:
            return np.empty(0)
        return rk.one_to_many(
            self.indptr, self.heads, self.weights, source, points, max(max_time_s, 0.0)
        )

    def path_edges(self, a: int, b: int) -> np.ndarray:
        """CSR edge indices along the fastest path a → b."""
        if a == b:
            return np.empty(0, dtype=np.int64)
        return rk.shortest_path_edges(self.indptr, self.heads, self.weights, a, b)

    def leg(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nodes after ``a`` along the fastest path to ``b``.

        Returns the nodes with cumulative times (s) and lengths (m) at each
        of them (empty arrays if ``a == b``).
        """
        edges = self.path_edges(a, b)
        return (
            self.heads[edges].astype(np.int64),
            np.cumsum(self.weights[edges]),
            np.cumsum(self.edge_length_m[edges]),
        )


class DenseOracle(SearchOracle):
    """All pairs precomputed: ``time(a, b)`` is a table lookup."""

    def __init__(self, net: RoadNetwork, weights_s: np.ndarray | None = None) -> None:
        super().__init__(net, weights_s)
        self.dist, self.pred = rk.all_pairs(self.indptr, self.heads, self.weights)
        self.lookup = (self.dist, np.arange(self.n_nodes, dtype=np.int64))

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
        return rk.path_edges_from_pred(self.pred[a], self.tails, a, b)


class SubsetOracle(SearchOracle):
    """Times and path lengths precomputed between a subset of nodes; searches elsewhere."""

    def __init__(
        self, net: RoadNetwork, nodes: np.ndarray, weights_s: np.ndarray | None = None
    ) -> None:
        super().__init__(net, weights_s)
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        self.subset = nodes
        self.slot = np.full(net.n_nodes, -1, dtype=np.int64)
        self.slot[nodes] = np.arange(nodes.size)
        self.table_s, self.table_m = rk.subset_tables(
            self.indptr, self.heads, self.weights, self.edge_length_m, nodes,
            numba.get_num_threads(),
        )  # fmt: skip
        self.lookup = (self.table_s, self.slot)

    def time(self, a: int, b: int) -> float:
        """Fastest drive time a → b, s."""
        i, j = self.slot[a], self.slot[b]
        if i >= 0 and j >= 0:
            return float(self.table_s[i, j])
        return super().time(a, b)

    def length_m(self, a: int, b: int) -> float:
        """Length of the fastest path a → b, m."""
        i, j = self.slot[a], self.slot[b]
        if i >= 0 and j >= 0:
            return float(self.table_m[i, j])
        return super().length_m(a, b)

    def times_to(self, points: np.ndarray, target: int, max_time_s: float = math.inf) -> np.ndarray:
        """Drive times from each of ``points`` to ``target``, s."""
        j = self.slot[target]
        if j < 0:
            return super().times_to(points, target, max_time_s)
        slots = self.slot[points]
        out = self.table_s[np.maximum(slots, 0), j]
        off = slots < 0
        if off.any():
            out[off] = super().times_to(points[off], target, max_time_s)
        return out

    def times_from(
        self, source: int, points: np.ndarray, max_time_s: float = math.inf
    ) -> np.ndarray:
        """Drive times from ``source`` to each of ``points``, s."""
        i = self.slot[source]
        if i < 0:
            return super().times_from(source, points, max_time_s)
        slots = self.slot[points]
        out = self.table_s[i, np.maximum(slots, 0)]
        off = slots < 0
        if off.any():
            out[off] = super().times_from(source, points[off], max_time_s)
        return out


class HierarchySubsetOracle(SubsetOracle):
    """:class:`SubsetOracle` with its tables from a contraction hierarchy.

    The hierarchy of the network's link times is built once (about 1-3 s
    per 10,000 nodes), then the stop table by the bucket method, times and
    the lengths of those paths together. Lookups, and searches for nodes
    outside the subset, are :class:`SubsetOracle`'s.

    Attributes
    ----------
    hierarchy_build_s, table_build_s : float
        Wall-clock seconds of the contraction and of the tables.
    """

    def __init__(
        self, net: RoadNetwork, nodes: np.ndarray, weights_s: np.ndarray | None = None
    ) -> None:
        SearchOracle.__init__(self, net, weights_s)
        nodes = np.unique(np.asarray(nodes, dtype=np.int64))
        self.subset = nodes
        self.slot = np.full(net.n_nodes, -1, dtype=np.int64)
        self.slot[nodes] = np.arange(nodes.size)
        t0 = time.perf_counter()
        ch = contract(CSRGraph(self.indptr, self.heads, np.ascontiguousarray(self.weights)))
        self.hierarchy_build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.table_s, self.table_m = subset_tables(ch, self.edge_length_m, nodes)
        self.table_build_s = time.perf_counter() - t0
        self.lookup = (self.table_s, self.slot)


class TimeDependentOracle:
    """One oracle per time slice of an hourly link-time table.

    Dispatch at time ``t`` plans with ``at(t)``: the oracle over the link
    times of the slice holding ``t`` (a table per slice, as the traffic model
    gives them). Slice oracles are built on first use and kept in a
    process-wide store keyed by content (graph and link times), so runs with
    the same planning tables (every seed of a scenario with historical
    tables) share them; tables past :data:`SLICE_CACHE_BYTES` (a dense table
    is about 100 MB at 3,000 nodes) are dropped least recently used first.

    Parameters
    ----------
    net
        The road network.
    weights_s
        float64 ``(n_slices, m)``: link times per slice, s.
    slice_s
        Length of a slice, s; slice ``h`` covers ``[h slice_s, (h+1) slice_s)``
        and times wrap daily.
    kind : {"dense", "subset", "search"}
        Oracle of each slice (see :func:`oracle_for`).
    subset
        Nodes worth a table for ``kind="subset"``.
    """

    def __init__(
        self,
        net: RoadNetwork,
        weights_s: np.ndarray,
        slice_s: float,
        *,
        kind: str = "search",
        subset: np.ndarray | None = None,
    ) -> None:
        self.net = net
        self.weights_s = np.asarray(weights_s, dtype=np.float64)
        self.slice_s = float(slice_s)
        self.kind = kind
        self.subset = subset
        if kind in ("subset", "hierarchy"):
            if subset is None:
                msg = f"a {kind} oracle needs the subset of nodes (stops and depots)"
                raise ValueError(msg)
            self.subset = np.unique(np.asarray(subset, dtype=np.int64))
        graph = _digest(net.indptr, net.heads, net.length_m)
        extra = _digest(self.subset) if kind in ("subset", "hierarchy") else b""
        # slices with identical link times share one key, hence one oracle
        self._keys = [
            (kind, graph, extra, _digest(row)) for row in self.weights_s
        ]  # fmt: skip
        self._last = (-1, None)

    @property
    def n_slices(self) -> int:
        """Number of time slices."""
        return int(self.weights_s.shape[0])

    def slice_of(self, time_s: float) -> int:
        """Slice holding ``time_s`` (seconds after midnight; wraps daily)."""
        return math.floor(time_s / self.slice_s) % self.n_slices

    def lower_bound(self) -> SearchOracle:
        """An oracle on the least link time of every edge over all slices.

        Its times never exceed any slice's, so no plan made in any slice
        drives between two nodes faster than it says (candidate pruning).
        """
        lower = self.weights_s.min(axis=0)
        key = (self.kind, self._keys[0][1], self._keys[0][2], b"min" + _digest(lower))
        oracle = _SLICES.get(key)
        if oracle is None:
            oracle = self._build(lower)
            _SLICES.put(key, oracle)
        return oracle

    def _build(self, weights: np.ndarray) -> SearchOracle:
        weights = np.ascontiguousarray(weights)
        if self.kind == "dense":
            return DenseOracle(self.net, weights)
        if self.kind == "subset":
            return SubsetOracle(self.net, self.subset, weights)
        if self.kind == "hierarchy":
            return HierarchySubsetOracle(self.net, self.subset, weights)
        return SearchOracle(self.net, weights)

    def at(self, time_s: float) -> SearchOracle:
        """The oracle of the slice holding ``time_s``."""
        h = self.slice_of(time_s)
        last_h, oracle = self._last
        if h == last_h:
            return oracle
        key = self._keys[h]
        oracle = _SLICES.get(key)
        if oracle is None:
            oracle = self._build(self.weights_s[h])
            _SLICES.put(key, oracle)
        self._last = (h, oracle)
        return oracle


def time_dependent_kind(
    net: RoadNetwork, subset: np.ndarray | None = None, *, reused: bool = True
) -> str:
    """The slice oracle ``kind="auto"`` means for a :class:`TimeDependentOracle`.

    Stop tables where a subset is given (stop-based service); all-pairs
    tables per slice up to :data:`TIME_DEPENDENT_DENSE_MAX_NODES` nodes when
    the tables are ``reused`` (historical link times, the same for every seed:
    built once, then every dispatch is a lookup); searches otherwise (the
    realised day's tables of real-time information change with the seed, and
    a day of slice tables costs more than one run's searches).
    """
    if subset is not None:
        return "hierarchy" if net.n_nodes >= HIERARCHY_MIN_NODES else "subset"
    if reused and net.n_nodes <= TIME_DEPENDENT_DENSE_MAX_NODES:
        return "dense"
    return "search"


def oracle_for(
    net: RoadNetwork, kind: str = "auto", *, subset: np.ndarray | None = None
) -> DenseOracle | SubsetOracle | SearchOracle:
    """The oracle for a network, built once and cached while the network lives.

    Parameters
    ----------
    net
        The road network.
    kind : {"auto", "dense", "subset", "hierarchy", "search"}
        ``auto``: dense up to :data:`DENSE_MAX_NODES` nodes, else subset
        tables when ``subset`` is given (stop-based service; from a
        contraction hierarchy from :data:`HIERARCHY_MIN_NODES` nodes on),
        else searches.
    subset
        Internal node indices worth a table (stops, depots).
    """
    if kind == "auto":
        if net.n_nodes <= DENSE_MAX_NODES:
            kind = "dense"
        else:
            kind = "subset" if subset is not None else "search"
            if kind == "subset" and net.n_nodes >= HIERARCHY_MIN_NODES:
                kind = "hierarchy"
    key: tuple = (kind,)
    if kind in ("subset", "hierarchy"):
        if subset is None:
            msg = f"a {kind} oracle needs the subset of nodes (stops and depots)"
            raise ValueError(msg)
        subset = np.unique(np.asarray(subset, dtype=np.int64))
        key = (kind, subset.tobytes())
    cached = _CACHE.setdefault(net, {})
    if key not in cached:
        if kind == "dense":
            cached[key] = DenseOracle(net)
        elif kind == "subset":
            cached[key] = SubsetOracle(net, subset)
        elif kind == "hierarchy":
            cached[key] = HierarchySubsetOracle(net, subset)
        else:
            cached[key] = SearchOracle(net)
    return cached[key]
