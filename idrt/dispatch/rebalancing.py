"""Rebalancing: where idle vehicles should wait for the next requests.

Pure functions on arrays; the simulator calls them every ``interval_s`` with the
idle vehicles and drives the returned :class:`Move` s (see
:mod:`idrt.sim.rebalancer`).

Zones and expected demand
    The network's nodes are grouped into square zones of side ``zone_size_m``
    (:func:`grid_zones`). A :class:`DemandForecast` holds the expected request
    rate of each zone in each hour of the day: the demand model's expectation
    (hourly profile x the share of trip origins of each zone), never the
    realised requests of the day being simulated.

Targets (both demand-based strategies)
    Let ``S`` be the idle vehicles, counted where they are, plus those already
    rebalancing, counted at their destination. Zone ``z`` should hold
    ``target_z = S x d_z / sum(d)`` of them (largest-remainder rounding), where
    ``d_z`` is its expected requests over the next ``horizon_s``
    (:func:`rebalancing_targets`). Idle vehicles above target may leave a zone;
    zones below target receive them. Only moves shorter than ``horizon_s`` are
    made: a vehicle that arrives after the horizon answers no forecast.

Strategies
    - :func:`return_to_depot`: every idle vehicle away from its depot drives back.
    - :func:`demand_anticipating`: greedy; the zone with the largest deficit is
      served first, by the nearest surplus vehicle, until no deficit or surplus
      is left.
    - :func:`min_cost_flow`: the moves of least total drive time that fill as many
      deficits as possible: a transportation problem between surplus and deficit
      zones solved as a minimum-cost flow (``networkx.min_cost_flow``, network
      simplex; zone-to-zone times between the zones' centre nodes), the approach
      of MATSim-DRT's ``MinCostFlowRebalancingStrategy``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import networkx as nx
import numpy as np

from idrt.dispatch.schedule import DispatchError

__all__ = [
    "DemandForecast",
    "Move",
    "Zones",
    "demand_anticipating",
    "grid_zones",
    "min_cost_flow",
    "rebalancing_targets",
    "return_to_depot",
    "zone_balance",
]

SECONDS_PER_HOUR = 3600.0
TravelTimeFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


class Zones(NamedTuple):
    """Square zones over a network's nodes.

    Attributes
    ----------
    zone_of_node : ndarray of int64, shape (n_nodes,)
        Zone of each node; -1 for nodes left out (outside the mask).
    center_node : ndarray of int64, shape (n_zones,)
        The node vehicles are sent to: the zone's node nearest to its
        weight-weighted centroid.
    cell : ndarray of int64, shape (n_zones, 2)
        Column and row of each zone's grid cell.
    zone_size_m : float
        Side of a cell, m.
    """

    zone_of_node: np.ndarray
    center_node: np.ndarray
    cell: np.ndarray
    zone_size_m: float

    @property
    def n_zones(self) -> int:
        """Number of zones (cells that hold at least one node)."""
        return len(self.center_node)


def grid_zones(
    xy_m: np.ndarray,
    zone_size_m: float,
    *,
    weights: np.ndarray | None = None,
    mask: np.ndarray | None = None,
    centers: np.ndarray | None = None,
) -> Zones:
    """Group nodes into square cells of side ``zone_size_m``.

    Parameters
    ----------
    xy_m : ndarray of float, shape (n_nodes, 2)
        Projected node coordinates, m.
    zone_size_m : float
        Side of a cell, m (> 0).
    weights : ndarray of float, shape (n_nodes,), optional
        Demand weight of each node; a zone's centre is the node nearest to its
        weighted centroid (the plain centroid where the weights are all 0).
    mask : ndarray of bool, shape (n_nodes,), optional
        Nodes to zone (e.g. the service area); the others get zone -1.
    centers : ndarray of bool, shape (n_nodes,), optional
        Nodes that may be a zone's centre (e.g. virtual stops, where vehicles
        can wait); a zone without one takes any of its nodes.

    Returns
    -------
    Zones

    Examples
    --------
    >>> import numpy as np
    >>> xy = np.array([[0.0, 0.0], [900.0, 0.0], [1100.0, 0.0], [1500.0, 200.0]])
    >>> z = grid_zones(xy, 1000.0)
    >>> z.zone_of_node.tolist(), z.center_node.tolist()
    ([0, 0, 1, 1], [0, 2])
    """
    xy = np.asarray(xy_m, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2:
        msg = f"xy_m must have shape (n_nodes, 2), got {xy.shape}"
        raise DispatchError(msg)
    size = float(zone_size_m)
    if not (math.isfinite(size) and size > 0.0):
        msg = f"zone_size_m must be > 0, got {zone_size_m!r}"
        raise DispatchError(msg)
    n = xy.shape[0]
    keep = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if keep.shape != (n,):
        msg = f"mask must have shape ({n},), got {keep.shape}"
        raise DispatchError(msg)
    eligible = np.ones(n, dtype=bool) if centers is None else np.asarray(centers, dtype=bool)
    if eligible.shape != (n,):
        msg = f"centers must have shape ({n},), got {eligible.shape}"
        raise DispatchError(msg)
    w = np.zeros(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any():
        msg = f"weights must be {n} finite values >= 0"
        raise DispatchError(msg)
    zone_of_node = np.full(n, -1, dtype=np.int64)
    nodes = np.flatnonzero(keep)
    if nodes.size == 0:
        empty = np.empty(0, dtype=np.int64)
        return Zones(zone_of_node, empty, np.empty((0, 2), dtype=np.int64), size)
    origin = xy[nodes].min(axis=0)
    cells = np.floor((xy[nodes] - origin) / size).astype(np.int64)
    uniq, inverse = np.unique(cells, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    zone_of_node[nodes] = inverse
    center = np.empty(len(uniq), dtype=np.int64)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    for z in range(len(uniq)):
        members = nodes[order[bounds[z] : bounds[z + 1]]]
        wz = w[members]
        pts = xy[members]
        c = (wz[:, None] * pts).sum(0) / wz.sum() if wz.sum() > 0 else pts.mean(0)
        d2 = ((pts - c) ** 2).sum(1)
        ok = eligible[members]
        center[z] = members[int(np.argmin(np.where(ok, d2, np.inf)))] if ok.any() else (
            members[int(np.argmin(d2))])  # fmt: skip
    return Zones(zone_of_node, center, uniq.astype(np.int64), size)


@dataclass(frozen=True)
class DemandForecast:
    """Expected requests per zone and hour of the day.

    Attributes
    ----------
    zones : Zones
    rate_per_s : ndarray of float64, shape (24, n_zones)
        Expected requests per second starting in each zone, by hour of the day
        (hours past 24 wrap around).
    """

    zones: Zones
    rate_per_s: np.ndarray

    def __post_init__(self) -> None:
        rate = np.asarray(self.rate_per_s, dtype=np.float64)
        if rate.shape != (24, self.zones.n_zones):
            msg = f"rate_per_s must have shape (24, n_zones={self.zones.n_zones}), got {rate.shape}"
            raise DispatchError(msg)
        if not np.all(np.isfinite(rate)) or (rate < 0).any():
            msg = "rate_per_s must be finite and >= 0"
            raise DispatchError(msg)
        object.__setattr__(self, "rate_per_s", rate)

    @classmethod
    def from_nodes(
        cls, zones: Zones, node_weight: np.ndarray, hourly_rate_per_s: np.ndarray
    ) -> DemandForecast:
        """Spread a request rate over zones in proportion to node weights.

        Parameters
        ----------
        zones : Zones
        node_weight : ndarray of float, shape (n_nodes,)
            Expected share of trip origins at each node (any scale; nodes
            outside the zones are ignored).
        hourly_rate_per_s : ndarray of float, shape (24,)
            Expected requests per second in each hour, the whole service area.

        Returns
        -------
        DemandForecast
        """
        w = np.asarray(node_weight, dtype=np.float64)
        if w.shape != zones.zone_of_node.shape or (w < 0).any():
            msg = f"node_weight must have shape {zones.zone_of_node.shape} and be >= 0"
            raise DispatchError(msg)
        rate = np.asarray(hourly_rate_per_s, dtype=np.float64).reshape(-1)
        if rate.shape != (24,):
            msg = f"hourly_rate_per_s must hold 24 values, got {rate.shape}"
            raise DispatchError(msg)
        inside = zones.zone_of_node >= 0
        share = np.bincount(
            zones.zone_of_node[inside], weights=w[inside], minlength=zones.n_zones
        ).astype(np.float64)
        total = share.sum()
        share = share / total if total > 0 else share
        return cls(zones, rate[:, None] * share[None, :])

    def expected(self, t0_s: float, t1_s: float) -> np.ndarray:
        """Expected requests in each zone with a request time in ``[t0_s, t1_s)``.

        Examples
        --------
        >>> import numpy as np
        >>> z = grid_zones(np.array([[0.0, 0.0], [2000.0, 0.0]]), 1000.0)
        >>> f = DemandForecast.from_nodes(z, np.array([1.0, 3.0]), np.full(24, 0.01))
        >>> f.expected(0.0, 1800.0).round(6).tolist()
        [4.5, 13.5]
        """
        out = np.zeros(self.zones.n_zones)
        t = float(t0_s)
        end = float(t1_s)
        while t < end:
            h = math.floor(t / SECONDS_PER_HOUR)
            nxt = min(end, (h + 1) * SECONDS_PER_HOUR)
            out += self.rate_per_s[h % 24] * (nxt - t)
            t = nxt
        return out


class Move(NamedTuple):
    """Send ``vehicle`` to ``node`` (no stop: it waits there for requests)."""

    vehicle: int
    node: int


def return_to_depot(
    idle: np.ndarray, vehicle_node: np.ndarray, depot_node: np.ndarray
) -> list[Move]:
    """Every idle vehicle away from its depot drives back.

    Parameters
    ----------
    idle : ndarray of int64
        Idle vehicles.
    vehicle_node, depot_node : ndarray of int64, shape (n_veh,)
        Where each vehicle is, and its depot.

    Returns
    -------
    list of Move
    """
    idle = np.asarray(idle, dtype=np.int64)
    return [
        Move(int(v), int(depot_node[v])) for v in idle.tolist() if vehicle_node[v] != depot_node[v]
    ]


def rebalancing_targets(expected: np.ndarray, n_vehicles: int) -> np.ndarray:
    """Split ``n_vehicles`` over zones in proportion to expected demand.

    Largest-remainder rounding (ties to the lower zone index); all zeros when
    no demand is expected.

    Examples
    --------
    >>> rebalancing_targets(np.array([1.0, 2.0, 0.0, 1.0]), 5).tolist()
    [1, 3, 0, 1]
    """
    d = np.asarray(expected, dtype=np.float64)
    total = d.sum()
    if n_vehicles <= 0 or not total > 0:
        return np.zeros(d.size, dtype=np.int64)
    quota = n_vehicles * d / total
    base = np.floor(quota).astype(np.int64)
    rest = n_vehicles - int(base.sum())
    if rest > 0:
        order = np.lexsort((np.arange(d.size), -(quota - base)))
        base[order[:rest]] += 1
    return base


def zone_balance(
    zones: Zones,
    expected: np.ndarray,
    idle_node: np.ndarray,
    arriving_node: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Idle vehicles per zone, target per zone, and the zone of each idle vehicle.

    Returns
    -------
    surplus : ndarray of int64, shape (n_zones,)
        Idle vehicles that may leave each zone (never more than are there).
    deficit : ndarray of int64, shape (n_zones,)
        Vehicles each zone lacks.
    idle_zone : ndarray of int64
        Zone of each idle vehicle (-1 outside every zone: it never moves).
    """
    idle_zone = zones.zone_of_node[np.asarray(idle_node, dtype=np.int64)]
    counted = idle_zone[idle_zone >= 0]
    idle_count = np.bincount(counted, minlength=zones.n_zones)
    supply = idle_count.copy()
    if arriving_node is not None and len(arriving_node):
        az = zones.zone_of_node[np.asarray(arriving_node, dtype=np.int64)]
        supply += np.bincount(az[az >= 0], minlength=zones.n_zones)
    target = rebalancing_targets(expected, int(supply.sum()))
    excess = supply - target
    surplus = np.minimum(np.maximum(excess, 0), idle_count)
    deficit = np.maximum(-excess, 0)
    return surplus.astype(np.int64), deficit.astype(np.int64), idle_zone


def _check(expected, zones, idle, vehicle_node):
    d = np.asarray(expected, dtype=np.float64)
    if d.shape != (zones.n_zones,):
        msg = f"expected must have shape (n_zones={zones.n_zones},), got {d.shape}"
        raise DispatchError(msg)
    return d, np.asarray(idle, dtype=np.int64), np.asarray(vehicle_node, dtype=np.int64)


def demand_anticipating(
    zones: Zones,
    expected: np.ndarray,
    idle: np.ndarray,
    vehicle_node: np.ndarray,
    travel: TravelTimeFn,
    *,
    arriving_node: np.ndarray | None = None,
    max_time_s: float = math.inf,
) -> list[Move]:
    """Greedy repositioning: largest deficit first, nearest surplus vehicle first.

    Parameters
    ----------
    zones : Zones
    expected : ndarray of float, shape (n_zones,)
        Expected requests per zone over the horizon.
    idle : ndarray of int64
        Idle vehicles (free to move).
    vehicle_node : ndarray of int64, shape (n_veh,)
        Where each vehicle is.
    travel : callable
        ``travel(from_nodes, to_nodes)``: drive times, element-wise, s.
    arriving_node : ndarray of int64, optional
        Destinations of vehicles already rebalancing (they count as supply there).
    max_time_s : float, optional
        Longest move, s (the horizon).

    Returns
    -------
    list of Move
        One per moved vehicle, to its new zone's centre node.
    """
    d, idle, vehicle_node = _check(expected, zones, idle, vehicle_node)
    surplus, deficit, idle_zone = zone_balance(zones, d, vehicle_node[idle], arriving_node)
    movable = [
        int(idle[i]) for i in range(idle.size) if idle_zone[i] >= 0 and surplus[idle_zone[i]] > 0
    ]
    if not movable or not deficit.any():
        return []
    zone_of = {int(idle[i]): int(idle_zone[i]) for i in range(idle.size)}
    sinks = np.flatnonzero(deficit > 0)
    sink_order = sinks[np.lexsort((sinks, -d[sinks], -deficit[sinks]))]
    vs = np.array(movable, dtype=np.int64)
    times = np.asarray(
        travel(np.repeat(vehicle_node[vs], sinks.size), np.tile(zones.center_node[sinks], vs.size)),
        dtype=np.float64,
    ).reshape(vs.size, sinks.size)
    col = {int(z): c for c, z in enumerate(sinks.tolist())}
    left = surplus.copy()
    need = deficit.copy()
    taken = np.zeros(vs.size, dtype=bool)
    moves = []
    progress = True
    while progress:
        progress = False
        for z in sink_order.tolist():  # one vehicle per deficit zone and round
            if need[z] <= 0:
                continue
            t = times[:, col[z]].copy()
            ok = ~taken & (t <= max_time_s) & np.isfinite(t)
            ok &= np.array([left[zone_of[int(v)]] > 0 for v in vs])
            if not ok.any():
                continue
            t[~ok] = np.inf
            i = int(np.argmin(t))
            taken[i] = True
            left[zone_of[int(vs[i])]] -= 1
            need[z] -= 1
            moves.append(Move(int(vs[i]), int(zones.center_node[z])))
            progress = True
    return moves


def min_cost_flow(
    zones: Zones,
    expected: np.ndarray,
    idle: np.ndarray,
    vehicle_node: np.ndarray,
    travel: TravelTimeFn,
    *,
    arriving_node: np.ndarray | None = None,
    max_time_s: float = math.inf,
) -> list[Move]:
    """Moves that fill the most deficits at the least total drive time.

    A transportation problem between surplus and deficit zones, with drive
    times between zone centres (whole seconds) as costs and only moves within
    ``max_time_s``: solved as a minimum-cost flow where an unfilled deficit
    costs more than any set of moves, so that the number of filled deficits is
    maximised first. Within a zone, the vehicles nearest each destination go.

    Parameters are those of :func:`demand_anticipating`.

    Returns
    -------
    list of Move
    """
    d, idle, vehicle_node = _check(expected, zones, idle, vehicle_node)
    surplus, deficit, idle_zone = zone_balance(zones, d, vehicle_node[idle], arriving_node)
    sources = np.flatnonzero(surplus > 0)
    sinks = np.flatnonzero(deficit > 0)
    if sources.size == 0 or sinks.size == 0:
        return []
    cost = np.asarray(
        travel(
            np.repeat(zones.center_node[sources], sinks.size),
            np.tile(zones.center_node[sinks], sources.size),
        ),
        dtype=np.float64,
    ).reshape(sources.size, sinks.size)
    allowed = np.isfinite(cost) & (cost <= max_time_s)
    if not allowed.any():
        return []
    cost_int = np.where(allowed, np.rint(cost), 0).astype(np.int64)
    units = int(surplus.sum())
    miss = int(cost_int.max()) * (units + 1) + 1  # any set of moves costs less than one miss
    g = nx.DiGraph()
    g.add_node("stay", demand=int(surplus.sum()))
    g.add_node("none", demand=-int(deficit.sum()))
    g.add_edge("none", "stay", weight=0)
    for a, z in enumerate(sources.tolist()):
        g.add_node(("s", z), demand=-int(surplus[z]))
        g.add_edge(("s", z), "stay", weight=miss)
        for b, y in enumerate(sinks.tolist()):
            if allowed[a, b]:
                g.add_edge(("s", z), ("d", y), weight=int(cost_int[a, b]))
    for y in sinks.tolist():
        g.add_node(("d", y), demand=int(deficit[y]))
        g.add_edge("none", ("d", y), weight=miss)
    flow = nx.min_cost_flow(g)
    moves = []
    for z in sources.tolist():
        pool = [int(idle[i]) for i in np.flatnonzero(idle_zone == z).tolist()]
        for key, f in flow[("s", z)].items():  # insertion order: deterministic
            if key == "stay" or f <= 0:
                continue
            target = int(zones.center_node[key[1]])
            t = np.asarray(travel(vehicle_node[pool], np.full(len(pool), target)), dtype=np.float64)
            chosen = np.argsort(t, kind="stable")[:f].tolist()
            moves.extend(Move(pool[i], target) for i in chosen)
            pool = [v for i, v in enumerate(pool) if i not in set(chosen)]
    return moves
