"""Scenarios: everything that defines one simulation run, as frozen dataclasses.

A scenario is read from TOML (:meth:`Scenario.from_toml`), built in Python
(``Scenario(fleet=FleetConfig(size=12))``) or derived from another with dotted
overrides (``scn.with_overrides({"fleet.size": 20})``). Every key is checked:
an unknown key or a value of the wrong type raises one :class:`ScenarioError`
naming the key, the value and what is allowed.

The defaults are the embedded I-MOD Yeongjong pilot scenario (see
``experiments/yeongjong.toml`` for the figures and their source).

Scenario files are trusted input, like a script: they name files that idrt
reads (network, trips, profiles, areas, attractors) anywhere the user running
idrt may read, and an ``extends`` chain may reach any folder. Run only
scenario files you would run as code. Error messages about a data file quote
only what identifies the problem (a line number, a header of column names),
never an arbitrary line of the file.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import math
import numbers
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from idrt.errors import IdrtError, ScenarioError
from idrt.traffic.config import CITSConfig, TrafficConfig

__all__ = [
    "SECTIONS",
    "BehaviourConfig",
    "CITSConfig",
    "CostConfig",
    "DemandConfig",
    "DispatchConfig",
    "ExpansionConfig",
    "FleetConfig",
    "NetworkConfig",
    "OutputConfig",
    "RebalancingConfig",
    "Scenario",
    "ServiceConfig",
    "ShiftConfig",
    "TrafficConfig",
    "TransitConfig",
    "read_toml",
    "resolve_data_path",
]

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class NetworkConfig:
    """Which road network to run on.

    Attributes
    ----------
    source : str
        Preset name (``"yeongjong"``), a network saved by ``idrt network
        fetch``, or a path (GraphML, OSM XML, ``.npz``, FleetPy CSV folder,
        Korean standard node-link ``MOCT_LINK.shp`` or its folder).
    speeds_kmh : dict
        Per-road-class free-flow speed overrides in km/h.
    region : list of str
        Node-link sources only: keep links whose node ids start with one of
        these region codes (e.g. ``["161", "162"]`` for parts of Incheon);
        empty keeps every link.
    """

    source: str = "yeongjong"
    speeds_kmh: dict[str, float] = field(default_factory=dict)
    region: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemandConfig:
    """Who calls a bus, where and when.

    Attributes
    ----------
    trips_per_day : float
        Expected requests in a day (before ``scale``).
    scale : float
        Multiplier on the demand (growth scenarios): 1.5 is 50 % more trips.
    profile : str
        24-hour profile CSV (``hour,share``), path relative to the scenario
        file, the working directory or the idrt checkout.
    area : str
        Service-area GeoJSON; empty for the whole network.
    attractors : str
        Attractor zones/points with weights (TOML); empty for uniform.
    gravity_beta_per_s : float
        Gravity deterrence ``beta`` in ``P(d|o) ∝ w_d exp(-beta t_od)``, 1/s;
        0 disables it.
    prebooked_share : float
        Share of requests booked ahead, 0–1.
    booking_lead_s : tuple of float
        Range (min, max) of the booking lead time of pre-booked requests, s.
    group_sizes : dict
        Probability of each group size, e.g. ``{"1": 0.85, "2": 0.12, "3": 0.03}``.
    trips : str
        A trip-log CSV to replay instead of generating demand; empty to generate.
    """

    trips_per_day: float = 735.0
    scale: float = 1.0
    profile: str = "demand/profiles/weekday.csv"
    area: str = "demand/yeongjong_area.geojson"
    attractors: str = "demand/yeongjong_attractors.toml"
    gravity_beta_per_s: float = 0.0
    prebooked_share: float = 0.0
    booking_lead_s: tuple[float, float] = (1800.0, 86400.0)
    group_sizes: dict[str, float] = field(default_factory=lambda: {"1": 0.85, "2": 0.12, "3": 0.03})
    trips: str = ""


@dataclass(frozen=True)
class ShiftConfig:
    """One on-duty window of some vehicles (an entry of ``fleet.shifts``).

    Attributes
    ----------
    vehicles : list of int
        Vehicle indices (0-based) that work this shift; empty: every vehicle.
    start_h, end_h : float
        The shift, hours after midnight.
    breaks : list of [start_h, end_h]
        Breaks inside the shift, hours after midnight; the vehicle goes off
        duty (returns to its depot) for each.
    """

    vehicles: list[int] = field(default_factory=list)
    start_h: float = 0.0
    end_h: float = 24.0
    breaks: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class FleetConfig:
    """The vehicles.

    Attributes
    ----------
    size : int
        Number of vehicles.
    capacity : int
        Passenger seats per vehicle.
    depots : list
        Where vehicles start and rest: ``[lon, lat]`` pairs in degrees, or
        node ids; vehicles are spread round-robin over them.
    shifts : list of ShiftConfig
        On-duty windows (``[[fleet.shifts]]`` tables with ``vehicles``,
        ``start_h``, ``end_h``, ``breaks``); empty (the default): every
        vehicle is on duty for the whole service hours. A vehicle named in no
        shift is never on duty. See :mod:`idrt.sim.shifts`.
    """

    size: int = 8
    capacity: int = 15
    depots: list[Any] = field(default_factory=lambda: [[126.5638, 37.4934]])
    shifts: list[ShiftConfig] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceConfig:
    """Service rules.

    Attributes
    ----------
    mode : {"door_to_door", "stop_based"}
        Door-to-door, or virtual stops with walking at both ends.
    start_h, end_h : float
        Service hours (hours after midnight): requests are accepted from
        ``start_h`` to ``end_h``; accepted riders are carried after ``end_h``.
    max_wait_s : float
        Longest wait from request (or desired pickup time) to pickup, s.
    max_ride_alpha, max_ride_beta_s : float
        Longest ride ``alpha * direct_time + beta`` (MATSim's convention).
    stop_time_s : float
        Fixed time at every stop (doors, kerb), s.
    boarding_s_per_pax, alighting_s_per_pax : float
        Time per boarding / alighting passenger, s.
    max_walk_m : float
        Stop-based mode: longest walk to and from a virtual stop, m.
    walk_speed_mps : float
        Walking speed, m/s.
    stop_spacing_m : float
        Stop-based mode: target spacing of virtual stops, m.
    stop_candidates : int
        Stop-based mode: the nearest this many stops (by walking) at each end
        are tried; the rider gets the pair with the lowest insertion cost plus
        weighted walking time.
    late_pickup_tolerance_s : float
        A pickup later than the time quoted at booking by more than this
        counts as late (``late_pickup_share``), s.
    max_ride_cap_s : float
        Absolute ride-time limit on top of ``alpha * direct + beta``: the
        limit is the smaller of the two, s; ``inf`` (default): none.
    prebooked_pickup_window_s : float
        Pre-booked requests (booked before their requested time): pickup
        window ``[requested time, requested time + this]`` when shorter than
        ``max_wait_s``, s; ``inf`` (default): ``max_wait_s`` as for the rest.
    prebooked_arrival_window_s : float
        Pre-booked requests: drop-off by the requested time + walk to the
        stop + direct drive time + this, s (arriving late by at most this
        against a direct trip at the requested time); ``inf`` (default): no
        drop-off window.
    max_route_duration_s : float
        Longest route of a vehicle, s: its plan (with the drive back to the
        depot when ``return_to_depot``) must end within this of the start of
        its on-duty window (service start without ``fleet.shifts``);
        ``inf`` (default): no limit.
    return_to_depot : bool
        Every vehicle must be able to reach its depot by the end of its
        on-duty window (``service.end_h`` without ``fleet.shifts``): a rider is
        taken only if the plan's last stop, plus the drive home, ends by
        then. Off (default): plans may run past the end (riders accepted
        before ``end_h`` are carried after it).
    """

    mode: Literal["door_to_door", "stop_based"] = "door_to_door"
    start_h: float = 7.0
    end_h: float = 20.0
    max_wait_s: float = 1800.0
    max_ride_alpha: float = 2.0
    max_ride_beta_s: float = 900.0
    stop_time_s: float = 30.0
    boarding_s_per_pax: float = 5.0
    alighting_s_per_pax: float = 3.0
    max_walk_m: float = 400.0
    walk_speed_mps: float = 1.2
    stop_spacing_m: float = 300.0
    stop_candidates: int = 3
    late_pickup_tolerance_s: float = 300.0
    max_ride_cap_s: float = math.inf
    prebooked_pickup_window_s: float = math.inf
    prebooked_arrival_window_s: float = math.inf
    max_route_duration_s: float = math.inf
    return_to_depot: bool = False


@dataclass(frozen=True)
class DispatchConfig:
    """How requests are assigned to vehicles.

    Attributes
    ----------
    mode : {"immediate", "batch"}
        ``"immediate"``: each request is offered or rejected at once by
        insertion. ``"batch"``: requests collected over ``batch_interval_s``
        are assigned jointly (see :mod:`idrt.dispatch.batch`); a request
        left over waits for the next batch while its pickup window allows,
        then is rejected.
    batch_interval_s : float
        Time between batches, s (batch mode, and re-optimisation).
    reoptimise : bool
        Every ``batch_interval_s``, accepted riders not yet picked up may move
        to another vehicle (or another place in their vehicle's plan) if that
        lowers the cost; their promised latest pickup and ride limit are kept
        and nobody accepted is dropped. Works with both modes.
    reoptimise_every : int
        Re-optimise at every this many batch ticks only (1, default: every
        tick); the ticks between only assign new requests. Opt-in CPU saving.
    reoptimise_pairs : bool
        Whether one re-optimisation may move two riders of other vehicles
        into one plan at once (default True). False shrinks the neighbourhood
        (fewer trips to build and price): an opt-in CPU saving.
    max_trip_size : int
        Batch mode: most requests one vehicle takes in one batch, ``k``
        (1 without re-optimisation: ``linear_sum_assignment``; otherwise an
        RTV-style set-partitioning ``milp``, HiGHS).
    max_requests_per_vehicle : int
        Batch mode with ``max_trip_size > 1`` or re-optimisation: trips of a
        vehicle are grown from its this many cheapest single requests (1–62).
    w_vehicle, w_wait, w_ride, w_delay : float
        Insertion cost weights on added vehicle time, the new rider's wait,
        the new rider's ride time, and the added delay of riders already
        booked (all in seconds).
    w_drive : float
        Insertion cost weight on added drive time (the legs into and out of
        the new stops minus those they replace, s): the proxy for added
        vehicle-km, which ``w_vehicle`` misses when a later wait hides the
        extra driving. 0 (default): off. See docs/dispatch.md.
    w_walk : float
        Stop-based mode: weight of the rider's walking time when choosing
        between candidate virtual stops.
    max_candidates : int
        Consider only the nearest this many vehicles (straight line) per
        request; 0 (default) searches the whole fleet, exactly. A cap below
        the fleet is a heuristic, warned once per run: it turns away riders
        the fleet could carry and takes costlier insertions (the benchmark
        city, 30 nearest of 1,000 buses: 83.1 % served against 86.9 %; the
        default scenario at 512 buses, 128 nearest: mean wait +22 %,
        vehicle-km +11 %); see docs/dispatch.md, "The candidate cap".
    diversion : bool
        Whether a driving vehicle may be diverted at the next node of its
        path to a new pickup (else it first reaches its current target).
    """

    mode: Literal["immediate", "batch"] = "immediate"
    batch_interval_s: float = 30.0
    reoptimise: bool = False
    reoptimise_every: int = 1
    reoptimise_pairs: bool = True
    max_trip_size: int = 1
    max_requests_per_vehicle: int = 16
    w_vehicle: float = 1.0
    w_wait: float = 0.2
    w_ride: float = 0.0
    w_delay: float = 0.1
    w_drive: float = 0.0
    w_walk: float = 0.5
    max_candidates: int = 0
    diversion: bool = True


@dataclass(frozen=True)
class RebalancingConfig:
    """Where idle vehicles go (``[rebalancing]``; see :mod:`idrt.dispatch.rebalancing`).

    Attributes
    ----------
    strategy : {"none", "return_to_depot", "demand_anticipating", "min_cost_flow"}
        ``"none"``: idle vehicles wait where they are. ``"return_to_depot"``:
        idle vehicles drive back to their depot. ``"demand_anticipating"``:
        idle vehicles go to the zones whose expected requests over the next
        ``horizon_s`` most exceed their idle supply, largest deficit first,
        nearest vehicle first. ``"min_cost_flow"``: the same surplus and
        deficits, matched at the least total drive time (minimum-cost flow).
        Expected requests come from the demand model (profile, attractors,
        service area), not from the day's realised requests.
    interval_s : float
        How often idle vehicles are rebalanced, s.
    horizon_s : float
        Demand-anticipating and min-cost-flow: the look-ahead over which
        expected requests per zone are counted, s; also the longest move.
    zone_size_m : float
        Side of the square zones demand and idle supply are counted in, m.
    """

    strategy: Literal["none", "return_to_depot", "demand_anticipating", "min_cost_flow"] = "none"
    interval_s: float = 300.0
    horizon_s: float = 1800.0
    zone_size_m: float = 1000.0


@dataclass(frozen=True)
class ExpansionConfig:
    """A new area added to the existing service (``[expansion]``).

    Empty ``area`` (the default) means no expansion. Otherwise the run serves
    the existing area's demand plus ``trips_per_day`` (times ``demand.scale``)
    generated in the new area, with ``fleet_size`` extra vehicles starting at
    ``depots``; fleet sizing in ``expansion`` mode searches ``fleet_size``.

    Attributes
    ----------
    area : str
        GeoJSON of the new area; empty for no expansion.
    attractors : str
        Attractor zones/points of the new area (TOML); empty for uniform.
    trips_per_day : float
        Expected requests per day in the new area (before ``demand.scale``).
    profile : str
        24-hour profile CSV of the new area's demand; empty: ``demand.profile``.
    fleet_size : int
        Extra vehicles for the new area.
    depots : list
        Where the extra vehicles start: ``[lon, lat]`` pairs or node ids;
        empty: the existing depots.
    shifts : list of ShiftConfig
        On-duty windows of the extra vehicles (``[[expansion.shifts]]``
        tables, keys as in ``fleet.shifts``), for a fleet that works shifts:
        ``vehicles`` count from the first extra vehicle (0 is vehicle
        ``fleet.size``), empty: every extra vehicle, whatever
        ``fleet_size`` a fleet sizing tries. With ``fleet.shifts`` set, an
        extra vehicle in no shift would never be on duty, which is refused.
    """

    area: str = ""
    attractors: str = ""
    trips_per_day: float = 0.0
    profile: str = ""
    fleet_size: int = 0
    depots: list[Any] = field(default_factory=list)
    shifts: list[ShiftConfig] = field(default_factory=list)


@dataclass(frozen=True)
class TransitConfig:
    """Today's fixed-route transit, the baseline DRT is judged by (``[transit]``).

    With a GTFS feed, every request of a run also gets its door-to-door
    time by transit (walk, wait, ride, change, walk;
    :func:`idrt.demand.transit_door_to_door`), and the KPIs compare DRT with
    it (``drt_time_saved_mean_s``, ``faster_than_transit_share``).

    Attributes
    ----------
    gtfs : str
        GTFS feed (folder or ``.zip``); empty for no baseline.
    day : str
        Service day of the feed: a weekday name or a date ``YYYYMMDD``.
    max_walk_m : float
        Longest walk to or from a stop, m (street distance).
    walk_detour : float
        Street over straight-line walking distance (>= 1).
    change_s : float
        Minimum change time between vehicles at a stop, s.
    """

    gtfs: str = ""
    day: str = "monday"
    max_walk_m: float = 800.0
    walk_detour: float = 1.3
    change_s: float = 60.0

    def __post_init__(self) -> None:
        checks = (
            ("max_walk_m", self.max_walk_m >= 0, ">= 0 metres, e.g. 800"),
            ("walk_detour", self.walk_detour >= 1, ">= 1 (street over straight-line), e.g. 1.3"),
            ("change_s", self.change_s >= 0, ">= 0 seconds, e.g. 60"),
        )
        for key, ok, rule in checks:
            value = getattr(self, key)
            if not ok or not math.isfinite(value):
                msg = f"transit.{key} = {value!r}: must be {rule}"
                raise ScenarioError(msg)


@dataclass(frozen=True)
class CostConfig:
    """What the service costs and earns (``[cost]``), in ``currency`` units.

    The defaults are illustrative Korean won; ``docs/cost.md`` gives each
    one's source or marks it a placeholder. Replace them with the
    operator's figures before a number goes to a council. Cost KPIs are
    computed by :mod:`idrt.sim.costs`.

    Attributes
    ----------
    currency : str
        Label printed with money figures.
    vehicle_capital_per_day : float
        Purchase (or lease) of one vehicle spread over its life, per service
        day and vehicle.
    driver_wage_per_hour : float
        Employer's cost of a driver per hour of the service day (one driver
        per vehicle for the service hours).
    energy_per_km, maintenance_per_km : float
        Fuel or electricity, and maintenance and tyres, per vehicle-km.
    fare_per_rider : float
        Fare paid per passenger carried (a group of three pays three fares).
    cits_cost_per_intersection_per_year : float
        Equipment and operation of one C-ITS intersection per year, annualised;
        counted only when a C-ITS effect is switched on.
    service_days_per_year : float
        Service days in a year, for annual figures.
    """

    currency: str = "KRW"
    vehicle_capital_per_day: float = 60_000.0
    driver_wage_per_hour: float = 20_000.0
    energy_per_km: float = 120.0
    maintenance_per_km: float = 100.0
    fare_per_rider: float = 1_800.0
    cits_cost_per_intersection_per_year: float = 3_000_000.0
    service_days_per_year: float = 365.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "currency":
                continue
            if not math.isfinite(value) or value < 0:
                msg = f"cost.{f.name} = {value!r}: must be a finite number >= 0"
                raise ScenarioError(msg)
        if self.service_days_per_year <= 0:
            msg = (
                f"cost.service_days_per_year = {self.service_days_per_year!r}: must be > 0 "
                "(e.g. 365, or 250 for weekdays only)"
            )
            raise ScenarioError(msg)


@dataclass(frozen=True)
class BehaviourConfig:
    """How riders respond to offers and waiting (``[behaviour]``; off by default).

    Every default is documented with its source (or marked as a placeholder)
    in ``docs/behaviour.md``; the formulas live in :mod:`idrt.sim.behaviour`.

    Attributes
    ----------
    enabled : bool
        Switch the rider model on. Off (the default), every offer is
        accepted, nobody cancels or fails to show, and nobody asks again.
    accept_model : {"logit", "threshold", "always"}
        How a rider answers an offer: a binary logit on the quoted wait and
        ride time, a threshold on both, or always yes.
    accept_asc : float
        Logit: utility of accepting an offer of zero wait and ride.
    accept_beta_wait_per_min, accept_beta_ride_per_min : float
        Logit: disutility per minute of quoted wait (request to quoted
        pickup) and of quoted ride (quoted pickup to quoted drop-off), 1/min.
    accept_max_wait_s, accept_max_ride_s : float
        Threshold: longest quoted wait and ride a rider accepts, s.
    retry_probability : float
        Probability that a rider who was refused (no vehicle) or declined
        asks again.
    retry_delay_mean_s : float
        Mean of the exponential delay before asking again, s.
    max_attempts : int
        Most requests one rider makes (the first included).
    cancel_hazard_per_min : float
        Hazard of cancelling while waiting, before the quoted pickup time, 1/min.
    cancel_hazard_growth_per_min2 : float
        Growth of that hazard per minute past the quoted pickup time, 1/min².
    no_show_probability : float
        Probability that a rider who accepted is not at the stop.
    no_show_wait_s : float
        How long the bus waits for a missing rider before it leaves, s.
    """

    enabled: bool = False
    accept_model: Literal["logit", "threshold", "always"] = "logit"
    accept_asc: float = 3.0
    accept_beta_wait_per_min: float = 0.1
    accept_beta_ride_per_min: float = 0.05
    accept_max_wait_s: float = 1800.0
    accept_max_ride_s: float = 3600.0
    retry_probability: float = 0.5
    retry_delay_mean_s: float = 600.0
    max_attempts: int = 3
    cancel_hazard_per_min: float = 0.002
    cancel_hazard_growth_per_min2: float = 0.005
    no_show_probability: float = 0.03
    no_show_wait_s: float = 120.0


@dataclass(frozen=True)
class OutputConfig:
    """Where results go.

    Attributes
    ----------
    dir : str
        Output folder for tables, plots and the resolved scenario.
    events : bool
        Keep the full event log in the result.
    """

    dir: str = "out"
    events: bool = True


_SECTIONS = {
    "network": NetworkConfig,
    "demand": DemandConfig,
    "fleet": FleetConfig,
    "service": ServiceConfig,
    "dispatch": DispatchConfig,
    "rebalancing": RebalancingConfig,
    "traffic": TrafficConfig,
    "cits": CITSConfig,
    "expansion": ExpansionConfig,
    "transit": TransitConfig,
    "cost": CostConfig,
    "behaviour": BehaviourConfig,
    "output": OutputConfig,
}
SECTIONS = _SECTIONS
"""Scenario sections: TOML table name → configuration dataclass (read-only use)."""


@dataclass(frozen=True)
class Scenario:
    """One simulation run's full definition; defaults are the Yeongjong pilot.

    ``reference`` holds observed KPIs (names as in :meth:`Result.summary`)
    that ``idrt run`` prints beside the simulated ones.

    Examples
    --------
    >>> scn = Scenario.from_toml("experiments/yeongjong.toml")   # doctest: +SKIP
    >>> scn.with_overrides({"fleet.size": 12}).fleet.size         # doctest: +SKIP
    12
    """

    name: str = "yeongjong"
    seed: int = 1
    network: NetworkConfig = field(default_factory=NetworkConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    service: ServiceConfig = field(default_factory=ServiceConfig)
    dispatch: DispatchConfig = field(default_factory=DispatchConfig)
    rebalancing: RebalancingConfig = field(default_factory=RebalancingConfig)
    traffic: TrafficConfig = field(
        default_factory=lambda: TrafficConfig(profile="demand/profiles/congestion_weekday.csv")
    )
    cits: CITSConfig = field(default_factory=CITSConfig)
    expansion: ExpansionConfig = field(default_factory=ExpansionConfig)
    transit: TransitConfig = field(default_factory=TransitConfig)
    cost: CostConfig = field(default_factory=CostConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    reference: dict[str, float] = field(default_factory=dict)
    base_dir: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)

    # ------------------------------------------------------------- loading
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base_dir: str | os.PathLike[str] = "") -> Scenario:
        """Build a scenario from nested dictionaries (as read from TOML).

        Raises
        ------
        ScenarioError
            On an unknown key or a value of the wrong type.
        """
        if not isinstance(data, dict):
            msg = f"a scenario must be a table of sections, got {type(data).__name__}"
            raise ScenarioError(msg)
        top = {"name", "seed", "reference", *_SECTIONS}
        unknown = sorted(set(data) - top)
        if unknown:
            msg = f"unknown scenario key(s) {unknown}; valid top-level keys are {sorted(top)}"
            raise ScenarioError(msg)
        kwargs: dict[str, Any] = {}
        for key in ("name", "seed"):
            if key in data:
                kwargs[key] = _coerce(key, data[key], str if key == "name" else int)
        if "reference" in data:
            kwargs["reference"] = _coerce("reference", data["reference"], dict[str, float])
        for section, section_cls in _SECTIONS.items():
            if section in data:
                kwargs[section] = _section_from_dict(section, section_cls, data[section])
        return cls(**kwargs, base_dir=str(base_dir))

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a scenario TOML file.

        Relative data paths inside it are resolved against the file's folder,
        then the working directory, then the idrt checkout.

        A file may start from another with ``extends = "other.toml"`` (path
        relative to the file): its tables are merged key by key over the
        other's, so a variant names only what it changes::

            extends = "yeongjong.toml"
            [cits]
            adaptive_signals = true

        Raises
        ------
        ScenarioError
            If the file is missing, is not valid TOML, or holds invalid keys.
        """
        path = Path(path)
        data = _read_toml(path, ())
        data.setdefault("name", path.stem)
        try:
            return cls.from_dict(data, base_dir=path.resolve().parent)
        except ScenarioError as exc:
            msg = f"scenario file {str(path)!r}: {exc}"
            raise ScenarioError(msg) from None

    # ----------------------------------------------------------- overrides
    def to_dict(self) -> dict[str, Any]:
        """Nested plain dictionaries (TOML/JSON-ready), without ``base_dir``."""
        out = dataclasses.asdict(self)
        out.pop("base_dir")
        return out

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-path keys replaced, e.g. ``{"fleet.size": 20}``.

        Raises
        ------
        ScenarioError
            If a path does not exist or a value has the wrong type.
        """
        data = self.to_dict()
        for dotted, value in overrides.items():
            parts = str(dotted).split(".")
            node: Any = data
            for i, part in enumerate(parts):
                if not isinstance(node, dict) or part not in node:
                    where = ".".join(parts[:i]) or "the scenario"
                    valid = sorted(node) if isinstance(node, dict) else []
                    msg = (
                        f"override {dotted!r}: {part!r} is not a key of {where}; valid keys "
                        f"there are {valid}"
                    )
                    raise ScenarioError(msg)
                if i == len(parts) - 1:
                    if isinstance(node[part], dict) and part in _SECTIONS:
                        msg = f"override {dotted!r} names a whole section; name a key inside it"
                        raise ScenarioError(msg)
                    node[part] = value
                else:
                    node = node[part]
        return Scenario.from_dict(data, base_dir=self.base_dir)

    def content_hash(self) -> str:
        """Short SHA-256 of the resolved scenario (identifies a run's inputs)."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def to_toml(self) -> str:
        """The resolved scenario as TOML text (saved next to every result)."""
        lines = [
            f"# content hash {self.content_hash()}",
            f"name = {_toml_value(self.name)}",
            f"seed = {self.seed}",
        ]
        for section in _SECTIONS:
            lines.append(f"\n[{section}]")
            for key, value in dataclasses.asdict(getattr(self, section)).items():
                lines.append(f"{key} = {_toml_value(value)}")
        if self.reference:
            lines.append("\n[reference]")
            lines.extend(f"{key} = {_toml_value(v)}" for key, v in self.reference.items())
        return "\n".join(lines) + "\n"

    def data_path(self, value: str) -> Path:
        """Resolve a data path of this scenario (see :func:`resolve_data_path`)."""
        return resolve_data_path(value, self.base_dir)


def _read_toml(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """A scenario file's tables, with ``extends`` resolved (merged over its base)."""
    if path.is_file() and path.resolve() in chain:
        msg = f"scenario file {str(path)!r} extends itself through {[str(c) for c in chain]}"
        raise ScenarioError(msg)
    where = f" (extended by {str(chain[-1])!r})" if chain else ""
    data = read_toml(path, "scenario file", ScenarioError, where=where)
    if not data:
        msg = (
            f"scenario file {str(path)!r} is empty; give at least one section (e.g. [fleet] "
            "size = 8), or run without a file for the embedded Yeongjong pilot"
        )
        raise ScenarioError(msg)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        msg = f"extends = {base!r} in {str(path)!r} must be the path of another scenario file"
        raise ScenarioError(msg)
    merged = _read_toml(path.parent / base, (*chain, path.resolve()))
    merged.pop("name", None)  # a variant is named after its own file
    return _merge(merged, data)


def read_toml(
    path: str | os.PathLike[str],
    what: str,
    error: type[IdrtError] = ScenarioError,
    *,
    where: str = "",
) -> dict[str, Any]:
    """The tables of a TOML file, or one clear ``error`` naming the file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for the message (``"scenario file"``, ``"sweep file"``).
    error
        The exception raised on a missing or unreadable file.
    where
        Said after the path when it does not exist (who refers to it).

    Raises
    ------
    IdrtError
        ``error``, when the file does not exist or is not valid UTF-8 TOML.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{what} {str(path)!r}{where} does not exist; check the path"
        raise error(msg)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        msg = f"{what} {str(path)!r} is not valid TOML: {exc}"
        raise error(msg) from exc


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def resolve_data_path(value: str | os.PathLike[str], base_dir: str | os.PathLike[str] = "") -> Path:
    """Find a data file: as given, next to the scenario, or in the idrt checkout."""
    path = Path(value).expanduser()
    if path.is_absolute():
        return path
    candidates = [Path(base_dir) / path] if base_dir else []
    candidates += [Path.cwd() / path, REPO_ROOT / path]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


# ---------------------------------------------------------------- validation
def _section_from_dict(section: str, cls: type, data: Any) -> Any:
    if dataclasses.is_dataclass(data):
        return data
    if not isinstance(data, dict):
        msg = f"[{section}] must be a table of keys, got {data!r}"
        raise ScenarioError(msg)
    hints = typing.get_type_hints(cls)
    valid = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(data) - set(valid))
    if unknown:
        msg = f"unknown key(s) {unknown} in [{section}]; valid keys are {valid}"
        raise ScenarioError(msg)
    kwargs = {key: _coerce(f"{section}.{key}", value, hints[key]) for key, value in data.items()}
    return cls(**kwargs)


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against a type hint, converting lossless cases (int→float)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Literal:
        if value not in args:
            msg = f"{name} = {value!r} is not allowed; choose one of {list(args)}"
            raise ScenarioError(msg)
        return value
    if origin in (types.UnionType, typing.Union):
        for arg in args:
            try:
                return _coerce(name, value, arg)
            except ScenarioError:
                continue
        msg = f"{name} = {value!r} has the wrong type; expected {hint}"
        raise ScenarioError(msg)
    if hint is Any:
        return value
    if dataclasses.is_dataclass(hint):
        return _section_from_dict(name, hint, value)
    if hint is bool:
        if not isinstance(value, bool):
            msg = f"{name} = {value!r} must be true or false"
            raise ScenarioError(msg)
        return value
    if hint is int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            msg = f"{name} = {value!r} must be a whole number"
            raise ScenarioError(msg)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"{name} = {value!r} must be a number"
            raise ScenarioError(msg)
        if math.isnan(value):
            msg = f"{name} = nan is not a number; give a value (or leave the key out)"
            raise ScenarioError(msg)
        return float(value)
    if hint is str:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        if not isinstance(value, str):
            msg = f"{name} = {value!r} must be a string"
            raise ScenarioError(msg)
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)) or len(value) != len(args):
            msg = f"{name} = {value!r} must be a list of {len(args)} values"
            raise ScenarioError(msg)
        return tuple(
            _coerce(f"{name}[{i}]", v, a) for i, (v, a) in enumerate(zip(value, args, strict=True))
        )
    if origin is list:
        if not isinstance(value, (list, tuple)):
            msg = f"{name} = {value!r} must be a list"
            raise ScenarioError(msg)
        return [_coerce(f"{name}[{i}]", v, args[0]) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            msg = f"{name} = {value!r} must be a table of key = value"
            raise ScenarioError(msg)
        return {str(k): _coerce(f"{name}.{k}", v, args[1]) for k, v in value.items()}
    return value


_NON_NEGATIVE = {
    "service": ("stop_time_s", "boarding_s_per_pax", "alighting_s_per_pax"),
    "dispatch": ("w_vehicle", "w_wait", "w_ride", "w_delay", "w_drive", "w_walk"),
}
"""Keys that must be >= 0 (checked one by one so the message names the key)."""


_INF_ALLOWED = frozenset(
    {
        "service.max_wait_s",
        "service.max_ride_beta_s",
        "service.max_ride_cap_s",
        "service.prebooked_pickup_window_s",
        "service.prebooked_arrival_window_s",
        "service.max_route_duration_s",
    }
)
"""Keys where ``inf`` means "no limit"; every other number of these sections is finite."""
_FINITE_SECTIONS = (
    "network",
    "demand",
    "fleet",
    "service",
    "dispatch",
    "rebalancing",
    "traffic",
    "cits",
    "expansion",
)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check_types(s: Scenario) -> None:
    """Type-check every value, also of a scenario built in Python (not only from TOML)."""
    _coerce("name", s.name, str)
    _coerce("seed", s.seed, int)
    if s.seed < 0:
        msg = f"seed = {s.seed}: a seed is a whole number >= 0"
        raise ScenarioError(msg)
    reference = _coerce("reference", s.reference, dict[str, float])
    bad = [k for k, v in reference.items() if not math.isfinite(v)]
    if bad:
        msg = f"[reference] {bad[0]} = {reference[bad[0]]}: give the observed value, a number"
        raise ScenarioError(msg)
    for section, cls in _SECTIONS.items():
        value = getattr(s, section)
        if not isinstance(value, cls):
            msg = (
                f"[{section}] is a {type(value).__name__}; give a {cls.__name__} "
                f"(or a table of keys in TOML)"
            )
            raise ScenarioError(msg)
        hints = _hints(cls)
        for f in dataclasses.fields(cls):
            key = f"{section}.{f.name}"
            v = _coerce(key, getattr(value, f.name), hints[f.name])
            if (
                section in _FINITE_SECTIONS
                and isinstance(v, float)
                and math.isinf(v)
                and key not in _INF_ALLOWED
            ):
                msg = f"{key} = {v}: give a finite number"
                raise ScenarioError(msg)


def _validate(s: Scenario) -> None:
    """Range checks that need more than a type (one message per problem)."""
    _check_types(s)
    checks: list[tuple[bool, str]] = [
        (s.fleet.size >= 1, f"fleet.size = {s.fleet.size}: a fleet needs at least 1 vehicle"),
        (s.fleet.capacity >= 1, f"fleet.capacity = {s.fleet.capacity}: give at least 1 seat"),
        (
            len(s.fleet.depots) >= 1,
            "fleet.depots is empty: give at least one [lon, lat] or node id",
        ),
        (
            0 <= s.service.start_h < s.service.end_h <= 24,
            f"service.start_h = {s.service.start_h:g}, service.end_h = {s.service.end_h:g}: "
            "need 0 <= start_h < end_h <= 24 (hours of one service day; riders accepted "
            "before end_h are still carried after it)",
        ),
        (s.service.max_wait_s > 0, f"service.max_wait_s = {s.service.max_wait_s}: must be > 0"),
        (
            s.service.max_ride_alpha >= 1,
            f"service.max_ride_alpha = {s.service.max_ride_alpha}: must be >= 1 (1 = no detour)",
        ),
        (
            s.service.max_ride_beta_s >= 0,
            f"service.max_ride_beta_s = {s.service.max_ride_beta_s}: must be >= 0",
        ),
        (
            s.service.stop_candidates >= 1,
            f"service.stop_candidates = {s.service.stop_candidates}: must be >= 1",
        ),
        (
            s.service.late_pickup_tolerance_s >= 0,
            f"service.late_pickup_tolerance_s = {s.service.late_pickup_tolerance_s:g}: must be "
            ">= 0 s (a negative tolerance counts every pickup as late)",
        ),
        (s.service.max_walk_m >= 0, f"service.max_walk_m = {s.service.max_walk_m}: must be >= 0"),
        (
            s.service.walk_speed_mps > 0,
            f"service.walk_speed_mps = {s.service.walk_speed_mps}: must be > 0",
        ),
        (
            s.service.stop_spacing_m > 0,
            f"service.stop_spacing_m = {s.service.stop_spacing_m}: must be > 0",
        ),
        (
            s.demand.trips_per_day >= 0,
            f"demand.trips_per_day = {s.demand.trips_per_day}: must be >= 0",
        ),
        (s.demand.scale >= 0, f"demand.scale = {s.demand.scale}: must be >= 0"),
        (
            0 <= s.demand.prebooked_share <= 1,
            f"demand.prebooked_share = {s.demand.prebooked_share}: must be in [0, 1]",
        ),
        (
            s.dispatch.max_candidates >= 0,
            f"dispatch.max_candidates = {s.dispatch.max_candidates}: must be >= 0 (0 = all)",
        ),
        (
            # below 1 s the batch clock, not the demand, sets the run time (a
            # 13 h day at 1 ms is 47 million batches); booking times are whole seconds
            s.dispatch.batch_interval_s >= 1.0,
            f"dispatch.batch_interval_s = {s.dispatch.batch_interval_s}: must be at least "
            "1 s (requests are booked to the second; dispatchers batch every 10-60 s)",
        ),
        (
            s.dispatch.reoptimise_every >= 1,
            f"dispatch.reoptimise_every = {s.dispatch.reoptimise_every}: must be >= 1",
        ),
        (
            s.dispatch.max_trip_size >= 1,
            f"dispatch.max_trip_size = {s.dispatch.max_trip_size}: must be >= 1",
        ),
        (
            1 <= s.dispatch.max_requests_per_vehicle <= 62,
            f"dispatch.max_requests_per_vehicle = {s.dispatch.max_requests_per_vehicle}: "
            "must be in 1..62",
        ),
        (
            s.rebalancing.interval_s > 0,
            f"rebalancing.interval_s = {s.rebalancing.interval_s}: must be > 0 s",
        ),
        (
            s.rebalancing.horizon_s > 0,
            f"rebalancing.horizon_s = {s.rebalancing.horizon_s}: must be > 0 s",
        ),
        (
            s.rebalancing.zone_size_m > 0,
            f"rebalancing.zone_size_m = {s.rebalancing.zone_size_m}: must be > 0 m",
        ),
        (
            s.expansion.fleet_size >= 0,
            f"expansion.fleet_size = {s.expansion.fleet_size}: must be >= 0 extra vehicles",
        ),
        (
            s.expansion.trips_per_day >= 0,
            f"expansion.trips_per_day = {s.expansion.trips_per_day}: must be >= 0",
        ),
    ]
    for section, keys in _NON_NEGATIVE.items():
        for key in keys:
            value = getattr(getattr(s, section), key)
            checks.append((value >= 0, f"{section}.{key} = {value:g}: must be >= 0"))
    for ok, message in checks:
        if not ok:
            raise ScenarioError(message)
    sizes = s.demand.group_sizes
    try:
        keys = [int(k) for k in sizes]
    except ValueError:
        keys = [0]
    total = sum(sizes.values())
    if (
        not sizes
        or min(keys) < 1
        or min(sizes.values()) < 0
        or not math.isclose(total, 1, abs_tol=1e-6)
    ):
        msg = (
            f"demand.group_sizes = {sizes}: keys are group sizes >= 1 and the "
            f"probabilities must sum to 1 (they sum to {total:g})"
        )
        raise ScenarioError(msg)
    if max(keys) > s.fleet.capacity:
        msg = (
            f"demand.group_sizes allows groups of {max(keys)} but fleet.capacity = "
            f"{s.fleet.capacity}; raise the capacity or drop the larger groups"
        )
        raise ScenarioError(msg)
    _validate_behaviour(s)
    _validate_shifts(s)
    _validate_darp(s)
    for depot in s.fleet.depots:
        ok = isinstance(depot, int) and not isinstance(depot, bool)
        ok = ok or (
            isinstance(depot, (list, tuple))
            and len(depot) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in depot)
        )
        if not ok:
            msg = f"fleet.depots entry {depot!r}: give [lon, lat] in degrees or a node id"
            raise ScenarioError(msg)


def _validate_darp(s: Scenario) -> None:
    """The dial-a-ride rules of ``[service]``: positive limits, immediate dispatch only."""
    svc = s.service
    limits = (
        "max_ride_cap_s",
        "prebooked_pickup_window_s",
        "prebooked_arrival_window_s",
        "max_route_duration_s",
    )
    for key in limits:
        value = getattr(svc, key)
        if not value > 0:
            msg = f"service.{key} = {value:g}: must be > 0 s (inf for no limit)"
            raise ScenarioError(msg)
    used = [f"service.{k}" for k in limits if math.isfinite(getattr(svc, k))]
    if svc.return_to_depot:
        used.append("service.return_to_depot")
    if used and (s.dispatch.mode != "immediate" or s.dispatch.reoptimise):
        msg = (
            f"{', '.join(used)} is set, but batch dispatch and re-optimisation do not apply "
            "these dial-a-ride rules yet; use dispatch.mode = 'immediate' with "
            "dispatch.reoptimise = false, or drop the rule"
        )
        raise ScenarioError(msg)


def _validate_behaviour(s: Scenario) -> None:
    b = s.behaviour
    checks: list[tuple[bool, str]] = [
        (
            min(b.accept_beta_wait_per_min, b.accept_beta_ride_per_min) >= 0,
            "behaviour.accept_beta_wait_per_min and accept_beta_ride_per_min must be >= 0 "
            "(they are disutilities per minute)",
        ),
        (
            min(b.accept_max_wait_s, b.accept_max_ride_s) > 0,
            "behaviour.accept_max_wait_s and accept_max_ride_s must be > 0 s",
        ),
        (
            0 <= b.retry_probability <= 1,
            f"behaviour.retry_probability = {b.retry_probability}: must be in [0, 1]",
        ),
        (
            b.retry_delay_mean_s > 0,
            f"behaviour.retry_delay_mean_s = {b.retry_delay_mean_s}: must be > 0 s",
        ),
        (b.max_attempts >= 1, f"behaviour.max_attempts = {b.max_attempts}: must be >= 1"),
        (
            min(b.cancel_hazard_per_min, b.cancel_hazard_growth_per_min2) >= 0,
            "behaviour.cancel_hazard_per_min and cancel_hazard_growth_per_min2 must be >= 0",
        ),
        (
            0 <= b.no_show_probability <= 1,
            f"behaviour.no_show_probability = {b.no_show_probability}: must be in [0, 1]",
        ),
        (b.no_show_wait_s >= 0, f"behaviour.no_show_wait_s = {b.no_show_wait_s}: must be >= 0"),
    ]
    for ok, message in checks:
        if not ok:
            raise ScenarioError(message)
    if b.enabled and (s.dispatch.mode != "immediate" or s.dispatch.reoptimise):
        msg = (
            "behaviour.enabled = true works with immediate dispatch only (offers, "
            "cancellations and no-shows are not wired into batch dispatch or "
            're-optimisation yet); set dispatch.mode = "immediate" and '
            "dispatch.reoptimise = false, or behaviour.enabled = false"
        )
        raise ScenarioError(msg)


def _validate_shifts(s: Scenario) -> None:
    shifts = s.fleet.shifts
    extra_shifts = s.expansion.shifts
    if extra_shifts and not shifts:
        msg = (
            "expansion.shifts without fleet.shifts: the existing vehicles would work all "
            "day and the extra ones in shifts; give the existing fleet its shifts "
            "([[fleet.shifts]]), or leave expansion.shifts out for extra vehicles on duty "
            "all day"
        )
        raise ScenarioError(msg)
    if not shifts:
        return
    if s.dispatch.mode != "immediate" or s.dispatch.reoptimise:
        msg = (
            "fleet.shifts works with immediate dispatch only (batch dispatch and "
            "re-optimisation do not know shift ends yet); set dispatch.mode = "
            '"immediate" and dispatch.reoptimise = false, or remove fleet.shifts'
        )
        raise ScenarioError(msg)
    if s.rebalancing.strategy not in ("none", "return_to_depot"):
        msg = (
            f"fleet.shifts with rebalancing.strategy = {s.rebalancing.strategy!r}: the "
            "rebalancer would move vehicles that are off duty; use strategy "
            '"none" or "return_to_depot" with shifts'
        )
        raise ScenarioError(msg)
    n_base, n_extra = s.fleet.size, s.expansion.fleet_size
    n_total = n_base + n_extra
    windows: dict[int, list[tuple[float, float]]] = {}
    entries = [(f"fleet.shifts[{k}]", 0, n_total, x) for k, x in enumerate(shifts)]
    entries += [(f"expansion.shifts[{k}]", n_base, n_extra, x) for k, x in enumerate(extra_shifts)]
    for where, first, count, shift in entries:
        if not 0 <= shift.start_h < shift.end_h <= 48:
            msg = (
                f"{where}: start_h = {shift.start_h}, end_h = {shift.end_h}; "
                "need 0 <= start_h < end_h <= 48"
            )
            raise ScenarioError(msg)
        bad = [v for v in shift.vehicles if not 0 <= v < count]
        if bad:
            msg = f"{where}.vehicles = {bad}: vehicle indices run from 0 to {count - 1}"
            if first:
                msg += " (counted from the first extra vehicle, expansion.fleet_size of them)"
            raise ScenarioError(msg)
        for b0, b1 in shift.breaks:
            if not shift.start_h < b0 < b1 < shift.end_h:
                msg = (
                    f"{where}.breaks entry [{b0}, {b1}] must lie inside the shift "
                    f"({shift.start_h}–{shift.end_h} h) with start < end"
                )
                raise ScenarioError(msg)
        for v in shift.vehicles or range(count):
            windows.setdefault(first + v, []).append((shift.start_h, shift.end_h))
    for v, spans in windows.items():
        spans.sort()
        for (a0, a1), (b0, _b1) in itertools.pairwise(spans):
            if b0 < a1:
                msg = (
                    f"fleet.shifts: vehicle {v} has overlapping shifts {a0}–{a1} h and "
                    f"from {b0} h; give each vehicle non-overlapping shifts"
                )
                raise ScenarioError(msg)
    idle = [v for v in range(n_base, n_total) if v not in windows]
    if s.expansion.area and idle:
        msg = (
            f"expansion.fleet_size = {n_extra} extra vehicles with fleet.shifts, but vehicles "
            f"{idle} are in no shift and would never be on duty; give the extra vehicles "
            "shifts with [[expansion.shifts]] (without `vehicles`: every extra vehicle)"
        )
        raise ScenarioError(msg)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items())
            + " }"
        )
    return json.dumps(str(value))
