"""Numba kernels of batch assignment: the trips each vehicle could take this batch.

They see only arrays and scalars. One *root* is a vehicle's plan to grow: its
current plan, or its current plan less one movable rider (re-optimisation). A
*trip* is a root plus up to ``max_depth`` requests inserted one after another,
each at its cheapest position (the insertion kernel
:func:`idrt.dispatch._kernels.best_insertion_vehicle`), in every order; a set
of requests reached by several orders keeps its cheapest plan.

Layout of one vehicle's plan, ``ints`` (N_INT, width) and ``floats`` (N_FLOAT,
width), columns ``0 .. n-1`` used:

- ``ints[I_NODE]`` network node, ``ints[I_KIND]`` +1 pickup / -1 drop-off,
  ``ints[I_REQ]`` request id, ``ints[I_PAX]`` group size, ``ints[I_LOC]`` index of
  the stop's node in the vehicle's local travel-time matrix, ``ints[I_FLEX]`` 1
  when the stop belongs to a rider of this batch (new or movable), else 0;
- ``floats[F_EARLY]``, ``floats[F_LATE]``, ``floats[F_LEG]``, ``floats[F_DWELL]``
  as in :class:`idrt.dispatch.Schedules`.

Local travel-time matrix of involved vehicle ``u``: ``mat[mat_ptr[u] + a * m + b]``
with ``m = mat_size[u]``, the drive time from local point ``a`` to ``b`` (s).
Point 0 is the vehicle's start point, point ``1 + k`` its current stop ``k``,
and each variant of each candidate request owns two points (pickup, drop-off).

Plan cost (the one objective of batch assignment; constants cancel because every
vehicle takes exactly one trip)::

    C = w_vehicle * departure from the last stop (start time when empty)
      + sum over flex pickups   (w_wait * (service - earliest) - w_ride * departure)
      + sum over flex drop-offs  w_ride * service          # = w_ride * ride time
      + sum over other drop-offs w_delay * service
      + w_drive * sum of the legs                          # drive time
      + extra cost of the inserted variants (walking)

For one new rider, ``C(plan + rider) - C(plan)`` is exactly its insertion cost.

These kernels inline the insertion kernel of ``_kernels.py``; the on-disk
cache of :mod:`idrt.jit` is keyed on the source of every idrt module a kernel
file imports, so editing that file recompiles these too.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.typed import Dict

from idrt.dispatch._kernels import (
    N_WORK,
    finish_insertion,
    prepare_plan,
    scan_insertions,
    service_start,
    spread_row,
    vehicle_times,
)
from idrt.jit import JIT

I_NODE, I_KIND, I_REQ, I_PAX, I_LOC, I_FLEX = 0, 1, 2, 3, 4, 5
N_INT = 6
F_EARLY, F_LATE, F_LEG, F_DWELL = 0, 1, 2, 3
N_FLOAT = 4
V_RID, V_PNODE, V_DNODE, V_PAX = 0, 1, 2, 3
"""Columns of ``var_ints``: request id, pickup node, drop-off node, group size."""
V_EARLY, V_LATE, V_MAXRIDE, V_DWP, V_DWD, V_EXTRA = 0, 1, 2, 3, 4, 5
"""Columns of ``var_floats``: pickup window, ride limit, dwells (s), extra cost."""
MAX_CANDIDATES = 62
"""Most candidate requests per vehicle when trips hold more than one (bit masks)."""
PROBLEM_FIELDS = (
    "start_time_s",
    "start_load",
    "capacity",
    "n_stops",
    "ints0",
    "floats0",
    "mat",
    "mat_ptr",
    "mat_size",
    "cand_ptr",
    "cand_req",
    "cand_loc",
    "var_ptr",
    "var_ints",
    "var_floats",
    "req_owner",
)
"""The arrays of the ``problem`` tuple, in its order: one batch's involved vehicles.

- ``start_time_s, start_load, capacity, n_stops``, shape (n_inv,): the involved
  vehicles' start times (s), loads, seats and stop counts;
- ``ints0, floats0``, shape (n_inv, N_INT | N_FLOAT, width): their current plans
  (module layout), ``width >= max n_stops + 2 * max_depth``;
- ``mat, mat_ptr, mat_size``: the local travel-time matrices, s (module notes);
- ``cand_ptr`` (n_inv + 1,), ``cand_req``, ``cand_loc``: candidate requests of
  vehicle ``u`` are ``cand_req[cand_ptr[u]:cand_ptr[u+1]]`` (request indices),
  the first variant's pickup at local point ``cand_loc``;
- ``var_ptr`` (n_req + 1,), ``var_ints``, ``var_floats``: variants of request
  ``r`` are rows ``var_ptr[r]:var_ptr[r+1]`` (columns ``V_*``); variant ``t`` of
  a candidate has local points ``cand_loc + 2 t`` (pickup) and ``+ 1`` (drop-off);
- ``req_owner`` (n_req,): for each request a label of the plan it must come out
  of, -1 for none. Trips inserting two requests of one label other than the
  root's vehicle are not built. With each movable rider's involved vehicle as
  its label these are exactly the sets no choice can use (that vehicle's every
  option keeps all its riders but at most one); all -1: every set is built.
"""
ROOT_FIELDS = ("root_vehicle", "root_removed", "root_depth")
"""The arrays of the ``roots`` tuple, each int64 of shape (n_roots,): the involved
vehicle of each root, the request id removed from its plan (-1: the current plan),
and the most requests inserted into it (``1 <= root_depth <= max_depth``)."""


@JIT
def plan_cost(start_time_s, start_load, capacity, n, ints, floats, weights, work):
    """Cost ``C`` of one plan (see the module notes) and whether it is feasible.

    ``work`` has at least 3 rows of width ``n``; rows 0-2 receive the arrival,
    service and departure times.
    """
    arrival = work[0]
    service = work[1]
    departure = work[2]
    vehicle_times(
        start_time_s,
        n,
        floats[F_EARLY],
        floats[F_LEG],
        floats[F_DWELL],
        arrival,
        service,
        departure,
    )
    w_vehicle = weights[0]
    w_wait = weights[1]
    w_ride = weights[2]
    w_delay = weights[3]
    w_drive = weights[4]
    ok = start_load >= 0 and start_load <= capacity and abs(start_time_s) < np.inf
    load = start_load
    end = departure[n - 1] if n > 0 else start_time_s
    cost = w_vehicle * end
    for k in range(n):
        b = service[k]
        load += ints[I_KIND, k] * ints[I_PAX, k]
        if not (b <= floats[F_LATE, k] and abs(b) < np.inf) or load < 0 or load > capacity:
            ok = False
        if ints[I_FLEX, k] != 0:
            if ints[I_KIND, k] > 0:
                cost += w_wait * (b - floats[F_EARLY, k]) - w_ride * departure[k]
            else:
                cost += w_ride * b
        elif ints[I_KIND, k] < 0:
            cost += w_delay * b
        if w_drive != 0.0:
            cost += w_drive * floats[F_LEG, k]
    return cost, ok


@JIT
def _copy_plan(n, ints_src, floats_src, ints_dst, floats_dst):
    for r in range(N_INT):
        for k in range(n):
            ints_dst[r, k] = ints_src[r, k]
    for r in range(N_FLOAT):
        for k in range(n):
            floats_dst[r, k] = floats_src[r, k]


@JIT
def _remove_rider(n, ints, floats, rid, mat, off, m):
    """Remove request ``rid``'s pickup and drop-off in place; return the new stop count.

    The legs that bridge the gaps are read from the local matrix. Returns -1
    when the rider does not have both stops in the plan.
    """
    p = -1
    d = -1
    for k in range(n):
        if ints[I_REQ, k] == rid:
            if ints[I_KIND, k] > 0 and p < 0:
                p = k
            elif ints[I_KIND, k] < 0 and p >= 0:
                d = k
                break
    if p < 0 or d < 0:
        return -1
    out = 0
    prev_loc = 0  # the start point
    bridge = False
    for k in range(n):
        if k == p or k == d:
            bridge = True
            continue
        for r in range(N_INT):
            ints[r, out] = ints[r, k]
        for r in range(N_FLOAT):
            floats[r, out] = floats[r, k]
        if bridge:
            floats[F_LEG, out] = mat[off + prev_loc * m + ints[I_LOC, k]]
            bridge = False
        prev_loc = ints[I_LOC, k]
        out += 1
    return out


@JIT
def _gather(n, ints, mat, off, m, p_loc, d_loc, to_p, from_p, to_d, from_d):
    """Fill the insertion kernel's four travel-time rows for one variant; return P -> D."""
    for i in range(n + 1):
        before = 0 if i == 0 else ints[I_LOC, i - 1]
        to_p[i] = mat[off + before * m + p_loc]
        to_d[i] = mat[off + before * m + d_loc]
        if i < n:
            after = ints[I_LOC, i]
            from_p[i] = mat[off + p_loc * m + after]
            from_d[i] = mat[off + d_loc * m + after]
        else:
            from_p[i] = np.inf
            from_d[i] = np.inf
    return mat[off + p_loc * m + d_loc]


@JIT
def _apply(
    start_time_s,
    n,
    ints_src,
    floats_src,
    ints_dst,
    floats_dst,
    i,
    j,
    vi,
    vf,
    p_loc,
    d_loc,
    to_p,
    from_p,
    to_d,
    from_d,
    p2d,
    work,
    full=True,
):
    """Write the plan with one variant inserted at (i, j) into the ``*_dst`` rows.

    Laid out by the insertion kernels' :func:`~idrt.dispatch._kernels.spread_row`
    and :func:`~idrt.dispatch._kernels.finish_insertion` (as
    :func:`~idrt.dispatch._kernels.apply_insertion`): new rows ``old 0..i-1 | P |
    old i..j-1 | D | old j..n-1``; the drop-off's ``latest`` is the pickup
    departure plus the ride limit. Returns the new stop count. Without ``full``
    the rows only :func:`plan_cost` reads are written (node, request and local
    point rows are left as they were).
    """
    if full:
        spread_row(ints_src[I_NODE], n, i, j, vi[V_PNODE], vi[V_DNODE], ints_dst[I_NODE])
        spread_row(ints_src[I_REQ], n, i, j, vi[V_RID], vi[V_RID], ints_dst[I_REQ])
        spread_row(ints_src[I_LOC], n, i, j, p_loc, d_loc, ints_dst[I_LOC])
    spread_row(ints_src[I_KIND], n, i, j, 1, -1, ints_dst[I_KIND])
    spread_row(ints_src[I_PAX], n, i, j, vi[V_PAX], vi[V_PAX], ints_dst[I_PAX])
    spread_row(ints_src[I_FLEX], n, i, j, 1, 1, ints_dst[I_FLEX])
    spread_row(floats_src[F_EARLY], n, i, j, vf[V_EARLY], vf[V_EARLY], floats_dst[F_EARLY])
    spread_row(floats_src[F_LATE], n, i, j, vf[V_LATE], np.inf, floats_dst[F_LATE])
    d_leg = p2d if j == i else to_d[j]
    spread_row(floats_src[F_LEG], n, i, j, to_p[i], d_leg, floats_dst[F_LEG])
    spread_row(floats_src[F_DWELL], n, i, j, vf[V_DWP], vf[V_DWD], floats_dst[F_DWELL])
    finish_insertion(
        start_time_s, n, i, j, floats_dst[F_EARLY], floats_dst[F_LATE], floats_dst[F_LEG],
        floats_dst[F_DWELL], from_p[i] if j > i else 0.0, from_d[j] if j < n else 0.0,
        vf[V_MAXRIDE], work,
    )  # fmt: skip
    out = n + 2
    return out


@JIT
def _leaf_cost(start_time_s, n, ints_src, floats_src, i, j, vi, vf, to_p, from_p, to_d, from_d,
               p2d, weights, work):  # fmt: skip
    """:func:`plan_cost` of the plan :func:`_apply` would write, without writing it.

    The plan is ``old 0..i-1 | P | old i..j-1 | D | old j..n-1`` with the legs
    :func:`_apply` gives the new stops and the stops after them; its times
    come from the same recursion (:func:`vehicle_times`' arithmetic, in
    order) and its cost from the same sum in the same order, so the value is
    bit for bit the one ``plan_cost`` returns on the written plan (the
    feasibility it also returns is not computed: an enumerated plan is
    feasible by construction). ``work`` rows 1 and 2 receive the service and
    departure times.
    """
    service = work[1]
    departure = work[2]
    t = start_time_s
    for kk in range(n + 2):
        if kk == i:
            leg = to_p[i]
            early = vf[V_EARLY]
            dwell = vf[V_DWP]
        elif kk == j + 1:
            leg = p2d if j == i else to_d[j]
            early = vf[V_EARLY]
            dwell = vf[V_DWD]
        else:
            k = kk - (kk > i) - (kk > j + 1)
            if kk == i + 1 and j > i:
                leg = from_p[i]
            elif kk == j + 2:
                leg = from_d[j]
            else:
                leg = floats_src[F_LEG, k]
            early = floats_src[F_EARLY, k]
            dwell = floats_src[F_DWELL, k]
        b = service_start(t + leg, early)
        service[kk] = b
        t = b + dwell
        departure[kk] = t
    w_vehicle = weights[0]
    w_wait = weights[1]
    w_ride = weights[2]
    w_delay = weights[3]
    w_drive = weights[4]
    cost = w_vehicle * departure[n + 1]
    for kk in range(n + 2):
        b = service[kk]
        if kk == i or kk == j + 1:
            kind = 1 if kk == i else -1
            flex = 1
            early = vf[V_EARLY]
        else:
            k = kk - (kk > i) - (kk > j + 1)
            kind = ints_src[I_KIND, k]
            flex = ints_src[I_FLEX, k]
            early = floats_src[F_EARLY, k]
        if flex != 0:
            if kind > 0:
                cost += w_wait * (b - early) - w_ride * departure[kk]
            else:
                cost += w_ride * b
        elif kind < 0:
            cost += w_delay * b
        if w_drive != 0.0:
            if kk == i:
                leg = to_p[i]
            elif kk == j + 1:
                leg = p2d if j == i else to_d[j]
            elif kk == i + 1 and j > i:
                leg = from_p[i]
            elif kk == j + 2:
                leg = from_d[j]
            else:
                leg = floats_src[F_LEG, kk - (kk > i) - (kk > j + 1)]
            cost += w_drive * leg
    return cost


@JIT
def _load_vehicle(u, n_stops, ints0, floats0, ints_dst, floats_dst):
    n = n_stops[u]
    _copy_plan(n, ints0[u], floats0[u], ints_dst, floats_dst)
    return n


@JIT
def enumerate_trips(problem, roots, out_ptr, max_depth, weights, out_mask, out_cost, out_seq):
    """Every trip of every root, with its cost relative to the vehicle's current plan.

    Parameters
    ----------
    problem : tuple of ndarray
        The arrays of :data:`PROBLEM_FIELDS`, in that order.
    roots : tuple of ndarray
        The arrays of :data:`ROOT_FIELDS`, in that order.
    out_ptr : ndarray of int64, shape (n_roots + 1,)
        Output slots of each root (at least the number of distinct request sets).
    max_depth : int
        Largest ``root_depth``; sets the layout of the outputs.
    weights : ndarray of float64, shape (4,)
        ``w_vehicle, w_wait, w_ride, w_delay``.
    out_mask : ndarray of int64, shape (n_out,)
        Receives the set of candidate positions of each trip, as a bit mask
        (with ``max_depth == 1``: the position itself, -1 for the bare root).
    out_cost : ndarray of float64, shape (n_out,)
        Receives ``C(trip plan) - C(current plan)``.
    out_seq : ndarray of int64, shape (n_out, max_depth, 4)
        Receives the insertions (candidate position, variant row, i, j), -1 padded.

    Returns
    -------
    ndarray of int64, shape (n_roots,)
        Trips written per root (0 when a reduced root is infeasible).
    """
    start_time_s, start_load, capacity, n_stops, ints0, floats0 = problem[:6]
    mat, mat_ptr, mat_size, cand_ptr, cand_req, cand_loc = problem[6:12]
    var_ptr, var_ints, var_floats, req_owner = problem[12:16]
    root_vehicle, root_removed, root_depth = roots
    n_roots = root_vehicle.shape[0]
    n_inv = n_stops.shape[0]
    width = ints0.shape[2]
    counts = np.zeros(n_roots, dtype=np.int64)
    base_cost = np.empty(n_inv)
    work = np.empty((N_WORK, width + 1))
    for u in range(n_inv):
        c, _ = plan_cost(
            start_time_s[u], start_load[u], capacity[u], n_stops[u], ints0[u], floats0[u], weights,
            work,
        )  # fmt: skip
        base_cost[u] = c
    ints = np.empty((max_depth + 1, N_INT, width), dtype=np.int64)
    floats = np.empty((max_depth + 1, N_FLOAT, width))
    n_lvl = np.zeros(max_depth + 1, dtype=np.int64)
    extra = np.zeros(max_depth + 1)
    mask = np.zeros(max_depth + 1, dtype=np.int64)
    pos = np.zeros(max_depth + 1, dtype=np.int64)
    seq = np.full((max_depth, 4), -1, dtype=np.int64)
    to_p = np.empty(width + 1)
    from_p = np.empty(width + 1)
    to_d = np.empty(width + 1)
    from_d = np.empty(width + 1)
    no_matrix = np.empty((0, 0))
    # each level's plan prepared for the insertion scans once (its own work rows)
    lvl_work = np.empty((max_depth + 1, N_WORK, width + 1))
    lvl_ready = np.zeros(max_depth + 1, dtype=np.bool_)
    lvl_ok = np.zeros(max_depth + 1, dtype=np.bool_)
    lvl_end = np.zeros(max_depth + 1)
    # the slot of each request set already written for the current root: for sets
    # of at most two requests a table by candidate positions (stamped with the
    # root), else a hash map
    max_cand = 1
    for u in range(n_inv):
        max_cand = max(max_cand, cand_ptr[u + 1] - cand_ptr[u])
    small = max_depth <= 2
    tab_w = max_cand if max_depth == 2 else 1
    set_slot = np.empty((max_cand, tab_w), dtype=np.int64)
    set_stamp = np.full((max_cand, tab_w), -1, dtype=np.int64)
    seen = Dict.empty(key_type=types.int64, value_type=types.int64)
    for rho in range(n_roots):
        u = root_vehicle[rho]
        off = mat_ptr[u]
        m = mat_size[u]
        t0 = start_time_s[u]
        l0 = start_load[u]
        cap = capacity[u]
        slot0 = out_ptr[rho]
        n = _load_vehicle(u, n_stops, ints0, floats0, ints[0], floats[0])
        if root_removed[rho] >= 0:
            n = _remove_rider(n, ints[0], floats[0], root_removed[rho], mat, off, m)
            if n < 0:
                continue
        c_root, ok = plan_cost(t0, l0, cap, n, ints[0], floats[0], weights, work)
        if not ok and root_removed[rho] >= 0:
            continue
        n_written = 0
        out_mask[slot0] = 0 if max_depth > 1 else -1
        out_cost[slot0] = c_root - base_cost[u]
        for q in range(max_depth):
            out_seq[slot0, q, 0] = -1
            out_seq[slot0, q, 1] = -1
            out_seq[slot0, q, 2] = -1
            out_seq[slot0, q, 3] = -1
        n_written = 1
        if not ok:
            counts[rho] = n_written
            continue
        c_lo = cand_ptr[u]
        n_cand = cand_ptr[u + 1] - c_lo
        # candidates already riding in this root, and those it cannot take alone
        usable = np.ones(n_cand, dtype=np.bool_)
        for q in range(n_cand):
            rid = var_ints[var_ptr[cand_req[c_lo + q]], V_RID]
            for k in range(n):
                if ints[0, I_REQ, k] == rid and ints[0, I_FLEX, k] != 0:
                    usable[q] = False
                    break
        if not small:
            seen = Dict.empty(key_type=types.int64, value_type=types.int64)
        n_lvl[0] = n
        extra[0] = 0.0
        mask[0] = 0
        pos[0] = 0
        lvl_ready[0] = False
        d = 0
        while d >= 0:
            if pos[d] >= n_cand:
                d -= 1
                continue
            q = pos[d]
            pos[d] += 1
            if not usable[q]:
                continue
            o = req_owner[cand_req[c_lo + q]]
            if d > 0 and o >= 0 and o != u:  # two requests the same plan must keep one of
                clash = False
                for e in range(d):
                    if req_owner[cand_req[c_lo + pos[e] - 1]] == o:
                        clash = True
                        break
                if clash:
                    continue
            bit = np.int64(1) << q if max_depth > 1 else np.int64(0)
            if max_depth > 1 and (mask[d] & bit) != 0:
                continue
            r = cand_req[c_lo + q]
            nd = n_lvl[d]
            best = np.inf
            best_t = -1
            best_i = -1
            best_j = -1
            head = (t0, l0, cap, nd, np.inf, 0.0, 0.0)
            stops = (ints[d, I_KIND], ints[d, I_PAX], floats[d, F_EARLY], floats[d, F_LATE],
                     floats[d, F_LEG], floats[d, F_DWELL])  # fmt: skip
            if not lvl_ready[d]:  # best_insertion_vehicle's first half, once per plan
                lvl_ok[d], lvl_end[d] = prepare_plan(head, stops, lvl_work[d])
                lvl_ready[d] = True
            for t in range(var_ptr[r + 1] - var_ptr[r]):
                vrow = var_ptr[r] + t
                p_loc = cand_loc[c_lo + q] + 2 * t
                p2d = _gather(
                    nd, ints[d], mat, off, m, p_loc, p_loc + 1, to_p, from_p, to_d, from_d
                )
                vf = var_floats[vrow]
                if not lvl_ok[d]:
                    continue  # an infeasible plan takes nobody
                c, i, j, _, _ = scan_insertions(
                    head, stops, (to_p, from_p, to_d, from_d),
                    (p2d, float(var_ints[vrow, V_PAX]), vf[V_EARLY], vf[V_LATE], vf[V_MAXRIDE],
                     vf[V_DWP], vf[V_DWD], vf[V_EARLY], np.inf),
                    weights, lvl_work[d], no_matrix, lvl_end[d],
                )  # fmt: skip
                if i >= 0 and c + vf[V_EXTRA] < best:
                    best = c + vf[V_EXTRA]
                    best_t = t
                    best_i = i
                    best_j = j
            if best_t < 0:
                if d == 0:
                    usable[q] = False  # cannot join this root, nor any plan grown from it
                continue
            vrow = var_ptr[r] + best_t
            p_loc = cand_loc[c_lo + q] + 2 * best_t
            if best_t != var_ptr[r + 1] - var_ptr[r] - 1:  # the rows hold the last variant's
                p2d = _gather(
                    nd, ints[d], mat, off, m, p_loc, p_loc + 1, to_p, from_p, to_d, from_d
                )
            if d + 1 < root_depth[rho]:  # a plan to grow from: written
                n_new = _apply(
                    t0, nd, ints[d], floats[d], ints[d + 1], floats[d + 1], best_i, best_j,
                    var_ints[vrow], var_floats[vrow], p_loc, p_loc + 1,
                    to_p, from_p, to_d, from_d, p2d, work,
                )  # fmt: skip
                c_new, _ = plan_cost(t0, l0, cap, n_new, ints[d + 1], floats[d + 1], weights, work)
            else:  # a plan no level grows from: only costed
                n_new = nd + 2
                c_new = _leaf_cost(
                    t0, nd, ints[d], floats[d], best_i, best_j, var_ints[vrow], var_floats[vrow],
                    to_p, from_p, to_d, from_d, p2d, weights, work,
                )  # fmt: skip
            e_new = extra[d] + var_floats[vrow, V_EXTRA]
            cost = c_new + e_new - base_cost[u]
            seq[d, 0] = q
            seq[d, 1] = vrow
            seq[d, 2] = best_i
            seq[d, 3] = best_j
            key = mask[d] | bit if max_depth > 1 else q
            if small:  # table cell (first, second) of the set's candidate positions
                ta = q
                tb = 0
                if d == 1:  # with the candidate of level 0
                    ta = min(pos[0] - 1, q)
                    tb = max(pos[0] - 1, q)
                elif max_depth == 2:
                    tb = q
                found = set_stamp[ta, tb] == rho
            else:
                found = key in seen
            if found:
                slot = set_slot[ta, tb] if small else seen[key]
            else:
                slot = slot0 + n_written
                if slot >= out_ptr[rho + 1]:
                    continue  # the caller sized the slots too small: drop, never overrun
                n_written += 1
                if small:
                    set_stamp[ta, tb] = rho
                    set_slot[ta, tb] = slot
                else:
                    seen[key] = slot
                out_mask[slot] = key
                out_cost[slot] = np.inf
            if cost < out_cost[slot]:
                out_cost[slot] = cost
                for s in range(max_depth):
                    for f in range(4):
                        out_seq[slot, s, f] = seq[s, f] if s <= d else -1
            if d + 1 < root_depth[rho]:
                d += 1
                n_lvl[d] = n_new
                extra[d] = e_new
                mask[d] = mask[d - 1] | bit
                pos[d] = 0
                lvl_ready[d] = False
        counts[rho] = n_written
    return counts


@JIT
def trip_plan(problem, u, removed, seq, ints_out, floats_out):
    """Rebuild the plan of one trip (a root and its insertions, from ``out_seq``).

    The root is involved vehicle ``u`` of ``problem`` (:data:`PROBLEM_FIELDS`)
    less request id ``removed`` (-1: none). Writes into ``ints_out`` /
    ``floats_out`` (width >= n_stops[u] + 2 * len(seq)) and returns the stop
    count (-1 if the removed rider is not in the plan).
    """
    start_time_s, n_stops, ints0, floats0 = problem[0], problem[3], problem[4], problem[5]
    mat, mat_ptr, mat_size, cand_ptr, cand_req, cand_loc = problem[6:12]
    var_ptr, var_ints, var_floats = problem[12:15]
    n = n_stops[u]
    off = mat_ptr[u]
    m = mat_size[u]
    lo = cand_ptr[u]
    width = ints_out.shape[1]
    a_i = np.empty((N_INT, width), dtype=np.int64)
    a_f = np.empty((N_FLOAT, width))
    _copy_plan(n, ints0[u], floats0[u], a_i, a_f)
    if removed >= 0:
        n = _remove_rider(n, a_i, a_f, removed, mat, off, m)
        if n < 0:
            return -1
    work = np.empty((N_WORK, width + 1))
    to_p = np.empty(width + 1)
    from_p = np.empty(width + 1)
    to_d = np.empty(width + 1)
    from_d = np.empty(width + 1)
    b_i = np.empty((N_INT, width), dtype=np.int64)
    b_f = np.empty((N_FLOAT, width))
    for s in range(seq.shape[0]):
        q = seq[s, 0]
        if q < 0:
            break
        vrow = seq[s, 1]
        t = vrow - var_ptr[cand_req[lo + q]]
        p_loc = cand_loc[lo + q] + 2 * t
        p2d = _gather(n, a_i, mat, off, m, p_loc, p_loc + 1, to_p, from_p, to_d, from_d)
        n = _apply(
            start_time_s[u], n, a_i, a_f, b_i, b_f, seq[s, 2], seq[s, 3], var_ints[vrow],
            var_floats[vrow], p_loc, p_loc + 1, to_p, from_p, to_d, from_d, p2d, work,
        )  # fmt: skip
        _copy_plan(n, b_i, b_f, a_i, a_f)
    _copy_plan(n, a_i, a_f, ints_out, floats_out)
    return n


# ----------------------------------------------------------------- problem layout
# These replace chains of small numpy operations per batch (a batch of the
# default day holds one or two requests: there the fixed cost per call is the
# whole cost); they compute exactly what the numpy versions did.


@JIT
def load_plans(inv, stops, movable_sorted, width):
    """The involved vehicles' plans in the module layout.

    ``stops`` holds the fleet's per-stop arrays, shape (n_veh, s_max), in the
    order of :data:`idrt.dispatch.schedule.STOP_FIELDS`. Columns below
    ``min(s_max, width)`` are copied from them (padding included), ``I_LOC``
    numbers columns from 1, ``I_FLEX`` marks the stops of movable riders
    (``movable_sorted``: their ids, ascending); the rest is zero.

    Returns
    -------
    ints : ndarray of int64, shape (n_inv, N_INT, width)
    floats : ndarray of float64, shape (n_inv, N_FLOAT, width)
    """
    stop_node, stop_kind, stop_request, stop_pax, earliest_s, latest_s, leg_s, dwell_s = stops
    n_inv = inv.shape[0]
    ints = np.zeros((n_inv, N_INT, width), dtype=np.int64)
    floats = np.zeros((n_inv, N_FLOAT, width))
    w = min(stop_node.shape[1], width)
    n_mov = movable_sorted.shape[0]
    for u in range(n_inv):
        v = inv[u]
        for k in range(width):
            ints[u, I_LOC, k] = k + 1
        for k in range(w):
            ints[u, I_NODE, k] = stop_node[v, k]
            ints[u, I_KIND, k] = stop_kind[v, k]
            rid = stop_request[v, k]
            ints[u, I_REQ, k] = rid
            ints[u, I_PAX, k] = stop_pax[v, k]
            if n_mov > 0:
                at = np.searchsorted(movable_sorted, rid)
                if at < n_mov and movable_sorted[at] == rid:
                    ints[u, I_FLEX, k] = 1
            floats[u, F_EARLY, k] = earliest_s[v, k]
            floats[u, F_LATE, k] = latest_s[v, k]
            floats[u, F_LEG, k] = leg_s[v, k]
            floats[u, F_DWELL, k] = dwell_s[v, k]
    return ints, floats


@JIT
def layout_points(inv, n_stops_inv, start_node, stop_node, cand_ptr, cand_req, var_ptr, var_ints):
    """Local points of every involved vehicle (see ``_Problem.layout``).

    Point 0 is the start, ``1 + k`` stop ``k``, then two per variant of each
    candidate request (pickup, drop-off), candidates in the order given.

    Returns
    -------
    cand_loc : ndarray of int64, shape (n_entries,)
        Local point of each candidate's first variant's pickup.
    mat_size, mat_ptr, node_ptr : ndarray of int64
        Points per vehicle, offsets of the vehicles' matrices (``n_inv + 1``)
        and of their point lists (``n_inv + 1``).
    nodes : ndarray of int64
        The network node of every local point, vehicle after vehicle.
    var_vehicle, var_local : ndarray of int64
        Each variant point pair's vehicle and local pickup point.
    """
    n_inv = inv.shape[0]
    n_entries = cand_req.shape[0]
    cand_loc = np.empty(n_entries, dtype=np.int64)
    mat_size = np.empty(n_inv, dtype=np.int64)
    mat_ptr = np.zeros(n_inv + 1, dtype=np.int64)
    node_ptr = np.zeros(n_inv + 1, dtype=np.int64)
    n_pairs = 0
    for u in range(n_inv):
        loc = 1 + n_stops_inv[u]
        for e in range(cand_ptr[u], cand_ptr[u + 1]):
            r = cand_req[e]
            cand_loc[e] = loc
            n_var = var_ptr[r + 1] - var_ptr[r]
            loc += 2 * n_var
            n_pairs += n_var
        mat_size[u] = loc
        mat_ptr[u + 1] = mat_ptr[u] + loc * loc
        node_ptr[u + 1] = node_ptr[u] + loc
    nodes = np.empty(node_ptr[n_inv], dtype=np.int64)
    var_vehicle = np.empty(n_pairs, dtype=np.int64)
    var_local = np.empty(n_pairs, dtype=np.int64)
    p = 0
    for u in range(n_inv):
        base = node_ptr[u]
        v = inv[u]
        nodes[base] = start_node[v]
        for k in range(n_stops_inv[u]):
            nodes[base + 1 + k] = stop_node[v, k]
        for e in range(cand_ptr[u], cand_ptr[u + 1]):
            r = cand_req[e]
            for t in range(var_ptr[r + 1] - var_ptr[r]):
                row = var_ptr[r] + t
                at = cand_loc[e] + 2 * t
                nodes[base + at] = var_ints[row, V_PNODE]
                nodes[base + at + 1] = var_ints[row, V_DNODE]
                var_vehicle[p] = u
                var_local[p] = at
                p += 1
    return cand_loc, mat_size, mat_ptr, node_ptr, nodes, var_vehicle, var_local


@JIT
def _block_count(u, a0, a_len, b0, b_len, count_only, at, mat_ptr, mat_size, node_ptr, nodes,
                 idx, a_nodes, b_nodes):  # fmt: skip
    for a in range(a0, a0 + a_len):
        for b in range(b0, b0 + b_len):
            if not count_only:
                idx[at] = mat_ptr[u] + a * mat_size[u] + b
                a_nodes[at] = nodes[node_ptr[u] + a]
                b_nodes[at] = nodes[node_ptr[u] + b]
            at += 1
    return at


@JIT
def matrix_pairs(n_stops_inv, mat_ptr, mat_size, node_ptr, nodes, var_vehicle, var_local,
                 points, pairs):  # fmt: skip
    """The entries of the local matrices a batch needs, and their network nodes.

    Per vehicle, in this order: start and stops to candidate points, candidate
    points to start and stops, with ``points`` stops to stops, with ``pairs``
    candidate points to candidate points; without ``pairs`` each variant's
    pickup to its drop-off (after all vehicles).

    Returns
    -------
    idx : ndarray of int64
        Positions in the flat ``mat``.
    a_nodes, b_nodes : ndarray of int64
        From and to network node of each.
    """
    n_inv = n_stops_inv.shape[0]
    dummy_i = np.empty(0, dtype=np.int64)
    idx = dummy_i
    a_nodes = dummy_i
    b_nodes = dummy_i
    for count_only in (True, False):
        at = 0
        for blk in range(4):
            if blk == 2 and not points:
                continue
            if blk == 3 and not pairs:
                continue
            for u in range(n_inv):
                n_pts = 1 + n_stops_inv[u]
                n_cps = mat_size[u] - n_pts
                if blk == 0:
                    at = _block_count(u, 0, n_pts, n_pts, n_cps, count_only, at, mat_ptr,
                                      mat_size, node_ptr, nodes, idx, a_nodes, b_nodes)  # fmt: skip
                elif blk == 1:
                    at = _block_count(u, n_pts, n_cps, 0, n_pts, count_only, at, mat_ptr,
                                      mat_size, node_ptr, nodes, idx, a_nodes, b_nodes)  # fmt: skip
                elif blk == 2:
                    at = _block_count(u, 0, n_pts, 0, n_pts, count_only, at, mat_ptr,
                                      mat_size, node_ptr, nodes, idx, a_nodes, b_nodes)  # fmt: skip
                else:
                    at = _block_count(u, n_pts, n_cps, n_pts, n_cps, count_only, at, mat_ptr,
                                      mat_size, node_ptr, nodes, idx, a_nodes, b_nodes)  # fmt: skip
        if not pairs:
            for p in range(var_vehicle.shape[0]):
                u = var_vehicle[p]
                a = var_local[p]
                if not count_only:
                    idx[at] = mat_ptr[u] + a * mat_size[u] + a + 1
                    a_nodes[at] = nodes[node_ptr[u] + a]
                    b_nodes[at] = nodes[node_ptr[u] + a + 1]
                at += 1
        if count_only:
            idx = np.empty(at, dtype=np.int64)
            a_nodes = np.empty(at, dtype=np.int64)
            b_nodes = np.empty(at, dtype=np.int64)
    return idx, a_nodes, b_nodes


@JIT
def _block_table(u, a0, a_len, b0, b_len, mat_ptr, mat_size, node_ptr, nodes, table, mat):
    m = mat_size[u]
    base = node_ptr[u]
    for a in range(a0, a0 + a_len):
        na = nodes[base + a]
        row = mat_ptr[u] + a * m
        for b in range(b0, b0 + b_len):
            nb = nodes[base + b]
            mat[row + b] = 0.0 if na == nb else np.float64(table[na, nb])


@JIT
def fill_from_table(n_stops_inv, mat_ptr, mat_size, node_ptr, nodes, var_vehicle, var_local,
                    points, pairs, table, mat):  # fmt: skip
    """Write the entries :func:`matrix_pairs` lists straight from a drive-time table.

    ``table[a, b]``: drive time from network node ``a`` to ``b``, s (a dense
    all-pairs table; any real dtype, read as float64). Each entry ``matrix_pairs``
    would list gets ``0.0`` when its two nodes are one, else the table's value:
    what ``mat[idx] = where(a == b, 0, travel(a, b))`` gives with ``travel``
    the table lookup, without the three index arrays and the gathers.
    """
    n_inv = n_stops_inv.shape[0]
    for u in range(n_inv):
        n_pts = 1 + n_stops_inv[u]
        n_cps = mat_size[u] - n_pts
        _block_table(u, 0, n_pts, n_pts, n_cps, mat_ptr, mat_size, node_ptr, nodes, table, mat)
        _block_table(u, n_pts, n_cps, 0, n_pts, mat_ptr, mat_size, node_ptr, nodes, table, mat)
        if points:
            _block_table(u, 0, n_pts, 0, n_pts, mat_ptr, mat_size, node_ptr, nodes, table, mat)
        if pairs:
            _block_table(u, n_pts, n_cps, n_pts, n_cps, mat_ptr, mat_size, node_ptr, nodes,
                         table, mat)  # fmt: skip
    if not pairs:
        for p in range(var_vehicle.shape[0]):
            u = var_vehicle[p]
            _block_table(u, var_local[p], 1, var_local[p] + 1, 1, mat_ptr, mat_size, node_ptr,
                         nodes, table, mat)  # fmt: skip


@JIT
def wanted_pickups(n_stops, stop_kind, stop_request, wanted_sorted):
    """Every planned pickup of a wanted request: ``(vehicle, request id)`` arrays.

    Vehicle after vehicle, stop after stop (``np.nonzero``'s order); only the
    stops ``0 .. n_stops[v] - 1`` count, ``wanted_sorted`` is ascending.
    """
    n_veh = n_stops.shape[0]
    n_w = wanted_sorted.shape[0]
    total = 0
    for v in range(n_veh):
        total += n_stops[v]
    v_out = np.empty(total, dtype=np.int64)
    r_out = np.empty(total, dtype=np.int64)
    at = 0
    for v in range(n_veh):
        for k in range(n_stops[v]):
            if stop_kind[v, k] > 0:
                rid = stop_request[v, k]
                x = np.searchsorted(wanted_sorted, rid)
                if x < n_w and wanted_sorted[x] == rid:
                    v_out[at] = v
                    r_out[at] = rid
                    at += 1
    return v_out[:at].copy(), r_out[:at].copy()


@JIT
def vehicle_lists(lengths, flat, n_veh):
    """The vehicles named by the candidate sets, and each one's requests.

    ``lengths``, ``flat``: the candidate vehicles of request after request
    (``batch._candidate_sets``; values in ``0 .. n_veh - 1``).

    Returns
    -------
    inv : ndarray of int64
        The vehicles named, ascending (``np.unique(flat)``).
    ptr : ndarray of int64, shape (inv.size + 1,)
    req : ndarray of int64
        The requests naming ``inv[u]`` are ``req[ptr[u]:ptr[u + 1]]``, in the
        order given (a stable sort of the requests by vehicle).
    """
    count = np.zeros(n_veh, dtype=np.int64)
    for e in range(flat.shape[0]):
        count[flat[e]] += 1
    row = np.full(n_veh, -1, dtype=np.int64)
    n_inv = 0
    for v in range(n_veh):
        if count[v] > 0:
            row[v] = n_inv
            n_inv += 1
    inv = np.empty(n_inv, dtype=np.int64)
    ptr = np.zeros(n_inv + 1, dtype=np.int64)
    for v in range(n_veh):
        if row[v] >= 0:
            inv[row[v]] = v
            ptr[row[v] + 1] = count[v]
    for u in range(n_inv):
        ptr[u + 1] += ptr[u]
    fill = ptr[:n_inv].copy()
    req = np.empty(flat.shape[0], dtype=np.int64)
    e = 0
    for r in range(lengths.shape[0]):
        for _ in range(lengths[r]):
            u = row[flat[e]]
            req[fill[u]] = r
            fill[u] += 1
            e += 1
    return inv, ptr, req


@JIT
def _ranks_before(fa, ca, ra, fb, cb, rb):
    """Whether (flag, cost, request) ``a`` sorts before ``b`` as ``np.lexsort`` sorts them."""
    if fa != fb:
        return fa < fb
    if ca < cb:
        return True
    if cb < ca:
        return False
    na = ca != ca  # NaN last, as numpy sorts
    nb = cb != cb
    if na != nb:
        return nb
    return ra < rb


@JIT
def pruned_lists(root_of, cost1, q, cand_ptr, cand_req, own_u, n_inv, n_new, n_req, limit,
                 max_cand):  # fmt: skip
    """Each vehicle's own movable riders and its ``limit`` best-ranked other requests.

    The kernel of ``batch._pruned_candidates`` (see there for the rule), from the
    screening's trips: ``root_of`` (the involved vehicle), ``cost1`` and ``q``
    (the candidate position inserted, -1: none) of each, the screening layout
    ``cand_ptr`` / ``cand_req``, and ``own_u`` (the involved vehicle of each
    movable rider ``n_new + i``). Others are ranked per vehicle by new before
    movable, then cost, then request (``np.lexsort``'s order, NaN last); own
    riders are the first ``max_cand`` by index.

    Returns
    -------
    ptr : ndarray of int64, shape (n_inv + 1,)
    req : ndarray of int64
        Vehicle ``u``'s requests ``req[ptr[u]:ptr[u + 1]]``, ascending.
    """
    n_t = root_of.shape[0]
    count = np.zeros(n_inv + 1, dtype=np.int64)
    for t in range(n_t):
        if q[t] >= 0:
            count[root_of[t] + 1] += 1
    for u in range(n_inv):
        count[u + 1] += count[u]
    at = count[:n_inv].copy()
    e_flag = np.empty(count[n_inv], dtype=np.int64)
    e_cost = np.empty(count[n_inv])
    e_req = np.empty(count[n_inv], dtype=np.int64)
    n_e = np.zeros(n_inv, dtype=np.int64)
    for t in range(n_t):
        if q[t] < 0:
            continue
        u = root_of[t]
        r = cand_req[cand_ptr[u] + q[t]]
        if r >= n_new and own_u[r - n_new] == u:  # its own rider: kept apart
            continue
        k = at[u]
        e_flag[k] = 1 if r >= n_new else 0
        e_cost[k] = cost1[t]
        e_req[k] = r
        at[u] += 1
        n_e[u] += 1
    n_own = np.zeros(n_inv, dtype=np.int64)
    for i in range(own_u.shape[0]):
        n_own[own_u[i]] += 1
    taken = np.zeros(n_req, dtype=np.bool_)
    out = np.empty(count[n_inv] + own_u.shape[0], dtype=np.int64)
    ptr = np.zeros(n_inv + 1, dtype=np.int64)
    m = 0
    for u in range(n_inv):
        lo = count[u]
        hi = lo + n_e[u]
        # insertion sort of the vehicle's others by (flag, cost, request)
        for a in range(lo + 1, hi):
            f, c, r = e_flag[a], e_cost[a], e_req[a]
            b = a - 1
            while b >= lo and _ranks_before(f, c, r, e_flag[b], e_cost[b], e_req[b]):
                e_flag[b + 1] = e_flag[b]
                e_cost[b + 1] = e_cost[b]
                e_req[b + 1] = e_req[b]
                b -= 1
            e_flag[b + 1] = f
            e_cost[b + 1] = c
            e_req[b + 1] = r
        room = min(limit, max_cand - min(n_own[u], max_cand))
        for a in range(lo, min(hi, lo + room)):
            taken[e_req[a]] = True
        seen = 0
        for i in range(own_u.shape[0]):
            if own_u[i] == u and seen < max_cand:
                taken[n_new + i] = True
                seen += 1
        for r in range(n_req):
            if taken[r]:
                out[m] = r
                m += 1
                taken[r] = False
        ptr[u + 1] = m
    return ptr, out[:m].copy()


@JIT
def kept_slots(out_ptr, counts):
    """Indices of the written output slots, root after root."""
    n = 0
    for i in range(counts.shape[0]):
        n += counts[i]
    keep = np.empty(n, dtype=np.int64)
    at = 0
    for i in range(counts.shape[0]):
        for s in range(counts[i]):
            keep[at] = out_ptr[i] + s
            at += 1
    return keep


@JIT
def cost_range(vehicle_of_trip, costs, n_inv):
    """Per vehicle: the largest and smallest finite trip cost, each bounded by 0."""
    hi = np.zeros(n_inv)
    lo = np.zeros(n_inv)
    for t in range(costs.shape[0]):
        c = costs[t]
        if abs(c) < np.inf:
            v = vehicle_of_trip[t]
            if c > hi[v]:
                hi[v] = c
            if c < lo[v]:
                lo[v] = c
    return hi, lo


@JIT
def service_times(start_time_s, n, floats):
    """Service start at each stop of one plan (module layout), s."""
    width = floats.shape[1]
    arrival = np.empty(width)
    service = np.empty(width)
    departure = np.empty(width)
    vehicle_times(
        start_time_s, n, floats[F_EARLY], floats[F_LEG], floats[F_DWELL], arrival, service,
        departure,
    )  # fmt: skip
    return service[:n].copy()


@JIT
def trips_of_roots(problem, roots, weights):
    """:func:`enumerate_trips` with its output sized and compacted here.

    Same ``problem``, ``roots`` and ``weights``. Each root gets ``sum over
    d <= depth of C(n_cand, d)`` slots (the distinct request sets it can reach).

    Returns
    -------
    root_of : ndarray of int64, shape (n_trips,)
        The root of each trip written.
    cost : ndarray of float64, shape (n_trips,)
    seq : ndarray of int64, shape (n_trips, max_depth, 4)
    """
    cand_ptr = problem[9]
    root_vehicle, _, root_depth = roots
    n_roots = root_vehicle.shape[0]
    depth = 0
    for rho in range(n_roots):
        depth = max(depth, root_depth[rho])
    out_ptr = np.zeros(n_roots + 1, dtype=np.int64)
    for rho in range(n_roots):
        u = root_vehicle[rho]
        n = cand_ptr[u + 1] - cand_ptr[u]
        slots = 0
        term = 1  # C(n, d), d = 0, 1, ...
        for d in range(depth + 1):
            if d <= root_depth[rho]:
                slots += term
            term = term * max(n - d, 0) // (d + 1)
        out_ptr[rho + 1] = out_ptr[rho] + slots
    n_out = out_ptr[n_roots]
    out_mask = np.zeros(n_out, dtype=np.int64)
    out_cost = np.full(n_out, np.inf)
    out_seq = np.full((n_out, depth, 4), -1, dtype=np.int64)
    counts = enumerate_trips(problem, roots, out_ptr, depth, weights, out_mask, out_cost, out_seq)
    keep = kept_slots(out_ptr, counts)
    root_of = np.empty(keep.shape[0], dtype=np.int64)
    at = 0
    for rho in range(n_roots):
        for _ in range(counts[rho]):
            root_of[at] = rho
            at += 1
    cost = np.empty(keep.shape[0])
    seq = np.empty((keep.shape[0], depth, 4), dtype=np.int64)
    for i in range(keep.shape[0]):
        cost[i] = out_cost[keep[i]]
        for s in range(depth):
            for f in range(4):
                seq[i, s, f] = out_seq[keep[i], s, f]
    return root_of, cost, seq


@JIT
def best_combination(order, group_ptr, mask, trip_cost, n_new_of_trip, required, n_new, penalty,
                     max_combinations):  # fmt: skip
    """Every feasible choice of one trip per vehicle of a small part, by enumeration.

    ``order[group_ptr[g]:group_ptr[g + 1]]`` are the trips (positions) of the
    part's ``g``-th vehicle, ascending; ``mask`` each trip's requests as bits,
    ``required`` the bits that must be covered (movable riders). Partial
    combinations are extended vehicle after vehicle (in the order given, each
    combination by each compatible trip in turn); the value of a full one is
    its cost plus ``penalty`` per new request left out, and the first of the
    least is chosen.

    Returns
    -------
    ndarray of int64
        The chosen trip (position) of each vehicle in turn; empty when a step
        has no or more than ``max_combinations`` combinations, or none covers
        ``required`` (the caller's LP / MIP then decides).
    """
    n_groups = group_ptr.shape[0] - 1
    none = np.empty(0, dtype=np.int64)
    c_mask = np.zeros(1, dtype=np.int64)
    c_cost = np.zeros(1)
    c_new = np.zeros(1, dtype=np.int64)
    parents = []
    chosen = []
    for g in range(n_groups):
        lo = group_ptr[g]
        hi = group_ptr[g + 1]
        count = 0
        for a in range(c_mask.shape[0]):
            for i in range(lo, hi):
                if (c_mask[a] & mask[order[i]]) == 0:
                    count += 1
            if count > max_combinations:
                return none
        if count == 0:
            return none
        n_mask = np.empty(count, dtype=np.int64)
        n_cost = np.empty(count)
        n_new_c = np.empty(count, dtype=np.int64)
        parent = np.empty(count, dtype=np.int64)
        trip = np.empty(count, dtype=np.int64)
        at = 0
        for a in range(c_mask.shape[0]):
            for i in range(lo, hi):
                t = order[i]
                if (c_mask[a] & mask[t]) == 0:
                    n_mask[at] = c_mask[a] | mask[t]
                    n_cost[at] = c_cost[a] + trip_cost[t]
                    n_new_c[at] = c_new[a] + n_new_of_trip[t]
                    parent[at] = a
                    trip[at] = t
                    at += 1
        c_mask = n_mask
        c_cost = n_cost
        c_new = n_new_c
        parents.append(parent)
        chosen.append(trip)
    best = -1
    best_val = np.inf
    for a in range(c_mask.shape[0]):
        if (c_mask[a] & required) == required:
            val = c_cost[a] + penalty * (n_new - c_new[a])
            if val < best_val:
                best_val = val
                best = a
    if best < 0:
        return none
    picked = np.empty(n_groups, dtype=np.int64)
    for g in range(n_groups - 1, -1, -1):
        picked[g] = chosen[g][best]
        best = parents[g][best]
    return picked


@JIT
def _root(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@JIT
def part_labels(trip_vehicle, cover, n_inv, n_req):
    """Connected parts of the graph of vehicles and the requests their trips cover.

    Nodes ``0 .. n_inv - 1`` are vehicles, ``n_inv + r`` request ``r``; trip
    ``t`` links vehicle ``trip_vehicle[t]`` to every ``cover[t, :] >= 0``.
    Returns a label per node (equal labels: the same part; the numbering is
    arbitrary).
    """
    n = n_inv + n_req
    parent = np.arange(n)
    for t in range(cover.shape[0]):
        a = _root(parent, trip_vehicle[t])
        for s in range(cover.shape[1]):
            r = cover[t, s]
            if r >= 0:
                b = _root(parent, n_inv + r)
                if a != b:
                    if a < b:
                        parent[b] = a
                    else:
                        parent[a] = b
                        a = b
    label = np.empty(n, dtype=np.int64)
    for x in range(n):
        label[x] = _root(parent, x)
    return label


@JIT
def reduced_cost_search(group_ptr, col_mask, col_rc, required, slack_rc, tol, max_nodes, incumbent):
    """Exact set partitioning by depth-first branch and bound on reduced costs.

    The part's vehicles (groups) each take exactly one column; a column covers
    the requests its bits name (``col_mask``: ``W`` words of 63 bits each, request
    ``r`` is bit ``r % 63`` of word ``r // 63``); a request in ``required``
    (movable rider) is covered exactly once, any other at most once, and one left
    out costs its ``slack_rc``. ``col_rc`` and ``slack_rc`` are reduced costs
    ``c - A^T y`` for any row prices ``y``: for every feasible choice the cost is
    ``sum(y) + sum of the chosen reduced costs`` (an identity, whatever ``y``), so
    searching reduced costs is searching costs. With the LP optimum's prices they
    are mostly 0 or large, which is what makes the search small.

    Columns of group ``g`` are ``group_ptr[g] .. group_ptr[g + 1] - 1``, sorted by
    reduced cost ascending. A node's bound is its chosen reduced costs plus, for
    every group still open, its least reduced cost, plus every negative slack;
    a node is also cut when a required request it has not covered is in no
    column of the open groups. A leaf replaces the incumbent (at first of value
    ``incumbent``, e.g. inf) only when better by more than ``tol`` (so of equal
    ones the first found stays).

    Returns
    -------
    best : ndarray of int64
        The chosen column of each group, the best found (empty: none better
        than ``incumbent``).
    value : float
        Its sum of reduced costs (slack included); ``incumbent`` when none.
    complete : bool
        Whether the search ended within ``max_nodes`` nodes: then ``best`` is
        optimal (empty: no choice beats ``incumbent``).
    """
    n_g = group_ptr.shape[0] - 1
    n_w = col_mask.shape[1]
    none = np.empty(0, dtype=np.int64)
    if n_g == 0:
        return none, incumbent, True
    # bound of the open groups, and the requests they can still cover
    suffix = np.zeros(n_g + 1)
    reach = np.zeros((n_g + 1, n_w), dtype=np.int64)
    for g in range(n_g - 1, -1, -1):
        lo = group_ptr[g]
        hi = group_ptr[g + 1]
        if hi == lo:
            return none, incumbent, True
        suffix[g] = suffix[g + 1] + col_rc[lo]
        for w in range(n_w):
            acc = reach[g + 1, w]
            for i in range(lo, hi):
                acc |= col_mask[i, w]
            reach[g, w] = acc
    slack_lb = 0.0
    for r in range(slack_rc.shape[0]):
        if slack_rc[r] < 0.0:
            slack_lb += slack_rc[r]
    used = np.zeros((n_g + 1, n_w), dtype=np.int64)
    acc_rc = np.zeros(n_g + 1)
    pos = np.zeros(n_g, dtype=np.int64)
    path = np.zeros(n_g, dtype=np.int64)
    best = np.empty(0, dtype=np.int64)
    best_val = incumbent
    nodes = 0
    g = 0
    pos[0] = group_ptr[0]
    while g >= 0:
        hi = group_ptr[g + 1]
        advanced = False
        while pos[g] < hi:
            i = pos[g]
            pos[g] += 1
            if acc_rc[g] + col_rc[i] + suffix[g + 1] + slack_lb >= best_val - tol:
                break  # sorted: no later column of this group does better
            ok = True
            for w in range(n_w):
                if used[g, w] & col_mask[i, w]:
                    ok = False
                    break
            if not ok:
                continue
            for w in range(n_w):  # every required request still coverable
                got = used[g, w] | col_mask[i, w]
                if (required[w] & ~got & ~reach[g + 1, w]) != 0:
                    ok = False
                    break
            if not ok:
                continue
            nodes += 1
            if nodes > max_nodes:
                return best, best_val, False
            path[g] = i
            for w in range(n_w):
                used[g + 1, w] = used[g, w] | col_mask[i, w]
            acc_rc[g + 1] = acc_rc[g] + col_rc[i]
            advanced = True
            break
        if not advanced:
            g -= 1
            continue
        if g + 1 < n_g:
            g += 1
            pos[g] = group_ptr[g]
            continue
        # a full choice: required requests are covered (checked on the way)
        val = acc_rc[n_g]
        for r in range(slack_rc.shape[0]):
            if (used[n_g, r // 63] >> (r % 63)) & 1 == 0:
                val += slack_rc[r]
        if val < best_val - tol:
            best_val = val
            best = path.copy()
    return best, best_val, True


@JIT
def best_cover_dp(order, group_ptr, mask, trip_cost, required, new_bits, n_new, penalty, tol):
    """:func:`best_combination`'s optimum by dynamic programming over covered requests.

    Same inputs (``new_bits``: the new requests' bits, ``n_new`` their count);
    the part's requests are bits ``0 .. R - 1`` of ``mask`` with ``R`` small
    (states ``2**R`` per vehicle). ``best[g][used]`` is the least cost of
    vehicles ``g ..`` given the requests ``used`` before them (a full choice:
    ``penalty`` per new request left out, inf when a required one is). The
    choice is rebuilt vehicle after vehicle taking the first trip (in the order
    given) whose best completion reaches the optimum within ``tol``: the first
    of the least in :func:`best_combination`'s order, whatever its number of
    combinations.

    Returns
    -------
    ndarray of int64
        The chosen trip (position) of each vehicle in turn; empty when no
        choice covers ``required``.
    """
    n_groups = group_ptr.shape[0] - 1
    all_bits = required | new_bits
    for t in range(mask.shape[0]):
        all_bits |= mask[t]
    n_bits = 0
    while (all_bits >> n_bits) != 0:
        n_bits += 1
    n_states = 1 << n_bits
    best = np.full((n_groups + 1, n_states), np.inf)
    for used in range(n_states):
        if (used & required) == required:
            covered = 0
            x = used & new_bits
            while x:
                x &= x - 1
                covered += 1
            best[n_groups, used] = penalty * (n_new - covered)
    full = n_states - 1
    for g in range(n_groups - 1, -1, -1):
        for i in range(group_ptr[g], group_ptr[g + 1]):
            t = order[i]
            m = mask[t]
            c = trip_cost[t]
            # the states ``used`` disjoint from the trip: the subsets of the
            # other bits, walked downwards (each state sees the trips in order,
            # so the values are those of a walk over every state)
            free = full & ~m
            used = free
            while True:
                v = c + best[g + 1, used | m]
                if v < best[g, used]:
                    best[g, used] = v
                if used == 0:
                    break
                used = (used - 1) & free
    picked = np.empty(n_groups, dtype=np.int64)
    opt = best[0, 0]
    if not opt < np.inf:
        return np.empty(0, dtype=np.int64)
    prefix = 0.0
    used = 0
    for g in range(n_groups):
        picked[g] = -1
        for i in range(group_ptr[g], group_ptr[g + 1]):
            t = order[i]
            if (used & mask[t]) == 0:
                rest = best[g + 1, used | mask[t]]
                if rest < np.inf and prefix + trip_cost[t] + rest <= opt + tol:
                    picked[g] = t
                    prefix += trip_cost[t]
                    used |= mask[t]
                    break
        if picked[g] < 0:  # pragma: no cover - rounding beyond tol
            return np.empty(0, dtype=np.int64)
    return picked


@JIT
def part_columns(trip_rows, sub, row_of_req, slack_rows):
    """Column-wise structure of a part's set-partitioning matrix (all entries one).

    Trip ``t``'s column holds its vehicle's row ``trip_rows[t]`` and the row
    ``row_of_req[r]`` of each request ``r >= 0`` of ``sub[t]``, ascending (the
    vehicle rows come before every request row); then one column per slack
    row. Returns ``(indptr, indices)`` as int32, the CSC layout.
    """
    n_trips = sub.shape[0]
    w = sub.shape[1]
    n_slack = slack_rows.shape[0]
    indptr = np.zeros(n_trips + n_slack + 1, dtype=np.int32)
    nnz = 0
    for t in range(n_trips):
        nnz += 1
        for c in range(w):
            if sub[t, c] >= 0:
                nnz += 1
    indices = np.empty(nnz + n_slack, dtype=np.int32)
    rows = np.empty(w, dtype=np.int64)
    at = 0
    for t in range(n_trips):
        indices[at] = trip_rows[t]
        at += 1
        k = 0
        for c in range(w):
            if sub[t, c] >= 0:
                x = row_of_req[sub[t, c]]
                p = k  # insertion sort: a handful of requests per trip
                while p > 0 and rows[p - 1] > x:
                    rows[p] = rows[p - 1]
                    p -= 1
                rows[p] = x
                k += 1
        for p in range(k):
            indices[at] = rows[p]
            at += 1
        indptr[t + 1] = at
    for e in range(n_slack):
        indices[at] = slack_rows[e]
        at += 1
        indptr[n_trips + 1 + e] = at
    return indptr, indices


@JIT
def abs_sum(x):
    """``np.abs(x).sum()`` of a contiguous float64 array, bit for bit.

    NumPy sums a contiguous float64 array by pairwise summation (eight running
    sums over blocks of at most 128 elements, longer runs halved at a multiple
    of 8, the halves summed and added); this is the same order of additions,
    so the result is identical (tested). The halving runs on an explicit stack
    (Numba's cache does not keep recursive functions).
    """
    n_all = x.shape[0]
    if n_all <= 128:
        return _block_abs(x, 0, n_all)
    lo = np.empty(64, dtype=np.int64)
    ln = np.empty(64, dtype=np.int64)
    stage = np.zeros(64, dtype=np.int64)
    left = np.empty(64)
    lo[0] = 0
    ln[0] = n_all
    top = 0
    ret = 0.0
    while top >= 0:
        n = ln[top]
        if n <= 128:
            ret = _block_abs(x, lo[top], n)
            top -= 1
            continue
        n2 = n // 2
        n2 -= n2 % 8
        if stage[top] == 0:
            stage[top] = 1
            lo[top + 1] = lo[top]
            ln[top + 1] = n2
            stage[top + 1] = 0
            top += 1
        elif stage[top] == 1:
            left[top] = ret
            stage[top] = 2
            lo[top + 1] = lo[top] + n2
            ln[top + 1] = n - n2
            stage[top + 1] = 0
            top += 1
        else:
            ret = left[top] + ret
            top -= 1
    return ret


@JIT
def _block_abs(x, lo, n):
    """NumPy's pairwise sum of ``|x[lo:lo + n]|`` for ``n <= 128`` (one block)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += abs(x[i])
        return res
    r0 = abs(x[lo])
    r1 = abs(x[lo + 1])
    r2 = abs(x[lo + 2])
    r3 = abs(x[lo + 3])
    r4 = abs(x[lo + 4])
    r5 = abs(x[lo + 5])
    r6 = abs(x[lo + 6])
    r7 = abs(x[lo + 7])
    i = 8
    while i < n - (n % 8):
        r0 += abs(x[lo + i])
        r1 += abs(x[lo + i + 1])
        r2 += abs(x[lo + i + 2])
        r3 += abs(x[lo + i + 3])
        r4 += abs(x[lo + i + 4])
        r5 += abs(x[lo + i + 5])
        r6 += abs(x[lo + i + 6])
        r7 += abs(x[lo + i + 7])
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += abs(x[lo + i])
        i += 1
    return res


PART_ONE_TRIP, PART_ONE_VEHICLE, PART_DP, PART_ENUMERATION, PART_OPEN = 0, 1, 2, 3, 4
"""How :func:`solve_small_parts` settled a part (``PART_OPEN``: left to the caller)."""


@JIT
def solve_small_parts(tv, rm, cover, cost, n_inv, n_new, n_req, penalty, max_dp_states,
                      max_combinations):  # fmt: skip
    """Split one batch's trips into independent parts and solve the small ones.

    The parts are the connected components of :func:`part_labels`. A part of one
    trip takes it; a part of one vehicle takes its cheapest trip of the full
    plan (``rm < 0``), counting ``penalty`` per new request of the part left
    out; a part of at most 62 requests is solved by :func:`best_cover_dp` when
    its vehicles times request subsets stay within ``max_dp_states``, else (or
    when the DP finds no choice) by :func:`best_combination`. These are the
    steps, inputs and tie rules of ``batch._solve_part`` for such a part, taken
    for every part in one call; a part neither settles is left open.

    Parameters
    ----------
    tv, rm : ndarray of int64, shape (n_trips,)
        Each trip's involved vehicle and the request it removes (-1: none).
    cover : ndarray of int64, shape (n_trips, width)
        The requests each trip covers (-1 padded); below ``n_new``: new.
    cost : ndarray of float64, shape (n_trips,)
        Trip costs (cost units).
    n_inv, n_new, n_req : int
        Involved vehicles, new requests, all requests.
    penalty : float
        Cost of a new request left out.
    max_dp_states, max_combinations : int
        Limits of the DP and of the enumeration (``batch.MAX_DP_STATES``,
        ``batch.MAX_COMBINATIONS``).

    Returns
    -------
    chosen : ndarray of int64
        The trips chosen in the settled parts, ascending.
    open_ptr : ndarray of int64, shape (n_open + 1,)
        Open part ``i`` holds trips ``open_trips[open_ptr[i]:open_ptr[i + 1]]``.
    open_trips : ndarray of int64
        The open parts' trips, ascending within each part.
    open_new : ndarray of int64
        The open parts' new requests, ascending within each part, split by
        ``open_new_ptr``.
    open_new_ptr : ndarray of int64, shape (n_open + 1,)
    route : ndarray of int64, shape (n_parts,)
        How each part with trips was settled (``PART_*``), parts by label.
    """
    n_t = tv.shape[0]
    width = cover.shape[1]
    label = part_labels(tv, cover, n_inv, n_req)
    part_of_trip = np.empty(n_t, dtype=np.int64)
    for t in range(n_t):
        part_of_trip[t] = label[tv[t]]
    order = np.argsort(part_of_trip, kind="mergesort")
    n_new_of_label = np.zeros(n_inv + n_req, dtype=np.int64)
    for r in range(n_new):
        n_new_of_label[label[n_inv + r]] += 1
    n_cov = np.zeros(n_t, dtype=np.int64)
    for t in range(n_t):
        for s in range(width):
            if cover[t, s] >= 0 and cover[t, s] < n_new:
                n_cov[t] += 1
    chosen = np.empty(n_t, dtype=np.int64)
    n_chosen = 0
    open_trips = np.empty(n_t, dtype=np.int64)
    n_open_trips = 0
    open_ptr = [0]
    open_labels = []
    route = np.empty(n_t, dtype=np.int64)
    n_parts = 0
    reqs = np.empty(n_req, dtype=np.int64)
    in_part = np.zeros(n_req, dtype=np.bool_)
    bit_of = np.zeros(n_req, dtype=np.int64)
    at = 0
    while at < n_t:
        end = at + 1
        while end < n_t and part_of_trip[order[end]] == part_of_trip[order[at]]:
            end += 1
        size = end - at
        lab = part_of_trip[order[at]]
        n_p = n_new_of_label[lab]
        trips = order[at:end]
        at = end
        if size == 1:
            chosen[n_chosen] = trips[0]
            n_chosen += 1
            route[n_parts] = PART_ONE_TRIP
            n_parts += 1
            continue
        one_vehicle = True
        for i in range(1, size):
            if tv[trips[i]] != tv[trips[0]]:
                one_vehicle = False
                break
        if one_vehicle:  # its riders must stay: trips of the full plan only
            best = 0
            best_val = np.inf
            for i in range(size):
                t = trips[i]
                val = cost[t] + penalty * (n_p - n_cov[t]) if rm[t] < 0 else np.inf
                if val < best_val:
                    best_val = val
                    best = i
            chosen[n_chosen] = trips[best]
            n_chosen += 1
            route[n_parts] = PART_ONE_VEHICLE
            n_parts += 1
            continue
        # the part's requests, ascending: bit i is the i-th
        n_r = 0
        for i in range(size):
            for s in range(width):
                r = cover[trips[i], s]
                if r >= 0 and not in_part[r]:
                    in_part[r] = True
                    reqs[n_r] = r
                    n_r += 1
        u = np.sort(reqs[:n_r])
        for b in range(n_r):
            in_part[u[b]] = False  # (clear for the next part)
            bit_of[u[b]] = b
        picked = np.empty(0, dtype=np.int64)
        how = PART_OPEN
        if u.shape[0] <= 62:
            n_bits = u.shape[0]
            mask = np.zeros(size, dtype=np.int64)
            for i in range(size):
                for s in range(width):
                    r = cover[trips[i], s]
                    if r >= 0:
                        mask[i] |= np.int64(1) << bit_of[r]
            required = np.int64(0)
            new_bits = np.int64(0)
            for b in range(n_bits):
                if u[b] >= n_new:
                    required |= np.int64(1) << b
                else:
                    new_bits |= np.int64(1) << b
            owner = np.empty(size, dtype=np.int64)
            trip_cost = np.empty(size)
            n_cov_p = np.empty(size, dtype=np.int64)
            for i in range(size):
                owner[i] = tv[trips[i]]
                trip_cost[i] = cost[trips[i]]
                n_cov_p[i] = n_cov[trips[i]]
            local = np.argsort(owner, kind="mergesort")
            n_groups = 1
            for i in range(1, size):
                if owner[local[i]] != owner[local[i - 1]]:
                    n_groups += 1
            group_ptr = np.empty(n_groups + 1, dtype=np.int64)
            group_ptr[0] = 0
            g = 1
            for i in range(1, size):
                if owner[local[i]] != owner[local[i - 1]]:
                    group_ptr[g] = i
                    g += 1
            group_ptr[n_groups] = size
            if n_groups <= (max_dp_states >> n_bits):  # few requests: the same optimum by DP
                tol = 1e-9 * max(1.0, penalty * n_p + abs_sum(trip_cost))
                picked = best_cover_dp(
                    local, group_ptr, mask, trip_cost, required, new_bits, n_p, penalty, tol
                )
                how = PART_DP
            if picked.shape[0] == 0:
                picked = best_combination(
                    local, group_ptr, mask, trip_cost, n_cov_p, required, n_p, penalty,
                    max_combinations,
                )  # fmt: skip
                how = PART_ENUMERATION
        if picked.shape[0] == 0:
            for i in range(size):
                open_trips[n_open_trips] = trips[i]
                n_open_trips += 1
            open_ptr.append(n_open_trips)
            open_labels.append(lab)
            route[n_parts] = PART_OPEN
            n_parts += 1
            continue
        for i in range(picked.shape[0]):
            chosen[n_chosen] = trips[picked[i]]
            n_chosen += 1
        route[n_parts] = how
        n_parts += 1
    n_open = len(open_labels)
    open_new_ptr = np.zeros(n_open + 1, dtype=np.int64)
    for i in range(n_open):
        open_new_ptr[i + 1] = open_new_ptr[i] + n_new_of_label[open_labels[i]]
    open_new = np.empty(open_new_ptr[n_open], dtype=np.int64)
    for i in range(n_open):
        k = open_new_ptr[i]
        for r in range(n_new):
            if label[n_inv + r] == open_labels[i]:
                open_new[k] = r
                k += 1
    ptr = np.empty(n_open + 1, dtype=np.int64)
    for i in range(n_open + 1):
        ptr[i] = open_ptr[i]
    return (
        np.sort(chosen[:n_chosen]), ptr, open_trips[:n_open_trips].copy(), open_new,
        open_new_ptr, route[:n_parts].copy(),
    )  # fmt: skip


@JIT
def trip_cover(tv, rm, slots, cost, cand_ptr, cand_req, own_u, n_inv, n_new, n_req):
    """The requests each trip covers, one trip kept per vehicle and request set.

    Parameters
    ----------
    tv, rm : ndarray of int64, shape (n_trips,)
        Each trip's involved vehicle and the request (index) its root removed
        (-1: none).
    slots : ndarray of int64, shape (n_trips, depth)
        The candidate position of each insertion (-1: none).
    cost : ndarray of float64, shape (n_trips,)
    cand_ptr, cand_req : ndarray of int64
        Candidate requests of each involved vehicle (the problem's layout).
    own_u : ndarray of int64, shape (n_req - n_new,)
        The involved vehicle of each movable rider (request ``n_new + i``).
    n_inv, n_new, n_req : int

    Returns
    -------
    keep : ndarray of int64
        The trips kept, ascending: of the trips of one vehicle, removed request
        and set of inserted requests, the cheapest (ties: the first). A plan
        less one rider with that rider put back counts as the plan itself.
    cover : ndarray of int64, shape (n_keep, max(own riders, 1) + depth)
        The kept trips' requests: the vehicle's movable riders (index
        ascending, the removed one -1), then the inserted ones, descending, -1
        padded.
    rm_kept : ndarray of int64
        ``rm`` of the kept trips (-1 where the rider was put back).
    n_ins : ndarray of int64
        Inserted requests of each kept trip.
    ok : bool
        False when the key code would overflow (then nothing else is valid).
    """
    n_t = tv.shape[0]
    depth = slots.shape[1]
    base = n_req + 1
    # the set key as one integer: (vehicle, removed + 1, inserted + 1 ...) in base n_req + 1
    limit = np.int64(1) << 62
    room = limit // max(n_inv, 1)
    for _ in range(1 + depth):
        room //= base
    ok = room >= 1
    rm2 = rm.copy()
    ins = np.full((n_t, max(depth, 1)), -1, dtype=np.int64)
    n_own = np.zeros(n_inv, dtype=np.int64)
    for i in range(own_u.shape[0]):
        n_own[own_u[i]] += 1
    width = 1
    for u in range(n_inv):
        width = max(width, n_own[u])
    own = np.full((n_inv, width), -1, dtype=np.int64)
    fill = np.zeros(n_inv, dtype=np.int64)
    for i in range(own_u.shape[0]):
        u = own_u[i]
        own[u, fill[u]] = n_new + i
        fill[u] += 1
    if not ok:
        return (
            np.empty(0, dtype=np.int64), np.empty((0, width + depth), dtype=np.int64),
            rm2, np.empty(0, dtype=np.int64), False,
        )  # fmt: skip
    codes = np.empty(n_t, dtype=np.int64)
    for t in range(n_t):
        for j in range(depth):
            q = slots[t, j]
            ins[t, j] = cand_req[cand_ptr[tv[t]] + q] if q >= 0 else -1
        if rm2[t] >= 0 and ins[t, 0] == rm2[t]:  # the rider put back
            rm2[t] = -1
            ins[t, 0] = -1
        for j in range(1, depth):  # descending, -1 last
            x = ins[t, j]
            i = j - 1
            while i >= 0 and ins[t, i] < x:
                ins[t, i + 1] = ins[t, i]
                i -= 1
            ins[t, i + 1] = x
        code = tv[t] * base + rm2[t] + 1
        for j in range(depth):
            code = code * base + ins[t, j] + 1
        codes[t] = code
    # per code the cheapest trip, the first of equal costs: a stable sort by
    # code keeps each code's trips in index order
    by_code = np.argsort(codes, kind="mergesort")
    keep = np.empty(n_t, dtype=np.int64)
    n_k = 0
    a = 0
    while a < n_t:
        pick = by_code[a]
        b = a + 1
        while b < n_t and codes[by_code[b]] == codes[pick]:
            if cost[by_code[b]] < cost[pick]:
                pick = by_code[b]
            b += 1
        keep[n_k] = pick
        n_k += 1
        a = b
    keep = np.sort(keep[:n_k])
    cover = np.empty((n_k, width + depth), dtype=np.int64)
    rm_kept = np.empty(n_k, dtype=np.int64)
    n_ins = np.zeros(n_k, dtype=np.int64)
    for a in range(n_k):
        t = keep[a]
        rm_kept[a] = rm2[t]
        for j in range(width):
            r = own[tv[t], j]
            cover[a, j] = -1 if r == rm2[t] else r
        for j in range(depth):
            cover[a, width + j] = ins[t, j]
            if ins[t, j] >= 0:
                n_ins[a] += 1
    return keep, cover, rm_kept, n_ins, True


@JIT
def trip_plans(problem, us, removed, seqs):
    """:func:`trip_plan` and :func:`service_times` for every chosen trip, in one call.

    Parameters
    ----------
    problem : tuple of ndarray
        The arrays of :data:`PROBLEM_FIELDS`.
    us, removed : ndarray of int64, shape (m,)
        Involved vehicle of each trip and the request id its root removed (-1: none).
    seqs : ndarray of int64, shape (m, depth, 4)
        The insertions of each trip (as ``trips_of_roots`` writes them).

    Returns
    -------
    ints : ndarray of int64, shape (m, N_INT, width)
    floats : ndarray of float64, shape (m, N_FLOAT, width)
        The plans (module layout), columns ``0 .. n - 1`` used.
    n : ndarray of int64, shape (m,)
        Stop counts (-1: the removed rider is not in the plan).
    service : ndarray of float64, shape (m, width)
        Service start at each stop, s.
    """
    start_time_s = problem[0]
    n_stops = problem[3]
    m = us.shape[0]
    depth = seqs.shape[1]
    width = 1
    for i in range(m):
        width = max(width, n_stops[us[i]] + 2 * depth + 2)
    ints = np.empty((m, N_INT, width), dtype=np.int64)
    floats = np.empty((m, N_FLOAT, width))
    n = np.empty(m, dtype=np.int64)
    service = np.zeros((m, width))
    arrival = np.empty(width)
    departure = np.empty(width)
    for i in range(m):
        n[i] = trip_plan(problem, us[i], removed[i], seqs[i], ints[i], floats[i])
        if n[i] >= 0:
            f = floats[i]
            vehicle_times(
                start_time_s[us[i]], n[i], f[F_EARLY], f[F_LEG], f[F_DWELL], arrival,
                service[i], departure,
            )  # fmt: skip
    return ints, floats, n, service


@JIT
def write_plans(rows, ints, floats, n, node, kind, req, pax, early, late, leg, dwell, int_pad,
                float_pad, n_stops):  # fmt: skip
    """Write plans (as :func:`trip_plans` returns them) into schedule arrays, in place.

    ``node, kind, req, pax`` are the (n_veh, width) int64 per-stop arrays of rows
    ``I_NODE, I_KIND, I_REQ, I_PAX``, ``early, late, leg, dwell`` the float64 ones
    of rows ``F_EARLY, F_LATE, F_LEG, F_DWELL``; ``int_pad`` / ``float_pad`` the
    value of an unused stop in each, in that order. Row ``rows[i]`` receives plan
    ``i`` (``n[i]`` stops, the rest padded) and ``n_stops[rows[i]] = n[i]``.
    """
    width = node.shape[1]
    for i in range(rows.shape[0]):
        v = rows[i]
        for k in range(width):
            if k < n[i]:
                node[v, k] = ints[i, I_NODE, k]
                kind[v, k] = ints[i, I_KIND, k]
                req[v, k] = ints[i, I_REQ, k]
                pax[v, k] = ints[i, I_PAX, k]
                early[v, k] = floats[i, F_EARLY, k]
                late[v, k] = floats[i, F_LATE, k]
                leg[v, k] = floats[i, F_LEG, k]
                dwell[v, k] = floats[i, F_DWELL, k]
            else:
                node[v, k] = int_pad[0]
                kind[v, k] = int_pad[1]
                req[v, k] = int_pad[2]
                pax[v, k] = int_pad[3]
                early[v, k] = float_pad[0]
                late[v, k] = float_pad[1]
                leg[v, k] = float_pad[2]
                dwell[v, k] = float_pad[3]
        n_stops[v] = n[i]
