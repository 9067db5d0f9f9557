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
