"""Conservation laws on real runs: KPIs rebuilt from the event log and networkx.

* Little: the integral of vehicle load over time (from the logged loads)
  equals the sum over riders of group size x in-vehicle time (request table).
* Passenger-km: each rider's own ride distance (the legs its vehicle drove
  between its pickup and drop-off, measured by networkx on the road graph)
  times its group size, summed, equals the vehicles' ``pax_km``.
* Vehicle-km and empty-km from the logged legs equal the vehicle table's.
* Busy hours from the idle periods of the event log equal ``busy_h``.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from idrt.scenario import Scenario
from idrt.sim import build_network, simulate

FREE_FLOW = {"traffic.profile": "", "traffic.signals": "none"}


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def _run(island, seed, **overrides):
    scn = Scenario().with_overrides({"demand.scale": 0.4, "fleet.size": 4, **overrides})
    return simulate(scn, seed=seed, network=island)


class _LegLengths:
    """Length (m) of the fastest path between two nodes, by networkx."""

    def __init__(self, net):
        G = nx.DiGraph()
        for u, v, data in net.graph.edges(data=True):
            if not G.has_edge(u, v) or data["travel_time"] < G[u][v]["travel_time"]:
                G.add_edge(u, v, travel_time=data["travel_time"], length=data["length"])
        self.G = G
        self._paths: dict[int, dict] = {}

    def __call__(self, a: int, b: int) -> float:
        if a == b:
            return 0.0
        if a not in self._paths:
            self._paths[a] = nx.single_source_dijkstra_path(self.G, a, weight="travel_time")
        path = self._paths[a][b]
        return float(sum(self.G[u][v]["length"] for u, v in itertools.pairwise(path)))


def _legs(events: pd.DataFrame, lengths: _LegLengths) -> pd.DataFrame:
    """One row per driven leg: vehicle, start and end time, load, metres."""
    rows = []
    for vehicle, ev in events[events["vehicle"] >= 0].groupby("vehicle", sort=True):
        start = None
        for t, kind, node, load in ev[["time_s", "kind", "node", "load"]].itertuples(index=False):
            if kind == "depart":
                start = (t, node, load)
            elif kind in ("arrive", "divert"):
                assert start is not None, f"vehicle {vehicle}: {kind} without depart"
                rows.append((vehicle, start[0], t, start[2], lengths(start[1], node)))
                start = None
    return pd.DataFrame(rows, columns=["vehicle", "start_s", "end_s", "load", "m"])


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("diversion", [True, False])
def test_distances_rebuilt_from_events_equal_the_tables(island, seed, diversion):
    result = _run(island, seed, **FREE_FLOW, **{"dispatch.diversion": diversion})
    legs = _legs(result.events, _LegLengths(island))
    veh = result.vehicles.set_index("vehicle")
    km = legs.groupby("vehicle")["m"].sum() / 1000.0
    assert np.allclose(km.reindex(veh.index, fill_value=0.0), veh["km"], rtol=1e-9, atol=1e-9)
    empty = legs[legs["load"] == 0].groupby("vehicle")["m"].sum() / 1000.0
    assert np.allclose(
        empty.reindex(veh.index, fill_value=0.0), veh["empty_km"], rtol=1e-9, atol=1e-9
    )

    # passenger-km: each rider's own ride distance x group size
    req = result.requests[result.requests["status"] == "served"]
    rider_m = 0.0
    for r in req.itertuples(index=False):
        mine = legs[
            (legs["vehicle"] == r.vehicle)
            & (legs["start_s"] >= r.pickup_s)
            & (legs["end_s"] <= r.dropoff_s)
        ]
        rider_m += r.pax * float(mine["m"].sum())
    assert rider_m / 1000.0 == pytest.approx(float(veh["pax_km"].sum()), rel=1e-9)
    assert result.summary()["mean_occupancy"] == pytest.approx(
        rider_m / 1000.0 / float(legs["m"].sum() / 1000.0), rel=1e-9
    )


@pytest.mark.parametrize("traffic", [False, True])
def test_littles_law_load_integral_equals_rider_time(island, traffic):
    result = _run(island, 3, **({} if traffic else FREE_FLOW))
    ev = result.events
    ev = ev[ev["kind"].isin(["pickup", "dropoff"])]
    integral = 0.0
    for _, g in ev.groupby("vehicle"):
        t = g["time_s"].to_numpy(float)
        load = g["load"].to_numpy(float)
        integral += float(np.sum(load[:-1] * np.diff(t)))
    served = result.requests[result.requests["status"] == "served"]
    rider_s = float((served["pax"] * served["in_vehicle_s"]).sum())
    assert served["pax"].gt(1).any(), "the check needs groups larger than one"
    assert integral == pytest.approx(rider_s, rel=1e-9)


def test_busy_hours_rebuilt_from_idle_periods(island):
    result = _run(island, 4, **FREE_FLOW)
    ev = result.events[result.events["vehicle"] >= 0]
    end = float(result.events["time_s"].max())
    busy = {}
    for vehicle, g in ev.groupby("vehicle"):
        total, since = 0.0, None
        for t, kind in g[["time_s", "kind"]].itertuples(index=False):
            if kind == "idle":
                if since is not None:
                    total += t - since
                since = None
            elif since is None:
                since = t
        if since is not None:
            total += end - since
        busy[vehicle] = total / 3600.0
    veh = result.vehicles.set_index("vehicle")["busy_h"]
    assert np.allclose(pd.Series(busy).reindex(veh.index, fill_value=0.0), veh, atol=1e-9)
    assert veh.gt(0).all()
