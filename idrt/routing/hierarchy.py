"""Contraction hierarchies: fast travel-time tables on big road graphs.

:func:`contract` preprocesses a :class:`~idrt.routing.CSRGraph` once (about a
second per 10,000 nodes); the :class:`ContractionHierarchy` it returns then
answers tables and one-to-many queries by searching only a few hundred nodes
per source and per target (bucket method), instead of one Dijkstra search per
source over a large part of the graph.

Exactness
---------
Every entry is the fastest travel time, as Dijkstra's is, but added up in
another order: a shortcut's weight is the sum of its halves and a table entry
the sum of a forward and a backward half. float64 addition is not
associative, so an entry can differ from :func:`idrt.routing.many_to_many`'s
in the last bits (relative difference below ``n_nodes * 2**-53``; a few ulps
in practice, and float32 tables almost always agree exactly). Code that needs
Dijkstra's sums bit for bit (the simulator's default oracles) keeps using
the Dijkstra kernels; a hierarchy is opt-in.

When it pays
------------
Tables between many points far apart on a big graph (stop tables, per-slice
tables of the traffic model, demand generation): on the 50,000-node
``city:50000`` a 1,000 x 1,000 table takes about 0.2 s instead of 3-4 s.
A bounded search with a small radius (the simulator's candidate-vehicle
searches) is already local, and Dijkstra stays the better tool there. Build
once per graph and link-time array and keep it: the build costs far more
than one table (``build_s``); a hierarchy refuses to answer for a graph whose
arrays differ from the ones it was built on.

Examples
--------
>>> import numpy as np
>>> from idrt.routing import CSRGraph
>>> g = CSRGraph(
...     indptr=np.array([0, 2, 3, 3]),
...     heads=np.array([1, 2, 2], dtype=np.int32),
...     weights_s=np.array([30.0, 90.0, 45.0]),
... )
>>> ch = contract(g)
>>> ch.many_to_many([0, 1], [2]).tolist()
[[75.0], [45.0]]
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import numba
import numpy as np
from numpy.typing import NDArray

from idrt.routing import _ch_kernels, _checks
from idrt.routing._checks import CSRGraph

__all__ = ["DEFAULT_SETTLE_LIMIT", "ContractionHierarchy", "contract"]

DEFAULT_SETTLE_LIMIT = 200
"""Most nodes a witness search settles while contracting (more: slower build,
fewer shortcuts; any value gives exact results)."""


def _fingerprint(g: CSRGraph) -> str:
    """Digest of a graph's arrays: a hierarchy answers only for its own graph."""
    h = hashlib.blake2b(digest_size=16)
    for a in g:
        h.update(np.ascontiguousarray(a).view(np.uint8))
    return h.hexdigest()


class ContractionHierarchy:
    """A road graph preprocessed for fast tables; build it with :func:`contract`.

    Attributes
    ----------
    n_nodes : int
        Nodes of the graph (same indices as the graph).
    n_shortcuts : int
        Shortcut edges added by the contraction.
    build_s : float
        Wall-clock seconds the contraction took.
    rank : ndarray of int64, shape (n,)
        Contraction order of each node.
    """

    def __init__(self, g: CSRGraph, settle_limit: int) -> None:
        t0 = time.perf_counter()
        rank, tail, head, w, child1, child2, orig = _ch_kernels.contract(
            g.indptr, g.heads, g.weights_s, settle_limit
        )
        n = g.n_nodes
        up = rank[head] > rank[tail]
        self.up_ptr, self.up_head, self.up_w, self.up_edge = _by_node(tail, head, w, up, n)
        dn = ~up
        self.dn_ptr, self.dn_tail, self.dn_w, self.dn_edge = _by_node(head, tail, w, dn, n)
        self.child1, self.child2, self.orig = child1, child2, orig
        self.rank = rank
        self.n_nodes = n
        self.n_shortcuts = int((child1 >= 0).sum())
        self.build_s = time.perf_counter() - t0
        self._graph = g
        self._fingerprint = _fingerprint(g)

    def __repr__(self) -> str:
        return (
            f"ContractionHierarchy(n_nodes={self.n_nodes}, edges={self.up_head.size}"
            f"+{self.dn_tail.size}, shortcuts={self.n_shortcuts}, build_s={self.build_s:.2f})"
        )

    def is_for(self, g: CSRGraph) -> bool:
        """Whether this hierarchy was built on ``g`` (same arrays, same link times)."""
        mine = self._graph
        if all(a is b for a, b in zip(g, mine, strict=True)):
            return True
        return len(g[0]) - 1 == self.n_nodes and _fingerprint(g) == self._fingerprint

    def many_to_many(
        self,
        sources: Sequence[int] | NDArray[np.integer],
        targets: Sequence[int] | NDArray[np.integer] | None = None,
        *,
        max_time_s: float = np.inf,
        dtype: type = np.float32,
    ) -> NDArray[np.floating]:
        """Table of fastest travel times between two sets of nodes.

        Parameters
        ----------
        sources : sequence of int
            Origin node indices (rows); duplicates allowed.
        targets : sequence of int, optional
            Destination node indices (columns); duplicates allowed. Default:
            all nodes.
        max_time_s : float, default inf
            Entries above this many seconds are ``inf``.
        dtype : {np.float32, np.float64}
            Element type of the table; float32 as
            :func:`idrt.routing.many_to_many` gives.

        Returns
        -------
        ndarray, shape (len(sources), len(targets))
            Travel time in seconds; ``inf`` where unreachable or above the bound.

        Raises
        ------
        ValueError
            If a node index is out of range, the bound is negative or NaN, or
            ``dtype`` is not float32 or float64.
        """
        n = self.n_nodes
        src, tgt = _checks.table_nodes(sources, targets, n)
        bound = _checks.bound(max_time_s)
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            msg = f"dtype must be np.float32 or np.float64, got {dtype!r}"
            raise ValueError(msg)
        us, inv_s = np.unique(src, return_inverse=True)
        ut, inv_t = np.unique(tgt, return_inverse=True)
        out, _ = _ch_kernels.table(
            self.up_ptr, self.up_head, self.up_w, None, self.dn_ptr, self.dn_tail, self.dn_w, None,
            us, ut, bound, numba.get_num_threads(),
        )  # fmt: skip
        if us.size != src.size or not np.array_equal(us, src):
            out = out[inv_s]
        if ut.size != tgt.size or not np.array_equal(ut, tgt):
            out = out[:, inv_t]
        return out.astype(dtype, copy=False)

    def one_to_many(
        self,
        source: int,
        targets: Sequence[int] | NDArray[np.integer],
        *,
        max_time_s: float = np.inf,
    ) -> NDArray[np.float64]:
        """Fastest travel times from one node to some nodes, float64 seconds.

        Same contract as :func:`idrt.routing.one_to_many` (``inf`` where
        unreachable or above ``max_time_s``); sums may differ in the last bits.
        """
        source = _checks.node(source, "source", self.n_nodes)
        row = self.many_to_many([source], targets, max_time_s=max_time_s, dtype=np.float64)
        return row[0]

    def many_to_one(
        self,
        sources: Sequence[int] | NDArray[np.integer],
        target: int,
        *,
        max_time_s: float = np.inf,
    ) -> NDArray[np.float64]:
        """Fastest travel times from some nodes to one node, float64 seconds."""
        target = _checks.node(target, "target", self.n_nodes)
        col = self.many_to_many(sources, [target], max_time_s=max_time_s, dtype=np.float64)
        return col[:, 0]


def _by_node(key, other, w, keep, n):
    """Edges ``keep`` grouped by ``key`` node in CSR form (stable)."""
    idx = np.flatnonzero(keep)
    order = idx[np.argsort(key[idx], kind="stable")]
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(key[order], minlength=n), out=ptr[1:])
    return ptr, other[order].copy(), w[order].copy(), order.astype(np.int64)


def contract(g: CSRGraph, *, settle_limit: int = DEFAULT_SETTLE_LIMIT) -> ContractionHierarchy:
    """Build a contraction hierarchy of a road graph.

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds (``inf`` edges are unusable).
    settle_limit : int, default DEFAULT_SETTLE_LIMIT
        Most nodes one witness search settles while contracting; >= 1.

    Returns
    -------
    ContractionHierarchy
        Answers tables for ``g`` only; rebuild it when link times change.

    Raises
    ------
    ValueError
        If ``g`` is malformed or ``settle_limit`` is not a positive integer.
    """
    g = _checks.graph(g)
    if isinstance(settle_limit, bool) or not isinstance(settle_limit, int | np.integer):
        msg = f"settle_limit must be a positive integer, got {settle_limit!r}"
        raise ValueError(msg)
    if settle_limit < 1:
        msg = f"settle_limit must be >= 1, got {settle_limit}"
        raise ValueError(msg)
    return ContractionHierarchy(g, int(settle_limit))
