"""TrafficConfig / CITSConfig validation and the equipped-set resolution."""

from __future__ import annotations

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.traffic import CITSConfig, TrafficConfig, resolve_equipped


def test_defaults_are_valid_and_switches_off():
    t = TrafficConfig()
    assert (t.signals, t.cycle_s, t.bpr_alpha, t.bpr_beta) == ("fixed", 120.0, 0.15, 4.0)
    assert t.lost_time_s == 8.0
    c = CITSConfig()
    assert not (c.adaptive_signals or c.bus_priority or c.realtime_info)
    assert not c.any_signal_effect
    assert 0 < c.priority_red_share_removed < 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"green_ratio_main": 0.0}, r"green_ratio_main.*\(0, 1\)"),
        ({"green_ratio_main": 1.0}, r"green_ratio_main.*\(0, 1\)"),
        ({"green_ratio_side": -0.2}, r"green_ratio_side.*\(0, 1\)"),
        ({"green_ratio_main": 0.7, "green_ratio_side": 0.3}, "exceed"),
        ({"signals": "smart"}, "signals"),
        ({"cycle_s": 0}, "cycle_s"),
        ({"cycle_s": float("nan")}, "cycle_s"),
        ({"saturation_flow_vphpl": -1800}, "saturation_flow_vphpl"),
        ({"bpr_beta": -4}, "bpr_beta"),
        ({"upstream_i": 0}, "upstream_i"),
        ({"min_cycle_s": 200}, "min_cycle_s"),
        ({"min_cycle_s": 30}, "min_cycle_s"),
        ({"day_to_day_cv": 2}, "day_to_day_cv"),
        ({"capacity_vphpl": {"tram": 900}}, "capacity_vphpl"),
        ({"capacity_vphpl": {"primary": 0}}, "capacity_vphpl"),
        ({"profile": 3}, "profile"),
    ],
)
def test_bad_traffic_config(kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        TrafficConfig(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"equipped": 1.5}, "fraction"),
        ({"equipped": "some"}, "equipped"),
        ({"equipped": "corridor"}, "at least two"),
        ({"equipped": "corridor", "corridor": [[126.5, 37.5], [1, 2, 3]]}, "waypoint"),
        ({"equipped": [1, "a"]}, "integer ids"),
        ({"equipped": True}, "equipped"),
        ({"priority_red_share_removed": 1.2}, "priority_red_share_removed"),
        ({"bus_priority": "yes"}, "bus_priority"),
        ({"equipped_seed": -1}, "equipped_seed"),
    ],
)
def test_bad_cits_config(kwargs, match):
    with pytest.raises(ScenarioError, match=match):
        CITSConfig(**kwargs)


def test_from_dict_rejects_unknown_keys():
    assert TrafficConfig.from_dict({"cycle_s": 90}).cycle_s == 90
    assert CITSConfig.from_dict({"bus_priority": True}).bus_priority
    with pytest.raises(ScenarioError, match="cycle"):
        TrafficConfig.from_dict({"cycle": 90})
    with pytest.raises(ScenarioError, match="priority"):
        CITSConfig.from_dict({"priority": True})


def test_equipped_all_none_list():
    assert resolve_equipped(CITSConfig(), 4).tolist() == [True] * 4
    assert resolve_equipped(CITSConfig(equipped="none"), 4).tolist() == [False] * 4
    assert resolve_equipped(CITSConfig(equipped=[]), 3).tolist() == [False] * 3
    assert resolve_equipped(CITSConfig(equipped=(3, 1)), 4).tolist() == [False, True, False, True]
    with pytest.raises(ScenarioError, match=r"\[4, -1\].*0\.\.3"):
        resolve_equipped(CITSConfig(equipped=[0, 4, -1]), 4)


def test_equipped_fraction_is_seeded():
    a = resolve_equipped(CITSConfig(equipped=0.3, equipped_seed=5), 69)
    b = resolve_equipped(CITSConfig(equipped=0.3, equipped_seed=5), 69)
    c = resolve_equipped(CITSConfig(equipped=0.3, equipped_seed=6), 69)
    assert a.sum() == round(0.3 * 69) == 21
    assert (a == b).all() and not (a == c).all()
    assert resolve_equipped(CITSConfig(equipped=1), 69).all()
    assert not resolve_equipped(CITSConfig(equipped=0.0), 69).any()


def test_corridor_equips_the_signals_on_the_route_through_its_waypoints(island):
    import networkx as nx

    sig = island.signals
    # two signals far apart: the corridor runs between them
    a = sig.loc[sig["x_m"].idxmin()]
    b = sig.loc[sig["x_m"].idxmax()]
    cits = CITSConfig(equipped="corridor", corridor=[[a.lon, a.lat], [b.lon, b.lat]])
    mask = resolve_equipped(cits, island.n_signals, island)
    # independent truth: networkx's fastest path on the cleaned graph
    ends = island.nearest_node(np.array([a.lon, b.lon]), np.array([a.lat, b.lat]))
    path = nx.shortest_path(island.graph, int(ends[0]), int(ends[1]), weight="travel_time")
    ids = island.signal_id[island.index_of(np.array(path))]
    expected = np.zeros(island.n_signals, bool)
    expected[ids[ids >= 0]] = True
    assert mask.sum() >= 2
    assert (mask == expected).all()
    with pytest.raises(ScenarioError, match="from the nearest road"):
        resolve_equipped(
            CITSConfig(equipped="corridor", corridor=[[0.0, 0.0], [1.0, 1.0]]),
            island.n_signals,
            island,
        )
