"""Invariants of runs with rider behaviour and shifts (a companion to invariants.py)."""

from __future__ import annotations

import numpy as np

from idrt.sim.riders import STATUSES
from idrt.sim.shifts import duty_windows

EPS_S = 1e-6


def check_behaviour(result) -> None:
    """Assert the status identity, rider counting, event log, capacity and Little's law.

    Raises AssertionError naming the breach.
    """
    req = result.requests
    ev = result.events
    scn = result.scenario
    kpi = result.summary()
    status = req["status"].astype(str)

    # every request ends in exactly one known status, and they add up
    assert set(status) <= set(STATUSES), f"unknown statuses {set(status) - set(STATUSES)}"
    counts = status.value_counts()
    assert counts.get("pending", 0) == 0, "requests left pending at the end of the run"
    total = sum(int(counts.get(k, 0)) for k in STATUSES if k != "pending")
    assert total == len(req) == kpi["requests"], "requests != served + rejected + declined + ..."
    for key in ("served", "rejected", "declined", "cancelled", "no_show"):
        if key in kpi.index:
            assert kpi[key] == counts.get(key, 0), f"KPI {key} != its count in the table"
    shares = [kpi["served_share"], kpi["reject_share"]]
    shares += [kpi[f"{k}_share"] for k in ("declined", "cancelled", "no_show")]
    assert abs(sum(shares) - 1.0) < 1e-9, "status shares do not add up to 1"

    # riders: counted once, attempts numbered 1..k, retries follow a refusal
    assert req["request_id"].is_unique
    assert kpi["riders_carried"] <= kpi["unique_riders"] <= kpi["requests"]
    served = req[status == "served"]
    assert served["rider_id"].is_unique, "a rider was carried twice"
    assert kpi["riders_carried"] == len(served)
    max_attempts = scn.behaviour.max_attempts
    for _rider, group in req.groupby("rider_id", sort=False):
        g = group.sort_values("attempt")
        attempts = g["attempt"].to_numpy()
        assert attempts.tolist() == list(range(1, len(g) + 1)), "attempts not numbered 1..k"
        assert attempts[-1] <= max_attempts
        st = g["status"].astype(str).to_numpy()
        assert set(st[:-1]) <= {"rejected", "declined"}, "asked again after being booked"
        booked = g["booking_time_s"].to_numpy()
        assert np.all(np.diff(booked) > 0), "a retry booked before the attempt it follows"
        assert (g["request_time_s"] >= g["booking_time_s"] - EPS_S).all()
        assert (g["pax"] == g["pax"].iloc[0]).all() and (
            g["origin_node"] == g["origin_node"].iloc[0]
        ).all(), "a retry changed the trip"

    # the event log: only served riders board; cancellations and no-shows logged
    pax = dict(zip(req["request_id"], req["pax"], strict=True))
    kinds = {k: set(ev.loc[ev["kind"] == k, "request"]) for k in ("pickup", "dropoff")}
    assert kinds["pickup"] == kinds["dropoff"] == set(served["request_id"])
    assert set(ev.loc[ev["kind"] == "no_show", "request"]) == set(
        req.loc[status == "no_show", "request_id"]
    )
    assert set(ev.loc[ev["kind"] == "cancel", "request"]) == set(
        req.loc[status == "cancelled", "request_id"]
    )
    assert set(ev.loc[ev["kind"] == "decline", "request"]) == set(
        req.loc[status == "declined", "request_id"]
    )

    # capacity from the event log, and Little's law: the time integral of the
    # load equals the sum over riders of group size x time on board
    capacity = scn.fleet.capacity
    onboard_integral = 0.0
    for _v, g in ev[ev["vehicle"] >= 0].groupby("vehicle", sort=False):
        load, last_t = 0, None
        for t, kind, request in zip(g["time_s"], g["kind"], g["request"], strict=True):
            if last_t is not None:
                onboard_integral += load * (t - last_t)
            last_t = t
            if kind == "pickup":
                load += pax[request]
            elif kind == "dropoff":
                load -= pax[request]
            assert 0 <= load <= capacity, f"load {load} outside [0, {capacity}] at {t}"
        assert load == 0, "a vehicle ends with riders on board"
    little = float((served["pax"] * (served["dropoff_s"] - served["pickup_s"])).sum())
    assert np.isclose(onboard_integral, little, rtol=1e-9, atol=1e-6), "Little's law broken"

    # a bus that met a no-show waited no_show_wait_s before its next move
    wait = scn.behaviour.no_show_wait_s
    for row in ev[ev["kind"] == "no_show"].itertuples(index=False):
        later = ev[(ev["vehicle"] == row.vehicle) & (ev["time_s"] > row.time_s + EPS_S)]
        later = later[later["kind"] != "accept"]
        if len(later):
            assert later["time_s"].iloc[0] >= row.time_s + wait - EPS_S, "left a no-show early"


def check_shifts(result) -> None:
    """Assert that riders were taken on duty only, and hours count on-duty time."""
    req = result.requests
    veh = result.vehicles
    scn = result.scenario
    windows = duty_windows(scn, len(veh))
    hours = [sum(b - a for a, b in spans) / 3600.0 for spans in windows]
    assert np.allclose(veh["on_duty_h"], hours), "on_duty_h is not the scheduled duty"
    kpi = result.summary()
    assert np.isclose(kpi["vehicle_hours"], sum(hours))
    assert np.isclose(kpi["passengers_per_vehicle_hour"], kpi["passengers"] / sum(hours))
    booked = req[req["vehicle"] >= 0]
    for row in booked.itertuples(index=False):
        spans = windows[row.vehicle]
        t = row.booking_time_s
        window = [(a, b) for a, b in spans if a <= t + EPS_S and t < b]
        assert window, f"request {row.request_id} booked on vehicle {row.vehicle} off duty"
        end = window[0][1]
        assert row.planned_dropoff_s <= end + EPS_S, "took a rider it could not drop in time"
