"""``simulate``: scenario in, tidy result tables out."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd

from idrt.dispatch import InsertionWeights
from idrt.errors import IdrtError, ScenarioError
from idrt.network import RoadNetwork, load_network
from idrt.scenario import Scenario
from idrt.sim.engine import Engine, ServiceRules, TripArrays
from idrt.sim.oracle import TimeDependentOracle, oracle_for, time_dependent_kind
from idrt.sim.policies import attach_policies
from idrt.sim.results import EVENT_COLUMNS, Result

__all__ = ["build_network", "build_travel_times", "build_trips", "simulate", "traffic_active"]

TRIP_COLUMNS = [
    "request_id",
    "booking_time_s",
    "request_time_s",
    "origin_node",
    "destination_node",
    "pax",
]


def build_network(scenario: Scenario) -> RoadNetwork:
    """The scenario's road network (build it once and pass it to many runs)."""
    source = scenario.network.source
    path = scenario.data_path(source)
    return load_network(
        str(path) if path.exists() else source, speeds_kmh=scenario.network.speeds_kmh or None
    )


_EXPANSION_STREAM = 0x6578
"""Tag of the random stream of the expansion area's demand: ``default_rng([seed, tag])``."""


def service_area(scenario: Scenario, network: RoadNetwork):
    """The scenario's service area; the whole network when none is given.

    With an ``[expansion]`` area it is the union of ``demand.area`` and
    ``expansion.area``.
    """
    from idrt import demand as dm

    if scenario.demand.area:
        area = dm.ServiceArea.from_geojson(scenario.data_path(scenario.demand.area))
    else:
        area = dm.ServiceArea.from_nodes(network, network.node_ids, name=network.name)
    if scenario.expansion.area:
        extra = dm.ServiceArea.from_geojson(scenario.data_path(scenario.expansion.area))
        area = area.union(extra, name=f"{area.name}+{extra.name}")
    return area


def build_trips(scenario: Scenario, network: RoadNetwork, seed: int) -> pd.DataFrame:
    """The scenario's requests: generated (seeded) or read from its trip CSV.

    With an ``[expansion]`` area, ``expansion.trips_per_day * demand.scale``
    requests generated inside that area (from their own random stream, so the
    base requests of a seed are the same with and without the expansion) are
    appended with request ids after the base ones.
    """
    from idrt import demand as dm

    d = scenario.demand
    if d.trips:
        trips = dm.from_csv(scenario.data_path(d.trips), network)
        if d.scale != 1.0:
            trips = trips.scaled(d.scale, seed=seed)
        frame = trips.trips
    else:
        area = dm.ServiceArea.from_geojson(scenario.data_path(d.area)) if d.area else None
        if area is None:
            area = dm.ServiceArea.from_nodes(network, network.node_ids, name=network.name)
        frame = _poisson_trips(
            scenario, network, area, d.trips_per_day * d.scale, d.profile, d.attractors, seed
        )
    e = scenario.expansion
    if not e.area or e.trips_per_day * d.scale <= 0:
        return frame
    area = dm.ServiceArea.from_geojson(scenario.data_path(e.area))
    extra = _poisson_trips(
        scenario,
        network,
        area,
        e.trips_per_day * d.scale,
        e.profile or d.profile,
        e.attractors,
        np.random.default_rng([seed, _EXPANSION_STREAM]),
    )
    first_id = int(frame["request_id"].max()) + 1 if len(frame) else 0
    extra["request_id"] = extra["request_id"].to_numpy(np.int64) + first_id
    frame = pd.concat([frame, extra[[c for c in frame.columns if c in extra.columns]]])
    frame = frame.sort_values(["booking_time_s", "request_time_s", "request_id"], kind="stable")
    return frame.reset_index(drop=True)


def _poisson_trips(scenario, network, area, trips_per_day, profile, attractors, seed):
    """Poisson requests in one area with the scenario's demand settings."""
    from idrt import demand as dm

    d = scenario.demand
    demand = dm.poisson(
        network,
        area,
        trips_per_day=trips_per_day,
        profile=scenario.data_path(profile),
        attractors=scenario.data_path(attractors) if attractors else None,
        gravity_beta_per_s=d.gravity_beta_per_s or None,
        group_sizes={int(k): v for k, v in d.group_sizes.items()},
        prebooked_share=d.prebooked_share,
        booking_lead_s=d.booking_lead_s,
        service_hours=(scenario.service.start_h, scenario.service.end_h),
        seed=seed,
    )
    return demand.trips


def simulate(
    scenario: Scenario | None = None,
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
        The scenario; the embedded Yeongjong pilot when omitted.
    seed
        Seed of every random draw of the run (demand); the scenario's
        ``seed`` when omitted. Same scenario and seed give identical tables.
    network
        A prebuilt network (sweeps build it once); built from the scenario
        when omitted.
    trips
        Requests to serve instead of the scenario's demand: a
        :class:`idrt.demand.Demand` or a DataFrame with columns
        ``request_id, booking_time_s, request_time_s, origin_node,
        destination_node, pax`` (source node ids, seconds after midnight).
    oracle : {"auto", "dense", "subset", "search"}
        Travel-time oracle (all pairs precomputed, stop tables, or searches).
    progress
        Show a progress bar (tqdm) over the requests.

    Returns
    -------
    Result

    Raises
    ------
    ScenarioError
        On requests outside the network or the service hours, or a group
        larger than a vehicle.
    """
    scenario = scenario if scenario is not None else Scenario()
    seed = scenario.seed if seed is None else int(seed)
    net = network if network is not None else build_network(scenario)
    generated = trips is None
    if trips is None:
        trips = build_trips(scenario, net, seed)
    frame = getattr(trips, "trips", trips)
    frame = _validate_trips(frame, net, scenario)
    svc = scenario.service
    depots = _depot_nodes(scenario, net)
    origin_idx = net.index_of(frame["origin_node"].to_numpy(np.int64))
    dest_idx = net.index_of(frame["destination_node"].to_numpy(np.int64))
    if svc.mode == "stop_based":
        pickup_options, dropoff_options, stop_nodes = _stop_options(
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
        weights=InsertionWeights(dp.w_vehicle, dp.w_wait, dp.w_ride, dp.w_delay),
        w_walk=dp.w_walk,
        max_candidates=dp.max_candidates,
        diversion=dp.diversion,
    )
    subset = None
    if svc.mode == "stop_based":
        # every stop, not just those this demand uses: the tables are cached
        # per network and subset, so sweeps and replications reuse them
        subset = np.unique(np.concatenate([stop_nodes, depots]))
    t0 = time.perf_counter()
    movement = None
    if traffic_active(scenario):
        from idrt.sim.movement import Movement

        expected, realised = build_travel_times(scenario, net, seed)
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
    engine.run()
    wall = time.perf_counter() - t0
    extra = {}
    if movement is not None:
        extra["signal_passages"] = movement.passage_table()
    return Result(
        requests=_request_table(frame, engine, net, svc.late_pickup_tolerance_s),
        vehicles=_vehicle_table(engine, net, depots),
        events=pd.DataFrame(engine.events, columns=EVENT_COLUMNS),
        scenario=scenario,
        seed=seed,
        service_hours=svc.end_h - svc.start_h,
        wall_s=wall,
        **extra,
    )


def traffic_active(scenario: Scenario) -> bool:
    """Whether the scenario's traffic model changes any link time.

    With ``traffic.signals = "none"`` and no congestion profile every link
    takes its free-flow time and the run is the plain (static) simulator,
    bit for bit.
    """
    return scenario.traffic.signals != "none" or bool(scenario.traffic.profile)


_TT_CACHE: dict = {}


def build_travel_times(scenario: Scenario, network: RoadNetwork, seed: int):
    """The historical and the realised day's hourly link times of a run.

    Returns
    -------
    expected, realised : idrt.traffic.TimeSlicedTravelTimes
        ``expected`` is what a planner's router knows (the profile as given;
        cached per network and configuration); ``realised`` is the day of
        ``seed``: the profile perturbed by ``traffic.day_to_day_cv`` from the
        run's own traffic stream ``default_rng([seed, 5])``, the same for
        every C-ITS variant of a seed (common random numbers).
    """
    from idrt.traffic import build_travel_times as build

    base_dir = scenario.base_dir
    key = (
        id(network),
        network.n_edges,
        repr(scenario.traffic),
        repr(scenario.cits),
        str(scenario.data_path(scenario.traffic.profile)) if scenario.traffic.profile else "",
    )
    expected = _TT_CACHE.get(key)
    if expected is None or expected[0]() is not network:
        import weakref

        tables = build(network, scenario.traffic, scenario.cits, base_dir=base_dir)
        _TT_CACHE.clear()  # one configuration at a time: tables are m x 24 floats
        _TT_CACHE[key] = (weakref.ref(network), tables)
    else:
        tables = expected[1]
    realised = build(
        network,
        scenario.traffic,
        scenario.cits,
        seed=np.random.default_rng([seed, 5]),
        base_dir=base_dir,
    )
    return tables, realised


def _validate_trips(frame: pd.DataFrame, net: RoadNetwork, scenario: Scenario) -> pd.DataFrame:
    missing = [c for c in TRIP_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"trips lack column(s) {missing}; they need {TRIP_COLUMNS}"
        raise ScenarioError(msg)
    frame = frame.sort_values(["booking_time_s", "request_id"], kind="stable").reset_index(
        drop=True
    )
    svc = scenario.service
    start, end = svc.start_h * 3600.0, svc.end_h * 3600.0
    # pre-booked requests may be booked before service opens (they are taken when it
    # opens); every requested pickup time lies within the service hours
    outside = (frame["request_time_s"] < start) | (frame["request_time_s"] > end)
    if outside.any():
        row = frame[outside].iloc[0]
        msg = (
            f"request {int(row.request_id)} at {row.request_time_s:.0f} s (booked "
            f"{row.booking_time_s:.0f} s) is outside the service hours "
            f"{svc.start_h:g}–{svc.end_h:g} h ({start:.0f}–{end:.0f} s); widen service.start_h/"
            "end_h or drop the request"
        )
        raise ScenarioError(msg)
    early = frame["request_time_s"] < frame["booking_time_s"]
    if early.any():
        row = frame[early].iloc[0]
        msg = f"request {int(row.request_id)} wants a pickup before it was booked; fix its times"
        raise ScenarioError(msg)
    too_big = frame["pax"] > scenario.fleet.capacity
    if too_big.any() or (frame["pax"] < 1).any():
        row = frame[too_big | (frame["pax"] < 1)].iloc[0]
        msg = (
            f"request {int(row.request_id)} has a group of {int(row.pax)}; groups must be "
            f"1..fleet.capacity = {scenario.fleet.capacity}"
        )
        raise ScenarioError(msg)
    if frame["request_id"].duplicated().any():
        msg = "request ids must be unique; renumber the trips"
        raise ScenarioError(msg)
    for column in ("origin_node", "destination_node"):
        try:
            net.index_of(frame[column].to_numpy(np.int64))
        except IdrtError as exc:
            msg = f"trips column {column!r}: {exc}"
            raise ScenarioError(msg) from exc
    return frame


def _depot_nodes(scenario: Scenario, net: RoadNetwork) -> np.ndarray:
    """Start node (internal index) of every vehicle of the whole fleet.

    ``fleet.size`` vehicles spread round-robin over ``fleet.depots``, then the
    ``expansion.fleet_size`` extra vehicles over ``expansion.depots`` (the
    base depots when that is empty). Its length is the fleet size of the run.
    """
    base = _resolve_depots(scenario.fleet.depots, net, "fleet.depots")
    nodes = [base[v % len(base)] for v in range(scenario.fleet.size)]
    e = scenario.expansion
    if e.area and e.fleet_size > 0:
        extra = _resolve_depots(e.depots, net, "expansion.depots") if e.depots else base
        nodes += [extra[v % len(extra)] for v in range(e.fleet_size)]
    return np.array(nodes, dtype=np.int64)


def _resolve_depots(entries: list, net: RoadNetwork, key: str) -> list[int]:
    """Internal node index of each depot entry (a node id or ``[lon, lat]``)."""
    nodes = []
    for depot in entries:
        if isinstance(depot, int) and not isinstance(depot, bool):
            try:
                nodes.append(int(net.index_of(depot)))
            except IdrtError as exc:
                msg = f"{key}: {exc}"
                raise ScenarioError(msg) from exc
        elif (
            isinstance(depot, (list, tuple))
            and len(depot) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in depot)
        ):
            lon, lat = depot
            node, dist = net.nearest_node(lon, lat, return_dist=True)
            if dist > 1000:
                msg = (
                    f"{key} entry {depot!r} is {dist:.0f} m from the nearest road of "
                    f"network {net.name!r}; give a point on the network (lon, lat in degrees)"
                )
                raise ScenarioError(msg)
            nodes.append(int(net.index_of(node)))
        else:
            msg = f"{key} entry {depot!r}: give [lon, lat] in degrees or a node id"
            raise ScenarioError(msg)
    return nodes


def _stop_options(scenario, net, origin_idx, dest_idx, k: int = 3):
    """Up to ``k`` nearest virtual stops (walking) at each end of each trip, and all stops."""
    from idrt import demand as dm

    svc = scenario.service
    area = service_area(scenario, net)
    stops = dm.virtual_stops(net, area, spacing_m=svc.stop_spacing_m, max_walk_m=svc.max_walk_m)
    stop_idx = np.asarray(net.index_of(stops.stop_nodes), dtype=np.int64)
    speed = svc.walk_speed_mps

    def options(node_idx: np.ndarray) -> list[list[tuple[int, float, float]]]:
        rows = stops._rows(net.node_ids[node_idx])
        lo, hi = stops.indptr[rows], np.minimum(stops.indptr[rows + 1], stops.indptr[rows] + k)
        out = []
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            out.append(
                [
                    (int(stop_idx[stops.stop_index[q]]), float(stops.walk_m[q]) / speed,
                     float(stops.walk_m[q]))
                    for q in range(a, b)
                ]
            )  # fmt: skip
        return out

    return options(origin_idx), options(dest_idx), stop_idx


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
    out["status"] = pd.Categorical(status, categories=["served", "rejected", "pending"])
    out["reason"] = r["reason"]
    out["vehicle"] = r["vehicle"]
    ids = np.where(r["pickup_node"] >= 0, net.node_ids[np.maximum(r["pickup_node"], 0)], -1)
    out["pickup_node"] = ids
    ids = np.where(r["dropoff_node"] >= 0, net.node_ids[np.maximum(r["dropoff_node"], 0)], -1)
    out["dropoff_node"] = ids
    for key in (
        "promised_pickup_s",
        "planned_pickup_s",
        "planned_dropoff_s",
        "pickup_s",
        "pickup_departure_s",
        "dropoff_s",
        "direct_s",
        "max_ride_s",
        "walk_m",
    ):
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
