"""Insertion kernels against a brute-force reference, closed-form cases and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt.dispatch import (
    DispatchError,
    Insertion,
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    Schedules,
    _kernels,
    empty_schedules,
    feasible_vehicles,
    find_best_insertion,
    insert,
    schedule_times,
)
from tests.dispatch import naive_insertion as naive

SPEED_S_PER_KM = 60.0  # 60 km/h on a plane: triangle inequality holds


# --------------------------------------------------------------------------- generator


def _tt(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1]) * SPEED_S_PER_KM


def _random_vehicle(rng, max_stops):
    """One vehicle with a feasible plan; returns scalars, stop tuples and stop points."""
    cap = int(rng.integers(1, 5))
    t0 = float(rng.uniform(0.0, 300.0))
    start = tuple(rng.uniform(0.0, 5.0, 2))
    # riders on board (drop-offs only) and assigned riders (pickup + drop-off)
    onboard, load0 = [], 0
    while rng.random() < 0.5 and len(onboard) < max_stops:
        g = int(rng.integers(1, 4))
        if load0 + g > cap:
            break
        onboard.append(g)
        load0 += g
    if rng.random() < 0.1:  # full and nobody leaves
        load0, onboard = cap, []
    most = (max_stops - len(onboard)) // 2
    n_new = most if rng.random() < 0.5 else int(rng.integers(0, most + 1))
    if load0 == cap and not onboard:
        n_new = 0
    groups = [int(rng.integers(1, min(cap, 3) + 1)) for _ in range(n_new)]
    # events: ("d", rider) for onboard rider, ("p", r) / ("d", r) for assigned ones
    pending_drop = [("on", k) for k in range(len(onboard))]
    pending_pick = list(range(n_new))
    seq, load = [], load0
    while pending_drop or pending_pick:
        options = [("drop", x) for x in pending_drop]
        options += [("pick", r) for r in pending_pick if load + groups[r] <= cap]
        kind, who = options[int(rng.integers(len(options)))]
        if kind == "drop":
            pending_drop.remove(who)
            g = onboard[who[1]] if who[0] == "on" else groups[who[1]]
            seq.append((-1, 1000 + who[1] if who[0] == "on" else who[1], g))
            load -= g
        else:
            pending_pick.remove(who)
            pending_drop.append(("new", who))
            seq.append((1, who, groups[who]))
            load += groups[who]
    stops, points = [], []
    t, prev = t0, start
    for kind, req, g in seq:
        pt = tuple(rng.uniform(0.0, 5.0, 2))
        leg = _tt(prev, pt)
        a = t + leg
        u = rng.random()
        if kind > 0:
            earliest = a + rng.uniform(0.0, 300.0) if u < 0.3 else a - rng.uniform(0.0, 600.0)
        else:
            earliest = a + rng.uniform(0.0, 120.0) if u < 0.1 else -math.inf
        b = max(a, earliest)
        u = rng.random()
        if u < 0.15:
            latest = b  # no slack at all
        elif u < 0.45:
            latest = b + rng.uniform(0.0, 120.0)
        elif u < 0.8:
            latest = b + rng.uniform(0.0, 900.0)
        else:
            latest = math.inf
        dwell = 0.0 if rng.random() < 0.3 else float(rng.uniform(10.0, 60.0))
        stops.append((kind, req, g, earliest, latest, leg, dwell))
        points.append(pt)
        t, prev = b + dwell, pt
    return (t0, load0, cap), stops, start, points


def random_case(seed):
    """A small fleet, a request, travel times from points on a plane, weights."""
    rng = np.random.default_rng(seed)
    n_veh = int(rng.integers(1, 6))
    vehicles = [_random_vehicle(rng, int(rng.integers(0, 7))) for _ in range(n_veh)]
    s_max = max(len(v[1]) for v in vehicles) + int(rng.integers(0, 3))
    node_of, node_points = {}, []

    def node(pt):
        if pt not in node_of:
            node_of[pt] = len(node_points)
            node_points.append(pt)
        return node_of[pt]

    # padding is garbage that would change the answer if it were ever read
    f = {
        name: np.full((n_veh, s_max), pad)
        for name, pad in [("earliest_s", 1e9), ("latest_s", -1.0), ("leg_s", 0.0), ("dwell_s", 0.0)]
    }
    i_ = {
        name: np.full((n_veh, s_max), pad, dtype=np.int64)
        for name, pad in [
            ("stop_node", -7),
            ("stop_kind", 1),
            ("stop_request", -7),
            ("stop_pax", 9),
        ]
    }
    per_v = np.array([v[0] for v in vehicles])
    for v, (_, stops, _, points) in enumerate(vehicles):
        for k, (kind, req, g, e, lat, leg, dw) in enumerate(stops):
            i_["stop_node"][v, k] = node(points[k])
            i_["stop_kind"][v, k], i_["stop_request"][v, k], i_["stop_pax"][v, k] = kind, req, g
            f["earliest_s"][v, k], f["latest_s"][v, k] = e, lat
            f["leg_s"][v, k], f["dwell_s"][v, k] = leg, dw
    schedules = Schedules(
        start_time_s=per_v[:, 0].astype(float),
        start_load=per_v[:, 1].astype(np.int64),
        capacity=per_v[:, 2].astype(np.int64),
        n_stops=np.array([len(v[1]) for v in vehicles], dtype=np.int64),
        **i_,
        **f,
    )

    all_points = [p for v in vehicles for p in v[3]]

    def pick_point():
        if all_points and rng.random() < 0.2:  # shared virtual stop
            return all_points[int(rng.integers(len(all_points)))]
        return tuple(rng.uniform(0.0, 5.0, 2))

    p_pt, d_pt = pick_point(), pick_point()
    direct = _tt(p_pt, d_pt)
    e_p = (
        float(rng.uniform(0.0, 600.0)) if rng.random() < 0.8 else float(rng.uniform(600.0, 2000.0))
    )
    u = rng.random()
    l_p = e_p + (
        rng.uniform(60.0, 300.0) if u < 0.4 else rng.uniform(300.0, 1500.0) if u < 0.9 else math.inf
    )
    max_ride = (
        rng.uniform(1.0, 2.5) * direct + rng.uniform(0.0, 600.0) if rng.random() < 0.9 else math.inf
    )
    request = InsertionRequest(
        request_id=99,
        pickup_node=node(p_pt),
        dropoff_node=node(d_pt),
        pax=int(rng.integers(1, 4)),
        earliest_pickup_s=e_p,
        latest_pickup_s=float(l_p),
        max_ride_s=float(max_ride),
        dwell_pickup_s=0.0 if rng.random() < 0.3 else float(rng.uniform(10.0, 60.0)),
        dwell_dropoff_s=0.0 if rng.random() < 0.3 else float(rng.uniform(10.0, 60.0)),
        direct_s=direct,
    )

    shape = (n_veh, s_max + 1)
    t = {
        name: np.zeros(shape)
        for name in ("to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s")
    }  # 0 = garbage
    for v, (_, stops, start, points) in enumerate(vehicles):
        before = [start, *points]
        for i in range(len(stops) + 1):
            t["to_pickup_s"][v, i] = _tt(before[i], p_pt)
            t["to_dropoff_s"][v, i] = _tt(before[i], d_pt)
        for i in range(len(stops)):
            t["from_pickup_s"][v, i] = _tt(p_pt, points[i])
            t["from_dropoff_s"][v, i] = _tt(d_pt, points[i])
    if rng.random() < 0.15:  # some links unreachable
        for arr in t.values():
            arr[rng.random(shape) < 0.15] = math.inf
    times = InsertionTimes(**t, pickup_to_dropoff_s=direct)

    u = rng.random()
    if u < 0.4:
        weights = InsertionWeights()
    elif u < 0.5:
        weights = InsertionWeights(0.0, 1.0, 0.0, 0.0)
    else:
        weights = InsertionWeights(*rng.uniform(0.0, 1.0, 4))
    return schedules, request, times, weights


# --------------------------------------------------------------------------- checks

N_RANDOM = 600
TOL = dict(rel_tol=1e-9, abs_tol=1e-9)


def _weights_tuple(w):
    return (w.w_vehicle, w.w_wait, w.w_ride, w.w_delay)


def _assert_same(got, cands):
    ref = naive.best(cands)
    if ref is None:
        assert got is None
        return
    assert got is not None, f"kernel found nothing, reference {ref}"
    assert math.isclose(got.cost, ref.cost, **TOL), (got, ref)
    assert (got.vehicle, got.pickup_pos, got.dropoff_pos) == (ref.vehicle, ref.i, ref.j), (got, ref)
    assert got.pickup_time_s == ref.pickup_time_s
    assert got.dropoff_time_s == ref.dropoff_time_s


def _kernel_cost_matrix(s, request, t, weights, v):
    """Every candidate's cost from the per-vehicle kernel, inf where infeasible."""
    n = int(s.n_stops[v])
    work = np.empty((_kernels.N_WORK, s.max_stops + 1))
    costs = np.full((n + 1, n + 1), np.inf)
    best = _kernels.best_insertion_vehicle(
        (s.start_time_s[v], s.start_load[v], s.capacity[v], s.n_stops[v], np.inf, 0.0, 0.0),
        tuple(getattr(s, name)[v] for name in _kernels.FLEET_FIELDS[4:]),
        (t.to_pickup_s[v], t.from_pickup_s[v], t.to_dropoff_s[v], t.from_dropoff_s[v]),
        (
            float(t.pickup_to_dropoff_s),
            float(request.pax),
            float(request.earliest_pickup_s),
            float(request.latest_pickup_s),
            float(request.max_ride_s),
            float(request.dwell_pickup_s),
            float(request.dwell_dropoff_s),
            float(request.earliest_pickup_s),
            np.inf,
        ),
        weights.as_array(),
        work,
        costs,
    )
    return costs, best


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_matches_brute_force(seed):
    schedules, request, times, weights = random_case(seed)
    assert feasible_vehicles(schedules).all()  # the generator makes feasible plans
    w = _weights_tuple(weights)
    cands = naive.all_candidates(schedules, request, times, w)
    got = find_best_insertion(schedules, request, times, weights)
    _assert_same(got, cands)
    for parallel in (False, True):  # both kernels, the same answer to the bit
        assert find_best_insertion(schedules, request, times, weights, parallel=parallel) == got
    # every (v, i, j): same feasibility verdict and same cost
    for v in range(schedules.n_vehicles):
        costs, _ = _kernel_cost_matrix(schedules, request, times, weights, v)
        ref = np.full_like(costs, np.inf)
        for c in cands:
            if c.vehicle == v:
                ref[c.i, c.j] = c.cost
        assert np.array_equal(np.isfinite(costs), np.isfinite(ref)), (v, costs, ref)
        assert np.allclose(costs[np.isfinite(ref)], ref[np.isfinite(ref)], rtol=1e-9, atol=1e-9)
    # a vehicle mask restricts the choice
    mask = np.random.default_rng(seed).random(schedules.n_vehicles) < 0.5
    got_masked = find_best_insertion(schedules, request, times, weights, vehicle_mask=mask)
    _assert_same(got_masked, [c for c in cands if mask[c.vehicle]])

    if got is None:
        return
    new = insert(schedules, got, request, times)
    v, i, j = got.vehicle, got.pickup_pos, got.dropoff_pos
    assert feasible_vehicles(new).all()
    ref_stops = naive.with_ride_deadline(
        naive.build(naive.vehicle_stops(schedules, v), v, i, j, request, times),
        schedules,
        v,
        i,
        j,
        request,
    )
    assert naive.vehicle_stops(new, v) == ref_stops
    for u in range(schedules.n_vehicles):  # the other vehicles are untouched
        if u != v:
            assert naive.vehicle_stops(new, u) == naive.vehicle_stops(schedules, u)
    ref = naive.simulate(
        float(new.start_time_s[v]), int(new.start_load[v]), int(new.capacity[v]), ref_stops
    )
    assert ref.feasible
    timed = schedule_times(new)
    n = int(new.n_stops[v])
    assert timed.arrival_s[v, :n].tolist() == ref.arrival_s
    assert timed.service_s[v, :n].tolist() == ref.service_s
    assert timed.departure_s[v, :n].tolist() == ref.departure_s
    assert timed.load_after[v, :n].tolist() == ref.load_after
    assert timed.service_s[v, i] == got.pickup_time_s
    assert timed.service_s[v, j + 1] == got.dropoff_time_s


def test_random_cases_exercise_every_branch():
    """The generator reaches the cases the kernel treats differently."""
    seen = {
        "none": 0,
        "append": 0,
        "middle": 0,
        "adjacent": 0,
        "waiting": 0,
        "inf": 0,
        "absorbed": 0,
    }
    for seed in range(N_RANDOM):
        schedules, request, times, weights = random_case(seed)
        got = find_best_insertion(schedules, request, times, weights)
        timed = schedule_times(schedules)
        seen["waiting"] += bool(np.any(timed.service_s > timed.arrival_s))
        seen["inf"] += bool(np.isinf(times.to_pickup_s).any())
        if got is None:
            seen["none"] += 1
            continue
        n = int(schedules.n_stops[got.vehicle])
        seen["append"] += got.dropoff_pos == n
        seen["middle"] += got.dropoff_pos < n
        seen["adjacent"] += got.pickup_pos == got.dropoff_pos
        seen["absorbed"] += got.dropoff_pos < n and got.cost == 0.0
    assert all(count >= 10 for count in seen.values()), seen


# --------------------------------------------------------------------------- closed form


def _line_times(n_veh, s_max, to_p, from_p, to_d, from_d):
    def arr(rows):
        out = np.full((n_veh, s_max + 1), np.inf)
        for v, row in enumerate(rows):
            out[v, : len(row)] = row
        return out

    return arr(to_p), arr(from_p), arr(to_d), arr(from_d)


def _request(**kw):
    base = dict(
        request_id=1,
        pickup_node=100,
        dropoff_node=101,
        pax=1,
        earliest_pickup_s=0.0,
        latest_pickup_s=1e4,
        max_ride_s=1e4,
        dwell_pickup_s=0.0,
        dwell_dropoff_s=0.0,
        direct_s=100.0,
    )
    base.update(kw)
    return InsertionRequest(**base)


def test_empty_fleet_closed_form():
    """Empty vehicles: added vehicle time = drive to P + wait + dwell + direct + dwell."""
    fleet = empty_schedules([4, 4, 4], [0.0, 50.0, 0.0], max_stops=0)
    t = InsertionTimes(
        *_line_times(3, 0, [[300.0], [100.0], [100.0]], [[]] * 3, [[]] * 3, [[]] * 3),
        pickup_to_dropoff_s=200.0,
    )
    req = _request(dwell_pickup_s=30.0, dwell_dropoff_s=20.0, earliest_pickup_s=120.0)
    got = find_best_insertion(fleet, req, t)
    # vehicle 1 leaves at 50 and arrives at 150; vehicle 2 arrives at 100, idles until 120
    assert got == Insertion(1, 0, 0, 100.0 + 30.0 + 200.0 + 20.0, 150.0, 380.0)
    assert find_best_insertion(fleet, req, t, vehicle_mask=np.array([True, False, True])) == (
        Insertion(2, 0, 0, 100.0 + 20.0 + 30.0 + 200.0 + 20.0, 120.0, 350.0)
    )
    # waiting weighs in: vehicle 2 makes the rider wait 0 s, vehicle 1 30 s
    assert find_best_insertion(fleet, req, t, InsertionWeights(1.0, 1.0)).vehicle == 2
    new = insert(fleet, got, req, t)
    assert new.max_stops == 2
    assert new.n_stops.tolist() == [0, 2, 0]
    assert new.leg_s[1].tolist() == [100.0, 200.0]
    assert new.stop_kind[1].tolist() == [1, -1]
    assert new.latest_s[1].tolist() == [1e4, 180.0 + 1e4]  # pickup departure + max ride
    assert np.array_equal(fleet.n_stops, [0, 0, 0])  # input untouched


def test_waiting_absorbs_detour_and_ties_go_to_lowest_positions():
    """A pre-booked stop far in the future hides any detour before it: cost 0 at (0, 0)."""
    fleet = empty_schedules([4], 0.0, max_stops=1)
    fleet.n_stops[0] = 1
    fleet.stop_kind[0, 0], fleet.stop_pax[0, 0] = 1, 1
    fleet.leg_s[0, 0], fleet.earliest_s[0, 0], fleet.latest_s[0, 0] = 100.0, 5000.0, 5000.0
    # everything 100 s apart; inserting P, D before the stop costs no vehicle time
    t = InsertionTimes(
        *_line_times(1, 1, [[100.0, 100.0]], [[100.0]], [[100.0, 100.0]], [[100.0]]),
        pickup_to_dropoff_s=100.0,
    )
    got = find_best_insertion(fleet, _request(), t)
    assert got == Insertion(0, 0, 0, 0.0, 100.0, 200.0)
    # the pickup between, the drop-off after: ride time counts, so (0, 0) still wins
    got = find_best_insertion(fleet, _request(), t, InsertionWeights(1.0, 0.0, 1.0, 0.0))
    assert got == Insertion(0, 0, 0, 100.0, 100.0, 200.0)


def test_full_vehicle_takes_request_only_after_a_drop_off():
    fleet = empty_schedules([2], 0.0, start_load=2, max_stops=1)
    fleet.n_stops[0] = 1
    fleet.stop_kind[0, 0], fleet.stop_pax[0, 0], fleet.leg_s[0, 0] = -1, 2, 100.0
    t = InsertionTimes(
        *_line_times(1, 1, [[10.0, 10.0]], [[10.0]], [[10.0, 10.0]], [[10.0]]),
        pickup_to_dropoff_s=10.0,
    )
    got = find_best_insertion(fleet, _request(pax=2), t)
    assert (got.pickup_pos, got.dropoff_pos) == (1, 1)
    assert find_best_insertion(fleet, _request(pax=3), t) is None
    full = empty_schedules([2], 0.0, start_load=2, max_stops=0)
    t0 = InsertionTimes(*_line_times(1, 0, [[10.0]], [[]], [[10.0]], [[]]), 10.0)
    assert find_best_insertion(full, _request(), t0) is None


def test_infeasible_everywhere_returns_none():
    fleet = empty_schedules([4, 4], 0.0, max_stops=0)
    t = InsertionTimes(
        *_line_times(2, 0, [[500.0], [700.0]], [[]] * 2, [[]] * 2, [[]] * 2),
        pickup_to_dropoff_s=100.0,
    )
    assert find_best_insertion(fleet, _request(latest_pickup_s=400.0), t) is None
    assert find_best_insertion(fleet, _request(max_ride_s=99.0), t) is None
    assert find_best_insertion(fleet, _request(), t._replace(pickup_to_dropoff_s=math.inf)) is None
    assert find_best_insertion(fleet, _request(), t, vehicle_mask=np.zeros(2, dtype=bool)) is None
    assert find_best_insertion(fleet, _request(latest_pickup_s=600.0), t).vehicle == 0


def test_vehicle_with_a_late_plan_gets_nothing():
    """A plan that is already late (say, after congestion) takes no more riders."""
    fleet = empty_schedules([4], 0.0, max_stops=1)
    fleet.n_stops[0] = 1
    fleet.stop_kind[0, 0], fleet.stop_pax[0, 0] = 1, 1
    fleet.leg_s[0, 0], fleet.latest_s[0, 0] = 100.0, 50.0
    assert not feasible_vehicles(fleet)[0]
    t = InsertionTimes(
        *_line_times(1, 1, [[10.0, 10.0]], [[10.0]], [[10.0, 10.0]], [[10.0]]),
        pickup_to_dropoff_s=10.0,
    )
    assert find_best_insertion(fleet, _request(), t) is None


def test_empty_fleet_of_zero_vehicles():
    fleet = empty_schedules(np.zeros(0, dtype=int), 0.0)
    t = InsertionTimes(*(np.zeros((0, 9)),) * 4, pickup_to_dropoff_s=1.0)
    assert find_best_insertion(fleet, _request(), t) is None


def test_schedule_times_matches_reference_and_pads():
    schedules, *_ = random_case(3)
    timed = schedule_times(schedules)
    for v in range(schedules.n_vehicles):
        n = int(schedules.n_stops[v])
        ref = naive.simulate(
            float(schedules.start_time_s[v]),
            int(schedules.start_load[v]),
            int(schedules.capacity[v]),
            naive.vehicle_stops(schedules, v),
        )
        assert timed.service_s[v, :n].tolist() == ref.service_s
        assert np.isnan(timed.service_s[v, n:]).all()
        assert (timed.load_after[v, n:] == -1).all()


def test_per_vehicle_kernel_on_its_own():
    schedules, request, times, weights = random_case(11)
    for v in range(schedules.n_vehicles):
        costs, (cost, i, j, tp, td) = _kernel_cost_matrix(schedules, request, times, weights, v)
        mask = np.arange(schedules.n_vehicles) == v
        ref = naive.best(
            naive.all_candidates(schedules, request, times, _weights_tuple(weights), mask)
        )
        if ref is None:
            assert (cost, i, j) == (math.inf, -1, -1)
            assert np.isinf(costs).all()
        else:
            assert (i, j, tp, td) == (ref.i, ref.j, ref.pickup_time_s, ref.dropoff_time_s)
            assert cost == costs.min()
            assert math.isclose(cost, ref.cost, **TOL)


# --------------------------------------------------------------------------- bad input


def test_bad_input_names_the_field():
    schedules, request, times, _ = random_case(5)
    with pytest.raises(DispatchError, match="n_stops"):
        bad = schedules._replace(n_stops=schedules.n_stops + schedules.max_stops + 1)
        find_best_insertion(bad, request, times)
    with pytest.raises(DispatchError, match="latest_s"):
        find_best_insertion(schedules._replace(latest_s=schedules.latest_s[:, :-1]), request, times)
    with pytest.raises(DispatchError, match="capacity"):
        find_best_insertion(schedules._replace(capacity=schedules.capacity[:-1]), request, times)
    with pytest.raises(DispatchError, match="to_dropoff_s"):
        find_best_insertion(
            schedules, request, times._replace(to_dropoff_s=times.to_dropoff_s[:, :-1])
        )
    with pytest.raises(DispatchError, match="pax"):
        find_best_insertion(schedules, request._replace(pax=0), times)
    with pytest.raises(DispatchError, match="latest_pickup_s"):
        find_best_insertion(schedules, request._replace(latest_pickup_s=-1.0), times)
    with pytest.raises(DispatchError, match="max_ride_s"):
        find_best_insertion(schedules, request._replace(max_ride_s=math.nan), times)
    with pytest.raises(DispatchError, match="vehicle_mask"):
        find_best_insertion(schedules, request, times, vehicle_mask=np.ones(99, dtype=bool))
    with pytest.raises(DispatchError, match="w_wait"):
        InsertionWeights(w_wait=-1.0)
    with pytest.raises(DispatchError, match="positions"):
        insert(schedules, Insertion(0, 1, 0, 0.0, 0.0, 0.0), request, times)
    with pytest.raises(DispatchError, match="vehicle"):
        insert(schedules, Insertion(99, 0, 0, 0.0, 0.0, 0.0), request, times)
    assert issubclass(DispatchError, ValueError)
