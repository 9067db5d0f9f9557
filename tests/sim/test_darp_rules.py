"""The dial-a-ride rules of ``[service]`` in whole runs: each holds, each binds.

Every run passes the invariant checker (which checks each rule the scenario
sets); each rule is compared with the same run without it, to show that it
decides something on this demand (a rule that never binds would test nothing).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from tests.sim.invariants import check_result

BASE = {
    "demand.trips_per_day": 500.0,
    "service.end_h": 11.0,
    "fleet.size": 4,
    "traffic.signals": "none",
    "traffic.profile": "",
    "demand.prebooked_share": 0.5,
}


@pytest.fixture(scope="module")
def net():
    return build_network(Scenario())


@pytest.fixture(scope="module")
def plain(net):
    r = simulate(Scenario().with_overrides(BASE), seed=3, network=net)
    check_result(r, net)
    return r


def _run(net, **rules):
    scn = Scenario().with_overrides({**BASE, **rules})
    r = simulate(scn, seed=3, network=net)
    check_result(r, net)
    return r


def _served(r):
    return r.requests[r.requests["status"] == "served"]


def test_max_ride_cap(net, plain):
    r = _run(net, **{"service.max_ride_cap_s": 900.0})
    s = _served(r)
    assert (s["max_ride_s"] <= 900.0).all() and (s["ride_s"] <= 900.0 + 1e-6).all()
    assert (_served(plain)["ride_s"] > 900.0).any()  # it binds without the cap


def test_prebooked_pickup_window(net, plain):
    r = _run(net, **{"service.prebooked_pickup_window_s": 300.0})
    s = _served(r)
    pre = s[s["request_time_s"] > s["booking_time_s"]]
    assert len(pre) > 0
    assert (pre["pickup_s"] - pre["request_time_s"] <= 300.0 + 1e-6).all()
    immediate = s[s["request_time_s"] == s["booking_time_s"]]
    assert (immediate["promised_pickup_s"] - immediate["request_time_s"] == 1800.0).all()
    p = _served(plain)
    p_pre = p[p["request_time_s"] > p["booking_time_s"]]
    assert (p_pre["pickup_s"] - p_pre["request_time_s"] > 300.0).any()


def test_prebooked_arrival_window(net, plain):
    r = _run(net, **{"service.prebooked_arrival_window_s": 600.0})
    s = _served(r)
    pre = s[s["request_time_s"] > s["booking_time_s"]]
    late = pre["dropoff_s"] - (pre["request_time_s"] + pre["direct_s"])
    assert len(pre) > 0 and (late <= 600.0 + 1e-6).all()
    p = _served(plain)
    p_pre = p[p["request_time_s"] > p["booking_time_s"]]
    assert (p_pre["dropoff_s"] - (p_pre["request_time_s"] + p_pre["direct_s"]) > 600.0).any()


def test_return_to_depot_and_route_duration(net, plain):
    end = 11 * 3600.0
    r = _run(net, **{"service.return_to_depot": True})  # checked by the invariant checker
    last = _served(r)["dropoff_s"].max()
    assert last < end < _served(plain)["dropoff_s"].max()  # plain runs past the end
    r = _run(net, **{"service.max_route_duration_s": 3 * 3600.0})
    assert _served(r)["dropoff_s"].max() < 10 * 3600.0
    assert (r.requests["reason"] == "no_feasible_insertion").sum() > (
        plain.requests["reason"] == "no_feasible_insertion"
    ).sum()


def test_return_to_depot_with_shifts(net):
    shifts = [
        {"vehicles": [0, 1], "start_h": 7.0, "end_h": 9.0},
        {"vehicles": [2, 3], "start_h": 8.0, "end_h": 11.0},
    ]
    r = _run(net, **{"service.return_to_depot": True, "fleet.shifts": shifts,
                     "service.max_route_duration_s": 7000.0})  # fmt: skip
    s = _served(r)
    assert (s[s["vehicle"].isin([0, 1])]["dropoff_s"] < 9 * 3600.0).all()


def test_w_drive_lowers_vehicle_km_per_rider(net, plain):
    r = _run(net, **{"dispatch.w_drive": 1.0})
    km = r.vehicles["km"].sum() / _served(r)["pax"].sum()
    km0 = plain.vehicles["km"].sum() / _served(plain)["pax"].sum()
    assert km < km0


def test_defaults_leave_runs_unchanged(net, plain):
    inf = math.inf
    r = _run(net, **{
        "service.max_ride_cap_s": inf, "service.prebooked_pickup_window_s": inf,
        "service.prebooked_arrival_window_s": inf, "service.max_route_duration_s": inf,
        "service.return_to_depot": False, "dispatch.w_drive": 0.0,
    })  # fmt: skip
    for col in ("pickup_s", "dropoff_s", "vehicle"):
        assert np.array_equal(r.requests[col].to_numpy(), plain.requests[col].to_numpy(),
                              equal_nan=True)  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"service.max_ride_cap_s": 0.0}, "service.max_ride_cap_s = 0: must be > 0"),
        ({"service.prebooked_pickup_window_s": -5.0}, "prebooked_pickup_window_s = -5"),
        ({"service.max_route_duration_s": 0.0}, "max_route_duration_s = 0"),
        ({"dispatch.w_drive": -1.0}, "dispatch.w_drive = -1: must be >= 0"),
        (
            {"service.return_to_depot": True, "dispatch.mode": "batch"},
            "service.return_to_depot is set, but batch dispatch",
        ),
        (
            {"service.max_ride_cap_s": 600.0, "dispatch.reoptimise": True},
            "service.max_ride_cap_s is set, but batch dispatch and re-optimisation",
        ),
    ],
)
def test_bad_rules_refused(overrides, match):
    with pytest.raises(ScenarioError, match=match):
        Scenario().with_overrides(overrides)
