"""Underserved cells and nodes: exactly those beyond the walk, by brute force."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import idrt
import idrt.demand as dm
from tests.demand.test_stops import walking_nx


@pytest.fixture(scope="module")
def district(nootdorp):
    lo_lon, hi_lon = np.quantile(nootdorp.lon, [0.05, 0.95])
    lo_lat, hi_lat = np.quantile(nootdorp.lat, [0.05, 0.95])
    return dm.ServiceArea.from_bbox(lo_lon, lo_lat, hi_lon, hi_lat, name="Nootdorp")


@pytest.fixture(scope="module")
def transit_stops(nootdorp):
    """Six stops a few metres off random nodes (one outside the district)."""
    rng = np.random.default_rng(3)
    idx = rng.choice(nootdorp.n_nodes, 6, replace=False)
    return pd.DataFrame(
        {
            "stop_id": [f"s{k}" for k in range(6)],
            "lon": nootdorp.lon[idx] + rng.normal(0, 1e-4, 6),
            "lat": nootdorp.lat[idx] + rng.normal(0, 1e-4, 6),
        }
    )


def brute_force(net, stops, cells, inside, metric):
    """Distances of cell centres and district nodes to the nearest stop."""
    sx, sy = net.project(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    cx, cy = cells["x_m"].to_numpy(), cells["y_m"].to_numpy()
    nx_, ny_ = net.x_m[inside], net.y_m[inside]
    if metric == "straight":
        cell = np.hypot(cx[:, None] - sx[None, :], cy[:, None] - sy[None, :]).min(axis=1)
        node = np.hypot(nx_[:, None] - sx[None, :], ny_[:, None] - sy[None, :]).min(axis=1)
        return cell, node
    G = walking_nx(net)
    best = dict.fromkeys(net.node_ids.tolist(), np.inf)
    for x, y in zip(sx, sy, strict=True):
        d = np.hypot(net.x_m - x, net.y_m - y)
        start = int(net.node_ids[d.argmin()])
        for n, w in nx.single_source_dijkstra_path_length(G, start, weight="length").items():
            best[n] = min(best[n], d.min() + w)
    d = np.hypot(cx[:, None] - net.x_m[None, :], cy[:, None] - net.y_m[None, :])
    cell = d.min(axis=1) + np.array([best[int(n)] for n in net.node_ids[d.argmin(axis=1)]])
    node = np.array([best[int(n)] for n in net.node_ids[inside]])
    return cell, node


@pytest.mark.parametrize("metric", ["straight", "network"])
def test_cells_and_nodes_beyond_the_walk(nootdorp, district, transit_stops, metric):
    gaps = dm.underserved(
        nootdorp, district, transit_stops, max_walk_m=400, cell_m=200, metric=metric
    )
    cells = gaps.cells
    inside = np.flatnonzero(district.node_mask(nootdorp))
    cell_d, node_d = brute_force(nootdorp, transit_stops, cells, inside, metric)
    np.testing.assert_allclose(cells["dist_m"], cell_d, rtol=1e-9)
    np.testing.assert_array_equal(cells["underserved"], cell_d > 400)
    np.testing.assert_allclose(gaps.node_table["dist_m"], node_d, rtol=1e-9)
    assert set(gaps.nodes.tolist()) == set(nootdorp.node_ids[inside][node_d > 400].tolist())
    assert 0 < cells["underserved"].sum() < len(cells)
    # cells tile the district exactly; the grid is aligned to multiples of cell_m
    assert gaps.total_km2 == pytest.approx(district.projected(nootdorp.crs).area / 1e6, rel=1e-9)
    assert np.all((cells["x_m"] - 100) % 200 == 0)
    assert gaps.underserved_km2 == pytest.approx(cells.loc[cells["underserved"], "area_km2"].sum())
    assert gaps.cells.columns.tolist() == [
        "cell_id",
        "ix",
        "iy",
        "x_m",
        "y_m",
        "lon",
        "lat",
        "area_km2",
        "dist_m",
        "underserved",
    ]


def test_underserved_area_feeds_the_generator(tmp_path, nootdorp, district, transit_stops):
    transit_stops.to_csv(tmp_path / "stops.csv", index=False)
    gaps = dm.underserved(nootdorp, district, tmp_path / "stops.csv", max_walk_m=400, cell_m=200)
    same = dm.underserved(nootdorp, district, transit_stops, max_walk_m=400, cell_m=200)
    pd.testing.assert_frame_equal(gaps.cells, same.cells)
    area = gaps.area
    assert isinstance(area, dm.ServiceArea)
    assert area.area_km2 == pytest.approx(gaps.underserved_km2, rel=1e-3)
    served = gaps.cells[~gaps.cells["underserved"]]
    assert not area.contains(served["lon"], served["lat"]).any()
    demand = dm.poisson(nootdorp, area, 300, seed=1)
    assert area.contains(demand.trips["origin_lon"], demand.trips["origin_lat"]).all()
    assert "km²" in gaps.summary()


def test_no_gap_and_bad_input(nootdorp, district, transit_stops):
    gaps = dm.underserved(nootdorp, district, transit_stops, max_walk_m=50_000)
    assert gaps.underserved_km2 == 0 and gaps.nodes.size == 0
    with pytest.raises(idrt.DemandError, match="nothing to expand into"):
        _ = gaps.area
    with pytest.raises(idrt.DemandError, match="metric must be"):
        dm.underserved(nootdorp, district, transit_stops, metric="manhattan")
    with pytest.raises(idrt.DemandError, match="needs lon and lat"):
        dm.underserved(nootdorp, district, pd.DataFrame({"x": [1.0]}))
    none = dm.underserved(nootdorp, district, pd.DataFrame({"lon": [], "lat": []}))
    assert none.cells["underserved"].all() and np.isinf(none.cells["dist_m"]).all()


# ------------------------------------------------------------------ people
@pytest.fixture(scope="module")
def island():
    return idrt.load_network("yeongjong")


@pytest.fixture(scope="module")
def island_area():
    from pathlib import Path

    return dm.ServiceArea.from_geojson(
        Path(__file__).resolve().parents[2] / "demand" / "yeongjong_area.geojson"
    )


def _zones(area, people=(1000.0, 3000.0)):
    """Two boxes: the west half of the area's bounding box and a box beyond the east edge."""
    import geopandas as gpd
    from shapely.geometry import box

    w, s, e, n = area.bounds
    mid = (w + e) / 2
    return gpd.GeoDataFrame(
        {"name": ["west", "east"], "population": list(people)},
        geometry=[box(w - 0.01, s - 0.01, mid, n + 0.01), box(mid, s, e + 0.05, n)],
        crs="EPSG:4326",
    )


def test_people_are_spread_by_area_and_add_up(island, island_area):
    import shapely

    zones = _zones(island_area)
    stops = "demand/yeongjong_transit_stops.csv"
    gaps = dm.underserved(island, island_area, stops, max_walk_m=400, population=zones)
    # independent: each zone's people x (its area inside the district / its area)
    district = island_area.projected(island.crs)
    projected = zones.to_crs(island.crs)
    inside = [
        p * shapely.intersection(g, district).area / g.area
        for p, g in zip(projected["population"], projected.geometry, strict=True)
    ]
    assert gaps.total_people == pytest.approx(sum(inside), rel=1e-9)
    by_zone = gaps.people_by_zone()
    assert by_zone.loc["west", "people"] == pytest.approx(inside[0], rel=1e-9)
    assert by_zone["underserved_people"].sum() == pytest.approx(gaps.underserved_people)
    cells = gaps.cells
    assert gaps.underserved_people == pytest.approx(cells.loc[cells["underserved"], "people"].sum())
    assert 0 < gaps.underserved_people < gaps.total_people
    assert "people" in gaps.summary() and f"{gaps.underserved_people:,.0f}" in gaps.summary()


def test_points_csv_puts_people_in_their_cell(island, island_area, tmp_path):
    cells = dm.underserved(island, island_area, "demand/yeongjong_transit_stops.csv").cells
    pick = cells.iloc[[0, len(cells) // 2]]
    path = tmp_path / "pop.csv"
    pd.DataFrame({"lon": [*pick["lon"], 0.0], "lat": [*pick["lat"], 0.0],
                  "people": [10, 20, 99]}).to_csv(path, index=False)  # fmt: skip
    gaps = dm.underserved(island, island_area, "demand/yeongjong_transit_stops.csv",
                          population=path)  # fmt: skip
    got = gaps.cells.set_index("cell_id")["people"]
    assert got.loc[pick["cell_id"].iloc[0]] == 10 and got.loc[pick["cell_id"].iloc[1]] == 20
    assert gaps.total_people == 30  # the point at (0, 0) is outside the district
    with pytest.raises(idrt.DemandError, match="people column"):
        dm.underserved(island, island_area, "demand/yeongjong_transit_stops.csv",
                       population=pd.DataFrame({"lon": [1.0], "lat": [1.0], "n": [1]}))  # fmt: skip


def test_accessibility_times_against_networkx(island, island_area, tmp_path):
    from idrt.demand.accessibility import accessibility

    stops = "demand/yeongjong_transit_stops.csv"
    cells = dm.underserved(island, island_area, stops).cells
    c = cells.iloc[len(cells) // 3]
    path = tmp_path / "pop.csv"
    pd.DataFrame({"lon": [c["lon"]], "lat": [c["lat"]], "people": [100]}).to_csv(path)
    gaps = dm.underserved(island, island_area, stops, population=path)
    dest = (float(island.lon[0]), float(island.lat[0]))
    # independent road time with networkx on the network's graph
    src = island.nearest_node(c["x_m"], c["y_m"], projected=True)
    dst = island.nearest_node(*dest)
    road = nx.shortest_path_length(island.graph, src, dst, weight="travel_time")
    table = accessibility(island, gaps, {"hospital": dest}, minutes=60, drt_wait_s=600,
                          drt_ride_factor=1.5, transit_wait_s=1800, transit_ride_factor=1.0,
                          max_transit_walk_m=1e9)  # fmt: skip
    row = table.iloc[0]
    assert row["people"] == 100
    assert row["drt_min"] == pytest.approx((600 + 1.5 * road) / 60, rel=1e-6)
    transit = c["dist_m"] / 1.2 + 1800 + road  # no stops given: no walk at the far end
    assert row["transit_min"] == pytest.approx(transit / 60, rel=1e-6)
    # the share flips exactly at the budget
    for minutes, share in ((row["drt_min"] + 0.01, 1.0), (row["drt_min"] - 0.01, 0.0)):
        t = accessibility(island, gaps, {"hospital": dest}, minutes=minutes, drt_wait_s=600,
                          drt_ride_factor=1.5)  # fmt: skip
        assert t["drt_share"].iloc[0] == share
    with pytest.raises(idrt.DemandError, match="population"):
        accessibility(island, dm.underserved(island, island_area, stops), {"h": dest},
                      drt_wait_s=600)  # fmt: skip
