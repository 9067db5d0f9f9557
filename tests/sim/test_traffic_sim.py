"""The simulator under the traffic model: signals, congestion, C-ITS, real-time info."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from idrt.network import network_from_graph
from idrt.scenario import Scenario
from idrt.sim import simulate
from idrt.sim.assembly import build_network, traffic_active
from tests.sim.invariants import check_result

SMALL = {
    "demand.trips_per_day": 250,
    "service.start_h": 7.0,
    "service.end_h": 11.0,
    "fleet.size": 3,
}


def _profile(tmp_path, name, rows):
    """A congestion profile CSV: ``rows`` maps hour -> {column: v/c}."""
    columns = ["vc_factor", *sorted({c for row in rows.values() for c in row} - {"vc_factor"})]
    lines = ["hour," + ",".join(columns)]
    lines += [f"{h}," + ",".join(str(rows[h].get(c, 0.0)) for c in columns) for h in range(24)]
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def island():
    return build_network(Scenario())


def test_zero_traffic_through_the_traffic_path_equals_the_static_simulator(island, tmp_path):
    # a profile of v/c 0 switches the time-sliced oracle and realised movement
    # on, with every link at its free-flow time: the run must not change at all
    zero = _profile(tmp_path, "zero", {h: {"vc_factor": 0.0} for h in range(24)})
    base = Scenario().with_overrides({**SMALL, "traffic.signals": "none", "traffic.profile": ""})
    sliced = base.with_overrides({"traffic.profile": zero})
    assert not traffic_active(base) and traffic_active(sliced)
    a = simulate(base, seed=3, network=island)
    b = simulate(sliced, seed=3, network=island)
    pd.testing.assert_frame_equal(a.requests, b.requests)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.vehicles, b.vehicles)
    assert len(b.signal_passages) == 0


def test_cits_lowers_signal_delay_per_passage_on_the_same_seed(island):
    fixed = Scenario().with_overrides(SMALL)
    cits = fixed.with_overrides(
        {"cits.adaptive_signals": True, "cits.bus_priority": True, "cits.realtime_info": True}
    )
    a = simulate(fixed, seed=2, network=island)
    b = simulate(cits, seed=2, network=island)
    for result in (a, b):
        check_result(result)
        assert len(result.signal_passages) > 50
        assert (result.signal_passages["delay_s"] >= 0).all()
    da = a.summary()["signal_delay_per_passage_s"]
    db = b.summary()["signal_delay_per_passage_s"]
    assert db < 0.85 * da
    # the log agrees with the per-intersection report
    per = b.intersection_delays()
    assert per["passages"].sum() == len(b.signal_passages)
    assert np.isclose(per["delay_total_s"].sum(), b.signal_passages["delay_s"].sum())


def test_realised_signal_delay_averages_its_expectation(island):
    result = simulate(Scenario().with_overrides(SMALL), seed=4, network=island)
    p = result.signal_passages
    # uniform arrivals in the cycle: the mean realised delay is the expectation
    # (d1 exactly for X <= 1), within sampling error
    se = p["delay_s"].std() / np.sqrt(len(p))
    assert abs(p["delay_s"].mean() - p["expected_delay_s"].mean()) < 4 * se


def _two_routes():
    """A -> B on a 2 km primary road, or round a 3.2 km residential detour."""
    G = nx.MultiDiGraph(crs="EPSG:32652")
    xy = {0: (0, 0), 1: (2000, 0), 2: (0, 600), 3: (2000, 600)}
    for n, (x, y) in xy.items():
        G.add_node(n, x=300_000.0 + x, y=4_150_000.0 + y)
    for u, v, hw in ((0, 1, "primary"), (0, 2, "residential"), (2, 3, "residential"),
                     (3, 1, "residential")):  # fmt: skip
        length = float(np.hypot(xy[u][0] - xy[v][0], xy[u][1] - xy[v][1]))
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=length, highway=hw, lanes=2)
    return network_from_graph(G, name="two_routes")


@pytest.mark.parametrize(("hour", "km"), [(8.2, 3.2), (12.0, 2.0)])
def test_congested_peak_route_is_avoided_in_the_peak_only(tmp_path, hour, km):
    net = _two_routes()
    # the primary road is jammed at 08-09 (v/c 2: BPR x3.4), free otherwise
    rows = {h: {"vc_factor": 0.0, "primary": 2.0 if h == 8 else 0.1} for h in range(24)}
    scn = Scenario().with_overrides(
        {
            "network.source": "unused",
            "traffic.signals": "none",
            "traffic.profile": _profile(tmp_path, "peak", rows),
            "traffic.day_to_day_cv": 0.0,
            "fleet.size": 1,
            "fleet.depots": [0],
            "demand.area": "",
            "service.start_h": 6.0,
            "service.end_h": 14.0,
        }
    )
    t = hour * 3600.0
    trips = pd.DataFrame(
        {
            "request_id": [1],
            "booking_time_s": [t],
            "request_time_s": [t],
            "origin_node": [0],
            "destination_node": [1],
            "pax": [1],
        }
    )
    result = simulate(scn, network=net, trips=trips)
    assert result.requests["status"].iloc[0] == "served"
    assert result.vehicles["km"].sum() == pytest.approx(km)


def test_missed_promises_occur_without_realtime_info_and_vanish_with_it(island, tmp_path):
    # a flat profile and a day that is uniformly busier or quieter than the
    # history (correlation 1): with real-time information the dispatcher's
    # times are the day's own, so no promise is missed; without it, the busy
    # days break promises
    flat = _profile(tmp_path, "flat", {h: {"vc_factor": 0.9} for h in range(24)})
    scn = Scenario().with_overrides(
        {
            **SMALL,
            "fleet.size": 3,
            "service.max_wait_s": 900.0,
            "traffic.signals": "none",
            "traffic.profile": flat,
            "traffic.day_to_day_cv": 0.5,
            "traffic.day_to_day_correlation": 1.0,
        }
    )
    missed = {}
    for realtime in (False, True):
        variant = scn.with_overrides({"cits.realtime_info": realtime})
        runs = [simulate(variant, seed=s, network=island) for s in (1, 2, 3, 4)]
        for result in runs:
            check_result(result)
        missed[realtime] = sum(int(r.requests["missed_promise"].sum()) for r in runs)
    assert missed[False] > 0
    assert missed[True] == 0


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"cits.equipped": [0, 9999]}, r"\[9999\].*not in the network"),
        ({"traffic.green_ratio_main": 1.0}, r"g/C must be in \(0, 1\)"),
        ({"traffic.profile": "no_such_profile.csv"}, "no_such_profile"),
    ],
)
def test_bad_traffic_input_is_one_clear_scenario_error(island, overrides, match):
    from idrt.errors import ScenarioError

    with pytest.raises(ScenarioError, match=match):
        simulate(Scenario().with_overrides({**SMALL, **overrides}), network=island)


def test_profile_with_wrong_number_of_slices_is_rejected(island, tmp_path):
    from idrt.errors import ScenarioError

    short = tmp_path / "short.csv"
    short.write_text("hour,vc_factor\n" + "".join(f"{h},0.5\n" for h in range(23)))
    with pytest.raises(ScenarioError, match="24"):
        scn = Scenario().with_overrides({**SMALL, "traffic.profile": str(short)})
        simulate(scn, network=island)
