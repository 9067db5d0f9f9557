"""``summarize()`` on hand-built tables: every KPI worked out by hand.

The tables are small enough to check each figure on paper; the expected
values below are literals, not recomputed with the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from idrt.sim import summarize

# five requests: three served (one group of 2), one rejected, one pending
REQUESTS = pd.DataFrame(
    {
        "request_id": [0, 1, 2, 3, 4],
        "status": ["served", "served", "served", "rejected", "pending"],
        "pax": [1, 2, 1, 1, 1],
        "wait_s": [100.0, 300.0, 500.0, np.nan, np.nan],
        "in_vehicle_s": [600.0, 900.0, 300.0, np.nan, np.nan],
        "detour_ratio": [1.2, 1.5, 1.0, np.nan, np.nan],
        "walk_m": [0.0, 120.0, 60.0, np.nan, np.nan],
        "shared": [True, True, False, False, False],
        "missed_promise": [False, True, False, False, False],
        "late_pickup": [False, True, True, False, False],
        "pickup_s": [1000.0, 2000.0, 3000.0, np.nan, np.nan],
        "planned_pickup_s": [1000.0, 1700.0, 2900.0, np.nan, np.nan],
        # request + wait = pickup; pickup + in-vehicle = drop-off; walk_s for stop-based
        "request_time_s": [900.0, 1700.0, 2500.0, 3000.0, 3100.0],
        "dropoff_s": [1600.0, 2900.0, 3300.0, np.nan, np.nan],
        "walk_s": [0.0, 100.0, 50.0, np.nan, np.nan],
        # today's transit: the second rider's trip cannot be made by transit that day
        "transit_door_to_door_s": [1000.0, np.inf, 800.0, 2000.0, np.nan],
    }
)
VEHICLES = pd.DataFrame(
    {
        "vehicle": [0, 1],
        "km": [30.0, 10.0],
        "empty_km": [12.0, 4.0],
        "pax_km": [40.0, 6.0],
        "rebalancing_km": [2.0, 0.0],
    }
)
PASSAGES = pd.DataFrame({"delay_s": [10.0, 30.0, 20.0, 0.0]})
SERVICE_H = 10.0

EXPECTED = {
    "requests": 5,
    "served": 3,
    "rejected": 1,
    "pending": 1,
    "served_share": 3 / 5,
    "reject_share": 1 / 5,
    "wait_mean_s": 300.0,  # (100 + 300 + 500) / 3
    "wait_p50_s": 300.0,
    "wait_p95_s": 480.0,  # linear interpolation: 300 + 0.9 * (500 - 300)
    "in_vehicle_mean_s": 600.0,  # (600 + 900 + 300) / 3
    "ride_time_ratio": 3.7 / 3,  # (1.2 + 1.5 + 1.0) / 3
    "walk_mean_m": 60.0,  # (0 + 120 + 60) / 3
    "passengers": 4,  # 1 + 2 + 1 riders, not 3 requests
    "vehicle_km": 40.0,
    "rebalancing_km": 2.0,
    "empty_km_share": 16.0 / 40.0,
    "vehicle_km_per_passenger": 10.0,  # 40 km / 4 riders
    "passengers_per_vehicle_hour": 0.2,  # 4 riders / (2 vehicles x 10 h)
    "shared_ride_share": 2 / 3,
    "mean_occupancy": 46.0 / 40.0,  # passenger-km / vehicle-km
    "fleet_size": 2,
    "missed_promise_share": 1 / 3,
    "late_pickup_share": 2 / 3,
    "late_pickup_mean_s": 200.0,  # (300 + 100) / 2
    "signal_passages_per_km": 0.1,  # 4 passages / 40 km
    "signal_delay_per_passage_s": 15.0,
    # DRT door to door: 700, 1,300, 850 s; transit 1,000, inf, 800 s
    "transit_door_to_door_mean_s": 900.0,  # over the trips transit makes: (1000 + 800) / 2
    "drt_time_saved_mean_s": 125.0,  # (300 - 50) / 2
    "faster_than_transit_share": 2 / 3,  # 700 < 1000, 1300 < inf, not 850 < 800
}


@pytest.fixture  # per test, not per module: mutmut runs only the tests that called summarize
def kpis() -> pd.Series:
    return summarize(REQUESTS, VEHICLES, SERVICE_H, PASSAGES)


@pytest.mark.parametrize("kpi", sorted(EXPECTED))
def test_every_kpi_equals_the_hand_computed_value(kpis, kpi):
    assert kpis[kpi] == pytest.approx(EXPECTED[kpi], rel=1e-12, abs=1e-12), kpi


def test_no_kpi_is_left_without_a_hand_computed_value(kpis):
    """A new KPI must get its hand-worked figure here."""
    assert set(EXPECTED) <= set(kpis.index)
    missing = sorted(set(kpis.index) - set(EXPECTED))
    assert not missing, f"KPIs without a hand-computed check: {missing}"


def test_percentiles_are_the_named_ones():
    """p50/p95 on 1..100: numpy's linear rule gives 50.5 and 95.05 (a p90 gives 90.1)."""
    n = 100
    req = pd.DataFrame(
        {
            "request_id": range(n),
            "status": ["served"] * n,
            "pax": [1] * n,
            "wait_s": np.arange(1.0, n + 1),
            "in_vehicle_s": [1.0] * n,
            "detour_ratio": [1.0] * n,
            "walk_m": [0.0] * n,
            "shared": [False] * n,
        }
    )
    k = summarize(req, VEHICLES, SERVICE_H)
    assert k["wait_p50_s"] == pytest.approx(50.5)
    assert k["wait_p95_s"] == pytest.approx(95.05)


def test_without_traffic_signal_kpis_are_nan_and_empty_run_is_nan():
    k = summarize(REQUESTS, VEHICLES, SERVICE_H)
    assert math.isnan(k["signal_passages_per_km"])
    assert math.isnan(k["signal_delay_per_passage_s"])
    k = summarize(REQUESTS.drop(columns="transit_door_to_door_s"), VEHICLES, SERVICE_H)
    assert math.isnan(k["drt_time_saved_mean_s"]) and math.isnan(k["faster_than_transit_share"])
    empty = REQUESTS.iloc[:0]
    k = summarize(empty, VEHICLES.iloc[:0], SERVICE_H)
    assert k["requests"] == 0 and k["passengers"] == 0
    for name in ("served_share", "wait_mean_s", "vehicle_km_per_passenger", "mean_occupancy"):
        assert math.isnan(k[name]), name
