"""Branch and bound over vehicles against trying every vehicle (brute force), ties included.

:func:`idrt.dispatch.insertion.best_insertion_bounded` searches vehicles in
increasing order of a lower bound of their cost and stops at the first bound
above the best cost found. These tests build random fleets on a plane (travel
times proportional to distance: the triangle inequality holds, as the bounds
require), with copies of vehicles so that costs tie exactly, and check that
the answer is the one of searching every vehicle with full time arrays
(:func:`best_insertion_among`), bit for bit, and that every bound is at most
the vehicle's own best cost.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt.dispatch import (
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    Schedules,
    _kernels,
    best_insertion_among,
)
from idrt.dispatch.insertion import (
    _NONE,
    ExcessMemo,
    _kernel_request,
    best_insertion_bounded,
)
from tests.dispatch.test_insertion import _random_vehicle, _tt


def _stop_arrays(n_veh, s_max):
    """Stop arrays of ``n_veh`` vehicles and ``s_max`` slots, padded with values a
    kernel reading past a plan's end would notice (node -7, 9 riders, empty windows)."""
    return {
        "stop_node": np.full((n_veh, s_max), -7, dtype=np.int64),
        "stop_kind": np.ones((n_veh, s_max), dtype=np.int64),
        "stop_request": np.full((n_veh, s_max), -7, dtype=np.int64),
        "stop_pax": np.full((n_veh, s_max), 9, dtype=np.int64),
        "earliest_s": np.full((n_veh, s_max), 1e9),
        "latest_s": np.full((n_veh, s_max), -1.0),
        "leg_s": np.zeros((n_veh, s_max)),
        "dwell_s": np.zeros((n_veh, s_max)),
    }


def _fleet_case(seed):
    """A fleet with copied vehicles, a request, a table of plane times, weights."""
    rng = np.random.default_rng(seed)
    n_distinct = int(rng.integers(1, 7))
    distinct = [_random_vehicle(rng, int(rng.integers(0, 9))) for _ in range(n_distinct)]
    # copies (the same plan under several indices) make exact cost ties
    vehicles = [distinct[int(rng.integers(n_distinct))] for _ in range(int(rng.integers(1, 25)))]
    n_veh = len(vehicles)
    s_max = max(len(v[1]) for v in vehicles) + int(rng.integers(0, 3))
    node_of, node_points = {}, []

    def node(pt):
        if pt not in node_of:
            node_of[pt] = len(node_points)
            node_points.append(pt)
        return node_of[pt]

    arrays = _stop_arrays(n_veh, s_max)
    starts = np.empty(n_veh, dtype=np.int64)
    for v, (_, stops, start, points) in enumerate(vehicles):
        starts[v] = node(start)
        for k, (kind, req, g, e, lat, leg, dw) in enumerate(stops):
            arrays["stop_node"][v, k] = node(points[k])
            arrays["stop_kind"][v, k] = kind
            arrays["stop_request"][v, k] = req
            arrays["stop_pax"][v, k] = g
            arrays["earliest_s"][v, k], arrays["latest_s"][v, k] = e, lat
            arrays["leg_s"][v, k], arrays["dwell_s"][v, k] = leg, dw
    head = np.array([v[0] for v in vehicles])
    schedules = Schedules(
        start_time_s=head[:, 0].astype(float),
        start_load=head[:, 1].astype(np.int64),
        capacity=head[:, 2].astype(np.int64),
        n_stops=np.array([len(v[1]) for v in vehicles], dtype=np.int64),
        **arrays,
    )
    all_points = list(node_points)

    def pick_point():
        if rng.random() < 0.3:  # at a stop or start of some plan: zero-length legs
            return all_points[int(rng.integers(len(all_points)))]
        return tuple(rng.uniform(0.0, 5.0, 2))

    p_pt, d_pt = pick_point(), pick_point()
    while d_pt == p_pt:
        d_pt = tuple(rng.uniform(0.0, 5.0, 2))
    pickup, dropoff = node(p_pt), node(d_pt)
    direct = _tt(p_pt, d_pt)
    e_p = float(rng.uniform(0.0, 600.0))
    u = rng.random()
    l_p = e_p + (rng.uniform(60.0, 400.0) if u < 0.4 else rng.uniform(400.0, 2000.0))
    request = InsertionRequest(
        request_id=99,
        pickup_node=pickup,
        dropoff_node=dropoff,
        pax=int(rng.integers(1, 3)),
        earliest_pickup_s=e_p,
        latest_pickup_s=float(l_p),
        max_ride_s=float(rng.uniform(1.0, 2.5) * direct + rng.uniform(0.0, 900.0))
        if rng.random() < 0.9
        else math.inf,
        dwell_pickup_s=0.0 if rng.random() < 0.3 else float(rng.uniform(10.0, 60.0)),
        dwell_dropoff_s=0.0 if rng.random() < 0.3 else float(rng.uniform(10.0, 60.0)),
        direct_s=direct,
    )
    # the table: every node to every node, a few nodes left out of it (slot -1)
    n_nodes = len(node_points)
    table = np.array([[_tt(a, b) for b in node_points] for a in node_points])
    slot = np.arange(n_nodes, dtype=np.int64)
    u = rng.random()
    if u < 0.3:
        weights = InsertionWeights(1.0, 0.2, 0.0, 0.1, 0.0)  # the scenario default
    elif u < 0.5:
        weights = InsertionWeights(0.0, 1.0, 0.0, 0.0)  # wait only
    else:
        weights = InsertionWeights(*(float(x) for x in rng.choice([0.0, 0.1, 0.5, 1.0], 5)))
    candidates = np.flatnonzero(rng.random(n_veh) < 0.8).astype(np.int64)
    if candidates.size == 0:
        candidates = np.arange(n_veh, dtype=np.int64)
    return schedules, starts, candidates, request, direct, table, slot, weights


def _assert_full_answer(found, times, searched, full, whole, rows):
    """The bounded search's answer is the full search's: vehicle, positions, cost, times."""
    assert searched >= 0
    assert found == full  # vehicle, positions, cost and times, bit for bit
    if full is not None:
        q = int(np.searchsorted(rows, full.vehicle))
        for name in ("to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s"):
            np.testing.assert_array_equal(getattr(times, name)[0], getattr(whole, name)[q])


def _points(schedules, starts, rows):
    points = np.empty((rows.size, schedules.max_stops + 1), dtype=np.int64)
    points[:, 0] = starts[rows]
    points[:, 1:] = schedules.stop_node[rows]
    return points


def _full_times(schedules, points, rows, request, direct, table, slot):
    """Every candidate's times from the table, as the engine's plan_times builds them."""
    from idrt.sim._kernels import plan_times

    n = schedules.n_stops[rows]
    to_p, from_p = plan_times(points, n, True, table, slot, request.pickup_node)
    to_d, from_d = plan_times(points, n, False, table, slot, request.dropoff_node)
    return InsertionTimes(to_p, from_p, to_d, from_d, direct)


SEEDS = range(600)
RF = ("start_time_s", "start_load", "capacity", "n_stops", "stop_node", "stop_kind",
      "stop_pax", "earliest_s", "latest_s", "leg_s", "dwell_s")  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
def test_bounded_search_is_the_full_search(seed):
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    points = _points(schedules, starts, rows)
    whole = _full_times(schedules, points, rows, request, direct, table, slot)
    full = best_insertion_among(schedules, rows, request, whole, weights)
    # slots for many more nodes than the table holds: too few look-ups to gather
    # the pickup's column of the transposed view first (read in place instead)
    sparse = np.concatenate([slot, np.full(100 * slot.size + 1000, -1, dtype=np.int64)])
    for bounded, lookup in (
        (True, (table, slot)),
        (True, (table, slot, np.ascontiguousarray(table.T))),
        (True, (table, sparse)),
        (False, (table, slot)),
    ):
        found, times, searched = best_insertion_bounded(
            schedules, rows, points, lookup, request, direct, weights, bounded=bounded
        )
        _assert_full_answer(found, times, searched, full, whole, rows)


@pytest.mark.parametrize("seed", SEEDS)
def test_bounds_never_exceed_a_vehicles_best_cost(seed):
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    points = _points(schedules, starts, rows)
    times = _full_times(schedules, points, rows, request, direct, table, slot)
    s = schedules
    fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
    scalars = _kernel_request(request, direct)
    trows = np.arange(rows.size, dtype=np.int64)
    bounds = _kernels.insertion_lower_bounds(
        fleet, times.to_pickup_s, times.from_pickup_s, scalars, weights.as_array(), rows, trows
    )
    for q, v in enumerate(rows.tolist()):
        best = best_insertion_among(
            schedules, np.array([v]), request,
            InsertionTimes(*(getattr(times, f)[q : q + 1] for f in (
                "to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s")), direct),
            weights,
        )  # fmt: skip
        cost = math.inf if best is None else best.cost
        assert bounds[q] <= cost, (q, v, bounds[q], cost)


def _position_bounds(schedules, rows, times, request, direct, weights, excess_of=None,
                     dropoff=False):  # fmt: skip
    """Per candidate: the vehicle's bound of ``_lower_bound_row``, its per-position bounds
    as written and with the rounding allowance taken off as ``_scan_core`` does, and the
    least cost per pickup position (brute force). ``dropoff``: the bound given the
    drop-off's times too (its least detour after the pickup), as the search gives them."""
    s = schedules
    fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
    scalars = _kernel_request(request, direct)
    w = weights.as_array()
    margin = _kernels.BOUND_MARGIN_S * (1.0 + w.sum())
    width = s.max_stops + 1
    out = []
    for q, v in enumerate(rows.tolist()):
        n = int(s.n_stops[v])
        work = np.empty((_kernels.N_WORK, width))
        excess = np.empty(0) if excess_of is None else excess_of(v)
        pos_lb = np.full(width, np.nan)
        pos_x = np.full(width if dropoff else 0, 7.0)
        pos_e = np.full(width if dropoff and excess_of is not None else 0, 7.0)
        lb = _kernels._lower_bound_row(
            fleet, v, times.to_pickup_s[q], times.from_pickup_s[q], 0, scalars, w, work, excess,
            pos_lb, pos_x, pos_e,
        )  # fmt: skip
        if dropoff and lb > -np.inf:  # as best_insertion_table before it searches a vehicle
            lb = _kernels._dropoff_rebound(
                s.leg_s, v, n, times.to_pickup_s[q], times.from_pickup_s[q], 0, direct, w[0],
                pos_lb, pos_x, pos_e, times.to_dropoff_s[q], times.from_dropoff_s[q],
            )  # fmt: skip
        raw = pos_lb[: n + 1]
        adjusted = raw.copy()
        f = np.isfinite(raw)
        adjusted[f] = raw[f] - margin - 1e-12 * np.abs(raw[f])
        costs = np.full((width, width), np.inf)
        _kernels.best_insertion_vehicle(
            (s.start_time_s[v], s.start_load[v], s.capacity[v], n, np.inf, 0.0, 0.0),
            tuple(getattr(s, f)[v] for f in _kernels.FLEET_FIELDS[4:]),
            tuple(getattr(times, f)[q] for f in
                  ("to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s")),
            scalars, w, np.empty((_kernels.N_WORK, width)), costs,
        )  # fmt: skip
        out.append((lb, raw, adjusted, costs[: n + 1].min(axis=1)))
    return out


@pytest.mark.parametrize("seed", range(300))
def test_position_bounds_never_exceed_the_positions_best_cost(seed):
    """Each pickup position's bound (which lets the search skip it) is at most its cheapest
    insertion, and the vehicle's bound is the least of them, with both kinds of legs."""
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    cases = [(schedules, None, False), (schedules, None, True)]
    if weights.w_drive == 0.0:
        stretched = _stretched_legs(schedules, seed)

        def excess_of(v, s=stretched):
            out = np.empty(s.max_stops + 1)
            fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
            assert _kernels._leg_excess(fleet, v, s.n_stops[v], table, slot, s.stop_node, v, out)
            return out

        cases.append((stretched, excess_of, False))
        cases.append((stretched, excess_of, True))  # legs of other slices, drop-off known
    for s, excess_of, dropoff in cases:
        points = _points(s, starts, rows)
        times = _full_times(s, points, rows, request, direct, table, slot)
        for lb, raw, pos, least in _position_bounds(s, rows, times, request, direct, weights,
                                                    excess_of, dropoff):  # fmt: skip
            if not np.isfinite(lb):  # never searched (inf), or no bound (-inf)
                continue
            assert (pos <= least).all(), (pos, least)
            assert lb == raw.min()  # the vehicle's bound is the least position bound


def test_position_bounds_cut_positions():
    """The per-position bounds do exclude positions: some are above the position's
    vehicle's own best cost (so a search that has found it skips them)."""
    above = total = 0
    for seed in range(200):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        points = _points(schedules, starts, rows)
        times = _full_times(schedules, points, rows, request, direct, table, slot)
        for _, _, pos, least in _position_bounds(schedules, rows, times, request, direct, weights):
            if not np.isfinite(least).any():
                continue
            best = least.min()
            above += int((np.isfinite(pos) & (pos > best)).sum())
            total += int(np.isfinite(pos).sum())
    assert above > 0.1 * total


def test_dropoff_detour_tightens_position_bounds():
    """Given the drop-off's times, the position bounds rise above the vehicle's own best cost
    (so the search skips them) for some of the positions not cut without."""
    gained = total = 0
    for seed in range(200):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        points = _points(schedules, starts, rows)
        times = _full_times(schedules, points, rows, request, direct, table, slot)
        without = _position_bounds(schedules, rows, times, request, direct, weights)
        with_d = _position_bounds(schedules, rows, times, request, direct, weights, dropoff=True)
        for (lb0, _, pos0, least), (_, _, pos1, _) in zip(without, with_d, strict=True):
            if not np.isfinite(least).any() or not np.isfinite(lb0):
                continue
            best = least.min()
            total += int((pos0 <= best).sum())
            gained += int(((pos0 <= best) & (pos1 > best)).sum())
    assert gained > 0.02 * total, (gained, total)  # 89 of 1854 when written


def test_ties_go_to_the_lowest_vehicle():
    """Identical vehicles tie exactly: the bounded search keeps the lowest, as the full one."""
    seen = 0
    for seed in range(400):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        points = _points(schedules, starts, rows)
        full = best_insertion_among(
            schedules, rows, request,
            _full_times(schedules, points, rows, request, direct, table, slot), weights,
        )  # fmt: skip
        if full is None:
            continue
        # vehicles with the same plan and start as the winner (a tie at the same cost)
        w = full.vehicle
        same = [
            v
            for v in rows.tolist()
            if v != w
            and starts[v] == starts[w]
            and all(np.array_equal(getattr(schedules, f)[v], getattr(schedules, f)[w]) for f in RF)
        ]
        if not same:
            continue
        seen += 1
        assert all(v > w for v in same)  # the full search keeps the lowest
        found, _, _ = best_insertion_bounded(
            schedules, rows, points, (table, slot), request, direct, weights
        )
        assert found == full
    assert seen >= 20  # the generator does make ties


def test_bounds_prune():
    """The bounds do cut the search: far from everything, idle vehicles are not all searched."""
    searched = total = 0
    for seed in range(300):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        points = _points(schedules, starts, rows)
        _, _, n = best_insertion_bounded(
            schedules, rows, points, (table, slot), request, direct, weights
        )
        searched += n
        total += rows.size
    assert searched < 0.8 * total


def test_missing_table_time_gives_up():
    """A node outside the table: nothing decided (-1), the caller searches another way."""
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(3)
    points = _points(schedules, starts, rows)
    slot = slot.copy()
    slot[request.pickup_node] = -1
    found, times, searched = best_insertion_bounded(
        schedules, rows, points, (table, slot), request, direct, weights
    )
    assert (found, times, searched) == (None, None, -1)


def _idle_fleet(start_times, start_nodes, busy=0, seed=0):
    """Idle vehicles (empty plans) at given nodes and start times, then ``busy`` random plans."""
    rng = np.random.default_rng(seed)
    n_idle = len(start_times)
    plans = [_random_vehicle(rng, int(rng.integers(1, 7))) for _ in range(busy)]
    n_veh = n_idle + busy
    s_max = max([len(p[1]) for p in plans] + [2])
    points = [(0.0, 0.0), (1.0, 1.0), (3.0, 0.5), (4.0, 4.0), (0.5, 3.5)]
    node_of = {pt: q for q, pt in enumerate(points)}

    def node(pt):
        if pt not in node_of:
            node_of[pt] = len(points)
            points.append(pt)
        return node_of[pt]

    arrays = _stop_arrays(n_veh, s_max)
    starts = np.array(list(start_nodes) + [0] * busy, dtype=np.int64)
    head = np.zeros((n_veh, 3))
    head[:n_idle, 0] = start_times
    head[:, 2] = 8
    n_stops = np.zeros(n_veh, dtype=np.int64)
    for b, (h, stops, start, pts) in enumerate(plans):
        v = n_idle + b
        head[v] = h
        starts[v] = node(start)
        n_stops[v] = len(stops)
        for k, (kind, req, g, e, lat, leg, dw) in enumerate(stops):
            arrays["stop_node"][v, k] = node(pts[k])
            arrays["stop_kind"][v, k], arrays["stop_request"][v, k] = kind, req
            arrays["stop_pax"][v, k] = g
            arrays["earliest_s"][v, k], arrays["latest_s"][v, k] = e, lat
            arrays["leg_s"][v, k], arrays["dwell_s"][v, k] = leg, dw
    schedules = Schedules(
        start_time_s=head[:, 0].astype(float),
        start_load=head[:, 1].astype(np.int64),
        capacity=head[:, 2].astype(np.int64),
        n_stops=n_stops,
        **arrays,
    )
    table = np.array([[_tt(a, b) for b in points] for a in points])
    return schedules, starts, table, np.arange(len(points), dtype=np.int64)


def _request(pickup, dropoff, table, earliest=0.0):
    direct = float(table[pickup, dropoff])
    return InsertionRequest(
        request_id=99, pickup_node=pickup, dropoff_node=dropoff, pax=1,
        earliest_pickup_s=earliest, latest_pickup_s=earliest + 5000.0,
        max_ride_s=2.0 * direct + 600.0, dwell_pickup_s=30.0, dwell_dropoff_s=20.0,
        direct_s=direct,
    ), direct  # fmt: skip


def _full_and_bounded(schedules, starts, rows, request, direct, table, slot, weights, bounded):
    """The best insertion searching every vehicle, and the bounded search's answer."""
    points = _points(schedules, starts, rows)
    full = best_insertion_among(
        schedules, rows, request,
        _full_times(schedules, points, rows, request, direct, table, slot), weights,
    )  # fmt: skip
    got = best_insertion_bounded(
        schedules, rows, points, (table, slot), request, direct, weights, bounded=bounded
    )
    return full, got


@pytest.mark.parametrize("bounded", [True, False])
def test_identical_idle_vehicles_are_searched_once(bounded):
    """Many idle vehicles at two depots at one time: one search per depot, lowest index wins."""
    nodes = [1, 2, 1, 1, 2, 1, 2, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 2]
    schedules, starts, table, slot = _idle_fleet([100.0] * len(nodes), nodes)
    rows = np.arange(len(nodes), dtype=np.int64)
    weights = InsertionWeights(1.0, 0.2, 0.0, 0.1, 0.0)
    for pickup, dropoff in ((1, 3), (2, 4), (0, 3)):
        request, direct = _request(pickup, dropoff, table)
        full, (found, _, searched) = _full_and_bounded(
            schedules, starts, rows, request, direct, table, slot, weights, bounded
        )
        assert found == full
        assert found.vehicle == nodes.index(nodes[found.vehicle])  # the depot's lowest index
        # one search per depot (with bounds the other depot may be cut)
        assert searched == 2 if not bounded else 1 <= searched <= 2
        # the fleet-wide form (start nodes and stop nodes read in place): the same
        found2, _, searched2 = best_insertion_bounded(
            schedules, rows, (starts, schedules.stop_node), (table, slot), request, direct,
            weights, bounded=bounded,
        )  # fmt: skip
        assert (found2, searched2) == (found, searched)


@pytest.mark.parametrize("bounded", [True, False])
def test_idle_vehicles_differing_only_in_start_time_are_not_merged(bounded):
    """Same depot, different start times: not identical, the earlier (higher index) wins.

    A skip rule keyed on the start node alone would keep vehicle 0 (the
    later start) and lose the cheaper insertion.
    """
    schedules, starts, table, slot = _idle_fleet([900.0, 300.0, 600.0], [1, 1, 1])
    rows = np.arange(schedules.n_vehicles, dtype=np.int64)
    weights = InsertionWeights(1.0, 0.2, 0.0, 0.1, 0.0)
    request, direct = _request(1, 3, table, earliest=0.0)
    full, (found, _, _) = _full_and_bounded(
        schedules, starts, rows, request, direct, table, slot, weights, bounded
    )
    assert found == full
    assert found.vehicle == 1
    # a different load or capacity also keeps two idle vehicles apart
    s2 = schedules._replace(start_time_s=np.full(schedules.n_vehicles, 300.0),
                            capacity=np.array([1, 8, 8], dtype=np.int64))  # fmt: skip
    big = request._replace(pax=2)
    found, _, _ = best_insertion_bounded(
        s2, rows, _points(s2, starts, rows), (table, slot), big, direct, weights, bounded=bounded
    )
    assert found.vehicle == 1  # vehicle 0 has one seat: it cannot stand for vehicle 1


def _stretched_legs(schedules, seed):
    """The same fleet with its stored legs off the table's metric, both ways (other slices)."""
    rng = np.random.default_rng(10_000 + seed)
    factor = rng.choice([0.4, 0.7, 1.0, 1.3, 1.8], size=schedules.leg_s.shape)
    return schedules._replace(leg_s=schedules.leg_s * factor)


@pytest.mark.parametrize("seed", range(400))
def test_time_dependent_bounded_search_is_the_full_search(seed):
    """Legs from other slices (shorter and longer than the table): metric=False, still exact."""
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    schedules = _stretched_legs(schedules, seed)
    points = _points(schedules, starts, rows)
    whole = _full_times(schedules, points, rows, request, direct, table, slot)
    full = best_insertion_among(schedules, rows, request, whole, weights)
    for pts in (points, (starts, schedules.stop_node)):
        found, times, searched = best_insertion_bounded(
            schedules, rows, pts, (table, slot), request, direct, weights, metric=False
        )
        _assert_full_answer(found, times, searched, full, whole, rows)


@pytest.mark.parametrize("seed", range(400))
def test_time_dependent_bounds_never_exceed_a_vehicles_best_cost(seed):
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    schedules = _stretched_legs(schedules, seed)
    if weights.w_drive != 0.0:  # not bounded (the search tries every candidate)
        weights = InsertionWeights(weights.w_vehicle, weights.w_wait, weights.w_ride,
                                   weights.w_delay, 0.0)  # fmt: skip
    points = _points(schedules, starts, rows)
    times = _full_times(schedules, points, rows, request, direct, table, slot)
    s = schedules
    fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
    trows = np.arange(rows.size, dtype=np.int64)
    bounds = _kernels.insertion_lower_bounds_any(
        fleet, times.to_pickup_s, times.from_pickup_s, _kernel_request(request, direct),
        weights.as_array(), rows, trows, table, slot, s.stop_node,
    )  # fmt: skip
    for q, v in enumerate(rows.tolist()):
        best = best_insertion_among(
            schedules, np.array([v]), request,
            InsertionTimes(*(getattr(times, f)[q : q + 1] for f in (
                "to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s")), direct),
            weights,
        )  # fmt: skip
        cost = math.inf if best is None else best.cost
        assert bounds[q] <= cost, (q, v, bounds[q], cost)


@pytest.mark.parametrize("seed", range(300))
def test_kept_leg_excess_serves_only_the_plan_and_table_it_came_from(seed):
    """Excesses kept between searches (ExcessMemo): the same answers as without, while the
    legs (same stop nodes), the table or the plans change between searches."""
    schedules, starts, rows, request, _, table, slot, weights = _fleet_case(seed)
    if weights.w_drive != 0.0:  # not bounded (the search tries every candidate)
        weights = InsertionWeights(weights.w_vehicle, weights.w_wait, weights.w_ride,
                                   weights.w_delay, 0.0)  # fmt: skip
    a = _stretched_legs(schedules, seed)
    b = _stretched_legs(schedules, seed + 5000)  # the same stops, other legs
    slow = schedules._replace(leg_s=schedules.leg_s * 1.8)  # planted in a slow hour
    faster, slower = table * 0.6, table * 1.5  # other slices: the same nodes, other times
    memo = ExcessMemo(schedules.n_vehicles, schedules.max_stops)
    # an excess kept for other legs, or for another table, would be too small here
    steps = ((schedules, table), (slow, table), (a, table), (a, table), (b, table),
             (a, table), (a, faster), (a, slower), (a, table), (slow, slower),
             (slow, faster))  # fmt: skip
    kept = ExcessMemo(schedules.n_vehicles, schedules.max_stops)  # checked directly
    width = schedules.max_stops + 1
    for s, tab in steps:
        fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
        for v in rows.tolist():  # the excess used is the one computed afresh, bit for bit
            fresh, used = np.full(width, np.nan), np.full(width, np.nan)
            n = int(s.n_stops[v])
            ok = _kernels._leg_excess(fleet, v, n, tab, slot, s.stop_node, v, fresh)
            assert ok == _kernels._remembered_excess(
                fleet, v, n, tab, slot, s.stop_node, v, used, (*kept.arrays, kept.token(tab, slot))
            )  # fmt: skip
            np.testing.assert_array_equal(used[:n], fresh[:n])
        points = _points(s, starts, rows)
        p2d = float(tab[slot[request.pickup_node], slot[request.dropoff_node]])
        whole = _full_times(s, points, rows, request, p2d, tab, slot)
        full = best_insertion_among(s, rows, request, whole, weights)
        for pts in ((starts, s.stop_node), points):
            found, _, searched = best_insertion_bounded(
                s, rows, pts, (tab, slot), request, p2d, weights, metric=False, memo=memo
            )
            assert searched >= 0
            assert found == full


def test_the_metric_bound_fails_on_time_dependent_legs():
    """The check has teeth: the metric bound on stretched legs loses insertions, excess not."""
    wrong = cut = 0
    for seed in range(400):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        schedules = _stretched_legs(schedules, seed)
        points = _points(schedules, starts, rows)
        whole = _full_times(schedules, points, rows, request, direct, table, slot)
        full = best_insertion_among(schedules, rows, request, whole, weights)
        found, _, _ = best_insertion_bounded(
            schedules, rows, points, (table, slot), request, direct, weights, metric=True
        )
        wrong += found != full
        _, _, searched_any = best_insertion_bounded(
            schedules, rows, points, (table, slot), request, direct, weights, metric=False
        )
        cut += searched_any < rows.size
    assert wrong > 0  # assuming one metric is wrong here
    assert cut > 50  # and the time-dependent bound still prunes


def _stretched_case(seed):
    """``_fleet_case`` with legs of other slices and ``w_drive`` 0 (the time-dependent bound's)."""
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    if weights.w_drive != 0.0:  # not bounded (the search tries every candidate)
        weights = InsertionWeights(weights.w_vehicle, weights.w_wait, weights.w_ride,
                                   weights.w_delay, 0.0)  # fmt: skip
    schedules = _stretched_legs(schedules, seed)
    return schedules, starts, rows, request, direct, table, slot, weights


def _excess_of(s, table, slot):
    def excess_of(v):
        out = np.empty(s.max_stops + 1)
        fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
        assert _kernels._leg_excess(fleet, v, s.n_stops[v], table, slot, s.stop_node, v, out)
        return out

    return excess_of


def test_time_dependent_dropoff_detour_tightens_position_bounds():
    """Legs of other slices: given the drop-off's times, some position bounds rise above the
    vehicle's own best cost (the search skips them) that the excess bound alone does not cut,
    and none rises above its position's best (brute force)."""
    gained = total = 0
    for seed in range(200):
        s, starts, rows, request, direct, table, slot, weights = _stretched_case(seed)
        times = _full_times(s, _points(s, starts, rows), rows, request, direct, table, slot)
        excess_of = _excess_of(s, table, slot)
        without = _position_bounds(s, rows, times, request, direct, weights, excess_of)
        with_d = _position_bounds(s, rows, times, request, direct, weights, excess_of, True)
        for (lb0, _, pos0, least), (_, _, pos1, _) in zip(without, with_d, strict=True):
            if not np.isfinite(least).any() or not np.isfinite(lb0):
                continue
            assert (pos1 <= least).all(), (seed, pos1, least)
            best = least.min()
            total += int((pos0 <= best).sum())
            gained += int(((pos0 <= best) & (pos1 > best)).sum())
    assert gained > 0.02 * total, (gained, total)


def test_time_dependent_dropoff_detour_cuts_vehicles_searched():
    """Legs of other slices: the search with the drop-off's detour searches fewer vehicles
    than the excess bound alone could: without it every candidate (not an idle copy) whose
    vehicle bound is at most the best cost is searched; with it some of those are not
    (the scenario's default weights)."""
    searched = must = 0
    weights = InsertionWeights(1.0, 0.2, 0.0, 0.1, 0.0)
    for seed in range(300):
        s, starts, rows, request, direct, table, slot, _ = _stretched_case(seed)
        points = _points(s, starts, rows)
        found, _, n = best_insertion_bounded(
            s, rows, points, (table, slot), request, direct, weights, metric=False
        )
        if found is None:
            continue
        times = _full_times(s, points, rows, request, direct, table, slot)
        fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
        bounds = _kernels.insertion_lower_bounds_any(
            fleet, times.to_pickup_s, times.from_pickup_s, _kernel_request(request, direct),
            weights.as_array(), rows, np.arange(rows.size, dtype=np.int64), table, slot,
            s.stop_node,
        )  # fmt: skip
        copy = _kernels._idle_copies(rows, False, fleet, np.ascontiguousarray(points[:, 0]))
        searched += n
        must += int(((bounds <= found.cost) & ~copy).sum())
    assert searched < 0.95 * must, (searched, must)  # 562 of 618 when written


def test_time_dependent_bound_allows_a_plan_that_ends_earlier():
    """A stored leg three times the table's: a pickup on the way makes the plan end earlier.

    One vehicle carries a rider from A to B on a leg stored at 3x the table's
    time (planned in a slow hour). A pickup P on the way, its drop-off D just
    past B, appended: the vehicle now reaches B sooner than planned, and the
    cheapest insertion has a negative cost (less vehicle time, an earlier
    drop-off). A bound that clamps the added time at 0 would exceed it.
    """
    a, p, b, d = (0.0, 0.0), (1.0, 0.0), (4.0, 0.0), (4.5, 0.0)
    pts = [a, p, b, d]
    table = np.array([[_tt(x, y) for y in pts] for x in pts])
    slot = np.arange(4, dtype=np.int64)

    def row(value, dtype=float):
        return np.array([[value, 0]], dtype=dtype)

    s = Schedules(
        start_time_s=np.array([0.0]), start_load=np.array([1]), capacity=np.array([8]),
        n_stops=np.array([1]), stop_node=row(2, np.int64), stop_kind=row(-1, np.int64),
        stop_request=row(5, np.int64), stop_pax=row(1, np.int64), earliest_s=row(0.0),
        latest_s=row(1e9), leg_s=row(3.0 * table[0, 2]), dwell_s=row(10.0),
    )  # fmt: skip
    starts = np.array([0], dtype=np.int64)
    rows = np.array([0], dtype=np.int64)
    request = InsertionRequest(
        request_id=7, pickup_node=1, dropoff_node=3, pax=1, earliest_pickup_s=0.0,
        latest_pickup_s=1e6, max_ride_s=1e6, dwell_pickup_s=5.0, dwell_dropoff_s=5.0,
        direct_s=float(table[1, 3]),
    )  # fmt: skip
    weights = InsertionWeights(1.0, 0.2, 0.0, 0.1, 0.0)
    points = _points(s, starts, rows)
    times = _full_times(s, points, rows, request, request.direct_s, table, slot)
    full = best_insertion_among(s, rows, request, times, weights)
    assert full is not None and full.cost < 0.0  # the case is what it claims
    fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
    bound = _kernels.insertion_lower_bounds_any(
        fleet, times.to_pickup_s, times.from_pickup_s, _kernel_request(request, request.direct_s),
        weights.as_array(), rows, np.array([0], dtype=np.int64), table, slot, s.stop_node,
    )  # fmt: skip
    assert bound[0] <= full.cost
    found, _, _ = best_insertion_bounded(
        s, rows, points, (table, slot), request, request.direct_s, weights, metric=False
    )
    assert found == full


def _reach(table, slot, request, factor=1.0):
    """``best_insertion_bounded``'s ``reach``: a table ``factor`` times ``table`` (transposed)."""
    latest = request.latest_pickup_s
    return (np.ascontiguousarray(factor * table.T), slot, latest + 1e-6 + 1e-9 * abs(latest))


def _tight(request, rng):
    """The request with a pickup window of 0-300 s half the time: then reach drops vehicles."""
    if rng.random() < 0.5:
        return request
    return request._replace(latest_pickup_s=request.earliest_pickup_s + rng.uniform(0.0, 300.0))


def _reachable_by_brute_force(schedules, starts, rows, request, table, factor):
    """Whether each candidate may serve the pickup in time, by ``can_reach``'s arithmetic."""
    p = request.pickup_node
    latest = request.latest_pickup_s + 1e-6 + 1e-9 * abs(request.latest_pickup_s)
    out = []
    for v in rows.tolist():
        t0 = schedules.start_time_s[v]
        reach = t0 + factor * table[starts[v], p]
        if schedules.n_stops[v] > 0:
            reach = min(
                reach, (t0 + schedules.leg_s[v, 0]) + factor * table[schedules.stop_node[v, 0], p]
            )
        out.append(reach <= latest)
    return np.array(out)


@pytest.mark.parametrize("seed", range(400))
def test_reach_drops_only_vehicles_without_an_insertion(seed):
    """With ``reach``: the full search's answer, bit for bit; no look-up for the vehicles dropped.

    The lower table is the table itself (one metric, or legs of other slices
    1-1.8 times the table) or 0.4 times it with the stored legs stretched
    0.4-1.8 times (the table of the least link times over the slices); some
    first legs are cut to 5 % (partly driven);
    tight pickup windows make the test drop vehicles.
    """
    rng = np.random.default_rng(20_000 + seed)
    schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
    request = _tight(request, rng)
    metric = seed % 3 == 0
    factor = 0.4 if seed % 3 == 1 else 1.0
    if not metric:  # legs of other slices: 0.4-1.8 times the table, or 1-1.8 times
        stretch = rng.choice([0.4, 0.7, 1.0, 1.3, 1.8] if factor < 1.0 else [1.0, 1.3, 1.8],
                             size=schedules.leg_s.shape)  # fmt: skip
        schedules = schedules._replace(leg_s=schedules.leg_s * stretch)
        # first legs partly driven (as with diversion): shorter than the lower table's
        # time from the start, so that only the way through the first stop is reached
        leg_s = schedules.leg_s.copy()
        if leg_s.shape[1]:
            leg_s[:, 0] *= rng.choice([0.05, 1.0], size=leg_s.shape[0])
        schedules = schedules._replace(leg_s=leg_s)
    points = _points(schedules, starts, rows)
    whole = _full_times(schedules, points, rows, request, direct, table, slot)
    full = best_insertion_among(schedules, rows, request, whole, weights)
    reach = _reach(table, slot, request, factor)
    for pts in (points, (starts, schedules.stop_node)):
        for bounded in (True, False):
            found, times, searched = best_insertion_bounded(
                schedules, rows, pts, (table, slot), request, direct, weights, bounded=bounded,
                metric=metric, reach=reach,
            )  # fmt: skip
            _assert_full_answer(found, times, searched, full, whole, rows)
    # the vehicles it drops are never looked up: their stops put outside the table
    # (a look-up of one would give up, -1), the search still decides
    ok = _reachable_by_brute_force(schedules, starts, rows, request, table, factor)
    hidden = slot.copy()
    for v in rows[~ok].tolist():
        hidden[schedules.stop_node[v, : schedules.n_stops[v]]] = -1
    kept = [
        hidden[starts[v]] >= 0
        and (hidden[schedules.stop_node[v, : schedules.n_stops[v]]] >= 0).all()
        for v in rows[ok].tolist()
    ]
    if (hidden != slot).any() and all(kept) and min(hidden[request.pickup_node],
                                                    hidden[request.dropoff_node]) >= 0:  # fmt: skip
        assert (
            best_insertion_bounded(
                schedules, rows, points, (table, hidden), request, direct, weights, metric=metric
            )[2]
            == -1
        )  # without reach: a dropped vehicle's look-up gives up
        found, _, searched = best_insertion_bounded(
            schedules, rows, points, (table, hidden), request, direct, weights, metric=metric,
            reach=reach,
        )  # fmt: skip
        assert searched >= 0
        assert found == full


def test_reach_drops_vehicles():
    """Over many tight requests, reach drops a good share of the candidates."""
    dropped = total = 0
    for seed in range(300):
        rng = np.random.default_rng(20_000 + seed)
        schedules, starts, rows, request, _, table, _, _ = _fleet_case(seed)
        request = _tight(request, rng)
        ok = _reachable_by_brute_force(schedules, starts, rows, request, table, 1.0)
        dropped += int((~ok).sum())
        total += rows.size
    assert dropped > 0.1 * total


def test_reach_keeps_a_vehicle_exactly_on_the_deadline():
    """A pickup window closing exactly when the nearest vehicle can arrive: it is kept.

    The latest pickup is set to the least reach over the candidates (an idle
    vehicle arrives exactly then), so a reach test cut early (planted: 1 s)
    drops the only vehicles that can serve it.
    """
    served = 0
    for seed in range(200):
        schedules, starts, rows, request, direct, table, slot, weights = _fleet_case(seed)
        p = request.pickup_node
        reach = schedules.start_time_s[rows] + table[starts[rows], p]
        latest = float(reach.min())
        request = request._replace(
            latest_pickup_s=latest, earliest_pickup_s=min(request.earliest_pickup_s, latest)
        )
        points = _points(schedules, starts, rows)
        whole = _full_times(schedules, points, rows, request, direct, table, slot)
        full = best_insertion_among(schedules, rows, request, whole, weights)
        found, _, searched = best_insertion_bounded(
            schedules, rows, points, (table, slot), request, direct, weights, metric=True,
            reach=_reach(table, slot, request),
        )  # fmt: skip
        assert searched >= 0
        assert found == full, seed
        served += full is not None
    assert served >= 40  # the boundary case is exercised (49 of 200 when written)
