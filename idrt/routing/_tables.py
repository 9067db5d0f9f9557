"""Numba kernels for dense all-pairs tables (small networks, simulation oracles)."""

from __future__ import annotations

import numpy as np
from numba import prange

from idrt._numba import JIT, PJIT
from idrt.routing._kernels import one_to_all


@PJIT
def all_pairs(indptr, heads, weights):
    """Fastest times and last edges between every pair of nodes.

    Parameters
    ----------
    indptr, heads, weights : ndarray
        The graph in CSR form; weights in seconds.

    Returns
    -------
    dist : ndarray of float64, shape (n, n)
        ``dist[s, t]`` travel time in seconds (``inf`` if unreachable).
    pred_edge : ndarray of int32, shape (n, n)
        ``pred_edge[s, t]`` CSR index of the last edge of a fastest path
        ``s -> t`` (``-1`` for ``t == s`` or unreachable).
    """
    n = indptr.shape[0] - 1
    dist = np.empty((n, n), dtype=np.float64)
    pred = np.empty((n, n), dtype=np.int32)
    for s in prange(n):
        d, p = one_to_all(indptr, heads, weights, s)
        dist[s, :] = d
        for t in range(n):
            pred[s, t] = p[t]
    return dist, pred


@JIT
def path_edges_from_pred(pred_row, tails, source, target):
    """Edge indices of the path ``source -> target`` from one row of a pred table.

    Returns an empty array when ``source == target`` or ``target`` is unreachable.
    """
    count = 0
    node = target
    while node != source:
        e = pred_row[node]
        if e < 0:
            return np.empty(0, dtype=np.int64)
        count += 1
        node = tails[e]
    out = np.empty(count, dtype=np.int64)
    node = target
    for i in range(count - 1, -1, -1):
        e = pred_row[node]
        out[i] = e
        node = tails[e]
    return out
