"""Numba kernels for dense all-pairs tables (small networks, simulation oracles)."""

from __future__ import annotations

import numpy as np
from numba import prange

from idrt._numba import JIT, PJIT
from idrt.routing._kernels import _SETTLED, _UNSEEN, _mark_targets, _search, edge_tails, one_to_all


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


@PJIT
def subset_tables(indptr, heads, weights, length_m, nodes, n_chunks):
    """Fastest times and the lengths of those paths between a subset of nodes.

    Parameters
    ----------
    indptr, heads, weights : ndarray
        The graph in CSR form; weights in seconds.
    length_m : ndarray of float64, shape (m,)
        Edge lengths in metres.
    nodes : ndarray of int64, shape (k,)
        The subset (distinct nodes), e.g. virtual stops and depots.
    n_chunks : int
        Source chunks, one buffer set each (pass the thread count).

    Returns
    -------
    time_s : ndarray of float64, shape (k, k)
        ``time_s[i, j]`` fastest time ``nodes[i] -> nodes[j]`` (``inf`` if unreachable).
    dist_m : ndarray of float64, shape (k, k)
        Length in metres of that fastest path.
    """
    n = indptr.shape[0] - 1
    k = nodes.shape[0]
    time_s = np.full((k, k), np.inf)
    dist_m = np.full((k, k), np.inf)
    if k == 0:
        return time_s, dist_m
    mark, n_distinct = _mark_targets(n, nodes)
    tails = edge_tails(indptr)
    chunks = max(1, min(n_chunks, k))
    for c in prange(chunks):
        lo = c * k // chunks
        hi = (c + 1) * k // chunks
        dist = np.full(n, np.inf)
        pos = np.full(n, _UNSEEN, dtype=np.int64)
        hkeys = np.empty(n, dtype=np.float64)
        hnodes = np.empty(n, dtype=np.int64)
        touched = np.empty(n, dtype=np.int64)
        pred = np.full(n, -1, dtype=np.int64)
        for i in range(lo, hi):
            source = nodes[i]
            n_touched = _search(
                indptr, heads, weights, source, np.inf, mark, n_distinct,
                dist, pos, hkeys, hnodes, pred, touched,
            )  # fmt: skip
            for j in range(k):
                t = nodes[j]
                if pos[t] == _SETTLED:
                    time_s[i, j] = dist[t]
                    metres = 0.0
                    v = t
                    while v != source:
                        e = pred[v]
                        metres += length_m[e]
                        v = tails[e]
                    dist_m[i, j] = metres
            for q in range(n_touched):
                v = touched[q]
                dist[v] = np.inf
                pos[v] = _UNSEEN
    return time_s, dist_m
