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
def can_reach(candidates, start_node, start_time_s, n_stops, stop_node, leg_s, table_to, slot,
              pickups, latest_s):  # fmt: skip
    """Whether each candidate vehicle may serve one of ``pickups`` by ``latest_s``.

    The bound of :meth:`idrt.sim.engine.Engine._prune`: ``start_time_s +
    min(lower(start, P), leg_s[v, 0] + lower(stop 0, P))`` over the pickups
    ``P``, ``lower`` from ``table_to`` (the lower-bound table transposed:
    ``table_to[slot[P], slot[a]]`` from ``a`` to ``P``) where it has the
    time, else 0.

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
            lb = table_to[j, a] if a >= 0 and j >= 0 else 0.0
            direct = start_time_s[v] + lb
            if direct < reach:
                reach = direct
            if f != -2:
                lb = table_to[j, f] if f >= 0 and j >= 0 else 0.0
                via = (start_time_s[v] + leg_s[v, 0]) + lb
                if via < reach:
                    reach = via
        keep[q] = reach <= latest_s
    return keep


@JIT
def refresh_starts(
    candidates, now, diversion, state, node, leg_target, leg_start_s, leg_expected_s,
    leg_total_s, moving, leg_len, leg_nodes, leg_cum_s, leg_cum_expected_s,
    start_node, start_time_s, n_stops, stop_node, leg_s, divert_index,
):  # fmt: skip
    """Bring the candidates' start points (next divert node, time) to ``now``, in place.

    The same arithmetic as the engine's per-vehicle loop it replaces (see
    ``Engine._refresh_start_points``): an idle or waiting vehicle starts
    where it is, now; a driving one, without diversion, where its leg ends
    when it was due to; with diversion, at the first node of its leg it has
    not passed (``searchsorted(cum_s, now - leg_start_s, "left")``), planned
    from there with the leg's expected times. Other states keep their start.

    Parameters
    ----------
    candidates : ndarray of int64
        Vehicles to refresh.
    now : float
        Simulation time, s.
    diversion : bool
        Whether vehicles can turn at the next node of their leg.
    state, node, leg_target : ndarray of int64, shape (n_veh,)
        Per vehicle: its state code (0 idle, 1 driving, 3 waiting), its node,
        the end node of its current leg.
    leg_start_s, leg_expected_s, leg_total_s : ndarray of float64, shape (n_veh,)
        Per vehicle: when the leg began, its planned and its realised time, s.
    moving : ndarray of bool, shape (n_veh,)
        Whether the leg has realised times (traffic model) apart from planned ones.
    leg_len : ndarray of int64, shape (n_veh,)
        Nodes of the leg path held in the next three arrays (rows per vehicle).
    leg_nodes, leg_cum_s, leg_cum_expected_s : ndarray, shape (n_veh, width)
        The leg's nodes after each edge, cumulative realised and expected times, s.
    start_node, start_time_s, n_stops, stop_node, leg_s, divert_index : ndarray
        The plans' start points, stops and legs (written), and per vehicle the
        index along its leg where it would divert (written).
    """
    for q in range(candidates.shape[0]):
        v = candidates[q]
        st = state[v]
        if st == 0 or st == 3:
            start_time_s[v] = now
            start_node[v] = node[v]
            if st == 3:
                leg_s[v, 0] = 0.0
        elif st == 1:
            if not diversion:
                start_node[v] = leg_target[v]
                start_time_s[v] = leg_start_s[v] + leg_expected_s[v]
                if n_stops[v] == 0 or stop_node[v, 0] == leg_target[v]:
                    leg_s[v, 0] = 0.0
                continue
            n = leg_len[v]
            x = now - leg_start_s[v]
            lo = 0
            hi = n
            while lo < hi:  # first index with cum_s >= x ("left")
                mid = (lo + hi) >> 1
                if leg_cum_s[v, mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            k = min(lo, n - 1)
            divert_index[v] = k
            start_node[v] = leg_nodes[v, k]
            start_time_s[v] = leg_start_s[v] + leg_cum_s[v, k]
            if moving[v]:
                leg_s[v, 0] = leg_expected_s[v] - leg_cum_expected_s[v, k]
            else:
                leg_s[v, 0] = leg_total_s[v] - leg_cum_s[v, k]


@JIT
def nearest_k(pos_x, pos_y, x, y, k):
    """The ``k`` vehicles nearest to ``(x, y)`` (squared distances), when unambiguous.

    Parameters
    ----------
    pos_x, pos_y : ndarray of float64, shape (n,)
        Vehicle coordinates, m.
    x, y : float
        The point, m.
    k : int
        How many, ``1 <= k < n``.

    Returns
    -------
    d2 : ndarray of float64, shape (n,)
        Squared distances, computed as numpy computes ``(pos_x - x) ** 2 +
        (pos_y - y) ** 2``.
    nearest : ndarray of int64
        The indices of the ``k`` smallest distances in ascending index order,
        or an empty array when ties at the ``k``-th distance make the choice
        ambiguous (the caller then asks ``numpy.argpartition``, whose choice
        among ties it keeps).
    """
    n = pos_x.shape[0]
    d2 = np.empty(n)
    for i in range(n):
        dx = pos_x[i] - x
        dy = pos_y[i] - y
        d2[i] = dx * dx + dy * dy
    kth = np.partition(d2, k - 1)[k - 1]
    below = 0
    equal = 0
    for i in range(n):
        if d2[i] < kth:
            below += 1
        elif d2[i] == kth:
            equal += 1
    if below + equal != k:
        return d2, np.empty(0, dtype=np.int64)
    out = np.empty(k, dtype=np.int64)
    j = 0
    for i in range(n):
        if d2[i] <= kth:
            out[j] = i
            j += 1
    return d2, out


@JIT
def ride_limit_hold(n, service_s, rid, max_ride_s, stop_request, earliest, latest, leg, dwell):
    """How long the pickup that is a vehicle's first stop must wait for its ride limit, s.

    The loop of :meth:`idrt.sim.engine.Engine._hold_for_ride_limit` over the
    vehicle's ``n`` stops (rows ``stop_request, earliest, latest, leg,
    dwell``), the pickup of request ``rid`` served at ``service_s``: the
    excess of its rider's ride over ``max_ride_s`` that the waits before the
    drop-off absorb, capped by every later stop's deadline. 0 or less: no
    hold.
    """
    t = service_s + dwell[0]
    departure = t
    waits = 0.0
    cap = latest[0] - service_s  # the pickup's own promise
    excess = 0.0
    absorbed = 0.0
    for i in range(1, n):
        t += leg[i]
        start = max(t, earliest[i])
        if stop_request[i] == rid:
            excess = start - departure - max_ride_s
            absorbed = waits
        waits += start - t
        # a hold of h reaches stop i as max(0, h - waits so far): keep its deadline
        cap = min(cap, latest[i] - start + waits)
        t = start + dwell[i]
    return min(excess, absorbed, cap)


@JIT
def rider_stops(rows, n_stops, stop_kind, stop_request):
    """Every pickup of the plans ``rows`` (ascending) and the next stop of its request.

    Returns ``(v, k, d, rid)``: vehicle, pickup stop, the first later stop of
    the same request id (its drop-off), request id; by vehicle, then pickup
    stop. A pickup with no later stop of its request is left out.
    """
    total = 0
    for a in range(rows.shape[0]):
        total += n_stops[rows[a]]
    v_out = np.empty(total, dtype=np.int64)
    k_out = np.empty(total, dtype=np.int64)
    d_out = np.empty(total, dtype=np.int64)
    r_out = np.empty(total, dtype=np.int64)
    at = 0
    for a in range(rows.shape[0]):
        v = rows[a]
        n = n_stops[v]
        for k in range(n):
            if stop_kind[v, k] > 0:
                rid = stop_request[v, k]
                for d in range(k + 1, n):
                    if stop_request[v, d] == rid:
                        v_out[at] = v
                        k_out[at] = k
                        d_out[at] = d
                        r_out[at] = rid
                        at += 1
                        break
    return v_out[:at].copy(), k_out[:at].copy(), d_out[:at].copy(), r_out[:at].copy()
