"""Slow, obviously-correct reference implementations the kernels are tested against.

Pure Python on the same CSR arrays as the kernels (``indptr``, ``heads``,
``weights``): a textbook heapq Dijkstra and things built from it.
"""

from __future__ import annotations

import heapq
import math

import numpy as np


def dijkstra(indptr, heads, weights, source, max_time_s=math.inf):
    """Fastest times from ``source``: list of floats, inf where unreached.

    Nodes farther than ``max_time_s`` are reported as inf.
    """
    n = len(indptr) - 1
    dist = [math.inf] * n
    done = [False] * n
    dist[source] = 0.0
    heap = [(0.0, int(source))]
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        if d > max_time_s:
            break
        done[u] = True
        for e in range(int(indptr[u]), int(indptr[u + 1])):
            v = int(heads[e])
            nd = d + float(weights[e])
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return [dist[v] if done[v] else math.inf for v in range(n)]


def one_to_many(indptr, heads, weights, source, targets, max_time_s=math.inf):
    """Fastest times from ``source`` to each of ``targets`` (float64 array)."""
    dist = dijkstra(indptr, heads, weights, source, max_time_s)
    return np.array([dist[t] for t in targets], dtype=np.float64)


def many_to_many(indptr, heads, weights, sources, targets, max_time_s=math.inf):
    """Table of fastest times, one Dijkstra per source (float32 array)."""
    table = np.full((len(sources), len(targets)), np.inf, dtype=np.float32)
    for i, s in enumerate(sources):
        table[i] = one_to_many(indptr, heads, weights, s, targets, max_time_s)
    return table


def edge_tails(indptr):
    """Tail node of every edge, by walking the rows."""
    return np.array(
        [u for u in range(len(indptr) - 1) for _ in range(indptr[u], indptr[u + 1])],
        dtype=np.int64,
    )


def reverse(indptr, heads, weights):
    """Reversed graph as ``(indptr, heads, weights)``, built edge by edge."""
    n = len(indptr) - 1
    rows = [[] for _ in range(n)]
    for e, u in enumerate(edge_tails(indptr)):
        rows[int(heads[e])].append((int(u), float(weights[e])))
    indptr_r = np.zeros(n + 1, dtype=np.int64)
    indptr_r[1:] = np.cumsum([len(r) for r in rows])
    heads_r = np.array([v for r in rows for v, _ in r], dtype=np.int64)
    weights_r = np.array([w for r in rows for _, w in r], dtype=np.float64)
    return indptr_r, heads_r, weights_r
