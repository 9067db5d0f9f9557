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
