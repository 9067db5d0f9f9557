"""Numba kernels of the insertion heuristic: they see only arrays and scalars.

Timing semantics of a schedule (one vehicle, stops ``0 .. n-1``)::

    arrival_0   = start_time_s + leg_0
    service_k   = max(arrival_k, earliest_k)          # the vehicle waits if early
    departure_k = service_k + dwell_k
    arrival_k+1 = departure_k + leg_k+1

The schedule is feasible iff every time is finite, ``service_k <= latest_k`` for
every stop, and the load (``start_load`` plus the group sizes of the pickups, minus
those of the drop-offs, so far) stays within ``[0, capacity]`` at the start and
after every stop.

Conventions of an insertion (one new request, pickup ``P`` and drop-off ``D``):

- ``P`` goes before existing stop ``i`` and ``D`` before existing stop ``j``,
  ``0 <= i <= j <= n`` (``n`` means appended); ``j == i`` means ``D`` right after ``P``.
- ride time = service start at ``D`` - departure from ``P`` (after the pickup dwell).
  The new drop-off stop gets ``latest_s = min(departure_P + max_ride_s,
  latest_dropoff_s)`` and the test is written in that form, so that the stored
  schedule re-checks bit for bit. Its ``earliest_s`` is ``earliest_dropoff_s``
  (the wrapper passes the pickup's earliest when the request has no drop-off window:
  never binding).
- end of the plan (return to depot, route duration): the departure from the last
  stop plus the drive from there to the depot (``to_depot_s`` when the last stop
  stays last, ``dropoff_to_depot_s`` when ``D`` is appended) must not pass
  ``end_by_s``; a plan that already does gets no insertion.
- cost = ``w_vehicle * added vehicle time`` (new minus old departure from the last
  stop; ``start_time_s`` when the schedule was empty) ``+ w_wait * (service_P -
  earliest_pickup_s) + w_ride * ride time + w_delay * sum over existing drop-offs of
  (new - old service start) + w_drive * added drive time`` (the legs into and out
  of the new stops minus the legs they replace: driving, without the waits and
  dwells that the end-time change also counts).
- Ties: lowest cost, then lowest vehicle, then lowest ``i``, then lowest ``j``.
- A candidate that needs a travel time that is not finite (``inf`` or ``nan``) is
  infeasible. A vehicle whose current schedule is already infeasible gets no insertion.

The per-pair test is O(1): the stops before ``P`` do not move, the stops between
``P`` and ``D`` are re-timed as ``j`` walks forward (one stop per step, so they are
exact and any violation ends the walk), and the stops after ``D`` are checked
against the forward slack::

    slack_n = inf
    slack_k = min(latest_k - service_k, slack_k+1) + wait_k,   wait_k = service_k - arrival_k

the largest delay of the arrival at stop ``k`` that the suffix ``k .. n-1`` absorbs
(waiting at an early stop soaks delay up). A delay ``d >= 0`` at stop ``k``
reaches the end of the schedule as ``max(0, d - sum of the waits from k on)``.
This is exact when the detours are non-negative, which holds when the travel times
obey the triangle inequality; otherwise the kernel is conservative (it never moves
a later stop earlier). With ``w_delay > 0`` the delays of the drop-offs after ``D``
are summed by bisection on the cumulative waits, O(log n) per pair.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from idrt.jit import JIT, PJIT, cached_jit

_INLINE = cached_jit(nogil=True, inline="always")
"""For the helpers called once per candidate per request: compiled into their callers
(a call passes every array again, with reference counting, at about 0.1 us)."""

N_WORK = 8
"""Rows of the per-vehicle work buffer of :func:`best_insertion_vehicle`."""

N_CHUNKS = 64
"""Blocks of vehicles :func:`best_insertion` hands to threads, each with one buffer."""

FLEET_FIELDS = (
    "start_time_s",
    "start_load",
    "capacity",
    "n_stops",
    "stop_kind",
    "stop_pax",
    "earliest_s",
    "latest_s",
    "leg_s",
    "dwell_s",
)
"""The :class:`~idrt.dispatch.Schedules` arrays of the ``fleet`` tuple, in its order."""


@JIT
def service_start(arrival_s, earliest_s):
    """Service start at a stop: ``max(arrival, earliest)``; a NaN arrival stays NaN."""
    return earliest_s if earliest_s > arrival_s else arrival_s


@JIT
def vehicle_times(
    start_time_s, n_stops, earliest_s, leg_s, dwell_s, arrival_s, service_s, departure_s
):
    """Time one vehicle's schedule in place: the single definition of the semantics.

    Parameters
    ----------
    start_time_s : float
        Time at the start point, s.
    n_stops : int
        Number of stops used in the rows below.
    earliest_s, leg_s, dwell_s : ndarray of float64
        Earliest service start, drive time into the stop and dwell, s.
    arrival_s, service_s, departure_s : ndarray of float64
        Outputs, s; entries ``0 .. n_stops-1`` are written.
    """
    t = start_time_s
    for k in range(n_stops):
        a = t + leg_s[k]
        b = service_start(a, earliest_s[k])
        arrival_s[k] = a
        service_s[k] = b
        t = b + dwell_s[k]
        departure_s[k] = t


@JIT
def vehicle_loads(start_load, n_stops, stop_kind, stop_pax, load_after):
    """Write the load after each stop (passengers) into ``load_after[:n_stops]``."""
    load = start_load
    for k in range(n_stops):
        load += stop_kind[k] * stop_pax[k]
        load_after[k] = load


@JIT
def schedule_times(
    start_time_s, start_load, n_stops, stop_kind, stop_pax, earliest_s, leg_s, dwell_s
):
    """Time every vehicle's schedule.

    Parameters
    ----------
    start_time_s : ndarray of float64, shape (n_veh,)
        Time each vehicle is at its start point, s.
    start_load : ndarray of int64, shape (n_veh,)
        Passengers on board at the start point.
    n_stops : ndarray of int64, shape (n_veh,)
        Stops used per row of the padded arrays.
    stop_kind, stop_pax : ndarray of int64, shape (n_veh, s_max)
        +1 pickup / -1 drop-off, and group size.
    earliest_s, leg_s, dwell_s : ndarray of float64, shape (n_veh, s_max)
        Earliest service start, drive time into the stop and dwell, s.

    Returns
    -------
    arrival_s, service_s, departure_s : ndarray of float64, shape (n_veh, s_max)
        NaN beyond ``n_stops``.
    load_after : ndarray of int64, shape (n_veh, s_max)
        Passengers on board after each stop; -1 beyond ``n_stops``.
    """
    n_veh, s_max = leg_s.shape
    arrival_s = np.full((n_veh, s_max), np.nan)
    service_s = np.full((n_veh, s_max), np.nan)
    departure_s = np.full((n_veh, s_max), np.nan)
    load_after = np.full((n_veh, s_max), -1, dtype=np.int64)
    for v in range(n_veh):
        vehicle_times(
            start_time_s[v],
            n_stops[v],
            earliest_s[v],
            leg_s[v],
            dwell_s[v],
            arrival_s[v],
            service_s[v],
            departure_s[v],
        )
        vehicle_loads(start_load[v], n_stops[v], stop_kind[v], stop_pax[v], load_after[v])
    return arrival_s, service_s, departure_s, load_after


@JIT
def current_plan(start_time_s, start_load, capacity, n, stops, work):
    """Times and loads of a vehicle's current plan, and whether it is feasible.

    Fills ``work[0:4]`` (arrival, service start, departure, load after each of
    the ``n`` stops, s and riders) from ``stops`` as in
    :func:`best_insertion_vehicle`. Feasible: the start load within
    ``[0, capacity]`` and a finite start time, and at every stop a load within
    ``[0, capacity]`` and a finite service start no later than its latest time.
    The fills stop at the first infeasible stop.
    """
    stop_kind, stop_pax, earliest_s, latest_s, leg_s, dwell_s = stops
    if start_load < 0 or start_load > capacity or not (abs(start_time_s) < np.inf):
        return False
    arrival, service, departure, load = work[0], work[1], work[2], work[3]
    vehicle_times(start_time_s, n, earliest_s, leg_s, dwell_s, arrival, service, departure)
    ld = start_load
    for k in range(n):
        ld += stop_kind[k] * stop_pax[k]
        load[k] = ld
        if ld < 0 or ld > capacity or not (service[k] <= latest_s[k] and service[k] < np.inf):
            return False
    return True


@JIT
def feasible_vehicles(start_time_s, start_load, capacity, n_stops, latest_s, service_s, load_after):
    """Whether each vehicle's timed schedule meets every deadline and the capacity."""
    n_veh = n_stops.shape[0]
    ok = np.ones(n_veh, dtype=np.bool_)
    for v in range(n_veh):
        if start_load[v] < 0 or start_load[v] > capacity[v] or not (abs(start_time_s[v]) < np.inf):
            ok[v] = False
            continue
        for k in range(n_stops[v]):
            if not (service_s[v, k] <= latest_s[v, k] and abs(service_s[v, k]) < np.inf):
                ok[v] = False
                break
            if load_after[v, k] < 0 or load_after[v, k] > capacity[v]:
                ok[v] = False
                break
    return ok


@JIT
def _suffix_delay(m, n, delay, cum_wait, n_drop, drop_cum_wait):
    """Sum of the service-start delays of the drop-offs ``m .. n-1``.

    The arrival at stop ``m`` is ``delay`` s late; stop ``k`` starts service
    ``max(0, delay - (cum_wait[k+1] - cum_wait[m]))`` s late. ``cum_wait`` never
    decreases, so the delayed stops are a prefix ``m .. m+q-1`` found by bisection,
    skipped when the waits from ``m`` on are less than ``delay`` (every stop
    delayed: the usual case, and the same prefix).
    """
    if m >= n or delay <= 0.0:
        return 0.0
    threshold = delay + cum_wait[m]
    lo = m  # cum_wait[lo] < threshold holds
    hi = n + 1  # first index that fails, or n + 1
    if cum_wait[n] < threshold:  # the waits never absorb it: every stop delayed
        lo = n
        hi = n + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cum_wait[mid] < threshold:
            lo = mid
        else:
            hi = mid
    q = lo - m  # stops m .. m+q-1 are delayed
    count = n_drop[m + q] - n_drop[m]
    total = count * threshold - (drop_cum_wait[m + q] - drop_cum_wait[m])
    return total if total > 0.0 else 0.0


@JIT
def best_insertion_vehicle(head, stops, legs, request, weights, work, cost_matrix):
    """Cheapest feasible insertion of one request into one vehicle's schedule.

    Enumerates every pickup position ``i`` and drop-off position ``j >= i`` in
    O(n_stops**2) with an O(1) feasibility test per pair (see the module notes).

    Parameters
    ----------
    head : tuple
        ``(start_time_s, start_load, capacity, n_stops, end_by_s, to_depot_s,
        dropoff_to_depot_s)``: time at the start point (s), passengers on board
        there, seats, stops in the rows; the time by which the plan, plus the
        drive from its last stop to the depot, must end (s, ``inf`` for none),
        that drive from the current last point (the start point when the plan
        is empty), and from the new drop-off (s; 0 when the plan need not return).
    stops : tuple of ndarray, each shape (s_max,)
        The vehicle's rows of :data:`FLEET_STOPS` (``stop_kind, stop_pax,
        earliest_s, latest_s, leg_s, dwell_s``): +1 pickup / -1 drop-off, group
        size, service window, drive time into the stop and dwell (s).
    legs : tuple of ndarray, each shape (s_max + 1,)
        ``(to_pickup_s, from_pickup_s, to_dropoff_s, from_dropoff_s)``: drive
        time from the point before position ``i`` to the new stop, and from the
        new stop to existing stop ``i``, s.
    request : tuple of float
        ``(pickup_to_dropoff_s, pax, earliest_pickup_s, latest_pickup_s,
        max_ride_s, dwell_pickup_s, dwell_dropoff_s, earliest_dropoff_s,
        latest_dropoff_s)``: drive time P -> D (s), group size, pickup window,
        ride-time limit, dwells of the new stops and drop-off window (s).
    weights : ndarray of float64, shape (5,)
        ``w_vehicle, w_wait, w_ride, w_delay, w_drive``, cost per s.
    work : ndarray of float64, shape (N_WORK, >= n_stops + 1)
        Scratch space, overwritten.
    cost_matrix : ndarray of float64, shape (0, 0) or (>= n_stops + 1, >= n_stops + 1)
        When not empty, ``cost_matrix[i, j]`` receives the cost of every feasible
        candidate; other entries are left as they are (for tests and diagnostics).

    Returns
    -------
    cost : float
        Cost of the best insertion, ``inf`` when none is feasible.
    i, j : int
        Pickup and drop-off positions, -1 when none is feasible.
    pickup_time_s, dropoff_time_s : float
        Service start of the new pickup and drop-off, s (NaN when none).
    """
    ok, old_end = prepare_plan(head, stops, work)
    if not ok:
        return np.inf, -1, -1, np.nan, np.nan
    return scan_insertions(head, stops, legs, request, weights, work, cost_matrix, old_end)


@JIT
def prepare_plan(head, stops, work):
    """The current plan's part of :func:`best_insertion_vehicle`, once per plan.

    Writes the plan's times, loads, slacks and cumulative waits into ``work``
    (rows 0-7, read by :func:`scan_insertions`) from ``head`` and ``stops`` (as
    in :func:`best_insertion_vehicle`; the request's travel times play no part).

    Returns
    -------
    ok : bool
        Whether the plan is feasible and ends in time (else no insertion is).
    old_end : float
        Departure from the last stop (the start time when empty), s.
    """
    inf = np.inf
    start_time_s, start_load, capacity, n, end_by_s, to_depot_s, _ = head
    stop_kind = stops[0]
    latest_s = stops[3]
    arrival = work[0]
    service = work[1]
    departure = work[2]
    slack = work[4]
    cum_wait = work[5]  # cum_wait[k] = sum of the waits at stops 0 .. k-1
    n_drop = work[6]  # drop-offs among stops 0 .. k-1
    drop_cum_wait = work[7]  # sum of cum_wait[t + 1] over drop-offs t < k

    # The current schedule: times, loads, feasibility.
    if not current_plan(start_time_s, start_load, capacity, n, stops, work):
        return False, start_time_s
    old_end = departure[n - 1] if n > 0 else start_time_s
    if not (old_end + to_depot_s <= end_by_s):
        return False, old_end

    slack[n] = inf
    for k in range(n - 1, -1, -1):
        s = latest_s[k] - service[k]
        if slack[k + 1] < s:
            s = slack[k + 1]
        slack[k] = s + (service[k] - arrival[k])
    cum_wait[0] = 0.0
    n_drop[0] = 0.0
    drop_cum_wait[0] = 0.0
    for k in range(n):
        cum_wait[k + 1] = cum_wait[k] + (service[k] - arrival[k])
        if stop_kind[k] < 0:
            n_drop[k + 1] = n_drop[k] + 1.0
            drop_cum_wait[k + 1] = drop_cum_wait[k] + cum_wait[k + 1]
        else:
            n_drop[k + 1] = n_drop[k]
            drop_cum_wait[k + 1] = drop_cum_wait[k]

    return True, old_end


@JIT
def scan_insertions(head, stops, legs, request, weights, work, cost_matrix, old_end):
    """Every insertion of one request into a plan :func:`prepare_plan` has prepared.

    Arguments as in :func:`best_insertion_vehicle` (``work`` as
    :func:`prepare_plan` left it, only read here; ``old_end`` its return);
    the same return values. A plan prepared once serves every request.
    """
    return _scan_core(
        head, stops, legs, request, weights, work, cost_matrix, old_end, _NO_BOUNDS, 0, np.inf, 0.0
    )


_NO_BOUNDS = np.empty(0)
"""No per-position bounds: :func:`_scan_core` tries every pickup position."""


@_INLINE
def _scan_core(head, stops, legs, request, weights, work, cost_matrix, old_end, pos_lb, a, cutoff,
               margin):  # fmt: skip
    """:func:`scan_insertions`, skipping the pickup positions that cannot beat ``cutoff``.

    ``pos_lb[a + i]`` is a lower bound of the cost of every insertion with
    the pickup at position ``i`` (:func:`_lower_bound_row`) before the
    rounding allowance (``margin`` and 1e-12 of it, as the vehicle's bound
    is adjusted); a position whose adjusted bound exceeds ``cutoff`` (the
    best cost found on other vehicles) is not tried. Exact: when the plan's
    best cost is at most ``cutoff``, every position holding an insertion of
    that cost has a bound at most ``cutoff``, so the same insertion (cost,
    then lowest ``i``, then ``j``) is found; otherwise the answer, like the
    plan's best, exceeds ``cutoff``. An empty ``pos_lb`` tries every position.
    """
    inf = np.inf
    skip = pos_lb.shape[0] > 0
    start_time_s, start_load, capacity, n, end_by_s, to_depot_s, dropoff_to_depot_s = head
    stop_kind, _, earliest_s, latest_s, leg_s, dwell_s = stops
    to_pickup_s, from_pickup_s, to_dropoff_s, from_dropoff_s = legs
    (pickup_to_dropoff_s, pax_f, earliest_pickup_s, latest_pickup_s, max_ride_s,
     dwell_pickup_s, dwell_dropoff_s, earliest_dropoff_s, latest_dropoff_s) = request  # fmt: skip
    pax = int(pax_f)
    arrival = work[0]
    service = work[1]
    departure = work[2]
    load = work[3]
    slack = work[4]
    cum_wait = work[5]
    n_drop = work[6]
    drop_cum_wait = work[7]

    w_vehicle = weights[0]
    w_wait = weights[1]
    w_ride = weights[2]
    w_delay = weights[3]
    w_drive = weights[4]
    best = inf
    best_i = -1
    best_j = -1
    best_tp = np.nan
    best_td = np.nan
    record = cost_matrix.shape[0] > 0

    for i in range(n + 1):
        if skip:
            x = pos_lb[a + i]
            if abs(x) < inf:
                x = x - margin - 1e-12 * abs(x)
            if x > cutoff:
                continue
        prev_dep = start_time_s if i == 0 else departure[i - 1]
        run_load = start_load if i == 0 else load[i - 1]
        if run_load + pax > capacity:
            continue
        tp = to_pickup_s[i]
        if not (tp < inf):
            continue
        b_p = service_start(prev_dep + tp, earliest_pickup_s)
        if not (b_p <= latest_pickup_s):
            continue
        d_p = b_p + dwell_pickup_s
        deadline = d_p + max_ride_s
        if latest_dropoff_s < deadline:
            deadline = latest_dropoff_s
        wait_cost = w_wait * (b_p - earliest_pickup_s)
        mid_dep = d_p  # departure from whatever precedes D
        mid_delay = 0.0  # added delay of the drop-offs between P and D
        for j in range(i, n + 1):
            if j > i:
                # re-time existing stop k = j - 1, now between P and D
                k = j - 1
                if k == i:
                    leg = from_pickup_s[i]
                    if not (leg < inf):
                        break
                else:
                    leg = leg_s[k]
                b = service_start(mid_dep + leg, earliest_s[k])
                if not (b <= latest_s[k]):
                    break
                if load[k] > run_load:
                    run_load = load[k]
                if run_load + pax > capacity:
                    break
                if stop_kind[k] < 0:
                    mid_delay += b - service[k]
                mid_dep = b + dwell_s[k]
            td = pickup_to_dropoff_s if j == i else to_dropoff_s[j]
            if not (td < inf):
                continue
            b_d = service_start(mid_dep + td, earliest_dropoff_s)
            if not (b_d <= deadline):
                continue
            d_d = b_d + dwell_dropoff_s
            if j < n:
                fd = from_dropoff_s[j]
                if not (fd < inf):
                    continue
                delay = d_d + fd - arrival[j]
                if not (delay <= slack[j]):
                    continue
                added = delay - (cum_wait[n] - cum_wait[j])
                if added < 0.0:
                    added = 0.0
                if not (old_end + added + to_depot_s <= end_by_s):
                    continue
            else:
                delay = 0.0
                added = d_d - old_end
                if not (d_d + dropoff_to_depot_s <= end_by_s):
                    continue
            cost = w_vehicle * added + wait_cost + w_ride * (b_d - d_p)
            if w_drive != 0.0:
                # added drive time: the legs the new stops replace, and theirs
                if j == i:
                    drive = tp + td if j == n else tp + td + from_dropoff_s[j] - leg_s[j]
                else:
                    drive = tp + from_pickup_s[i] - leg_s[i] + td
                    if j < n:
                        drive += from_dropoff_s[j] - leg_s[j]
                cost += w_drive * drive
            if w_delay != 0.0:
                total_delay = mid_delay + _suffix_delay(
                    j, n, delay, cum_wait, n_drop, drop_cum_wait
                )
                cost += w_delay * total_delay
            if record:
                cost_matrix[i, j] = cost
            if cost < best:
                best = cost
                best_i = i
                best_j = j
                best_tp = b_p
                best_td = b_d
    return best, best_i, best_j, best_tp, best_td


@JIT
def _scan_vehicles(lo, hi, rows, trows, fleet, times, request, weights, work, found):
    """Best insertion into each candidate ``q`` in ``lo .. hi-1``: the one loop body.

    Candidate ``q`` is vehicle ``rows[q]`` (a row of the ``fleet`` arrays) with
    travel times in row ``trows[q]`` of the ``times`` arrays. ``found[q]``
    receives ``cost, i, j, pickup_time_s, dropoff_time_s``.
    """
    start_time_s, start_load, capacity, n_stops = fleet[0], fleet[1], fleet[2], fleet[3]
    kind, pax, earliest, latest, leg, dwell = fleet[4:10]
    end_by, to_depot = fleet[10], fleet[11]
    to_p, from_p, to_d, from_d, dropoff_to_depot = times
    limited = end_by.shape[0] > 0  # empty: no vehicle limits
    homing = dropoff_to_depot.shape[0] > 0  # empty: no drive home
    for q in range(lo, hi):
        v = rows[q]
        t = trows[q]
        c, i, j, tp, td = best_insertion_vehicle(
            (
                start_time_s[v],
                start_load[v],
                capacity[v],
                n_stops[v],
                end_by[v] if limited else np.inf,
                to_depot[v] if limited else 0.0,
                dropoff_to_depot[t] if homing else 0.0,
            ),
            (kind[v], pax[v], earliest[v], latest[v], leg[v], dwell[v]),
            (to_p[t], from_p[t], to_d[t], from_d[t]),
            request,
            weights,
            work,
            np.empty((0, 0)),
        )
        found[q, 0] = c
        found[q, 1] = i
        found[q, 2] = j
        found[q, 3] = tp
        found[q, 4] = td


@JIT
def _pick(rows, found):
    """The cheapest candidate; strict ``<`` in candidate order keeps the first on ties."""
    best_q = -1
    best = np.inf
    for q in range(rows.shape[0]):
        if found[q, 0] < best:
            best = found[q, 0]
            best_q = q
    if best_q < 0:
        return np.inf, -1, -1, -1, -1, np.nan, np.nan
    f = found[best_q]
    return f[0], rows[best_q], best_q, int(f[1]), int(f[2]), f[3], f[4]


@PJIT
def best_insertion(fleet, times, request, weights, rows, trows):
    """Cheapest feasible insertion over candidate vehicles, in parallel blocks.

    Parameters
    ----------
    fleet : tuple of ndarray
        The arrays of :data:`FLEET_FIELDS`, per vehicle (shape (n_veh,)) and
        per stop (shape (n_veh, s_max)), then ``end_by_s`` and ``to_depot_s``
        (shape (n_veh,), or both empty for no limits); those of
        :func:`best_insertion_vehicle` with a leading vehicle axis.
    times : tuple of ndarray
        ``(to_pickup_s, from_pickup_s, to_dropoff_s, from_dropoff_s)``, each
        shape (n_times, s_max + 1), and ``dropoff_to_depot_s``, shape (n_times,)
        or empty for zeros; s.
    request : tuple of float
        As in :func:`best_insertion_vehicle`.
    weights : ndarray of float64, shape (5,)
    rows, trows : ndarray of int64, shape (k,)
        Candidate ``q`` is vehicle ``rows[q]`` with travel times in row
        ``trows[q]`` (``trows = rows`` for fleet-wide time arrays, ``arange``
        for arrays of the candidates only); list candidates by ascending
        vehicle so that ties go to the lowest vehicle.

    Returns
    -------
    cost : float
        ``inf`` when no vehicle can take the request.
    vehicle, q, i, j : int
        Vehicle, its candidate index and the positions; -1 when none.
    pickup_time_s, dropoff_time_s : float
        Service starts of the new stops, s; NaN when none.
    """
    k = rows.shape[0]
    s_max = fleet[8].shape[1]
    found = np.empty((k, 5))
    n_chunks = min(k, N_CHUNKS)
    work = np.empty((max(n_chunks, 1), N_WORK, s_max + 1))  # one buffer per block
    for chunk in prange(n_chunks):
        lo = chunk * k // n_chunks
        hi = (chunk + 1) * k // n_chunks
        _scan_vehicles(lo, hi, rows, trows, fleet, times, request, weights, work[chunk], found)
    return _pick(rows, found)


@JIT
def best_insertion_serial(fleet, times, request, weights, rows, trows):
    """:func:`best_insertion` on one thread: same arguments, same loop body, same answer.

    Cheaper for small fleets, where starting the threads costs more than the work.
    """
    k = rows.shape[0]
    found = np.empty((k, 5))
    work = np.empty((N_WORK, fleet[8].shape[1] + 1))
    _scan_vehicles(0, k, rows, trows, fleet, times, request, weights, work, found)
    return _pick(rows, found)


@JIT
def spread_row(src, n, i, j, p_val, d_val, out):
    """Write one stop row with the new stops: ``old 0..i-1 | P | old i..j-1 | D | old j..n-1``.

    ``src[:n]`` is read, ``out[:n + 2]`` written (``0 <= i <= j <= n``); the
    single place that lays out an insertion, for the immediate and batch kernels.
    """
    for k in range(n):
        out[k + (k >= i) + (k >= j)] = src[k]
    out[i] = p_val
    out[j + 1] = d_val


@JIT
def finish_insertion(
    start_time_s, n, i, j, earliest, latest, leg, dwell, from_p, from_d, max_ride_s, work
):
    """Legs out of the new stops and the drop-off deadline of rows laid out by :func:`spread_row`.

    The stop after P (when D does not follow it) is reached ``from_p`` s after
    P, the one after D ``from_d`` s after D; the drop-off's ``latest`` becomes
    the pickup departure plus ``max_ride_s``. ``work`` (>= 3 rows of n + 2)
    receives arrival, service and departure times.
    """
    if j > i:
        leg[i + 1] = from_p
    if j < n:
        leg[j + 2] = from_d
    vehicle_times(start_time_s, n + 2, earliest, leg, dwell, work[0], work[1], work[2])
    latest[j + 1] = work[2, i] + max_ride_s


@JIT
def apply_insertion(
    start_time_s,
    n_stops,
    stop_node,
    stop_kind,
    stop_request,
    stop_pax,
    earliest_s,
    latest_s,
    leg_s,
    dwell_s,
    pickup_pos,
    dropoff_pos,
    new_stop,
    to_pickup_s,
    from_pickup_s,
    to_dropoff_s,
    from_dropoff_s,
    pickup_to_dropoff_s,
    max_ride_s,
):
    """Build one vehicle's new stop rows with the request's pickup and drop-off inserted.

    Parameters
    ----------
    start_time_s : float
        Time at the start point, s.
    n_stops : int
        Stops in the rows before insertion.
    stop_node, stop_kind, stop_request, stop_pax : ndarray of int64, shape (>= n_stops,)
    earliest_s, latest_s, leg_s, dwell_s : ndarray of float64, shape (>= n_stops,)
        The vehicle's current rows.
    pickup_pos, dropoff_pos : int
        ``0 <= pickup_pos <= dropoff_pos <= n_stops``.
    new_stop : tuple
        ``(request_id, pickup_node, dropoff_node, pax, earliest_pickup_s,
        latest_pickup_s, dwell_pickup_s, dwell_dropoff_s, earliest_dropoff_s,
        latest_dropoff_s)``.
    to_pickup_s, from_pickup_s, to_dropoff_s, from_dropoff_s : ndarray of float64
        The vehicle's rows of the travel-time inputs, shape (>= n_stops + 1,), s.
    pickup_to_dropoff_s, max_ride_s : float
        Drive time P -> D and ride-time limit, s.

    Returns
    -------
    tuple of ndarray, each of length ``n_stops + 2``
        ``stop_node, stop_kind, stop_request, stop_pax, earliest_s, latest_s, leg_s,
        dwell_s``. The drop-off's ``latest_s`` is the pickup departure plus
        ``max_ride_s``, or ``latest_dropoff_s`` when earlier; the leg into the
        stop after P (or D) becomes ``from_pickup_s`` (``from_dropoff_s``).
    """
    i, j, n = pickup_pos, dropoff_pos, n_stops
    request_id, p_node, d_node, pax, e_pick, l_pick, dw_pick, dw_drop, e_drop, l_drop = new_stop
    node = np.empty(n + 2, dtype=stop_node.dtype)
    kind = np.empty(n + 2, dtype=stop_kind.dtype)
    request = np.empty(n + 2, dtype=stop_request.dtype)
    pax_row = np.empty(n + 2, dtype=stop_pax.dtype)
    earliest = np.empty(n + 2)
    latest = np.empty(n + 2)
    leg = np.empty(n + 2)
    dwell = np.empty(n + 2)
    spread_row(stop_node, n, i, j, p_node, d_node, node)
    spread_row(stop_kind, n, i, j, 1, -1, kind)
    spread_row(stop_request, n, i, j, request_id, request_id, request)
    spread_row(stop_pax, n, i, j, pax, pax, pax_row)
    spread_row(earliest_s, n, i, j, e_pick, e_drop, earliest)
    spread_row(latest_s, n, i, j, l_pick, np.inf, latest)  # drop-off deadline set below
    d_leg = pickup_to_dropoff_s if j == i else to_dropoff_s[j]
    spread_row(leg_s, n, i, j, to_pickup_s[i], d_leg, leg)
    spread_row(dwell_s, n, i, j, dw_pick, dw_drop, dwell)
    from_p = from_pickup_s[i] if j > i else 0.0
    from_d = from_dropoff_s[j] if j < n else 0.0
    work = np.empty((3, n + 2))
    finish_insertion(
        start_time_s, n, i, j, earliest, latest, leg, dwell, from_p, from_d, max_ride_s, work
    )
    if l_drop < latest[j + 1]:
        latest[j + 1] = l_drop
    return node, kind, request, pax_row, earliest, latest, leg, dwell


BOUND_MARGIN_S = 1e-6
"""Slack, s, taken off every lower bound of :func:`insertion_lower_bounds` (float rounding)."""


@_INLINE
def _leg_excess(fleet, v, n, table, slot, stop_node, r, out):
    """The most by which a leg after stop ``i`` exceeds the table's time, per ``i``.

    ``out[i] = max(0, max over k in i+1 .. n-1 of leg_s[v, k] - table[stop k-1, stop k])``
    (``out[n - 1] = 0``): how much shorter than its stored leg the table
    says the way between two consecutive stops is, the most a drop-off
    inserted between them can make the plan earlier. ``r`` is the plan's
    row of ``stop_node``. Returns False when the table lacks a time.
    """
    leg_s = fleet[8]
    x = 0.0
    if n > 0:
        out[n - 1] = 0.0
    for k in range(n - 1, 0, -1):
        a = slot[stop_node[r, k - 1]]
        b = slot[stop_node[r, k]]
        if a < 0 or b < 0:
            return False
        t = table[a, b]
        if t != t:
            return False
        e = leg_s[v, k] - t
        if e > x:
            x = e
        out[k - 1] = x
    return True


@_INLINE
def _remembered_excess(fleet, v, n, table, slot, stop_node, r, out, memo):
    """:func:`_leg_excess` of vehicle ``v``'s plan, from ``memo`` when computed before.

    The excess depends only on the plan's stop nodes, its legs after the
    first (``leg_s[v, 1 .. n-1]``; the first leg changes as the vehicle
    moves) and the table: ``memo = (excess, nodes, legs, count, token,
    table_token)`` keeps per vehicle the last excess with the nodes, legs,
    stop count and table token it came from, and is used only when all of
    them are equal (bit for bit) to the current ones; else the excess is
    computed and kept. ``table_token`` names ``(table, slot)`` (the caller
    gives each pair its own). Arrays with fewer columns than ``n`` (or none)
    keep nothing.
    """
    ex, nodes, legs, count, token, table_token = memo
    leg_s = fleet[8]
    if not (nodes.shape[0] > v and n <= nodes.shape[1]):
        return _leg_excess(fleet, v, n, table, slot, stop_node, r, out)
    hit = token[v] == table_token and count[v] == n
    if hit:
        for k in range(n):
            if nodes[v, k] != stop_node[r, k] or (k > 0 and not legs[v, k] == leg_s[v, k]):
                hit = False
                break
    if hit:
        for k in range(n):
            out[k] = ex[v, k]
        return True
    if not _leg_excess(fleet, v, n, table, slot, stop_node, r, out):
        return False
    for k in range(n):
        ex[v, k] = out[k]
        nodes[v, k] = stop_node[r, k]
        legs[v, k] = leg_s[v, k]
    count[v] = n
    token[v] = table_token
    return True


@_INLINE
def _suffix_delay_work(m, n, delay, work):
    """:func:`_suffix_delay` with ``cum_wait, n_drop, drop_cum_wait`` in rows 5-7 of ``work``."""
    if m >= n or delay <= 0.0:
        return 0.0
    threshold = delay + work[5, m]
    lo = m
    hi = n + 1
    if work[5, n] < threshold:  # as in _suffix_delay: every stop delayed
        lo = n
        hi = n + 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if work[5, mid] < threshold:
            lo = mid
        else:
            hi = mid
    q = lo - m
    count = work[6, m + q] - work[6, m]
    total = count * threshold - (work[7, m + q] - work[7, m])
    return total if total > 0.0 else 0.0


@_INLINE
def _cum_waits(stop_kind, v, n, work):
    """Rows 5-7 of ``work`` for :func:`_suffix_delay_work` from the plan's times in rows 0-1."""
    work[5, 0] = 0.0
    work[6, 0] = 0.0
    work[7, 0] = 0.0
    for k in range(n):
        work[5, k + 1] = work[5, k] + (work[1, k] - work[0, k])
        if stop_kind[v, k] < 0:
            work[6, k + 1] = work[6, k] + 1.0
            work[7, k + 1] = work[7, k] + work[5, k + 1]
        else:
            work[6, k + 1] = work[6, k]
            work[7, k + 1] = work[7, k]


@_INLINE
def _lower_bound_row(fleet, v, to_pickup_s, from_pickup_s, a, request, weights, work, excess,
                     pos_lb, pos_x, pos_e):  # fmt: skip
    """Lower bound of vehicle ``v``'s best insertion cost from the pickup's times alone.

    See :func:`insertion_lower_bounds`. ``fleet`` as in :func:`best_insertion`
    (its first ten arrays; read in place, row ``v``: no array views are made,
    the loop runs once per candidate per request); the pickup's times of
    position ``i`` are ``to_pickup_s[a + i]`` and ``from_pickup_s[a + i]``;
    ``work`` has :data:`N_WORK` rows of at least ``n_stops + 1``. The plan is
    timed as by :func:`current_plan`. ``excess``: empty when the plan's legs
    and the new times obey the triangle inequality (one metric), else per
    pickup position ``i`` the most by which a stored leg after stop ``i``
    exceeds the new times' metric (:func:`_leg_excess`): the bound of
    :func:`insertion_lower_bounds_any`. Returns ``inf`` when the vehicle has
    no feasible insertion by the pickup's own tests (or its plan is already
    infeasible), ``-inf`` when a time it needs is NaN (not known).

    The bound is the least of one bound per pickup position ``i``. When
    ``pos_lb`` is not empty, ``pos_lb[a + i]`` receives a lower bound of the
    cost of every insertion with the pickup at ``i`` (``inf`` where none
    passes the pickup's tests), before the rounding allowance that
    :func:`_scan_core` takes off: that position's bound, or, where it cannot
    be the least (its part without the ``w_delay`` term is already at least
    the least so far, and that term is >= 0 there), that part alone, whose
    sum of delays is then not computed. Not written when the return is
    ``-inf``. When ``pos_x`` is not empty (with ``pos_lb``), ``pos_x[a + i]``
    receives the vehicle-time part of position ``i``'s bound before it is
    clipped at 0 (the pickup's delay ``late`` of stop ``i`` plus the
    drop-off's dwell less the waits from stop ``i`` on, less ``excess[i]``
    without one metric), NaN where the bound has no such part (``i = n``, a
    time not known, no bound, or ``late < 0`` without one metric): for
    :func:`_dropoff_rebound`. Without one metric ``pos_e`` (then as long as
    ``pos_x``) receives ``excess[i]`` at ``[a + i]``, the excess taken off
    that part; with one metric it is not written (it may be empty).
    """
    inf = np.inf
    start_time_s, start_load, capacity, n_stops = fleet[0], fleet[1], fleet[2], fleet[3]
    stop_kind, stop_pax, earliest_s, latest_s, leg_s, dwell_s = fleet[4:10]
    (pickup_to_dropoff_s, pax_f, earliest_pickup_s, latest_pickup_s, _max_ride_s,
     dwell_pickup_s, dwell_dropoff_s, _earliest_dropoff_s, _latest_dropoff_s) = request  # fmt: skip
    pax = int(pax_f)
    metric = excess.shape[0] == 0
    n = n_stops[v]
    t0 = start_time_s[v]
    load0 = start_load[v]
    cap = capacity[v]
    # the current plan (current_plan's arithmetic): arrival, service, departure, load
    if load0 < 0 or load0 > cap or not (abs(t0) < inf):
        return inf
    t = t0
    ld = load0
    for k in range(n):
        arr = t + leg_s[v, k]
        e = earliest_s[v, k]
        b = e if e > arr else arr  # service_start
        work[0, k] = arr
        work[1, k] = b
        t = b + dwell_s[v, k]
        work[2, k] = t
        ld += stop_kind[v, k] * stop_pax[v, k]
        work[3, k] = ld
        if ld < 0 or ld > cap or not (b <= latest_s[v, k] and b < inf):
            return inf
    old_end = work[2, n - 1] if n > 0 else t0
    w_vehicle = weights[0]
    w_wait = weights[1]
    w_delay = weights[3]
    if w_delay != 0.0 and n > 0:  # rows 5-7: cumulative waits of _suffix_delay
        _cum_waits(stop_kind, v, n, work)
    per_position = pos_lb.shape[0] > 0
    keep_x = pos_x.shape[0] > 0
    ride = weights[2] * pickup_to_dropoff_s if metric else 0.0
    waits_after = 0.0  # waits at stops i .. n-1 (filled from the end)
    best = inf
    for i in range(n, -1, -1):
        if i < n:
            waits_after += work[1, i] - work[0, i]
        if per_position:
            pos_lb[a + i] = inf
        if keep_x:
            pos_x[a + i] = np.nan
        prev_dep = t0 if i == 0 else work[2, i - 1]
        run_load = load0 if i == 0 else work[3, i - 1]
        if run_load + pax > cap:
            continue
        tp = to_pickup_s[a + i]
        if tp != tp:
            return -inf
        if not (tp < inf):
            continue
        b_p = prev_dep + tp
        if earliest_pickup_s > b_p:  # service_start
            b_p = earliest_pickup_s
        if not (b_p <= latest_pickup_s):
            continue
        d_p = b_p + dwell_pickup_s
        delays = 0.0
        spread = -1.0  # a delay of stop i to sum over the drop-offs (_suffix_delay_work)
        earlier = False  # the plan may end earlier (a time-dependent plan only)
        if i == n:  # P appended: D follows it, the plan ends at D
            added = d_p + pickup_to_dropoff_s + dwell_dropoff_s - old_end
        else:
            fp = from_pickup_s[a + i]
            if fp != fp:
                return -inf
            if fp < inf:
                # stop i is reached d_p + fp instead of arrival[i]; D adds at least
                # its dwell; waits from stop i on absorb at most waits_after
                late = d_p + fp - work[0, i]
                if metric:
                    added = late + dwell_dropoff_s - waits_after
                    if keep_x:
                        pos_x[a + i] = added
                    if w_delay != 0.0:
                        # the drop-offs from stop i on are delayed at least as by P
                        # alone (D's detour is >= 0): best_insertion_vehicle's sum
                        spread = late
                elif late >= 0.0:
                    # D before a later stop k may take up to excess[i] off leg k
                    added = late + dwell_dropoff_s - excess[i] - waits_after
                    if keep_x:
                        pos_x[a + i] = added
                        pos_e[a + i] = excess[i]
                    if w_delay != 0.0:
                        spread = late - excess[i]
                else:  # P makes stop i earlier: every later stop at most |late| earlier
                    earlier = True
                    added = late + dwell_dropoff_s
                    if added > 0.0:
                        added = 0.0
                    if w_delay != 0.0:
                        delays = (work[6, n] - work[6, i]) * late
            else:  # not known (a bounded search): D may still go before stop i
                added = 0.0
        if added < 0.0 and not earlier:
            added = 0.0
        lb = w_wait * (b_p - earliest_pickup_s) + w_vehicle * added
        if spread < 0.0 or lb < best:  # else the sum (>= 0) cannot make this the least
            if spread >= 0.0:
                delays = _suffix_delay_work(i, n, spread, work)
            lb = lb + w_delay * delays
        if lb < best:
            best = lb
        if per_position:
            pos_lb[a + i] = lb + ride
    if best < inf and metric:
        best += weights[2] * pickup_to_dropoff_s
    return best


@_INLINE
def _dropoff_rebound(leg_s, v, n, to_pickup_s, from_pickup_s, a, pickup_to_dropoff_s, w_vehicle,
                     pos_lb, pos_x, pos_e, to_dropoff_s, from_dropoff_s):  # fmt: skip
    """Raise the pickup positions' bounds by the least detour the drop-off can make.

    ``pos_lb``, ``pos_x`` and ``pos_e`` as :func:`_lower_bound_row` wrote them
    for vehicle ``v`` (``n`` stops, pickup times at ``[a + i]``; ``pos_e``
    empty: one metric, no excess taken off); ``to_dropoff_s``,
    ``from_dropoff_s``: the drop-off's times of the plan (:func:`_table_row`,
    from offset 0). With the pickup at ``i < n``, delaying stop ``i`` by
    ``late >= 0``, the drop-off goes right after it (detour
    ``pickup_to_dropoff_s + from_dropoff_s[i] - from_pickup_s[i]``), before a
    later stop ``j`` (``to_dropoff_s[j] + from_dropoff_s[j] - leg_s[j]``) or
    last (``to_dropoff_s[n]``). Each stop's service moves by at least its
    arrival's shift less its wait (of any sign), and the legs between the new
    stops are the stored ones, so the plan's added vehicle time
    (:func:`_scan_core`'s ``added``) is at least ``max(0, late +
    dwell_dropoff_s + detour - waits from stop i on)`` (appended last, its
    ``added`` is not clipped at 0 but is >= ``to_dropoff_s[n] +
    dwell_dropoff_s`` as no stop moves earlier when ``late >= 0``): the detours are exact
    differences of the times the search itself adds, so this holds whatever
    the stored legs (no triangle inequality needed; a detour is negative
    where ``leg_s[j]`` exceeds the new times). ``pos_x[a + i] + pos_e[a + i]``
    is that sum without the detour, and the bound's vehicle part ``w_vehicle
    * max(0, pos_x[a + i])`` rises to ``w_vehicle * max(0, pos_x[a + i] +
    pos_e[a + i] + m)``, ``m`` the least detour, where that is larger (with
    one metric each detour is >= 0 by the triangle inequality; without, each
    is >= minus the leg's excess over ``table`` when the table obeys it, so
    the new part is then at least the old); ``inf`` where the drop-off has
    nowhere to go. Positions with ``pos_x`` NaN are left as they are.
    Returns the least bound (``inf``: none).
    """
    inf = np.inf
    has_e = pos_e.shape[0] > 0
    d_after = to_dropoff_s[n]  # least detour of the drop-off after position i
    least = inf
    for i in range(n, -1, -1):
        if i + 1 < n:  # the drop-off before stop i + 1
            x = to_dropoff_s[i + 1] + from_dropoff_s[i + 1] - leg_s[v, i + 1]
            if x < d_after:
                d_after = x
        lb = pos_lb[a + i]
        part = pos_x[a + i]
        if i < n and part == part and lb < inf:
            m = pickup_to_dropoff_s + from_dropoff_s[i] - from_pickup_s[a + i]
            if d_after < m:
                m = d_after
            if not (m < inf):
                lb = inf
            else:
                hi = part + pos_e[a + i] + m if has_e else part + m
                old = part if part > 0.0 else 0.0
                if hi > old:
                    lb += w_vehicle * (hi - old)
            pos_lb[a + i] = lb
        if lb < least:
            least = lb
    return least


@JIT
def insertion_lower_bounds(fleet, to_pickup_s, from_pickup_s, request, weights, rows, trows):
    """Lower bounds of each candidate's best insertion cost, from the pickup's times alone.

    For vehicle-level branch and bound: no candidate's
    :func:`best_insertion_vehicle` cost is below its bound, so candidates
    searched in increasing bound order can stop at the first bound above the
    best cost found (ties go to the lowest vehicle, so a bound equal to it
    is still searched).

    Valid when the travel times obey the triangle inequality (the stored legs
    and the new times come from one shortest-path metric, as with a static
    oracle): then no insertion moves a stop earlier, every added delay, ride
    and drive time is >= 0, the drop-off adds at least its dwell and the
    rider rides at least ``pickup_to_dropoff_s``. The bound of pickup position
    ``i`` is ``w_wait * (service_P - earliest_pickup_s) + w_vehicle * max(0,
    delay at stop i + dwell_dropoff_s - waits from stop i on)`` (for ``i = n``
    the plan's new end ``departure_P + pickup_to_dropoff_s + dwell_dropoff_s``
    minus the old) plus ``w_delay`` times the delays of the drop-offs from
    stop ``i`` on that the pickup's delay of stop ``i`` alone causes (the
    sum :func:`best_insertion_vehicle` makes, by :func:`_suffix_delay`: the
    drop-off only adds delay), the least over the pickup positions that pass
    the pickup's own tests (capacity, window), plus ``w_ride *
    pickup_to_dropoff_s``; less :data:`BOUND_MARGIN_S` times the weights'
    sum, for float rounding.

    Parameters
    ----------
    fleet : tuple of ndarray
        As in :func:`best_insertion` (only the first ten arrays are read).
    to_pickup_s, from_pickup_s : ndarray of float64, shape (n_times, s_max + 1)
        As in :func:`best_insertion`, s; NaN (a time not known) gives the
        candidate the bound ``-inf``.
    request : tuple of float
        As in :func:`best_insertion_vehicle`.
    weights : ndarray of float64, shape (5,)
    rows, trows : ndarray of int64, shape (k,)
        As in :func:`best_insertion`.

    Returns
    -------
    ndarray of float64, shape (k,)
        Cost lower bounds; ``inf`` for a candidate without a feasible
        insertion.
    """
    k = rows.shape[0]
    out = np.empty(k)
    work = np.empty((N_WORK, fleet[8].shape[1] + 1))
    no_excess = np.empty(0)  # one metric
    margin = BOUND_MARGIN_S * (1.0 + weights.sum())
    for q in range(k):
        v = rows[q]
        t = trows[q]
        lb = _lower_bound_row(
            fleet, v, to_pickup_s[t], from_pickup_s[t], 0, request, weights, work, no_excess,
            no_excess, no_excess, no_excess,
        )  # fmt: skip
        out[q] = lb - margin - 1e-12 * abs(lb) if abs(lb) < np.inf else lb
    return out


@JIT
def insertion_lower_bounds_any(fleet, to_pickup_s, from_pickup_s, request, weights, rows, trows,
                               table, slot, stop_node):  # fmt: skip
    """:func:`insertion_lower_bounds` for stored legs that need not obey the triangle inequality.

    The plans' legs may come from other travel times than the new ones (a
    time-dependent oracle: legs planned in earlier hourly slices), which
    must come from ``table`` and obey the triangle inequality among
    themselves (one slice's shortest paths). Then an inserted drop-off can
    make the plan *earlier* where a stored leg exceeds the table's time
    between its stops, by at most that excess, and a pickup can make a stop
    earlier. Per pickup position ``i`` with the pickup's delay ``late`` of
    stop ``i``: ``late >= 0``: ``w_vehicle * max(0, late + dwell_dropoff_s -
    excess_i - waits from stop i on) + w_delay * delays of the drop-offs
    from stop i on by late - excess_i``, ``excess_i`` the largest excess of a
    leg after stop ``i`` (:func:`_leg_excess`); ``late < 0``: ``w_vehicle *
    min(0, late + dwell_dropoff_s) + w_delay * late`` per drop-off from stop
    ``i`` on; plus the wait, as :func:`insertion_lower_bounds`; no ride
    term; ``w_drive`` must be 0. Valid in the metric case too, never above
    :func:`insertion_lower_bounds`' bound there.

    Parameters
    ----------
    fleet, to_pickup_s, from_pickup_s, request, weights, rows, trows
        As in :func:`insertion_lower_bounds`.
    table : ndarray of float64, shape (t, t)
        The new times' table (as in :func:`best_insertion_table`).
    slot : ndarray of int64, shape (n_nodes,)
    stop_node : ndarray of int64, shape (n_veh, s_max)
        The plans' stop nodes.

    Returns
    -------
    ndarray of float64, shape (k,)
        Cost lower bounds (``-inf`` where the table lacks a time).
    """
    k = rows.shape[0]
    out = np.empty(k)
    width = fleet[8].shape[1] + 1
    work = np.empty((N_WORK, width))
    excess = np.empty(width)
    margin = BOUND_MARGIN_S * (1.0 + weights.sum())
    for q in range(k):
        v = rows[q]
        if not _leg_excess(fleet, v, fleet[3][v], table, slot, stop_node, v, excess):
            out[q] = -np.inf
            continue
        lb = _lower_bound_row(
            fleet, v, to_pickup_s[trows[q]], from_pickup_s[trows[q]], 0, request, weights, work,
            excess, excess[:0], excess[:0], excess[:0],
        )  # fmt: skip
        out[q] = lb - margin - 1e-12 * abs(lb) if abs(lb) < np.inf else lb
    return out


@_INLINE
def _table_row(table, table_to, slot, node, start_node, stop_node, r, n, start, into, out, a):
    """Table times between the points of one plan and ``node``, into ``out[a .. a + n]``.

    The plan's points are ``start_node[r]`` (its start) and ``stop_node[r,
    0 .. n-1]`` (its stops). ``into``: ``out[a + i]`` from the point before
    position ``i`` to ``node`` (``i = 0`` only with ``start``), read from
    ``table_to`` (``table_to[j, a]`` is the time from slot ``a`` to slot
    ``j``: the transpose, so that one row holds every time into ``node``);
    else ``out[a + i]`` from ``node`` to stop ``i``, read from ``table``.
    ``inf`` where no leg exists, as :func:`idrt.sim._kernels.plan_times`.
    Returns False when the table lacks a time (a node outside it, or NaN).
    """
    for i in range(n + 1):
        out[a + i] = np.inf
    j = slot[node]
    if j < 0:
        return False
    if into:
        for i in range(0 if start else 1, n + 1):
            s = slot[start_node[r] if i == 0 else stop_node[r, i - 1]]
            if s < 0:
                return False
            x = table_to[j, s]
            if x != x:
                return False
            out[a + i] = x
    else:
        for i in range(n):
            s = slot[stop_node[r, i]]
            if s < 0:
                return False
            x = table[j, s]
            if x != x:
                return False
            out[a + i] = x
    return True


@JIT
def _idle_copies(rows, by_vehicle, fleet, start_node):
    """Which candidates are idle copies of a lower-numbered idle candidate.

    An empty plan's insertions depend only on its start node, start time,
    load and seats; two such vehicles get the same cost, and the tie goes
    to the lower index, so only the first of each such group (candidates
    in ascending vehicle order) needs searching. One pass, the groups in a
    small open-addressing table keyed by the start node.

    Returns
    -------
    ndarray of bool, shape (k,)
        True for an idle candidate identical to an earlier one.
    """
    start_time_s, start_load, capacity, n_stops = fleet[0], fleet[1], fleet[2], fleet[3]
    k = rows.shape[0]
    copy = np.zeros(k, dtype=np.bool_)
    size = 16
    while size < 2 * k:
        size *= 2
    first = np.full(size, -1, dtype=np.int64)  # candidate heading each group
    for q in range(k):
        v = rows[q]
        if n_stops[v] != 0:
            continue
        node = start_node[v if by_vehicle else q]
        h = (node * 2654435761) & (size - 1)
        while True:
            p = first[h]
            if p < 0:
                first[h] = q
                break
            u = rows[p]
            if (
                start_node[u if by_vehicle else p] == node
                and start_time_s[u] == start_time_s[v]
                and start_load[u] == start_load[v]
                and capacity[u] == capacity[v]
            ):
                copy[q] = True
                break
            h = (h + 1) & (size - 1)
    return copy


@_INLINE
def _pickup_rows(table, table_to, col, gather, slot, j, start_node, stop_node, r, n, to_p, from_p,
                 a):  # fmt: skip
    """:func:`_table_row` of the pickup both ways, in one pass over the plan's points.

    ``to_p[a + i]``: from the point before position ``i`` (the start point
    for ``i = 0``) into slot ``j``, from ``col`` (``table_to[j]`` gathered)
    when ``gather``, else from ``table_to[j]``; ``from_p[a + i]``: from slot
    ``j`` to stop ``i`` (``inf`` for ``i = n``). Returns False when the table
    lacks a time (``j`` or a point outside it, or NaN), as :func:`_table_row`
    does for either row.
    """
    if j < 0:
        return False
    s = slot[start_node[r]]
    if s < 0:
        return False
    x = col[s] if gather else table_to[j, s]
    if x != x:
        return False
    to_p[a] = x
    for i in range(n):
        s = slot[stop_node[r, i]]
        if s < 0:
            return False
        y = table[j, s]
        x = col[s] if gather else table_to[j, s]
        if x != x or y != y:
            return False
        from_p[a + i] = y
        to_p[a + i + 1] = x
    from_p[a + n] = np.inf
    return True


@JIT
def _search_order(bound):
    """Candidates to search, by increasing bound (stable), as far as the first ``inf``.

    The order of ``np.argsort(bound, kind="mergesort")`` (NaN after ``inf``)
    cut before its first ``inf``: only the bounds below it are sorted.
    """
    k = bound.shape[0]
    idx = np.empty(k, dtype=np.int64)
    vals = np.empty(k)
    has_inf = False
    for q in range(k):
        if bound[q] == np.inf:
            has_inf = True
    m = 0
    for q in range(k):
        b = bound[q]
        if b < np.inf or b == -np.inf or (b != b and not has_inf):
            idx[m] = q
            vals[m] = b
            m += 1
    sub = np.argsort(vals[:m], kind="mergesort")
    order = np.empty(m, dtype=np.int64)
    for t in range(m):
        order[t] = idx[sub[t]]
    return order


@_INLINE
def _reachable(start_time_s, first_leg_s, start, first, lower_to, lower_slot, jl, latest_cut):
    """Whether a plan may serve the pickup (slot ``jl`` of ``lower_slot``) by ``latest_cut``.

    :func:`idrt.sim._kernels.can_reach`'s test for one pickup: no insertion
    serves it before ``start_time_s + min(lower(start, P), first_leg_s +
    lower(first, P))`` (``start``: the plan's start node; ``first``: its first
    stop's node, -1 for an empty plan; ``lower`` from ``lower_to``, the
    transposed table of an oracle whose times never exceed the planned ones,
    0 where it lacks the time). False when that is not at most ``latest_cut``
    (NaN included).
    """
    a = lower_slot[start]
    x = lower_to[jl, a] if a >= 0 and jl >= 0 else 0.0
    reach = start_time_s + x
    if first >= 0:
        f = lower_slot[first]
        x = lower_to[jl, f] if f >= 0 and jl >= 0 else 0.0
        via = (start_time_s + first_leg_s) + x
        if via < reach:
            reach = via
    return reach <= latest_cut


@JIT
def best_insertion_table(fleet, start_node, stop_node, by_vehicle, table, table_to, slot, pickup,
                         dropoff, request, weights, rows, bounded, metric, memo,
                         reach):  # fmt: skip
    """:func:`best_insertion_serial` with times looked up in a table, by branch and bound.

    The travel times come from ``table`` (as
    :func:`idrt.sim._kernels.plan_times` builds them). The pickup's times are
    looked up for every candidate; with ``bounded`` the candidates are then
    searched in increasing order of :func:`insertion_lower_bounds` (stable:
    ties in candidate order) and the search stops at the first bound above
    the best cost found, so the drop-off's times are looked up only for the
    candidates searched. A bound equal to the best cost is still searched and
    a candidate with the same cost wins only with a lower vehicle index,
    so the answer is :func:`best_insertion_serial`'s (lowest cost, then
    vehicle, then positions) when the bounds hold, that is when the times
    obey the triangle inequality (see :func:`insertion_lower_bounds`).
    Without ``bounded`` every candidate is searched, in candidate order.
    Either way candidates that cannot reach the pickup in time (``reach``)
    are dropped first, and an idle vehicle (empty plan) identical to a lower-numbered
    idle candidate (same start node, start time, load and seats) is neither
    bounded nor searched (:func:`_idle_copies`): its cost is the same and the
    tie goes to the lower index.

    Parameters
    ----------
    fleet : tuple of ndarray
        As in :func:`best_insertion` (vehicle limits: ``end_by_s`` and
        ``to_depot_s`` empty; the drive home is not supported here).
    start_node : ndarray of int64, shape (n_veh,) or (k,)
        Start node of each plan.
    stop_node : ndarray of int64, shape (n_veh, s_max) or (k, s_max)
        Stop nodes of each plan.
    by_vehicle : bool
        Rows of ``start_node`` and ``stop_node`` per vehicle (``fleet``'s
        rows), else per candidate (row ``q`` for ``rows[q]``).
    table : ndarray of float64, shape (t, t)
        ``table[a, b]``: drive time from slot ``a`` to slot ``b``, s.
    table_to : ndarray of float64, shape (t, t)
        Its transpose (``table.T``, or a C-ordered copy of it, which keeps the
        times into one node in one row of memory).
    slot : ndarray of int64, shape (n_nodes,)
        Row of each node in ``table``, -1 for none.
    pickup, dropoff : int
        The new stops' nodes.
    request : tuple of float
        As in :func:`best_insertion_vehicle`.
    weights : ndarray of float64, shape (5,)
    rows : ndarray of int64, shape (k,)
        Candidate vehicles, ascending.
    bounded : bool
        Search by branch and bound.
    metric : bool
        Whether the plans' stored legs and ``table`` obey the triangle
        inequality together (one shortest-path metric, a static oracle). When
        not (legs planned in other hourly slices than ``table``'s), the bound
        is the weaker one of :func:`_lower_bound_row` with the legs' excess
        over ``table`` (:func:`_leg_excess`), valid for any stored legs
        provided ``table`` itself obeys the triangle inequality (one slice's
        shortest paths) and ``w_drive`` is 0 (else every candidate is
        searched). Either way a candidate's position bounds are raised by
        the drop-off's least detour before it is searched
        (:func:`_dropoff_rebound`, exact detours: valid for any stored legs).
    memo : tuple
        Without ``metric``: the plans' leg excesses kept between calls
        (:func:`_remembered_excess`), ``(excess, nodes, legs, n, token,
        table_token)``; arrays of one row per vehicle (empty: none kept).
    reach : tuple
        ``(lower_to, lower_slot, latest_cut)``: the transposed table
        (``lower_to[lower_slot[b], lower_slot[a]]`` from ``a`` to ``b``) of
        an oracle whose times never exceed ``table``'s nor any stored leg's
        (a static oracle's own; the least link times over every slice), and
        the latest pickup plus a rounding allowance, s. A candidate that
        cannot serve the pickup by then (:func:`_reachable`, the test of
        :func:`idrt.sim._kernels.can_reach`) is neither looked up, bounded
        nor searched: it has no feasible insertion. An empty ``lower_slot``:
        no such test (the caller pruned, or keeps every candidate).

    Returns
    -------
    cost : float
        ``inf`` when no candidate can take the request.
    vehicle, q, i, j : int
        Vehicle, its candidate index and positions; -1 when none.
    pickup_time_s, dropoff_time_s : float
        Service starts of the new stops, s.
    legs : ndarray of float64, shape (4, s_max + 1)
        The winner's ``to_pickup_s, from_pickup_s, to_dropoff_s,
        from_dropoff_s`` rows (for :func:`apply_insertion`; ``inf`` past its
        stops).
    searched : int
        Candidates searched (the rest were bounded out); -1 when the table
        lacks a time some candidate needs: then nothing was decided and the
        caller must search another way.
    """
    inf = np.inf
    start_time_s, start_load, capacity, n_stops = fleet[0], fleet[1], fleet[2], fleet[3]
    kind, pax, earliest, latest, leg, dwell = fleet[4:10]
    k = rows.shape[0]
    width = leg.shape[1] + 1
    legs = np.full((4, width), inf)
    fail = (inf, -1, -1, -1, -1, np.nan, np.nan, legs, -1)
    # the pickup's rows, packed: candidate q's n + 1 entries from offset[q]
    offset = np.empty(k + 1, dtype=np.int64)
    offset[0] = 0
    for q in range(k):
        offset[q + 1] = offset[q] + n_stops[rows[q]] + 1
    to_p = np.empty(offset[k])
    from_p = np.empty(offset[k])
    copy = _idle_copies(rows, by_vehicle, fleet, start_node)
    jp = slot[pickup]
    # the times into the pickup: a row of table_to; a transposed view (column of
    # table) is gathered once into one row when many are looked up
    gather = jp >= 0 and table_to.strides[1] != table_to.itemsize and 8 * offset[k] > slot.shape[0]
    col = np.empty(table_to.shape[1] if gather else 0)
    if gather:
        for c in range(col.shape[0]):
            col[c] = table_to[jp, c]
    do_bound = bounded and (metric or weights[4] == 0.0)
    bound = np.full(k, -inf)
    pos_lb = np.full(offset[k] if do_bound else 0, -inf)  # per pickup position (_scan_core)
    margin = BOUND_MARGIN_S * (1.0 + weights.sum())
    work_lb = np.empty((N_WORK, width))
    excess = np.empty(0 if metric else width)  # empty: one metric
    # each position's vehicle-time part (and, without one metric, the excess taken
    # off it), to raise the bounds by the drop-off's least detour before a
    # candidate is searched (_dropoff_rebound)
    rebound = do_bound
    pos_x = np.empty(offset[k] if rebound else 0)
    pos_e = np.empty(offset[k] if rebound and not metric else 0)
    lower_to, lower_slot, latest_cut = reach
    use_reach = lower_slot.shape[0] > 0
    jl = lower_slot[pickup] if use_reach else -1
    for q in range(k):
        if copy[q]:  # never searched: an idle copy of a lower-numbered idle vehicle
            bound[q] = inf
            continue
        v = rows[q]
        r = v if by_vehicle else q
        n = n_stops[v]
        if use_reach and not _reachable(start_time_s[v], leg[v, 0], start_node[r],
                                        stop_node[r, 0] if n > 0 else -1, lower_to, lower_slot, jl,
                                        latest_cut):  # fmt: skip
            bound[q] = inf  # no insertion serves the pickup in time: never searched
            continue
        a = offset[q]
        if not _pickup_rows(table, table_to, col, gather, slot, jp, start_node, stop_node, r, n,
                            to_p, from_p, a):  # fmt: skip
            return fail
        if not do_bound:
            continue
        if not metric and not _remembered_excess(fleet, v, n, table, slot, stop_node, r, excess,
                                                 memo):  # fmt: skip
            continue  # a time not known: no bound (-inf), searched
        lb = _lower_bound_row(fleet, v, to_p, from_p, a, request, weights, work_lb, excess, pos_lb,
                              pos_x, pos_e)  # fmt: skip
        if lb == -inf:
            for i in range(n + 1):
                pos_lb[a + i] = -inf
        bound[q] = lb - margin - 1e-12 * abs(lb) if abs(lb) < inf else lb
    order = _search_order(bound)
    work = np.empty((N_WORK, width))
    to_d = np.empty(width)
    from_d = np.empty(width)
    empty = np.empty((0, 0))
    best, best_v, best_q, best_i, best_j = inf, -1, -1, -1, -1
    best_tp, best_td = np.nan, np.nan
    searched = 0
    for t in range(order.shape[0]):
        q = order[t]
        if bound[q] > best:
            break
        v = rows[q]
        n = n_stops[v]
        r = v if by_vehicle else q
        if not _table_row(table, table_to, slot, dropoff, start_node, stop_node, r, n, False, True,
                          to_d, 0):  # fmt: skip
            return fail
        if not _table_row(table, table_to, slot, dropoff, start_node, stop_node, r, n, False,
                          False, from_d, 0):  # fmt: skip
            return fail
        if rebound and bound[q] > -inf:
            lb = _dropoff_rebound(leg, v, n, to_p, from_p, offset[q], request[0], weights[0],
                                  pos_lb, pos_x, pos_e, to_d, from_d)  # fmt: skip
            if lb - margin - 1e-12 * abs(lb) > best:  # (inf: no insertion)
                continue
        searched += 1
        a, b = offset[q], offset[q + 1]
        head = (start_time_s[v], start_load[v], capacity[v], n, inf, 0.0, 0.0)
        stops = (kind[v], pax[v], earliest[v], latest[v], leg[v], dwell[v])
        ok, old_end = prepare_plan(head, stops, work)
        if not ok:
            continue
        c, i, j, tp, td = _scan_core(
            head, stops, (to_p[a:b], from_p[a:b], to_d, from_d), request, weights, work, empty,
            old_end, pos_lb, a, best, margin,
        )  # fmt: skip
        if c < best or (c == best and c < inf and v < best_v):
            best, best_v, best_q, best_i, best_j, best_tp, best_td = c, v, q, i, j, tp, td
            legs[:, :] = inf
            legs[0, : n + 1] = to_p[a:b]
            legs[1, : n + 1] = from_p[a:b]
            legs[2, : n + 1] = to_d[: n + 1]
            legs[3, : n + 1] = from_d[: n + 1]
    return best, best_v, best_q, best_i, best_j, best_tp, best_td, legs, searched
