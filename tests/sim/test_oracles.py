"""The three travel-time oracles (dense, subset, search) against each other and networkx.

They answer the same questions by different means (all-pairs table, stop
tables with searches elsewhere, bounded searches per query): times, path
lengths, bounded one-to-many times and whole simulations must agree.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from idrt.sim.oracle import DenseOracle, SearchOracle, SubsetOracle


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


@pytest.fixture(scope="module")
def oracles(island):
    rng = np.random.default_rng(11)
    subset = rng.choice(island.n_nodes, 300, replace=False)
    return {
        "dense": DenseOracle(island),
        "subset": SubsetOracle(island, subset),
        "search": SearchOracle(island),
    }, subset


def test_times_and_lengths_agree_and_match_networkx(island, oracles):
    orcs, subset = oracles
    rng = np.random.default_rng(5)
    G = island.graph
    ids = island.node_ids
    # pairs inside the subset (table lookups), half outside (searches)
    pairs = [tuple(rng.choice(subset, 2)) for _ in range(40)]
    pairs += [tuple(rng.integers(0, island.n_nodes, 2)) for _ in range(40)]
    for a, b in pairs:
        times = {k: o.time(int(a), int(b)) for k, o in orcs.items()}
        lengths = {k: o.length_m(int(a), int(b)) for k, o in orcs.items()}
        assert times["dense"] == times["subset"] == times["search"], (a, b, times)
        assert lengths["dense"] == pytest.approx(lengths["subset"], rel=1e-12)
        assert lengths["dense"] == pytest.approx(lengths["search"], rel=1e-12)
        truth = nx.shortest_path_length(G, int(ids[a]), int(ids[b]), weight="travel_time")
        assert times["dense"] == pytest.approx(truth, rel=1e-9, abs=1e-9)


def test_bounded_one_to_many_agree_within_the_bound(island, oracles):
    orcs, subset = oracles
    rng = np.random.default_rng(8)
    for _ in range(10):
        target = int(rng.choice(subset))
        points = rng.choice(island.n_nodes, 50, replace=False).astype(np.int64)
        points[:20] = rng.choice(subset, 20, replace=False)
        bound = float(np.median(orcs["dense"].times_to(points, target)))  # half in, half out
        to = {k: o.times_to(points, target, bound) for k, o in orcs.items()}
        fr = {k: o.times_from(target, points, bound) for k, o in orcs.items()}
        for got in (to, fr):
            exact = got["dense"]
            inside = exact <= bound
            assert inside.any() and (~inside).any()
            for kind in ("subset", "search"):
                # within the bound every oracle gives the exact time (up to the order
                # of summation: a search towards a target adds the links backwards, a
                # few ulps apart); beyond it a search may say inf, a table the time
                assert np.allclose(got[kind][inside], exact[inside], rtol=1e-12, atol=0), kind
                assert np.all(got[kind][~inside] > bound), kind


@pytest.mark.parametrize("mode", ["door_to_door", "stop_based"])
def test_whole_runs_identical_with_every_oracle(island, mode):
    scn = Scenario().with_overrides(
        {"demand.scale": 0.3, "fleet.size": 3, "service.mode": mode, "traffic.profile": "",
         "traffic.signals": "none"}
    )  # fmt: skip
    kinds = ["dense", "search"] + (["subset"] if mode == "stop_based" else [])
    runs = {k: simulate(scn, seed=2, network=island, oracle=k) for k in kinds}
    base = runs["dense"]
    for kind, r in runs.items():
        cols = ["request_id", "status", "vehicle", "pickup_s", "dropoff_s"]
        assert r.requests[cols].equals(base.requests[cols]), kind
        assert np.array_equal(r.vehicles["km"], base.vehicles["km"]), kind
