"""One compiled call per batch: the trip table and the small parts, against references.

``bk.trip_cover`` (which trips count and which requests each covers) is checked
against its numpy original ``batch._trip_cover``; ``bk.solve_small_parts``
(every small part of a batch in one call) against brute force over every
choice of one trip per vehicle, and against the part-by-part path it replaced
(``batch._choose_part_by_part``: one ``_solve_part`` call per part), trip for
trip, on random batches of several independent parts.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

from idrt.dispatch import _batch_kernels as bk
from idrt.dispatch import batch
from tests.dispatch.test_batch_kernels import _brute_force


@pytest.mark.parametrize("seed", range(6))
def test_abs_sum_is_numpys_sum_bit_for_bit(seed):
    """Pairwise summation in NumPy's order: the same float, not just a close one."""
    rng = np.random.default_rng(seed)
    lengths = [*range(0, 260), 383, 1024, 1031, 4099, 20_000]
    for n in lengths:
        x = rng.normal(size=n) * 10.0 ** rng.uniform(-3.0, 6.0, size=n)
        assert bk.abs_sum(x) == np.abs(x).sum()
    # one large value then many tiny ones: a sequential sum loses every tiny one,
    # the eight running sums keep them, so the test tells the orders apart
    x = np.array([1.0] + [1e-16] * 999)
    seq = 0.0
    for v in x.tolist():
        seq += v
    assert seq == 1.0
    assert bk.abs_sum(x) == np.abs(x).sum() > 1.0


def _random_batch(rng, n_clusters, *, integer_costs):
    """Trips of a batch made of ``n_clusters`` independent groups of vehicles.

    Request indices: new ones first, then movable riders (each on one vehicle's
    current plan). A vehicle's trips cover requests of its own group only: its
    current plan (its riders, cost 0), the plan less one rider, and plans with one
    or two requests inserted. Returns ``_choose``'s arguments (time limit last)
    and each trip's group.
    """
    sizes = [(int(rng.integers(1, 4)), int(rng.integers(0, 5)), int(rng.integers(0, 3)))
             for _ in range(n_clusters)]  # fmt: skip
    n_new = sum(s[1] for s in sizes)
    n_inv = sum(s[0] for s in sizes)
    vehicles, new_reqs, own = [], [], []
    v0, r_new, r_mov = 0, 0, n_new
    for c, (nv, nn, nm) in enumerate(sizes):
        vehicles.append(list(range(v0, v0 + nv)))
        new_reqs.append(list(range(r_new, r_new + nn)))
        own.append({v: [] for v in range(v0, v0 + nv)})
        for _ in range(nm):
            own[c][int(rng.integers(v0, v0 + nv))].append(r_mov)
            r_mov += 1
        v0, r_new = v0 + nv, r_new + nn
    n_req = r_mov
    tv, rm, covers, n_ins, cost, group = [], [], [], [], [], []
    for c in range(n_clusters):
        pool = new_reqs[c] + [r for rs in own[c].values() for r in rs]
        for v in vehicles[c]:
            mine = own[c][v]
            tv.append(v), rm.append(-1), covers.append(list(mine)), n_ins.append(0)
            cost.append(0.0), group.append(c)
            for _ in range(int(rng.integers(0, 6))):
                drop = mine[int(rng.integers(len(mine)))] if mine and rng.random() < 0.3 else -1
                others = [r for r in pool if r not in mine]
                take = []
                if others and (drop < 0 or rng.random() < 0.7):
                    k = min(len(others), int(rng.integers(1, 3)))
                    take = sorted(rng.choice(others, size=k, replace=False).tolist(), reverse=True)
                kept = [r if r != drop else -1 for r in mine]
                tv.append(v), rm.append(drop), n_ins.append(len(take))
                covers.append(kept + take)
                cost.append(
                    float(rng.integers(-30, 60)) if integer_costs else float(rng.uniform(-30, 60))
                )
                group.append(c)
    width = max(max(len(x) for x in covers), 1)
    cover = np.full((len(covers), width), -1, dtype=np.int64)
    for t, x in enumerate(covers):
        cover[t, : len(x)] = x
    penalty = 1.0 + 90.0 * max(s[0] for s in sizes)
    args = (
        np.array(tv, dtype=np.int64), np.array(rm, dtype=np.int64), cover,
        np.array(n_ins, dtype=np.int64), np.array(cost), n_inv, n_new, n_req, penalty, 30.0,
    )  # fmt: skip
    return args, np.array(group), new_reqs


def _value(chosen, args):
    """Value of a choice (cost plus penalties), or None if it breaks a constraint."""
    tv, _, cover, _, cost, n_inv, n_new, n_req, penalty, _ = args
    if sorted(tv[chosen].tolist()) != list(range(n_inv)):  # one trip per vehicle
        return None
    got = cover[chosen]
    got = got[got >= 0].tolist()
    if len(got) != len(set(got)) or not set(range(n_new, n_req)) <= set(got):
        return None
    return float(cost[chosen].sum()) + penalty * (n_new - sum(r < n_new for r in got))


def _brute_force_batch(args, group, new_reqs):
    """The optimum, group by group, by enumerating every choice (None: none feasible)."""
    tv, _, cover, _, cost, _, n_new, _, penalty, _ = args
    total = 0.0
    for c in range(int(group.max()) + 1):
        trips = np.flatnonzero(group == c)
        reqs = sorted({int(r) for r in cover[trips].ravel() if r >= 0} | set(new_reqs[c]))
        bit = {r: i for i, r in enumerate(reqs)}
        mask = np.array([sum(1 << bit[int(r)] for r in cover[t] if r >= 0) for t in trips])
        new_of = np.array([int(np.sum((cover[t] >= 0) & (cover[t] < n_new))) for t in trips])
        required = np.int64(sum(1 << bit[r] for r in reqs if r >= n_new))
        best = _brute_force(
            tv[trips], mask.astype(np.int64), cost[trips], new_of, required, len(new_reqs[c]),
            penalty,
        )  # fmt: skip
        if best is None:
            return None
        total += best
    return total


@pytest.mark.parametrize("integer_costs", [True, False])
@pytest.mark.parametrize("seed", range(60))
def test_small_parts_reach_the_brute_force_optimum_and_pick_as_part_by_part(seed, integer_costs):
    rng = np.random.default_rng(7000 + seed + 1000 * integer_costs)
    args, group, new_reqs = _random_batch(rng, int(rng.integers(1, 5)), integer_costs=integer_costs)
    chosen = batch._choose(*args)
    assert chosen.tolist() == batch._choose_part_by_part(*args).tolist()
    truth = _brute_force_batch(args, group, new_reqs)
    assert truth is not None  # the current plans are always a choice
    assert _value(chosen, args) == pytest.approx(truth)


@pytest.mark.parametrize("route", ["enumeration", "lp"])
@pytest.mark.parametrize("seed", range(25))
def test_every_route_picks_as_part_by_part(monkeypatch, route, seed):
    """Past the DP (enumeration) and past both (the LP decides the open parts)."""
    monkeypatch.setattr(batch, "MAX_DP_STATES", 0)
    if route == "lp":
        monkeypatch.setattr(batch, "MAX_COMBINATIONS", 0)
    rng = np.random.default_rng(8000 + seed)
    args, group, new_reqs = _random_batch(rng, int(rng.integers(1, 5)), integer_costs=True)
    chosen = batch._choose(*args)
    assert chosen.tolist() == batch._choose_part_by_part(*args).tolist()
    assert _value(chosen, args) == pytest.approx(_brute_force_batch(args, group, new_reqs))


def test_routes_are_all_taken_and_open_parts_are_returned_whole():
    """Over random batches each route occurs; an open part holds all its trips and new requests."""
    routes = collections.Counter()
    for seed in range(80):
        rng = np.random.default_rng(9000 + seed)
        args, _, _ = _random_batch(rng, int(rng.integers(1, 5)), integer_costs=True)
        tv, rm, cover, _, cost, n_inv, n_new, n_req, penalty, _ = args
        limits = (1 << 20, 20_000) if seed % 3 else (0, 1 + seed % 4)  # small limits: open
        chosen, o_ptr, o_trips, o_new, o_new_ptr, route = bk.solve_small_parts(
            tv, rm, cover, cost, n_inv, n_new, n_req, penalty, *limits
        )
        routes.update(route.tolist())
        label = bk.part_labels(tv, cover, n_inv, n_req)
        assert route.size == np.unique(label[tv]).size  # one route per part with trips
        assert (route == bk.PART_OPEN).sum() == o_ptr.size - 1
        for i in range(o_ptr.size - 1):
            trips = o_trips[o_ptr[i] : o_ptr[i + 1]]
            part = label[tv[trips[0]]]
            assert trips.tolist() == np.flatnonzero(label[tv] == part).tolist()
            news = o_new[o_new_ptr[i] : o_new_ptr[i + 1]]
            assert news.tolist() == np.flatnonzero(label[n_inv : n_inv + n_new] == part).tolist()
        # settled parts: one trip per vehicle of theirs, none of the open parts' trips
        assert not set(chosen.tolist()) & set(o_trips.tolist())
        settled = set(tv.tolist()) - set(tv[o_trips].tolist())
        assert sorted(tv[chosen].tolist()) == sorted(settled)
    assert set(routes) == {
        bk.PART_ONE_TRIP,
        bk.PART_ONE_VEHICLE,
        bk.PART_DP,
        bk.PART_ENUMERATION,
        bk.PART_OPEN,
    }


def _random_trips(rng):
    """Enumeration output shaped as ``_solve_milp`` sees it, with repeats and put-back riders."""
    n_inv = int(rng.integers(1, 6))
    n_new = int(rng.integers(0, 6))
    n_mov = int(rng.integers(0, 5))
    n_req = n_new + n_mov
    own_u = rng.integers(0, n_inv, size=n_mov).astype(np.int64)
    cand = [sorted(set(rng.choice(n_req, size=int(rng.integers(0, n_req + 1)), replace=False)
                       .tolist()) | {n_new + i for i in np.flatnonzero(own_u == u).tolist()})
            if n_req else [] for u in range(n_inv)]  # fmt: skip
    cand_ptr = np.zeros(n_inv + 1, dtype=np.int64)
    np.cumsum([len(c) for c in cand], out=cand_ptr[1:])
    cand_req = np.array([r for c in cand for r in c], dtype=np.int64)
    depth = int(rng.integers(1, 4))
    tv, rm, slots, cost = [], [], [], []
    for _ in range(int(rng.integers(1, 40))):
        u = int(rng.integers(n_inv))
        mine = [n_new + i for i in np.flatnonzero(own_u == u).tolist()]
        drop = mine[int(rng.integers(len(mine)))] if mine and rng.random() < 0.4 else -1
        n_c = len(cand[u])
        k = int(rng.integers(0, min(depth, n_c) + 1))
        seq = rng.choice(n_c, size=k, replace=False).tolist() if k else []
        if drop >= 0 and rng.random() < 0.4:  # the removed rider put back first
            seq = [cand[u].index(drop), *[q for q in seq if cand[u][q] != drop][: depth - 1]]
        tv.append(u), rm.append(drop)
        slots.append(seq + [-1] * (depth - len(seq)))
        cost.append(float(rng.integers(-5, 5)))  # repeats of one set with equal costs
    return (
        np.array(tv, dtype=np.int64), np.array(rm, dtype=np.int64),
        np.array(slots, dtype=np.int64).reshape(-1, depth), np.array(cost), cand_ptr, cand_req,
        own_u, n_inv, n_new, n_req,
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(150))
def test_trip_cover_is_the_numpy_table(seed):
    rng = np.random.default_rng(10_000 + seed)
    tv, rm, slots, cost, cand_ptr, cand_req, own_u, n_inv, n_new, n_req = _random_trips(rng)
    keep, cover, rm_k, n_ins, ok = bk.trip_cover(
        tv, rm, slots, cost, cand_ptr, cand_req, own_u, n_inv, n_new, n_req
    )
    assert ok
    ref = batch._trip_cover(tv, rm, slots, cost, cand_ptr, cand_req, own_u, n_inv, n_new)
    assert keep.tolist() == ref[0].tolist()
    assert cover.tolist() == ref[1].tolist()
    assert rm_k.tolist() == ref[2].tolist()
    assert n_ins.tolist() == ref[3].tolist()
    # independent facts: each (vehicle, removed, set) once, and the cheapest of its repeats
    sets = [(int(tv[t]), int(r), tuple(sorted(c[c >= 0].tolist())))
            for t, r, c in zip(keep.tolist(), rm_k.tolist(), cover, strict=True)]  # fmt: skip
    assert len(sets) == len(set(sets))


def test_trip_cover_reports_key_overflow():
    """Codes past 2**62 are refused (the caller then uses the numpy table)."""
    tv = np.zeros(1, dtype=np.int64)
    slots = np.full((1, 6), -1, dtype=np.int64)
    args = (tv, tv - 1, slots, np.zeros(1), np.zeros(2, dtype=np.int64),
            np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))  # fmt: skip
    assert bk.trip_cover(*args, 1, 10**5, 10**5)[-1] is False
    assert bk.trip_cover(*args, 1, 100, 100)[-1] is True


@pytest.mark.parametrize("seed", range(20))
def test_write_plans_is_the_per_vehicle_numpy_write(seed):
    """Rows of the chosen vehicles: the plan's stops, then each field's padding."""
    from idrt.dispatch.schedule import _PAD

    rng = np.random.default_rng(11_000 + seed)
    n_veh, width = int(rng.integers(1, 8)), int(rng.integers(1, 9))
    rows = rng.permutation(n_veh)[: int(rng.integers(0, n_veh + 1))].astype(np.int64)
    m = rows.size
    plan_w = width + int(rng.integers(0, 3))
    ints = rng.integers(-5, 50, size=(m, bk.N_INT, plan_w)).astype(np.int64)
    floats = rng.normal(size=(m, bk.N_FLOAT, plan_w))
    ns = rng.integers(0, width + 1, size=m).astype(np.int64)
    names = ["stop_node", "stop_kind", "stop_request", "stop_pax"]
    fnames = ["earliest_s", "latest_s", "leg_s", "dwell_s"]
    got = {x: rng.integers(0, 9, size=(n_veh, width)).astype(np.int64) for x in names}
    got |= {x: rng.normal(size=(n_veh, width)) for x in fnames}
    got["n_stops"] = rng.integers(0, 9, size=n_veh).astype(np.int64)
    want = {x: a.copy() for x, a in got.items()}
    bk.write_plans(
        rows, ints, floats, ns, *(got[x] for x in names), *(got[x] for x in fnames),
        np.array([_PAD[x] for x in names]), np.array([_PAD[x] for x in fnames], dtype=float),
        got["n_stops"],
    )  # fmt: skip
    for i, v in enumerate(rows.tolist()):
        n = int(ns[i])
        for row, x in enumerate(names):
            want[x][v, :n] = ints[i, row, :n]
            want[x][v, n:] = _PAD[x]
        for row, x in enumerate(fnames):
            want[x][v, :n] = floats[i, row, :n]
            want[x][v, n:] = _PAD[x]
        want["n_stops"][v] = n
    for x in want:
        np.testing.assert_array_equal(got[x], want[x])
