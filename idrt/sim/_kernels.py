"""Numba kernels of the simulator's movement: they see only arrays and scalars."""

from __future__ import annotations

import numpy as np

from idrt.jit import JIT


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


@JIT
def plan_times(points, n_stops, start, table, slot, node):
    """Table times between one node and the candidates' plan points.

    Parameters
    ----------
    points : ndarray of int64, shape (k, s_max + 1)
        Per candidate: its start node, then its stop nodes.
    n_stops : ndarray of int64, shape (k,)
        Stops in each candidate's plan.
    start : bool
        Whether the start point may precede ``node`` (a pickup; not a drop-off).
    table : ndarray of float64, shape (t, t)
        Drive times between the nodes of the table, s.
    slot : ndarray of int64, shape (n,)
        Row of every network node in ``table``, -1 for nodes not in it.
    node : int
        The new stop.

    Returns
    -------
    to, from_ : ndarray of float64, shape (k, s_max + 1)
        ``to[q, i]``: from the point before position ``i`` to ``node``
        (``i = 0`` only with ``start``); ``from_[q, i]``: from ``node`` to stop
        ``i``. ``inf`` where no such leg exists, NaN where the table lacks the
        time (the caller searches for those).
    """
    k, width = points.shape
    to = np.full((k, width), np.inf)
    from_ = np.full((k, width), np.inf)
    j = slot[node]
    for q in range(k):
        n = n_stops[q]
        for i in range(0 if start else 1, n + 1):
            a = slot[points[q, i]]
            to[q, i] = table[a, j] if a >= 0 and j >= 0 else np.nan
        for i in range(n):
            b = slot[points[q, i + 1]]
            from_[q, i] = table[j, b] if b >= 0 and j >= 0 else np.nan
    return to, from_


@JIT
def pop_first_stop(v, n, node, kind, request, pax, earliest, latest, leg, dwell):
    """Shift vehicle ``v``'s ``n`` stops one to the left in every per-stop array."""
    for k in range(n - 1):
        node[v, k] = node[v, k + 1]
        kind[v, k] = kind[v, k + 1]
        request[v, k] = request[v, k + 1]
        pax[v, k] = pax[v, k + 1]
        earliest[v, k] = earliest[v, k + 1]
        latest[v, k] = latest[v, k + 1]
        leg[v, k] = leg[v, k + 1]
        dwell[v, k] = dwell[v, k + 1]


@JIT
def can_reach(candidates, start_node, start_time_s, n_stops, stop_node, leg_s, table, slot,
              pickups, latest_s):  # fmt: skip
    """Whether each candidate vehicle may serve one of ``pickups`` by ``latest_s``.

    The bound of :meth:`idrt.sim.engine.Engine._prune`: ``start_time_s +
    min(lower(start, P), leg_s[v, 0] + lower(stop 0, P))`` over the pickups
    ``P``, ``lower`` from ``table`` where it has the time, else 0.

    Returns
    -------
    ndarray of bool, shape (len(candidates),)
    """
    k = candidates.shape[0]
    keep = np.empty(k, dtype=np.bool_)
    for q in range(k):
        v = candidates[q]
        a = slot[start_node[v]]
        f = slot[stop_node[v, 0]] if n_stops[v] > 0 else -2
        reach = np.inf
        for t in range(pickups.shape[0]):
            j = slot[pickups[t]]
            lb = table[a, j] if a >= 0 and j >= 0 else 0.0
            direct = start_time_s[v] + lb
            if direct < reach:
                reach = direct
            if f != -2:
                lb = table[f, j] if f >= 0 and j >= 0 else 0.0
                via = (start_time_s[v] + leg_s[v, 0]) + lb
                if via < reach:
                    reach = via
        keep[q] = reach <= latest_s
    return keep
