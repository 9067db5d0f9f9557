"""Vehicle shifts: on-duty windows, breaks, the plan ends inside the window."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.scenario import Scenario, ShiftConfig
from idrt.sim import build_network, simulate
from idrt.sim.shifts import duty_windows
from tests.sim.behaviour_invariants import check_behaviour, check_shifts

SHIFTS = [
    {"vehicles": [0, 1], "start_h": 7.0, "end_h": 11.0, "breaks": [[9.0, 9.5]]},
    {"vehicles": [2, 3], "start_h": 9.0, "end_h": 14.0},
]
BASE = {"demand.trips_per_day": 300.0, "service.end_h": 14.0, "fleet.size": 4}


@pytest.fixture(scope="module")
def net():
    return build_network(Scenario())


@pytest.fixture(scope="module")
def shifted(net):
    scn = Scenario().with_overrides({**BASE, "fleet.shifts": SHIFTS})
    return simulate(scn, seed=2, network=net)


def test_windows_cut_by_breaks():
    scn = Scenario().with_overrides({**BASE, "fleet.shifts": SHIFTS})
    w = duty_windows(scn, 4)
    h = 3600.0
    assert w[0] == w[1] == [(7 * h, 9 * h), (9.5 * h, 11 * h)]
    assert w[2] == w[3] == [(9 * h, 14 * h)]


def test_riders_taken_on_duty_and_dropped_in_time(shifted):
    check_shifts(shifted)
    req = shifted.requests
    served = req[req["status"] == "served"]
    # nobody is picked up by a vehicle outside all of its windows (a pickup may
    # finish a rider booked before the window ended, but no later than planned)
    assert len(served) > 0
    early = req[req["request_time_s"] < 9 * 3600.0]
    assert not early["vehicle"].isin([2, 3]).any(), "vehicles 2, 3 are off duty before 09:00"
    late = req[req["booking_time_s"] >= 11 * 3600.0]
    assert not late["vehicle"].isin([0, 1]).any(), "vehicles 0, 1 are off duty after 11:00"
    in_break = req[(req["booking_time_s"] >= 9 * 3600.0) & (req["booking_time_s"] < 9.5 * 3600.0)]
    assert not in_break["vehicle"].isin([0, 1]).any()


def test_vehicles_return_to_depot_and_hours_count_on_duty(shifted):
    veh = shifted.vehicles
    assert (veh["final_node"] == veh["depot_node"]).all()
    assert veh["on_duty_h"].tolist() == [3.5, 3.5, 5.0, 5.0]
    kpi = shifted.summary()
    assert kpi["vehicle_hours"] == 17.0
    assert kpi["passengers_per_vehicle_hour"] == pytest.approx(kpi["passengers"] / 17.0)
    # off duty from 11:00, the early vehicles are home soon after their last drop-off
    ev = shifted.events
    early = ev[ev["vehicle"].isin([0, 1]) & (ev["kind"] == "pickup")]
    assert (early["time_s"] <= 11 * 3600.0 + 1800.0).all()


def test_no_window_means_no_vehicle(net):
    shifts = [{"vehicles": [0], "start_h": 12.0, "end_h": 14.0}]
    scn = Scenario().with_overrides({**BASE, "fleet.size": 1, "fleet.shifts": shifts})
    r = simulate(scn, seed=1, network=net)
    req = r.requests
    before = req[req["request_time_s"] < 12 * 3600.0]
    assert (before["status"] == "rejected").all()
    assert (before["reason"] == "no_vehicle_on_duty").all()
    assert (req.loc[req["request_time_s"] >= 12.5 * 3600.0, "status"] == "served").any()


def test_shifts_with_behaviour(net):
    scn = Scenario().with_overrides(
        {
            **BASE,
            "fleet.shifts": SHIFTS,
            "behaviour.enabled": True,
            "behaviour.retry_probability": 1,
        }
    )
    r = simulate(scn, seed=3, network=net)
    check_behaviour(r)
    check_shifts(r)


def test_shift_toml_round_trip():
    scn = Scenario().with_overrides({**BASE, "fleet.shifts": SHIFTS})
    assert isinstance(scn.fleet.shifts[0], ShiftConfig)
    back = Scenario.from_dict(tomllib.loads(scn.to_toml()))
    assert back.fleet.shifts == scn.fleet.shifts
    assert back.content_hash() == scn.content_hash()


@pytest.mark.parametrize(
    ("shifts", "match"),
    [
        ([{"vehicles": [0], "start_h": 9.0, "end_h": 8.0}], "start_h < end_h"),
        ([{"vehicles": [7], "start_h": 8.0, "end_h": 9.0}], "vehicle indices"),
        ([{"start_h": 8.0, "end_h": 12.0, "breaks": [[7.0, 9.0]]}], "inside the shift"),
        (
            [
                {"vehicles": [0], "start_h": 8.0, "end_h": 12.0},
                {"vehicles": [0], "start_h": 11.0, "end_h": 13.0},
            ],
            "overlapping",
        ),
        ([{"start_h": 8.0, "end_h": 12.0, "lunch": 1}], "unknown key"),
    ],
)
def test_bad_shifts_refused(shifts, match):
    with pytest.raises(ScenarioError, match=match):
        Scenario().with_overrides({**BASE, "fleet.shifts": shifts})


def test_shifts_refuse_moving_off_duty_vehicles():
    with pytest.raises(ScenarioError, match="off duty"):
        Scenario().with_overrides(
            {**BASE, "fleet.shifts": SHIFTS, "rebalancing.strategy": "min_cost_flow"}
        )


def test_default_unchanged_by_empty_shifts(net):
    a = simulate(Scenario().with_overrides(BASE), seed=1, network=net)
    assert "on_duty_h" not in a.vehicles.columns
    assert np.isclose(
        a.summary()["passengers_per_vehicle_hour"], a.summary()["passengers"] / (4 * 7.0)
    )
