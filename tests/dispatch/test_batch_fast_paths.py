"""The batch solver's bookkeeping shortcuts against the plain constructions they replace.

Each shortcut claims to compute exactly what a slower, obvious construction
computes (bit for bit, so results stay identical per seed): the part's
constraint matrix built column-wise, one HiGHS instance reused for the LPs,
candidate sets as arrays, trips deduplicated on one packed key, the
enumeration's costed-only plans and its table of request sets, and the
simulator's pickup / drop-off pairing. Each is checked on random inputs
against the construction it replaces, or against an independent rebuild.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_array

from idrt.dispatch import BatchRequest, DispatchError, InsertionRequest, batch
from idrt.dispatch import _batch_kernels as bk
from idrt.dispatch.schedule import empty_schedules
from tests.dispatch.test_batch import _flat, _random_instance


@pytest.mark.parametrize("seed", range(30))
def test_part_matrix_is_the_coo_construction(seed):
    """Column-wise build == ``csr_array((ones, (rows, cols))).tocsc()``, structure and all."""
    rng = np.random.default_rng(seed)
    n_veh, n_req, n_trips = (
        int(rng.integers(1, 6)),
        int(rng.integers(1, 12)),
        int(rng.integers(1, 60)),
    )
    width = int(rng.integers(1, 5))
    sub = np.full((n_trips, width), -1, dtype=np.int64)
    for t in range(n_trips):  # distinct requests per trip, -1 padded anywhere
        k = int(rng.integers(0, min(width, n_req) + 1))
        slots = rng.choice(width, k, replace=False)
        sub[t, slots] = rng.choice(n_req, k, replace=False)
    reqs = np.arange(n_req)
    row_of_req = np.full(n_req + 1, -1, dtype=np.int64)
    row_of_req[reqs] = n_veh + np.arange(n_req)
    trip_rows = rng.integers(0, n_veh, n_trips).astype(np.int64)
    new = np.sort(rng.choice(n_req, int(rng.integers(0, n_req + 1)), replace=False))
    slack_rows = row_of_req[new]
    n_con = n_veh + n_req
    t_idx, slot = np.nonzero(sub >= 0)
    rows = np.concatenate([trip_rows, row_of_req[sub[t_idx, slot]], slack_rows])
    cols = np.concatenate([np.arange(n_trips), t_idx, n_trips + np.arange(new.size)])
    ref = csr_array((np.ones(rows.size), (rows, cols)), shape=(n_con, n_trips + new.size)).tocsc()
    got = batch._part_matrix(trip_rows, sub, row_of_req, slack_rows, n_con)
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    np.testing.assert_array_equal(got.data, ref.data)


def _fresh_lp(c, a):
    """The LP on a new HiGHS instance (what ``_highs`` did before it kept one)."""
    import highspy

    n_con, n_var = a.shape
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", 1)
    h.passModel(
        int(n_var), int(n_con), int(a.nnz), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, np.ascontiguousarray(c), np.zeros(n_var),
        np.ones(n_var), np.ones(n_con), np.ones(n_con), a.indptr.astype(np.int32),
        a.indices.astype(np.int32), a.data.astype(np.float64), np.zeros(n_var, dtype=np.int32),
    )  # fmt: skip
    h.run()
    sol = h.getSolution()
    return np.asarray(sol.col_value), np.asarray(sol.row_dual)


def test_reused_lp_instance_gives_a_fresh_instances_solution():
    """LPs one after another (a MIP between) on the kept instance: each as on a new one."""
    pytest.importorskip("highspy")
    rng = np.random.default_rng(7)
    for i in range(40):
        n_rows, n_cols = int(rng.integers(3, 14)), int(rng.integers(5, 80))
        dense = (rng.random((n_rows, n_cols)) < 0.3).astype(np.float64)
        a = csr_array(np.hstack([dense, np.eye(n_rows)])).tocsc()
        c = np.concatenate([rng.uniform(-5.0, 20.0, n_cols), np.full(n_rows, 50.0)])
        got = batch._highs(c, a, integer=False, time_limit_s=10.0)
        ref = _fresh_lp(c, a)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])
        if i % 7 == 3:  # a MIP in between must not disturb the next LP
            batch._highs(c, a, integer=True, time_limit_s=10.0)


def _candidate_sets_plain(n_veh, ids, n_new, candidates, movable_vehicle):
    out = []
    for r, rid in enumerate(ids):
        if candidates is None or rid not in candidates or candidates[rid] is None:
            vs = set(range(n_veh))
        else:
            vs = {int(v) for v in np.asarray(candidates[rid]).reshape(-1)}
        if r >= n_new:
            vs.add(movable_vehicle[rid])
        out.append(sorted(vs))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_candidate_sets_are_the_python_sets(seed):
    rng = np.random.default_rng(100 + seed)
    n_veh = int(rng.integers(1, 8))
    n_new, n_mov = int(rng.integers(0, 6)), int(rng.integers(0, 6))
    ids = [int(x) for x in rng.choice(1000, n_new + n_mov, replace=False)]
    movable_vehicle = {rid: int(rng.integers(0, n_veh)) for rid in ids[n_new:]}
    candidates = None if seed % 5 == 0 else {}
    for rid in ids:
        u = rng.random()
        if candidates is None or u < 0.15:
            continue  # not given: every vehicle
        if u < 0.25:
            candidates[rid] = None
        else:  # repeats, any order
            candidates[rid] = rng.integers(0, n_veh, int(rng.integers(0, 2 * n_veh + 1)))
    req = batch._Requests(ids, n_new, None, None, None, None)
    s = empty_schedules(np.full(n_veh, 4), 0.0)
    lengths, flat = batch._candidate_sets(s, req, candidates, movable_vehicle)
    ref = _candidate_sets_plain(n_veh, ids, n_new, candidates, movable_vehicle)
    assert lengths.tolist() == [len(x) for x in ref]
    assert flat.tolist() == [v for x in ref for v in x]


def test_candidate_sets_name_the_request_with_a_vehicle_out_of_range():
    req = batch._Requests([5, 6, 7], 3, None, None, None, None)
    s = empty_schedules(np.full(3, 4), 0.0)
    with pytest.raises(DispatchError, match=r"candidates\[6\] names vehicles outside \[0, 3\)"):
        batch._candidate_sets(s, req, {5: [0, 2], 6: [1, 3], 7: [-1]}, {})


def _problem(seed):
    """A random batch's problem, as solve_batch lays it out for its full enumeration."""
    s, start, groups, olds, travel, w = _random_instance(seed, max_veh=4, max_req=6, old=2)
    req = batch._group(_flat(groups), olds)
    mov_ids = req.ids[req.n_new :]
    mov_vehicle = batch._locate_movable(s, mov_ids)
    cands = batch._candidate_sets(s, req, None, mov_vehicle)
    prob = batch._Problem(s, req, cands, 3, start)
    prob.layout(None)
    prob.fill(travel, points=True, pairs=True)
    rv, rr = list(range(prob.inv.size)), [-1] * prob.inv.size
    for rid in mov_ids:
        rv.append(prob.row_of[mov_vehicle[rid]])
        rr.append(rid)
    return prob, np.array(rv, dtype=np.int64), np.array(rr, dtype=np.int64), w.as_array()


@pytest.mark.parametrize("seed", range(40))
def test_enumerated_costs_are_the_rebuilt_plans_costs(seed):
    """Every trip's cost is C(its plan rebuilt in full) - C(current plan), bit for bit.

    The enumeration costs the plans no level grows from without writing them
    (``_leaf_cost``) and reuses the travel rows of a request's last variant;
    ``trip_plan`` rebuilds each plan with every row and a fresh gather, and
    ``plan_cost`` prices it. Every third seed also weighs drive time.
    """
    prob, rv, rr, wts = _problem(seed)
    if seed % 3 == 0:
        wts = wts.copy()
        wts[4] = 0.1 + 0.05 * seed
    depth = 2 + seed % 2
    rk = np.where(rr < 0, depth, 1).astype(np.int64)
    root_of, cost, seq = prob.enumerate(rv, rr, rk, wts)
    assert root_of.size
    p = prob.arrays()
    width = prob.ints0.shape[2] + 2 * depth + 2
    work = np.empty((8, width + 1))
    base = np.array([
        bk.plan_cost(prob.start_time_s[u], prob.start_load[u], prob.capacity[u], prob.n_stops[u],
                     prob.ints0[u], prob.floats0[u], wts, work)[0]
        for u in range(prob.inv.size)
    ])  # fmt: skip
    for t in range(root_of.size):
        u, removed = int(rv[root_of[t]]), int(rr[root_of[t]])
        ints = np.zeros((bk.N_INT, width), dtype=np.int64)
        floats = np.zeros((bk.N_FLOAT, width))
        n = bk.trip_plan(p, u, removed, seq[t], ints, floats)
        assert n >= 0
        c, ok = bk.plan_cost(prob.start_time_s[u], prob.start_load[u], prob.capacity[u], n, ints,
                             floats, wts, work)  # fmt: skip
        extra = sum(prob.var_floats[seq[t, s, 1], bk.V_EXTRA] for s in range(depth)
                    if seq[t, s, 0] >= 0)  # fmt: skip
        assert ok or removed < 0
        assert cost[t] == c + extra - base[u]


@pytest.mark.parametrize("seed", range(40))
def test_set_table_and_hash_map_give_the_same_trips(seed):
    """Roots of depth <= 2 enumerated with the table (all roots <= 2) and with the map."""
    prob, rv, rr, wts = _problem(seed)
    rk = np.where(rr < 0, 2, 1).astype(np.int64)
    root_of, cost, seq = prob.enumerate(rv, rr, rk, wts)
    # one extra root of depth 3 sends every root through the hash map
    rv3 = np.append(rv, rv[0])
    rr3 = np.append(rr, -1)
    rk3 = np.append(rk, 3)
    root_of3, cost3, seq3 = prob.enumerate(rv3, rr3, rk3, wts)
    mine = root_of3 < rv.size
    np.testing.assert_array_equal(root_of, root_of3[mine])
    np.testing.assert_array_equal(cost, cost3[mine])
    np.testing.assert_array_equal(seq, seq3[mine][:, :2])
    assert np.all(seq3[mine][:, 2] == -1)


def _riders_plain(s, rows):
    out = []
    for v in rows:
        n = int(s.n_stops[v])
        ids = s.stop_request[v, :n]
        for k in np.flatnonzero(s.stop_kind[v, :n] > 0).tolist():
            d = k + 1 + int(np.flatnonzero(ids[k + 1 :] == ids[k])[0])
            out.append((v, k, d, int(ids[k])))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_riders_pairs_each_pickup_with_its_next_stop(seed):
    from idrt.sim.batching import _riders

    rng = np.random.default_rng(300 + seed)
    n_veh, width = int(rng.integers(1, 7)), 12
    s = empty_schedules(np.full(n_veh, 8), 0.0, max_stops=width)
    rid = 0
    for v in range(n_veh):
        stops = []
        for _ in range(int(rng.integers(0, 4))):  # riders on board: a drop-off only
            stops.append((rid, -1))
            rid += 1
        for _ in range(int(rng.integers(0, 4))):  # pickup then drop-off, interleaved
            at = int(rng.integers(0, len(stops) + 1))
            stops.insert(at, (rid, 1))
            stops.insert(int(rng.integers(at + 1, len(stops) + 1)), (rid, -1))
            rid += 1
        stops = stops[:width]
        for k, (r, kind) in enumerate(stops):
            s.stop_request[v, k], s.stop_kind[v, k] = r, kind
        s.n_stops[v] = len(stops)
    # a plan cut at width may lose a drop-off: keep only complete riders' plans
    rows = [v for v in range(n_veh) if all(
        (s.stop_request[v, k + 1 : s.n_stops[v]] == s.stop_request[v, k]).any()
        for k in range(int(s.n_stops[v])) if s.stop_kind[v, k] > 0)]  # fmt: skip
    rows_arr = np.array(rng.permutation(rows), dtype=np.int64)
    v, k, d, r = _riders(s, rows_arr)
    got = list(zip(v.tolist(), k.tolist(), d.tolist(), r.tolist(), strict=True))
    assert got == _riders_plain(s, sorted(rows))


def test_movable_riders_keep_their_stops_and_order():
    """_movable: one BatchRequest per pickup after the first stop, with that rider's stops."""
    from types import SimpleNamespace

    from idrt.sim.batching import BatchDispatcher

    s = empty_schedules(np.full(2, 8), 10.0, max_stops=6)
    plan = {0: [(7, 1, 11), (8, 1, 12), (7, -1, 13), (8, -1, 14)], 1: [(9, -1, 15), (4, 1, 16),
            (4, -1, 17)]}  # fmt: skip
    for v, stops in plan.items():
        for k, (r, kind, node) in enumerate(stops):
            s.stop_request[v, k], s.stop_kind[v, k], s.stop_node[v, k] = r, kind, node
            s.stop_pax[v, k], s.earliest_s[v, k], s.latest_s[v, k] = 1 + k % 2, 100.0 + k, 900.0 + k
            s.dwell_s[v, k] = 20.0 + k
        s.n_stops[v] = len(stops)
    row_of = {4: 0, 7: 1, 8: 2, 9: 3}
    req = {"max_ride_s": np.array([600.0, 700.0, 800.0, 900.0]),
           "direct_s": np.array([60.0, 70.0, 80.0, 90.0])}  # fmt: skip
    engine = SimpleNamespace(sched=s, req=req, _row_of=row_of)
    got = BatchDispatcher._movable(SimpleNamespace(engine=engine))
    want = [
        InsertionRequest(8, 12, 14, 2, 101.0, 901.0, 800.0, 21.0, 23.0, 80.0),
        InsertionRequest(4, 16, 17, 2, 101.0, 901.0, 600.0, 21.0, 22.0, 60.0),
    ]
    assert got == [BatchRequest(r) for r in want]
    assert all(type(x) is int for x in got[0].request[:4])


# ------------------------------------------------- sets no choice can use, not built


def _owners(prob, rv, rr):
    """Each request's label for ``req_owner``: its involved vehicle (movable), else -1."""
    n_new = prob.req.n_new
    owner = np.full(len(prob.req.ids), -1, dtype=np.int64)
    owner[n_new:] = rv[prob.inv.size :]
    assert np.all(rr[prob.inv.size :] == np.array(prob.req.ids[n_new:]))  # one root per rider
    return owner


def _clashes(prob, rv, root_of, seq, owner):
    """Whether each trip inserts two requests of one label other than its root's vehicle."""
    out = np.zeros(root_of.size, dtype=bool)
    for t in range(root_of.size):
        u = int(rv[root_of[t]])
        qs = [int(q) for q in seq[t, :, 0] if q >= 0]
        labels = [int(owner[prob.cand_req[prob.cand_ptr[u] + q]]) for q in qs]
        mine = [x for x in labels if x >= 0 and x != u]
        out[t] = len(set(mine)) < len(mine)
    return out


@pytest.mark.parametrize("policy", [False, True])
@pytest.mark.parametrize("seed", range(60))
def test_sets_of_two_riders_of_one_other_plan_are_exactly_the_trips_left_out(seed, policy):
    """With ``req_owner`` set, the trips are the full enumeration's less the clashing sets.

    Exact labels (each movable rider's vehicle): the sets holding two riders of
    one other vehicle; the policy label (one for every movable rider): the sets
    holding two movable riders. Every other trip keeps its cost and insertions
    bit for bit, in the same order.
    """
    prob, rv, rr, wts = _problem(seed)
    depth = 2 + seed % 2
    rk = np.where(rr < 0, depth, 1).astype(np.int64)
    root_of, cost, seq = prob.enumerate(rv, rr, rk, wts)  # req_owner all -1: every set
    owner = _owners(prob, rv, rr)
    if policy:
        owner[owner >= 0] = prob.inv.size
    prob.req_owner = owner
    root_of2, cost2, seq2 = prob.enumerate(rv, rr, rk, wts)
    keep = ~_clashes(prob, rv, root_of, seq, owner)
    np.testing.assert_array_equal(root_of2, root_of[keep])
    np.testing.assert_array_equal(cost2, cost[keep])
    np.testing.assert_array_equal(seq2, seq[keep])
    _DROPPED[policy] += int((~keep).sum())


_DROPPED = {False: 0, True: 0}


def test_the_instances_above_do_drop_sets():
    """The random instances hold riders of one vehicle, so the tests above test something."""
    for seed in range(60):
        if _DROPPED[False] and _DROPPED[True] > _DROPPED[False]:
            break
        test_sets_of_two_riders_of_one_other_plan_are_exactly_the_trips_left_out(seed, False)
        test_sets_of_two_riders_of_one_other_plan_are_exactly_the_trips_left_out(seed, True)
    assert _DROPPED[False] > 0
    assert _DROPPED[True] > _DROPPED[False]


@pytest.mark.parametrize("seed", range(300, 360))
def test_leaving_out_sets_no_choice_can_use_keeps_the_optimum(monkeypatch, seed):
    """solve_batch with and without those sets: the same optimal cost and requests placed."""
    s, start, groups, olds, travel, w = _random_instance(seed, max_veh=4, max_req=4, old=3)
    k = 2 + seed % 2
    kw = {"start_node": start, "movable": olds, "max_trip_size": k}
    res = batch.solve_batch(s, _flat(groups), travel, w, **kw)
    full = bk.trips_of_roots

    def every_set(problem, roots, weights):
        return full((*problem[:-1], np.full_like(problem[-1], -1)), roots, weights)

    monkeypatch.setattr(bk, "trips_of_roots", every_set)
    ref = batch.solve_batch(s, _flat(groups), travel, w, **kw)
    assert len(res.unassigned) == len(ref.unassigned)
    assert res.cost == pytest.approx(ref.cost, rel=1e-9, abs=1e-9)
    assert res.n_trips <= ref.n_trips


@pytest.mark.parametrize("movable_pairs", [True, False])
def test_solve_batch_labels_the_riders_by_their_plan_or_all_alike(monkeypatch, movable_pairs):
    """The labels solve_batch hands the enumeration: each rider's vehicle, or one for all."""
    seen = []
    full = bk.trips_of_roots

    def spy(problem, roots, weights):
        seen.append((problem[-1].copy(), roots[0].copy(), roots[1].copy(), problem[3].size))
        return full(problem, roots, weights)

    monkeypatch.setattr(bk, "trips_of_roots", spy)
    checked = 0
    for seed in range(300, 330):
        s, start, groups, olds, travel, w = _random_instance(seed, max_veh=4, max_req=4, old=3)
        seen.clear()
        batch.solve_batch(s, _flat(groups), travel, w, start_node=start, movable=olds,
                          max_trip_size=2, movable_pairs=movable_pairs)  # fmt: skip
        if len(seen) < 2 or not olds:
            continue
        owner, rv, rr, n_inv = seen[-1]  # the trips' enumeration (after the screening)
        n_mov = len(olds)
        assert np.all(seen[0][0] == -1)  # the screening: single requests, no labels
        assert np.all(owner[:-n_mov] == -1)  # new requests
        want = rv[n_inv:] if movable_pairs else np.full(n_mov, n_inv)
        assert np.array_equal(owner[-n_mov:], want)
        assert np.all(rr[n_inv:] >= 0)
        checked += 1
    assert checked > 5


def _table_travel(table, *, with_attribute):
    def travel(a, b):
        return np.asarray(table[a, b], dtype=np.float64)

    if with_attribute:
        travel.table = table
    return travel


@pytest.mark.parametrize("seed", range(30))
def test_matrix_from_a_table_is_the_lookups_matrix(seed):
    """Read in place, a drive-time table fills the local matrices as its lookup does.

    The table has a non-zero diagonal (the same node must still read 0), some
    unreachable pairs (inf) and, on odd seeds, float32 entries; every entry of
    the matrices (unfilled ones stay NaN) is compared bit for bit, for every
    combination of the optional blocks.
    """
    rng = np.random.default_rng(seed)
    prob, _, _, _ = _problem(seed)
    n = int(max(prob.nodes.max(), prob.s.stop_node.max()) + 1)
    table = rng.uniform(1.0, 900.0, (n, n))
    table[rng.random((n, n)) < 0.05] = np.inf
    if seed % 2:
        table = table.astype(np.float32)
    for points in (False, True):
        for pairs in (False, True):
            got = []
            for attr in (False, True):
                prob.layout(None)
                prob.fill(_table_travel(table, with_attribute=attr), points=points, pairs=pairs)
                got.append(prob.mat.copy())
            np.testing.assert_array_equal(got[1].view(np.int64), got[0].view(np.int64))


@pytest.mark.parametrize("seed", range(20))
def test_solve_batch_with_a_table_is_the_lookups_result(seed):
    s, start, groups, olds, travel, w = _random_instance(seed, max_veh=4, max_req=6, old=2)
    n = 40
    table = travel(*np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    res = [
        batch.solve_batch(
            s, _flat(groups), _table_travel(table, with_attribute=attr), w, start_node=start,
            movable=olds, max_trip_size=2,
        )
        for attr in (False, True)
    ]  # fmt: skip
    a, b = res
    assert a.assigned == b.assigned and a.moved == b.moved and a.unassigned == b.unassigned
    assert a.cost == b.cost and a.method == b.method and a.n_trips == b.n_trips
    for name in a.schedules._fields:
        np.testing.assert_array_equal(getattr(a.schedules, name), getattr(b.schedules, name))


def _locate_plain(s, ids):
    """Where each movable rider's pickup is, by the numpy construction the kernel replaced."""
    used = np.arange(s.max_stops)[None, :] < s.n_stops[:, None]
    hit = used & (s.stop_kind > 0) & np.isin(s.stop_request, np.array(ids, dtype=np.int64))
    out = []
    for v, k in zip(*np.nonzero(hit), strict=True):
        out.append((int(s.stop_request[v, k]), int(v)))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_locate_movable_is_the_numpy_search(seed):
    """Pickups of the wanted riders, in row-major order, stops past ``n_stops`` ignored.

    Random plans with repeated request ids, drop-offs of wanted riders and stale
    entries past ``n_stops``; the riders are looked up in a shuffled order. A
    rider with two pickups, or none, is an error either way.
    """
    rng = np.random.default_rng(500 + seed)
    n_veh, s_max = int(rng.integers(1, 6)), int(rng.integers(1, 8))
    s = empty_schedules(np.full(n_veh, 4), 0.0, max_stops=s_max)
    s.n_stops[:] = rng.integers(0, s_max + 1, n_veh)
    s.stop_kind[:] = rng.choice([-1, 1], (n_veh, s_max))
    s.stop_request[:] = rng.integers(0, 12, (n_veh, s_max))
    ref = _locate_plain(s, list(range(12)))
    pickups = {}
    for rid, v in ref:
        pickups.setdefault(rid, []).append(v)
    once = [rid for rid, vs in pickups.items() if len(vs) == 1]
    ids = rng.permutation(once).tolist()
    got = batch._locate_movable(s, ids)
    assert list(got.items()) == [(rid, v) for rid, v in ref if rid in set(ids)]
    twice = [rid for rid, vs in pickups.items() if len(vs) > 1]
    if twice:
        with pytest.raises(DispatchError, match=f"movable rider {twice[0]} has pickups in two"):
            batch._locate_movable(s, [twice[0]])
    absent = [rid for rid in range(12) if rid not in pickups]
    if absent:
        with pytest.raises(DispatchError, match="have no pickup in any plan"):
            batch._locate_movable(s, [absent[0]])


@pytest.mark.parametrize("seed", range(40))
def test_vehicle_lists_are_the_unique_and_stable_sort(seed):
    """The involved vehicles and their requests, as ``np.unique`` and a stable argsort give."""
    rng = np.random.default_rng(900 + seed)
    n_veh = int(rng.integers(1, 9))
    sets = [np.unique(rng.integers(0, n_veh, int(rng.integers(0, n_veh + 1))))
            for _ in range(int(rng.integers(0, 8)))]  # fmt: skip
    lengths = np.array([x.size for x in sets], dtype=np.int64)
    flat = np.concatenate([*sets, np.empty(0, dtype=np.int64)]).astype(np.int64)
    inv, ptr, req = bk.vehicle_lists(lengths, flat, n_veh)
    ref_inv, row = np.unique(flat, return_inverse=True)
    order = np.argsort(row, kind="stable")
    ref_req = np.repeat(np.arange(lengths.size), lengths)[order]
    assert inv.tolist() == ref_inv.tolist()
    assert np.diff(ptr).tolist() == np.bincount(row, minlength=inv.size).tolist()
    assert req.tolist() == ref_req.tolist()
    # independent: vehicle u's requests are exactly those naming it, ascending
    for u, v in enumerate(inv.tolist()):
        assert req[ptr[u] : ptr[u + 1]].tolist() == [r for r, x in enumerate(sets) if v in x]


class _ScreenedProblem:
    """The attributes of ``batch._Problem`` that ``_pruned_candidates`` reads."""

    def __init__(self, n_inv, cand):
        self.inv = np.arange(n_inv, dtype=np.int64)
        self.row_of = {u: u for u in range(n_inv)}
        self.cand_ptr = np.zeros(n_inv + 1, dtype=np.int64)
        np.cumsum([len(c) for c in cand], out=self.cand_ptr[1:])
        self.cand_req = np.array([r for c in cand for r in c], dtype=np.int64)


@pytest.mark.parametrize("seed", range(60))
def test_pruned_lists_are_the_numpy_ranking(seed):
    """The kernel keeps what the numpy ranking keeps, request for request.

    Random screenings with tied costs (whole numbers), some inf and NaN costs,
    infeasible candidates, own riders beyond the screening's candidates and,
    on some seeds, more own riders than ``MAX_CANDIDATES`` or a small ``limit``.
    """
    rng = np.random.default_rng(3000 + seed)
    n_inv = int(rng.integers(1, 6))
    n_new = int(rng.integers(0, 30))
    n_mov = int(rng.integers(0, 80 if seed % 5 == 0 else 12))
    n_req = n_new + n_mov
    own_u = rng.integers(0, n_inv, n_mov).astype(np.int64)
    cand = [sorted(rng.choice(n_req, int(rng.integers(0, n_req + 1)), replace=False).tolist())
            if n_req else [] for _ in range(n_inv)]  # fmt: skip
    root_of, cost1, q = [], [], []
    for u in range(n_inv):
        root_of.append(u), cost1.append(0.0), q.append(-1)  # the bare root
        for pos in range(len(cand[u])):
            if rng.random() < 0.2:
                continue  # infeasible: not written
            c = float(rng.integers(-3, 4))
            c = np.inf if rng.random() < 0.05 else np.nan if rng.random() < 0.05 else c
            root_of.append(u), cost1.append(c), q.append(pos)
    root_of, cost1 = np.array(root_of, dtype=np.int64), np.array(cost1)
    seq1 = np.full((root_of.size, 1, 4), -1, dtype=np.int64)
    seq1[:, 0, 0] = q
    limit = int(rng.integers(1, 20))
    prob = _ScreenedProblem(n_inv, cand)
    ids = list(range(1000, 1000 + n_req))
    req = batch._Requests(ids, n_new, None, None, None, None)
    mov_vehicle = {ids[n_new + i]: int(own_u[i]) for i in range(n_mov)}
    ref_ptr, ref_req = batch._pruned_candidates(prob, req, root_of, cost1, seq1, mov_vehicle, limit)
    ptr, got = bk.pruned_lists(
        root_of, cost1, seq1[:, 0, 0].copy(), prob.cand_ptr, prob.cand_req, own_u, n_inv, n_new,
        n_req, limit, bk.MAX_CANDIDATES,
    )  # fmt: skip
    assert ptr.tolist() == ref_ptr.tolist()
    assert got.tolist() == ref_req.tolist()


@pytest.mark.parametrize("seed", range(40))
def test_sorted_unique_and_flagged_equal_numpy_unique(seed):
    """The batch's replacements of ``np.unique`` give its values, ascending, as int64."""
    from idrt.dispatch.batch import _flagged, sorted_unique

    rng = np.random.default_rng(seed)
    size = int(rng.integers(0, 60))
    x = rng.integers(0, max(1, size // 2) + 1, size=size).astype(np.int64)
    want = np.unique(x)
    got = sorted_unique(x)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    flagged = _flagged(x, int(x.max()) + 1 if x.size else 1)
    np.testing.assert_array_equal(flagged, want)
    assert sorted_unique(np.concatenate([x, x[::-1]])).tolist() == want.tolist()  # repeats
