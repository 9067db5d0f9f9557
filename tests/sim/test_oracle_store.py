"""Time-slice oracles: tables agree with searches, and runs share them by content."""

from __future__ import annotations

import numpy as np
import pytest

from idrt.routing import _kernels as rk
from idrt.scenario import Scenario
from idrt.sim import oracle as om
from idrt.sim._kernels import leg_profile
from idrt.sim.run import build_network


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def _slices(net, n=3, seed=0):
    rng = np.random.default_rng(seed)
    return net.edge_travel_time_s[None, :] * (1.0 + rng.random((n, net.n_edges)))


def test_dense_slices_agree_with_forward_searches(island):
    weights = _slices(island)
    td = om.TimeDependentOracle(island, weights, 3600.0, kind="dense")
    rng = np.random.default_rng(1)
    nodes = rng.integers(0, island.n_nodes, 40)
    for h in range(weights.shape[0]):
        orc = td.at(h * 3600.0 + 10.0)
        w = np.ascontiguousarray(weights[h])
        for a in nodes[:10].tolist():
            # the forward Dijkstra of the slice's link times, bit for bit
            ref = rk.one_to_many(island.indptr, island.heads, w, a, nodes, np.inf)
            np.testing.assert_array_equal(orc.times_from(a, nodes), ref)
            for b in nodes[:5].tolist():
                path = rk.shortest_path_edges(island.indptr, island.heads, w, a, b)
                np.testing.assert_array_equal(orc.path_edges(a, b), path)
                assert orc.time(a, b) == ref[list(nodes).index(b)]


def test_slice_oracles_are_shared_by_content_and_bounded(island, monkeypatch):
    weights = _slices(island, n=2, seed=5)
    a = om.TimeDependentOracle(island, weights, 3600.0, kind="dense")
    b = om.TimeDependentOracle(island, weights.copy(), 3600.0, kind="dense")
    assert a.at(100.0) is b.at(200.0)  # same link times: one table
    assert a.at(100.0) is not a.at(3700.0)
    # a budget below two tables keeps only the most recent one
    one = om._table_bytes(a.at(100.0))
    monkeypatch.setattr(om, "SLICE_CACHE_BYTES", int(1.5 * one))
    c = om.TimeDependentOracle(island, _slices(island, n=2, seed=6), 3600.0, kind="dense")
    c.at(0.0)
    c.at(3600.0)
    assert om._SLICES.nbytes <= 1.5 * one


def test_time_dependent_kind_follows_size_and_reuse(island):
    assert om.time_dependent_kind(island) == "dense"
    assert om.time_dependent_kind(island, reused=False) == "search"
    assert om.time_dependent_kind(island, np.array([0, 1])) == "subset"


def test_leg_profile_is_numpy_cumsum():
    rng = np.random.default_rng(3)
    m = 50
    heads = rng.integers(0, 20, m)
    run, exp, length = rng.random(m) * 30, rng.random(m) * 30, rng.random(m) * 300
    edges = rng.integers(0, m, 12).astype(np.int64)
    delay = rng.random(12) * 20
    nodes, cum_s, cum_e, cum_m = leg_profile(edges, heads, run, exp, length, delay)
    np.testing.assert_array_equal(nodes, heads[edges])
    np.testing.assert_array_equal(cum_s, np.cumsum(run[edges] + delay))
    np.testing.assert_array_equal(cum_e, np.cumsum(exp[edges]))
    np.testing.assert_array_equal(cum_m, np.cumsum(length[edges]))
