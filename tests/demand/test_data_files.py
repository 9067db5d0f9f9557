"""The named data in demand/ agrees with the synthetic island it is drawn on."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import idrt.demand as dm
from idrt.network.synthetic import CRS, island_districts, island_landmarks
from tests.demand.conftest import DEMAND_DIR


def district(name):
    return dm.ServiceArea.from_polygon(island_districts()[name], crs=CRS, name=name)


def test_default_area_covers_new_town_airport_ferry_and_rail(yeongjong, yj_area):
    nodes = set(yj_area.nodes(yeongjong).tolist())
    for name in ("new_town", "airport"):
        assert set(district(name).nodes(yeongjong).tolist()) <= nodes
    for name in ("ferry_terminal", "rail_station", "airport_terminal", "new_town_centre"):
        x, y = island_landmarks()[name]
        node = yeongjong.nearest_node(x, y, projected=True)
        assert node in nodes, name
    for name in ("industrial_estate", "old_town"):  # the expansion areas are not served yet
        assert not set(district(name).nodes(yeongjong).tolist()) & nodes
    assert 10 < yj_area.area_km2 < 14


def test_expansion_areas_and_attractors(yeongjong):
    for key, stem in (("industrial_estate", "industrial"), ("old_town", "oldtown")):
        area = dm.ServiceArea.from_geojson(DEMAND_DIR / f"expansion_{stem}.geojson")
        assert area.name == key
        diff = area.projected(CRS).symmetric_difference(shapely.Polygon(island_districts()[key]))
        assert diff.area < 50.0  # m²: the 1 cm rounding of the stored coordinates
        attractors = dm.load_attractors(DEMAND_DIR / f"expansion_{stem}_attractors.toml")
        w = attractors.node_weights(yeongjong, np.flatnonzero(area.node_mask(yeongjong)))
        assert w.sum() == pytest.approx(1.0)


def test_default_demand_on_the_island(yeongjong, yj_area):
    attractors = dm.load_attractors(DEMAND_DIR / "yeongjong_attractors.toml")
    assert attractors.names == [
        "new_town_centre",
        "airport_terminal",
        "rail_station",
        "ferry_terminal",
    ]
    demand = dm.poisson(
        yeongjong,
        yj_area,
        3000,
        profile=DEMAND_DIR / "profiles/weekday.csv",
        attractors=attractors,
        gravity_beta_per_s=1 / 600,
        prebooked_share=0.1,
        service_hours=(5, 24),
        seed=7,
    )
    demand.check(yeongjong, area=yj_area)
    zones = {k: district(k) for k in ("new_town", "airport")}
    by_zone = demand.by_zone(zones)
    assert by_zone.loc["airport", "origins"] > 0.08 * len(demand)  # the terminal draws trips
    hours = demand.by_hour()["requests"]
    assert hours[8] > 1.5 * hours[12] and hours[17] > 1.5 * hours[12]


def test_transit_stops_sit_on_arterials_and_leave_gaps(yeongjong, yj_area):
    stops = dm.read_gtfs_stops(DEMAND_DIR / "yeongjong_transit_stops.csv")
    assert len(stops) >= 20 and stops["stop_id"].is_unique
    _, snap = yeongjong.nearest_node(stops["lon"], stops["lat"], return_dist=True)
    assert snap.max() < 1.0
    for stem, low in (("industrial", 0.5), ("oldtown", 0.5)):
        area = dm.ServiceArea.from_geojson(DEMAND_DIR / f"expansion_{stem}.geojson")
        gaps = dm.underserved(
            yeongjong, area, DEMAND_DIR / "yeongjong_transit_stops.csv", max_walk_m=500
        )
        assert gaps.share > low, stem
    gaps = dm.underserved(yeongjong, yj_area, DEMAND_DIR / "yeongjong_transit_stops.csv")
    assert 0.2 < gaps.share < 0.8  # residential blocks away from the arterials
