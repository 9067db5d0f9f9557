"""Cases written to kill mutants that survived ``benchmarks/mutation.sh travel_times``.

Every test checks numbers a planner sees (link times, signal delays, realised
leg times, the slice that applies at a time, the intersection reports) against
an independent truth: Webster's and the HCM formulas evaluated by hand,
networkx shortest paths on the slice's weights, or geometry worked out on
paper. The triage of every survivor (killed by which test, or equivalent and
why) is in benchmarks/results/mutation_survivors_travel_times.txt.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from idrt import routing
from idrt.errors import ScenarioError
from idrt.network import network_from_graph
from idrt.traffic import (
    CITSConfig,
    CongestionProfile,
    TrafficConfig,
    build_travel_times,
    delay_saved_by_intersection,
)
from tests.traffic.nets import X0, Y0, corridor, cross, graph

S = 1800.0  # default saturation flow, veh/h/ln
C = 120.0  # default fixed cycle, s
G_MAIN, G_SIDE = 0.55, 0.35  # default fixed green ratios
CAP = {"primary": 1000.0, "residential": 500.0, "service": 300.0}  # default veh/h/ln


def _d1(c, g, x):
    """Webster's uniform delay, s: 0.5 C (1 - g)^2 / (1 - min(1, X) g)."""
    return 0.5 * c * (1.0 - g) ** 2 / (1.0 - min(1.0, x) * g)


def _d2(x, capacity_vph, period_h=0.25, k=0.5, upstream_i=1.0):
    """HCM incremental delay, s: 900 T [(X - 1) + sqrt((X - 1)^2 + 8 k I X / (c T))]."""
    a = x - 1.0
    return (
        900.0
        * period_h
        * (a + math.sqrt(a * a + 8.0 * k * upstream_i * x / (capacity_vph * period_h)))
    )


def _edge(net, u, v):
    """Index of the edge from node id ``u`` to node id ``v``."""
    tails, heads = net.edge_tails, net.heads
    (e,) = np.flatnonzero((tails == net.index_of(u)) & (heads == net.index_of(v)))
    return int(e)


def _by_tail(net, tt, values):
    """``{tail node id: value}`` of a per-approach array (one slice)."""
    tails = net.node_ids[net.edge_tails[tt.approach_edge]]
    return {int(t): v for t, v in zip(tails, np.asarray(values).tolist(), strict=True)}


# ------------------------------------------------------------ the table itself
def test_tables_are_read_only():
    tt = build_travel_times(cross(), TrafficConfig())
    for name in ("edge_travel_time_s", "signal_delay_s", "cycle_s", "approach_edge", "adaptive"):
        with pytest.raises(ValueError, match="read-only"):
            getattr(tt, name)[0] = 0
    assert not tt.approach_of_edge.flags.writeable


def test_repr_counts_slices_edges_approaches_and_equipped():
    net = corridor(n_signals=3)
    tt = build_travel_times(net, TrafficConfig(), CITSConfig(equipped=[0, 2]))
    # crossings 1 and 2 have four arms, the last one three (no street east of it)
    assert net.n_edges == 18
    assert repr(tt) == "TimeSlicedTravelTimes(slices=24, edges=18, approaches=11, equipped=2)"


# ------------------------------------------------------- which slice applies
def test_slice_of_arrays_of_any_numeric_type():
    tt = build_travel_times(cross(), TrafficConfig(signals="none"))
    times = [3599.999, 3600.0, 86_400.0, 90_000.0, -0.5]
    expected = [0, 1, 0, 1, 23]  # exactly on a boundary is the later slice; wraps daily
    for arr in (
        np.array(times),
        pd.Series(times, dtype=object),  # e.g. a column that once held None
        np.array([3599, 3600, 86_400, 90_000, -1], dtype=np.int32),
    ):
        out = tt.slice_of(arr)
        assert out.dtype == np.int64 and out.tolist() == expected
        # the slices index the tables
        np.testing.assert_array_equal(
            tt.edge_travel_time_s[out, 0], tt.edge_travel_time_s[expected, 0]
        )
    one = tt.slice_of(np.int64(7200))  # a numpy scalar (not a Python int)
    assert type(one) is int and one == 2
    assert type(tt.slice_of(np.array(25 * 3600.0))) is int
    with pytest.raises(ScenarioError, match=r"time_s must be finite .*nan"):
        tt.slice_of([0.0, math.nan])


# ------------------------------------------------------------------- routing
def test_slice_graph_routes_like_networkx_on_the_slice_weights():
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
    vc[8] = 1.3
    profile = CongestionProfile.hourly(vc, per_class={"residential": np.full(24, 0.1)})
    tt = build_travel_times(net, TrafficConfig(), profile=profile)
    for time_s, h in ((8 * 3600.0, 8), (8.5 * 3600.0, 8), (9 * 3600.0, 9), (32.5 * 3600.0, 8)):
        w = tt.edge_travel_time_s[h]
        G = nx.DiGraph()
        for e in range(net.n_edges):
            u, v = int(net.edge_tails[e]), int(net.heads[e])
            G.add_edge(u, v, weight=float(w[e]))
        g = tt.graph(net, time_s)
        np.testing.assert_array_equal(g.indptr, net.indptr)
        np.testing.assert_array_equal(g.heads, net.heads)
        for s_id, t_id in ((0, 2), (2, 0), (3, 6), (5, 4)):
            s, t = net.index_of(s_id), net.index_of(t_id)
            cost, path = routing.shortest_path(g, s, t)
            assert cost == pytest.approx(
                nx.shortest_path_length(G, s, t, weight="weight"), rel=1e-12
            )
            assert nx.path_weight(G, path.tolist(), weight="weight") == pytest.approx(
                cost, rel=1e-12
            )


# -------------------------------------------------------- realised delays
def _priority_cross(vc=0.6):
    """Cross primary x residential, flat v/c, bus priority removing 25 % of the red wait."""
    net = cross("primary", "residential")
    tt = build_travel_times(
        net,
        TrafficConfig(),
        CITSConfig(bus_priority=True, priority_red_share_removed=0.25),
        profile=CongestionProfile.flat(vc),
    )
    return net, tt


def _realised_by_hand(tt, h, a, u):
    """max(0, r - u C (1 - min(1, X) g)) (1 - p) + d2 of approach ``a`` in slice ``h``."""
    c, g = tt.cycle_s[h, a], tt.green_ratio[h, a]
    x, d2 = tt.degree_of_saturation[h, a], tt.incremental_delay_s[h, a]
    wait = max(0.0, c * (1.0 - g) - u * c * (1.0 - min(1.0, x) * g))
    return (1.0 - tt.red_share_removed[a]) * wait + d2


def test_sampled_delay_with_one_time_per_passage_is_the_red_wait_of_each_draw():
    _, tt = _priority_cross()
    off = int(np.flatnonzero(tt.approach_of_edge < 0)[0])
    approaches = tt.approach_edge.tolist()  # approach index i is approach_edge[i]; 0 included
    edges = [*approaches, off, approaches[0]]
    times = [8.5 * 3600.0, 3600.0, 25 * 3600.0 + 1.0, 86_399.0, 7200.0, 12 * 3600.0]
    slices = [8, 1, 1, 23, 2, 12]
    draws = np.random.default_rng(5).random(5)  # one uniform per approach passage, in order
    expected, j = [], 0
    for e, h in zip(edges, slices, strict=True):
        a = int(tt.approach_of_edge[e])
        if a < 0:
            expected.append(0.0)
            continue
        expected.append(_realised_by_hand(tt, h, a, draws[j]))
        j += 1
    out = tt.sample_signal_delay_s(np.random.default_rng(5), edges, times)
    assert out.shape == (6,) and len(set(out.tolist())) == 6  # independent draws
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    # realised link time: running time of the slice plus the same draws
    real = tt.realised_travel_time_s(np.random.default_rng(5), edges, times)
    np.testing.assert_allclose(real, tt.running_time_s[slices, edges] + expected, rtol=1e-12)


def test_sampled_delay_of_a_grid_of_edges_at_one_time():
    _, tt = _priority_cross()
    grid = np.array([tt.approach_edge[:2], tt.approach_edge[2:]])  # (2, 2), one time
    t = 17.25 * 3600.0
    out = tt.sample_signal_delay_s(np.random.default_rng(9), grid, t)
    u = np.random.default_rng(9).random(4)
    expected = [_realised_by_hand(tt, 17, a, u[a]) for a in range(4)]
    assert out.shape == (2, 2)
    np.testing.assert_allclose(out.ravel(), expected, rtol=1e-12)
    # the leg path (1-D edges) draws the same numbers in the same order
    flat = tt.sample_signal_delay_s(np.random.default_rng(9), grid.ravel(), t)
    np.testing.assert_array_equal(flat, out.ravel())


def test_scalar_passage_gives_a_python_float():
    _, tt = _priority_cross()
    e, t = int(tt.approach_edge[1]), 8.5 * 3600.0
    one = tt.sample_signal_delay_s(np.random.default_rng(3), e, t)
    u = np.random.default_rng(3).random()
    assert type(one) is float and one == pytest.approx(_realised_by_hand(tt, 8, 1, u), rel=1e-12)
    real = tt.realised_travel_time_s(np.random.default_rng(3), e, t)
    assert type(real) is float and real == pytest.approx(tt.running_time_s[8, e] + one, rel=1e-12)
    off = int(np.flatnonzero(tt.approach_of_edge < 0)[0])
    zero = tt.sample_signal_delay_s(np.random.default_rng(3), np.int64(off), np.float32(t))
    assert type(zero) is float and zero == 0.0


def test_a_leg_without_edges_has_no_delay():
    _, tt = _priority_cross()
    rng = np.random.default_rng(0)
    out = tt.sample_signal_delay_s(rng, [], 3600.0)
    assert out.shape == (0,) and out.dtype == np.float64
    real = tt.realised_travel_time_s(rng, [], 3600.0)
    assert real.shape == (0,) and real.sum() == 0.0


def test_bad_edge_index_names_the_valid_range():
    net, tt = _priority_cross()
    with pytest.raises(
        ScenarioError, match=rf"edge indices must be in 0\.\.{net.n_edges - 1}, got"
    ):
        tt.sample_signal_delay_s(np.random.default_rng(0), [0, net.n_edges], 0.0)


# ------------------------------------------------- delays computed by hand
def test_signal_delay_of_a_loaded_cross_is_webster_plus_hcm_by_hand():
    # v/c 0.5; the primary approach is capped at s g_main = 990 veh/h/ln (< 1000)
    net = cross("primary", "residential")
    tt = build_travel_times(net, TrafficConfig(), profile=CongestionProfile.flat(0.5))
    main_cap_pl = min(CAP["primary"], S * G_MAIN)
    for arm, lanes, cap_pl, g in (
        (1, 2, main_cap_pl, G_MAIN),  # 4 lanes in all: 2 per direction
        (2, 2, main_cap_pl, G_MAIN),
        (3, 1, CAP["residential"], G_SIDE),
        (4, 1, CAP["residential"], G_SIDE),
    ):
        flow = 0.5 * cap_pl * lanes
        x = flow / (S * lanes * g)
        delay = _d1(C, g, x) + _d2(x, S * lanes * g)
        for h in (0, 8, 23):
            assert _by_tail(net, tt, tt.approach_flow_vph[h])[arm] == pytest.approx(flow, rel=1e-12)
            assert _by_tail(net, tt, tt.degree_of_saturation[h])[arm] == pytest.approx(x, rel=1e-12)
            e = _edge(net, arm, 0)
            assert tt.signal_delay_s[h, e] == pytest.approx(delay, rel=1e-12)
            assert tt.edge_travel_time_s[h, e] == pytest.approx(
                net.edge_travel_time_s[e] * (1 + 0.15 * 0.5**4) + delay, rel=1e-12
            )
    assert main_cap_pl == pytest.approx(990.0)


def test_capacity_overrides_reach_the_approach_flows():
    net = cross("primary", "residential")
    cfg = TrafficConfig(capacity_vphpl={"residential": 300.0, "primary": 700.0})
    tt = build_travel_times(net, cfg, profile=CongestionProfile.flat(0.5))
    flows = _by_tail(net, tt, tt.approach_flow_vph[12])
    assert flows[1] == pytest.approx(0.5 * 700.0 * 2) and flows[3] == pytest.approx(0.5 * 300.0 * 1)


def test_default_configs_are_no_traffic_fixed_signals_no_cits():
    net = cross("primary", "residential")
    tt = build_travel_times(net)
    explicit = build_travel_times(net, TrafficConfig(), CITSConfig())
    np.testing.assert_array_equal(tt.edge_travel_time_s, explicit.edge_travel_time_s)
    d = _by_tail(net, tt, tt.signal_delay_s[7, tt.approach_edge])
    assert d[1] == pytest.approx(0.5 * C * (1 - G_MAIN) ** 2)  # 12.15 s at X = 0
    assert d[3] == pytest.approx(0.5 * C * (1 - G_SIDE) ** 2)  # 25.35 s
    np.testing.assert_array_equal(tt.running_time_s[7], net.edge_travel_time_s)
    assert not tt.adaptive.any() and tt.equipped.all()


def test_adaptive_cycle_is_capped_at_max_cycle_on_oversaturated_flows():
    net = cross("primary", "residential")
    cfg = TrafficConfig(signals="adaptive", max_cycle_s=150.0)
    tt = build_travel_times(net, cfg, profile=CongestionProfile.flat(1.2))
    # Y = 1.2 (990/1800 + 500/1800) > 1: Webster's cycle is infinite, capped
    np.testing.assert_array_equal(tt.cycle_s, 150.0)
    low = build_travel_times(net, cfg, profile=CongestionProfile.flat(0.2))
    y = 0.2 * (990.0 + 500.0) / S
    np.testing.assert_allclose(low.cycle_s, max(cfg.min_cycle_s, (1.5 * 8.0 + 5.0) / (1 - y)))


def test_adaptive_flags_are_boolean():
    net = cross()
    for signals, value in (("none", False), ("adaptive", True)):
        tt = build_travel_times(net, TrafficConfig(signals=signals))
        assert tt.adaptive.dtype == np.bool_ and tt.adaptive.tolist() == [value]
    table = build_travel_times(net, TrafficConfig(signals="adaptive")).intersection_delays()
    assert table["adaptive"].dtype == np.bool_ and table["adaptive"].all()


# --------------------------------------------------------- realised day
def test_realised_day_is_the_documented_lognormal_factor():
    net = cross()
    cv, rho, vc = 0.3, 0.4, 0.8
    cfg = TrafficConfig(signals="none", day_to_day_cv=cv, day_to_day_correlation=rho)
    tt = build_travel_times(net, cfg, seed=7, profile=CongestionProfile.flat(vc))
    rng = np.random.default_rng(7)
    hourly, day = rng.standard_normal(24), rng.standard_normal()
    sigma = math.sqrt(math.log(1.0 + cv * cv))
    for h in (0, 8, 17):
        z = math.sqrt(rho) * day + math.sqrt(1.0 - rho) * hourly[h]
        f = math.exp(sigma * z - 0.5 * sigma * sigma)
        expected = net.edge_travel_time_s * (1.0 + 0.15 * (vc * f) ** 4)
        np.testing.assert_allclose(tt.running_time_s[h], expected, rtol=1e-12)
    # a Generator is used as it is: the same draws as its seed
    again = build_travel_times(
        net, cfg, seed=np.random.default_rng(7), profile=CongestionProfile.flat(vc)
    )
    np.testing.assert_array_equal(again.running_time_s, tt.running_time_s)


# --------------------------------------------------------------- profiles
def test_profile_is_found_under_base_dir(tmp_path, monkeypatch):
    scenario = tmp_path / "scenario"
    scenario.mkdir()
    rows = "\n".join(f"{h},{0.9 if h == 8 else 0.1}" for h in range(24))
    (scenario / "my_profile.csv").write_text("hour,vc_factor\n" + rows + "\n")
    monkeypatch.chdir(tmp_path)  # the working directory does not hold the file
    net = cross()
    tt = build_travel_times(
        net, TrafficConfig(signals="none", profile="my_profile.csv"), base_dir=str(scenario)
    )
    e = 0
    assert tt.running_time_s[8, e] == pytest.approx(net.edge_travel_time_s[e] * (1 + 0.15 * 0.9**4))
    assert tt.running_time_s[9, e] == pytest.approx(net.edge_travel_time_s[e] * (1 + 0.15 * 0.1**4))


def test_without_base_dir_no_subfolder_of_the_working_directory_is_searched(tmp_path, monkeypatch):
    rows = "\n".join(f"{h},0.5" for h in range(24))
    for folder in ("scenario", "profiles", "XXXX"):  # XXXX: a name as good as any other
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "p.csv").write_text("hour,vc_factor\n" + rows + "\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="not found"):
        build_travel_times(cross(), TrafficConfig(profile="p.csv"))


# -------------------------------------------------------------- C-ITS
def test_corridor_equipment_follows_the_route_through_the_waypoints():
    net = corridor(n_signals=4)
    a, b = net.index_of(0), net.index_of(2)  # west end to the second crossing
    cits = CITSConfig(
        equipped="corridor",
        corridor=[[float(net.lon[a]), float(net.lat[a])], [float(net.lon[b]), float(net.lat[b])]],
        bus_priority=True,
    )
    tt = build_travel_times(net, TrafficConfig(), cits)
    on = net.signal_id[net.index_of(np.array([1, 2]))]
    expected = np.zeros(net.n_signals, dtype=bool)
    expected[on] = True
    np.testing.assert_array_equal(tt.equipped, expected)
    np.testing.assert_array_equal(tt.red_share_removed > 0, expected[tt.approach_intersection])


# ----------------------------------------------------------------- reports
def test_intersection_report_is_the_flow_weighted_delay_by_hand():
    _, tt = _priority_cross(vc=0.6)
    table = tt.intersection_delays()
    assert list(table.columns) == [
        "slice",
        "intersection_id",
        "equipped",
        "adaptive",
        "flow_vph",
        "cycle_s",
        "delay_s",
        "general_delay_s",
    ]
    assert table["equipped"].dtype == np.bool_ and table["equipped"].all()
    assert table["adaptive"].dtype == np.bool_ and not table["adaptive"].any()
    main_cap_pl = min(CAP["primary"], S * G_MAIN)
    arms = []  # (flow, d1, d2) of the four approaches
    for lanes, cap_pl, g in ((2, main_cap_pl, G_MAIN), (1, CAP["residential"], G_SIDE)):
        flow = 0.6 * cap_pl * lanes
        x = flow / (S * lanes * g)
        arms += [(flow, _d1(C, g, x), _d2(x, S * lanes * g))] * 2
    total = sum(f for f, _, _ in arms)
    drt = sum(f * (0.75 * d1 + d2) for f, d1, d2 in arms) / total
    general = sum(f * (d1 + d2) for f, d1, d2 in arms) / total
    assert len(table) == 24
    assert table["slice"].tolist() == list(range(24))
    np.testing.assert_allclose(table["flow_vph"], total, rtol=1e-12)
    np.testing.assert_allclose(table["cycle_s"], C)
    np.testing.assert_allclose(table["delay_s"], drt, rtol=1e-12)
    np.testing.assert_allclose(table["general_delay_s"], general, rtol=1e-12)
    assert tt.mean_delay_per_passage_s() == pytest.approx(drt, rel=1e-12)
    assert tt.mean_delay_per_passage_s(drt=True) == pytest.approx(drt, rel=1e-12)
    assert tt.mean_delay_per_passage_s(drt=False) == pytest.approx(general, rel=1e-12)
    assert drt < general


def test_report_without_traffic_is_the_plain_mean_of_the_approaches():
    # no background traffic: no volume to weight by, every approach counts once
    net = cross("primary", "residential")
    tt = build_travel_times(net, TrafficConfig(), CITSConfig(bus_priority=True))
    main, side = 0.5 * C * (1 - G_MAIN) ** 2, 0.5 * C * (1 - G_SIDE) ** 2  # 12.15, 25.35
    table = tt.intersection_delays()
    np.testing.assert_allclose(table["general_delay_s"], (main + side) / 2, rtol=1e-12)
    np.testing.assert_allclose(table["delay_s"], 0.75 * (main + side) / 2, rtol=1e-12)
    assert (table["flow_vph"] == 0).all()
    assert tt.mean_delay_per_passage_s() == pytest.approx(0.75 * 18.75, rel=1e-12)
    assert tt.mean_delay_per_passage_s(drt=False) == pytest.approx(18.75, rel=1e-12)


def test_report_with_a_trickle_of_traffic_is_still_weighted():
    # v/c 1e-6: 0.005 veh/h at the crossing, 0.12 veh/h over the day; weights, not a plain mean
    net = cross("primary", "residential")
    tt = build_travel_times(net, TrafficConfig(), profile=CongestionProfile.flat(1e-6))
    f_main, f_side = 1e-6 * 990.0 * 2, 1e-6 * 500.0 * 1  # lanes per direction
    main, side = 0.5 * C * (1 - G_MAIN) ** 2, 0.5 * C * (1 - G_SIDE) ** 2
    weighted = (f_main * main + f_side * side) / (f_main + f_side)  # 14.8 s, not 18.75 s
    table = tt.intersection_delays()
    assert 0 < table["flow_vph"].max() < 1
    np.testing.assert_allclose(table["general_delay_s"], weighted, rtol=1e-5)
    assert 0 < tt.approach_flow_vph.sum() < 1
    assert tt.mean_delay_per_passage_s() == pytest.approx(weighted, rel=1e-5)


def test_intersection_report_rows_are_sorted_by_slice_then_intersection(island):
    tt = build_travel_times(island, TrafficConfig())
    # the approaches do not come in intersection order, so sorting is the report's doing
    _, first = np.unique(tt.approach_intersection, return_index=True)
    assert (np.diff(first) < 0).any()
    table = tt.intersection_delays()
    keys = table[["slice", "intersection_id"]].to_numpy()
    expected = np.array([(h, i) for h in range(24) for i in range(island.n_signals)])
    np.testing.assert_array_equal(keys, expected)


def test_delay_saved_against_a_network_without_signals():
    net = cross("primary", "residential")
    none = build_travel_times(net, TrafficConfig(signals="none"))
    fixed = build_travel_times(net, TrafficConfig())
    mean = (0.5 * C * (1 - G_MAIN) ** 2 + 0.5 * C * (1 - G_SIDE) ** 2) / 2  # 18.75 s
    # adding signals "saves" minus their delay; removing them saves all of it
    added = delay_saved_by_intersection(none, fixed)
    assert len(added) == 24
    np.testing.assert_allclose(added["saved_s"], -mean, rtol=1e-12)
    assert added["delay_base_s"].isna().all()
    removed = delay_saved_by_intersection(fixed, none)
    assert len(removed) == 24
    np.testing.assert_allclose(removed["saved_s"], mean, rtol=1e-12)
    with pytest.raises(ScenarioError, match=r"^compare travel times built on the same network"):
        delay_saved_by_intersection(fixed, build_travel_times(corridor(), TrafficConfig()))


# --------------------------------------------------------- phases, geometry
def _phase_and_green(net, tt):
    """``{tail node id: (phase, g/C to 12 digits)}`` of the approaches at noon."""
    tails = net.node_ids[net.edge_tails[tt.approach_edge]].tolist()
    phase, green = tt.approach_phase.tolist(), tt.green_ratio[12].tolist()
    return {t: (p, round(g, 12)) for t, p, g in zip(tails, phase, green, strict=True)}


def test_reference_approach_is_the_highest_class_then_the_widest():
    # two primary arms at right angles, the western one wider: it sets the main axis
    nodes = {0: (0, 0), 1: (-300, 0), 2: (0, -300), 3: (300, 0)}
    edges = [(0, 1, "primary", 4), (0, 2, "primary", 2), (0, 3, "residential", 2)]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="tee")
    pg = _phase_and_green(net, build_travel_times(net, TrafficConfig()))
    # primary on both phases: neither outranks the other, the greens are equal
    assert pg == {1: (0, 0.45), 3: (0, 0.45), 2: (1, 0.45)}


def test_every_intersection_finds_its_own_main_axis():
    # two crossings, both with a north-south primary main street
    nodes = {0: (0, 0), 1: (0, 300), 2: (0, -300), 3: (-300, 0)}
    nodes |= {10: (2000, 0), 11: (2000, 300), 12: (2000, -300), 13: (2300, 0)}
    edges = [
        (0, 1, "primary", 4),
        (0, 2, "primary", 4),
        (0, 3, "residential", 2),
        (0, 10, "residential", 2),
        (10, 11, "primary", 4),
        (10, 12, "primary", 4),
        (10, 13, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[0, 10]), name="two")
    assert net.n_signals == 2
    tt = build_travel_times(net, TrafficConfig())
    heads = net.node_ids[net.heads[tt.approach_edge]]
    tails = net.node_ids[net.edge_tails[tt.approach_edge]]
    for head, tail, phase, g in zip(
        heads, tails, tt.approach_phase, tt.green_ratio[12], strict=True
    ):
        north_south = tail in (1, 2, 11, 12)
        assert (phase, g) == ((0, G_MAIN) if north_south else (1, G_SIDE)), (head, tail)


def test_a_diagonal_main_street_keeps_its_axis():
    # the crossing turned by 30 degrees: main street along 30 deg, side street along 120 deg
    r = 300.0
    c30, s30 = r * math.cos(math.pi / 6), r * math.sin(math.pi / 6)
    nodes = {0: (0, 0), 1: (-c30, -s30), 2: (c30, s30), 3: (-s30, c30), 4: (s30, -c30)}
    edges = [
        (0, 1, "primary", 4),
        (0, 2, "primary", 4),
        (0, 3, "residential", 2),
        (0, 4, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="turned")
    pg = _phase_and_green(net, build_travel_times(net, TrafficConfig()))
    assert pg == {1: (0, G_MAIN), 2: (0, G_MAIN), 3: (1, G_SIDE), 4: (1, G_SIDE)}


def test_a_bent_main_street_is_one_phase():
    # the eastern arm comes in 29.5 deg off the straight line: still the main street
    nodes = {0: (0, 0), 1: (-300, 0), 2: (300, 170), 3: (0, 300), 4: (0, -300)}
    edges = [
        (0, 1, "primary", 4),
        (0, 2, "primary", 4),
        (0, 3, "residential", 2),
        (0, 4, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="bent")
    pg = _phase_and_green(net, build_travel_times(net, TrafficConfig()))
    assert pg == {1: (0, G_MAIN), 2: (0, G_MAIN), 3: (1, G_SIDE), 4: (1, G_SIDE)}


def test_an_approach_at_exactly_45_degrees_is_on_the_main_street():
    # "within 45 deg" includes 45 deg: the diagonal arm joins the main street's phase
    nodes = {0: (0, 0), 1: (-300, 0), 2: (300, 0), 3: (-300, -300), 4: (0, 300)}
    edges = [
        (0, 1, "primary", 4),
        (0, 2, "primary", 4),
        (0, 3, "residential", 2),
        (0, 4, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="diag")
    pg = _phase_and_green(net, build_travel_times(net, TrafficConfig()))
    assert pg == {1: (0, G_MAIN), 2: (0, G_MAIN), 3: (0, G_MAIN), 4: (1, G_SIDE)}


def test_the_phase_boundary_itself_belongs_to_the_main_street():
    # an arm whose bearing is exactly the float threshold pi/4 + 1e-9 rad (found by search)
    xt, yt = 299749.67795, 4149749.6779494993  # its tail; the crossing is at (X0, Y0)
    nodes = {0: (0, 0), 1: (-300, 0), 2: (300, 0), 3: (xt - X0, yt - Y0), 4: (0, 300)}
    edges = [
        (0, 1, "primary", 4),
        (0, 2, "primary", 4),
        (0, 3, "residential", 2),
        (0, 4, "residential", 2),
    ]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="edge")
    i, j = net.index_of(3), net.index_of(0)
    assert math.atan2(net.y_m[j] - net.y_m[i], net.x_m[j] - net.x_m[i]) == math.pi / 4 + 1e-9
    pg = _phase_and_green(net, build_travel_times(net, TrafficConfig()))
    assert pg == {1: (0, G_MAIN), 2: (0, G_MAIN), 3: (0, G_MAIN), 4: (1, G_SIDE)}


def test_two_lowest_class_roads_share_the_green():
    # service roads have rank 0: neither street outranks the other
    net = cross("service", "service", 2, 2)
    tt = build_travel_times(net, TrafficConfig())
    np.testing.assert_array_equal(tt.green_ratio, 0.45)


def test_a_signal_without_a_side_street_gives_the_main_green():
    # a pedestrian signal on a residential road: one phase of traffic, g/C = green_ratio_main
    nodes = {0: (0, 0), 1: (-300, 0), 2: (300, 0)}
    edges = [(0, 1, "residential", 2), (0, 2, "residential", 2)]
    net = network_from_graph(graph(nodes, edges, signals=[0]), name="ped")
    tt = build_travel_times(net, TrafficConfig())
    assert tt.approach_phase.tolist() == [0, 0]
    np.testing.assert_array_equal(tt.green_ratio, G_MAIN)
