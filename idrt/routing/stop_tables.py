"""Stop tables from a contraction hierarchy: fastest times and the lengths of those paths.

A stop-based simulator looks up, between every pair of its stops, the
fastest drive time and the length of that path (for kilometres driven). On a
big graph one Dijkstra search per stop costs minutes; the bucket method on a
:class:`~idrt.routing.ContractionHierarchy` costs seconds. Times are the
fastest times summed in another order than Dijkstra's (a few ulps apart at
most, see :mod:`idrt.routing.hierarchy`); a length is that of a fastest path,
the first the bucket scan meets among equally fast ones.

Examples
--------
>>> import numpy as np
>>> from idrt.routing import CSRGraph, contract
>>> g = CSRGraph(np.array([0, 2, 3, 3]), np.array([1, 2, 2]), np.array([30.0, 90.0, 45.0]))
>>> t, m = subset_tables(contract(g), np.array([300.0, 1000.0, 400.0]), [0, 2])
>>> t.tolist(), m.tolist()
([[0.0, 75.0], [inf, 0.0]], [[0.0, 700.0], [inf, 0.0]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np
from numpy.typing import NDArray

from idrt.routing import _ch_kernels, _checks
from idrt.routing.hierarchy import ContractionHierarchy

__all__ = ["subset_tables"]


def subset_tables(
    hierarchy: ContractionHierarchy,
    length_m: NDArray[np.floating],
    nodes: Sequence[int] | NDArray[np.integer],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fastest times and path lengths between every pair of some nodes.

    Parameters
    ----------
    hierarchy : ContractionHierarchy
        From :func:`idrt.routing.contract` on the road graph.
    length_m : ndarray of float, shape (m,)
        Length of each edge of that graph (CSR order), m; finite, >= 0.
    nodes : sequence of int
        Distinct node indices (rows and columns, in this order).

    Returns
    -------
    time_s : ndarray of float64, shape (k, k)
        ``time_s[i, j]``: fastest time ``nodes[i] -> nodes[j]``, s (``inf``
        if unreachable).
    dist_m : ndarray of float64, shape (k, k)
        Length of that fastest path, m (``inf`` if unreachable).

    Raises
    ------
    ValueError
        If ``hierarchy`` is not one, ``length_m`` does not have one finite
        value >= 0 per edge, or ``nodes`` are out of range or repeated.
    """
    if not isinstance(hierarchy, ContractionHierarchy):
        msg = f"hierarchy must come from routing.contract(g), got {type(hierarchy).__name__}"
        raise ValueError(msg)
    n_edges = hierarchy._graph.heads.shape[0]
    length = np.ascontiguousarray(length_m, dtype=np.float64)
    if length.shape != (n_edges,) or not (np.isfinite(length).all() and (length >= 0).all()):
        msg = (
            f"length_m must hold one finite length >= 0 per edge ({n_edges}), got shape "
            f"{length.shape}; pass the network's length_m"
        )
        raise ValueError(msg)
    idx = _checks.nodes(nodes, "nodes", hierarchy.n_nodes)
    if np.unique(idx).size != idx.size:
        msg = "nodes must be distinct; pass np.unique(nodes)"
        raise ValueError(msg)
    elen = _ch_kernels.edge_lengths(hierarchy.child1, hierarchy.child2, hierarchy.orig, length)
    ch = hierarchy
    return _ch_kernels.table(
        ch.up_ptr, ch.up_head, ch.up_w, elen[ch.up_edge],
        ch.dn_ptr, ch.dn_tail, ch.dn_w, elen[ch.dn_edge],
        idx, idx, np.inf, numba.get_num_threads(),
    )  # fmt: skip
