"""Virtual stops: spacing, coverage, and walking distances against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import idrt
import idrt.demand as dm


def walking_nx(net):
    """Undirected networkx graph of the road network, shortest parallel edge, metres."""
    G = nx.Graph()
    for u, v, length in net.edges()[["u", "v", "length_m"]].itertuples(index=False):
        if u == v:
            continue
        if not G.has_edge(u, v) or G[u][v]["length"] > length:
            G.add_edge(int(u), int(v), length=float(length))
    return G


@pytest.fixture(scope="module")
def noot_area(nootdorp):
    lo_lon, hi_lon = np.quantile(nootdorp.lon, [0.1, 0.9])
    lo_lat, hi_lat = np.quantile(nootdorp.lat, [0.1, 0.9])
    return dm.ServiceArea.from_bbox(lo_lon, lo_lat, hi_lon, hi_lat, name="Nootdorp")


@pytest.fixture(scope="module")
def stops(nootdorp, noot_area):
    return dm.virtual_stops(nootdorp, noot_area, spacing_m=300, max_walk_m=400)


def test_spacing_and_coverage(nootdorp, noot_area, stops):
    net = nootdorp
    idx = np.atleast_1d(net.index_of(stops.stop_nodes))
    assert 5 <= len(stops) < 200
    assert noot_area.contains(stops.stop_lon, stops.stop_lat).all()
    xy = np.column_stack([net.x_m[idx], net.y_m[idx]])
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 300.0  # no two stops closer than the spacing
    inside = np.flatnonzero(noot_area.node_mask(net))
    to_stop = np.hypot(
        net.x_m[inside][:, None] - xy[None, :, 0], net.y_m[inside][:, None] - xy[None, :, 1]
    ).min(axis=1)
    assert to_stop.max() < 300.0  # every area node lies within the spacing of a stop


def test_walking_map_matches_networkx(nootdorp, stops):
    G = walking_nx(nootdorp)
    expected = {}
    for s in stops.stop_nodes.tolist():
        for node, dist in nx.single_source_dijkstra_path_length(
            G, s, cutoff=400.0, weight="length"
        ).items():
            expected[(node, s)] = dist
    frame = stops.to_frame()
    got = {(int(n), int(s)): float(w) for n, s, w in frame.itertuples(index=False)}
    assert got.keys() == expected.keys()
    np.testing.assert_allclose([got[k] for k in expected], list(expected.values()), rtol=1e-12)
    # nearest stop by walking, nearest first within each node
    for node in nootdorp.node_ids[::7].tolist():
        near, walk = stops.stops_near(node)
        assert np.all(np.diff(walk) >= 0)
        stop, metres = stops.nearest_stop(node)
        options = {s: d for (n, s), d in expected.items() if n == node}
        if options:
            assert metres == pytest.approx(min(options.values()))
            assert options[stop] == pytest.approx(metres)
        else:
            assert (stop, metres) == (-1, np.inf) and near.size == 0
    ids, metres = stops.nearest_stop(stops.stop_nodes)
    assert np.array_equal(ids, stops.stop_nodes) and np.all(metres == 0)  # a stop serves itself
    assert stops.covered.dtype == bool and len(stops.covered) == nootdorp.n_nodes
    assert np.array_equal(stops.rows(nootdorp.node_ids), np.arange(nootdorp.n_nodes))


def test_bad_arguments(nootdorp, noot_area):
    with pytest.raises(idrt.DemandError, match="spacing_m must be"):
        dm.virtual_stops(nootdorp, noot_area, spacing_m=0)
    sea = dm.ServiceArea.from_bbox(120.0, 30.0, 120.1, 30.1, name="sea")
    with pytest.raises(idrt.DemandError, match="'sea' holds no node"):
        dm.virtual_stops(nootdorp, sea)
    stops = dm.virtual_stops(nootdorp, noot_area, spacing_m=500, max_walk_m=0)
    with pytest.raises(idrt.DemandError, match="not nodes of the network"):
        stops.nearest_stop(-5)
