"""Dispatch and rebalancing policies in the simulator: traces, invariants and effects."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import idrt
from idrt.network import network_from_graph
from idrt.scenario import (
    DemandConfig,
    DispatchConfig,
    FleetConfig,
    RebalancingConfig,
    Scenario,
    ServiceConfig,
    TrafficConfig,
)
from idrt.sim import batching, simulate
from idrt.sim.rebalancer import STRATEGIES as ALL_STRATEGIES
from tests.sim.invariants import check_result

LINK_S = 500.0 / (30 / 3.6)  # 60 s per 500 m residential link
STRATEGIES = ("demand_anticipating", "min_cost_flow")
assert set(STRATEGIES) < set(ALL_STRATEGIES)


def _grid(n=8, step=500.0):
    """An n x n grid of two-way residential streets; node id 1 + i * n + j at (i, j)."""
    G = nx.MultiDiGraph(crs="EPSG:32652")
    for i in range(n):
        for j in range(n):
            G.add_node(1 + i * n + j, x=300_000.0 + step * i, y=4_150_000.0 + step * j)
    for i in range(n):
        for j in range(n):
            a = 1 + i * n + j
            for b in ([a + n] if i + 1 < n else []) + ([a + 1] if j + 1 < n else []):
                G.add_edge(a, b, length=step, highway="residential")
                G.add_edge(b, a, length=step, highway="residential")
    return network_from_graph(G, name="grid")


@pytest.fixture(scope="module")
def grid():
    return _grid()


def _scenario(dispatch=None, rebalancing=None, *, size=2, capacity=4, attractors="", **service):
    base = {"start_h": 7.0, "end_h": 14.0, "max_wait_s": 900.0, "stop_time_s": 10.0}
    base.update(service)
    return Scenario(
        demand=DemandConfig(area="", attractors=attractors, group_sizes={"1": 1.0}),
        fleet=FleetConfig(size=size, capacity=capacity, depots=[1]),
        service=ServiceConfig(**base),
        dispatch=dispatch or DispatchConfig(),
        rebalancing=rebalancing or RebalancingConfig(),
        traffic=TrafficConfig(signals="none", profile=""),
    )


def _trips(rows):
    frame = pd.DataFrame(
        rows,
        columns=["request_id", "booking_time_s", "request_time_s", "origin_node",
                 "destination_node", "pax"],
    )  # fmt: skip
    return frame


def _random_trips(rng, n, *, start=7 * 3600.0, end=12 * 3600.0, nodes=64, prebooked=0.0):
    t = np.sort(rng.uniform(start, end, n))
    o = rng.integers(1, nodes + 1, n)
    d = (o + rng.integers(5, nodes - 5, n) - 1) % nodes + 1
    lead = np.where(rng.random(n) < prebooked, rng.uniform(600.0, 3600.0, n), 0.0)
    booking = np.maximum(t - lead, start)
    return _trips(list(zip(range(n), booking, t, o, d, rng.integers(1, 3, n), strict=True)))


def _events(result):
    return [
        (round(t, 6), v, k, n, r)
        for t, v, k, n, r, _ in result.events.itertuples(index=False)
        if k in ("request", "accept", "reject", "pickup", "dropoff", "reassign")
    ]


# ------------------------------------------------------------------------ batch mode


def test_batch_trace_requests_wait_for_the_batch(grid):
    scn = _scenario(DispatchConfig(mode="batch", batch_interval_s=60.0), size=2)
    t0 = 7 * 3600.0
    trips = _trips([(0, t0 + 100.0, t0 + 100.0, 2, 4, 1), (1, t0 + 110.0, t0 + 110.0, 9, 11, 1)])
    result = simulate(scn, network=grid, trips=trips)
    check_result(result)
    ev = _events(result)
    batch = t0 + 120.0  # batches every 60 s from the start of service
    assert ev[:4] == [
        (t0 + 100.0, -1, "request", -1, 0),
        (t0 + 110.0, -1, "request", -1, 1),
        (batch, 0, "accept", 2, 0),
        (batch, 1, "accept", 9, 1),
    ]
    req = result.requests.set_index("request_id")
    # nodes 2 = (0, 1) and 9 = (1, 0): one link each from the depot, one vehicle each
    assert req.loc[0, "pickup_s"] == pytest.approx(batch + LINK_S)
    assert req.loc[1, "pickup_s"] == pytest.approx(batch + LINK_S)
    assert req.loc[0, "planned_pickup_s"] == pytest.approx(req.loc[0, "pickup_s"])


def test_batch_rejects_after_the_window(grid):
    """One seat, two groups at once: the second waits for batches, then is rejected."""
    scn = _scenario(DispatchConfig(mode="batch", batch_interval_s=60.0), size=1, capacity=1,
                    max_wait_s=300.0, max_ride_alpha=1.0, max_ride_beta_s=0.0)  # fmt: skip
    t0 = 7 * 3600.0
    trips = _trips([(0, t0 + 10.0, t0 + 10.0, 2, 8, 1), (1, t0 + 20.0, t0 + 20.0, 9, 57, 1)])
    result = simulate(scn, network=grid, trips=trips)
    check_result(result)
    req = result.requests.set_index("request_id")
    assert req["status"].tolist().count("rejected") == 1
    rejected = req[req["status"] == "rejected"].iloc[0]
    assert rejected["reason"] == "no_feasible_insertion"
    ev = result.events
    t_reject = float(ev.loc[ev["kind"] == "reject", "time_s"].iloc[0])
    # kept in the queue while a later batch could still meet its window
    assert t_reject + 60.0 > rejected["request_time_s"] + 300.0
    assert t_reject <= rejected["request_time_s"] + 300.0


@pytest.mark.parametrize(
    "dispatch",
    [
        DispatchConfig(mode="batch"),
        DispatchConfig(mode="batch", max_trip_size=2),
        DispatchConfig(mode="batch", max_trip_size=2, reoptimise=True),
        DispatchConfig(reoptimise=True, batch_interval_s=60.0),
        DispatchConfig(
            mode="batch",
            max_trip_size=2,
            reoptimise=True,
            reoptimise_every=2,
            reoptimise_pairs=False,
        ),
    ],
    ids=["k1", "k2", "k2-reopt", "immediate-reopt", "k2-reopt-every2-nopairs"],
)
def test_policies_keep_every_invariant(grid, dispatch):
    rng = np.random.default_rng(3)
    trips = _random_trips(rng, 90, end=9.5 * 3600.0, prebooked=0.3)
    scn = _scenario(dispatch, size=3, max_wait_s=1200.0)
    result = simulate(scn, network=grid, trips=trips)
    check_result(result)  # promised windows and ride limits hold for every rider
    summary = result.summary()
    assert summary.served_share > 0.5
    if dispatch.reoptimise:
        moves = result.events[result.events["kind"] == "reassign"]
        assert len(moves) > 0  # riders did move, and still every promise held
    if dispatch.max_trip_size == 2 and dispatch.reoptimise:
        again = simulate(scn, network=grid, trips=trips)
        pd.testing.assert_frame_equal(result.requests, again.requests)


def test_reoptimise_every_re_optimises_at_those_ticks_only(grid):
    """Every 2nd tick: riders move only then; past the run's last tick: plain batch k=2."""
    rng = np.random.default_rng(3)
    trips = _random_trips(rng, 90, end=9.5 * 3600.0, prebooked=0.3)
    base = DispatchConfig(mode="batch", max_trip_size=2, batch_interval_s=30.0)
    every2 = simulate(
        _scenario(replace(base, reoptimise=True, reoptimise_every=2), size=3, max_wait_s=1200.0),
        network=grid, trips=trips,
    )  # fmt: skip
    moves = every2.events[every2.events["kind"] == "reassign"]
    assert len(moves) > 0
    tick = (moves["time_s"].to_numpy() - 7 * 3600.0) / 30.0 - 1.0  # the first batch: tick 0
    assert np.all(tick == np.round(tick)) and np.all(tick % 2 == 0)
    # tick 0 has nobody to move; re-optimising never again is batch k=2 without it
    never = simulate(
        _scenario(replace(base, reoptimise=True, reoptimise_every=10**9), size=3,
                  max_wait_s=1200.0),
        network=grid, trips=trips,
    )  # fmt: skip
    plain = simulate(_scenario(base, size=3, max_wait_s=1200.0), network=grid, trips=trips)
    pd.testing.assert_frame_equal(never.requests, plain.requests)
    # dispatch.reoptimise_pairs reaches every solve
    calls = []
    solve = batching.solve_batch

    def spy(*args, **kw):
        calls.append(kw["movable_pairs"])
        return solve(*args, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(batching, "solve_batch", spy)
        simulate(
            _scenario(replace(base, reoptimise=True, reoptimise_pairs=False), size=3,
                      max_wait_s=1200.0),
            network=grid, trips=trips,
        )  # fmt: skip
    assert calls and not any(calls)
    with pytest.raises(idrt.ScenarioError, match="reoptimise_every"):
        Scenario().with_overrides({"dispatch.reoptimise_every": 0})
    with pytest.raises(ValueError, match="reoptimise_every"):
        batching.BatchDispatcher(None, interval_s=30.0, reoptimise_every=0)


@pytest.mark.parametrize(
    ("dispatch", "ignored"),
    [
        (DispatchConfig(reoptimise_every=4), ["reoptimise_every"]),
        (DispatchConfig(mode="batch", reoptimise_pairs=False), ["reoptimise_pairs"]),
        (
            DispatchConfig(max_trip_size=2, batch_interval_s=60.0, reoptimise_pairs=False),
            ["batch_interval_s", "max_trip_size", "reoptimise_pairs"],
        ),
        (DispatchConfig(reoptimise=True, max_trip_size=2, reoptimise_every=3), []),
        (DispatchConfig(mode="batch", batch_interval_s=60.0, max_requests_per_vehicle=8), []),
    ],
    ids=["every-no-reopt", "pairs-batch-no-reopt", "batch-settings-immediate", "used", "batch"],
)
def test_settings_the_mode_never_reads_are_warned_once(grid, dispatch, ignored):
    """A dispatch setting the chosen mode ignores is said, once, and changes nothing."""
    rng = np.random.default_rng(5)
    trips = _random_trips(rng, 30, end=9 * 3600.0)
    scn = _scenario(dispatch, size=2)
    if not ignored:  # (pyproject turns IdrtWarning into an error: none may come)
        simulate(scn, network=grid, trips=trips)
        return
    with pytest.warns(idrt.IdrtWarning) as caught:
        result = simulate(scn, network=grid, trips=trips)
    said = [str(w.message) for w in caught if issubclass(w.category, idrt.IdrtWarning)]
    assert len(said) == 1, said
    for name in ignored:
        assert f"dispatch.{name}" in said[0]
    assert "ignored" in said[0] and "dispatch.reoptimise = true" in said[0]
    # the run is the one without the ignored settings
    plain = replace(dispatch, **{n: getattr(DispatchConfig(), n) for n in ignored})
    again = simulate(_scenario(plain, size=2), network=grid, trips=trips)
    pd.testing.assert_frame_equal(result.requests, again.requests)
    # in a sweep of replications, said once
    with idrt.errors.warnings_once(), pytest.warns(idrt.IdrtWarning) as caught:
        for _ in range(3):
            simulate(scn, network=grid, trips=trips)
    assert sum(issubclass(w.category, idrt.IdrtWarning) for w in caught) == 1


def test_batch_serves_more_than_immediate_over_rush_bursts(grid):
    """Bursts of simultaneous requests: jointly assigned, fewer are turned away overall.

    Not in every burst (batch k = 2 gives a vehicle at most two new riders per
    batch, and one burst of 12 is served less well), but over 12 seeded bursts
    batch k = 2 serves strictly more riders in total (97 vs 93 when written).
    """
    kw = {"size": 4, "capacity": 2, "max_wait_s": 600.0}
    totals = {"immediate": 0, "batch": 0}
    for seed in range(12):
        rng = np.random.default_rng(seed)
        t0 = 7 * 3600.0 + 30.0
        n = 14
        o = rng.integers(1, 65, n)
        trips = _trips([(i, t0, t0, int(o[i]), int((o[i] + 30) % 64 + 1), 1) for i in range(n)])
        imm = simulate(_scenario(DispatchConfig(), **kw), network=grid, trips=trips)
        bat = simulate(
            _scenario(DispatchConfig(mode="batch", max_trip_size=2), **kw),
            network=grid,
            trips=trips,
        )
        check_result(bat)
        totals["immediate"] += int(imm.summary().served)
        totals["batch"] += int(bat.summary().served)
    assert totals["batch"] > totals["immediate"], totals


# ----------------------------------------------------------------------- pre-booking


@pytest.mark.parametrize("mode", ["immediate", "batch"])
def test_prebooked_riders_are_picked_up_inside_their_window(grid, mode):
    rng = np.random.default_rng(11)
    trips = _random_trips(rng, 80, prebooked=1.0)
    assert (trips["booking_time_s"] < trips["request_time_s"]).mean() > 0.9
    scn = _scenario(DispatchConfig(mode=mode), size=3)
    result = simulate(scn, network=grid, trips=trips)
    check_result(result)
    req = result.requests
    pre = req[req["prebooked"] & (req["status"] == "served")]
    assert len(pre) > 0.8 * req["prebooked"].sum()
    assert (pre["pickup_s"] >= pre["request_time_s"] - 1e-6).all()
    assert (pre["pickup_s"] <= pre["request_time_s"] + 900.0 + 1e-6).all()
    # accepted at booking (immediate) or at a batch after it
    accept = result.events[result.events["kind"] == "accept"].set_index("request")["time_s"]
    at = accept.reindex(pre["request_id"]).to_numpy()
    delay = at - pre["booking_time_s"].to_numpy()
    if mode == "immediate":
        assert np.abs(delay).max() < 1e-6
    else:
        assert delay.min() >= 0.0
        assert np.allclose((at - 7 * 3600.0) % 30.0, 0.0)


@pytest.mark.parametrize("mode", ["immediate", "batch"])
def test_booked_before_service_opens(grid, mode):
    """Booked the evening before: taken when service opens, picked up in the window."""
    t0 = 7 * 3600.0
    trips = _trips([(0, 0.0, t0 + 1800.0, 2, 40, 1), (1, t0 - 600.0, t0 + 3600.0, 9, 30, 1)])
    result = simulate(_scenario(DispatchConfig(mode=mode)), network=grid, trips=trips)
    check_result(result)
    req = result.requests.set_index("request_id")
    assert (req["status"] == "served").all()
    assert (req["pickup_s"] >= req["request_time_s"]).all()
    assert (req["pickup_s"] <= req["request_time_s"] + 900.0).all()
    accept = result.events[result.events["kind"] == "accept"]["time_s"]
    assert accept.min() == pytest.approx(t0 if mode == "immediate" else t0 + 30.0)


# ------------------------------------------------------------------------ rebalancing


def _hot_spot_case(tmp_path, strategy, grid):
    """Riders call from the far corner (hot spot); vehicles drop them near the depot."""
    hot = 64  # node (7, 7), 7 km by road from the depot at node 1
    path = tmp_path / "hot.toml"
    path.write_text(f"[attractors.hot]\nnode = {hot}\nweight = 1.0\nradius_m = 600.0\n")
    rng = np.random.default_rng(2)
    t = 7 * 3600.0 + np.arange(1, 21) * 1200.0  # one request every 20 minutes
    origins = rng.choice([64, 63, 56, 55], t.size)
    dests = rng.choice([1, 2, 3, 9, 10, 17], t.size)
    trips = _trips([(i, t[i], t[i], int(origins[i]), int(dests[i]), 1) for i in range(t.size)])
    scn = _scenario(
        rebalancing=RebalancingConfig(strategy=strategy, interval_s=120.0, horizon_s=1800.0),
        size=2,
        attractors=str(path),
        max_wait_s=1800.0,
    )
    return simulate(scn, network=grid, trips=trips)


def test_rebalancing_lowers_waits_when_demand_is_far_from_the_depot(tmp_path, grid):
    runs = {s: _hot_spot_case(tmp_path, s, grid) for s in ("none", *STRATEGIES)}
    for r in runs.values():
        check_result(r)
        assert r.summary().served_share == 1.0
    wait = {s: r.summary().wait_mean_s for s, r in runs.items()}
    assert wait["none"] > 500.0  # idle vehicles wait near the depot, 12+ links away
    assert wait["demand_anticipating"] < 0.2 * wait["none"]
    assert wait["min_cost_flow"] < 0.2 * wait["none"]
    for s in STRATEGIES:
        v = runs[s].vehicles
        k = runs[s].summary()
        assert k.rebalancing_km > 0
        assert k.rebalancing_km == pytest.approx(v["rebalancing_km"].sum())
        assert (v["rebalancing_km"] <= v["empty_km"] + 1e-9).all()
        assert k.vehicle_km > runs["none"].summary().vehicle_km  # the price of short waits
    assert runs["none"].summary().rebalancing_km == 0.0


def test_return_to_depot_trace(grid):
    scn = _scenario(rebalancing=RebalancingConfig(strategy="return_to_depot", interval_s=300.0),
                    size=1)  # fmt: skip
    t0 = 7 * 3600.0
    result = simulate(scn, network=grid, trips=_trips([(0, t0 + 60.0, t0 + 60.0, 2, 64, 1)]))
    check_result(result)
    v = result.vehicles.iloc[0]
    assert v.final_node == v.depot_node == 1
    assert v.rebalancing_km == pytest.approx(7.0)  # 14 links of 500 m back from node 64
    assert v.km == pytest.approx(0.5 + 6.5 + 7.0)
    ev = result.events
    dropoff = float(ev.loc[ev["kind"] == "dropoff", "time_s"].iloc[0])
    back = ev[(ev["kind"] == "depart") & (ev["time_s"] > dropoff)]
    first_round_after = t0 + 300.0 * np.ceil((dropoff + 13.0 - t0) / 300.0)
    assert float(back["time_s"].iloc[0]) == pytest.approx(first_round_after)
    arrive = ev[(ev["kind"] == "arrive") & (ev["node"] == 1)]
    assert float(arrive["time_s"].iloc[-1]) == pytest.approx(first_round_after + 14 * LINK_S)


def test_rebalancing_with_batch_dispatch_and_traffic(grid, monkeypatch):
    """All policies together, with the time-dependent traffic model on."""
    rng = np.random.default_rng(8)
    trips = _random_trips(rng, 60)
    scn = _scenario(
        DispatchConfig(mode="batch", max_trip_size=2, reoptimise=True),
        RebalancingConfig(strategy="min_cost_flow", interval_s=300.0),
        size=3,
    ).with_overrides({"traffic.profile": "demand/profiles/congestion_weekday.csv"})
    result = simulate(scn, network=grid, trips=trips)
    check_result(result)
    assert result.summary().served_share > 0.9
    # searches kept per source, or redone when the table is too small: same run
    monkeypatch.setattr(batching, "ROW_CACHE_BYTES", 8)
    small = simulate(scn, network=grid, trips=trips)
    pd.testing.assert_frame_equal(result.requests, small.requests)


def test_scenario_keys_are_checked():
    with pytest.raises(idrt.ScenarioError, match="max_requests_per_vehicle"):
        Scenario().with_overrides({"dispatch.max_requests_per_vehicle": 63})
    with pytest.raises(idrt.ScenarioError, match="strategy"):
        Scenario().with_overrides({"rebalancing.strategy": "teleport"})
    scn = Scenario().with_overrides({"dispatch.mode": "batch", "rebalancing.strategy": "none"})
    assert scn.dispatch.mode == "batch"


def test_fleet_sizing_works_with_batch_dispatch_and_rebalancing(grid):
    experiments = pytest.importorskip("idrt.experiments")
    scn = _scenario(
        DispatchConfig(mode="batch", max_trip_size=2, reoptimise=True),
        RebalancingConfig(strategy="min_cost_flow"),
        size=1,
        max_wait_s=1200.0,
    ).with_overrides({"demand.trips_per_day": 40.0, "network.source": "grid"})
    report = experiments.size_fleet(
        scn, {"reject_share": 0.05}, seeds=[1, 2, 3, 4, 5], workers=0, network=grid,
        max_size=6, progress=False,
    )  # fmt: skip
    assert report.met and 1 <= report.size <= 6
    assert (report.runs["rebalancing_km"] > 0).all()  # the policies did run in every replication
