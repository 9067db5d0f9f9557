"""The embedded synthetic networks: contract, determinism, shape and spec loading."""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import tomllib
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from pyproj import Transformer

from idrt.errors import NetworkError
from idrt.network.synthetic import (
    CRS,
    IslandSpec,
    city,
    island,
    island_districts,
    island_landmarks,
)

PRESET = Path(__file__).resolve().parents[2] / "networks" / "yeongjong.toml"
OSM_CLASSES = {
    "motorway", "trunk", "primary", "secondary", "tertiary", "residential",
    "living_street", "service", "motorway_link", "trunk_link", "primary_link",
    "secondary_link", "tertiary_link",
}  # fmt: skip
YEONGJONG_BBOX = (126.35, 37.40, 126.62, 37.56)  # lon/lat degrees: W, S, E, N


@pytest.fixture(scope="module")
def G():
    return island()


def _xy(G):
    return np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)])


def _to_lonlat(x, y):
    return Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)


def _check_contract(G):
    """Assert the osmnx-style output contract shared by island() and city()."""
    assert G.graph["crs"] == "EPSG:32652"
    assert isinstance(G, nx.MultiDiGraph)
    assert list(G.nodes) == list(range(1, G.number_of_nodes() + 1))
    for _, d in G.nodes(data=True):
        assert type(d["x"]) is float and type(d["y"]) is float
        assert d.get("highway", "traffic_signals") == "traffic_signals"
    assert nx.number_of_selfloops(G) == 0
    for u, v, k, d in G.edges(keys=True, data=True):
        assert k == 0
        assert type(d["length"]) is float and d["length"] > 0
        assert d["highway"] in OSM_CLASSES
        assert type(d["lanes"]) is int and d["lanes"] >= 1
        assert type(d["name"]) is str and d["name"]
        assert type(d["oneway"]) is bool
        euclid = math.dist((G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"]))
        assert d["length"] == pytest.approx(euclid, abs=1e-2)
        back = G.get_edge_data(v, u, 0)
        if d["oneway"]:
            assert back is None, f"one-way edge {u}->{v} has a reverse edge"
        else:
            assert back == d, f"two-way edge {u}->{v} lacks an identical reverse edge"
        if "maxspeed" in d:
            assert isinstance(d["maxspeed"], str) and d["maxspeed"].isdigit()
    assert nx.is_strongly_connected(G)


# --------------------------------------------------------------------------- island


def test_island_contract(G):
    _check_contract(G)


def test_island_is_deterministic(G):
    H = island()
    assert nx.utils.graphs_equal(G, H)
    assert list(G.nodes(data=True)) == list(H.nodes(data=True))
    assert list(G.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))


def test_another_seed_gives_another_island(G):
    H = island(IslandSpec(seed=7))
    assert not nx.utils.graphs_equal(G, H)


def test_island_size_and_area(G):
    assert 2_000 <= G.number_of_nodes() <= 5_000
    xy = _xy(G)
    area_km2 = np.prod(xy.max(axis=0) - xy.min(axis=0)) / 1e6
    assert 20.0 <= area_km2 <= 50.0


def test_island_signal_count_is_realistic(G):
    n = sum(d.get("highway") == "traffic_signals" for _, d in G.nodes(data=True))
    assert 30 <= n <= 80
    # signals sit on arterials
    for s, d in G.nodes(data=True):
        if d.get("highway") == "traffic_signals":
            classes = {e["highway"] for *_, e in G.edges(s, data=True)}
            assert classes & {"primary", "secondary", "tertiary"}


def test_island_has_a_realistic_mix_of_roads(G):
    classes = {d["highway"] for *_, d in G.edges(data=True)}
    for hw in ("motorway", "motorway_link", "trunk", "primary", "secondary", "tertiary",
               "residential", "living_street", "service"):  # fmt: skip
        assert hw in classes
    # posted speeds only on the causeway and the expressway
    posted = {d["highway"] for *_, d in G.edges(data=True) if "maxspeed" in d}
    assert posted == {"trunk", "motorway"}
    # dead ends: cul-de-sacs and spurs
    dead_ends = sum(len(set(G.successors(n))) == 1 for n in G)
    assert dead_ends >= 100
    # the arterials carry 4 lanes
    assert {d["lanes"] for *_, d in G.edges(data=True) if d["highway"] == "secondary"} >= {4}


def test_island_has_a_one_way_pair(G):
    """Two parallel one-way streets close together, in opposite directions."""
    ways = [
        (u, v)
        for u, v, d in G.edges(data=True)
        if d["oneway"] and d["highway"] not in ("motorway", "motorway_link")
    ]
    vec = {e: np.array([G.nodes[e[1]]["x"] - G.nodes[e[0]]["x"],
                        G.nodes[e[1]]["y"] - G.nodes[e[0]]["y"]]) for e in ways}  # fmt: skip
    mid = {e: np.array([(G.nodes[e[0]]["x"] + G.nodes[e[1]]["x"]) / 2,
                        (G.nodes[e[0]]["y"] + G.nodes[e[1]]["y"]) / 2]) for e in ways}  # fmt: skip
    pairs = 0
    for a in ways:
        for b in ways:
            cos = vec[a] @ vec[b] / np.linalg.norm(vec[a]) / np.linalg.norm(vec[b])
            if cos < -0.95 and 50 < np.linalg.norm(mid[a] - mid[b]) < 300:
                if not set(a) & set(b):
                    pairs += 1
    assert pairs >= 5


def test_island_causeway_is_long_and_links_the_airport(G):
    causeway = [d for u, v, d in G.edges(data=True) if "Causeway" in d["name"] and u < v]
    assert {d["highway"] for d in causeway} == {"trunk"}
    assert {d["maxspeed"] for d in causeway} == {"80"}
    assert any(d.get("bridge") == "yes" for d in causeway)
    assert sum(d["length"] for d in causeway) >= 3_000.0
    # the airport is reachable only over the water: without the causeway and
    # the expressway the island falls apart
    H = nx.MultiDiGraph(G)
    H.remove_edges_from(
        [(u, v, k) for u, v, k, d in G.edges(keys=True, data=True) if "maxspeed" in d]
    )
    H.remove_edges_from(
        [
            (u, v, k)
            for u, v, k, d in H.edges(keys=True, data=True)
            if d["highway"] == "motorway_link"
        ]
    )
    parts = [c for c in nx.weakly_connected_components(H) if len(c) > 10]
    assert len(parts) == 2


def test_island_centre_is_on_yeongjong(G):
    west, south, east, north = YEONGJONG_BBOX
    for x, y in island_landmarks().values():
        lon, lat = _to_lonlat(x, y)
        assert west <= lon <= east and south <= lat <= north
    lon, lat = _to_lonlat(*island_landmarks()["new_town_centre"])
    assert lon == pytest.approx(126.53, abs=0.005) and lat == pytest.approx(37.49, abs=0.005)
    lon, lat = _to_lonlat(*_xy(G).T)  # every node
    assert west <= lon.min() and lon.max() <= east
    assert south <= lat.min() and lat.max() <= north


def test_landmarks_are_nodes(G):
    marks = island_landmarks()
    assert set(marks) == {
        "new_town_centre", "airport_terminal", "ferry_terminal", "rail_station",
        "industrial_estate", "old_town", "depot",
    }  # fmt: skip
    xy = _xy(G)
    for name, p in marks.items():
        assert np.min(np.hypot(*(xy - p).T)) < 40.0, name


def _inside(p, ring):
    """Even-odd rule point-in-polygon test."""
    x, y = p
    hit = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def test_districts_are_closed_and_hold_their_places(G):
    districts = island_districts()
    assert set(districts) == {"new_town", "airport", "industrial_estate", "old_town"}
    for ring in districts.values():
        assert ring[0] == ring[-1] and len(ring) >= 4
        signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
        assert signed > 0  # counter-clockwise
    marks = island_landmarks()
    assert _inside(marks["new_town_centre"], districts["new_town"])
    assert _inside(marks["airport_terminal"], districts["airport"])
    assert _inside(marks["industrial_estate"], districts["industrial_estate"])
    assert _inside(marks["depot"], districts["industrial_estate"])
    assert _inside(marks["old_town"], districts["old_town"])


def test_old_town_is_denser_than_the_industrial_estate(G):
    xy = _xy(G)
    marks = island_landmarks()

    def count(name):
        return int(np.sum(np.hypot(*(xy - marks[name]).T) < 300.0))

    assert count("old_town") > 4 * count("industrial_estate")


def test_island_spec_variants_build():
    spec = IslandSpec(
        causeway_length_m=2_000.0, expressway=False, one_way_pair_length_m=0.0,
        village_count=0, seed=3,
    )  # fmt: skip
    H = island(spec)
    _check_contract(H)
    assert not any(d["highway"] == "motorway" for *_, d in H.edges(data=True))
    assert not any(d["oneway"] for *_, d in H.edges(data=True) if d["highway"] == "tertiary")


# --------------------------------------------------------------------------- spec


def test_toml_preset_equals_defaults():
    assert IslandSpec.from_toml(PRESET) == IslandSpec()
    with open(PRESET, "rb") as fh:
        keys = set(tomllib.load(fh))
    assert keys == {f.name for f in dataclasses.fields(IslandSpec)}  # every field written out


def test_to_dict_round_trip():
    spec = IslandSpec(seed=5, block_size_m=100)
    assert spec.block_size_m == 100.0 and type(spec.block_size_m) is float
    assert IslandSpec.from_dict(spec.to_dict()) == spec


def test_unknown_toml_key_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("seed = 1\ncauseway_lenght_m = 3000.0\n")
    with pytest.raises(NetworkError, match="causeway_lenght_m") as err:
        IslandSpec.from_toml(path)
    assert "causeway_length_m" in str(err.value)  # the valid keys are listed


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('seed = "one"', "seed"),
        ("block_size_m = true", "block_size_m"),
        ("expressway = 1", "expressway"),
        ("village_count = 2.5", "village_count"),
    ],
)
def test_wrong_type_names_the_field(tmp_path, text, field):
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(NetworkError, match=field):
        IslandSpec.from_toml(path)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"block_size_m": 70.0}, "arterial_spacing_m"),
        ({"dead_end_share": 1.5}, "dead_end_share"),
        ({"causeway_length_m": -1.0}, "causeway_length_m"),
        ({"industrial_height_m": 1800.0}, "industrial_height_m"),
        ({"village_size_m": 400.0}, "village_size_m"),
        ({"seed": -1}, "seed"),
        ({"centre_lon_deg": 2.35}, "centre"),
    ],
)
def test_bad_values_name_the_field(kwargs, field):
    with pytest.raises(NetworkError, match=field):
        IslandSpec(**kwargs)


def test_bad_toml_files(tmp_path):
    with pytest.raises(NetworkError, match="cannot read"):
        IslandSpec.from_toml(tmp_path / "missing.toml")
    path = tmp_path / "broken.toml"
    path.write_text("seed = = 1\n")
    with pytest.raises(NetworkError, match="not valid TOML"):
        IslandSpec.from_toml(path)


# --------------------------------------------------------------------------- city


def test_small_city_contract():
    C = city(2_000, seed=1)
    _check_contract(C)
    assert 1_800 <= C.number_of_nodes() <= 2_200
    assert any(d["oneway"] for *_, d in C.edges(data=True))
    assert any(d.get("highway") == "traffic_signals" for _, d in C.nodes(data=True))
    assert nx.utils.graphs_equal(C, city(2_000, seed=1))


@pytest.mark.parametrize("n", [99, 2.5, True, "1000"])
def test_city_rejects_bad_sizes(n):
    with pytest.raises(NetworkError, match="n_nodes"):
        city(n)
    with pytest.raises(NetworkError, match="seed"):
        city(1_000, seed=-1)


@pytest.mark.slow
def test_city_50k_size_and_speed():
    t0 = time.perf_counter()
    C = city(50_000)
    elapsed = time.perf_counter() - t0
    assert 45_000 <= C.number_of_nodes() <= 55_000
    assert elapsed < 20.0
    assert C.graph["crs"] == CRS
    assert nx.is_strongly_connected(C)
    assert nx.number_of_selfloops(C) == 0
