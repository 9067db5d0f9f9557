"""Fastest paths and travel-time tables on a road graph in CSR form.

Thin validated wrappers around the Numba kernels of
:mod:`idrt.routing._kernels` (also public, unchecked, as ``idrt.routing.kernels``
for callers such as the simulator's oracles that hold checked arrays). Each
wrapper checks its input once, raises
:class:`ValueError` with a message naming the argument, the value and the
fix, converts the arrays to the contiguous dtypes the kernels expect, and
calls the kernel. Travel times are in seconds throughout.

Examples
--------
A one-way street 0 -> 1 -> 2 (30 s, then 45 s) and a 90 s bypass 0 -> 2:

>>> import numpy as np
>>> g = CSRGraph(
...     indptr=np.array([0, 2, 3, 3]),
...     heads=np.array([1, 2, 2], dtype=np.int32),
...     weights_s=np.array([30.0, 90.0, 45.0]),
... )
>>> one_to_many(g, 0, [2, 1]).tolist()
[75.0, 30.0]
>>> t, nodes = shortest_path(g, 0, 2)
>>> float(t), nodes.tolist()
(75.0, [0, 1, 2])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from idrt.routing import _checks, _kernels
from idrt.routing import _kernels as kernels
from idrt.routing._checks import CSRGraph
from idrt.routing._csa import earliest_arrivals
from idrt.routing.hierarchy import ContractionHierarchy, contract

__all__ = [
    "CSRGraph",
    "ContractionHierarchy",
    "ShortestPathTree",
    "contract",
    "earliest_arrivals",
    "kernels",
    "many_to_many",
    "one_to_all",
    "one_to_many",
    "reverse",
    "shortest_path",
]


class ShortestPathTree(NamedTuple):
    """Result of :func:`one_to_all`: times and the tree of fastest paths.

    Attributes
    ----------
    time_s : ndarray of float64, shape (n,)
        Fastest travel time from the source to each node in seconds;
        ``inf`` where unreachable.
    pred_edge : ndarray of int64, shape (n,)
        CSR index of the last edge on a fastest path to each node; ``-1`` for
        the source and for unreachable nodes.
    """

    time_s: NDArray[np.float64]
    pred_edge: NDArray[np.int64]


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------
def one_to_all(g: CSRGraph, source: int) -> ShortestPathTree:
    """Fastest travel times from one node to every node.

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds.
    source : int
        Origin node index.

    Returns
    -------
    ShortestPathTree
        ``time_s`` (float64, seconds, ``inf`` where unreachable) and
        ``pred_edge`` (int64, last edge of a fastest path, ``-1`` for the
        source and unreachable nodes).

    Raises
    ------
    ValueError
        If ``g`` is malformed or ``source`` is not a node.
    """
    g = _checks.graph(g)
    source = _checks.node(source, "source", g.n_nodes)
    dist, pred = _kernels.one_to_all(g.indptr, g.heads, g.weights_s, source)
    return ShortestPathTree(dist, pred)


def one_to_many(
    g: CSRGraph,
    source: int,
    targets: Sequence[int] | NDArray[np.integer],
    *,
    max_time_s: float = np.inf,
    hierarchy: ContractionHierarchy | None = None,
) -> NDArray[np.float64]:
    """Fastest travel times from one node to some nodes, within a time bound.

    The search stops once every target is reached, or once every node left
    is farther than ``max_time_s``, so a small bound keeps it local. For
    times *to* one node *from* many, call this on :func:`reverse` ``(g)``.

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds.
    source : int
        Origin node index.
    targets : sequence of int
        Destination node indices; duplicates allowed.
    max_time_s : float, default inf
        Search radius in seconds; ``>= 0``.
    hierarchy : ContractionHierarchy, optional
        Answer from this hierarchy of ``g`` (see :func:`contract`) instead of
        a Dijkstra search: faster for many far targets, equal up to float64
        rounding (see :mod:`idrt.routing.hierarchy`).

    Returns
    -------
    ndarray of float64, shape (len(targets),)
        Travel time in seconds; ``inf`` where a target is unreachable or
        farther than ``max_time_s`` (a time equal to the bound is kept).

    Raises
    ------
    ValueError
        If ``g`` is malformed, a node index is out of range, or the bound is
        negative or NaN.
    """
    g = _checks.graph(g)
    n = g.n_nodes
    source = _checks.node(source, "source", n)
    targets = _checks.nodes(targets, "targets", n)
    bound = _checks.bound(max_time_s)
    if hierarchy is not None:
        _check_hierarchy(hierarchy, g)
        return hierarchy.one_to_many(source, targets, max_time_s=bound)
    return _kernels.one_to_many(g.indptr, g.heads, g.weights_s, source, targets, bound)


def many_to_many(
    g: CSRGraph,
    sources: Sequence[int] | NDArray[np.integer],
    targets: Sequence[int] | NDArray[np.integer] | None = None,
    *,
    max_time_s: float = np.inf,
    hierarchy: ContractionHierarchy | None = None,
) -> NDArray[np.float32]:
    """Table of fastest travel times between two sets of nodes, in parallel.

    Runs one bounded search per source, spread over Numba's threads
    (``numba.set_num_threads`` sets how many); with a ``hierarchy``, runs
    the bucket method on it instead (about 20x faster for a 1,000 x 1,000
    stop table on a 50,000-node city, once the hierarchy is built).

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds.
    sources : sequence of int
        Origin node indices (rows); duplicates allowed.
    targets : sequence of int, optional
        Destination node indices (columns); duplicates allowed. Default: all
        nodes, which makes a ``len(sources) x n`` table.
    max_time_s : float, default inf
        Search radius in seconds; ``>= 0``.
    hierarchy : ContractionHierarchy, optional
        A hierarchy of ``g`` from :func:`contract`. Entries then equal the
        Dijkstra table's up to float64 rounding before the cast to float32
        (see :mod:`idrt.routing.hierarchy`).

    Returns
    -------
    ndarray of float32, shape (len(sources), len(targets))
        Travel time in seconds; ``inf`` where unreachable or farther than
        ``max_time_s``. float32 keeps big tables small and is exact to about
        1 ms for trips under an hour.

    Raises
    ------
    ValueError
        If ``g`` is malformed, a node index is out of range, the bound is
        negative or NaN, or ``hierarchy`` was built on another graph.
    """
    g = _checks.graph(g)
    n = g.n_nodes
    if hierarchy is not None:
        _check_hierarchy(hierarchy, g)
        return hierarchy.many_to_many(sources, targets, max_time_s=max_time_s)
    sources, targets = _checks.table_nodes(sources, targets, n)
    bound = _checks.bound(max_time_s)
    return _kernels.many_to_many(
        g.indptr, g.heads, g.weights_s, sources, targets, bound, numba.get_num_threads()
    )


def _check_hierarchy(hierarchy: ContractionHierarchy, g: CSRGraph) -> None:
    """Refuse a hierarchy built on another graph or other link times."""
    if not isinstance(hierarchy, ContractionHierarchy):
        msg = f"hierarchy must come from routing.contract(g), got {type(hierarchy).__name__}"
        raise ValueError(msg)
    if not hierarchy.is_for(g):
        msg = (
            "hierarchy was built on another graph or other link times than g; "
            "rebuild it with routing.contract(g)"
        )
        raise ValueError(msg)


def shortest_path(g: CSRGraph, source: int, target: int) -> tuple[float, NDArray[np.int64]]:
    """One fastest path between two nodes.

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds.
    source, target : int
        End node indices.

    Returns
    -------
    time_s : float
        Travel time in seconds; ``0.0`` if ``source == target``, ``inf`` if
        ``target`` cannot be reached.
    nodes : ndarray of int64
        Node indices along the path, both ends included; ``[source]`` if
        ``source == target``, empty if ``target`` cannot be reached.

    Raises
    ------
    ValueError
        If ``g`` is malformed or an end is not a node.
    """
    g = _checks.graph(g)
    n = g.n_nodes
    source = _checks.node(source, "source", n)
    target = _checks.node(target, "target", n)
    if source == target:
        return 0.0, np.array([source], dtype=np.int64)
    edges = _kernels.shortest_path_edges(g.indptr, g.heads, g.weights_s, source, target)
    if edges.size == 0:
        return np.inf, np.empty(0, dtype=np.int64)
    nodes = np.empty(edges.size + 1, dtype=np.int64)
    nodes[0] = source
    nodes[1:] = g.heads[edges]
    # Sequential left-to-right sum: the same additions Dijkstra made.
    time_s = float(np.add.accumulate(g.weights_s[edges])[-1])
    return time_s, nodes


def reverse(g: CSRGraph) -> tuple[CSRGraph, NDArray[np.int64]]:
    """Turn every edge of the graph around.

    A search from node ``x`` on the reversed graph gives the time to reach
    ``x`` *from* every node: ``one_to_many(reverse(g)[0], x, origins)``.

    Parameters
    ----------
    g : CSRGraph
        The road graph; edge weights in seconds.

    Returns
    -------
    reversed_g : CSRGraph
        Edge ``r`` of ``reversed_g`` is edge ``edge_map[r]`` of ``g`` turned
        around, with the same travel time; ``heads`` keeps its dtype.
    edge_map : ndarray of int64, shape (m,)
        Index of the original edge of each reversed edge.

    Raises
    ------
    ValueError
        If ``g`` is malformed.
    """
    g = _checks.graph(g)
    indptr_r, heads_r, weights_r, edge_map = _kernels.reverse_csr(g.indptr, g.heads, g.weights_s)
    return CSRGraph(indptr_r, heads_r, weights_r), edge_map
