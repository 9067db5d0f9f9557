"""Insertion feasibility exactly on its boundaries.

Each case sits on an equality (delay equal to the slack, load equal to the
capacity, pickup equal to the promise, ride equal to its limit): the
insertion must be feasible there and infeasible a hair beyond, so a ``<=``
turned into ``<`` (or the other way) in the kernels fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from idrt.dispatch import (
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    empty_schedules,
    find_best_insertion,
)

INF = np.inf
HAIR = 1e-9


def _request(**kw):
    base = dict(
        request_id=7,
        pickup_node=100,
        dropoff_node=101,
        pax=1,
        earliest_pickup_s=0.0,
        latest_pickup_s=1e5,
        max_ride_s=1e5,
        dwell_pickup_s=0.0,
        dwell_dropoff_s=0.0,
        direct_s=50.0,
    )
    base.update(kw)
    return InsertionRequest(**base)


def _one_stop_vehicle(latest_s: float, capacity: int = 4, start_load: int = 1, stop_pax: int = 1):
    """A vehicle at t = 0 with one drop-off 100 s away whose latest service is ``latest_s``."""
    fleet = empty_schedules([capacity], 0.0, start_load=start_load, max_stops=1)
    fleet.n_stops[0] = 1
    fleet.stop_kind[0, 0], fleet.stop_pax[0, 0] = -1, stop_pax
    fleet.leg_s[0, 0], fleet.earliest_s[0, 0], fleet.latest_s[0, 0] = 100.0, 0.0, latest_s
    return fleet


def _before_only_times():
    """S -> P 50 s, P -> D 50 s, D -> X 50 s; nothing can go after X (inf)."""
    row = lambda a, b: np.array([[a, b]])  # noqa: E731
    return InsertionTimes(
        to_pickup_s=row(50.0, INF),
        from_pickup_s=row(100.0, INF),
        to_dropoff_s=row(150.0, INF),
        from_dropoff_s=row(50.0, INF),
        pickup_to_dropoff_s=50.0,
    )


@pytest.mark.parametrize("w_delay", [0.0, 1.0])
def test_delay_exactly_equal_to_the_slack_is_feasible(w_delay):
    # the detour S-P-D-X arrives at X at 150 instead of 100: a delay of 50 s
    weights = InsertionWeights(1.0, 0.0, 0.0, w_delay)
    fleet = _one_stop_vehicle(latest_s=150.0)  # slack of X: exactly 50 s
    got = find_best_insertion(fleet, _request(), _before_only_times(), weights)
    assert got is not None and (got.pickup_pos, got.dropoff_pos) == (0, 0)
    assert got.pickup_time_s == 50.0
    tight = _one_stop_vehicle(latest_s=150.0 - HAIR * 150)
    assert find_best_insertion(tight, _request(), _before_only_times(), weights) is None


def test_slack_absorbed_by_waiting_is_exact():
    # X may not be served before 130: 30 s of waiting absorb 30 s of the 50 s delay
    fleet = _one_stop_vehicle(latest_s=150.0 - 30.0)
    fleet.earliest_s[0, 0] = 130.0
    got = find_best_insertion(fleet, _request(), _before_only_times())
    # service at X: max(150, 130) = 150 > 120: infeasible; with latest 150 it fits exactly
    assert got is None
    fleet.latest_s[0, 0] = 150.0
    got = find_best_insertion(fleet, _request(), _before_only_times())
    assert got is not None and got.cost == pytest.approx(50.0 - 30.0)


@pytest.mark.parametrize(("pax", "feasible"), [(3, True), (4, False)])
def test_load_exactly_at_capacity(pax, feasible):
    # one rider on board, capacity 4: a group of 3 fills the bus exactly
    fleet = _one_stop_vehicle(latest_s=1e5, capacity=4, start_load=1)
    got = find_best_insertion(fleet, _request(pax=pax), _before_only_times())
    assert (got is not None) is feasible


def test_pickup_exactly_at_the_promise():
    fleet = empty_schedules([4], 0.0, max_stops=0)
    times = InsertionTimes(
        to_pickup_s=np.array([[500.0]]),
        from_pickup_s=np.zeros((1, 1)),
        to_dropoff_s=np.array([[INF]]),
        from_dropoff_s=np.zeros((1, 1)),
        pickup_to_dropoff_s=60.0,
    )
    got = find_best_insertion(fleet, _request(latest_pickup_s=500.0), times)
    assert got is not None and got.pickup_time_s == 500.0
    assert find_best_insertion(fleet, _request(latest_pickup_s=500.0 - 500 * HAIR), times) is None


def test_ride_exactly_at_its_limit():
    fleet = empty_schedules([4], 0.0, max_stops=0)
    times = InsertionTimes(
        to_pickup_s=np.array([[10.0]]),
        from_pickup_s=np.zeros((1, 1)),
        to_dropoff_s=np.array([[INF]]),
        from_dropoff_s=np.zeros((1, 1)),
        pickup_to_dropoff_s=60.0,
    )
    req = _request(max_ride_s=60.0, dwell_pickup_s=5.0)
    got = find_best_insertion(fleet, req, times)
    assert got is not None and got.dropoff_time_s == 10.0 + 5.0 + 60.0
    assert find_best_insertion(fleet, _request(max_ride_s=60.0 - 60 * HAIR), times) is None
