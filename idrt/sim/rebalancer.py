"""Rebalancing in the simulator: idle vehicles moved every ``interval_s``.

A :class:`Rebalancer` attached to an :class:`~idrt.sim.engine.Engine` runs a
SimPy process from the start to the end of service. Every ``interval_s`` it
takes the idle vehicles (no plan, not already moving), asks a strategy of
:mod:`idrt.dispatch.rebalancing` where they should go and sends them: a
rebalancing move is a drive without a stop. A request assigned on the way
diverts the vehicle at the next node like any other plan change (or at the
end of the move without diversion). Kilometres driven on rebalancing moves
are counted in ``rebalancing_km`` (and, as empty kilometres, in ``km``).

The expected demand per zone is the demand model's (see :func:`demand_forecast`),
never the day's realised requests.
"""

from __future__ import annotations

import numpy as np

from idrt import demand as dm
from idrt.dispatch.rebalancing import (
    DemandForecast,
    demand_anticipating,
    grid_zones,
    min_cost_flow,
    return_to_depot,
)
from idrt.sim.batching import oracle_pairs
from idrt.sim.engine import IDLE

__all__ = ["STRATEGIES", "Rebalancer", "demand_forecast"]

STRATEGIES = ("none", "return_to_depot", "demand_anticipating", "min_cost_flow")


def demand_forecast(
    scenario, net, *, n_requests: float | None = None, centers: np.ndarray | None = None
) -> DemandForecast:
    """Expected requests per zone and hour from a scenario's demand model.

    Zones are ``rebalancing.zone_size_m`` squares over every node of the
    network. A zone's share of the requests is the share of trip origins the
    model gives its nodes: the attractor weights over the service area
    (uniform over the area without attractors), plus the expansion area's
    with its own daily total. The rate in each hour follows the demand
    profile within the service hours.

    Parameters
    ----------
    scenario : Scenario
    net : RoadNetwork
    n_requests : float, optional
        Requests of the day in the base area. By default the model's
        expectation, ``demand.trips_per_day * demand.scale``; for replayed
        trips (a trip CSV or trips passed to ``simulate``) the caller gives
        the number replayed, the only thing known about them.
    centers : ndarray of int64, optional
        Nodes that may be a zone's centre, where rebalanced vehicles wait
        (virtual stops and depots in stop-based service); any node by default.

    Returns
    -------
    DemandForecast
    """
    d = scenario.demand
    svc = scenario.service
    hours = (svc.start_h, svc.end_h)
    xy = np.column_stack([net.x_m, net.y_m])
    parts = []
    base_area = (
        dm.ServiceArea.from_geojson(scenario.data_path(d.area))
        if d.area
        else dm.ServiceArea.from_nodes(net, net.node_ids, name=net.name)
    )
    total = d.trips_per_day * d.scale if n_requests is None else float(n_requests)
    parts.append((base_area, d.attractors, d.profile, total))
    e = scenario.expansion
    if e.area and e.trips_per_day * d.scale > 0:
        area = dm.ServiceArea.from_geojson(scenario.data_path(e.area))
        parts.append((area, e.attractors, e.profile or d.profile, e.trips_per_day * d.scale))
    weight = np.zeros(net.n_nodes)
    rates = []
    for area, attractors, profile, trips in parts:
        nodes = np.flatnonzero(area.node_mask(net))
        if nodes.size == 0:
            continue
        att = dm.load_attractors(scenario.data_path(attractors) if attractors else None)
        w = np.zeros(net.n_nodes)
        w[nodes] = att.node_weights(net, nodes)
        rate = dm.load_profile(scenario.data_path(profile)).rate_per_s(trips, hours)
        rates.append((w, rate))
        weight += w
    eligible = None
    if centers is not None:
        eligible = np.zeros(net.n_nodes, dtype=bool)
        eligible[np.asarray(centers, dtype=np.int64)] = True
    zones = grid_zones(xy, scenario.rebalancing.zone_size_m, weights=weight, centers=eligible)
    forecast = np.zeros((24, zones.n_zones))
    for w, rate in rates:
        forecast += DemandForecast.from_nodes(zones, w, rate).rate_per_s
    return DemandForecast(zones, forecast)


class Rebalancer:
    """Move idle vehicles every ``interval_s`` by one strategy.

    Parameters
    ----------
    engine : Engine
    strategy : {"return_to_depot", "demand_anticipating", "min_cost_flow"}
    interval_s, horizon_s : float
        Time between rebalancing rounds, and the look-ahead of the forecast
        (also the longest move), s.
    depots : ndarray of int64
        Depot node of each vehicle.
    forecast : DemandForecast, optional
        Needed by the demand-based strategies.
    """

    def __init__(
        self,
        engine,
        *,
        strategy: str,
        interval_s: float,
        horizon_s: float,
        depots: np.ndarray,
        forecast: DemandForecast | None = None,
    ) -> None:
        if strategy not in STRATEGIES[1:]:
            msg = f"rebalancing strategy {strategy!r} is not one of {list(STRATEGIES[1:])}"
            raise ValueError(msg)
        if strategy != "return_to_depot" and forecast is None:
            msg = f"rebalancing strategy {strategy!r} needs a demand forecast"
            raise ValueError(msg)
        self.engine = engine
        self.strategy = strategy
        self.interval_s = float(interval_s)
        self.horizon_s = float(horizon_s)
        self.depots = np.asarray(depots, dtype=np.int64)
        self.forecast = forecast
        self.moves = 0
        self.rounds = 0

    def attach(self) -> Rebalancer:
        """Register the rebalancing process with the engine."""
        self.engine.helpers.append(self)
        return self

    def process(self):
        """SimPy process: a round at the start and every ``interval_s`` until service ends."""
        env = self.engine.env
        end = self.engine.rules.end_s
        while env.now < end:
            self.step()
            yield env.timeout(min(self.interval_s, end - env.now))

    def step(self) -> None:
        """One round: find the idle vehicles and send the moves the strategy gives."""
        e = self.engine
        now = e.env.now
        s = e.sched
        idle, arriving = [], []
        for vehicle in e.vehicles:
            if vehicle.rebalancing:
                arriving.append(vehicle.leg_target)
            elif vehicle.state == IDLE and s.n_stops[vehicle.index] == 0:
                if vehicle.rebalance_to < 0:
                    idle.append(vehicle.index)
        self.rounds += 1
        if not idle:
            return
        idle_arr = np.array(idle, dtype=np.int64)
        node = np.array([vehicle.node for vehicle in e.vehicles], dtype=np.int64)
        if self.strategy == "return_to_depot":
            moves = return_to_depot(idle_arr, node, self.depots)
        else:
            strategy = demand_anticipating if self.strategy == "demand_anticipating" else (
                min_cost_flow)  # fmt: skip
            moves = strategy(
                self.forecast.zones,
                self.forecast.expected(now, now + self.horizon_s),
                idle_arr,
                node,
                oracle_pairs(e.oracle.at(now)),
                arriving_node=np.array(arriving, dtype=np.int64),
                max_time_s=self.horizon_s,
            )
        for move in moves:
            vehicle = e.vehicles[move.vehicle]
            if move.node == vehicle.node:
                continue
            vehicle.rebalance_to = move.node
            if vehicle.wake is not None and not vehicle.wake.triggered:
                vehicle.wake.succeed()
            self.moves += 1
