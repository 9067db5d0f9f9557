"""Reading SUMO's output back into idrt's tables; the small peer case end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from idrt.errors import InteropError
from idrt.interop import read_sumo, served_within
from tests.interop.conftest import needs_sumo

TRIPINFO = """<?xml version="1.0" encoding="UTF-8"?>
<tripinfos>
    <personinfo id="r7_0" depart="100.00">
        <ride waitingTime="50.00" vehicle="taxi_0" depart="150.00" arrival="400.00"
              routeLength="2000.00"/>
    </personinfo>
    <personinfo id="r7_1" depart="100.00">
        <ride waitingTime="50.00" vehicle="taxi_0" depart="150.00" arrival="410.00"
              routeLength="2100.00"/>
    </personinfo>
    <personinfo id="r8_0" depart="200.00">
        <ride waitingTime="100.00" vehicle="taxi_0" depart="300.00" arrival="500.00"
              routeLength="1500.00"/>
    </personinfo>
    <tripinfo id="taxi_0" depart="0.00" arrival="-1" arrivalLane="2_3_0" routeLength="9000.00">
        <taxi customers="3" occupiedDistance="4000.00" occupiedTime="350.00"/>
    </tripinfo>
    <personinfo id="r9_0" depart="300.00">
        <ride waitingTime="900.00" vehicle="taxi_1" depart="1200.00" arrival="-1"
              routeLength="-1"/>
    </personinfo>
    <personinfo id="r10_0" depart="310.00">
        <ride waitingTime="890.00" vehicle="NULL" depart="-1" arrival="-1" routeLength="-1"/>
    </personinfo>
"""  # cut short, as an interrupted run leaves it (no closing tag)


@pytest.fixture
def fake_case(tmp_path):
    (tmp_path / "case.sumocfg").write_text("<configuration/>")
    (tmp_path / "case.json").write_text(json.dumps({"seed": 3, "capacity": 4, "dispatch": "x"}))
    pd.DataFrame(
        {
            "request_id": [7, 8, 9, 10, 11],
            "booking_time_s": [99.5, 200.0, 300.0, 310.0, 320.0],
            "request_time_s": [99.5, 200.0, 300.0, 310.0, 320.0],
            "origin_node": [1, 2, 3, 4, 5],
            "destination_node": [3, 4, 5, 1, 2],
            "pax": [2, 1, 1, 1, 1],
            "direct_s": [200.0, 100.0, 150.0, 120.0, 90.0],
        }
    ).to_csv(tmp_path / "requests.csv", index=False)
    pd.DataFrame(
        {"taxi": ["taxi_0", "taxi_1"], "vehicle": [0, 1], "depot_node": [1, 1],
         "depot_edge": ["0_1", "0_1"]}
    ).to_csv(tmp_path / "taxis.csv", index=False)  # fmt: skip
    pd.DataFrame({"sumo_edge": ["0_1", "2_3"], "v": [1, 3]}).to_csv(
        tmp_path / "edges.csv", index=False
    )
    (tmp_path / "tripinfo.xml").write_text(TRIPINFO)
    return tmp_path


def test_read_back_requests_and_vehicles(fake_case):
    peer = read_sumo(fake_case)
    r = peer.requests.set_index("request_id")
    assert r["status"].astype(str).to_dict() == {
        7: "served", 8: "served", 9: "pending", 10: "pending", 11: "pending"
    }  # fmt: skip
    assert r.loc[7, "pickup_s"] == 150.0 and r.loc[7, "dropoff_s"] == 410.0  # last one off
    assert r.loc[7, "wait_s"] == pytest.approx(50.5)
    assert r.loc[7, "in_vehicle_s"] == 260.0 and r.loc[7, "detour_ratio"] == 1.3
    assert r.loc[9, "reason"] == "still aboard at the end of the run"
    assert r.loc[10, "reason"] == "not picked up by the end"
    assert bool(r.loc[7, "shared"]) and bool(r.loc[8, "shared"])  # overlapping on taxi_0
    assert (r["status"] != "rejected").all()  # SUMO never rejects
    v = peer.vehicles.set_index("vehicle")
    assert v.loc[0, "km"] == 9.0 and v.loc[0, "empty_km"] == 5.0
    assert v.loc[0, "pax_km"] == pytest.approx(5.6) and v.loc[0, "pickups"] == 2
    assert v.loc[0, "final_node"] == 3 and v.loc[1, "km"] == 0.0
    kpis = peer.summary()
    assert kpis["served"] == 2 and kpis["rejected"] == 0 and kpis["passengers"] == 3
    assert np.isnan(kpis["late_pickup_mean_s"])  # not measured by SUMO
    assert served_within(peer.requests, 60) == pytest.approx(1 / 5)


def test_read_back_without_output(fake_case):
    (fake_case / "tripinfo.xml").unlink()
    with pytest.raises(InteropError, match="run the case first"):
        read_sumo(fake_case)


@needs_sumo
@pytest.mark.slow
def test_small_peer_case_end_to_end(tmp_path):
    """The small size of benchmarks/peer_sumo.py, capped at 120 s.

    SUMO's ``greedy`` dispatch only: it runs the same export and read-back as
    ``greedyShared`` in half the time (about 20 s).
    """
    from idrt.interop import peer

    record = peer.run_peer(
        "small", out=tmp_path, dispatch=("greedy",), sumo_cap_s=120, idrt_limited=False
    )
    idrt_run, sumo_run = record["runs"]
    assert record["columns_match"]  # requests, vehicles and KPI tables alike
    assert list(idrt_run["kpis"]) == list(sumo_run["kpis"])
    assert idrt_run["kpis"]["requests"] == sumo_run["kpis"]["requests"] == record["requests"]
    assert sumo_run["kpis"]["served"] > 0
    assert idrt_run["kpis"]["served_share"] == 1.0  # no wait limit: everyone is carried
    table = peer.markdown_table([record])
    assert "SUMO greedy" in table and "idrt no wait limit" in table
    if not sumo_run["capped"]:
        assert sumo_run["kpis"]["served_share"] > 0.9
