"""Routing on the real OSM extracts agrees with networkx (independent truth)."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest

NAMES = ["Delft", "Nootdorp", "munich_mvg"]


def _random_pairs(net, n_sources, n_targets, seed):
    rng = np.random.default_rng(seed)
    sources = rng.choice(net.node_ids, size=n_sources, replace=False)
    targets = rng.choice(net.node_ids, size=(n_sources, n_targets))
    return sources, targets


@pytest.mark.parametrize("name", NAMES)
def test_travel_times_equal_networkx_on_500_pairs(real_network, name):
    net = real_network(name)
    G = net.graph
    sources, targets = _random_pairs(net, 25, 20, seed=1)
    checked = 0
    for source, row in zip(sources, targets, strict=True):
        truth = nx.single_source_dijkstra_path_length(G, int(source), weight="travel_time")
        for target in row:
            expected = truth.get(int(target), math.inf)
            assert net.travel_time_s(int(source), int(target)) == pytest.approx(
                expected, rel=1e-12, abs=1e-9
            )
            checked += 1
    assert checked >= 500


@pytest.mark.parametrize("name", NAMES)
def test_table_equals_repeated_one_to_all(real_network, name):
    net = real_network(name)
    rng = np.random.default_rng(2)
    stops = rng.choice(net.node_ids, size=60, replace=False)
    table = net.travel_time_table(stops)
    assert table.shape == (60, 60)
    assert table.dtype == np.float32
    G = net.graph
    for i, source in enumerate(stops[:15]):
        truth = nx.single_source_dijkstra_path_length(G, int(source), weight="travel_time")
        expected = np.array([truth.get(int(t), np.inf) for t in stops], dtype=np.float32)
        np.testing.assert_array_equal(table[i], expected)
    assert np.all(np.diag(table) == 0)


@pytest.mark.parametrize("name", NAMES)
def test_paths_are_valid_edge_sequences(real_network, name):
    net = real_network(name)
    G = net.graph
    sources, targets = _random_pairs(net, 10, 5, seed=3)
    for source, row in zip(sources, targets, strict=True):
        for target in row:
            path = net.path(int(source), int(target))
            expected = net.travel_time_s(int(source), int(target))
            assert path[0] == source and path[-1] == target
            total = sum(
                min(d["travel_time"] for d in G.get_edge_data(u, v).values())
                for u, v in itertools.pairwise(path)
            )
            assert total == pytest.approx(expected, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_network_is_strongly_connected_and_reports_dropped(real_network, name):
    net = real_network(name)
    assert nx.is_strongly_connected(net.graph)
    assert net.graph.number_of_nodes() == net.n_nodes
    raw = {"Delft": 2156, "Nootdorp": 533, "munich_mvg": 5237}[name]
    assert net.n_nodes + net.dropped_nodes == raw
    assert net.info()["dropped_nodes"] == net.dropped_nodes


def test_delft_signals_are_tagged_nodes_merged_within_30m(real_network):
    net = real_network("Delft")
    signals = net.signals
    tagged = sum(len(ids) for ids in signals["node_ids"])
    assert tagged == int((net.signal_id >= 0).sum())
    assert 0 < len(signals) <= tagged <= 17
    # members of one intersection lie within the clustering radius of another member
    for ids in signals["node_ids"]:
        if len(ids) > 1:
            idx = net.index_of(list(ids))
            xy = np.column_stack([net.x_m[idx], net.y_m[idx]])
            d = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
            np.fill_diagonal(d, np.inf)
            assert d.min(axis=1).max() <= 30.0
    # different intersections are farther apart than 30 m
    centroids = signals[["x_m", "y_m"]].to_numpy()
    d = np.sqrt(((centroids[:, None] - centroids[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    assert d.min() > 30.0


def test_delft_speeds_follow_maxspeed_then_korean_defaults(real_network):
    net = real_network("Delft")
    edges = net.edges()
    G = net.graph
    for _, _, data in list(G.edges(data=True))[:400]:
        expected = data["length"] / data["travel_time"] * 3.6 if data["travel_time"] > 0 else None
        if expected is not None:
            assert data["speed_kph"] == pytest.approx(expected)
        if isinstance(data.get("maxspeed"), str) and data["maxspeed"] in {"30", "50", "100"}:
            assert data["speed_kph"] == float(data["maxspeed"])
        elif data.get("maxspeed") is None and data.get("highway") == "residential":
            assert data["speed_kph"] == 30.0
    assert (edges["speed_kmh"] > 0).all()


def test_nearest_node_equals_brute_force(real_network):
    net = real_network("munich_mvg")
    rng = np.random.default_rng(4)
    lon = rng.uniform(net.lon.min(), net.lon.max(), 200)
    lat = rng.uniform(net.lat.min(), net.lat.max(), 200)
    ids, dist = net.nearest_node(lon, lat, return_dist=True)
    x, y = net.project(lon, lat)
    d2 = (x[:, None] - net.x_m[None]) ** 2 + (y[:, None] - net.y_m[None]) ** 2
    np.testing.assert_array_equal(ids, net.node_ids[d2.argmin(axis=1)])
    np.testing.assert_allclose(dist, np.sqrt(d2.min(axis=1)))


def test_csv_format_keeps_given_travel_times(real_network):
    import pandas as pd

    from tests.conftest import REAL_NETWORKS

    net = real_network("munich_mvg")
    raw = pd.read_csv(REAL_NETWORKS["munich_mvg"] / "edges.csv")
    first = raw.iloc[0]
    u, v = int(first.from_node), int(first.to_node)
    if u in set(net.node_ids.tolist()) and v in set(net.node_ids.tolist()):
        assert net.travel_time_s(u, v) <= first.travel_time + 1e-9
    edges = net.edges()
    merged = edges.merge(raw, left_on=["u", "v"], right_on=["from_node", "to_node"])
    best = merged.groupby(["u", "v"]).agg(t=("travel_time_s", "first"), raw=("travel_time", "min"))
    np.testing.assert_allclose(best["t"], best["raw"])
