"""Stop tables from a contraction hierarchy against Dijkstra's and networkx.

:class:`HierarchySubsetOracle` answers what :class:`SubsetOracle` answers, by
another exact method: times equal up to the order of float64 additions,
lengths those of a fastest path (equal to Dijkstra's where the fastest path
is unique, which random link times make certain).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from idrt.routing import CSRGraph, contract
from idrt.routing.stop_tables import subset_tables
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from idrt.sim.oracle import (
    HIERARCHY_MIN_NODES,
    HierarchySubsetOracle,
    SubsetOracle,
    TimeDependentOracle,
    oracle_for,
    time_dependent_kind,
)


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def _random_graph(n, m, seed):
    """A random directed graph with random times and lengths (unique fastest paths)."""
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    keep = tails != heads
    tails, heads = tails[keep], heads[keep]
    order = np.argsort(tails, kind="stable")
    tails, heads = tails[order], heads[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    w = rng.uniform(1.0, 100.0, heads.size)
    length = rng.uniform(10.0, 500.0, heads.size)
    return CSRGraph(indptr, heads.astype(np.int64), w), length, tails


def test_stop_tables_match_networkx_on_a_random_graph():
    g, length, tails = _random_graph(300, 900, seed=3)
    G = nx.DiGraph()
    G.add_nodes_from(range(300))
    for e in range(g.heads.size):  # parallel edges: keep the fastest, as a search would
        a, b = int(tails[e]), int(g.heads[e])
        if not G.has_edge(a, b) or G[a][b]["w"] > g.weights_s[e]:
            G.add_edge(a, b, w=float(g.weights_s[e]), m=float(length[e]))
    nodes = np.random.default_rng(1).choice(300, 60, replace=False)
    t, m = subset_tables(contract(g), length, nodes)
    for i, a in enumerate(nodes):
        dist, paths = nx.single_source_dijkstra(G, int(a), weight="w")
        for j, b in enumerate(nodes):
            if int(b) not in dist:
                assert t[i, j] == np.inf and m[i, j] == np.inf
                continue
            assert t[i, j] == pytest.approx(dist[int(b)], rel=1e-12, abs=1e-12)
            p = paths[int(b)]
            metres = sum(G[x][y]["m"] for x, y in itertools.pairwise(p))
            assert m[i, j] == pytest.approx(metres, rel=1e-12, abs=1e-9)
    assert (np.diag(t) == 0).all() and (np.diag(m) == 0).all()


def test_stop_tables_refuse_bad_input():
    g, length, _ = _random_graph(50, 150, seed=4)
    ch = contract(g)
    with pytest.raises(ValueError, match="length_m"):
        subset_tables(ch, length[:-1], [0, 1])
    with pytest.raises(ValueError, match="distinct"):
        subset_tables(ch, length, [0, 0])
    with pytest.raises(ValueError, match=r"routing\.contract"):
        subset_tables(g, length, [0, 1])


def test_hierarchy_oracle_agrees_with_dijkstra_tables(island):
    subset = np.random.default_rng(11).choice(island.n_nodes, 400, replace=False)
    dij = SubsetOracle(island, subset)
    ch = HierarchySubsetOracle(island, subset)
    assert np.array_equal(ch.slot, dij.slot)
    assert np.allclose(ch.table_s, dij.table_s, rtol=1e-12, atol=0)
    # lengths are summed in another order too; where two fastest paths tie
    # (the synthetic island has a few) either one's length is right
    close = np.isclose(ch.table_m, dij.table_m, rtol=1e-9, atol=0)
    assert close.mean() > 0.99, close.mean()
    # off the subset both search
    a, b = 0, island.n_nodes - 1
    assert ch.time(a, b) == dij.time(a, b)


def test_hierarchy_kind_is_auto_only_on_big_networks(island, monkeypatch):
    from idrt.sim import oracle as om

    subset = np.arange(50)
    assert time_dependent_kind(island, subset) == "subset"
    assert island.n_nodes < HIERARCHY_MIN_NODES
    monkeypatch.setattr(om, "DENSE_MAX_NODES", 0)
    assert type(oracle_for(island, "auto", subset=subset)) is SubsetOracle
    monkeypatch.setattr(om, "HIERARCHY_MIN_NODES", island.n_nodes)
    assert time_dependent_kind(island, subset) == "hierarchy"
    assert type(oracle_for(island, "auto", subset=subset + 1)) is HierarchySubsetOracle
    monkeypatch.undo()
    assert type(oracle_for(island, "hierarchy", subset=subset)) is HierarchySubsetOracle
    w = np.vstack([island.edge_travel_time_s, 1.5 * island.edge_travel_time_s])
    td = TimeDependentOracle(island, w, 3600.0, kind="hierarchy", subset=subset)
    slow = td.at(3600.0)
    assert isinstance(slow, HierarchySubsetOracle)
    assert np.allclose(slow.table_s, 1.5 * td.at(0.0).table_s, rtol=1e-12)
    with pytest.raises(ValueError, match="subset of nodes"):
        TimeDependentOracle(island, w, 3600.0, kind="hierarchy")


def test_whole_stop_based_runs_agree_with_the_dijkstra_tables(island):
    scn = Scenario().with_overrides(
        {"demand.scale": 0.3, "fleet.size": 3, "service.mode": "stop_based",
         "traffic.profile": "", "traffic.signals": "none"}
    )  # fmt: skip
    base = simulate(scn, seed=2, network=island, oracle="subset")
    hier = simulate(scn, seed=2, network=island, oracle="hierarchy")
    cols = ["request_id", "status", "vehicle"]
    assert hier.requests[cols].equals(base.requests[cols])
    for col in ("pickup_s", "dropoff_s"):
        assert np.allclose(hier.requests[col], base.requests[col], rtol=1e-12, equal_nan=True)
    assert np.allclose(hier.vehicles["km"], base.vehicles["km"], rtol=1e-9)
