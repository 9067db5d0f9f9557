"""Numba kernels: stop tables (times and path lengths) on a contraction hierarchy.

The simulator's stop-based oracle needs, between every pair of a subset of
nodes (virtual stops, depots), the fastest time and the length of that
fastest path. :func:`subset_tables_ch` answers both with the bucket method of
:func:`idrt.routing._ch_kernels.table`, carrying a second, additive quantity
(metres) along each search: a hierarchy edge's length is the sum of the
lengths of the original edges it stands for (:func:`edge_lengths`), and a
table entry's length is that of the up-then-down path whose time is the
entry. Ties between equally fast paths go to the first met, so the length is
that of *a* fastest path (Dijkstra may pick another of equal time).

Exactness as for :mod:`idrt.routing._ch_kernels`: every time is the fastest
time, summed in another order than Dijkstra's left-to-right sum (a few ulps
apart at most).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from idrt.jit import JIT, PJIT
from idrt.routing._kernels import _SETTLED, _UNSEEN, _sift_down, _sift_up

__all__ = ["edge_lengths", "subset_tables_ch"]


@JIT
def edge_lengths(child1, child2, orig, length_m):
    """Length of every hierarchy edge, m: original edges' lengths, summed for shortcuts.

    Parameters
    ----------
    child1, child2, orig : ndarray of int64
        As returned by :func:`idrt.routing._ch_kernels.contract`.
    length_m : ndarray of float64
        Length of each original CSR edge, m.

    Returns
    -------
    ndarray of float64, shape (len(child1),)
    """
    m = child1.shape[0]
    out = np.full(m, np.nan)
    for e in range(m):
        if child1[e] < 0:
            out[e] = length_m[orig[e]]
    stack = np.empty(m + 1, dtype=np.int64)
    for e in range(m):
        if out[e] == out[e]:
            continue
        top = 0
        stack[0] = e
        while top >= 0:
            x = stack[top]
            a = child1[x]
            b = child2[x]
            if out[a] == out[a] and out[b] == out[b]:
                out[x] = out[a] + out[b]
                top -= 1
            else:
                if out[a] != out[a]:
                    top += 1
                    stack[top] = a
                if out[b] != out[b]:
                    top += 1
                    stack[top] = b
    return out


@JIT
def _search_len(ptr, nbr, w, wlen, sptr, snbr, sw, source, buf, lens, out_nodes, out_dist, out_len):
    """Upward (or backward downward) search with stall-on-demand, carrying lengths.

    As :func:`idrt.routing._ch_kernels._up_search` without a bound; ``lens``
    holds the length of each node's current search-tree path.
    """
    dist, pos, hkeys, hnodes, touched = buf
    dist[source] = 0.0
    lens[source] = 0.0
    hkeys[0] = 0.0
    hnodes[0] = source
    pos[source] = 0
    touched[0] = source
    n_touched = 1
    size = 1
    n_out = 0
    while size > 0:
        key = hkeys[0]
        u = hnodes[0]
        pos[u] = _SETTLED
        size -= 1
        if size > 0:
            _sift_down(hkeys, hnodes, pos, size, hkeys[size], hnodes[size])
        stalled = False
        for e in range(sptr[u], sptr[u + 1]):
            if dist[snbr[e]] + sw[e] < key:
                stalled = True
                break
        if stalled:
            continue
        out_nodes[n_out] = u
        out_dist[n_out] = key
        out_len[n_out] = lens[u]
        n_out += 1
        for e in range(ptr[u], ptr[u + 1]):
            v = nbr[e]
            nd = key + w[e]
            if nd < dist[v]:
                p = pos[v]
                if p == _SETTLED:
                    continue
                dist[v] = nd
                lens[v] = lens[u] + wlen[e]
                if p == _UNSEEN:
                    touched[n_touched] = v
                    n_touched += 1
                    _sift_up(hkeys, hnodes, pos, size, nd, v)
                    size += 1
                else:
                    _sift_up(hkeys, hnodes, pos, p, nd, v)
    return n_touched, n_out


@JIT
def _buffers(n):
    return (
        np.full(n, np.inf),
        np.full(n, _UNSEEN, dtype=np.int64),
        np.empty(n, dtype=np.float64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
    )


@JIT
def _clear(buf, n_touched):
    dist, pos, _, _, touched = buf
    for q in range(n_touched):
        v = touched[q]
        dist[v] = np.inf
        pos[v] = _UNSEEN


@PJIT
def subset_tables_ch(
    up_ptr, up_head, up_w, up_len, dn_ptr, dn_tail, dn_w, dn_len, nodes, n_chunks
):  # fmt: skip
    """Fastest times and the lengths of those paths between a subset of nodes.

    Parameters
    ----------
    up_ptr, up_head, up_w, up_len : ndarray
        Upward hierarchy edges in CSR form by tail: heads, seconds, metres.
    dn_ptr, dn_tail, dn_w, dn_len : ndarray
        Downward edges in CSR form by head (``dn_tail`` their tails).
    nodes : ndarray of int64, shape (k,)
        The subset (distinct nodes).
    n_chunks : int
        Work chunks for ``prange`` (pass the thread count).

    Returns
    -------
    time_s : ndarray of float64, shape (k, k)
        Fastest time ``nodes[i] -> nodes[j]`` (``inf`` if unreachable).
    dist_m : ndarray of float64, shape (k, k)
        Length of that path, m (``inf`` if unreachable).
    """
    n = up_ptr.shape[0] - 1
    k = nodes.shape[0]
    time_s = np.full((k, k), np.inf)
    dist_m = np.full((k, k), np.inf)
    if k == 0:
        return time_s, dist_m
    chunks = max(1, min(n_chunks, k))
    # backward searches, twice: count, then fill each target's segment
    counts = np.zeros(k + 1, dtype=np.int64)
    for c in prange(chunks):
        buf = _buffers(n)
        lens = np.empty(n, dtype=np.float64)
        o_node = np.empty(n, dtype=np.int64)
        o_dist = np.empty(n, dtype=np.float64)
        o_len = np.empty(n, dtype=np.float64)
        for j in range(c * k // chunks, (c + 1) * k // chunks):
            n_touched, n_out = _search_len(
                dn_ptr, dn_tail, dn_w, dn_len, up_ptr, up_head, up_w, nodes[j],
                buf, lens, o_node, o_dist, o_len,
            )  # fmt: skip
            counts[j + 1] = n_out
            _clear(buf, n_touched)
    offsets = np.cumsum(counts)
    total = offsets[k]
    seg_node = np.empty(total, dtype=np.int64)
    seg_dist = np.empty(total, dtype=np.float64)
    seg_len = np.empty(total, dtype=np.float64)
    for c in prange(chunks):
        buf = _buffers(n)
        lens = np.empty(n, dtype=np.float64)
        for j in range(c * k // chunks, (c + 1) * k // chunks):
            lo = offsets[j]
            n_touched, n_out = _search_len(
                dn_ptr, dn_tail, dn_w, dn_len, up_ptr, up_head, up_w, nodes[j],
                buf, lens, seg_node[lo:], seg_dist[lo:], seg_len[lo:],
            )  # fmt: skip
            _clear(buf, n_touched)
    # buckets: entries grouped by node, targets in ascending order within each
    bptr = np.zeros(n + 1, dtype=np.int64)
    for q in range(total):
        bptr[seg_node[q] + 1] += 1
    for v in range(n):
        bptr[v + 1] += bptr[v]
    cursor = bptr[:n].copy()
    b_target = np.empty(total, dtype=np.int64)
    b_dist = np.empty(total, dtype=np.float64)
    b_len = np.empty(total, dtype=np.float64)
    for j in range(k):
        for q in range(offsets[j], offsets[j + 1]):
            v = seg_node[q]
            slot = cursor[v]
            cursor[v] = slot + 1
            b_target[slot] = j
            b_dist[slot] = seg_dist[q]
            b_len[slot] = seg_len[q]
    # forward searches scan the buckets
    for c in prange(chunks):
        buf = _buffers(n)
        lens = np.empty(n, dtype=np.float64)
        o_node = np.empty(n, dtype=np.int64)
        o_dist = np.empty(n, dtype=np.float64)
        o_len = np.empty(n, dtype=np.float64)
        for i in range(c * k // chunks, (c + 1) * k // chunks):
            n_touched, n_out = _search_len(
                up_ptr, up_head, up_w, up_len, dn_ptr, dn_tail, dn_w, nodes[i],
                buf, lens, o_node, o_dist, o_len,
            )  # fmt: skip
            row_t = time_s[i]
            row_m = dist_m[i]
            for q in range(n_out):
                v = o_node[q]
                d = o_dist[q]
                ln = o_len[q]
                for b in range(bptr[v], bptr[v + 1]):
                    cand = d + b_dist[b]
                    j = b_target[b]
                    if cand < row_t[j]:
                        row_t[j] = cand
                        row_m[j] = ln + b_len[b]
            _clear(buf, n_touched)
    return time_s, dist_m
