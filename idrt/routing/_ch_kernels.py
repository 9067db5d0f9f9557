"""Numba kernels of contraction hierarchies (CH): build, and many-to-many tables.

Every kernel is a pure function of arrays and scalars and trusts its input
(the wrapper :mod:`idrt.routing.hierarchy` checks it). Graph conventions are
those of :mod:`idrt.routing._kernels` (CSR, weights in seconds, ``>= 0``).

Build (:func:`contract`)
    Nodes are contracted one by one in the order of a priority: three times
    the edge difference (shortcuts added minus edges removed) plus the number
    of neighbours already contracted, kept current for the neighbours of each
    contracted node and re-checked when a node comes up. Contracting ``v``
    adds a shortcut ``u -> x`` for every pair of remaining neighbours unless
    a *witness* search from ``u`` that avoids ``v`` finds a path no longer
    than ``u -> v -> x``. A witness search settles at most ``settle_limit``
    nodes, which can only add shortcuts that are not needed, never lose a
    fastest path. The remaining graph is kept as doubly linked edge lists so
    that a contracted node's edges leave its neighbours' lists in O(1).

Queries
    The *upward* graph holds every edge from a lower to a higher rank, the
    *downward* graph every edge from a higher to a lower rank stored at its
    head (so that a search on it runs backwards). A fastest path always has an
    up-then-down form in the hierarchy, so ``d(s, t)`` is the smallest
    ``d_up(s, v) + d_down(v, t)`` over the nodes ``v`` both searches settle.
    :func:`table` uses the bucket method (Knopp et al. 2007): one backward
    search per target leaves ``(target, distance)`` in a bucket at each node
    it settles; one forward search per source scans the buckets of the nodes
    it settles. Both searches stall on demand. Given the length of every
    hierarchy edge (:func:`edge_lengths`: a shortcut's is the sum of its
    original edges'), the searches also carry path lengths, and the table
    gives the length of the up-then-down path of each entry (the stop
    tables of :mod:`idrt.routing.stop_tables`).

Exactness: a shortcut's weight is the float64 sum of its two halves, and the
table adds the forward and backward halves of a path, so a table entry is the
exact fastest time up to the rounding of float64 additions taken in another
order than Dijkstra's left-to-right sum (relative error below ``n * 2**-53``,
in practice a few ulps). :func:`unpack_edges` gives the original edges of a
path, whose left-to-right sum is what Dijkstra adds up.
"""

from __future__ import annotations

import numpy as np
from numba import prange, types
from numba.extending import overload

from idrt.jit import JIT, PJIT
from idrt.routing._kernels import (
    _SETTLED,
    _UNSEEN,
    _buffers,
    _reset,
    _sift_down,
    _sift_up,
)

__all__ = ["contract", "edge_lengths", "table", "unpack_edges"]


# --------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------
@JIT
def _lazy_push(keys, vals, size, key, val):
    """Push onto a binary min-heap with lazy deletion; returns the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        vals[i] = vals[parent]
        i = parent
    keys[i] = key
    vals[i] = val
    return size + 1


@JIT
def _lazy_pop(keys, vals, size):
    """Remove the root of the binary min-heap; returns the new size."""
    size -= 1
    key = keys[size]
    val = vals[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        vals[i] = vals[c]
        i = c
    keys[i] = key
    vals[i] = val
    return size


@JIT
def _witness(
    first_out, nxt_out, e_head, e_w, u, v, bound, settle_limit, buf, tmark, stamp, n_targets
):
    """Dijkstra from ``u`` on the remaining graph without ``v``, up to ``bound``.

    ``buf`` holds the search buffers of :func:`idrt.routing._kernels._buffers`;
    on return its ``dist`` holds the length of a real path avoiding ``v`` (or
    ``inf``) for every node touched; the caller resets them with ``_reset``.
    The search also stops once the ``n_targets`` nodes with ``tmark == stamp``
    are settled.
    """
    dist, pos, hkeys, hnodes, touched = buf
    dist[u] = 0.0
    hkeys[0] = 0.0
    hnodes[0] = u
    pos[u] = 0
    touched[0] = u
    n_touched = 1
    size = 1
    settled = 0
    while size > 0:
        key = hkeys[0]
        if key > bound:
            break
        x = hnodes[0]
        pos[x] = _SETTLED
        size -= 1
        if size > 0:
            _sift_down(hkeys, hnodes, pos, size, hkeys[size], hnodes[size])
        settled += 1
        if settled > settle_limit:
            break
        if tmark[x] == stamp:
            n_targets -= 1
            if n_targets == 0:
                break
        e = first_out[x]
        while e >= 0:
            y = e_head[e]
            if y != v:
                nd = key + e_w[e]
                if nd < dist[y]:
                    p = pos[y]
                    if p != _SETTLED:
                        dist[y] = nd
                        if p == _UNSEEN:
                            touched[n_touched] = y
                            n_touched += 1
                            _sift_up(hkeys, hnodes, pos, size, nd, y)
                            size += 1
                        else:
                            _sift_up(hkeys, hnodes, pos, p, nd, y)
            e = nxt_out[e]
    return n_touched


@JIT
def _neighbours(first, nxt, other, e_w, v, nodes, weights):
    """Collect ``(node, weight)`` of the edges in one list of ``v``; return the count."""
    k = 0
    e = first[v]
    while e >= 0:
        nodes[k] = other[e]
        weights[k] = e_w[e]
        k += 1
        e = nxt[e]
    return k


@JIT
def _contract_node(v, g, buf, settle_limit, insert, scratch):
    """Shortcuts needed to contract ``v``: count them, and add them if ``insert``.

    ``g`` is the mutable remaining graph (a tuple of arrays, see
    :func:`contract`); when ``insert`` is true new edges are appended and the
    grown arrays are returned in ``g``.

    Returns
    -------
    n_shortcuts : int
    n_in, n_out : int
        Remaining in- and out-neighbours of ``v``.
    g : tuple
        The graph, possibly with grown arrays.
    """
    (first_out, first_in, nxt_out, prv_out, nxt_in, prv_in,
     e_tail, e_head, e_w, e_mid, e_c1, e_c2, m) = g  # fmt: skip
    in_nodes, in_w, in_e, out_nodes, out_w, out_e, tmark, counter = scratch
    counter[0] += 1
    stamp = counter[0]
    n_in = 0
    e = first_in[v]
    while e >= 0:
        in_nodes[n_in] = e_tail[e]
        in_w[n_in] = e_w[e]
        in_e[n_in] = e
        n_in += 1
        e = nxt_in[e]
    n_out = 0
    max_out = 0.0
    e = first_out[v]
    while e >= 0:
        out_nodes[n_out] = e_head[e]
        out_w[n_out] = e_w[e]
        out_e[n_out] = e
        tmark[e_head[e]] = stamp
        if e_w[e] > max_out:
            max_out = e_w[e]
        n_out += 1
        e = nxt_out[e]
    dist = buf[0]
    n_short = 0
    for a in range(n_in):
        u = in_nodes[a]
        wu = in_w[a]
        if n_out == 0 or (n_out == 1 and out_nodes[0] == u):
            continue
        n_touched = _witness(
            first_out, nxt_out, e_head, e_w, u, v, wu + max_out, settle_limit, buf,
            tmark, stamp, n_out,
        )  # fmt: skip
        for b in range(n_out):
            x = out_nodes[b]
            if x == u:
                continue
            via = wu + out_w[b]
            if dist[x] <= via:
                continue
            n_short += 1
            if not insert:
                continue
            # an edge u -> x may exist (longer than via v): update it in place
            found = -1
            f = first_out[u]
            while f >= 0:
                if e_head[f] == x:
                    found = f
                    break
                f = nxt_out[f]
            if found >= 0:
                e_w[found] = via
                e_mid[found] = v
                e_c1[found] = in_e[a]
                e_c2[found] = out_e[b]
                continue
            if m == e_tail.shape[0]:  # grow every edge array by half
                cap = m + m // 2 + 16
                e_tail = _grow_i(e_tail, cap)
                e_head = _grow_i(e_head, cap)
                e_w = _grow_f(e_w, cap)
                e_mid = _grow_i(e_mid, cap)
                e_c1 = _grow_i(e_c1, cap)
                e_c2 = _grow_i(e_c2, cap)
                nxt_out = _grow_i(nxt_out, cap)
                prv_out = _grow_i(prv_out, cap)
                nxt_in = _grow_i(nxt_in, cap)
                prv_in = _grow_i(prv_in, cap)
            e_tail[m] = u
            e_head[m] = x
            e_w[m] = via
            e_mid[m] = v
            e_c1[m] = in_e[a]
            e_c2[m] = out_e[b]
            _link(first_out, nxt_out, prv_out, u, m)
            _link(first_in, nxt_in, prv_in, x, m)
            m += 1
        _reset(buf, n_touched)
    g = (first_out, first_in, nxt_out, prv_out, nxt_in, prv_in,
         e_tail, e_head, e_w, e_mid, e_c1, e_c2, m)  # fmt: skip
    return n_short, n_in, n_out, g


@JIT
def _grow_i(a, cap):
    out = np.full(cap, -1, dtype=np.int64)
    out[: a.shape[0]] = a
    return out


@JIT
def _grow_f(a, cap):
    out = np.empty(cap, dtype=np.float64)
    out[: a.shape[0]] = a
    return out


@JIT
def _link(first, nxt, prv, node, e):
    """Put edge ``e`` at the front of ``node``'s list."""
    head = first[node]
    nxt[e] = head
    prv[e] = -1
    if head >= 0:
        prv[head] = e
    first[node] = e


@JIT
def _unlink(first, nxt, prv, node, e):
    """Take edge ``e`` out of ``node``'s list."""
    p = prv[e]
    q = nxt[e]
    if p >= 0:
        nxt[p] = q
    else:
        first[node] = q
    if q >= 0:
        prv[q] = p


@JIT
def _priority(n_short, n_in, n_out, deleted):
    """Contraction priority: three times the edge difference plus contracted neighbours.

    On ``city:50000`` the weight 3 gave 191,000 shortcuts and a 2x faster
    build than weight 1 (273,000); 2 and 4 fell between, 1/2 was worse.
    """
    return 3.0 * float(n_short - n_in - n_out) + deleted


@JIT
def contract(indptr, heads, weights, settle_limit):
    """Build a contraction hierarchy.

    Self-loops are dropped and of parallel edges only the fastest is kept
    (the first in CSR order among equals).

    Parameters
    ----------
    indptr, heads, weights : ndarray
        The graph in CSR form; weights in seconds (``inf`` edges are dropped).
    settle_limit : int
        Most nodes a witness search settles.

    Returns
    -------
    rank : ndarray of int64, shape (n,)
        Contraction order of each node (0 first).
    tail, head : ndarray of int64, shape (m_ch,)
        Ends of every hierarchy edge (original edges and shortcuts).
    weight : ndarray of float64, shape (m_ch,)
        Travel time in seconds.
    child1, child2 : ndarray of int64, shape (m_ch,)
        For a shortcut, the hierarchy edges ``tail -> mid`` and ``mid -> head``
        it stands for; ``-1`` for an original edge.
    orig : ndarray of int64, shape (m_ch,)
        For an original edge its CSR index in the input; ``-1`` for a shortcut.
    """
    n = indptr.shape[0] - 1
    m0 = heads.shape[0]
    cap = m0 + m0 // 2 + 16
    first_out = np.full(n, -1, dtype=np.int64)
    first_in = np.full(n, -1, dtype=np.int64)
    nxt_out = np.full(cap, -1, dtype=np.int64)
    prv_out = np.full(cap, -1, dtype=np.int64)
    nxt_in = np.full(cap, -1, dtype=np.int64)
    prv_in = np.full(cap, -1, dtype=np.int64)
    e_tail = np.full(cap, -1, dtype=np.int64)
    e_head = np.full(cap, -1, dtype=np.int64)
    e_w = np.empty(cap, dtype=np.float64)
    e_mid = np.full(cap, -1, dtype=np.int64)
    e_c1 = np.full(cap, -1, dtype=np.int64)
    e_c2 = np.full(cap, -1, dtype=np.int64)
    orig_of = np.full(cap, -1, dtype=np.int64)
    # fastest of parallel edges, self-loops and inf dropped; insertion in
    # reverse CSR order keeps each list in CSR order
    slot = np.full(n, -1, dtype=np.int64)
    m = 0
    for u in range(n):
        lo = m
        for e in range(indptr[u], indptr[u + 1]):
            x = heads[e]
            w = weights[e]
            if x == u or not w < np.inf:
                continue
            s = slot[x]
            if s >= lo:
                if w < e_w[s]:
                    e_w[s] = w
                    orig_of[s] = e
                continue
            slot[x] = m
            e_tail[m] = u
            e_head[m] = x
            e_w[m] = w
            orig_of[m] = e
            m += 1
    for e in range(m - 1, -1, -1):
        _link(first_out, nxt_out, prv_out, e_tail[e], e)
        _link(first_in, nxt_in, prv_in, e_head[e], e)
    g = (first_out, first_in, nxt_out, prv_out, nxt_in, prv_in,
         e_tail, e_head, e_w, e_mid, e_c1, e_c2, m)  # fmt: skip

    buf = _buffers(n)
    scratch = (
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.float64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.float64),
        np.empty(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(1, dtype=np.int64),
    )
    deleted = np.zeros(n, dtype=np.float64)
    prio = np.empty(n, dtype=np.float64)
    hcap = 4 * n + 16
    hkeys = np.empty(hcap, dtype=np.float64)
    hvals = np.empty(hcap, dtype=np.int64)
    hsize = 0
    for v in range(n):
        ns, ni, no, g = _contract_node(v, g, buf, settle_limit, False, scratch)
        prio[v] = _priority(ns, ni, no, 0.0)
        hsize = _lazy_push(hkeys, hvals, hsize, prio[v], v)

    rank = np.full(n, -1, dtype=np.int64)
    nbrs = np.empty(n, dtype=np.int64)
    nbr_w = np.empty(n, dtype=np.float64)
    done = 0
    while hsize > 0:
        key = hkeys[0]
        v = hvals[0]
        hsize = _lazy_pop(hkeys, hvals, hsize)
        if rank[v] >= 0 or key != prio[v]:
            continue  # stale entry
        # lazy update: contract only if still (about) the cheapest
        ns, ni, no, g = _contract_node(v, g, buf, settle_limit, False, scratch)
        p = _priority(ns, ni, no, deleted[v])
        if hsize > 0 and p > hkeys[0]:
            prio[v] = p
            hsize = _lazy_push(hkeys, hvals, hsize, p, v)
            continue
        ns, ni, no, g = _contract_node(v, g, buf, settle_limit, True, scratch)
        (first_out, first_in, nxt_out, prv_out, nxt_in, prv_in,
         e_tail, e_head, e_w, e_mid, e_c1, e_c2, m) = g  # fmt: skip
        rank[v] = done
        done += 1
        # take v's edges out of its neighbours' lists
        k = 0
        e = first_in[v]
        while e >= 0:
            u = e_tail[e]
            _unlink(first_out, nxt_out, prv_out, u, e)
            nbrs[k] = u
            k += 1
            e = nxt_in[e]
        e = first_out[v]
        while e >= 0:
            x = e_head[e]
            _unlink(first_in, nxt_in, prv_in, x, e)
            nbrs[k] = x
            k += 1
            e = nxt_out[e]
        for q in range(k):
            y = nbrs[q]
            deleted[y] += 1.0
        for q in range(k):
            y = nbrs[q]
            if prio[y] == np.inf:
                continue  # listed twice (in and out)
            ns, ni, no, g = _contract_node(y, g, buf, settle_limit, False, scratch)
            prio[y] = np.inf
            nbr_w[q] = _priority(ns, ni, no, deleted[y])
        for q in range(k):
            y = nbrs[q]
            if prio[y] != np.inf:
                continue
            prio[y] = nbr_w[q]
            if hsize == hkeys.shape[0]:
                hkeys = _grow_f(hkeys, 2 * hsize)
                hvals = _grow_i(hvals, 2 * hsize)
            hsize = _lazy_push(hkeys, hvals, hsize, prio[y], y)
    e_tail, e_head, e_w, e_c1, e_c2, m = g[6], g[7], g[8], g[10], g[11], g[12]
    orig = np.full(m, -1, dtype=np.int64)
    m_orig = min(m, orig_of.shape[0])
    for e in range(m_orig):
        if e_c1[e] < 0:
            orig[e] = orig_of[e]
    return (
        rank,
        e_tail[:m].copy(),
        e_head[:m].copy(),
        e_w[:m].copy(),
        e_c1[:m].copy(),
        e_c2[:m].copy(),
        orig,
    )


# --------------------------------------------------------------------------
# Queries
# --------------------------------------------------------------------------
def _floats_if(given, shape):
    """``np.empty(shape)`` where ``given`` is an array, ``None`` where it is ``None``.

    Chosen when a kernel is compiled (see the overload below), so that the
    optional path lengths of :func:`table` cost nothing in the time-only
    specialization: every use of the result sits under ``if given is not
    None``, a branch Numba removes before typing when ``given`` is ``None``.
    """
    raise NotImplementedError("only callable from a kernel")  # pragma: no cover


@overload(_floats_if, jit_options={"nogil": True})
def _floats_if_impl(given, shape):
    if isinstance(given, types.NoneType):
        return lambda given, shape: None
    return lambda given, shape: np.empty(shape, dtype=np.float64)


@JIT
def _up_search(
    ptr, nbr, w, wlen, sptr, snbr, sw, source, bound, buf, lens, out_nodes, out_dist, out_len, at
):  # fmt: skip
    """Dijkstra on one half of the hierarchy, stalling on demand.

    Searches the graph ``(ptr, nbr, w)`` (upward edges, or downward edges
    backwards) from ``source`` up to ``bound``; ``(sptr, snbr, sw)`` are the
    edges of the other half at each node, used to stall a node that some
    already reached higher node proves to be reached too slowly.

    ``wlen`` (edge lengths, m, or ``None``) is carried along: ``lens`` holds
    the length of each node's current search-tree path and ``out_len`` gets
    that of each output node (both ``None`` when ``wlen`` is). Outputs are
    written from index ``at`` on.

    Returns
    -------
    n_touched : int
        Nodes to reset in ``buf``.
    n_out : int
        Settled, unstalled nodes written to ``out_nodes``/``out_dist``
        (and ``out_len``) from ``at`` on.
    """
    dist, pos, hkeys, hnodes, touched = buf
    dist[source] = 0.0
    if wlen is not None:
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
        if key > bound:
            break
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
        out_nodes[at + n_out] = u
        out_dist[at + n_out] = key
        if wlen is not None:
            out_len[at + n_out] = lens[u]
        n_out += 1
        for e in range(ptr[u], ptr[u + 1]):
            v = nbr[e]
            nd = key + w[e]
            if nd < dist[v]:
                p = pos[v]
                if p == _SETTLED:
                    continue
                dist[v] = nd
                if wlen is not None:
                    lens[v] = lens[u] + wlen[e]
                if p == _UNSEEN:
                    touched[n_touched] = v
                    n_touched += 1
                    _sift_up(hkeys, hnodes, pos, size, nd, v)
                    size += 1
                else:
                    _sift_up(hkeys, hnodes, pos, p, nd, v)
    return n_touched, n_out


@PJIT
def table(
    up_ptr, up_head, up_w, up_len, dn_ptr, dn_tail, dn_w, dn_len, sources, targets, max_time_s,
    n_chunks,
):  # fmt: skip
    """Travel-time table by the bucket method, with the lengths of those paths if asked.

    Parameters
    ----------
    up_ptr, up_head, up_w : ndarray
        Upward edges in CSR form by tail (int64, int64, float64 seconds).
    up_len : ndarray of float64 or None
        Length of each upward edge, m (:func:`edge_lengths`), or ``None`` for
        times only.
    dn_ptr, dn_tail, dn_w : ndarray
        Downward edges in CSR form by *head*: ``dn_tail`` holds their tails.
    dn_len : ndarray of float64 or None
        Length of each downward edge, m; ``None`` exactly when ``up_len`` is.
    sources, targets : ndarray of int64
        Nodes of the rows and columns (distinct nodes: duplicates cost work).
    max_time_s : float
        Entries above it become ``inf`` (``np.inf`` for none); also bounds
        the searches.
    n_chunks : int
        Work chunks for ``prange`` (pass the thread count).

    Returns
    -------
    time_s : ndarray of float64, shape (len(sources), len(targets))
        Travel times in seconds; ``inf`` where unreachable or above the bound.
    dist_m : ndarray of float64, same shape, or None
        Length of the up-then-down path whose time is the entry, m (``inf``
        where the time is); ``None`` without lengths. Ties between equally
        fast paths go to the first met, so it is the length of *a* fastest
        path (Dijkstra may pick another of equal time).
    """
    n = up_ptr.shape[0] - 1
    ns = sources.shape[0]
    nt = targets.shape[0]
    out = np.full((ns, nt), np.inf)
    out_m = _floats_if(up_len, (ns, nt))
    if up_len is not None:
        out_m[:] = np.inf
    if ns == 0 or nt == 0:
        return out, out_m
    # backward searches, twice: count, then fill each target's segment
    counts = np.zeros(nt + 1, dtype=np.int64)
    ct = max(1, min(n_chunks, nt))
    for c in prange(ct):
        buf = _buffers(n)
        lens = _floats_if(dn_len, n)
        nodes = np.empty(n, dtype=np.int64)
        dists = np.empty(n, dtype=np.float64)
        o_len = _floats_if(dn_len, n)
        for j in range(c * nt // ct, (c + 1) * nt // ct):
            n_touched, n_out = _up_search(
                dn_ptr, dn_tail, dn_w, dn_len, up_ptr, up_head, up_w, targets[j], max_time_s,
                buf, lens, nodes, dists, o_len, 0,
            )  # fmt: skip
            counts[j + 1] = n_out
            _reset(buf, n_touched)
    offsets = np.cumsum(counts)
    total = offsets[nt]
    seg_node = np.empty(total, dtype=np.int64)
    seg_dist = np.empty(total, dtype=np.float64)
    seg_len = _floats_if(dn_len, total)
    for c in prange(ct):
        buf = _buffers(n)
        lens = _floats_if(dn_len, n)
        for j in range(c * nt // ct, (c + 1) * nt // ct):
            n_touched, n_out = _up_search(
                dn_ptr, dn_tail, dn_w, dn_len, up_ptr, up_head, up_w, targets[j], max_time_s,
                buf, lens, seg_node, seg_dist, seg_len, offsets[j],
            )  # fmt: skip
            _reset(buf, n_touched)
    # buckets: entries grouped by node, targets in ascending order within each
    bptr = np.zeros(n + 1, dtype=np.int64)
    for q in range(total):
        bptr[seg_node[q] + 1] += 1
    for v in range(n):
        bptr[v + 1] += bptr[v]
    cursor = bptr[:n].copy()
    b_target = np.empty(total, dtype=np.int64)
    b_dist = np.empty(total, dtype=np.float64)
    b_len = _floats_if(dn_len, total)
    for j in range(nt):
        for q in range(offsets[j], offsets[j + 1]):
            v = seg_node[q]
            slot = cursor[v]
            cursor[v] = slot + 1
            b_target[slot] = j
            b_dist[slot] = seg_dist[q]
            if dn_len is not None:
                b_len[slot] = seg_len[q]
    # forward searches scan the buckets
    cs = max(1, min(n_chunks, ns))
    for c in prange(cs):
        buf = _buffers(n)
        lens = _floats_if(up_len, n)
        nodes = np.empty(n, dtype=np.int64)
        dists = np.empty(n, dtype=np.float64)
        o_len = _floats_if(up_len, n)
        for i in range(c * ns // cs, (c + 1) * ns // cs):
            n_touched, n_out = _up_search(
                up_ptr, up_head, up_w, up_len, dn_ptr, dn_tail, dn_w, sources[i], max_time_s,
                buf, lens, nodes, dists, o_len, 0,
            )  # fmt: skip
            row = out[i]
            for k in range(n_out):
                v = nodes[k]
                d = dists[k]
                for b in range(bptr[v], bptr[v + 1]):
                    cand = d + b_dist[b]
                    j = b_target[b]
                    if cand < row[j]:
                        row[j] = cand
                        if up_len is not None:
                            out_m[i, j] = o_len[k] + b_len[b]
            _reset(buf, n_touched)
    if max_time_s < np.inf:
        for i in range(ns):
            for j in range(nt):
                if out[i, j] > max_time_s:
                    out[i, j] = np.inf
                    if up_len is not None:
                        out_m[i, j] = np.inf
    return out, out_m


@JIT
def unpack_edges(edge, child1, child2, orig):
    """Original CSR edges, in travel order, of one hierarchy edge.

    Parameters
    ----------
    edge : int
        Hierarchy edge (an original edge or a shortcut).
    child1, child2, orig : ndarray of int64
        As returned by :func:`contract`.

    Returns
    -------
    ndarray of int64
        CSR indices of the original edges along the shortcut.
    """
    stack = [edge]
    path = []
    while len(stack) > 0:
        e = stack.pop()
        if child1[e] < 0:
            path.append(orig[e])
        else:
            stack.append(child2[e])
            stack.append(child1[e])
    out = np.empty(len(path), dtype=np.int64)
    for i in range(len(path)):
        out[i] = path[i]
    return out


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
