"""The Korean standard node-link network: a small extract in the real schema and CRS.

The tests write the shapefiles themselves (``MOCT_LINK``, ``MOCT_NODE``,
``TURNINFO``; EPSG:5186, CP949 attributes, Korean road names), load them
through :func:`idrt.load_network` and check routing against networkx on the
same links with speeds worked out by hand.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

import idrt
from idrt.errors import IdrtWarning, NetworkError
from idrt.network.nodelink import read_nodelink
from idrt.scenario import Scenario
from idrt.sim import simulate

N = 5
STEP_M = 400.0
X0, Y0 = 166_000.0, 541_000.0  # near Unseo-dong, Incheon, in EPSG:5186
SPEED = {104: 60.0, 107: 0.0, 108: 0.0}  # MAX_SPD as published: 0 where none is posted
CLASS_KMH = {104: 60.0, 107: 50.0, 108: 30.0}  # posted, else tertiary 50 / residential 30


def _nid(i, j, region="161"):
    return f"{region}{i:03d}{j:04d}"


def _write_extract(folder, *, with_seoul=True, cpg=False):
    nodes, links = [], []
    for i, j in itertools.product(range(N), range(N)):
        nodes.append((_nid(i, j), 101 if 0 < i < N - 1 and 0 < j < N - 1 else 102,
                      f"교차로{i}{j}", Point(X0 + STEP_M * i, Y0 + STEP_M * j)))  # fmt: skip
    link_id = 0

    def add(a, b, rank, lanes, name, length):
        nonlocal link_id
        pa = next(n[3] for n in nodes if n[0] == a)
        pb = next(n[3] for n in nodes if n[0] == b)
        for f, t, pf, pt in ((a, b, pa, pb), (b, a, pb, pa)):  # two directed links
            link_id += 1
            links.append({
                "LINK_ID": f"{f[:3]}{link_id:07d}", "F_NODE": f, "T_NODE": t, "LANES": lanes,
                "ROAD_RANK": str(rank), "ROAD_TYPE": "000", "ROAD_NAME": name,
                "MAX_SPD": SPEED[rank], "LENGTH": length, "geometry": LineString([pf, pt]),
            })  # fmt: skip

    for i, j in itertools.product(range(N), range(N)):
        if i + 1 < N:  # east-west: the middle row is a 4-lane avenue
            rank, lanes, name = (104, 4, "영종대로") if j == 2 else (107, 1, "운서로")
            add(_nid(i, j), _nid(i + 1, j), rank, lanes, name, STEP_M * (1.0 + 0.01 * j))
        if j + 1 < N:
            rank = 108 if i in (0, N - 1) else 107
            add(_nid(i, j), _nid(i, j + 1), rank, 1, "골목길", STEP_M * 1.05)
    if with_seoul:  # a road into another region, dropped by the region filter
        nodes.append((_nid(0, 0, "101"), 102, "서울", Point(X0 - 3000.0, Y0)))
        add(_nid(0, 0), _nid(0, 0, "101"), 104, 2, "경인로", 3000.0)
    folder.mkdir(parents=True, exist_ok=True)
    node_frame = gpd.GeoDataFrame(
        pd.DataFrame(nodes[:], columns=["NODE_ID", "NODE_TYPE", "NODE_NAME", "geometry"]),
        geometry="geometry", crs="EPSG:5186",
    )  # fmt: skip
    node_frame["TURN_P"] = "0"
    node_frame.to_file(folder / "MOCT_NODE.shp", encoding="cp949", engine="pyogrio")
    link_frame = gpd.GeoDataFrame(pd.DataFrame(links), geometry="geometry", crs="EPSG:5186")
    link_frame.to_file(folder / "MOCT_LINK.shp", encoding="cp949", engine="pyogrio")
    turns = pd.DataFrame({"NODE_ID": [_nid(2, 2)], "TURN_ID": ["1"], "ST_LINK": ["1610000001"],
                          "ED_LINK": ["1610000003"], "TURN_TYPE": ["003"]})  # fmt: skip
    turns.to_csv(folder / "TURNINFO.csv", index=False)
    if not cpg:
        for p in folder.glob("*.cpg"):
            p.unlink()  # the published archives ship no .cpg: CP949 is detected
    return link_frame


def _truth(links: pd.DataFrame) -> nx.DiGraph:
    G = nx.DiGraph()
    for r in links.itertuples(index=False):
        if not (r.F_NODE.startswith("161") and r.T_NODE.startswith("161")):
            continue
        kmh = r.MAX_SPD if r.MAX_SPD > 0 else CLASS_KMH[int(r.ROAD_RANK)]
        G.add_edge(int(r.F_NODE), int(r.T_NODE), t=r.LENGTH / (kmh / 3.6))
    return G


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nodelink") / "incheon_nodelink"
    links = _write_extract(folder)
    return folder, links


def test_loads_and_routes_like_networkx(extract):
    folder, links = extract
    with pytest.warns(IdrtWarning, match="1 turn restrictions .* ignored"):
        net = idrt.load_network(folder / "MOCT_LINK.shp", region="161")
    truth = _truth(links)
    assert net.n_nodes == N * N
    assert net.n_edges == truth.number_of_edges()
    ids = [int(_nid(i, j)) for i, j in [(0, 0), (4, 4), (2, 1), (0, 4), (3, 2), (1, 3)]]
    for a, b in itertools.permutations(ids, 2):
        expected = nx.shortest_path_length(truth, a, b, weight="t")
        assert net.travel_time_s(a, b) == pytest.approx(expected, rel=1e-9), (a, b)


def test_speeds_lanes_classes_and_signal_candidates(extract):
    folder, _ = extract
    with pytest.warns(IdrtWarning):
        net = idrt.load_network(folder, region=["161"])
    edges = net.edges()
    avenue = edges[edges["speed_kmh"] == 60.0]
    assert len(avenue) == 2 * (N - 1)  # the posted 60 km/h avenue, both directions
    assert set(avenue["lanes"]) == {4}
    assert set(edges["speed_kmh"]) == {60.0, 50.0, 30.0}  # posted, tertiary, residential
    # signal candidates: inner intersections (type 101) on the 4-lane avenue
    assert net.n_signals == N - 2
    nodes = {n for ids in net.signals["node_ids"] for n in ids}
    assert nodes == {int(_nid(i, 2)) for i in range(1, N - 1)}
    assert set(edges["road_class"]) == {"primary", "tertiary", "residential"}


def test_without_region_filter_the_other_region_is_kept(extract):
    folder, _ = extract
    G = read_nodelink(folder)
    assert int(_nid(0, 0, "101")) in G
    assert G.graph["crs"].upper().endswith("5186")
    names = {d.get("name") for _, _, d in G.edges(data=True)}
    assert "영종대로" in names  # CP949 attributes decoded


def test_polygon_filter(extract):
    folder, _ = extract
    G = read_nodelink(folder, polygon=box(125.0, 36.0, 130.0, 39.0))
    assert len(G) == N * N + 1
    with pytest.raises(NetworkError, match="polygon"):
        read_nodelink(folder, polygon=box(0.0, 0.0, 1.0, 1.0))


def test_clear_errors(tmp_path, extract):
    folder, _ = extract
    with pytest.raises(NetworkError, match="region"):
        read_nodelink(folder, region="999")
    with pytest.raises(NetworkError, match="MOCT_LINK"):
        read_nodelink(tmp_path)
    with pytest.raises(NetworkError, match="node-link sources only"):
        idrt.load_network("yeongjong", region="161")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "MOCT_LINK.shp").write_bytes(b"not a shapefile")
    with pytest.raises(NetworkError, match="cannot read"):
        read_nodelink(broken)


def test_a_scenario_runs_on_the_extract(extract, tmp_path):
    folder, _ = extract
    scn = Scenario().with_overrides(
        {
            "network.source": str(folder),
            "network.region": ["161"],
            "demand.area": "",
            "demand.attractors": "",
            "demand.trips_per_day": 150,
            "fleet.size": 2,
            "fleet.depots": [int(_nid(2, 2))],
        }
    )
    with pytest.warns(IdrtWarning, match="turn restrictions"):
        result = simulate(scn, seed=1)
    k = result.summary()
    assert k["requests"] > 50 and k["served"] > 0
    assert math.isfinite(k["vehicle_km"]) and k["vehicle_km"] > 0
    served = result.requests[result.requests["status"] == "served"]
    assert np.all(served["dropoff_s"] > served["pickup_s"])
