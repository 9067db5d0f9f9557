"""Bad inputs give one clear error naming the key, file or line, or a loud warning.

Each test is a case of issue 13 (sections 3 and 4) that ran silently wrong or
ended in a traceback or an unclear message before.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import idrt
from idrt.demand import from_csv
from idrt.errors import IdrtWarning, collect_warnings, quote_header, warn, warnings_once
from idrt.network import load_network
from idrt.scenario import DispatchConfig, Scenario, ServiceConfig
from idrt.sim.assembly import build_trips

REPO = Path(__file__).resolve().parents[2]
HEADER = "request_time,origin_lon,origin_lat,destination_lon,destination_lat\n"
# two points on the Yeongjong network (Unseo station area and the airport road)
A = (126.5638, 37.4934)
B = (126.5300, 37.4800)


def _trip_line(t: str, a=A, b=B, sep: str = ",") -> str:
    return sep.join([t, f"{a[0]}", f"{a[1]}", f"{b[0]}", f"{b[1]}"]) + "\n"


# ------------------------------------------------------------------ scenario
def test_empty_scenario_file_is_refused(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("# nothing here yet\n")
    with pytest.raises(idrt.ScenarioError, match=r"empty.toml.*is empty"):
        Scenario.from_toml(path)


def test_negative_late_pickup_tolerance_is_refused():
    with pytest.raises(idrt.ScenarioError, match=r"service.late_pickup_tolerance_s = -5"):
        Scenario().with_overrides({"service.late_pickup_tolerance_s": -5})


@pytest.mark.parametrize(
    "key", ["service.boarding_s_per_pax", "dispatch.w_wait", "service.max_wait_s", "demand.scale"]
)
def test_nan_values_name_the_scenario_key(key):
    with pytest.raises(idrt.ScenarioError, match=rf"^{key} = nan"):
        Scenario().with_overrides({key: math.nan})


def test_nan_in_a_scenario_built_in_python_names_the_key():
    with pytest.raises(idrt.ScenarioError, match=r"service.boarding_s_per_pax = nan"):
        Scenario(service=ServiceConfig(boarding_s_per_pax=math.nan))
    with pytest.raises(idrt.ScenarioError, match=r"dispatch.w_wait = -1"):
        Scenario(dispatch=DispatchConfig(w_wait=-1.0))


@pytest.mark.parametrize("key", ["service.stop_time_s", "dispatch.w_vehicle", "demand.scale"])
def test_infinite_values_name_the_scenario_key(key):
    with pytest.raises(idrt.ScenarioError, match=rf"^{key} = inf: give a finite number"):
        Scenario().with_overrides({key: math.inf})
    assert Scenario().with_overrides({"service.max_wait_s": math.inf})  # inf: no limit


def test_service_hours_past_midnight_are_refused_by_the_scenario_check():
    with pytest.raises(idrt.ScenarioError, match=r"service.end_h = 30.*<= 24"):
        Scenario().with_overrides({"service.end_h": 30})


@pytest.mark.parametrize("seed", [1.7, True, "abc", math.nan, -1])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(idrt.ScenarioError, match=r"seed"):
        Scenario(seed=seed)
    with pytest.raises(idrt.ScenarioError, match=r"seed = .*whole number"):
        idrt.simulate(Scenario(), seed=seed)


def test_numpy_integer_seeds_are_accepted():
    assert Scenario(seed=np.int64(4)).seed == 4


def test_unknown_reference_kpi_is_refused_before_anything_runs(monkeypatch):
    import idrt.sim.run as run

    def no_build(*args, **kwargs):
        raise AssertionError("the network was built before the scenario was checked")

    monkeypatch.setattr(run, "build_network", no_build)
    scn = Scenario(reference={"wait_avg_s": 300.0})
    with pytest.raises(idrt.ScenarioError, match=r"\[reference\].*'wait_avg_s'.*wait_mean_s"):
        idrt.simulate(scn)


def test_kpi_names_match_a_real_summary(yeongjong):
    from idrt.sim.assembly import kpi_names

    scn = Scenario().with_overrides(
        {"demand.trips_per_day": 20, "fleet.size": 2, "traffic.signals": "none"}
    )
    scn = scn.with_overrides({"traffic.profile": ""})
    result = idrt.simulate(scn, seed=1, network=yeongjong)
    assert kpi_names(scn) == list(result.summary().index)


def test_simulate_takes_a_scenario_path(tmp_path, monkeypatch):
    import idrt.sim.run as run

    def stop(*args, **kwargs):
        raise RuntimeError("reached the network")

    monkeypatch.setattr(run, "build_network", stop)
    path = tmp_path / "mine.toml"
    path.write_text("[fleet]\nsize = 3\n")
    with pytest.raises(RuntimeError, match="reached the network"):
        idrt.simulate(str(path))  # read as a scenario file, not refused
    with pytest.raises(idrt.ScenarioError, match=r"'x.toml' does not exist"):
        idrt.simulate("x.toml")
    with pytest.raises(idrt.ScenarioError, match=r"takes a Scenario or the path"):
        idrt.simulate(3)


def test_a_bad_key_names_its_scenario_file(tmp_path):
    path = tmp_path / "variant.toml"
    path.write_text("[fleet]\nsize = 'ten'\n")
    with pytest.raises(idrt.ScenarioError, match=r"variant.toml.*fleet.size = 'ten'"):
        Scenario.from_toml(path)


def test_data_file_content_is_not_echoed(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n")
    for key in ("demand.profile", "traffic.profile"):
        scn = Scenario().with_overrides({key: str(secret), "demand.trips_per_day": 10})
        with pytest.raises(idrt.IdrtError) as info:
            idrt.simulate(scn)
        assert "hashhash" not in str(info.value) and "19000" not in str(info.value)
        assert "not a header" in str(info.value)


def test_quote_header_quotes_only_headers():
    assert quote_header("hour;share") == "'hour;share'"
    assert "not a header" in quote_header("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "not a header" in quote_header("root:$6$x$y:1:0:::")


# ----------------------------------------------------------------- trip files
def test_header_only_trip_file_is_refused(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    path.write_text(HEADER)
    with pytest.raises(idrt.DemandError, match=r"header but no trips"):
        from_csv(path, yeongjong)


def test_trip_file_whose_rows_are_all_dropped_is_refused(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    # Delft coordinates on the Yeongjong network: every row far from any road
    path.write_text(HEADER + _trip_line("08:00", (4.36, 52.01), (4.37, 52.00)) * 3)
    with pytest.raises(idrt.DemandError, match=r"none of the 3 requests can be served.*swapped"):
        from_csv(path, yeongjong)


def test_repeated_request_ids_in_a_trip_file_are_refused(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    path.write_text(
        "request_id," + HEADER + "7," + _trip_line("08:00") + "7," + _trip_line("08:05")
    )
    match = r"line 3: request_id '7' was already used on line 2"
    with pytest.raises(idrt.DemandError, match=match):
        from_csv(path, yeongjong)


def test_repeated_request_ids_in_a_table_are_refused(yeongjong):
    nodes = yeongjong.node_ids
    trips = pd.DataFrame(
        {
            "request_id": [1, 1],
            "booking_time_s": [30000.0, 30100.0],
            "request_time_s": [30000.0, 30100.0],
            "origin_node": [nodes[0], nodes[1]],
            "destination_node": [nodes[2], nodes[3]],
            "pax": [1, 1],
        }
    )
    scn = Scenario().with_overrides({"traffic.signals": "none", "traffic.profile": ""})
    with pytest.raises(idrt.ScenarioError, match=r"unique.*request_id 1"):
        idrt.simulate(scn, network=yeongjong, trips=trips)


def test_semicolon_separated_trip_file_is_read(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    path.write_text(HEADER.replace(",", ";") + _trip_line("08:00", sep=";"))
    demand = from_csv(path, yeongjong)
    assert len(demand) == 1 and demand.trips["request_time_s"].iloc[0] == 8 * 3600


def test_decimal_comma_is_named(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    path.write_text(HEADER.replace(",", ";") + "08:00;126,5638;37.4934;126.53;37.48\n")
    with pytest.raises(idrt.DemandError, match=r"line 2: origin_lon = '126,5638'.*decimal mark"):
        from_csv(path, yeongjong)


def test_scaled_trip_file_stays_inside_the_service_hours(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    # every request in the last two minutes of service (ends 20:00); copies are jittered
    lines = [_trip_line(f"19:58:{s:02d}") for s in range(0, 60, 2)]
    path.write_text(HEADER + "".join(lines))
    scn = Scenario().with_overrides({"demand.trips": str(path), "demand.scale": 4.0})
    for seed in range(3):
        frame = build_trips(scn, yeongjong, seed)
        assert len(frame) > len(lines)
        assert frame["request_time_s"].max() < 20 * 3600
        assert frame["request_time_s"].min() >= 7 * 3600


def test_a_run_without_requests_warns():
    net = load_network("yeongjong")
    scn = Scenario().with_overrides(
        {"demand.trips_per_day": 0, "traffic.signals": "none", "traffic.profile": ""}
    )
    with pytest.warns(IdrtWarning, match=r"no requests"):
        idrt.simulate(scn, network=net)


# ------------------------------------------------------------------- networks
def _graph(**edit) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs="EPSG:4326", name="toy")
    points = {1: (126.50, 37.40), 2: (126.51, 37.40), 3: (126.51, 37.41)}
    for node, (x, y) in points.items():
        G.add_node(node, x=x, y=y)
    for u, v in [(1, 2), (2, 1), (2, 3), (3, 2), (3, 1), (1, 3)]:
        G.add_edge(u, v, length=1500.0, highway="residential")
    for (u, v), length in edit.get("lengths", {}).items():
        G.edges[u, v, 0]["length"] = length
    for node, (x, y) in edit.get("coords", {}).items():
        G.add_node(node, x=x, y=y)
    for u, v in edit.get("edges", []):
        G.add_edge(u, v, length=100.0, highway="residential")
    return G


def test_nan_node_coordinate_is_one_clear_error():
    G = _graph()
    G.nodes[2]["x"] = math.nan
    with pytest.raises(idrt.NetworkError, match=r"node 2 has coordinates x=nan"):
        load_network(G)


@pytest.mark.parametrize("bad", [-5.0, math.nan, "abc"])
def test_bad_link_length_warns_and_uses_the_straight_line(bad):
    with pytest.warns(IdrtWarning, match=r"1 edge\(s\) have a length.*1->2"):
        net = load_network(_graph(lengths={(1, 2): bad}))
    a, b = net.index_of(1), net.index_of(2)
    e = next(k for k in range(net.indptr[a], net.indptr[a + 1]) if net.heads[k] == b)
    straight = math.hypot(net.x_m[a] - net.x_m[b], net.y_m[a] - net.y_m[b])
    assert net.length_m[e] == pytest.approx(straight)


def test_implausible_link_length_is_refused():
    with pytest.raises(idrt.NetworkError, match=r"edge 1->2 is 1e\+09 m long.*metres"):
        load_network(_graph(lengths={(1, 2): 1e9}))


def test_dropped_nodes_are_warned_with_count_and_place(caplog):
    G = _graph(coords={4: (126.60, 37.50), 5: (126.61, 37.50)}, edges=[(4, 5)])
    with caplog.at_level(logging.WARNING, logger="idrt.network"):
        net = load_network(G)
    assert net.n_nodes == 3
    text = caplog.text
    assert "dropped 2 of 5 nodes" in text and "4, 5" in text and "126.60000..126.61000" in text
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_misspelt_road_class_speed_is_refused():
    with pytest.raises(idrt.NetworkError, match=r"'residental'.*did you mean 'residential'"):
        load_network(_graph(), speeds_kmh={"residental": 20})
    assert load_network(_graph(), speeds_kmh={"residential": 20}).n_nodes == 3


def test_misspelt_road_class_in_a_scenario_is_refused():
    scn = Scenario().with_overrides({"network.speeds_kmh": {"primery": 40}})
    with pytest.raises(idrt.NetworkError, match=r"'primery'.*did you mean 'primary'"):
        idrt.simulate(scn)


# ------------------------------------------------------------------- warnings
def test_warn_once_per_block():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IdrtWarning)
        with warnings_once():
            for _ in range(30):
                warn("bad trip file", key="trips:x")
            warn("another problem")
        warn("bad trip file", key="trips:x")  # outside the block: shown again
    assert [str(w.message) for w in caught] == [
        "bad trip file",
        "another problem",
        "bad trip file",
    ]


def test_collected_warnings_replay_once():
    replies = []
    for _ in range(5):  # five "workers"
        with collect_warnings() as messages:
            warn("flagged 3 trips")
        replies.append(messages)
    assert replies == [["flagged 3 trips"]] * 5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IdrtWarning)
        with warnings_once():
            for messages in replies:
                for m in messages:
                    warn(m)
    assert len(caught) == 1


def test_trip_import_warning_once_per_sweep(tmp_path, yeongjong):
    path = tmp_path / "trips.csv"
    path.write_text(HEADER + _trip_line("08:00") + _trip_line("08:05", (4.36, 52.01)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IdrtWarning)
        with warnings_once():
            for _ in range(3):
                from_csv(path, yeongjong)
    assert len([w for w in caught if "import of" in str(w.message)]) == 1
