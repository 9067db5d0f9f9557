"""Export to SUMO: files, round trip, free-flow times, determinism, bad input."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

import idrt
from idrt.errors import IdrtWarning, InteropError
from idrt.interop import _tools, sumo_export, to_sumo
from idrt.sim.assembly import build_trips
from tests.interop.conftest import needs_sumo, small_scenario


# ----------------------------------------------------------------- round trip
def test_route_file_matches_requests_and_fleet(island_case, yeongjong):
    scn, case = island_case
    trips = build_trips(scn, yeongjong, 4)
    root = ET.parse(case.path("case.rou.xml")).getroot()
    edges = pd.read_csv(case.path("edges.csv"), dtype={"sumo_edge": str}).set_index("sumo_edge")

    taxis = root.findall("vehicle")
    assert len(taxis) == scn.fleet.size == case.n_taxis
    vtype = root.find("vType")
    assert int(vtype.get("personCapacity")) == scn.fleet.capacity
    params = {p.get("key"): p.get("value") for p in vtype.findall("param")}
    assert params["has.taxi.device"] == "true"
    assert float(params["device.taxi.pickUpDuration"]) == scn.service.stop_time_s
    depots = pd.read_csv(case.path("taxis.csv"))["depot_node"]
    for taxi, depot in zip(taxis, depots, strict=True):
        assert taxi.get("line") == "taxi"
        edge = taxi.find("route").get("edges")
        assert edges.loc[edge, "v"] == depot  # the taxi starts at its depot node

    persons: dict[int, list[ET.Element]] = {}
    for person in root.findall("person"):
        request = int(person.get("id")[1:].split("_")[0])
        persons.setdefault(request, []).append(person)
    assert sorted(persons) == sorted(trips["request_id"].tolist())
    assert sum(len(p) for p in persons.values()) == trips["pax"].sum() == case.n_persons
    for row in trips.itertuples(index=False):
        group = persons[row.request_id]
        assert len(group) == row.pax
        for person in group:
            ride = person.find("ride")
            assert ride.get("lines") == "taxi"
            assert edges.loc[ride.get("from"), "v"] == row.origin_node
            assert edges.loc[ride.get("to"), "v"] == row.destination_node
            assert float(person.get("depart")) == pytest.approx(row.request_time_s, abs=0.006)
            if row.pax > 1:
                assert ride.get("group") == f"r{row.request_id}"
    departs = [float(e.get("depart")) for e in root if e.tag in ("vehicle", "person")]
    assert departs == sorted(departs)  # SUMO wants departures in order


def test_mapping_and_meta(island_case, yeongjong):
    _, case = island_case
    nodes = pd.read_csv(case.path("nodes.csv"))
    edges = pd.read_csv(case.path("edges.csv"))
    assert nodes["node_id"].tolist() == yeongjong.node_ids.tolist()
    assert len(edges) == yeongjong.n_edges
    assert np.allclose(edges["travel_time_s"], yeongjong.edge_travel_time_s)
    assert (edges["sumo_edge"] == edges["u"].astype(str) + "_" + edges["v"].astype(str)).all()
    text = case.path("README.md").read_text()
    assert "sumo -c case.sumocfg" in text
    tls = ET.parse(case.path("case.tls.add.xml")).getroot().findall("tlLogic")
    assert len(tls) == yeongjong.n_signals
    for logic in tls:  # every programme runs the scenario's 120 s cycle
        assert sum(float(p.get("duration")) for p in logic.findall("phase")) == pytest.approx(120)


# ------------------------------------------------------ free-flow equality
def _compare_free_flow(net, folder, pairs=40, seed=0):
    """Max relative gap of sumolib's fastest path vs idrt's kernel on random edge pairs."""
    import sumolib

    sumo_net = sumolib.net.readNet(str(folder / "case.net.xml"))
    ids = sumo_export.sumo_edge_ids(net)
    rng = np.random.default_rng(seed)
    tails = net.edge_tails
    gaps = []
    for _ in range(pairs):
        a, b = (int(e) for e in rng.choice(net.n_edges, 2, replace=False))
        # a route from edge a to edge b: a, the fastest path head(a) -> tail(b), b
        inner = net.travel_time_s(net.node_ids[net.heads[a]], net.node_ids[tails[b]])
        expected = net.edge_travel_time_s[a] + inner + net.edge_travel_time_s[b]
        route, cost = sumo_net.getFastestPath(sumo_net.getEdge(ids[a]), sumo_net.getEdge(ids[b]))
        assert route is not None, (ids[a], ids[b])
        gaps.append(abs(cost - expected) / expected)
    return max(gaps)


@needs_sumo
def test_free_flow_times_equal_on_default_network(island_case, yeongjong):
    _, case = island_case
    assert _compare_free_flow(yeongjong, case.folder) < 0.02


@needs_sumo
@pytest.mark.shared_data
def test_free_flow_times_equal_on_delft(real_network, tmp_path):
    net = real_network("Delft")
    scn = small_scenario(
        **{
            "demand.area": "",
            "demand.attractors": "",
            "demand.trips_per_day": 20,
            "fleet.depots": [[4.3571, 52.0116]],
        }
    )
    case = to_sumo(scn, seed=1, out=tmp_path / "delft", network=net)
    assert case.built
    tls = ET.parse(case.path("case.tls.add.xml")).getroot().findall("tlLogic")
    assert len(tls) == net.n_signals
    assert _compare_free_flow(net, case.folder) < 0.02


# -------------------------------------------------------------- determinism
@needs_sumo
def test_same_seed_same_files(island_case, yeongjong, tmp_path):
    scn, case = island_case
    again = to_sumo(scn, seed=4, out=tmp_path / "again", network=yeongjong)
    for name in sumo_export.EXPORT_FILES:
        if name == "netconvert.log":
            continue
        assert case.path(name).read_bytes() == again.path(name).read_bytes(), name


# ---------------------------------------------------------------- bad input
def test_refuses_folder_that_is_not_empty(tmp_path, yeongjong):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InteropError, match=r"not empty.*--force"):
        to_sumo(small_scenario(), seed=1, out=tmp_path, network=yeongjong, build=False)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_force_replaces_only_the_export(tmp_path, yeongjong):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "tripinfo.greedy.xml").write_text("<old/>")
    case = to_sumo(
        small_scenario(), seed=1, out=tmp_path, network=yeongjong, build=False, force=True
    )
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "tripinfo.greedy.xml").exists()
    assert case.path("case.rou.xml").is_file()


def test_unknown_dispatch_algorithm(tmp_path, yeongjong):
    with pytest.raises(InteropError, match="greedyShared"):
        to_sumo(small_scenario(), out=tmp_path / "x", network=yeongjong, dispatch="fastest")


def test_without_sumo_writes_plain_xml_and_says_how_to_install(tmp_path, yeongjong, monkeypatch):
    monkeypatch.setattr(sumo_export, "sumo_available", lambda: False)
    with pytest.warns(IdrtWarning, match=r'pip install "idrt\[sumo\]"'):
        case = to_sumo(small_scenario(), seed=1, out=tmp_path / "plain", network=yeongjong)
    assert not case.built
    for name in ("case.nod.xml", "case.edg.xml", "case.netccfg", "case.rou.xml", "case.sumocfg"):
        assert case.path(name).is_file(), name
    assert not case.path("case.net.xml").exists()
    readme = case.path("README.md").read_text()
    assert 'pip install "idrt[sumo]"' in readme and "netconvert -c case.netccfg" in readme
    with pytest.raises(InteropError, match="not built"):
        idrt.interop.run_sumo(case.folder)


def test_missing_binary_names_the_install(monkeypatch):
    monkeypatch.setattr(_tools, "_candidates", lambda name: [])
    with pytest.raises(InteropError, match=r'pip install "idrt\[sumo\]"'):
        _tools.find_binary("netconvert")


@needs_sumo
def test_netconvert_failure_keeps_its_log(tmp_path, yeongjong, monkeypatch):
    real = sumo_export._write_plain_network

    def broken(folder, *args):
        real(folder, *args)
        (folder / "case.edg.xml").write_text('<edges><edge id="x" from="nowhere" to="1"/></edges>')

    monkeypatch.setattr(sumo_export, "_write_plain_network", broken)
    with pytest.raises(InteropError, match="netconvert failed") as err:
        to_sumo(small_scenario(), seed=1, out=tmp_path / "bad", network=yeongjong)
    log = tmp_path / "bad" / "netconvert.log"
    assert str(log) in str(err.value) and log.is_file() and log.stat().st_size > 0


def test_run_sumo_on_a_folder_that_is_no_case(tmp_path):
    with pytest.raises(InteropError, match="not a SUMO case exported by idrt"):
        idrt.interop.run_sumo(tmp_path)


@needs_sumo
def test_cli_export(tmp_path, capsys):
    from idrt.cli import main
    from tests.interop.conftest import REPO

    out = tmp_path / "cli_case"
    args = [
        "export", "sumo", str(REPO / "experiments" / "yeongjong.toml"), "--seed", "2",
        "--out", str(out), "--set", "demand.trips_per_day=30", "--set", 'traffic.profile=""',
    ]  # fmt: skip
    assert main(args) == 0
    assert "sumo -c" in capsys.readouterr().out
    assert (out / "case.net.xml").is_file() and (out / "case.sumocfg").is_file()
    assert main(args) == 2  # the folder is no longer empty: refused before any work
    assert "--force" in capsys.readouterr().err
    shutil.rmtree(out)


def test_background_traffic_is_not_exported_and_says_so(tmp_path, yeongjong):
    scn = small_scenario(**{"traffic.profile": "congestion_weekday"})
    with pytest.warns(IdrtWarning, match="free flow"):
        to_sumo(scn, seed=1, out=tmp_path / "busy", network=yeongjong, build=False)
