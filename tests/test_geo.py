"""GIS layers of a run: places equal the network's, lines join up, files read back."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from idrt import geo
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate


@pytest.fixture(scope="module")
def run():
    scn = Scenario().with_overrides({"service.end_h": 9.0})
    net = build_network(scn)
    return simulate(scn, network=net), net


def test_clock():
    assert geo.clock([0, 3599.6, 7 * 3600 + 5, 25 * 3600]).tolist() == [
        "00:00:00", "01:00:00", "07:00:05", "25:00:00"]  # fmt: skip


def test_request_places_are_the_nodes_places(run):
    result, net = run
    table = geo.requests_table(result, net)
    i = net.index_of(table["destination_node"].to_numpy(np.int64))
    np.testing.assert_array_equal(table["destination_lon"], net.lon[i])
    np.testing.assert_array_equal(table["destination_lat"], net.lat[i])
    served = table["status"] == "served"
    assert table.loc[served, "pickup_lon"].notna().all()
    for t, text in zip(table["pickup_s"][served], table["pickup_clock"][served], strict=True):
        h, m, sec = (int(v) for v in text.split(":"))
        assert h * 3600 + m * 60 + sec == round(t)
    assert set(table["area"]) <= {"base", "outside"}


def test_layers_round_trip_and_trajectories_join(run, tmp_path):
    result, net = run
    files = geo.export(result, net, tmp_path, formats=("geojson", "parquet"))
    assert {f.name for f in files} >= {"trajectories.geojson", "intersections.parquet"}
    traj = gpd.read_file(tmp_path / "trajectories.geojson")
    assert traj.crs.to_epsg() == 4326 and (traj.geom_type == "LineString").all()
    # a vehicle's next leg starts where its last one ended
    for _, g in traj.sort_values(["vehicle", "depart_s"]).groupby("vehicle"):
        ends = np.array([c.coords[-1] for c in g.geometry[:-1]])
        starts = np.array([c.coords[0] for c in g.geometry[1:]])
        np.testing.assert_allclose(starts, ends, atol=1e-9)
    # line lengths in metres (projected) match the legs' km
    metres = traj.to_crs(net.crs).length.to_numpy()
    np.testing.assert_allclose(metres / 1000, traj["km"], rtol=0.02, atol=0.01)
    inter = gpd.read_parquet(tmp_path / "intersections.parquet")
    assert len(inter) == net.n_signals
    sig = net.signals.set_index("intersection_id")
    np.testing.assert_allclose(inter.geometry.x, sig.loc[inter["intersection_id"], "lon"])
    assert inter["passages"].sum() == len(result.signal_passages)
    areas = gpd.read_file(tmp_path / "areas.geojson")
    assert areas["area"].tolist() == ["base"]


def test_unknown_format_is_refused(run, tmp_path):
    result, net = run
    with pytest.raises(ValueError, match="geojson"):
        geo.export(result, net, tmp_path, formats=("shp",))
