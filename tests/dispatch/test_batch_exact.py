"""Exactness of the batch solver's shortcuts: DP, reduced-cost search, HiGHS via highspy.

Each shortcut claims the optimum of the set-partitioning programme of one part
(one trip per vehicle, each movable rider exactly once, each new request at most
once at ``penalty`` when left out). They are checked against brute force over
every combination on small random parts, and the LP through highspy against
scipy's ``linprog`` (the same HiGHS).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_array

from idrt.dispatch import _batch_kernels as bk
from idrt.dispatch import batch
from tests.dispatch.test_batch_kernels import _brute_force, _random_part


def _groups(owner):
    order = np.argsort(owner, kind="stable")
    ptr = np.flatnonzero(np.diff(owner[order], prepend=-1, append=-1) != 0).astype(np.int64)
    return order, ptr


def _value(picked, mask, cost, n_new_of, required, n_new, penalty):
    """Value of one choice, or None when it overlaps or misses a required request."""
    m = 0
    for t in picked.tolist():
        if m & int(mask[t]):
            return None
        m |= int(mask[t])
    if (m & int(required)) != int(required):
        return None
    return float(cost[picked].sum()) + penalty * (n_new - int(n_new_of[picked].sum()))


@pytest.mark.parametrize("seed", range(80))
def test_dp_reaches_the_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    owner, mask, cost, n_new_of, required, n_new = _random_part(
        rng, int(rng.integers(1, 5)), int(rng.integers(1, 7))
    )
    order, ptr = _groups(owner)
    new_bits = np.int64((1 << n_new) - 1)
    penalty = 50.0
    picked = bk.best_cover_dp(order, ptr, mask, cost, required, new_bits, n_new, penalty, 1e-9)
    truth = _brute_force(owner, mask, cost, n_new_of, required, n_new, penalty)
    if truth is None:
        assert picked.size == 0
        return
    assert picked.size == ptr.size - 1
    assert owner[picked].tolist() == sorted(set(owner.tolist()))  # one trip per vehicle
    assert _value(picked, mask, cost, n_new_of, required, n_new, penalty) == pytest.approx(truth)


@pytest.mark.parametrize("seed", range(60))
def test_dp_picks_what_the_enumeration_picks(seed):
    """Without ties (continuous costs) the choice is the enumeration's, trip for trip."""
    rng = np.random.default_rng(1000 + seed)
    owner, mask, _, n_new_of, required, n_new = _random_part(
        rng, int(rng.integers(2, 5)), int(rng.integers(2, 7))
    )
    cost = rng.uniform(-20.0, 40.0, size=owner.size)
    order, ptr = _groups(owner)
    penalty = 70.0
    enum = bk.best_combination(
        order, ptr, mask, cost, n_new_of, required, n_new, penalty, 10**7
    )  # fmt: skip
    new_bits = np.int64((1 << n_new) - 1)
    dp = bk.best_cover_dp(order, ptr, mask, cost, required, new_bits, n_new, penalty, 1e-9)
    assert dp.tolist() == enum.tolist()


def _prices_and_reduced(rng, owner, mask, cost, n_req, n_new, penalty):
    """Random row prices and the reduced costs they give (any prices keep it exact)."""
    y_vehicle = rng.normal(0.0, 10.0, size=int(owner.max()) + 1)
    y_req = rng.normal(0.0, 10.0, size=n_req)
    rc = cost - y_vehicle[owner]
    for r in range(n_req):
        rc = rc - y_req[r] * ((mask >> r) & 1)
    slack = np.where(np.arange(n_req) < n_new, penalty - y_req, 0.0)
    return float(y_vehicle.sum() + y_req.sum()), rc, slack


@pytest.mark.parametrize("seed", range(80))
def test_reduced_cost_search_reaches_the_brute_force_optimum(seed):
    rng = np.random.default_rng(2000 + seed)
    n_req = int(rng.integers(1, 7))
    owner, mask, cost, n_new_of, required, n_new = _random_part(rng, int(rng.integers(1, 5)), n_req)
    penalty = 50.0
    const, rc, slack = _prices_and_reduced(rng, owner, mask, cost, n_req, n_new, penalty)
    order = np.lexsort((rc, owner))  # by vehicle, then reduced cost
    ptr = np.flatnonzero(np.diff(owner[order], prepend=-1, append=-1) != 0).astype(np.int64)
    picked, value, complete = bk.reduced_cost_search(
        ptr, mask[order][:, None].copy(), rc[order].copy(), np.array([required]), slack,
        1e-9, 10**6, np.inf,
    )  # fmt: skip
    assert complete
    truth = _brute_force(owner, mask, cost, n_new_of, required, n_new, penalty)
    if truth is None:
        assert picked.size == 0
        return
    chosen = order[picked]
    got = _value(chosen, mask, cost, n_new_of, required, n_new, penalty)
    assert got == pytest.approx(truth)
    assert const + value == pytest.approx(truth)  # the reduced-cost identity


def test_reduced_cost_search_keeps_a_better_incumbent_and_stops_at_the_node_limit():
    # three vehicles, two columns each (request 0 / 1 / both, or nothing), by reduced cost
    ptr = np.array([0, 2, 4, 6], dtype=np.int64)
    mask = np.array([[1], [0], [2], [0], [3], [0]], dtype=np.int64)
    rc = np.array([-5.0, 0.0, -4.0, 0.0, -6.0, 0.0])
    slack = np.zeros(2)
    args = (ptr, mask, rc, np.zeros(1, dtype=np.int64), slack, 1e-9)
    picked, value, complete = bk.reduced_cost_search(*args, 10**6, np.inf)
    assert complete and picked.tolist() == [0, 2, 5] and value == -9.0  # -5 - 4 beats -6
    # an incumbent as good as the optimum: nothing beats it
    again, same, complete = bk.reduced_cost_search(*args, 10**6, -9.0)
    assert complete and again.size == 0 and same == -9.0
    # one node allowed: the search reports it did not finish
    _, _, complete = bk.reduced_cost_search(*args, 1, np.inf)
    assert not complete
    # request 1 required but in no column: no choice
    required = np.array([4], dtype=np.int64)
    none, _, complete = bk.reduced_cost_search(
        ptr, mask, rc, required, np.zeros(3), 1e-9, 99, np.inf
    )
    assert complete and none.size == 0


def _reopt_part(rng, n_vehicles, n_new, n_movable):
    """A part shaped like re-optimisation: own riders on each vehicle's current plan.

    Returns ``_solve_part``'s arguments (penalty and time limit last) and, for
    brute force, each trip's vehicle, request mask and count of new requests.
    """
    n_req = n_new + n_movable
    own = rng.integers(0, n_vehicles, size=n_movable)
    tv, rm, cover, n_ins, cost = [], [], [], [], []
    for v in range(n_vehicles):
        mine = [n_new + i for i in np.flatnonzero(own == v).tolist()]
        tv.append(v), rm.append(-1), cover.append(mine), n_ins.append(0), cost.append(0.0)
        for _ in range(int(rng.integers(1, 7))):
            drop = mine[int(rng.integers(len(mine)))] if mine and rng.random() < 0.5 else -1
            others = [r for r in range(n_req) if r not in mine]
            take = rng.choice(others, size=min(len(others), int(rng.integers(1, 3))), replace=False)
            kept = [r for r in mine if r != drop]
            tv.append(v), rm.append(drop), n_ins.append(len(take))
            cover.append(kept + [int(r) for r in take])
            cost.append(float(rng.uniform(-30.0, 60.0)))
    width = max(len(c) for c in cover)
    cover_arr = np.full((len(cover), width), -1, dtype=np.int64)
    for t, c in enumerate(cover):
        cover_arr[t, : len(c)] = c
    tv_arr = np.array(tv, dtype=np.int64)
    mask = np.array([sum(1 << r for r in c) for c in cover], dtype=np.int64)
    new_of = np.array([sum(r < n_new for r in c) for c in cover], dtype=np.int64)
    required = np.int64(sum(1 << r for r in range(n_new, n_req)))
    penalty = 1.0 + 90.0 * n_vehicles
    args = (
        np.arange(len(tv), dtype=np.int64), np.arange(n_new, dtype=np.int64), tv_arr,
        np.array(rm, dtype=np.int64), cover_arr, np.array(n_ins, dtype=np.int64),
        np.array(cost), n_vehicles, n_new, penalty, 30.0,
    )  # fmt: skip
    return args, (tv_arr, mask, np.array(cost), new_of, required, n_new, penalty)


@pytest.mark.parametrize(
    ("path", "seed"), list(itertools.product(["dp", "search", "milp"], range(25)))
)
def test_solve_part_reaches_the_brute_force_optimum(monkeypatch, path, seed):
    """Each route of ``_solve_part`` (DP; LP + reduced-cost search; milp) is exact."""
    rng = np.random.default_rng(3000 + seed)
    args, brute = _reopt_part(
        rng, int(rng.integers(2, 5)), int(rng.integers(0, 4)), int(rng.integers(0, 4))
    )
    if path != "dp":  # past the DP and the enumeration: the LP decides
        monkeypatch.setattr(batch, "MAX_DP_STATES", 0)
        monkeypatch.setattr(batch, "MAX_COMBINATIONS", 0)
    if path == "milp":  # and the search gives up at once
        monkeypatch.setattr(batch, "MAX_SEARCH_NODES", 0)
    chosen = np.array(sorted(batch._solve_part(*args)), dtype=np.int64)
    tv, mask, cost, new_of, required, n_new, penalty = brute
    truth = _brute_force(tv, mask, cost, new_of, required, n_new, penalty)
    assert truth is not None  # the current plans are always a choice
    assert _value(chosen, mask, cost, new_of, required, n_new, penalty) == pytest.approx(truth)
    assert sorted(tv[chosen].tolist()) == list(range(int(tv.max()) + 1))


@pytest.mark.parametrize("seed", range(20))
def test_highspy_lp_is_scipy_linprog(seed):
    """The LP through highspy gives scipy's ``highs-ds`` optimum, bit for bit."""
    pytest.importorskip("highspy")
    rng = np.random.default_rng(4000 + seed)
    n_rows, n_cols = int(rng.integers(3, 12)), int(rng.integers(10, 60))
    rows = np.concatenate([rng.integers(0, n_rows, size=n_cols), rng.integers(0, n_rows, n_cols)])
    cols = np.concatenate([np.arange(n_cols), np.arange(n_cols)])
    a = csr_array((np.ones(rows.size), (rows, cols)), shape=(n_rows, n_cols))
    a.data[:] = 1.0
    a = csr_array(a.toarray().clip(0.0, 1.0))
    c = rng.uniform(-5.0, 20.0, size=n_cols)
    # a slack per row keeps it feasible (new requests' slack in the real programme)
    a = csr_array(np.hstack([a.toarray(), np.eye(n_rows)])).tocsc()
    c = np.concatenate([c, np.full(n_rows, 100.0)])
    ref = linprog(
        c, A_eq=a, b_eq=np.ones(n_rows), bounds=(0.0, 1.0), method="highs-ds",
        options={"presolve": False},
    )  # fmt: skip
    got = batch._highs(c, a, integer=False, time_limit_s=10.0)
    assert ref.status == 0 and got is not None
    x, prices = got
    np.testing.assert_array_equal(x, ref.x)
    np.testing.assert_allclose(prices, ref.eqlin.marginals, atol=1e-9)
    # prices are LP duals: no column prices below zero at the optimum's basis bound
    assert c @ x == pytest.approx(prices.sum() + (c - a.T @ prices) @ x)


def test_reduced_cost_search_settles_fractional_lps_exactly(monkeypatch):
    """Parts whose LP optimum is fractional: the search's choice is the brute-force optimum."""
    monkeypatch.setattr(batch, "MAX_DP_STATES", 0)
    monkeypatch.setattr(batch, "MAX_COMBINATIONS", 0)
    outcomes = []
    search = batch._price_search

    def counted(*args):
        got = search(*args)
        outcomes.append(type(got).__name__)
        return got

    monkeypatch.setattr(batch, "_price_search", counted)
    for seed in range(120):
        rng = np.random.default_rng(5000 + seed)
        args, brute = _reopt_part(
            rng, int(rng.integers(3, 6)), int(rng.integers(1, 5)), int(rng.integers(1, 6))
        )
        chosen = np.array(sorted(batch._solve_part(*args)), dtype=np.int64)
        tv, mask, cost, new_of, required, n_new, penalty = brute
        truth = _brute_force(tv, mask, cost, new_of, required, n_new, penalty)
        assert _value(chosen, mask, cost, new_of, required, n_new, penalty) == pytest.approx(truth)
    assert outcomes.count("tuple") >= 15  # fractional LPs met, settled by the search


@pytest.mark.parametrize("integer", [False, True])
def test_scipy_fallback_solves_the_same_programme(integer):
    """Without highspy the same HiGHS answers through scipy: same x, same prices."""
    pytest.importorskip("highspy")
    rng = np.random.default_rng(6000)
    a = csr_array(np.hstack([rng.integers(0, 2, size=(6, 30)), np.eye(6)])).tocsc()
    a = csr_array(a.toarray().astype(np.float64)).tocsc()
    c = np.concatenate([rng.uniform(-5.0, 20.0, size=30), np.full(6, 100.0)])
    fast = batch._highs(c, a, integer=integer, time_limit_s=10.0)
    slow = batch._scipy_highs(c, a, integer=integer, time_limit_s=10.0)
    np.testing.assert_array_equal(np.round(fast[0]), np.round(slow[0]))
    if not integer:
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_allclose(fast[1], slow[1], atol=1e-9)


def test_no_highs_banner_on_stdout():
    """A fresh process solving an LP prints only its own output (HiGHS' banner is held back).

    The banner goes to file descriptor 1 on the first ``highspy.Highs()`` of a
    process; the child prints before and after the solve, so a lost or
    misplaced standard output fails too.
    """
    pytest.importorskip("highspy")
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from scipy.sparse import csc_array\n"
        "from idrt.dispatch import batch\n"
        "print('before', flush=True)\n"
        "a = csc_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))\n"
        "x, _ = batch._highs(np.array([1.0, 3.0, 1.0]), a, integer=False, time_limit_s=5.0)\n"
        "m, _ = batch._highs(np.array([1.0, 3.0, 1.0]), a, integer=True, time_limit_s=5.0)\n"
        "print('after', [int(v) for v in x.round()], [int(v) for v in m.round()])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.splitlines() == ["before", "after [1, 0, 1] [1, 0, 1]"]
    assert "HiGHS" not in out.stderr
