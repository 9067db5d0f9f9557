"""An invariant checker for simulation results, run on every event of a run."""

from __future__ import annotations

import numpy as np

from idrt.sim.assembly import traffic_active

EPS_S = 1e-6


def check_result(result) -> None:
    """Assert the invariants every run must satisfy (AssertionError naming the breach)."""
    req = result.requests
    ev = result.events
    capacity = result.scenario.fleet.capacity

    # time never goes backwards: globally and per vehicle
    times = ev["time_s"].to_numpy()
    assert np.all(np.diff(times) >= 0), "event log time goes backwards"

    # loads from the event log: recomputed from pickups and drop-offs
    pax = dict(zip(req["request_id"], req["pax"], strict=True))
    load: dict[int, int] = {}
    picked: dict[int, tuple[int, float]] = {}
    dropped: dict[int, tuple[int, float]] = {}
    for t, vehicle, kind, _node, request, logged in ev.itertuples(index=False):
        if kind == "pickup":
            assert request not in picked, f"request {request} picked up twice"
            load[vehicle] = load.get(vehicle, 0) + pax[request]
            picked[request] = (vehicle, t)
        elif kind == "dropoff":
            assert request in picked, f"request {request} dropped before pickup"
            assert request not in dropped, f"request {request} dropped twice"
            assert picked[request][0] == vehicle, f"request {request} changed vehicle"
            load[vehicle] = load.get(vehicle, 0) - pax[request]
            dropped[request] = (vehicle, t)
        else:
            continue
        assert 0 <= load[vehicle] <= capacity, f"vehicle {vehicle} load {load[vehicle]} at {t}"
        assert load[vehicle] == logged, f"vehicle {vehicle} logged load {logged} != {load[vehicle]}"
    assert all(v == 0 for v in load.values()), "vehicles end with riders on board"

    # every request ends served or rejected; conservation
    counts = req["status"].value_counts()
    assert counts.get("pending", 0) == 0, "requests left pending at the end of the run"
    assert counts.get("served", 0) + counts.get("rejected", 0) == len(req)
    served = req[req["status"] == "served"]
    rejected = req[req["status"] == "rejected"]
    assert set(served["request_id"]) == set(picked) == set(dropped)
    assert not set(rejected["request_id"]) & set(picked)
    assert (rejected["reason"] != "").all()

    # timing constraints of accepted riders
    earliest = served["request_time_s"] + served["walk_pickup_s"].fillna(0.0)
    assert (served["pickup_s"] >= earliest - EPS_S).all(), "pickup before the rider is there"
    assert (served["pickup_s"] >= served["booking_time_s"] - EPS_S).all()
    late = served["pickup_s"] > served["promised_pickup_s"] + EPS_S
    assert (late == served["missed_promise"]).all(), "missed promises misreported"
    if traffic_active(result.scenario):
        # plans use expected link times, vehicles realised ones: promises can
        # be missed, but only by legs that took longer than planned
        assert len(result.signal_passages) or result.scenario.traffic.profile
    else:
        assert not late.any(), "promised pickup time broken"
        assert (served["ride_s"] <= served["max_ride_s"] + EPS_S).all(), "ride-time limit broken"
    assert (served["dropoff_s"] > served["pickup_s"]).all()
    logged_pickup = served["request_id"].map({r: t for r, (_, t) in picked.items()})
    assert np.allclose(logged_pickup, served["pickup_s"], rtol=0, atol=EPS_S)
    logged_vehicle = served["request_id"].map({r: v for r, (v, _) in picked.items()})
    assert (logged_vehicle == served["vehicle"]).all()
