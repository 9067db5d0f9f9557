"""Fastest paths and travel-time tables on a road graph in CSR form.

Thin validated wrappers around the Numba kernels of
:mod:`idrt.routing._kernels`. Each wrapper checks its input once, raises
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

import operator
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from idrt.routing import _kernels
from idrt.routing._csa import earliest_arrivals

__all__ = [
    "CSRGraph",
    "ShortestPathTree",
    "earliest_arrivals",
    "many_to_many",
    "one_to_all",
    "one_to_many",
    "reverse",
    "shortest_path",
]


class CSRGraph(NamedTuple):
    """A directed graph in compressed sparse row (CSR) form.

    Nodes are ``0 .. n-1``. Edge ``e`` runs from its tail ``u``, the node with
    ``indptr[u] <= e < indptr[u + 1]``, to ``heads[e]``. Parallel edges and
    self-loops are allowed.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
        Row pointers: non-decreasing, ``indptr[0] == 0``, ``indptr[n] == m``.
    heads : ndarray of int32 or int64, shape (m,)
        Head node of each edge, in ``0 .. n-1``.
    weights_s : ndarray of float64, shape (m,)
        Travel time of each edge in seconds: non-negative, not NaN
        (``inf`` marks an edge that cannot be used).
    """

    indptr: NDArray[np.int64]
    heads: NDArray[np.integer]
    weights_s: NDArray[np.float64]

    @property
    def n_nodes(self) -> int:
        """Number of nodes ``n``."""
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        """Number of edges ``m``."""
        return len(self.heads)


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
# Validation
# --------------------------------------------------------------------------
def _check_graph(g: CSRGraph) -> CSRGraph:
    """Validate ``g`` and return it with contiguous arrays of kernel dtypes."""
    if not isinstance(g, tuple) or len(g) != 3:
        msg = f"g must be a CSRGraph(indptr, heads, weights_s), got {type(g).__name__}"
        raise ValueError(msg)
    indptr = _int_array(g[0], "g.indptr", np.int64)
    raw_heads = np.asarray(g[1])
    heads_dtype = np.int32 if raw_heads.dtype == np.int32 else np.int64
    heads = _int_array(raw_heads, "g.heads", heads_dtype)
    weights = np.asarray(g[2])
    if weights.dtype == np.bool_ or not (
        np.issubdtype(weights.dtype, np.floating) or np.issubdtype(weights.dtype, np.integer)
    ):
        msg = f"g.weights_s must hold real numbers (seconds), got dtype {weights.dtype}"
        raise ValueError(msg)
    weights = np.ascontiguousarray(weights, dtype=np.float64)

    if indptr.ndim != 1 or indptr.size == 0:
        msg = f"g.indptr must be 1-D of length n + 1 >= 1, got shape {indptr.shape}"
        raise ValueError(msg)
    if heads.ndim != 1 or weights.ndim != 1 or heads.size != weights.size:
        msg = (
            f"g.heads and g.weights_s must be 1-D of equal length m, got shapes "
            f"{heads.shape} and {weights.shape}"
        )
        raise ValueError(msg)
    # One compiled pass over the O(m) contents; explain only when it fails.
    if not _kernels.is_valid_csr(indptr, heads, weights):
        _explain_invalid_csr(indptr, heads, weights)
    return CSRGraph(indptr, heads, weights)


def _explain_invalid_csr(
    indptr: NDArray[np.int64], heads: NDArray[np.integer], weights: NDArray[np.float64]
) -> None:
    """Raise a ValueError naming the first defect that ``is_valid_csr`` found."""
    n, m = indptr.size - 1, heads.size
    if indptr[0] != 0 or indptr[-1] != m:
        msg = (
            f"g.indptr must start at 0 and end at the edge count m={m}, got "
            f"indptr[0]={indptr[0]} and indptr[-1]={indptr[-1]}"
        )
        raise ValueError(msg)
    decreasing = np.flatnonzero(indptr[1:] < indptr[:-1])
    if decreasing.size:
        bad = int(decreasing[0])
        msg = (
            f"g.indptr must be non-decreasing, but indptr[{bad + 1}]={indptr[bad + 1]} < "
            f"indptr[{bad}]={indptr[bad]}; sort edges by tail node"
        )
        raise ValueError(msg)
    outside = heads[(heads < 0) | (heads >= n)]
    if outside.size:
        msg = f"g.heads must lie in 0..{n - 1} (n={n} nodes), found {outside[0]}"
        raise ValueError(msg)
    if np.isnan(weights).any():
        msg = "g.weights_s must not contain NaN; use inf for an edge that cannot be used"
        raise ValueError(msg)
    msg = f"g.weights_s must be >= 0 seconds, found {weights.min()}"
    raise ValueError(msg)


def _int_array(a: ArrayLike, name: str, dtype: type[np.integer]) -> np.ndarray:
    """Return ``a`` as a contiguous array of ``dtype``; it must hold integers."""
    arr = np.asarray(a)
    if arr.size == 0 and arr.dtype == np.float64:  # [] from a plain list
        arr = arr.astype(np.int64)
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        msg = f"{name} must hold integers, got dtype {arr.dtype}"
        raise ValueError(msg)
    return np.ascontiguousarray(arr, dtype=dtype)


def _valid_range(n: int) -> str:
    """Describe the valid node indices of a graph with ``n`` nodes."""
    return f"valid indices are 0..{n - 1}" if n else "the graph has no nodes"


def _check_node(node: int, name: str, n: int) -> int:
    """Return ``node`` as an ``int`` in ``0 .. n-1``."""
    if isinstance(node, bool | np.bool_):
        msg = f"{name} must be a node index, got the bool {node}"
        raise ValueError(msg)
    try:
        index = operator.index(node)
    except TypeError:
        msg = f"{name} must be an integer node index, got {node!r}"
        raise ValueError(msg) from None
    if not 0 <= index < n:
        msg = f"{name}={index} is not a node of this graph; {_valid_range(n)}"
        raise ValueError(msg)
    return index


def _check_nodes(nodes: ArrayLike, name: str, n: int) -> NDArray[np.int64]:
    """Return ``nodes`` as a 1-D int64 array of indices in ``0 .. n-1``."""
    arr = _int_array(nodes, name, np.int64)
    if arr.ndim != 1:
        msg = f"{name} must be a 1-D sequence of node indices, got shape {arr.shape}"
        raise ValueError(msg)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = int(arr[(arr < 0) | (arr >= n)][0])
        msg = f"{name} contains {bad}, which is not a node; {_valid_range(n)}"
        raise ValueError(msg)
    return arr


def _check_bound(max_time_s: float) -> float:
    """Return ``max_time_s`` as a float; it must be >= 0 (``inf`` allowed)."""
    try:
        bound = float(max_time_s)
    except (TypeError, ValueError):
        msg = f"max_time_s must be a number of seconds, got {max_time_s!r}"
        raise ValueError(msg) from None
    if not bound >= 0:  # also catches NaN
        msg = f"max_time_s must be >= 0 seconds (np.inf for no bound), got {max_time_s!r}"
        raise ValueError(msg)
    return bound


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
    g = _check_graph(g)
    source = _check_node(source, "source", g.n_nodes)
    dist, pred = _kernels.one_to_all(g.indptr, g.heads, g.weights_s, source)
    return ShortestPathTree(dist, pred)


def one_to_many(
    g: CSRGraph,
    source: int,
    targets: Sequence[int] | NDArray[np.integer],
    *,
    max_time_s: float = np.inf,
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
    g = _check_graph(g)
    n = g.n_nodes
    source = _check_node(source, "source", n)
    targets = _check_nodes(targets, "targets", n)
    bound = _check_bound(max_time_s)
    return _kernels.one_to_many(g.indptr, g.heads, g.weights_s, source, targets, bound)


def many_to_many(
    g: CSRGraph,
    sources: Sequence[int] | NDArray[np.integer],
    targets: Sequence[int] | NDArray[np.integer] | None = None,
    *,
    max_time_s: float = np.inf,
) -> NDArray[np.float32]:
    """Table of fastest travel times between two sets of nodes, in parallel.

    Runs one bounded search per source, spread over Numba's threads
    (``numba.set_num_threads`` sets how many).

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

    Returns
    -------
    ndarray of float32, shape (len(sources), len(targets))
        Travel time in seconds; ``inf`` where unreachable or farther than
        ``max_time_s``. float32 keeps big tables small and is exact to about
        1 ms for trips under an hour.

    Raises
    ------
    ValueError
        If ``g`` is malformed, a node index is out of range, or the bound is
        negative or NaN.
    """
    g = _check_graph(g)
    n = g.n_nodes
    sources = _check_nodes(sources, "sources", n)
    if targets is None:
        targets = np.arange(n, dtype=np.int64)
    else:
        targets = _check_nodes(targets, "targets", n)
    bound = _check_bound(max_time_s)
    return _kernels.many_to_many(
        g.indptr, g.heads, g.weights_s, sources, targets, bound, numba.get_num_threads()
    )


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
    g = _check_graph(g)
    n = g.n_nodes
    source = _check_node(source, "source", n)
    target = _check_node(target, "target", n)
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
    g = _check_graph(g)
    indptr_r, heads_r, weights_r, edge_map = _kernels.reverse_csr(g.indptr, g.heads, g.weights_s)
    return CSRGraph(indptr_r, heads_r, weights_r), edge_map
