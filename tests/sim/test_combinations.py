"""Policy combinations no other test simulates, each checked by the invariant checker.

Stop-based service with batch dispatch; batch and re-optimisation with the
signals and congestion of the traffic model on; an expansion area served
with batch dispatch and with rebalancing.
"""

from __future__ import annotations

import pytest

from idrt.scenario import Scenario
from idrt.sim import build_network, simulate
from tests.sim.invariants import check_result

SMALL = {"demand.scale": 0.25, "fleet.size": 3, "service.end_h": 12}
EXPANSION = {
    "expansion.area": "demand/expansion_industrial.geojson",
    "expansion.attractors": "demand/expansion_industrial_attractors.toml",
    "expansion.trips_per_day": 150,
    "expansion.fleet_size": 2,
}


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def _check(result, *, min_served=0.5):
    check_result(result)
    k = result.summary()
    assert k["requests"] > 20
    assert k["served_share"] >= min_served, k["served_share"]
    return k


@pytest.mark.parametrize("k", [1, 2])
def test_stop_based_with_batch_dispatch(island, k):
    scn = Scenario().with_overrides(
        {**SMALL, "service.mode": "stop_based", "dispatch.mode": "batch",
         "dispatch.max_trip_size": k}
    )  # fmt: skip
    result = simulate(scn, seed=3, network=island)
    _check(result)
    served = result.requests[result.requests["status"] == "served"]
    assert (served["walk_m"] > 0).any(), "stop-based riders walk to their stops"


@pytest.mark.parametrize(
    "overrides",
    [
        {"dispatch.mode": "batch", "dispatch.max_trip_size": 2},
        {"dispatch.mode": "batch", "dispatch.max_trip_size": 2, "dispatch.reoptimise": True},
        {"dispatch.reoptimise": True},
        {"dispatch.mode": "batch", "traffic.signals": "adaptive", "cits.bus_priority": True},
    ],
    ids=["batch-k2", "batch-k2-reopt", "immediate-reopt", "batch-adaptive-priority"],
)
def test_batch_and_reoptimisation_with_signals_on(island, overrides):
    scn = Scenario().with_overrides({**SMALL, **overrides})
    assert scn.traffic.signals != "none" and scn.traffic.profile  # the traffic model is on
    result = simulate(scn, seed=4, network=island)
    _check(result)
    assert len(result.signal_passages) > 0
    assert result.summary()["signal_delay_per_passage_s"] > 0


@pytest.mark.parametrize(
    "overrides",
    [
        {"dispatch.mode": "batch", "dispatch.max_trip_size": 2},
        {"rebalancing.strategy": "min_cost_flow"},
        {"rebalancing.strategy": "demand_anticipating"},
    ],
    ids=["batch", "min-cost-flow", "anticipating"],
)
def test_expansion_with_batch_or_rebalancing(island, overrides):
    scn = Scenario().with_overrides(
        {**SMALL, **EXPANSION, "traffic.profile": "", "traffic.signals": "none", **overrides}
    )
    result = simulate(scn, seed=5, network=island)
    _check(result)
    assert len(result.vehicles) == 5  # 3 base + 2 expansion vehicles
    if "rebalancing.strategy" in overrides:
        assert result.summary()["rebalancing_km"] > 0
