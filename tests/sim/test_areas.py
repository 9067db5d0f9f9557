"""KPIs by area add up to the whole run; requests land in the area they came from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from idrt.errors import IdrtWarning
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from idrt.sim.assembly import build_trips
from idrt.sim.trajectories import vehicle_legs

REPO = Path(__file__).resolve().parents[2]
SHORT = {"service.end_h": 10.0, "demand.trips_per_day": 400, "expansion.trips_per_day": 150}
ADDITIVE = ["requests", "served", "rejected", "passengers", "vehicle_km", "empty_km", "pax_km",
            "cost_per_day", "fare_revenue_per_day"]  # fmt: skip


@pytest.fixture(scope="module")
def expansion_run():
    path = REPO / "experiments" / "expansion_namdong_uncalibrated.toml"
    scn = Scenario.from_toml(path).with_overrides(SHORT)
    net = build_network(scn)
    return scn, net, simulate(scn, network=net)


def test_areas_add_up_to_the_whole(expansion_run):
    _scn, net, result = expansion_run
    table = result.summary(by="area", network=net)
    whole = result.summary()
    assert list(table.index[:2]) == ["expansion", "base"]
    whole["empty_km"] = result.vehicles["empty_km"].sum()
    whole["pax_km"] = result.vehicles["pax_km"].sum()
    for kpi in ADDITIVE:
        assert table[kpi].sum() == pytest.approx(whole[kpi], rel=1e-9), kpi
    assert (table["vehicle_km"] > 0).all()


def test_base_requests_are_the_run_without_the_expansion(expansion_run):
    # the expansion's demand comes from its own random stream: the base requests of a
    # seed are those of the same scenario without [expansion]
    scn, net, result = expansion_run
    plain = scn.with_overrides({"expansion.area": "", "expansion.fleet_size": 0})
    base_ids = set(build_trips(plain, net, scn.seed)["request_id"])
    table = result.summary(by="area", network=net)
    assert table.loc["base", "requests"] == len(base_ids)
    assert table.loc["expansion", "requests"] == len(result.requests) - len(base_ids)


def test_rebuilt_paths_match_the_simulated_km_without_traffic():
    scn = Scenario().with_overrides(
        {"service.end_h": 10.0, "traffic.signals": "none", "traffic.profile": ""}
    )
    net = build_network(scn)
    result = simulate(scn, network=net)
    legs = vehicle_legs(result.events, net)
    rebuilt = legs.groupby("vehicle")["km_rebuilt"].sum()
    np.testing.assert_allclose(rebuilt.to_numpy(), result.vehicles["km"].to_numpy(), rtol=1e-9)
    # consecutive legs of a vehicle join up
    for _, g in legs.groupby("vehicle"):
        assert (g["from_node"].to_numpy()[1:] == g["to_node"].to_numpy()[:-1]).all()


def test_zones_file_splits_by_its_polygons(expansion_run, tmp_path):
    _scn, net, result = expansion_run
    west, east = float(net.lon.min()) - 0.01, float(net.lon.max()) + 0.01
    south, north = float(net.lat.min()) - 0.01, float(net.lat.max()) + 0.01
    mid = float(np.median(net.lon))

    def box(x0, x1):
        return [[[x0, south], [x1, south], [x1, north], [x0, north], [x0, south]]]

    features = [
        {"type": "Feature", "properties": {"name": n},
         "geometry": {"type": "Polygon", "coordinates": box(a, b)}}
        for n, a, b in (("west", west, mid), ("east", mid, east))
    ]  # fmt: skip
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    table = result.summary(by="area", zones=path, network=net)
    assert set(table.index) == {"west", "east"}  # the boxes cover everything: no "outside"
    o = net.index_of(result.requests["origin_node"].to_numpy(np.int64))
    assert table.loc["west", "requests"] == int((net.lon[o] <= mid).sum())
    assert table["vehicle_km"].sum() == pytest.approx(result.summary()["vehicle_km"])


def test_without_events_km_by_area_is_nan_with_a_warning():
    scn = Scenario().with_overrides(
        {"service.end_h": 9.0, "output.events": False, "traffic.signals": "none",
         "traffic.profile": ""}
    )  # fmt: skip
    result = simulate(scn)
    with pytest.warns(IdrtWarning, match="output.events"):
        table = result.summary(by="area")
    assert np.isnan(table["vehicle_km"]).all()
    assert table["requests"].sum() == len(result.requests)


def test_headline_summary_carries_area_kpis_with_an_expansion(expansion_run):
    _scn, net, result = expansion_run
    whole = result.summary()
    table = result.summary(by="area", network=net)
    for area in ("base", "expansion"):
        for kpi in ("requests", "served_share", "wait_p95_s", "passengers"):
            assert whole[f"{area}_{kpi}"] == pytest.approx(table.loc[area, kpi]), (area, kpi)
    plain = Scenario().with_overrides(
        {"service.end_h": 8.0, "traffic.signals": "none", "traffic.profile": ""}
    )
    assert not any(k.startswith("base_") for k in simulate(plain).summary().index)
