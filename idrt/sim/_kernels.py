"""Numba kernels of the simulator's movement: they see only arrays and scalars."""

from __future__ import annotations

import numpy as np

from idrt._numba import JIT


@JIT
def leg_profile(edges, heads, running_s, expected_s, length_m, delay_s):
    """Nodes and cumulative times and lengths along a leg, in one pass.

    Parameters
    ----------
    edges : ndarray of int64
        CSR edge indices along the path, in travel order.
    heads : ndarray of int
        Head node of every edge of the network.
    running_s, expected_s, length_m : ndarray of float64, shape (m,)
        Realised running time, planned (expected) time and length of every edge.
    delay_s : ndarray of float64, shape (len(edges),)
        Realised signal delay on each edge of the leg, s.

    Returns
    -------
    nodes : ndarray of int64
        Node after each edge.
    cum_s, cum_expected_s, cum_m : ndarray of float64
        Running sums (left to right, as ``numpy.cumsum``) of the realised
        time (running + delay), the expected time and the length.
    """
    k = edges.shape[0]
    nodes = np.empty(k, dtype=np.int64)
    cum_s = np.empty(k)
    cum_expected_s = np.empty(k)
    cum_m = np.empty(k)
    t = 0.0
    x = 0.0
    d = 0.0
    for i in range(k):
        e = edges[i]
        nodes[i] = heads[e]
        t += running_s[e] + delay_s[i]
        x += expected_s[e]
        d += length_m[e]
        cum_s[i] = t
        cum_expected_s[i] = x
        cum_m[i] = d
    return nodes, cum_s, cum_expected_s, cum_m
