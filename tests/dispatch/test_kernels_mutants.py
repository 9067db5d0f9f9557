"""Tests written against the surviving mutants of ``idrt/dispatch/_kernels.py``.

``bash benchmarks/mutation_kernels.sh`` mutates the kernels with cosmic-ray and runs
the insertion tests under ``NUMBA_DISABLE_JIT=1``; each test here kills mutants
that the brute-force and boundary tests let through (the triage, with the
mutants judged equivalent, is in benchmarks/results/mutation_survivors_kernels.txt).
Truth is independent of the kernels: the brute-force reference of
``tests/dispatch/naive_insertion.py`` or values worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt.dispatch import (
    _kernels,
    empty_schedules,
    feasible_vehicles,
)
from tests.dispatch import naive_insertion as naive
from tests.dispatch.test_insertion import random_case

INF = np.inf


def _request_tuple(
    *,
    direct=50.0,
    pax=1,
    earliest=0.0,
    latest=1e5,
    max_ride=1e5,
    dwell_p=0.0,
    dwell_d=0.0,
    earliest_d=0.0,
    latest_d=INF,
):
    """The ``request`` tuple of :func:`_kernels.best_insertion_vehicle`."""
    return (direct, float(pax), earliest, latest, max_ride, dwell_p, dwell_d, earliest_d, latest_d)


def _one_vehicle(n_stops=0, capacity=4, start_load=None, start_time_s=0.0):
    """Kernel inputs of one vehicle with ``n_stops`` drop-offs 100 s apart (no windows).

    ``start_load`` defaults to ``n_stops``: the riders on board, one per drop-off.
    """
    start_load = n_stops if start_load is None else start_load
    s_max = max(n_stops, 1)
    kind = np.full(s_max, -1, dtype=np.int64)
    pax = np.ones(s_max, dtype=np.int64)
    earliest = np.zeros(s_max)
    latest = np.full(s_max, 1e5)
    leg = np.full(s_max, 100.0)
    dwell = np.zeros(s_max)
    head = (start_time_s, start_load, capacity, n_stops, INF, 0.0, 0.0)
    return head, (kind, pax, earliest, latest, leg, dwell)


def _legs(n_stops, value=50.0):
    row = np.full(n_stops + 1, value)
    return (row, row.copy(), row.copy(), row.copy())


def _kernel(head, stops, legs, request, weights=(1.0, 0.0, 0.0, 0.0, 0.0)):
    work = np.empty((_kernels.N_WORK, stops[0].shape[0] + 1))
    return _kernels.best_insertion_vehicle(
        head, stops, legs, request, np.asarray(weights, float), work, np.empty((0, 0))
    )


def _is_none(found):
    cost, i, j, tp, td = found
    return cost == INF and i == -1 and j == -1 and math.isnan(tp) and math.isnan(td)


# --------------------------------------------------------------------------- current plan


def test_feasible_vehicles_checks_the_start_without_stops():
    """With no stops the start is all there is: a load outside [0, capacity] or a time
    that is not finite fails."""
    fleet = empty_schedules([2, 2, 2, 2], 0.0, start_load=[3, -1, 2, 0], max_stops=1)
    assert feasible_vehicles(fleet).tolist() == [False, False, True, True]
    fleet.start_time_s[:] = [INF, -INF, np.nan, 5.0]
    fleet.start_load[:] = 0
    assert feasible_vehicles(fleet).tolist() == [False, False, False, True]


def test_feasible_vehicles_checks_every_stop():
    # 2 seats: a group of 3 picked up, a drop-off of a rider not on board, a legal plan
    fleet = empty_schedules([2, 2, 2], 0.0, max_stops=2)
    fleet.n_stops[:] = 2
    fleet.stop_kind[:] = [[1, -1], [-1, 1], [1, -1]]
    fleet.stop_pax[:] = [[3, 3], [1, 1], [2, 2]]
    fleet.leg_s[:] = 10.0
    fleet.latest_s[:] = 1e5
    assert feasible_vehicles(fleet).tolist() == [False, False, True]
    fleet.stop_kind[:] = [[1, -1]] * 3
    fleet.stop_pax[:] = 1
    fleet.leg_s[1, 1] = INF  # the second stop of vehicle 1 is unreachable, with no deadline
    fleet.latest_s[1, :] = INF
    assert feasible_vehicles(fleet).tolist() == [True, False, True]


def test_an_unreachable_stop_in_the_current_plan_gets_no_insertion():
    # X cannot be reached (leg inf) and has no deadline: the plan is infeasible as it
    # stands, and no candidate is recorded (its times and costs would be inf or NaN)
    head, stops = _one_vehicle(1)
    stops[3][0], stops[4][0] = INF, INF  # latest_s, leg_s of X
    matrix = np.full((2, 2), -1.0)
    work = np.empty((_kernels.N_WORK, 2))
    found = _kernels.best_insertion_vehicle(
        head, stops, _legs(1), _request_tuple(), np.ones(5), work, matrix
    )
    assert _is_none(found) and (matrix == -1.0).all()


@pytest.mark.parametrize(
    ("start_load", "start_time_s"),
    [(-1, 0.0), (5, 0.0), (0, INF), (0, np.nan)],
    ids=["negative-load", "over-capacity", "inf-start", "nan-start"],
)
def test_an_infeasible_start_gets_no_insertion_and_the_documented_sentinels(
    start_load, start_time_s
):
    """Returns exactly ``(inf, -1, -1, nan, nan)``: the documented 'none' answer."""
    head, stops = _one_vehicle(0, capacity=4, start_load=start_load, start_time_s=start_time_s)
    assert _is_none(_kernel(head, stops, _legs(0), _request_tuple()))
    ok_head, _ = _one_vehicle(0, capacity=4, start_load=0, start_time_s=0.0)
    cost, i, j, tp, td = _kernel(ok_head, stops, _legs(0), _request_tuple())
    assert (cost, i, j, tp, td) == (100.0, 0, 0, 50.0, 100.0)  # drive 50 + 50, w_vehicle 1


def test_an_overfull_start_gets_nothing_even_after_a_drop_off():
    # 5 riders on board of 4 seats: the plan is infeasible from its start, although after
    # the first drop-off (3 riders) a new one would fit
    head, stops = _one_vehicle(1, capacity=4, start_load=5)
    stops[1][0] = 2
    assert _is_none(_kernel(head, stops, _legs(1), _request_tuple()))
    head, stops = _one_vehicle(1, capacity=4, start_load=4)  # full but legal: after X only
    stops[1][0] = 2
    assert _kernel(head, stops, _legs(1), _request_tuple())[1:3] == (1, 1)


def test_a_late_current_plan_gets_the_documented_sentinels():
    head, stops = _one_vehicle(1)
    assert _kernel(head, stops, _legs(1), _request_tuple())[0] < INF  # feasible as built
    stops[3][0] = 99.0  # the only stop is reached at 100 s, due by 99 s
    assert _is_none(_kernel(head, stops, _legs(1), _request_tuple()))
    head, stops = _one_vehicle(1, start_load=0)  # a drop-off of a rider not on board
    assert _is_none(_kernel(head, stops, _legs(1), _request_tuple()))


def test_a_start_at_infinity_records_no_candidate():
    # with no deadline at all every time is inf and the costs are NaN: nothing is feasible,
    # and the cost matrix keeps what it held
    head, stops = _one_vehicle(0, start_time_s=INF)
    request = _request_tuple(latest=INF, max_ride=INF)
    matrix = np.full((1, 1), -1.0)
    work = np.empty((_kernels.N_WORK, 2))
    found = _kernels.best_insertion_vehicle(
        head, stops, _legs(0), request, np.ones(5), work, matrix
    )
    assert _is_none(found) and matrix.tolist() == [[-1.0]]


# --------------------------------------------------------------------------- costs


def test_a_sub_second_delay_of_a_later_drop_off_is_charged():
    # X (a drop-off) is reached at 100 s; P at 50, D at 75 and X at 100.5 via D: the only
    # candidate delays X by 0.5 s, which w_delay = 1 charges in full (no rounding away)
    head, stops = _one_vehicle(1)
    to_p = np.array([50.0, INF])
    from_p = np.array([INF, INF])  # P cannot precede X with D after it
    to_d = np.array([INF, INF])
    from_d = np.array([25.5, INF])
    request = _request_tuple(direct=25.0)
    for w_delay, cost in [(1.0, 0.5), (4.0, 2.0)]:
        found = _kernel(head, stops, (to_p, from_p, to_d, from_d), request,
                        (0.0, 0.0, 0.0, w_delay, 0.0))  # fmt: skip
        assert found == (cost, 0, 0, 50.0, 75.0)


def test_a_delay_absorbed_exactly_by_a_wait_charges_exactly_nothing():
    # waits 0.3, 0.3, 0.7, 1.1, 0 s at a pickup and four drop-offs; stop 3 arrives late by
    # exactly its own wait (1.1 s as the kernel sums it), so it and every stop after it
    # start on time: each drop-off's delay max(0, delay - (cum_wait[k+1] - cum_wait[3])),
    # the docstring's formula, is exactly 0 in floats, and so must the sum be (an
    # aggregate over the on-time stops leaves a rounding residue of ~1e-15 s)
    kind = np.array([1, -1, -1, -1, -1])
    waits = np.array([0.3, 0.3, 0.7, 1.1, 0.0])
    n = kind.shape[0]
    cum_wait, n_drop, drop_cum_wait = np.zeros(n + 1), np.zeros(n + 1), np.zeros(n + 1)
    for k in range(n):  # the prefix sums as best_insertion_vehicle lays them out
        cum_wait[k + 1] = cum_wait[k] + waits[k]
        n_drop[k + 1] = n_drop[k] + (kind[k] < 0)
        drop_cum_wait[k + 1] = drop_cum_wait[k] + (cum_wait[k + 1] if kind[k] < 0 else 0.0)
    m = 3
    delay = cum_wait[4] - cum_wait[m]
    assert delay > 0.0 and delay + cum_wait[m] == cum_wait[4] == cum_wait[5]
    assert all(delay - (cum_wait[k + 1] - cum_wait[m]) == 0.0 for k in range(m, n))
    total = _kernels._suffix_delay(m, n, delay, cum_wait, n_drop, drop_cum_wait)
    assert total == 0.0
    # a delay 0.5 s past the wait: both drop-offs 3 and 4 start 0.5 s late
    assert _kernels._suffix_delay(
        m, n, delay + 0.5, cum_wait, n_drop, drop_cum_wait
    ) == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------- brute force

N_CASES = 150


@pytest.mark.parametrize("seed", range(N_CASES))
def test_cost_matrix_is_written_exactly_at_the_feasible_candidates(seed):
    """Every feasible (i, j) gets the reference cost, every other entry keeps its value.

    The cases of ``test_insertion.random_case`` with a third of the travel times
    unreachable (inf): the kernel's early exits on inf legs must leave the
    matrix alone, not write inf or NaN there.
    """
    schedules, request, times, weights = random_case(seed)
    rng = np.random.default_rng(7_000 + seed)
    arrays = times._asdict()
    for name in ("to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s"):
        a = np.array(arrays[name])
        a[rng.random(a.shape) < 0.33] = INF
        arrays[name] = a
    times = times._replace(**{k: v for k, v in arrays.items() if k != "pickup_to_dropoff_s"})
    w = (weights.w_vehicle, weights.w_wait, weights.w_ride, weights.w_delay)
    cands = naive.all_candidates(schedules, request, times, w)
    for v in range(schedules.n_vehicles):
        n = int(schedules.n_stops[v])
        matrix = np.full((n + 1, n + 1), -1.0)
        work = np.empty((_kernels.N_WORK, schedules.max_stops + 1))
        _kernels.best_insertion_vehicle(
            (schedules.start_time_s[v], schedules.start_load[v], schedules.capacity[v], n,
             INF, 0.0, 0.0),
            tuple(getattr(schedules, f)[v] for f in _kernels.FLEET_FIELDS[4:]),
            (times.to_pickup_s[v], times.from_pickup_s[v], times.to_dropoff_s[v],
             times.from_dropoff_s[v]),
            (float(times.pickup_to_dropoff_s), float(request.pax),
             float(request.earliest_pickup_s), float(request.latest_pickup_s),
             float(request.max_ride_s), float(request.dwell_pickup_s),
             float(request.dwell_dropoff_s), float(request.earliest_pickup_s), INF),
            weights.as_array(), work, matrix,
        )  # fmt: skip
        ref = np.full_like(matrix, -1.0)
        for c in cands:
            if c.vehicle == v:
                ref[c.i, c.j] = c.cost
        np.testing.assert_allclose(matrix, ref, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- end of plan


def _waiting_vehicle(end_by_s, to_depot_s=50.0):
    """One rider on board, dropped at X: reached at 100 s, served at 200 s (it waits).

    The plan ends at 200 s; the drive home takes ``to_depot_s``.
    """
    head, stops = _one_vehicle(1)
    stops[2][0] = 200.0  # earliest service at X
    return (*head[:4], end_by_s, to_depot_s, 0.0), stops


def test_a_plan_ending_exactly_at_end_by_still_takes_an_absorbed_detour():
    # P at 50, D at 75, X reached at 100.5 instead of 100: the wait at X absorbs it, the
    # plan still ends at 200 s and gets home at 250 s = end_by exactly: feasible, cost 0
    legs = (np.array([50.0, INF]), np.full(2, INF), np.full(2, INF), np.array([25.5, INF]))
    request = _request_tuple(direct=25.0)
    head, stops = _waiting_vehicle(end_by_s=250.0)
    assert _kernel(head, stops, legs, request) == (0.0, 0, 0, 50.0, 75.0)
    head, stops = _waiting_vehicle(end_by_s=250.0 - 1e-9)  # the plan is already too late
    assert _is_none(_kernel(head, stops, legs, request))


def test_an_appended_drop_off_may_get_home_exactly_at_end_by():
    # empty vehicle at t = 0: P at 50, D at 100, then 30 s home: back at 130 s
    for end_by_s, feasible in [(130.0, True), (130.0 - 1e-9, False)]:
        head, stops = _one_vehicle(0)
        head = (*head[:4], end_by_s, 0.0, 30.0)
        found = _kernel(head, stops, _legs(0), _request_tuple())
        assert (found == (100.0, 0, 0, 50.0, 100.0)) if feasible else _is_none(found)


def test_a_pickup_too_late_from_one_position_may_fit_from_a_later_one():
    # travel times need not obey the triangle inequality (times of different moments, one-way
    # detours): from the start P is 1,000 s away (too late for 500 s), from X only 10 s
    head, stops = _one_vehicle(1)
    legs = (np.array([1000.0, 10.0]), np.full(2, 50.0), np.full(2, 50.0), np.full(2, 50.0))
    found = _kernel(head, stops, legs, _request_tuple(latest=500.0))
    assert found == (60.0, 1, 1, 110.0, 160.0)  # X at 100, P at 110, D at 160


def test_a_detour_absorbed_by_waiting_costs_nothing_not_less():
    # X is reached at 100 s and served at 101 s (1 s of waiting); the detour via P and D
    # reaches it 0.5 s later, inside the wait: the plan ends when it did, added time 0
    # (not -0.5 s: waiting that shrinks does not make the vehicle's day shorter)
    head, stops = _one_vehicle(1)
    stops[2][0] = 101.0
    legs = (np.array([50.0, INF]), np.full(2, INF), np.full(2, INF), np.array([25.5, INF]))
    assert _kernel(head, stops, legs, _request_tuple(direct=25.0)) == (0.0, 0, 0, 50.0, 75.0)


def test_a_drop_off_too_late_for_end_by_may_still_be_appended():
    # X is 150 s from the depot, the new D only 100 s: the plan must be home by 300 s.
    # D before X (P 50, D 75, X 175, home 325) is too late; D after X (P 50, X 110, D 150,
    # home 250) fits: a later drop-off position is tried after an earlier one failed
    head, stops = _one_vehicle(1)
    head = (*head[:4], 300.0, 150.0, 100.0)
    legs = (np.array([50.0, INF]), np.array([60.0, INF]), np.array([INF, 40.0]),
            np.array([100.0, INF]))  # fmt: skip
    assert _kernel(head, stops, legs, _request_tuple(direct=25.0)) == (50.0, 0, 1, 50.0, 150.0)


def test_an_unreachable_stop_after_the_pickup_ends_the_drop_off_walk():
    # X has no deadline and the request no ride limit, but X cannot be reached from P:
    # P before X with D after X is no candidate (nothing recorded), the others are
    head, stops = _one_vehicle(1)
    stops[3][0] = INF
    legs = (np.full(2, 50.0), np.full(2, INF), np.full(2, 50.0), np.full(2, 50.0))
    matrix = np.full((2, 2), -1.0)
    work = np.empty((_kernels.N_WORK, 2))
    found = _kernels.best_insertion_vehicle(
        head, stops, legs, _request_tuple(max_ride=INF), np.array([1.0, 0, 0, 0, 0]), work,
        matrix,
    )  # fmt: skip
    # (0, 0): P 50, D 100, X 150 (50 s later); (1, 1): X 100, P 150, D 200
    assert matrix.tolist() == [[50.0, -1.0], [-1.0, 100.0]]
    assert found == (50.0, 0, 0, 50.0, 100.0)


def test_an_unreachable_drop_off_with_no_deadline_records_nothing():
    # P -> D cannot be driven and nothing limits the drop-off time: no candidate, and the
    # cost matrix keeps what it held (not an inf or NaN cost)
    head, stops = _one_vehicle(0)
    matrix = np.full((1, 1), -1.0)
    work = np.empty((_kernels.N_WORK, 2))
    request = _request_tuple(direct=INF, max_ride=INF)
    found = _kernels.best_insertion_vehicle(
        head, stops, _legs(0), request, np.ones(5), work, matrix
    )
    assert _is_none(found) and matrix.tolist() == [[-1.0]]


def test_a_drop_off_too_late_right_after_p_may_fit_after_the_next_stop():
    # non-metric times: P -> D directly takes 1,000 s (past the 500 s ride limit), but via X
    # it is 60 + 10 s: P 50, X 110, D 120 fits (a later D position is tried)
    head, stops = _one_vehicle(1)
    legs = (np.array([50.0, INF]), np.array([60.0, INF]), np.array([INF, 10.0]),
            np.full(2, INF))  # fmt: skip
    found = _kernel(head, stops, legs, _request_tuple(direct=1000.0, max_ride=500.0))
    assert found == (20.0, 0, 1, 50.0, 120.0)


def test_a_plan_already_past_end_by_gets_nothing_even_with_a_shorter_way_home():
    # the plan ends at 100 s and is 200 s from the depot: home at 300 s > 250 s. Appending
    # D (P 110, D 160), from where home is 0 s away, would fit, but a plan already late
    # gets no insertion (documented)
    head, stops = _one_vehicle(1)
    head = (*head[:4], 250.0, 200.0, 0.0)
    legs = (np.array([INF, 10.0]), np.full(2, INF), np.full(2, INF), np.full(2, INF))
    assert _is_none(_kernel(head, stops, legs, _request_tuple()))
    head = (*head[:4], 300.0, 200.0, 0.0)  # on time: the append is taken
    assert _kernel(head, stops, legs, _request_tuple()) == (60.0, 1, 1, 110.0, 160.0)
