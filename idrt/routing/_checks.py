"""Input checks shared by the routing wrappers, and the graph type they take.

Each check raises :class:`ValueError` with a message naming the argument, the
value and the fix, and returns the value in the contiguous dtype the kernels
expect.
"""

from __future__ import annotations

import operator
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from idrt.routing import _kernels

__all__ = ["CSRGraph", "bound", "graph", "node", "nodes", "table_nodes"]


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


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------
def graph(g: CSRGraph) -> CSRGraph:
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


def node(node: int, name: str, n: int) -> int:
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


def nodes(nodes: ArrayLike, name: str, n: int) -> NDArray[np.int64]:
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


def table_nodes(
    sources: ArrayLike, targets: ArrayLike | None, n: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Return the rows and columns of a table as int64 node arrays; ``targets=None`` means all."""
    rows = nodes(sources, "sources", n)
    if targets is None:
        return rows, np.arange(n, dtype=np.int64)
    return rows, nodes(targets, "targets", n)


def bound(max_time_s: float) -> float:
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
