"""``[expansion]``: demand of a new area added to the base, extra vehicles, union area."""

from __future__ import annotations

import numpy as np
import pytest

import idrt
from idrt.errors import ScenarioError
from idrt.sim.assembly import build_trips, depot_nodes, service_area

EXPANSION = {
    "expansion.area": "demand/expansion_industrial.geojson",
    "expansion.attractors": "demand/expansion_industrial_attractors.toml",
    "expansion.trips_per_day": 80,
    "expansion.fleet_size": 3,
}


@pytest.fixture(scope="module")
def expanded(tiny):
    return tiny.with_overrides(EXPANSION)


def test_expansion_demand_is_added_with_unique_ids(tiny, expanded, yeongjong):
    base = build_trips(tiny, yeongjong, 4)
    both = build_trips(expanded, yeongjong, 4)
    assert both["request_id"].is_unique
    extra = both[both["request_id"] >= len(base)]
    assert len(extra) > 20
    # the base requests of a seed are unchanged by the expansion
    kept = both[both["request_id"] < len(base)].sort_values("request_id").reset_index(drop=True)
    assert kept[base.columns].equals(base.sort_values("request_id").reset_index(drop=True))
    # the new requests start and end in the new area
    area = idrt.ServiceArea.from_geojson("demand/expansion_industrial.geojson")
    assert area.contains(extra["origin_lon"], extra["origin_lat"]).all()
    assert area.contains(extra["destination_lon"], extra["destination_lat"]).all()
    # demand.scale scales the new area's demand too
    scaled = build_trips(expanded.with_overrides({"demand.scale": 2.0}), yeongjong, 4)
    assert len(scaled) > 1.5 * len(both)
    # sorted as the simulator reads them
    assert np.all(np.diff(both["booking_time_s"].to_numpy()) >= 0)


def test_expansion_vehicles_start_at_their_depots(tiny, expanded, yeongjong):
    base = depot_nodes(tiny, yeongjong)
    nodes = depot_nodes(expanded, yeongjong)
    assert len(nodes) == tiny.fleet.size + 3
    assert np.array_equal(nodes[: tiny.fleet.size], base)
    assert set(nodes[tiny.fleet.size :]) == {base[0]}  # no expansion depots: the base ones
    own = expanded.with_overrides({"expansion.depots": [[126.5603417, 37.4960407]]})
    centre = yeongjong.index_of(yeongjong.nearest_node(126.5603417, 37.4960407))
    assert set(depot_nodes(own, yeongjong)[tiny.fleet.size :]) == {centre}
    with pytest.raises(ScenarioError, match=r"expansion\.depots"):
        depot_nodes(expanded.with_overrides({"expansion.depots": ["depot"]}), yeongjong)


def test_service_area_is_the_union(tiny, expanded, yeongjong):
    base = service_area(tiny, yeongjong)
    union = service_area(expanded, yeongjong)
    assert union.area_km2 == pytest.approx(base.area_km2 + 1.7, abs=0.2)


def test_simulated_fleet_includes_the_extra_vehicles(expanded, yeongjong):
    result = idrt.simulate(expanded, 2, network=yeongjong)
    summary = result.summary()
    assert summary["fleet_size"] == expanded.fleet.size + 3
    assert summary["requests"] == len(build_trips(expanded, yeongjong, 2))


def test_no_expansion_without_an_area(tiny, yeongjong):
    inert = tiny.with_overrides({"expansion.trips_per_day": 80, "expansion.fleet_size": 3})
    assert len(depot_nodes(inert, yeongjong)) == tiny.fleet.size
    assert build_trips(inert, yeongjong, 1).equals(build_trips(tiny, yeongjong, 1))


# ----------------------------------------------- extra vehicles of a fleet in shifts
SHIFTED = {
    "fleet.size": 2,
    "fleet.shifts": [{"vehicles": [0, 1], "start_h": 7.0, "end_h": 10.0}],
    "expansion.shifts": [{"start_h": 8.0, "end_h": 10.0, "breaks": [[8.5, 9.0]]}],
}


def test_extra_vehicles_work_their_own_shifts(expanded, yeongjong):
    from idrt.sim.shifts import duty_windows

    scn = expanded.with_overrides(SHIFTED)
    h = 3600.0
    windows = duty_windows(scn, 2 + 3)
    assert windows[:2] == [[(7 * h, 10 * h)]] * 2
    assert windows[2:] == [[(8 * h, 8.5 * h), (9 * h, 10 * h)]] * 3  # every extra vehicle
    # the same entries hold for whatever size a fleet sizing tries
    assert duty_windows(scn.with_overrides({"expansion.fleet_size": 5}), 7)[6] == windows[2]
    # an explicit index counts from the first extra vehicle
    split = [
        {"vehicles": [1], "start_h": 8.0, "end_h": 9.0},
        {"vehicles": [0, 2], "start_h": 9.0, "end_h": 10.0},
    ]
    one = scn.with_overrides({"expansion.shifts": split})
    assert duty_windows(one, 5)[2:] == [[(9 * h, 10 * h)], [(8 * h, 9 * h)], [(9 * h, 10 * h)]]
    result = idrt.simulate(scn, 2, network=yeongjong)
    veh = result.vehicles
    assert veh["on_duty_h"].tolist() == [3.0, 3.0, 1.5, 1.5, 1.5]
    req = result.requests
    early = req[(req["booking_time_s"] < 8 * h) & req["vehicle"].notna()]
    assert len(early) and early["vehicle"].lt(2).all(), "extra vehicles are off duty before 8:00"
    in_break = req[req["booking_time_s"].between(8.5 * h, 9 * h - 1)]
    assert not in_break["vehicle"].isin([2, 3, 4]).any()
    assert (req.loc[req["booking_time_s"] >= 9 * h, "vehicle"] >= 2).any()


def test_extra_vehicles_in_no_shift_are_refused(expanded):
    idle = r"vehicles \[2, 3, 4\] are in no shift.*expansion\.shifts"
    with pytest.raises(ScenarioError, match=idle):
        expanded.with_overrides({**SHIFTED, "expansion.shifts": []})
    # a fleet-wide shift (no `vehicles`) covers the extra vehicles too
    fleet_wide = {**SHIFTED, "fleet.shifts": [{"start_h": 7.0, "end_h": 10.0}]}
    expanded.with_overrides({**fleet_wide, "expansion.shifts": []})
    with pytest.raises(ScenarioError, match="overlapping"):
        expanded.with_overrides(fleet_wide)  # both entries give the extra vehicles 8-10 h
    bad_index = r"expansion\.shifts\[0\]\.vehicles = \[3\].*first extra"
    with pytest.raises(ScenarioError, match=bad_index):
        expanded.with_overrides(
            {**SHIFTED, "expansion.shifts": [{"vehicles": [3], "start_h": 8.0, "end_h": 9.0}]}
        )
    with pytest.raises(ScenarioError, match=r"expansion\.shifts without fleet\.shifts"):
        expanded.with_overrides({"expansion.shifts": SHIFTED["expansion.shifts"]})


def test_sizing_a_shifted_fleet_adds_working_buses(tiny, yeongjong):
    """Expansion-mode sizing of a fleet on shifts: every size tried puts its extra buses on duty."""
    scn = tiny.with_overrides(
        {
            "demand.trips_per_day": 60,
            "expansion.area": "demand/expansion_oldtown.geojson",
            "expansion.attractors": "demand/expansion_oldtown_attractors.toml",
            "expansion.trips_per_day": 150,
            "expansion.fleet_size": 0,
            "fleet.size": 2,
            # shifts run past the service's end (10:00) so that late riders can be finished
            "fleet.shifts": [{"vehicles": [0, 1], "start_h": 7.0, "end_h": 11.0}],
            "expansion.shifts": [{"start_h": 7.0, "end_h": 11.0, "breaks": [[10.5, 10.75]]}],
        }
    )
    report = idrt.size_fleet(
        scn, {"reject_share": 0.05}, seeds=5, max_size=8, workers=0, network=yeongjong,
        progress=False,
    )  # fmt: skip
    assert report.met and report.size >= 1
    runs = report.runs
    assert (runs["vehicle_hours"] == 2 * 4.0 + 3.75 * runs["expansion.fleet_size"]).all()
    cand = report.candidates.set_index("size")
    assert cand.loc[report.size, "meets"] and not cand.loc[report.size - 1, "meets"]
