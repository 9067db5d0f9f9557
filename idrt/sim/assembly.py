"""Assembly of a run's inputs: network, requests, service area, depots, travel times.

Everything :func:`idrt.simulate` needs before the clock starts, as public
functions that the experiments, plots and interop layers call too, so that
they see exactly the network, requests and depots a run sees.
"""

from __future__ import annotations

import os
import weakref

import numpy as np
import pandas as pd

from idrt import demand as dm
from idrt.demand import read_gtfs, transit_door_to_door
from idrt.demand.trips import check_trip_nodes
from idrt.errors import IdrtError, ScenarioError, warn
from idrt.network import RoadNetwork, load_network
from idrt.scenario import Scenario
from idrt.sim.results import Result
from idrt.traffic import build_travel_times

__all__ = [
    "TRIP_COLUMNS",
    "build_network",
    "build_trips",
    "check_run_size",
    "depot_nodes",
    "estimate_run_memory",
    "kpi_names",
    "run_travel_times",
    "service_area",
    "stop_options",
    "traffic_active",
    "transit_for",
    "transit_times",
    "validate_reference",
    "validate_trips",
    "warn_candidate_cap",
    "warn_inert_settings",
]

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
        str(path) if path.exists() else source,
        speeds_kmh=scenario.network.speeds_kmh or None,
        region=[str(r) for r in scenario.network.region] or None,
    )


_EXPANSION_STREAM = 0x6578
"""Tag of the random stream of the expansion area's demand: ``default_rng([seed, tag])``."""


def service_area(scenario: Scenario, network: RoadNetwork):
    """The scenario's service area; the whole network when none is given.

    With an ``[expansion]`` area it is the union of ``demand.area`` and
    ``expansion.area``.
    """
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
    check_run_size(scenario)
    d = scenario.demand
    if d.trips:
        svc = scenario.service
        trips = dm.from_csv(
            scenario.data_path(d.trips), network, service_hours=(svc.start_h, svc.end_h)
        )
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


def traffic_active(scenario: Scenario) -> bool:
    """Whether the scenario's traffic model changes any link time.

    With ``traffic.signals = "none"`` and no congestion profile every link
    takes its free-flow time and the run is the plain (static) simulator,
    bit for bit.
    """
    return scenario.traffic.signals != "none" or bool(scenario.traffic.profile)


_TT_CACHE: dict = {}


def run_travel_times(scenario: Scenario, network: RoadNetwork, seed: int):
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
        tables = build_travel_times(network, scenario.traffic, scenario.cits, base_dir=base_dir)
        _TT_CACHE.clear()  # one configuration at a time: tables are m x 24 floats
        _TT_CACHE[key] = (weakref.ref(network), tables)
    else:
        tables = expected[1]
    realised = build_travel_times(
        network,
        scenario.traffic,
        scenario.cits,
        seed=np.random.default_rng([seed, 5]),
        base_dir=base_dir,
    )
    return tables, realised


_REQUEST_KPI_COLUMNS = {
    "status": object,
    "pax": np.int64,
    "wait_s": float,
    "in_vehicle_s": float,
    "detour_ratio": float,
    "walk_m": float,
    "shared": bool,
    "missed_promise": bool,
    "late_pickup": bool,
    "pickup_s": float,
    "planned_pickup_s": float,
}
_VEHICLE_KPI_COLUMNS = ("km", "empty_km", "pax_km", "rebalancing_km")


def kpi_names(scenario: Scenario) -> list[str] | None:
    """Names of the KPIs a run of ``scenario`` reports (``Result.summary().index``).

    Found by summarising an empty run, so it follows the result code; None if
    that is not possible (then names are checked after the run).
    """
    requests = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _REQUEST_KPI_COLUMNS.items()})
    vehicles = pd.DataFrame({c: pd.Series(dtype=float) for c in _VEHICLE_KPI_COLUMNS})
    try:
        empty = Result(requests, vehicles, pd.DataFrame(), scenario, scenario.seed, 1.0)
        return [str(k) for k in empty.summary().index]
    except Exception:  # a KPI needs a column not listed above: check after the run
        return None


def validate_reference(scenario: Scenario) -> None:
    """Check that ``[reference]`` names only KPIs a run reports, before it runs.

    Raises
    ------
    ScenarioError
        Naming the unknown keys and the valid ones.
    """
    if not scenario.reference:
        return
    names = kpi_names(scenario)
    if names is None:
        return
    unknown = sorted(set(scenario.reference) - set(names))
    if unknown:
        msg = f"[reference] names unknown KPI(s) {unknown}; valid names are {names}"
        raise ScenarioError(msg)


def warn_candidate_cap(scenario: Scenario) -> bool:
    """Warn, once per run, that ``dispatch.max_candidates`` trades results for speed.

    A cap below the fleet offers each request only to the vehicles nearest
    its pickup in a straight line, however cheap another vehicle's insertion:
    riders the fleet could carry are turned away and costlier insertions
    taken, by amounts that grow with the fleet (measured in
    ``docs/dispatch.md``, "The candidate cap"). A planner reading the KPIs
    must know they are the heuristic's, not the fleet's.

    Returns
    -------
    bool
        Whether the cap limits the search (and the warning was due).
    """
    k, n = scenario.dispatch.max_candidates, scenario.fleet.size
    if not 0 < k < n:
        return False
    warn(
        f"dispatch.max_candidates = {k}: each request is offered only to the {k:,} of {n:,} "
        "vehicles nearest its pickup in a straight line, a heuristic that turns away riders the "
        "fleet could carry and takes costlier insertions (the benchmark city, 30 of 1,000 buses: "
        "83.1 % served against 86.9 % with every bus searched, a worse bus for 56 % of requests;"
        " docs/dispatch.md, 'The candidate cap'); set dispatch.max_candidates = 0 for the exact "
        "search over the whole fleet",
        key=f"candidate-cap:{k}:{n}",
        stacklevel=3,
    )
    return True


def warn_inert_settings(scenario: Scenario) -> list[str]:
    """Warn, once per run, about dispatch settings the chosen mode never reads.

    Batch and re-optimisation settings do nothing in plain immediate
    dispatch, and the re-optimisation ones nothing without
    ``dispatch.reoptimise``; a planner who set them expects an effect, so
    their being ignored is said, not left silent.

    Returns
    -------
    list of str
        The names of the ignored settings (empty: none).
    """
    dp = scenario.dispatch
    default = type(dp)()
    ticks = dp.mode == "batch" or dp.reoptimise  # a batch clock runs
    unused = []
    if not ticks:
        for name in ("batch_interval_s", "max_trip_size", "max_requests_per_vehicle"):
            if getattr(dp, name) != getattr(default, name):
                unused.append(name)
    if not dp.reoptimise:
        for name in ("reoptimise_every", "reoptimise_pairs"):
            if getattr(dp, name) != getattr(default, name):
                unused.append(name)
    if unused:
        names = ", ".join(f"dispatch.{n}" for n in unused)
        need = (
            'dispatch.mode = "batch" or dispatch.reoptimise = true'
            if any(not n.startswith("reoptimise") for n in unused)
            else "dispatch.reoptimise = true"
        )
        warn(
            f"{names} {'is' if len(unused) == 1 else 'are'} ignored: dispatch.mode = "
            f"{dp.mode!r} with dispatch.reoptimise = {str(dp.reoptimise).lower()} never reads "
            f"{'it' if len(unused) == 1 else 'them'}; set {need} for an effect, or drop "
            f"{'it' if len(unused) == 1 else 'them'}",
            key=f"inert-dispatch:{names}",
            stacklevel=3,
        )
    return unused


def validate_trips(frame: pd.DataFrame, net: RoadNetwork, scenario: Scenario) -> pd.DataFrame:
    """Check a trip table against the network and service rules; sorted by booking time.

    Raises
    ------
    ScenarioError
        On a missing column, a request outside the service hours, a pickup
        before booking, a group outside ``1..fleet.capacity``, duplicate ids
        or a node that is not on the network.
    """
    missing = [c for c in TRIP_COLUMNS if c not in frame.columns]
    if missing:
        msg = f"trips lack column(s) {missing}; they need {TRIP_COLUMNS}"
        raise ScenarioError(msg)
    if len(frame) == 0:
        warn(
            "the run has no requests (empty trip table, or demand.trips_per_day * demand.scale "
            "= 0): every KPI of riders will be empty",
            stacklevel=3,
        )
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
    dup = frame["request_id"].duplicated()
    if dup.any():
        first = int(frame.loc[dup, "request_id"].iloc[0])
        msg = (
            f"request ids must be unique: {int(dup.sum())} repeat(s), e.g. request_id {first}; "
            "renumber the trips"
        )
        raise ScenarioError(msg)
    check_trip_nodes(frame, net, ScenarioError)
    return frame


def depot_nodes(scenario: Scenario, net: RoadNetwork) -> np.ndarray:
    """Start node (internal index) of every vehicle of the whole fleet.

    ``fleet.size`` vehicles spread round-robin over ``fleet.depots``, then the
    ``expansion.fleet_size`` extra vehicles over ``expansion.depots`` (the
    base depots when that is empty). Its length is the fleet size of the run.
    """
    check_run_size(scenario, n_requests=0)
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


_STOPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _area_key(scenario: Scenario) -> tuple:
    """What the service area depends on: its files (with their modification times)."""
    key = []
    for name in (scenario.demand.area, scenario.expansion.area):
        if name:
            path = scenario.data_path(name)
            key.append((str(path), path.stat().st_mtime_ns if path.exists() else 0))
        else:
            key.append(None)
    return tuple(key)


def stop_options(scenario, net, origin_idx, dest_idx, k: int = 3):
    """Up to ``k`` nearest virtual stops (walking) at each end of each trip, and all stops."""
    svc = scenario.service
    key = (_area_key(scenario), svc.stop_spacing_m, svc.max_walk_m)
    cached = _STOPS.setdefault(net, {})
    if key not in cached:  # placing stops costs ~45 s on 200,000 nodes: once per network
        area = service_area(scenario, net)
        cached[key] = dm.virtual_stops(
            net, area, spacing_m=svc.stop_spacing_m, max_walk_m=svc.max_walk_m
        )
    stops = cached[key]
    stop_idx = np.asarray(net.index_of(stops.stop_nodes), dtype=np.int64)
    speed = svc.walk_speed_mps

    def options(node_idx: np.ndarray) -> list[list[tuple[int, float, float]]]:
        rows = stops.rows(net.node_ids[node_idx])
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


_FEEDS: dict = {}


def transit_for(scenario: Scenario):
    """The scenario's GTFS baseline feed (``[transit] gtfs``), or None; cached.

    Raises
    ------
    DemandError
        An unreadable feed or a day without service (before anything runs).
    """
    t = scenario.transit
    if not t.gtfs:
        return None
    path = scenario.data_path(t.gtfs)
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    key = (str(path), stamp, t.day)
    if key not in _FEEDS:
        _FEEDS.clear()
        _FEEDS[key] = read_gtfs(path, day=t.day)
    return _FEEDS[key]


def transit_times(scenario: Scenario, net: RoadNetwork, feed, requests: pd.DataFrame) -> np.ndarray:
    """Door-to-door time by today's transit for every request, leaving at its request time, s."""
    t = scenario.transit
    o = net.index_of(requests["origin_node"].to_numpy(np.int64))
    d = net.index_of(requests["destination_node"].to_numpy(np.int64))
    table = transit_door_to_door(
        feed,
        np.column_stack([net.lon[o], net.lat[o]]),
        np.column_stack([net.lon[d], net.lat[d]]),
        requests["request_time_s"].to_numpy(float),
        walk_speed_mps=scenario.service.walk_speed_mps,
        max_walk_m=t.max_walk_m,
        walk_detour=t.walk_detour,
        change_s=t.change_s,
    )
    return table["door_to_door_s"].to_numpy(float)


BYTES_PER_VEHICLE = 16_000
"""Peak memory of one vehicle in a run (process, plan rows, per-dispatch arrays), bytes.

Measured: 20,000 vehicles and 50 requests on the island raised the peak
resident memory by 321 MB.
"""
BYTES_PER_REQUEST = 2_000
"""Peak memory of one request (trip rows, options, state, events, tables), bytes.

Measured: 300,000 requests and 2 vehicles raised the peak by 599 MB.
"""
BYTES_PER_CSV_ROW = 50
"""Fewest bytes a trip CSV row takes (time and four coordinates)."""


def estimate_run_memory(n_vehicles: int, n_requests: float) -> float:
    """Peak memory a run of this size needs besides its network, bytes.

    Parameters
    ----------
    n_vehicles : int
        Vehicles of the whole fleet.
    n_requests : float
        Requests (expected, for generated demand).
    """
    return BYTES_PER_VEHICLE * float(n_vehicles) + BYTES_PER_REQUEST * float(n_requests)


MEMORY_SHARE = 0.8
"""Share of the memory free at the start a run may plan to use (the rest: network, Python, OS)."""


def available_memory() -> float:
    """Physical memory free now, bytes (``inf`` where the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: no check
        return float("inf")


def check_run_size(scenario: Scenario, n_requests: float | None = None) -> None:
    """Refuse, before building anything, a run that cannot fit in this machine's memory.

    Parameters
    ----------
    scenario : Scenario
    n_requests : float, optional
        Requests of the run; by default the scenario's expected daily demand
        (``trips_per_day * scale`` plus the expansion's), or for a trip file
        an upper bound from its size.

    Raises
    ------
    ScenarioError
        With the estimate and the memory there is, when the estimate exceeds
        :data:`MEMORY_SHARE` of the memory free now.
    """
    d, e = scenario.demand, scenario.expansion
    if n_requests is None:
        if d.trips:
            path = scenario.data_path(d.trips)
            size = path.stat().st_size if path.is_file() else 0
            n_requests = size / BYTES_PER_CSV_ROW * max(d.scale, 1.0)
        else:
            n_requests = (d.trips_per_day + (e.trips_per_day if e.area else 0.0)) * d.scale
    n_vehicles = scenario.fleet.size + (e.fleet_size if e.area else 0)
    need = estimate_run_memory(n_vehicles, n_requests)
    have = MEMORY_SHARE * available_memory()
    if need > have:
        gib = 2.0**30
        msg = (
            f"this run needs an estimated {need / gib:,.1f} GiB of memory "
            f"({n_vehicles:,} vehicles x {BYTES_PER_VEHICLE / 1e3:.0f} kB + about "
            f"{n_requests:,.0f} requests x {BYTES_PER_REQUEST / 1e3:.0f} kB) but only "
            f"{have / gib:,.1f} GiB can be used ({MEMORY_SHARE:.0%} of the memory free now): "
            "lower fleet.size or the demand (demand.trips_per_day, demand.scale, the trip "
            "file), or split the day"
        )
        raise ScenarioError(msg)
