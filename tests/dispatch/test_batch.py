"""Batch assignment against brute-force enumeration and sequential insertion."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

from idrt.dispatch import (
    BatchRequest,
    DispatchError,
    Insertion,
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    empty_schedules,
    feasible_vehicles,
    find_best_insertion,
    insert,
    schedule_times,
    solve_batch,
)
from tests.dispatch import naive_insertion as naive

SPEED_S_PER_KM = 120.0  # 30 km/h on a plane: the triangle inequality holds


# ----------------------------------------------------------------------------- helpers


def _travel(xy):
    def travel(a, b):
        delta = xy[np.asarray(a)] - xy[np.asarray(b)]
        return np.hypot(delta[..., 0], delta[..., 1]) * SPEED_S_PER_KM

    return travel


def _times(s, start, p, d, travel):
    """InsertionTimes of a pickup p / drop-off d for every vehicle (slow and plain)."""
    n_veh, sm = s.n_vehicles, s.max_stops
    before = np.column_stack([start, s.stop_node])
    valid = np.arange(sm + 1)[None, :] <= s.n_stops[:, None]
    stops_valid = np.arange(sm)[None, :] < s.n_stops[:, None]
    out = {}
    for name, node in (("pickup", p), ("dropoff", d)):
        to = np.where(valid, travel(np.maximum(before, 0), np.full_like(before, node)), np.inf)
        frm = np.full((n_veh, sm + 1), np.inf)
        frm[:, :sm] = np.where(
            stops_valid, travel(np.full_like(s.stop_node, node), np.maximum(s.stop_node, 0)), np.inf
        )
        out[f"to_{name}_s"], out[f"from_{name}_s"] = to, frm
    return InsertionTimes(**out, pickup_to_dropoff_s=float(travel(np.array([p]), np.array([d]))[0]))


def _plan_cost(s, v, flex, w):
    """The batch objective C of vehicle v's plan, from the plain reference simulator."""
    stops = naive.vehicle_stops(s, v)
    t = naive.simulate(float(s.start_time_s[v]), int(s.start_load[v]), int(s.capacity[v]), stops)
    cost = w.w_vehicle * t.end_s
    for k, st in enumerate(stops):
        if st.request in flex:
            if st.kind > 0:
                cost += w.w_wait * (t.service_s[k] - st.earliest_s) - w.w_ride * t.departure_s[k]
            else:
                cost += w.w_ride * t.service_s[k]
        elif st.kind < 0:
            cost += w.w_delay * t.service_s[k]
    return cost


def _one(s, v):
    from idrt.dispatch import Schedules

    return Schedules(**{f: getattr(s, f)[v : v + 1].copy() for f in Schedules._fields})


def _ref_sequence(s1, start1, options_seq, travel, w):
    """Insert requests one by one (each at its reference-cheapest position)."""
    wt = (w.w_vehicle, w.w_wait, w.w_ride, w.w_delay)
    extra = 0.0
    for options in options_seq:
        best = None
        for br in options:
            r = br.request
            times = _times(s1, start1, r.pickup_node, r.dropoff_node, travel)
            cand = naive.best(naive.all_candidates(s1, r, times, wt))
            if cand is not None and (best is None or cand.cost + br.extra_cost < best[0]):
                best = (cand.cost + br.extra_cost, cand, br, times)
        if best is None:
            return None
        _, cand, br, times = best
        s1 = insert(s1, Insertion(0, cand.i, cand.j, cand.cost, 0.0, 0.0), br.request, times)
        extra += br.extra_cost
    return s1, extra


def _brute_force(s, start, groups, travel, w, k, penalty):
    """Best (n_unassigned, cost) over every assignment with at most k requests per vehicle."""
    ids = [g[0].request.request_id for g in groups]
    flex = set(ids)
    set_cost = {}

    def cost_of(v, members):
        key = (v, members)
        if key not in set_cost:
            base = _plan_cost(s, v, flex, w)
            best = math.inf
            for perm in itertools.permutations(members):
                got = _ref_sequence(_one(s, v), start[v : v + 1], [groups[m] for m in perm],
                                    travel, w)  # fmt: skip
                if got is not None:
                    best = min(best, _plan_cost(got[0], 0, flex, w) + got[1] - base)
            set_cost[key] = best
        return set_cost[key]

    results = []
    for assign in itertools.product(range(-1, s.n_vehicles), repeat=len(groups)):
        per_v = {}
        for r, v in enumerate(assign):
            if v >= 0:
                per_v.setdefault(v, []).append(r)
        if any(len(m) > k for m in per_v.values()):
            continue
        total = sum(cost_of(v, tuple(m)) for v, m in per_v.items())
        if math.isfinite(total):
            n_out = assign.count(-1)
            results.append((n_out, total, total + (penalty or 0.0) * n_out))
    return results


def _random_instance(seed, *, max_veh=3, max_req=4, old=1):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.0, 4.0, (40, 2))
    travel = _travel(xy)
    n_veh = int(rng.integers(1, max_veh + 1))
    t0 = float(rng.uniform(0.0, 200.0))
    s = empty_schedules(rng.integers(2, 5, n_veh), t0, max_stops=2)
    start = rng.integers(0, 40, n_veh).astype(np.int64)
    u = rng.random()
    w = (
        InsertionWeights()
        if u < 0.3
        else InsertionWeights(1.0, 0.2, 0.0, 0.1)
        if u < 0.6
        else InsertionWeights(*rng.uniform(0.0, 1.0, 4))
    )

    def request(rid, earliest):
        p, d = (int(x) for x in rng.choice(40, 2, replace=False))
        direct = float(travel(np.array([p]), np.array([d]))[0])
        slack = rng.uniform(100.0, 1500.0) if rng.random() < 0.8 else rng.uniform(0.0, 100.0)
        return InsertionRequest(
            rid, p, d, int(rng.integers(1, 3)), earliest, earliest + slack,
            float(rng.uniform(1.2, 2.0) * direct + rng.uniform(0.0, 300.0)),
            float(rng.uniform(0.0, 30.0)), float(rng.uniform(0.0, 20.0)), direct,
        )  # fmt: skip

    # riders accepted earlier, inserted by the production heuristic
    olds = []
    for rid in range(100, 100 + int(rng.integers(0, old * n_veh + 1))):
        r = request(rid, t0 + float(rng.uniform(0.0, 300.0)))
        times = _times(s, start, r.pickup_node, r.dropoff_node, travel)
        best = find_best_insertion(s, r, times, w)
        if best is not None:
            s = insert(s, best, r, times)
            olds.append(BatchRequest(r))
    groups = []
    for rid in range(int(rng.integers(1, max_req + 1))):
        e = t0 + float(rng.uniform(0.0, 300.0))
        g = [BatchRequest(request(rid, e))]
        if rng.random() < 0.25:  # a second candidate stop pair, with walking
            g.append(BatchRequest(request(rid, e), float(rng.uniform(0.0, 60.0))))
        groups.append(g)
    return s, start, groups, olds, travel, w


def _flat(groups):
    return [br for g in groups for br in g]


def _assert_consistent(res, s, groups, w, flex=None):
    """The reported cost is C(new plans) - C(old plans) + the chosen options' extras."""
    flex = {g[0].request.request_id for g in groups} | (flex or set())
    total = 0.0
    for v in res.changed.tolist():
        total += _plan_cost(res.schedules, v, flex, w) - _plan_cost(s, v, flex, w)
    by_id = {g[0].request.request_id: g for g in groups}
    for rid, a in res.assigned.items():
        if rid in by_id:
            total += by_id[rid][a.option].extra_cost
    assert math.isclose(res.cost, total, rel_tol=1e-9, abs_tol=1e-6), (res.cost, total)
    assert feasible_vehicles(res.schedules).all()


# ------------------------------------------------------------------------------- tests


@pytest.fixture(params=["enumeration", "lp", "milp"])
def solver(request, monkeypatch):
    """Force each way of solving a part of the set-partitioning programme."""
    import scipy.optimize

    import idrt.dispatch.batch as batch

    if request.param != "enumeration":
        monkeypatch.setattr(batch, "MAX_COMBINATIONS", 0)
    if request.param == "milp":  # the LP relaxation "fails": branch and bound decides
        monkeypatch.setattr(
            scipy.optimize, "linprog", lambda *a, **k: SimpleNamespace(status=4, x=None)
        )
    return request.param


@pytest.mark.parametrize("seed", range(24))
def test_equals_brute_force(seed, solver):
    s, start, groups, _, travel, w = _random_instance(seed)
    k = 1 + seed % 3
    penalty = None if seed % 2 else 400.0
    res = solve_batch(s, _flat(groups), travel, w, start_node=start, max_trip_size=k,
                      unassigned_penalty=penalty)  # fmt: skip
    ref = _brute_force(s, start, groups, travel, w, k, penalty)
    n_out = len(res.unassigned)
    if penalty is None:  # lexicographic: most requests placed, then cheapest
        best_n = min(r[0] for r in ref)
        best_cost = min(r[1] for r in ref if r[0] == best_n)
        assert n_out == best_n
        assert math.isclose(res.cost, best_cost, rel_tol=1e-9, abs_tol=1e-6)
    else:
        best = min(r[2] for r in ref)
        assert math.isclose(res.cost + penalty * n_out, best, rel_tol=1e-9, abs_tol=1e-6)
    assert res.method == ("lsa" if k == 1 else "milp")
    _assert_consistent(res, s, groups, w)
    assert set(res.assigned) | set(res.unassigned) == {g[0].request.request_id for g in groups}


def _sequential(s, start, groups, travel, w):
    """Immediate dispatch: each request in arrival order into the cheapest vehicle."""
    counts, extra, rejected = {}, 0.0, 0
    for g in groups:
        best = None
        for br in g:
            r = br.request
            times = _times(s, start, r.pickup_node, r.dropoff_node, travel)
            found = find_best_insertion(s, r, times, w)
            if found is not None and (best is None or found.cost + br.extra_cost < best[0]):
                best = (found.cost + br.extra_cost, found, br, times)
        if best is None:
            rejected += 1
            continue
        _, found, br, times = best
        s = insert(s, found, br.request, times)
        counts[found.vehicle] = counts.get(found.vehicle, 0) + 1
        extra += br.extra_cost
    return s, counts, extra, rejected


@pytest.mark.parametrize("seed", range(100, 140))
def test_never_worse_than_sequential_insertion(seed):
    s, start, groups, _, travel, w = _random_instance(seed, max_veh=4, max_req=6, old=2)
    seq_s, counts, extra, rejected = _sequential(s, start, groups, travel, w)
    flex = {g[0].request.request_id for g in groups}
    seq_cost = extra + sum(
        _plan_cost(seq_s, v, flex, w) - _plan_cost(s, v, flex, w) for v in range(s.n_vehicles)
    )
    k = max(counts.values(), default=1)
    penalty = 1e4
    res = solve_batch(s, _flat(groups), travel, w, start_node=start, max_trip_size=k,
                      unassigned_penalty=penalty)  # fmt: skip
    assert res.cost + penalty * len(res.unassigned) <= seq_cost + penalty * rejected + 1e-6
    _assert_consistent(res, s, groups, w)


def test_one_request_per_vehicle_on_a_line():
    x = np.array([0.0, 100.0, 10.0, 20.0, 110.0, 120.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731

    def req(rid, p, d):
        return BatchRequest(InsertionRequest(rid, p, d, 1, 0.0, 60.0, 60.0, 0.0, 0.0, 10.0))

    fleet = empty_schedules([4, 4], 0.0)
    res = solve_batch(fleet, [req(1, 2, 3), req(2, 4, 5)], travel, start_node=np.array([0, 1]))
    assert {a.request_id: a.vehicle for a in res.assigned.values()} == {1: 0, 2: 1}
    assert res.cost == pytest.approx(20.0 + 20.0)
    assert res.changed.tolist() == [0, 1]
    assert res.assigned[2].pickup_time_s == pytest.approx(10.0)


def test_joint_choice_beats_greedy():
    """The first request takes the vehicle the second needs when dispatched greedily."""
    x = np.array([0.0, 30.0, 14.0, 16.0, 40.0, 50.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    fleet = empty_schedules([1, 1], 0.0)
    start = np.array([0, 1])
    r1 = InsertionRequest(1, 2, 3, 1, 0.0, 20.0, 100.0, 0.0, 0.0, 2.0)  # at 14: 14 / 16 away
    r2 = InsertionRequest(2, 4, 5, 1, 0.0, 15.0, 100.0, 0.0, 0.0, 10.0)  # at 40: 40 / 10 away
    _, counts, _, rejected = _sequential(fleet, start, [[BatchRequest(r1)], [BatchRequest(r2)]],
                                             travel, InsertionWeights())  # fmt: skip
    assert counts == {0: 1, 1: 1}  # greedy: r1 -> vehicle 0 (14 s), r2 -> vehicle 1
    res = solve_batch(fleet, [BatchRequest(r1), BatchRequest(r2)], travel, start_node=start)
    assert {a.request_id: a.vehicle for a in res.assigned.values()} == {1: 0, 2: 1}
    # now make vehicle 1 the only one that reaches r2 in time, and r1 prefer it
    x[1] = 25.0  # vehicle 1: 11 s from r1, 15 s from r2; vehicle 0: 14 s / 40 s
    _, counts, _, rejected = _sequential(fleet, start, [[BatchRequest(r1)], [BatchRequest(r2)]],
                                             travel, InsertionWeights())  # fmt: skip
    assert rejected == 1  # greedy gave r1 vehicle 1 and r2 is left with nobody
    res = solve_batch(fleet, [BatchRequest(r1), BatchRequest(r2)], travel, start_node=start)
    assert {a.request_id: a.vehicle for a in res.assigned.values()} == {1: 0, 2: 1}
    assert res.unassigned == []


def test_several_requests_share_a_vehicle_with_milp():
    x = np.array([0.0, 500.0, 10.0, 30.0, 12.0, 32.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    fleet = empty_schedules([4, 4], 0.0)
    reqs = [
        BatchRequest(InsertionRequest(1, 2, 3, 1, 0.0, 100.0, 100.0, 0.0, 0.0, 20.0)),
        BatchRequest(InsertionRequest(2, 4, 5, 1, 0.0, 100.0, 100.0, 0.0, 0.0, 20.0)),
    ]
    one = solve_batch(fleet, reqs, travel, start_node=np.array([0, 1]), max_trip_size=1)
    assert len(one.unassigned) == 1  # vehicle 1 is 490 s away: too late for either
    two = solve_batch(fleet, reqs, travel, start_node=np.array([0, 1]), max_trip_size=2)
    assert {a.vehicle for a in two.assigned.values()} == {0}
    assert two.method == "milp"
    assert two.cost == pytest.approx(32.0)  # 0 -> 10 -> 12 -> 30 -> 32


def test_candidates_restrict_vehicles():
    x = np.array([0.0, 100.0, 10.0, 20.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    fleet = empty_schedules([4, 4], 0.0)
    r = BatchRequest(InsertionRequest(1, 2, 3, 1, 0.0, 1000.0, 100.0, 0.0, 0.0, 10.0))
    res = solve_batch(fleet, [r], travel, start_node=np.array([0, 1]), candidates={1: [1]})
    assert res.assigned[1].vehicle == 1
    res = solve_batch(fleet, [r], travel, start_node=np.array([0, 1]), candidates={1: []})
    assert res.unassigned == [1] and res.method == "none"


# ---------------------------------------------------------------------- re-optimisation


def test_reoptimisation_moves_a_rider_to_a_closer_vehicle():
    x = np.array([0.0, 95.0, 100.0, 110.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    w = InsertionWeights(1.0, 0.2, 0.0, 0.0)
    fleet = empty_schedules([4, 4], 0.0)
    r = InsertionRequest(7, 2, 3, 1, 0.0, 300.0, 100.0, 0.0, 0.0, 10.0)
    start = np.array([0, 1])
    only0 = np.array([True, False])
    times = _times(fleet, start, 2, 3, travel)
    fleet = insert(fleet, find_best_insertion(fleet, r, times, w, vehicle_mask=only0), r, times)
    res = solve_batch(fleet, [], travel, w, start_node=start, movable=[BatchRequest(r)])
    assert res.moved == [7]
    assert res.assigned[7].vehicle == 1
    assert res.assigned[7].pickup_time_s == pytest.approx(5.0)
    # vehicle 0: 110 s of driving saved, vehicle 1: 15 s added; wait 100 s -> 5 s
    assert res.cost == pytest.approx(-110.0 + 15.0 + 0.2 * (5.0 - 100.0))
    assert res.schedules.n_stops.tolist() == [0, 2]
    assert res.method == "milp"


@pytest.mark.parametrize("k", [1, 2])
def test_new_request_ranks_before_other_vehicles_riders(k):
    """A movable rider cheaper to insert does not crowd a new request out of the screening.

    Vehicle 1 (at 100) can reach the new request's pickup (at 110) in time,
    vehicle 0 (at 0) cannot. Rider 7, planned on vehicle 0, is cheaper for
    vehicle 1 (5 s of driving against 30 s). With one screened request per
    vehicle, ranking by cost alone keeps rider 7 and rejects the new request;
    new requests first places it (and rider 7 stays where it is).
    """
    x = np.array([0.0, 100.0, 100.0, 105.0, 110.0, 130.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    w = InsertionWeights(1.0, 0.2, 0.0, 0.0)
    fleet = empty_schedules([4, 4], 0.0)
    start = np.array([0, 1])
    rider = InsertionRequest(7, 2, 3, 1, 0.0, 300.0, 100.0, 0.0, 0.0, 5.0)
    times = _times(fleet, start, 2, 3, travel)
    only0 = np.array([True, False])
    fleet = insert(fleet, find_best_insertion(fleet, rider, times, w, vehicle_mask=only0), rider,
                   times)  # fmt: skip
    new = BatchRequest(InsertionRequest(1, 4, 5, 1, 0.0, 20.0, 100.0, 0.0, 0.0, 20.0))
    res = solve_batch(fleet, [new], travel, w, start_node=start, movable=[BatchRequest(rider)],
                      max_trip_size=k, max_requests_per_vehicle=1)  # fmt: skip
    assert res.unassigned == []
    assert res.assigned[1].vehicle == 1
    assert 7 not in res.moved


@pytest.mark.parametrize("seed", range(200, 230))
def test_reoptimisation_keeps_every_rider_and_window(seed, solver):
    s, start, groups, olds, travel, w = _random_instance(seed, max_veh=3, max_req=3, old=3)
    k = 1 + seed % 2
    res = solve_batch(s, _flat(groups), travel, w, start_node=start, movable=olds,
                      max_trip_size=k)  # fmt: skip
    old_ids = {br.request.request_id for br in olds}
    # every accepted rider is still planned exactly once, inside its promise
    new = res.schedules
    times = schedule_times(new)
    seen = {}
    for v in range(new.n_vehicles):
        for q in range(int(new.n_stops[v])):
            rid = int(new.stop_request[v, q])
            if new.stop_kind[v, q] > 0:
                assert rid not in seen
                seen[rid] = v
                promise = {br.request.request_id: br.request for br in olds}.get(rid)
                if promise is not None:
                    assert times.service_s[v, q] <= promise.latest_pickup_s + 1e-9
                    assert times.service_s[v, q] >= promise.earliest_pickup_s - 1e-9
    assert old_ids <= set(seen)
    assert feasible_vehicles(new).all()
    # the current plans are always an option: re-optimising never costs more
    keep = solve_batch(s, [], travel, w, start_node=start, movable=olds, max_trip_size=k)
    assert keep.cost <= 1e-6
    _assert_consistent(res, s, groups, w, flex=old_ids)
    assert {rid for rid in res.moved} <= old_ids
    for rid in res.moved:
        assert res.assigned[rid].vehicle == seen[rid]


# ---------------------------------------------------------------------------- errors


def test_bad_input():
    x = np.array([0.0, 1.0, 2.0])
    travel = lambda a, b: np.abs(x[a] - x[b])  # noqa: E731
    fleet = empty_schedules([4], 0.0)
    r = BatchRequest(InsertionRequest(1, 1, 2, 1, 0.0, 10.0, 10.0, 0.0, 0.0, 1.0))
    start = np.array([0])
    with pytest.raises(DispatchError, match="max_trip_size"):
        solve_batch(fleet, [r], travel, start_node=start, max_trip_size=0)
    with pytest.raises(DispatchError, match="max_requests_per_vehicle"):
        solve_batch(fleet, [r], travel, start_node=start, max_requests_per_vehicle=99)
    with pytest.raises(DispatchError, match="start_node"):
        solve_batch(fleet, [r], travel, start_node=np.array([0, 1]))
    with pytest.raises(DispatchError, match="both as new and as movable"):
        solve_batch(fleet, [r], travel, start_node=start, movable=[r])
    with pytest.raises(DispatchError, match="no pickup in any plan"):
        solve_batch(fleet, [], travel, start_node=start, movable=[r])
    with pytest.raises(DispatchError, match="outside"):
        solve_batch(fleet, [r], travel, start_node=start, candidates={1: [3]})
    with pytest.raises(DispatchError, match="one time per pair"):
        solve_batch(fleet, [r], lambda a, b: np.zeros(1), start_node=start)
    with pytest.raises(DispatchError, match="BatchRequest"):
        solve_batch(fleet, [r.request], travel, start_node=start)
    with pytest.raises(DispatchError, match="unassigned_penalty"):
        solve_batch(fleet, [r], travel, start_node=start, unassigned_penalty=-1.0)
    empty = solve_batch(fleet, [], travel, start_node=start)
    assert empty.method == "none" and empty.assigned == {} and empty.changed.size == 0
