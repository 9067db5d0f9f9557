"""Dial-a-ride rules of the insertion kernel against brute force and closed forms.

The rules (Cordeau 2006) beyond the pickup window and ride limit that
``test_insertion.py`` covers: a drop-off window, a per-vehicle end of plan
(``VehicleLimits``: maximum route duration, return to depot) and the drive-time
cost term ``w_drive`` (added legs, which waiting cannot hide).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt.dispatch import (
    DispatchError,
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    VehicleLimits,
    empty_schedules,
    feasible_vehicles,
    find_best_insertion,
    insert,
    schedule_times,
)
from tests.dispatch import naive_insertion as naive
from tests.dispatch.test_insertion import _assert_same, random_case

N_RANDOM = 400


def darp_case(seed):
    """A random case of ``test_insertion`` with drop-off windows, vehicle limits and w_drive."""
    schedules, request, times, weights = random_case(seed)
    rng = np.random.default_rng(1_000_003 + seed)
    n_veh = schedules.n_vehicles
    if rng.random() < 0.6:  # a drop-off window around a plausible arrival
        target = request.earliest_pickup_s + request.direct_s + rng.uniform(0.0, 900.0)
        early = target - rng.uniform(0.0, 600.0) if rng.random() < 0.5 else -math.inf
        request = request._replace(
            earliest_dropoff_s=float(early), latest_dropoff_s=float(target + rng.uniform(0, 300))
        )
    limits = None
    home = None
    if rng.random() < 0.7:
        old_end = np.array(
            [
                naive.simulate(
                    float(schedules.start_time_s[v]), int(schedules.start_load[v]),
                    int(schedules.capacity[v]), naive.vehicle_stops(schedules, v),
                ).end_s
                for v in range(n_veh)
            ]
        )  # fmt: skip
        to_depot = rng.uniform(0.0, 600.0, n_veh) * (rng.random(n_veh) < 0.8)
        end_by = old_end + to_depot + rng.uniform(-100.0, 1500.0, n_veh)
        end_by[rng.random(n_veh) < 0.2] = math.inf
        limits = VehicleLimits(end_by, to_depot)
        home = rng.uniform(0.0, 600.0, n_veh)
        home[rng.random(n_veh) < 0.05] = math.inf  # depot unreachable from the drop-off
    times = times._replace(dropoff_to_depot_s=home)
    if rng.random() < 0.6:
        w = weights
        weights = InsertionWeights(
            w.w_vehicle, w.w_wait, w.w_ride, w.w_delay, float(rng.uniform(0.0, 2.0))
        )
    return schedules, request, times, weights, limits


def _w(weights):
    return (weights.w_vehicle, weights.w_wait, weights.w_ride, weights.w_delay, weights.w_drive)


@pytest.mark.parametrize("seed", range(N_RANDOM))
def test_rules_match_brute_force(seed):
    schedules, request, times, weights, limits = darp_case(seed)
    cands = naive.all_candidates(schedules, request, times, _w(weights), limits=limits)
    got = find_best_insertion(schedules, request, times, weights, limits=limits)
    _assert_same(got, cands)
    par = find_best_insertion(schedules, request, times, weights, limits=limits, parallel=True)
    assert par == got
    if got is None:
        return
    new = insert(schedules, got, request, times)
    v, i, j = got.vehicle, got.pickup_pos, got.dropoff_pos
    assert feasible_vehicles(new).all()  # the stored drop-off window re-checks
    ref = naive.with_ride_deadline(
        naive.build(naive.vehicle_stops(schedules, v), v, i, j, request, times),
        schedules, v, i, j, request,
    )  # fmt: skip
    assert naive.vehicle_stops(new, v) == ref
    assert schedule_times(new).service_s[v, j + 1] == got.dropoff_time_s


def test_random_rule_cases_bind():
    """The generator makes every rule decide some cases (else the test above proves little)."""
    hits = {"window": 0, "limit": 0, "drive": 0}
    for seed in range(N_RANDOM):
        schedules, request, times, weights, limits = darp_case(seed)
        plain = request._replace(earliest_dropoff_s=-math.inf, latest_dropoff_s=math.inf)
        base = naive.best(naive.all_candidates(schedules, plain, times, _w(weights)))
        with_window = naive.best(naive.all_candidates(schedules, request, times, _w(weights)))
        hits["window"] += base != with_window
        if limits is not None:
            lim = naive.best(
                naive.all_candidates(schedules, plain, times, _w(weights), None, limits)
            )
            hits["limit"] += lim != base
        if weights.w_drive > 0:
            no_drive = weights.__class__(*_w(weights)[:4])
            other = naive.best(naive.all_candidates(schedules, plain, times, _w(no_drive)))
            hits["drive"] += (other is None) != (base is None) or (
                other is not None
                and (other.vehicle, other.i, other.j) != (base.vehicle, base.i, base.j)
            )
    assert min(hits.values()) >= 10, hits


# ------------------------------------------------------------------ closed forms


def _one_vehicle(start=0.0, stops=()):
    """One vehicle at x = 0 (1 s of drive per unit); ``stops``: (x, kind, earliest, latest)."""
    s = empty_schedules([4], start, max_stops=4)
    prev = 0.0
    for k, (x, kind, e, lat) in enumerate(stops):
        s.stop_node[0, k], s.stop_kind[0, k], s.stop_request[0, k] = int(x), kind, k
        s.stop_pax[0, k], s.earliest_s[0, k], s.latest_s[0, k] = 1, e, lat
        s.leg_s[0, k] = abs(x - prev)
        prev = x
    s.n_stops[0] = len(stops)
    return s


def _times(s, p, d, home=None):
    """Drive times on a line, 1 s per unit, for pickup at x = p and drop-off at x = d."""
    n = int(s.n_stops[0])
    xs = [0.0] + [float(s.stop_node[0, k]) for k in range(n)]
    w = s.max_stops + 1
    t = {k: np.full((1, w), np.inf) for k in ("to_p", "from_p", "to_d", "from_d")}
    for i in range(n + 1):
        t["to_p"][0, i] = abs(xs[i] - p)
        t["to_d"][0, i] = abs(xs[i] - d)
        if i < n:
            t["from_p"][0, i] = abs(p - xs[i + 1])
            t["from_d"][0, i] = abs(d - xs[i + 1])
    return InsertionTimes(t["to_p"], t["from_p"], t["to_d"], t["from_d"], abs(d - p), home)


def _req(**kw):
    base = dict(
        request_id=9, pickup_node=1, dropoff_node=2, pax=1, earliest_pickup_s=0.0,
        latest_pickup_s=math.inf, max_ride_s=math.inf, dwell_pickup_s=0.0,
        dwell_dropoff_s=0.0, direct_s=0.0,
    )  # fmt: skip
    base.update(kw)
    return InsertionRequest(**base)


def test_waiting_hides_driving_from_w_vehicle_but_not_from_w_drive():
    # the vehicle drives 100 s to a pickup that opens at 1000 s: 900 s of wait
    s = _one_vehicle(stops=[(100.0, 1, 1000.0, math.inf)])
    t = _times(s, 50.0, 60.0)  # on the way: no extra driving at all
    for w in (InsertionWeights(1.0), InsertionWeights(1.0, w_drive=0.5)):
        got = find_best_insertion(s, _req(), t, w)
        assert (got.pickup_pos, got.dropoff_pos, got.cost) == (0, 0, 0.0)
    # a rider from x = 50 to x = -10 before it: 0 -> 50 -> -10 -> 100 is 220 s of
    # legs for 100 s, 120 s more driving, all absorbed by the wait
    t = _times(s, 50.0, -10.0)
    got = find_best_insertion(s, _req(), t, InsertionWeights(1.0))
    assert (got.pickup_pos, got.dropoff_pos, got.cost) == (0, 0, 0.0)
    got = find_best_insertion(s, _req(), t, InsertionWeights(1.0, w_drive=0.5))
    assert (got.pickup_pos, got.dropoff_pos, got.cost) == (0, 0, 60.0)
    # priced on driving alone, picking up after the stop (0 -> 50 -> 100 -> -10, or
    # 0 -> 100 -> 50 -> -10: 110 s more driving either way; ties to the lowest i) wins
    got = find_best_insertion(s, _req(), t, InsertionWeights(0.0, w_drive=1.0))
    assert (got.pickup_pos, got.dropoff_pos, got.cost) == (0, 1, 110.0)


def test_dropoff_window_waits_and_refuses():
    s = _one_vehicle()
    t = _times(s, 10.0, 30.0)  # drop-off reached at 30 s
    got = find_best_insertion(s, _req(earliest_dropoff_s=100.0), t)
    assert (got.pickup_time_s, got.dropoff_time_s) == (10.0, 100.0)  # waits, rider aboard
    assert find_best_insertion(s, _req(latest_dropoff_s=29.0), t) is None
    got = find_best_insertion(s, _req(latest_dropoff_s=30.0), t)
    assert got.dropoff_time_s == 30.0
    new = insert(s, got, _req(latest_dropoff_s=30.0), t)
    assert new.latest_s[0, 1] == 30.0 and new.earliest_s[0, 1] == 0.0


def test_end_by_counts_the_drive_home():
    s = _one_vehicle()
    home = np.array([30.0])  # depot at x = 0, drop-off at x = 30
    t = _times(s, 10.0, 30.0, home)  # drop-off served at 30 s, home at 60 s
    limits = VehicleLimits(np.array([60.0]), np.array([0.0]))
    assert find_best_insertion(s, _req(), t, limits=limits).dropoff_time_s == 30.0
    limits = VehicleLimits(np.array([59.0]), np.array([0.0]))
    assert find_best_insertion(s, _req(), t, limits=limits) is None
    # a plan already past its end takes nobody
    s2 = _one_vehicle(stops=[(50.0, -1, -math.inf, math.inf)])
    s2.start_load[0] = 1
    t2 = _times(s2, 10.0, 30.0, home)
    limits = VehicleLimits(np.array([99.0]), np.array([50.0]))  # 50 s + 50 s home > 99 s
    assert find_best_insertion(s2, _req(), t2, limits=limits) is None


def test_bad_rule_input_names_the_field():
    s = _one_vehicle()
    t = _times(s, 10.0, 30.0)
    with pytest.raises(DispatchError, match="drop-off window"):
        find_best_insertion(s, _req(earliest_dropoff_s=50.0, latest_dropoff_s=40.0), t)
    with pytest.raises(DispatchError, match=r"VehicleLimits\.end_by_s"):
        find_best_insertion(s, _req(), t, limits=VehicleLimits(np.zeros(2), np.zeros(1)))
    with pytest.raises(DispatchError, match="dropoff_to_depot_s"):
        find_best_insertion(s, _req(), t._replace(dropoff_to_depot_s=np.array([-1.0])))
    with pytest.raises(DispatchError, match="w_drive"):
        InsertionWeights(w_drive=-1.0)


def test_fleet_fields_are_the_schedules_fields_by_position():
    # insertion._search picks them by position (per request, no getattr)
    from idrt.dispatch import Schedules, _kernels

    fields = Schedules._fields
    assert (*fields[:4], fields[5], *fields[7:]) == _kernels.FLEET_FIELDS


@pytest.mark.parametrize("seed", range(16))
def test_batch_plan_cost_carries_w_drive(seed):
    """One request: the batch cost (plan cost C, with w_drive) is its insertion cost."""
    import dataclasses

    from idrt.dispatch import solve_batch
    from tests.dispatch.test_batch import _random_instance
    from tests.dispatch.test_batch import _times as batch_times

    s, start, groups, _, travel, w = _random_instance(seed)
    w = dataclasses.replace(w, w_drive=0.7)
    br = groups[0][0]
    r = br.request
    found = find_best_insertion(
        s, r, batch_times(s, start, r.pickup_node, r.dropoff_node, travel), w
    )
    for k in (1, 2):  # k = 2: the trip kernels' plan cost
        res = solve_batch(s, [br], travel, w, start_node=start, max_trip_size=k)
        if found is None:
            assert not res.assigned
        else:
            assert res.assigned[r.request_id].vehicle == found.vehicle
            assert math.isclose(res.cost, found.cost, rel_tol=1e-9, abs_tol=1e-6)
