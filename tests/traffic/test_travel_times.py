"""Network-wide hourly link times: BPR + signal delay, C-ITS switches, routing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from idrt import routing
from idrt.errors import ScenarioError
from idrt.network import network_from_graph
from idrt.traffic import (
    CITSConfig,
    CongestionProfile,
    TrafficConfig,
    bpr_travel_time_s,
    build_travel_times,
    delay_saved_by_intersection,
    uniform_delay_s,
    webster_cycle_s,
)
from tests.traffic.nets import corridor, cross, dual_carriageway_cross, graph

WEEKDAY = "demand/profiles/congestion_weekday.csv"


def _entering(net):
    """Edges whose head is signalised and whose tail is not in the same intersection."""
    tail_sig = net.signal_id[net.edge_tails]
    head_sig = net.signal_id[net.heads]
    return (head_sig >= 0) & (tail_sig != head_sig)


# ------------------------------------------------------------- identities
def test_no_signals_and_no_traffic_is_exactly_free_flow(island):
    tt = build_travel_times(island, TrafficConfig(signals="none"))
    assert tt.edge_travel_time_s.shape == (24, island.n_edges)
    for h in range(24):
        np.testing.assert_array_equal(tt.edge_travel_time_s[h], island.edge_travel_time_s)
    assert tt.approach_edge.size == 0
    assert tt.mean_delay_per_passage_s() == 0.0
    # fixed signals with no traffic: free-flow running times, plus the red wait
    fixed = build_travel_times(island, TrafficConfig(signals="fixed"))
    for h in range(24):
        np.testing.assert_array_equal(fixed.running_time_s[h], island.edge_travel_time_s)
    off = fixed.approach_of_edge < 0
    np.testing.assert_array_equal(fixed.edge_travel_time_s[:, off], tt.edge_travel_time_s[:, off])


def test_no_signals_with_profile_is_bpr_only(island):
    profile = CongestionProfile.hourly(np.linspace(0.0, 1.15, 24))
    tt = build_travel_times(island, TrafficConfig(signals="none"), profile=profile)
    for h in (0, 8, 23):
        expected = bpr_travel_time_s(island.edge_travel_time_s, profile.vc[h, 0])
        np.testing.assert_array_equal(tt.edge_travel_time_s[h], expected)


def test_signal_delay_only_on_edges_entering_signalised_intersections(island):
    tt = build_travel_times(island, TrafficConfig(profile=WEEKDAY))
    entering = _entering(island)
    assert entering.sum() == tt.approach_edge.size > 0
    assert (tt.signal_delay_s[:, entering] > 0).all()
    assert (tt.signal_delay_s[:, ~entering] == 0).all()
    np.testing.assert_array_equal(tt.edge_travel_time_s, tt.running_time_s + tt.signal_delay_s)


def test_one_delay_per_passage_of_a_multi_node_intersection():
    net = dual_carriageway_cross()
    assert net.n_signals == 1 and (net.signal_id >= 0).sum() == 2
    tt = build_travel_times(net, TrafficConfig())
    inside = (net.signal_id[net.edge_tails] >= 0) & (net.signal_id[net.heads] >= 0)
    assert inside.sum() == 2  # the 15 m link between the carriageways, both ways
    assert (tt.signal_delay_s[:, inside] == 0).all()
    assert (tt.signal_delay_s[:, _entering(net)] > 0).all()
    assert tt.approach_edge.size == 4


# ----------------------------------------------------------- signal plans
def test_fixed_plan_gives_main_street_the_main_green():
    net = cross("primary", "residential")
    tt = build_travel_times(net, TrafficConfig())
    e = tt.approach_edge
    dx = net.x_m[net.heads[e]] - net.x_m[net.edge_tails[e]]
    east_west = np.abs(dx) > 1.0
    assert (tt.approach_phase[east_west] == 0).all() and (tt.approach_phase[~east_west] == 1).all()
    np.testing.assert_array_equal(tt.green_ratio[:, east_west], 0.55)
    np.testing.assert_array_equal(tt.green_ratio[:, ~east_west], 0.35)
    assert (tt.cycle_s == 120.0).all()
    # at v/c 0 the delay is Webster's d1 with X = 0
    np.testing.assert_allclose(
        tt.signal_delay_s[3, e], uniform_delay_s(120.0, tt.green_ratio[3], 0.0), rtol=1e-12
    )
    assert tt.signal_delay_s[3, e[east_west]][0] == pytest.approx(0.5 * 120 * 0.45**2)


def test_equal_roads_share_the_green():
    tt = build_travel_times(cross("secondary", "secondary", 4, 4), TrafficConfig())
    np.testing.assert_allclose(tt.green_ratio, 0.45)


def _unbalanced():
    return CongestionProfile.hourly(
        np.linspace(0.05, 0.9, 24), per_class={"residential": np.linspace(0.02, 0.2, 24)}
    )


def test_adaptive_is_webster_and_beats_fixed_on_unbalanced_flows():
    net = cross("primary", "residential")
    cfg = TrafficConfig()
    fixed = build_travel_times(net, cfg, profile=_unbalanced())
    adaptive = build_travel_times(
        net, cfg, CITSConfig(adaptive_signals=True), profile=_unbalanced()
    )
    assert adaptive.adaptive.all() and not fixed.adaptive.any()
    # Webster's cycle from the critical flow ratios of the two phases
    main = adaptive.approach_phase == 0
    y = adaptive.approach_flow_vph / (cfg.saturation_flow_vphpl * net.lanes[adaptive.approach_edge])
    big_y = y[:, main].max(axis=1) + y[:, ~main].max(axis=1)
    np.testing.assert_allclose(
        adaptive.cycle_s[:, 0],
        webster_cycle_s(cfg.lost_time_s, big_y, min_cycle_s=cfg.min_cycle_s),
    )
    for h in range(24):
        w = fixed.approach_flow_vph[h]
        f = np.average(fixed.uniform_delay_s[h] + fixed.incremental_delay_s[h], weights=w)
        a = np.average(adaptive.uniform_delay_s[h] + adaptive.incremental_delay_s[h], weights=w)
        assert a <= f
    assert adaptive.mean_delay_per_passage_s() < 0.8 * fixed.mean_delay_per_passage_s()
    # signals = "adaptive" makes every signal adaptive, C-ITS or not
    everywhere = build_travel_times(net, TrafficConfig(signals="adaptive"), profile=_unbalanced())
    np.testing.assert_array_equal(everywhere.edge_travel_time_s, adaptive.edge_travel_time_s)


def test_priority_removes_the_configured_share_of_red_wait(island):
    cfg = TrafficConfig(profile=WEEKDAY)
    equipped = [0, 5, 68]
    base = build_travel_times(island, cfg, CITSConfig(equipped=equipped))
    prio = build_travel_times(
        island,
        cfg,
        CITSConfig(equipped=equipped, bus_priority=True, priority_red_share_removed=0.3),
    )
    on = np.isin(prio.approach_intersection, equipped)
    assert on.any() and (~on).any()
    saved = base.signal_delay_s - prio.signal_delay_s
    np.testing.assert_allclose(
        saved[:, prio.approach_edge[on]], 0.3 * base.uniform_delay_s[:, on], rtol=1e-12
    )
    assert (saved[:, prio.approach_edge[~on]] == 0).all()
    np.testing.assert_array_equal(prio.running_time_s, base.running_time_s)
    assert prio.mean_delay_per_passage_s(drt=False) == base.mean_delay_per_passage_s()


def test_unknown_equipped_intersection_is_a_scenario_error(island):
    with pytest.raises(ScenarioError, match=r"\[69\]"):
        build_travel_times(island, TrafficConfig(), CITSConfig(equipped=[3, 69]))


# ------------------------------------------------------ time-dependent routing
def test_route_congested_in_the_peak_is_avoided_in_the_peak():
    # s=0 -> t=2: 1 km of primary through the signal at 1, or a 1.6 km residential detour
    nodes = {0: (0, 0), 1: (500, 0), 2: (1000, 0), 3: (500, 400), 4: (500, -400)}
    nodes |= {5: (0, -300), 6: (1000, -300)}
    edges = [
        (0, 1, "primary", 4),
        (1, 2, "primary", 4),
        (1, 3, "primary", 4),
        (1, 4, "primary", 4),
        (0, 5, "residential", 2),
        (5, 6, "residential", 2),
        (6, 2, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[1]), name="peak")
    vc = np.full(24, 0.1)
    vc[8] = 1.3  # the morning peak on the primary roads
    profile = CongestionProfile.hourly(vc, per_class={"residential": np.full(24, 0.1)})
    tt = build_travel_times(net, TrafficConfig(), profile=profile)
    s, t = net.index_of(0), net.index_of(2)
    direct = [net.index_of(n) for n in (0, 1, 2)]

    def route(time_s):
        g = routing.CSRGraph(net.indptr, net.heads, tt.weights_s(time_s))
        np.testing.assert_array_equal(tt.graph(net, time_s).weights_s, g.weights_s)
        return routing.shortest_path(g, s, t)

    off_time, off_path = route(12 * 3600.0)
    peak_time, peak_path = route(8.5 * 3600.0)
    assert off_path.tolist() == direct
    assert peak_path.tolist() != direct and net.index_of(1) not in peak_path.tolist()
    assert peak_time > off_time
    # the detour's time is the same in both hours: only the primary road was congested
    detour = routing.shortest_path(routing.CSRGraph(net.indptr, net.heads, tt.weights_s(0)), s, t)
    assert detour[0] == pytest.approx(off_time)


# ------------------------------------------------------ realised delays, days
def test_sampled_delays_average_to_the_expected_table(island):
    tt = build_travel_times(
        island, TrafficConfig(profile=WEEKDAY), CITSConfig(bus_priority=True, equipped=0.5)
    )
    rng = np.random.default_rng(11)
    edges = np.repeat(tt.approach_edge[:40], 5000)
    t = 8.25 * 3600.0
    draws = tt.sample_signal_delay_s(rng, edges, t).reshape(40, 5000)
    expected = tt.signal_delay_s[8, tt.approach_edge[:40]]
    se = draws.std(axis=1) / math.sqrt(5000)
    assert (np.abs(draws.mean(axis=1) - expected) < 5 * se + 1e-9).all()
    off = np.flatnonzero(tt.approach_of_edge < 0)[:10]
    assert (tt.sample_signal_delay_s(rng, off, t) == 0).all()
    realised = tt.realised_travel_time_s(np.random.default_rng(1), off, t)
    np.testing.assert_array_equal(realised, tt.running_time_s[8, off])
    one = tt.realised_travel_time_s(np.random.default_rng(1), int(tt.approach_edge[0]), t)
    assert isinstance(one, float) and one >= tt.running_time_s[8, tt.approach_edge[0]]
    with pytest.raises(ScenarioError, match="edge indices"):
        tt.sample_signal_delay_s(rng, [island.n_edges], t)


def test_slices_wrap_around_the_day():
    tt = build_travel_times(cross(), TrafficConfig(signals="none"))
    assert tt.slice_of(0.0) == 0 and tt.slice_of(3599.9) == 0 and tt.slice_of(3600.0) == 1
    assert tt.slice_of(25 * 3600.0) == 1 and tt.slice_of(-1.0) == 23
    assert tt.slice_of([7200.0, 90000.0]).tolist() == [2, 1]
    with pytest.raises(ScenarioError, match="finite"):
        tt.slice_of(math.nan)
    with pytest.raises(ScenarioError, match="same network"):
        tt.graph(corridor(), 0.0)


def test_realised_day_is_seeded_and_moves_adaptive_plans_only(island):
    cfg = TrafficConfig(profile=WEEKDAY)
    cits = CITSConfig(adaptive_signals=True, equipped=[0, 1, 2])
    a = build_travel_times(island, cfg, cits, seed=4)
    b = build_travel_times(island, cfg, cits, seed=4)
    expected = build_travel_times(island, cfg, cits)
    np.testing.assert_array_equal(a.edge_travel_time_s, b.edge_travel_time_s)
    assert not np.array_equal(a.edge_travel_time_s, expected.edge_travel_time_s)
    fixed = ~a.adaptive[a.approach_intersection]
    np.testing.assert_array_equal(a.cycle_s[:, fixed], expected.cycle_s[:, fixed])
    assert not np.array_equal(a.cycle_s[:, ~fixed], expected.cycle_s[:, ~fixed])


# --------------------------------------------------------------- reports
def test_delay_saved_by_intersection(island):
    cfg = TrafficConfig(profile=WEEKDAY)
    base = build_travel_times(island, cfg)
    cits = build_travel_times(
        island, cfg, CITSConfig(equipped=[1, 2, 3], adaptive_signals=True, bus_priority=True)
    )
    table = cits.intersection_delays()
    assert len(table) == 24 * island.n_signals
    assert table.equipped.sum() == 24 * 3
    saved = delay_saved_by_intersection(base, cits)
    assert (saved.loc[saved.equipped, "saved_s"] > 0).all()
    assert (saved.loc[~saved.equipped, "saved_s"] == 0).all()
    assert set(saved.columns) >= {"slice", "intersection_id", "delay_base_s", "delay_s", "saved_s"}


# ------------------------------------- defaults inside the measured ranges
def test_default_adaptive_effect_is_inside_measured_range(island):
    # SCOOT -12 % (TRL LR1014) ... SURTRAC -40 %; Incheon Ganghwa 2025 -48 %
    cfg = TrafficConfig(profile=WEEKDAY)
    fixed = build_travel_times(island, cfg).mean_delay_per_passage_s()
    adaptive = build_travel_times(
        island, cfg, CITSConfig(adaptive_signals=True)
    ).mean_delay_per_passage_s()
    assert 0.12 <= 1 - adaptive / fixed <= 0.40


@pytest.mark.parametrize("vc", [0.5, 0.65, 0.8])
def test_default_bus_priority_effect_is_inside_measured_range(vc):
    # transit signal priority: -5 % to -12 % corridor time (Snohomish, King County)
    net = corridor(n_signals=5, spacing_m=600.0)
    profile = CongestionProfile.flat(vc)
    base = build_travel_times(net, TrafficConfig(), profile=profile)
    prio = build_travel_times(net, TrafficConfig(), CITSConfig(bus_priority=True), profile=profile)
    g_base = routing.CSRGraph(net.indptr, net.heads, base.weights_s(12 * 3600))
    s, t = net.index_of(0), net.index_of(5)
    time_base, path = routing.shortest_path(g_base, s, t)
    assert len(path) == 6
    time_prio, _ = routing.shortest_path(
        routing.CSRGraph(net.indptr, net.heads, prio.weights_s(12 * 3600)), s, t
    )
    assert 0.05 <= 1 - time_prio / time_base <= 0.12
