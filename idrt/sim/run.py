"""``simulate``: scenario in, tidy result tables out."""

from __future__ import annotations

import math
import numbers
import os
import time
from typing import Any

import numpy as np
import pandas as pd

from idrt.dispatch import InsertionWeights
from idrt.errors import ScenarioError
from idrt.network import RoadNetwork
from idrt.scenario import Scenario
from idrt.sim.assembly import (
    TRIP_COLUMNS,
    build_network,
    build_trips,
    depot_nodes,
    run_travel_times,
    stop_options,
    traffic_active,
    transit_for,
    transit_times,
    validate_reference,
    validate_trips,
    warn_candidate_cap,
    warn_inert_settings,
)
from idrt.sim.engine import Engine, ServiceRules, TripArrays
from idrt.sim.movement import Movement
from idrt.sim.oracle import TimeDependentOracle, oracle_for, time_dependent_kind
from idrt.sim.policies import attach_policies
from idrt.sim.results import CLOCK_COLUMNS, EVENT_COLUMNS, Result
from idrt.sim.riders import STATUSES, attach_riders
from idrt.sim.shifts import attach_shifts

__all__ = ["simulate"]


def simulate(
    scenario: Scenario | str | os.PathLike[str] | None = None,
    seed: int | None = None,
    *,
    network: RoadNetwork | None = None,
    trips: Any = None,
    oracle: str = "auto",
    progress: bool = False,
) -> Result:
    """Simulate one service day of a scenario.

    Parameters
    ----------
    scenario
        The scenario, or the path of a scenario TOML file; the embedded
        Yeongjong pilot when omitted.
    seed
        Seed of every random draw of the run (demand), a whole number >= 0;
        the scenario's ``seed`` when omitted. Same scenario and seed give
        identical tables.
    network
        A prebuilt network (sweeps build it once); built from the scenario
        when omitted.
    trips
        Requests to serve instead of the scenario's demand: a
        :class:`idrt.demand.Demand` or a DataFrame with columns
        ``request_id, booking_time_s, request_time_s, origin_node,
        destination_node, pax`` (source node ids, seconds after midnight).
    oracle : {"auto", "dense", "subset", "hierarchy", "search"}
        Travel-time oracle (all pairs precomputed, stop tables, stop tables
        from a contraction hierarchy, or searches; see :func:`idrt.sim.oracle.oracle_for`).
    progress
        Show a progress bar (tqdm) over the requests.

    Returns
    -------
    Result

    Raises
    ------
    ScenarioError
        On a seed that is not a whole number >= 0, a ``[reference]`` KPI that
        a run does not report (both before anything is built), requests
        outside the network or the service hours, or a group larger than a
        vehicle.
    """
    scenario = _as_scenario(scenario)
    seed = scenario.seed if seed is None else _check_seed(seed)
    validate_reference(scenario)
    warn_inert_settings(scenario)
    warn_candidate_cap(scenario)
    net = network if network is not None else build_network(scenario)
    generated = trips is None
    if trips is None:
        trips = build_trips(scenario, net, seed)
    frame = getattr(trips, "trips", trips)
    frame = validate_trips(frame, net, scenario)
    svc = scenario.service
    depots = depot_nodes(scenario, net)
    origin_idx = net.index_of(frame["origin_node"].to_numpy(np.int64))
    dest_idx = net.index_of(frame["destination_node"].to_numpy(np.int64))
    if svc.mode == "stop_based":
        pickup_options, dropoff_options, stop_nodes = stop_options(
            scenario, net, origin_idx, dest_idx, k=svc.stop_candidates
        )
    else:
        pickup_options = [[(int(o), 0.0, 0.0)] for o in origin_idx]
        dropoff_options = [[(int(d), 0.0, 0.0)] for d in dest_idx]
    arrays = TripArrays(
        request_id=frame["request_id"].to_numpy(np.int64),
        booking_time_s=frame["booking_time_s"].to_numpy(float),
        request_time_s=frame["request_time_s"].to_numpy(float),
        pax=frame["pax"].to_numpy(np.int64),
        pickup_options=pickup_options,
        dropoff_options=dropoff_options,
    )
    dp = scenario.dispatch
    rules = ServiceRules(
        start_s=svc.start_h * 3600.0,
        end_s=svc.end_h * 3600.0,
        capacity=scenario.fleet.capacity,
        max_wait_s=svc.max_wait_s,
        max_ride_alpha=svc.max_ride_alpha,
        max_ride_beta_s=svc.max_ride_beta_s,
        stop_time_s=svc.stop_time_s,
        boarding_s_per_pax=svc.boarding_s_per_pax,
        alighting_s_per_pax=svc.alighting_s_per_pax,
        weights=InsertionWeights(dp.w_vehicle, dp.w_wait, dp.w_ride, dp.w_delay, dp.w_drive),
        w_walk=dp.w_walk,
        max_candidates=dp.max_candidates,
        diversion=dp.diversion,
        max_ride_cap_s=svc.max_ride_cap_s,
        prebooked_pickup_window_s=svc.prebooked_pickup_window_s,
        prebooked_arrival_window_s=svc.prebooked_arrival_window_s,
        max_route_duration_s=svc.max_route_duration_s,
        return_to_depot=svc.return_to_depot,
    )
    subset = None
    if svc.mode == "stop_based":
        # every stop, not just those this demand uses: the tables are cached
        # per network and subset, so sweeps and replications reuse them
        subset = np.unique(np.concatenate([stop_nodes, depots]))
    transit_feed = transit_for(scenario)  # before simulating: a bad feed fails fast
    t0 = time.perf_counter()
    movement = None
    if traffic_active(scenario):
        expected, realised = run_travel_times(scenario, net, seed)
        planning = realised if scenario.cits.realtime_info else expected
        kind = oracle
        if kind == "auto":
            kind = time_dependent_kind(net, subset, reused=not scenario.cits.realtime_info)
        planner = TimeDependentOracle(
            net, planning.edge_travel_time_s, planning.slice_s, kind=kind, subset=subset
        )
        movement = Movement(
            realised=realised,
            rng=np.random.default_rng([seed, 6]),
            heads=net.heads,
            length_m=net.length_m,
            signal_id=net.signal_id,
        )
    else:
        planner = oracle_for(net, oracle, subset=subset)
    engine = Engine(
        planner,
        net.node_ids,
        np.column_stack([net.x_m, net.y_m]),
        depots,
        arrays,
        rules,
        keep_events=scenario.output.events,
        progress=progress,
        movement=movement,
    )
    attach_policies(engine, scenario, net, depots, n_requests=len(frame), generated=generated)
    riders = attach_riders(engine, scenario, seed)
    shifts = attach_shifts(engine, scenario, depots)
    engine.run()
    wall = time.perf_counter() - t0
    extra = {}
    if movement is not None:
        extra["signal_passages"] = movement.passage_table()
        cits = scenario.cits
        if cits.adaptive_signals or cits.bus_priority or cits.realtime_info:
            extra["equipped_intersections"] = int(expected.equipped.sum())
    requests = _request_table(
        frame if riders is None else riders.request_frame(frame),
        engine,
        net,
        svc.late_pickup_tolerance_s,
    )
    vehicles = _vehicle_table(engine, net, depots)
    if riders is not None:  # rider behaviour: who asked, which attempt, what was lost
        requests.insert(1, "rider_id", riders.rider_id)
        requests.insert(2, "attempt", riders.attempt)
        for key, values in riders.vehicle_columns().items():
            vehicles[key] = values
    if shifts is not None:
        vehicles["on_duty_h"] = shifts.plan.on_duty_h()
    if transit_feed is not None:
        requests["transit_door_to_door_s"] = transit_times(scenario, net, transit_feed, requests)
    return Result(
        requests=requests,
        vehicles=vehicles,
        events=pd.DataFrame(engine.events, columns=EVENT_COLUMNS),
        scenario=scenario,
        seed=seed,
        service_hours=svc.end_h - svc.start_h,
        wall_s=wall,
        **extra,
    )


def _as_scenario(scenario: Any) -> Scenario:
    """The scenario to run: as given, read from a TOML path, or the default pilot."""
    if scenario is None:
        return Scenario()
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, os.PathLike)):
        return Scenario.from_toml(scenario)
    msg = (
        f"simulate() takes a Scenario or the path of a scenario TOML file, got "
        f"{type(scenario).__name__}; e.g. simulate(Scenario.from_toml('my.toml'))"
    )
    raise ScenarioError(msg)


def _check_seed(seed: Any) -> int:
    """A seed as an int: whole numbers >= 0 only (1.7, True, 'abc' are refused)."""
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    msg = f"seed = {seed!r}: a seed is a whole number >= 0, e.g. seed=3"
    raise ScenarioError(msg)


def _request_table(
    frame: pd.DataFrame, engine: Engine, net: RoadNetwork, late_tolerance_s: float
) -> pd.DataFrame:
    r = engine.req
    out = frame[TRIP_COLUMNS].copy()
    if "prebooked" in frame.columns:
        out["prebooked"] = frame["prebooked"].to_numpy(bool)
    else:
        out["prebooked"] = out["request_time_s"] > out["booking_time_s"]
    status = r["status"].copy()
    status[status == "accepted"] = "pending"
    categories = ["served", "rejected", "pending"] if engine.riders is None else STATUSES
    out["status"] = pd.Categorical(status, categories=categories)
    out["reason"] = r["reason"]
    out["vehicle"] = r["vehicle"]
    ids = np.where(r["pickup_node"] >= 0, net.node_ids[np.maximum(r["pickup_node"], 0)], -1)
    out["pickup_node"] = ids
    ids = np.where(r["dropoff_node"] >= 0, net.node_ids[np.maximum(r["dropoff_node"], 0)], -1)
    out["dropoff_node"] = ids
    # the planned and realised times of day (booking and request times are set above)
    for key in (*CLOCK_COLUMNS[2:], "direct_s", "max_ride_s", "walk_m"):
        out[key] = r[key]
    out["walk_pickup_s"] = r["walk_pickup_s"]
    out["walk_dropoff_s"] = r["walk_dropoff_s"]
    out["walk_s"] = r["walk_pickup_s"] + r["walk_dropoff_s"]
    out["wait_s"] = out["pickup_s"] - out["request_time_s"]
    out["in_vehicle_s"] = out["dropoff_s"] - out["pickup_s"]
    out["ride_s"] = out["dropoff_s"] - out["pickup_departure_s"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["detour_ratio"] = out["in_vehicle_s"] / out["direct_s"]
    out["shared"] = r["shared"]
    served = out["status"] == "served"
    out["missed_promise"] = served & (out["pickup_s"] > out["promised_pickup_s"] + 1e-6)
    out["late_pickup"] = served & (out["pickup_s"] > out["planned_pickup_s"] + late_tolerance_s)
    return out


def _vehicle_table(engine: Engine, net: RoadNetwork, depots: np.ndarray) -> pd.DataFrame:
    rows = []
    end = engine.env.now
    for vehicle in engine.vehicles:
        busy = vehicle.busy_s
        if vehicle.state != 0 and not math.isnan(vehicle.busy_since):
            busy += end - vehicle.busy_since
        rows.append(
            {
                "vehicle": vehicle.index,
                "depot_node": int(net.node_ids[depots[vehicle.index]]),
                "capacity": engine.rules.capacity,
                "km": vehicle.km,
                "empty_km": vehicle.empty_km,
                "pax_km": vehicle.pax_km,
                "rebalancing_km": vehicle.rebalancing_km,
                "busy_h": busy / 3600.0,
                "mean_occupancy": vehicle.pax_km / vehicle.km if vehicle.km else 0.0,
                "pickups": vehicle.pickups,
                "dropoffs": vehicle.dropoffs,
                "final_node": int(net.node_ids[vehicle.node]),
            }
        )
    return pd.DataFrame(rows)
