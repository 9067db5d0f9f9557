"""Brute-force reference for the insertion kernels: plain Python, no idrt code.

Every candidate builds the whole new stop list, re-simulates it from scratch and
checks every constraint; nothing is incremental, nothing uses slack.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Stop(NamedTuple):
    node: int
    kind: int
    request: int
    pax: int
    earliest_s: float
    latest_s: float
    leg_s: float
    dwell_s: float


class Timed(NamedTuple):
    arrival_s: list
    service_s: list
    departure_s: list
    load_after: list
    feasible: bool
    end_s: float  # departure from the last stop, start time when empty


class Candidate(NamedTuple):
    cost: float
    vehicle: int
    i: int
    j: int
    pickup_time_s: float
    dropoff_time_s: float


def simulate(start_time_s, start_load, capacity, stops):
    """Time a stop list with the documented semantics and check every constraint."""
    arrival, service, departure, loads = [], [], [], []
    t = start_time_s
    load = start_load
    ok = 0 <= load <= capacity and math.isfinite(t)
    for s in stops:
        a = t + s.leg_s
        b = max(a, s.earliest_s)
        t = b + s.dwell_s
        load += s.kind * s.pax
        arrival.append(a)
        service.append(b)
        departure.append(t)
        loads.append(load)
        if not (math.isfinite(b) and b <= s.latest_s and 0 <= load <= capacity):
            ok = False
    end = departure[-1] if stops else start_time_s
    return Timed(arrival, service, departure, loads, ok, end)


def vehicle_stops(schedules, v):
    s = schedules
    return [
        Stop(
            int(s.stop_node[v, k]),
            int(s.stop_kind[v, k]),
            int(s.stop_request[v, k]),
            int(s.stop_pax[v, k]),
            float(s.earliest_s[v, k]),
            float(s.latest_s[v, k]),
            float(s.leg_s[v, k]),
            float(s.dwell_s[v, k]),
        )
        for k in range(int(s.n_stops[v]))
    ]


def build(stops, v, i, j, request, times):
    """New stop list with P before old stop i and D before old stop j.

    Returns the list and the index of P; the drop-off latest_s is a placeholder
    (inf) to be set from the pickup departure.
    """
    r = request
    p = Stop(
        r.pickup_node,
        1,
        r.request_id,
        r.pax,
        r.earliest_pickup_s,
        r.latest_pickup_s,
        float(times.to_pickup_s[v, i]),
        r.dwell_pickup_s,
    )
    d_leg = times.pickup_to_dropoff_s if j == i else float(times.to_dropoff_s[v, j])
    d = Stop(
        r.dropoff_node,
        -1,
        r.request_id,
        r.pax,
        max(r.earliest_pickup_s, r.earliest_dropoff_s),  # stored so; never binds below e_p
        math.inf,
        d_leg,
        r.dwell_dropoff_s,
    )
    new = []
    for k, s in enumerate(stops):
        if k == i:
            new.append(p)
        if k == j:
            new.append(d)
        if k == i and j > i:
            s = s._replace(leg_s=float(times.from_pickup_s[v, i]))
        if k == j:
            s = s._replace(leg_s=float(times.from_dropoff_s[v, j]))
        new.append(s)
    if i == len(stops):
        new.append(p)
    if j == len(stops):
        new.append(d)
    return new


def with_ride_deadline(new, schedules, v, i, j, request):
    """Set the new drop-off's latest_s = min(pickup departure + max_ride_s, latest_dropoff_s)."""
    s = schedules
    t = simulate(float(s.start_time_s[v]), int(s.start_load[v]), int(s.capacity[v]), new)
    d_at = j + 1
    deadline = min(t.departure_s[i] + request.max_ride_s, request.latest_dropoff_s)
    new[d_at] = new[d_at]._replace(latest_s=deadline)
    return new


def all_candidates(schedules, request, times, weights, vehicle_mask=None, limits=None):
    """Every feasible (cost, v, i, j, pickup time, drop-off time), in no order.

    ``weights``: ``(w_vehicle, w_wait, w_ride, w_delay[, w_drive])``.
    ``limits``: ``(end_by_s, to_depot_s)`` per vehicle; then the last stop's
    departure plus the drive home (``times.dropoff_to_depot_s[v]`` when the new
    drop-off is last) must not pass ``end_by_s[v]``, in the old plan and the new.
    """
    w_vehicle, w_wait, w_ride, w_delay, *rest = weights
    w_drive = rest[0] if rest else 0.0
    s = schedules
    out = []
    for v in range(len(s.start_time_s)):
        if vehicle_mask is not None and not vehicle_mask[v]:
            continue
        t0, l0, cap = float(s.start_time_s[v]), int(s.start_load[v]), int(s.capacity[v])
        stops = vehicle_stops(s, v)
        old = simulate(t0, l0, cap, stops)
        n = len(stops)
        if limits is not None and not old.end_s + limits[1][v] <= limits[0][v]:
            continue
        for i in range(n + 1):
            for j in range(i, n + 1):
                new = with_ride_deadline(build(stops, v, i, j, request, times), s, v, i, j, request)
                t = simulate(t0, l0, cap, new)
                if not t.feasible:
                    continue
                if limits is not None:
                    home = times.dropoff_to_depot_s[v] if j == n else limits[1][v]
                    if not t.end_s + home <= limits[0][v]:
                        continue
                b_p, dep_p, b_d = t.service_s[i], t.departure_s[i], t.service_s[j + 1]
                old_positions = [k for k in range(n + 2) if k not in (i, j + 1)]
                delay = sum(
                    t.service_s[k_new] - old.service_s[k_old]
                    for k_old, k_new in enumerate(old_positions)
                    if stops[k_old].kind < 0
                )
                cost = (
                    w_vehicle * (t.end_s - old.end_s)
                    + w_wait * (b_p - request.earliest_pickup_s)
                    + w_ride * (b_d - dep_p)
                    + w_delay * delay
                    + w_drive * (sum(x.leg_s for x in new) - sum(x.leg_s for x in stops))
                )
                out.append(Candidate(cost, v, i, j, b_p, b_d))
    return out


def best(candidates):
    """Lowest cost, then vehicle, then i, then j; None when empty."""
    return min(candidates, key=lambda c: (c.cost, c.vehicle, c.i, c.j), default=None)
