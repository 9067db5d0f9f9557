"""Rebalancing strategies on arrays: zones, forecasts, targets, greedy and min-cost flow."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from idrt.dispatch import DispatchError
from idrt.dispatch.rebalancing import (
    DemandForecast,
    Move,
    demand_anticipating,
    grid_zones,
    min_cost_flow,
    rebalancing_targets,
    return_to_depot,
    zone_balance,
)


def _line(xs):
    """Nodes on a line (m); drive time 0.1 s per metre (36 km/h)."""
    xy = np.column_stack([np.asarray(xs, float), np.zeros(len(xs))])

    def travel(a, b):
        return np.abs(xy[np.asarray(a), 0] - xy[np.asarray(b), 0]) * 0.1

    return xy, travel


def test_grid_zones_cells_centres_and_mask():
    xy = np.array([[0.0, 0.0], [400.0, 0.0], [900.0, 0.0], [1500.0, 0.0], [0.0, 1200.0]])
    z = grid_zones(xy, 1000.0)
    assert z.zone_of_node.tolist() == [0, 0, 0, 2, 1]
    assert z.cell.tolist() == [[0, 0], [0, 1], [1, 0]]
    assert z.center_node.tolist() == [1, 4, 3]  # plain centroid 433 m: node at 400 m
    weighted = grid_zones(xy, 1000.0, weights=np.array([0.0, 0.0, 5.0, 1.0, 1.0]))
    assert weighted.center_node.tolist() == [2, 4, 3]
    stops_only = grid_zones(xy, 1000.0, centers=np.array([True, False, True, False, False]))
    assert stops_only.center_node.tolist() == [0, 4, 3]  # nearest eligible node, else any
    masked = grid_zones(xy, 1000.0, mask=np.array([True, True, False, True, False]))
    assert masked.zone_of_node.tolist() == [0, 0, -1, 1, -1]
    assert masked.n_zones == 2
    with pytest.raises(DispatchError, match="zone_size_m"):
        grid_zones(xy, 0.0)
    with pytest.raises(DispatchError, match="weights"):
        grid_zones(xy, 10.0, weights=-np.ones(5))


def test_forecast_integrates_the_hourly_rate():
    z = grid_zones(np.array([[0.0, 0.0], [5000.0, 0.0]]), 1000.0)
    rate = np.zeros(24)
    rate[7], rate[8] = 0.01, 0.02  # requests per second
    f = DemandForecast.from_nodes(z, np.array([1.0, 3.0]), rate)
    got = f.expected(7.5 * 3600, 8.25 * 3600)  # half an hour at 0.01, a quarter at 0.02
    assert got == pytest.approx([0.25 * (18 + 18), 0.75 * (18 + 18)])
    assert f.expected(31.5 * 3600, 32 * 3600) == pytest.approx(f.expected(7.5 * 3600, 8 * 3600))
    assert f.expected(3600.0, 3600.0).tolist() == [0.0, 0.0]
    with pytest.raises(DispatchError, match="rate_per_s"):
        DemandForecast(z, np.zeros((24, 3)))


def test_targets_are_proportional_and_sum_up():
    rng = np.random.default_rng(0)
    for _ in range(50):
        d = rng.uniform(0, 3, 7) * (rng.random(7) < 0.7)
        n = int(rng.integers(0, 20))
        t = rebalancing_targets(d, n)
        if d.sum() > 0:
            assert t.sum() == n
            assert np.all(np.abs(t - n * d / d.sum()) < 1.0)
            assert np.all(t[d == 0] == 0)
        else:
            assert t.sum() == 0


def test_return_to_depot():
    moves = return_to_depot(np.array([0, 2, 3]), np.array([5, 6, 7, 8]), np.array([5, 5, 5, 5]))
    assert moves == [Move(2, 5), Move(3, 5)]


def test_demand_anticipating_fills_the_largest_deficit_nearest_first():
    xy, travel = _line([0.0, 100.0, 200.0, 5000.0, 10000.0])
    z = grid_zones(xy, 1000.0)  # zones: {0, 1, 2} at the depot, {3}, {4}
    expected = np.array([0.0, 3.0, 1.0])
    vehicle_node = np.array([0, 1, 2, 4])
    idle = np.array([0, 1, 2])  # vehicle 3 is busy
    moves = demand_anticipating(z, expected, idle, vehicle_node, travel)
    # targets of 3 idle: [0, 2.25, 0.75] -> [0, 2, 1]; one vehicle per deficit zone and
    # round, the largest deficit first, each taking the nearest vehicle left
    assert moves == [Move(2, 3), Move(1, 4), Move(0, 3)]
    # a vehicle already on its way counts as supply where it goes
    even = np.array([0.0, 1.0, 1.0])
    moves = demand_anticipating(z, even, idle, vehicle_node, travel)
    assert sorted(m.node for m in moves) == [3, 3, 4]  # [0, 1.5, 1.5] -> [0, 2, 1]
    moves = demand_anticipating(z, even, idle, vehicle_node, travel, arriving_node=[3])
    assert sorted(m.node for m in moves) == [3, 4, 4]  # 4 vehicles: [0, 2, 2], one arriving
    # no move longer than the horizon
    moves = demand_anticipating(z, expected, idle, vehicle_node, travel, max_time_s=600.0)
    assert sorted(m.node for m in moves) == [3, 3]


def _brute_force_moves(z, expected, idle, vehicle_node, travel, max_time_s):
    """Most filled deficits, then least total drive time, over every assignment."""
    surplus, deficit, idle_zone = zone_balance(z, expected, vehicle_node[idle])
    slots = [y for y in range(z.n_zones) for _ in range(int(deficit[y]))]
    best = (0, 0.0)
    for choice in itertools.product(range(-1, len(slots)), repeat=len(idle)):
        used = [c for c in choice if c >= 0]
        if len(set(used)) != len(used):
            continue
        leaving = np.zeros(z.n_zones, int)
        total = 0.0
        ok = True
        for i, c in enumerate(choice):
            if c < 0:
                continue
            leaving[idle_zone[i]] += 1
            t = float(travel(np.array([vehicle_node[idle[i]]]),
                             np.array([z.center_node[slots[c]]]))[0])  # fmt: skip
            if t > max_time_s or z.center_node[slots[c]] == vehicle_node[idle[i]]:
                ok = False
            total += t
        if not ok or (leaving > surplus).any():
            continue
        key = (-len(used), total)
        if key < (-best[0], best[1]):
            best = (len(used), total)
    return best


@pytest.mark.parametrize("seed", range(30))
def test_min_cost_flow_is_optimal(seed):
    rng = np.random.default_rng(seed)
    n_zones = int(rng.integers(2, 5))
    xy = np.column_stack([rng.permutation(n_zones) * 1000.0 + 500.0, np.zeros(n_zones)])
    z = grid_zones(xy, 1000.0)
    travel = lambda a, b: np.abs(xy[np.asarray(a), 0] - xy[np.asarray(b), 0]) * 0.1  # noqa: E731
    n_veh = int(rng.integers(1, 6))
    vehicle_node = rng.integers(0, n_zones, n_veh)
    idle = np.flatnonzero(rng.random(n_veh) < 0.8)
    expected = rng.uniform(0, 3, z.n_zones) * (rng.random(z.n_zones) < 0.7)
    horizon = float(rng.choice([math.inf, 250.0]))
    moves = min_cost_flow(z, expected, idle, vehicle_node, travel, max_time_s=horizon)
    n_ref, cost_ref = _brute_force_moves(z, expected, idle, vehicle_node, travel, horizon)
    cost = sum(float(travel(np.array([vehicle_node[m.vehicle]]), np.array([m.node]))[0])
               for m in moves)  # fmt: skip
    assert len(moves) == n_ref
    assert cost == pytest.approx(cost_ref)
    assert len({m.vehicle for m in moves}) == len(moves)
    assert {m.vehicle for m in moves} <= set(idle.tolist())
    greedy = demand_anticipating(z, expected, idle, vehicle_node, travel, max_time_s=horizon)
    g_cost = sum(float(travel(np.array([vehicle_node[m.vehicle]]), np.array([m.node]))[0])
                 for m in greedy)  # fmt: skip
    assert len(greedy) <= len(moves)
    if len(greedy) == len(moves):
        assert cost <= g_cost + 1e-9


def test_nothing_to_do():
    xy, travel = _line([0.0, 5000.0])
    z = grid_zones(xy, 1000.0)
    for strategy in (demand_anticipating, min_cost_flow):
        assert strategy(z, np.zeros(2), np.array([0]), np.array([0]), travel) == []
        assert strategy(z, np.array([0.0, 1.0]), np.array([], int), np.array([0]), travel) == []
        with pytest.raises(DispatchError, match="expected"):
            strategy(z, np.zeros(3), np.array([0]), np.array([0]), travel)
