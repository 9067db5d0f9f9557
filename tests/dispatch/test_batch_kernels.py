"""The batch kernels that replaced numpy chains, against written-out references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from idrt.dispatch import _batch_kernels as bk


def _random_part(rng, n_vehicles, n_requests):
    """Trips of a small part: each vehicle's trips cover random request sets."""
    owner, mask, cost, n_new = [], [], [], []
    n_movable = int(rng.integers(0, n_requests + 1))
    first_movable = n_requests - n_movable
    for v in range(n_vehicles):
        for _ in range(int(rng.integers(1, 6))):
            size = int(rng.integers(0, 3))
            reqs = rng.choice(n_requests, size=min(size, n_requests), replace=False)
            owner.append(v)
            mask.append(sum(1 << int(r) for r in reqs))
            cost.append(float(rng.integers(-20, 40)))  # integers: ties happen
            n_new.append(int(np.sum(reqs < first_movable)))
    required = sum(1 << r for r in range(first_movable, n_requests))
    return (
        np.array(owner, dtype=np.int64),
        np.array(mask, dtype=np.int64),
        np.array(cost),
        np.array(n_new, dtype=np.int64),
        np.int64(required),
        first_movable,
    )


def _brute_force(owner, mask, cost, n_new_of, required, n_new, penalty):
    """The least value over every choice of one trip per vehicle (None: no feasible one)."""
    groups = [np.flatnonzero(owner == v).tolist() for v in np.unique(owner).tolist()]
    best = None
    for choice in itertools.product(*groups):
        m = 0
        ok = True
        for t in choice:
            if m & int(mask[t]):
                ok = False
                break
            m |= int(mask[t])
        if not ok or (m & int(required)) != int(required):
            continue
        val = sum(cost[t] for t in choice) + penalty * (n_new - sum(n_new_of[t] for t in choice))
        best = val if best is None else min(best, val)
    return best


@pytest.mark.parametrize("seed", range(60))
def test_best_combination_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    owner, mask, cost, n_new_of, required, n_new = _random_part(
        rng, int(rng.integers(1, 5)), int(rng.integers(1, 7))
    )
    penalty = 100.0
    order = np.argsort(owner, kind="stable")
    group_ptr = np.flatnonzero(np.diff(owner[order], prepend=-1, append=-1) != 0)
    picked = bk.best_combination(
        order, group_ptr, mask, cost, n_new_of, required, n_new, penalty, 10**6
    )
    ref = _brute_force(owner, mask, cost, n_new_of, required, n_new, penalty)
    if ref is None:
        assert picked.size == 0
        return
    assert picked.size == np.unique(owner).size
    assert sorted(owner[picked].tolist()) == np.unique(owner).tolist()  # one per vehicle
    m = 0
    for t in picked.tolist():
        assert not m & int(mask[t])  # each request at most once
        m |= int(mask[t])
    assert m & int(required) == int(required)  # every movable rider covered
    val = cost[picked].sum() + penalty * (n_new - n_new_of[picked].sum())
    assert val == ref


def test_best_combination_gives_up_past_the_limit():
    owner = np.repeat(np.arange(3), 4)
    mask = np.zeros(12, dtype=np.int64)  # every combination is compatible: 4**3
    args = (owner, mask, np.arange(12.0), np.zeros(12, dtype=np.int64), np.int64(0), 0, 1.0)
    group_ptr = np.array([0, 4, 8, 12])
    order = np.arange(12)
    assert bk.best_combination(order, group_ptr, *args[1:], 63).size == 0
    got = bk.best_combination(order, group_ptr, *args[1:], 64)
    assert got.tolist() == [0, 4, 8]  # the cheapest trip of each vehicle


@pytest.mark.parametrize("seed", range(10))
def test_cost_range_matches_numpy_ufunc_at(seed):
    rng = np.random.default_rng(seed)
    n_inv = 5
    vehicle = rng.integers(0, n_inv, 40)
    costs = rng.normal(0.0, 50.0, 40)
    costs[rng.random(40) < 0.2] = np.inf
    finite = np.isfinite(costs)
    hi = np.zeros(n_inv)
    lo = np.zeros(n_inv)
    np.maximum.at(hi, vehicle[finite], costs[finite])
    np.minimum.at(lo, vehicle[finite], costs[finite])
    got_hi, got_lo = bk.cost_range(vehicle, costs, n_inv)
    np.testing.assert_array_equal(got_hi, hi)
    np.testing.assert_array_equal(got_lo, lo)


def test_kept_slots_lists_written_slots_root_after_root():
    out_ptr = np.array([0, 3, 3, 7])
    counts = np.array([2, 0, 4])
    assert bk.kept_slots(out_ptr, counts).tolist() == [0, 1, 3, 4, 5, 6]


@pytest.mark.parametrize("seed", range(10))
def test_part_labels_are_the_connected_components(seed):
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    n_inv, n_req, n_trips = 12, 15, 30
    tv = rng.integers(0, n_inv, n_trips)
    cover = rng.integers(-8, n_req, (n_trips, 3))  # -1 and below: no request
    cover[cover < 0] = -1
    t_idx, slot = np.nonzero(cover >= 0)
    graph = coo_array(
        (np.ones(t_idx.size), (tv[t_idx], n_inv + cover[t_idx, slot])),
        shape=(n_inv + n_req, n_inv + n_req),
    )
    _, ref = connected_components(graph, directed=False)
    got = bk.part_labels(tv, cover, n_inv, n_req)
    # the same partition: equal labels exactly where scipy's are equal
    np.testing.assert_array_equal(got[:, None] == got[None, :], ref[:, None] == ref[None, :])
