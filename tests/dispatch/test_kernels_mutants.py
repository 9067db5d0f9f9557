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


def _one_vehicle(n_stops=0, capacity=4, start_load=0, start_time_s=0.0):
    """Kernel inputs of one vehicle with ``n_stops`` empty-window drop-offs 100 s apart."""
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


def test_feasible_vehicles_checks_the_start_load_without_stops():
    """With no stops the start load is the only load: above capacity or negative fails."""
    fleet = empty_schedules([2, 2, 2, 2], 0.0, start_load=[3, -1, 2, 0], max_stops=1)
    assert feasible_vehicles(fleet).tolist() == [False, False, True, True]


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


def test_a_late_current_plan_gets_the_documented_sentinels():
    head, stops = _one_vehicle(1)
    stops[3][0] = 99.0  # the only stop is reached at 100 s, due by 99 s
    assert _is_none(_kernel(head, stops, _legs(1), _request_tuple()))
