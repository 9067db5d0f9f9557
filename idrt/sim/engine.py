"""The discrete-event core: vehicle processes, request arrivals, immediate dispatch.

One SimPy process per vehicle executes its stop schedule (drive → dwell →
next). Events happen only at stops and decisions, never per link: a vehicle's
position between stops is known from the path and the time it set off, so
when a new insertion changes its next stop the dispatcher computes the next
node at which it can divert and interrupts the process (SimPy interrupts, no
polling).

The fleet's plans are one :class:`idrt.dispatch.Schedules` (arrays) that the
dispatcher proposes into and the vehicle processes execute from.

Travel times: the dispatcher plans with ``oracle.at(now)`` (static, or the
hourly slice of the traffic model's tables). With a
:class:`~idrt.sim.movement.Movement` the vehicles drive each leg in its
realised time (the day's congestion and a signal delay drawn per passage),
so plans and reality can part: promised pickups can be missed, and the
results measure by how much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from idrt.dispatch import (
    STOP_FIELDS,
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    Schedules,
    VehicleLimits,
    best_insertion_among,
    empty_schedules,
    insert_into,
)
from idrt.dispatch.insertion import ExcessMemo, best_insertion_bounded
from idrt.sim._kernels import (
    can_reach,
    nearest_k,
    plan_times,
    pop_first_stop,
    refresh_starts,
    ride_limit_hold,
)
from idrt.sim.oracle import SearchOracle

__all__ = ["Engine", "ServiceRules", "TripArrays"]

IDLE, DRIVING, TO_DIVERT, WAITING, DWELLING, REPLAN = range(6)
# REPLAN: interrupted, not yet resumed; its start point is fixed (now, or the divert node)

PRUNE_MIN_CANDIDATES = 16
"""Fewer candidates than this are all tried (pruning, and its lower-bound table, cost more)."""


@dataclass(frozen=True)
class ServiceRules:
    """The numbers the engine needs from a scenario (seconds, metres)."""

    start_s: float
    end_s: float
    capacity: int
    max_wait_s: float
    max_ride_alpha: float
    max_ride_beta_s: float
    stop_time_s: float
    boarding_s_per_pax: float
    alighting_s_per_pax: float
    weights: InsertionWeights
    w_walk: float = 0.0
    max_candidates: int = 0
    diversion: bool = True
    max_ride_cap_s: float = math.inf
    prebooked_pickup_window_s: float = math.inf
    prebooked_arrival_window_s: float = math.inf
    max_route_duration_s: float = math.inf
    return_to_depot: bool = False

    @property
    def limits_vehicles(self) -> bool:
        """Whether plans have an end (route duration, return to depot)."""
        return self.return_to_depot or math.isfinite(self.max_route_duration_s)


@dataclass(frozen=True)
class TripArrays:
    """Requests as arrays, sorted by booking time (internal node indices).

    ``pickup_options`` / ``dropoff_options``: per request, candidate
    (node, walk_s, walk_m) triples; door-to-door gives the one door node
    with zero walk.
    """

    request_id: np.ndarray
    booking_time_s: np.ndarray
    request_time_s: np.ndarray
    pax: np.ndarray
    pickup_options: list[list[tuple[int, float, float]]]
    dropoff_options: list[list[tuple[int, float, float]]]


@dataclass
class _Vehicle:
    index: int
    node: int
    state: int = IDLE
    process: Any = None
    wake: Any = None
    leg_nodes: np.ndarray | None = None
    leg_cum_s: np.ndarray | None = None
    leg_cum_m: np.ndarray | None = None
    leg_from: int = 0
    leg_target: int = 0
    leg_start_s: float = 0.0
    leg_total_s: float = 0.0
    leg_expected_s: float = 0.0
    leg: Any = None
    divert: Any = None  # the engine's divert index per vehicle (see divert_index)
    load: int = 0
    onboard: set = field(default_factory=set)
    km: float = 0.0
    empty_km: float = 0.0
    pax_km: float = 0.0
    busy_s: float = 0.0
    busy_since: float = math.nan
    pickups: int = 0
    dropoffs: int = 0
    rebalancing_km: float = 0.0
    rebalance_to: int = -1  # node of a pending rebalancing move (-1: none)
    rebalancing: bool = False  # driving a rebalancing move

    @property
    def divert_index(self) -> int:
        """Index along the current leg where the vehicle would divert (-1: none yet)."""
        return int(self.divert[self.index])


class Engine:
    """One simulation run. Build it, call :meth:`run`, read the records.

    Parameters
    ----------
    oracle
        Travel-time oracle (:mod:`idrt.sim.oracle`).
    node_ids
        Source id per internal node index (for the event log).
    xy_m
        Projected node coordinates (n, 2) in metres (to pick candidate vehicles).
    depots
        Internal node index where each vehicle starts.
    trips
        The requests.
    rules
        Service rules and dispatch weights.
    keep_events
        Record the full event log.
    movement
        Realised link times and the signal-passage log (traffic model); when
        omitted every leg takes exactly its planned time.
    """

    def __init__(
        self,
        oracle,
        node_ids: np.ndarray,
        xy_m: np.ndarray,
        depots: np.ndarray,
        trips: TripArrays,
        rules: ServiceRules,
        *,
        keep_events: bool = True,
        progress: bool = False,
        movement=None,
    ) -> None:
        self.oracle = oracle
        self.movement = movement
        self.node_ids = node_ids
        self.xy_m = xy_m
        self.trips = trips
        self.rules = rules
        self.keep_events = keep_events
        self.progress = progress
        self.env = simpy.Environment(initial_time=rules.start_s)
        n_veh = len(depots)
        self.start_node = np.asarray(depots, dtype=np.int64).copy()
        self.depot_node = self.start_node.copy()
        # the vehicles' state as arrays (mirrored where _Vehicle changes), so
        # that start points are brought to now in one compiled pass
        self.v_state = np.full(n_veh, IDLE, dtype=np.int64)
        self.v_node = self.start_node.copy()
        self.v_leg_target = np.zeros(n_veh, dtype=np.int64)
        self.v_leg_start_s = np.zeros(n_veh)
        self.v_leg_expected_s = np.zeros(n_veh)
        self.v_leg_total_s = np.zeros(n_veh)
        self.v_moving = np.zeros(n_veh, dtype=np.bool_)
        self.v_divert = np.full(n_veh, -1, dtype=np.int64)
        self.v_leg_len = np.full(n_veh, -1, dtype=np.int64)  # -1: leg path not loaded
        self.v_leg_nodes = np.zeros((n_veh, 16), dtype=np.int64)
        self.v_leg_cum_s = np.zeros((n_veh, 16))
        self.v_leg_cum_expected_s = np.zeros((n_veh, 16))
        self.vehicles = [
            _Vehicle(index=v, node=int(d), divert=self.v_divert) for v, d in enumerate(depots)
        ]
        # where each vehicle is or is heading, as coordinates (to pick candidates)
        self.pos_x = xy_m[self.start_node, 0].copy()
        self.pos_y = xy_m[self.start_node, 1].copy()
        self.sched: Schedules = empty_schedules(
            np.full(n_veh, rules.capacity), rules.start_s, max_stops=8
        )
        self.events: list[tuple] = []
        n_req = len(trips.request_id)
        self.req = {
            "status": np.full(n_req, "pending", dtype=object),
            "reason": np.full(n_req, "", dtype=object),
            "vehicle": np.full(n_req, -1, np.int64),
            "pickup_node": np.full(n_req, -1, np.int64),
            "dropoff_node": np.full(n_req, -1, np.int64),
            "walk_pickup_s": np.full(n_req, np.nan),
            "walk_dropoff_s": np.full(n_req, np.nan),
            "walk_m": np.full(n_req, np.nan),
            "direct_s": np.full(n_req, np.nan),
            "promised_pickup_s": np.full(n_req, np.nan),
            "planned_pickup_s": np.full(n_req, np.nan),
            "planned_dropoff_s": np.full(n_req, np.nan),
            "max_ride_s": np.full(n_req, np.nan),
            "pickup_s": np.full(n_req, np.nan),
            "pickup_departure_s": np.full(n_req, np.nan),
            "dropoff_s": np.full(n_req, np.nan),
            "shared": np.zeros(n_req, bool),
        }
        self._row_of = {int(r): i for i, r in enumerate(trips.request_id)}
        # batch dispatch (idrt.sim.batching) takes the requests when attached;
        # helpers (batching, rebalancing) run their process() beside the vehicles
        self.dispatcher = None
        self.helpers: list = []
        # rider behaviour (idrt.sim.riders) and shifts (idrt.sim.shifts) hook in here
        self.riders = None
        self.shifts = None
        self.find_insertion = best_insertion_among
        self._bound = None  # lower-bound oracle of candidate pruning (built on first use)
        self._metric = None  # whether the oracle is one metric (branch and bound; first use)
        self._excess: ExcessMemo | None = None  # plans' leg excesses (time-dependent bound)

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        """Simulate until every accepted rider is delivered."""
        for vehicle in self.vehicles:
            vehicle.process = self.env.process(self._vehicle_process(vehicle))
        self.env.process(self._arrivals())
        for helper in self.helpers:
            self.env.process(helper.process())
        self.env.run()

    def _log(self, vehicle: int, kind: str, node: int, request: int, load: int) -> None:
        if self.keep_events:
            nid = int(self.node_ids[node]) if node >= 0 else -1
            self.events.append((self.env.now, vehicle, kind, nid, request, load))

    # ------------------------------------------------------------- requests
    def _arrivals(self):
        t = self.trips
        bar = None
        if self.progress:
            from tqdm.auto import tqdm  # noqa: PLC0415 - tqdm.auto: ~0.06 s (asyncio)

            bar = tqdm(total=len(t.request_id), unit="request", desc="simulating", miniters=100)
        for row in range(len(t.request_id)):
            delay = float(t.booking_time_s[row]) - self.env.now
            if delay > 0:
                yield self.env.timeout(delay)
            if self.dispatcher is None:
                self._dispatch(row)
            else:
                self.dispatcher.submit(row)
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

    def _dispatch(self, row: int) -> None:
        t, rules = self.trips, self.rules
        rid = int(t.request_id[row])
        self._log(-1, "request", -1, rid, 0)
        if not t.pickup_options[row] or not t.dropoff_options[row]:
            return self._reject(row, "no_stop_within_walk")
        candidates = self._candidates(t.pickup_options[row][0][0])
        if self.shifts is not None:
            candidates = self.shifts.on_duty(candidates, self.env.now)
            if not candidates.size:
                return self._reject(row, "no_vehicle_on_duty")
        self._refresh_start_points(candidates)
        now = self.env.now
        orc = self.oracle.at(now)
        pax = int(t.pax[row])
        prebooked = bool(t.request_time_s[row] > t.booking_time_s[row])
        max_wait = rules.max_wait_s
        if prebooked and rules.prebooked_pickup_window_s < max_wait:
            max_wait = rules.prebooked_pickup_window_s
        latest = float(t.request_time_s[row]) + max_wait
        combos = []
        for p_node, p_walk_s, p_walk_m in t.pickup_options[row]:
            if max(float(t.request_time_s[row]) + p_walk_s, now) > latest:
                continue
            for d_node, d_walk_s, d_walk_m in t.dropoff_options[row]:
                if p_node == d_node:
                    continue
                direct = orc.time(p_node, d_node)
                if math.isfinite(direct):
                    combos.append((p_node, p_walk_s, p_walk_m, d_node, d_walk_s, d_walk_m, direct))
        in_table = False
        if combos:
            pickups = [c[0] for c in combos]
            in_table = self._in_table(candidates, orc)
            reach = None
            if in_table:  # a static oracle's transpose is kept (slices': the view)
                lookup = (*orc.lookup, orc.lookup_into()[0] if self._metric else orc.lookup[0].T)
                reach = self._reach(latest)  # _prune's test, in the compiled search
            if reach is None:
                candidates = self._prune(candidates, pickups, latest)
            geometry = None  # the candidates' plan points, built when a search needs them
            longest = max(c[6] for c in combos)
            horizon = latest + rules.max_ride_alpha * longest + rules.max_ride_beta_s - now
            to_from_p, to_from_d = {}, {}  # times of the whole search, per node (on demand)
        best = None
        limits = self._vehicle_limits(candidates, orc) if rules.limits_vehicles else None
        for p_node, p_walk_s, p_walk_m, d_node, d_walk_s, d_walk_m, direct in combos:
            max_ride = rules.max_ride_alpha * direct + rules.max_ride_beta_s
            if rules.max_ride_cap_s < max_ride:
                max_ride = rules.max_ride_cap_s
            latest_dropoff = math.inf
            if prebooked and math.isfinite(rules.prebooked_arrival_window_s):
                arrive = float(t.request_time_s[row]) + p_walk_s + direct
                latest_dropoff = arrive + rules.prebooked_arrival_window_s
            request = InsertionRequest(
                request_id=rid,
                pickup_node=p_node,
                dropoff_node=d_node,
                pax=pax,
                earliest_pickup_s=max(float(t.request_time_s[row]) + p_walk_s, now),
                latest_pickup_s=latest,
                max_ride_s=max_ride,
                dwell_pickup_s=rules.stop_time_s + rules.boarding_s_per_pax * pax,
                dwell_dropoff_s=rules.stop_time_s + rules.alighting_s_per_pax * pax,
                direct_s=direct,
                latest_dropoff_s=latest_dropoff,
            )
            times_row, searched = None, -1
            if in_table:  # one compiled search, by branch and bound where the bounds hold
                found, times, searched = best_insertion_bounded(
                    self.sched, candidates, (self.start_node, self.sched.stop_node), lookup,
                    request, direct, rules.weights, metric=self._metric, memo=self._excess_memo(),
                    reach=reach,
                )  # fmt: skip
                times_row = 0
            if searched < 0:  # the table lacks a time: times by search, every candidate
                if geometry is None:
                    if reach is not None:  # not pruned yet (exact: the same answer)
                        candidates = self._prune(candidates, pickups, latest)
                        reach = None
                    geometry = self._plan_points(candidates)
                if p_node not in to_from_p:
                    to_from_p[p_node] = self._times_at(
                        orc, geometry, p_node, latest - now, horizon, start=True
                    )
                if d_node not in to_from_d:
                    to_from_d[d_node] = self._times_at(
                        orc, geometry, d_node, horizon, horizon, start=False
                    )
                (to_p, from_p), (to_d, from_d) = to_from_p[p_node], to_from_d[d_node]
                times_row = None
                if limits is None:
                    times = InsertionTimes(to_p, from_p, to_d, from_d, direct)
                    found = self.find_insertion(
                        self.sched, candidates, request, times, rules.weights
                    )
                else:
                    home = self._to_depot(orc, d_node, candidates)
                    times = InsertionTimes(to_p, from_p, to_d, from_d, direct, home)
                    found = self.find_insertion(
                        self.sched, candidates, request, times, rules.weights, limits=limits
                    )
            if found is None:
                continue
            cost = found.cost + rules.w_walk * (p_walk_s + d_walk_s)
            if best is None or cost < best[0]:
                best = (cost, found, request, times, p_walk_s, d_walk_s, p_walk_m + d_walk_m,
                        times_row)  # fmt: skip
        if best is None:
            same = all(p[0] == d[0] for p in t.pickup_options[row] for d in t.dropoff_options[row])
            return self._reject(row, "same_stop" if same else "no_feasible_insertion")
        _, found, request, times, p_walk_s, d_walk_s, walk_m, q = best
        if self.riders is not None and not self.riders.offer(row, found, request):
            return None
        if q is None:
            q = int(np.searchsorted(candidates, found.vehicle))  # its row of the times
        self._accept(row, found, request, times, p_walk_s, d_walk_s, walk_m, times_row=q)

    def _in_table(self, candidates: np.ndarray, orc) -> bool:
        """Whether to search the candidates in one compiled pass over the oracle's table.

        :func:`~idrt.dispatch.insertion.best_insertion_bounded`, for an oracle
        with a table, without vehicle limits and with the engine's own
        insertion search (shifts replace it), from
        :data:`PRUNE_MIN_CANDIDATES` candidates. Its branch and bound uses
        the bound of one metric when ``self._metric`` (a static oracle: one
        shortest-path metric for every leg of every plan), else the weaker
        bound that allows for legs planned in other hourly slices than the
        current one (each plan's stored legs' excess over the slice's times,
        :func:`idrt.dispatch._kernels.insertion_lower_bounds_any`).
        """
        if (
            candidates.size < PRUNE_MIN_CANDIDATES
            or self.rules.limits_vehicles
            or self.find_insertion is not best_insertion_among
            or getattr(orc, "lookup", None) is None
        ):
            return False
        if self._metric is None:
            self._metric = isinstance(self.oracle, SearchOracle)
        return True

    def _excess_memo(self) -> ExcessMemo | None:
        """The plans' leg excesses kept between searches, for the time-dependent bound.

        None for one metric (no excess); rebuilt (empty) when the plans outgrow it.
        """
        if self._metric:
            return None
        width = self.sched.max_stops
        if self._excess is None or self._excess.width < width:
            self._excess = ExcessMemo(self.sched.n_vehicles, max(width, 16))
        return self._excess

    def _reject(self, row: int, reason: str) -> None:
        self.req["status"][row] = "rejected"
        self.req["reason"][row] = reason
        self._log(-1, "reject", -1, int(self.trips.request_id[row]), 0)
        if self.riders is not None:
            self.riders.refused(row, reason)

    def _accept(
        self, row, found, request, times, p_walk_s, d_walk_s, walk_m, times_row=None
    ) -> None:
        v = found.vehicle
        old_first = (
            int(self.sched.stop_request[v, 0]) if self.sched.n_stops[v] else -1,
            int(self.sched.stop_kind[v, 0]) if self.sched.n_stops[v] else 0,
        )
        self.sched = insert_into(self.sched, found, request, times, times_row=times_row)
        r = self.req
        r["status"][row] = "accepted"
        r["vehicle"][row] = v
        r["pickup_node"][row] = request.pickup_node
        r["dropoff_node"][row] = request.dropoff_node
        r["walk_pickup_s"][row] = p_walk_s
        r["walk_dropoff_s"][row] = d_walk_s
        r["walk_m"][row] = walk_m
        r["direct_s"][row] = request.direct_s
        r["promised_pickup_s"][row] = request.latest_pickup_s
        r["planned_pickup_s"][row] = found.pickup_time_s
        r["planned_dropoff_s"][row] = found.dropoff_time_s
        r["max_ride_s"][row] = request.max_ride_s
        self._log(v, "accept", request.pickup_node, request.request_id, 0)
        if self.riders is not None:
            self.riders.accepted(row)
        new_first = (int(self.sched.stop_request[v, 0]), int(self.sched.stop_kind[v, 0]))
        self._replan(self.vehicles[v], new_first != old_first)

    def _replan(self, vehicle: _Vehicle, first_changed: bool) -> None:
        """Tell a vehicle its plan changed: wake it, or interrupt its wait or drive.

        An idle vehicle is woken. A waiting one, or one driving with diversion
        on, is interrupted when its first stop changed, and at most once: its
        state becomes ``REPLAN`` at once, so a second change in the same
        instant (two bookings in one second, a batch after an insertion) is
        read by the same interrupt. A second interrupt would reach the process
        after the first, outside its interruptible wait (while it drives to
        the divert node or dwells).
        """
        if vehicle.state == IDLE:
            if vehicle.wake is not None and not vehicle.wake.triggered:
                vehicle.wake.succeed()
        elif first_changed and (
            vehicle.state == WAITING or (vehicle.state == DRIVING and self.rules.diversion)
        ):
            self._set_state(vehicle, REPLAN)
            vehicle.process.interrupt("replan")

    # ------------------------------------------------ dial-a-ride limits
    def _duty_window(self, v: int, now: float) -> tuple[float, float]:
        """Vehicle ``v``'s on-duty window holding ``now`` (the service hours without shifts)."""
        if self.shifts is not None:
            return self.shifts.plan.window(v, now)
        return self.rules.start_s, self.rules.end_s

    def _vehicle_limits(self, candidates: np.ndarray, orc) -> VehicleLimits:
        """When each candidate's plan must end, with the drive home (route duration, depot).

        ``end_by_s`` is the smaller of the duty window's end (with
        ``return_to_depot``) and its start plus ``max_route_duration_s``;
        ``to_depot_s`` the drive from the plan's last point to the depot
        (with ``return_to_depot``, else 0). Vehicles not among the candidates
        keep ``inf`` and 0: the kernel never reads them.
        """
        rules, s, now = self.rules, self.sched, self.env.now
        n_veh = s.n_vehicles
        end_by = np.full(n_veh, math.inf)
        to_depot = np.zeros(n_veh)
        for v in candidates.tolist():
            start, end = self._duty_window(v, now)
            end_by[v] = min(end if rules.return_to_depot else math.inf,
                            start + rules.max_route_duration_s)  # fmt: skip
            if rules.return_to_depot:
                n = int(s.n_stops[v])
                last = int(s.stop_node[v, n - 1]) if n else int(self.start_node[v])
                to_depot[v] = orc.time(last, int(self.depot_node[v]))
        return VehicleLimits(end_by, to_depot)

    def _to_depot(self, orc, node: int, candidates: np.ndarray) -> np.ndarray:
        """Drive from ``node`` to each candidate's depot, s (0 without ``return_to_depot``)."""
        if not self.rules.return_to_depot:
            return np.zeros(candidates.size)
        depots = self.depot_node[candidates]
        out = np.empty(candidates.size)
        seen: dict[int, float] = {}
        for q, d in enumerate(depots.tolist()):
            if d not in seen:
                seen[d] = orc.time(node, d)
            out[q] = seen[d]
        return out

    # ---------------------------------------------------- dispatch geometry
    def _candidates(self, node: int) -> np.ndarray:
        """Vehicles considered for a request: all, or the nearest ``max_candidates``."""
        n_veh = self.sched.n_vehicles
        k = self.rules.max_candidates
        if k <= 0 or k >= n_veh:
            return np.arange(n_veh)
        x, y = self.xy_m[node]
        d2, nearest = nearest_k(self.pos_x, self.pos_y, float(x), float(y), k)
        if nearest.size:  # the k nearest, unambiguous: the set argpartition picks
            return nearest
        return np.sort(np.argpartition(d2, k - 1)[:k])  # ties at the k-th: numpy's choice

    def _prune(self, candidates: np.ndarray, pickups: list[int], latest_s: float) -> np.ndarray:
        """Drop the candidates that cannot reach any pickup by ``latest_s``.

        Exact: the plan of vehicle ``v`` leaves its start point at
        ``start_time_s`` and reaches its first stop no earlier than
        ``start_time_s + leg_s[v, 0]``; every other leg of it takes at least
        the lower-bound oracle's time between its ends (the least link time
        of each edge over all slices). By the triangle inequality no
        insertion then serves a pickup ``P`` before ``start_time_s +
        min(lower(start, P), leg_s[v, 0] + lower(stop 0, P))``; a vehicle for
        which that is later than ``latest_s`` at every pickup option has no
        feasible insertion, and dropping it changes nothing (the margin
        covers float rounding). Where no table holds a time the bound is 0.
        """
        if candidates.size < PRUNE_MIN_CANDIDATES:
            return candidates
        if self._bound is None:
            self._bound = self.oracle.lower_bound()
        if self._bound.lookup is None:  # no table: no bound
            return candidates
        s = self.sched
        keep = can_reach(
            candidates, self.start_node, s.start_time_s, s.n_stops, s.stop_node, s.leg_s,
            *self._bound.lookup_into(), np.array(pickups, dtype=np.int64),
            latest_s + 1e-6 + 1e-9 * abs(latest_s),
        )  # fmt: skip
        return candidates if keep.all() else candidates[keep]

    def _reach(self, latest_s: float) -> tuple[np.ndarray, np.ndarray, float] | None:
        """:meth:`_prune`'s test for the compiled search: its table and latest pickup.

        ``(table_to, slot, latest_cut)`` of the lower-bound oracle, for
        :func:`~idrt.dispatch.insertion.best_insertion_bounded`'s ``reach``:
        the search drops, per pickup option, the candidates that cannot reach
        that pickup by ``latest_s`` (those :meth:`_prune` drops for every
        option, and per option the ones that reach only another), before it
        looks up their times; exact, as :meth:`_prune`. None where the
        lower-bound oracle has no table (then :meth:`_prune` keeps every
        candidate too).
        """
        if self._bound is None:
            self._bound = self.oracle.lower_bound()
        if self._bound.lookup is None:
            return None
        return (*self._bound.lookup_into(), latest_s + 1e-6 + 1e-9 * abs(latest_s))

    def _set_position(self, v: int, node: int) -> None:
        self.pos_x[v], self.pos_y[v] = self.xy_m[node]

    def _leg_path(self, vehicle: _Vehicle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The current leg's nodes, cumulative times and lengths (computed once)."""
        if vehicle.leg_nodes is None:
            orc = self.oracle.at(vehicle.leg_start_s)
            nodes, cum_s, cum_m = orc.leg(vehicle.leg_from, vehicle.leg_target)
            vehicle.leg_nodes, vehicle.leg_cum_s, vehicle.leg_cum_m = nodes, cum_s, cum_m
        return vehicle.leg_nodes, vehicle.leg_cum_s, vehicle.leg_cum_m

    def _set_state(self, vehicle: _Vehicle, state: int) -> None:
        vehicle.state = state
        self.v_state[vehicle.index] = state

    def _set_node(self, vehicle: _Vehicle, node: int) -> None:
        vehicle.node = node
        self.v_node[vehicle.index] = node

    def _load_leg(self, vehicle: _Vehicle) -> None:
        """Copy the current leg's path into the per-vehicle leg arrays."""
        nodes, cum_s, _ = self._leg_path(vehicle)
        v, n = vehicle.index, len(nodes)
        width = self.v_leg_nodes.shape[1]
        if n > width:
            width = max(n, 2 * width)
            for name in ("v_leg_nodes", "v_leg_cum_s", "v_leg_cum_expected_s"):
                old = getattr(self, name)
                new = np.zeros((old.shape[0], width), dtype=old.dtype)
                new[:, : old.shape[1]] = old
                setattr(self, name, new)
        self.v_leg_nodes[v, :n] = nodes
        self.v_leg_cum_s[v, :n] = cum_s
        if vehicle.leg is not None:
            self.v_leg_cum_expected_s[v, :n] = vehicle.leg.cum_expected_s
        self.v_leg_len[v] = n

    def _refresh_start_points(self, candidates: np.ndarray) -> None:
        """Bring the candidates' start points (next divert node, time) to now.

        Idle and waiting vehicles start where they are, now. A driving one
        without diversion starts where its leg ends, when it was due to end
        (the dispatcher knows when the leg was due to end, not when it will;
        the same without a traffic model); with diversion at the next node of
        its leg (where it is is known, AVL: the time it reaches that node),
        the rest of the leg planned with expected times. One compiled pass
        (:func:`idrt.sim._kernels.refresh_starts`) over the candidates, after
        the paths of legs not yet looked at are loaded.
        """
        candidates = np.asarray(candidates, dtype=np.int64)
        s = self.sched
        if self.rules.diversion:
            sel = candidates[(self.v_state[candidates] == DRIVING)]
            for v in sel[self.v_leg_len[sel] < 0].tolist():
                self._load_leg(self.vehicles[v])
        refresh_starts(
            candidates, float(self.env.now), self.rules.diversion, self.v_state, self.v_node,
            self.v_leg_target, self.v_leg_start_s, self.v_leg_expected_s, self.v_leg_total_s,
            self.v_moving, self.v_leg_len, self.v_leg_nodes, self.v_leg_cum_s,
            self.v_leg_cum_expected_s, self.start_node, s.start_time_s, s.n_stops, s.stop_node,
            s.leg_s, self.v_divert,
        )  # fmt: skip

    def _plan_points(self, rows: np.ndarray):
        """The candidates' start points and stops: ``(rows, points)``, points (rows, s_max + 1)."""
        s = self.sched
        points = np.empty((rows.size, s.max_stops + 1), dtype=np.int64)
        points[:, 0] = self.start_node[rows]
        points[:, 1:] = s.stop_node[rows]
        return rows, points

    def _times_at(
        self, orc, geometry, node: int, bound_to: float, bound_from: float, *, start: bool
    ):
        """Drive times into ``node`` from the plans' points and out of it to their stops.

        Returns two (k, s_max + 1) arrays, row ``q`` for candidate ``rows[q]``:
        ``to[q, i]`` from the point before position ``i`` and ``from_[q, i]`` to
        stop ``i``. For a drop-off the start point is never the point before it
        (that leg is pickup -> drop-off), so it is left out (``start=False``).
        """
        rows, points = geometry
        lookup = getattr(orc, "lookup", None)
        if lookup is not None:  # a table: one pass, searches only where it lacks a time
            to, from_ = plan_times(points, self.sched.n_stops[rows], start, *lookup, node)
            miss = np.isnan(to)
            if miss.any():
                to[miss] = orc.search_times_to(points[miss], node, bound_to)
            miss = np.isnan(from_)
            if miss.any():
                q, i = np.nonzero(miss)
                from_[q, i] = orc.search_times_from(node, points[q, i + 1], bound_from)
            return to, from_
        width = points.shape[1]
        valid = np.arange(width)[None, :] <= self.sched.n_stops[rows][:, None]
        stops_valid = valid.copy()
        stops_valid[:, 0] = False
        into = valid if start else stops_valid
        to = np.full((rows.size, width), np.inf)
        to[into] = orc.times_to(points[into], node, bound_to)
        from_ = np.full((rows.size, width), np.inf)
        from_[:, :-1][stops_valid[:, 1:]] = orc.times_from(node, points[stops_valid], bound_from)
        return to, from_

    # -------------------------------------------------------------- vehicles
    def _pop_first_stop(self, v: int) -> tuple[int, int, int, int]:
        s = self.sched
        n = int(s.n_stops[v])
        first = (
            int(s.stop_node[v, 0]),
            int(s.stop_kind[v, 0]),
            int(s.stop_request[v, 0]),
            int(s.stop_pax[v, 0]),
        )
        dwell = float(s.dwell_s[v, 0])
        pop_first_stop(v, n, *(getattr(s, name) for name in STOP_FIELDS))
        s.n_stops[v] = n - 1
        return (*first, dwell)

    def _vehicle_process(self, vehicle: _Vehicle):
        env, v = self.env, vehicle.index
        while True:
            s = self.sched
            if vehicle.rebalance_to >= 0:  # idrt.sim.rebalancer; void if work came first
                target, vehicle.rebalance_to = vehicle.rebalance_to, -1
                if s.n_stops[v] == 0 and target != vehicle.node:
                    vehicle.rebalancing = True
                    yield from self._drive(vehicle, target)
                    vehicle.rebalancing = False
                    continue
            if s.n_stops[v] == 0:
                if self.shifts is not None and self.shifts.send_home(vehicle):
                    continue
                if vehicle.state != IDLE:
                    vehicle.busy_s += env.now - vehicle.busy_since
                self._set_state(vehicle, IDLE)
                self.start_node[v] = vehicle.node
                self._set_position(v, vehicle.node)
                s.start_time_s[v] = env.now
                self._log(v, "idle", vehicle.node, -1, vehicle.load)
                vehicle.wake = env.event()
                yield vehicle.wake
                vehicle.busy_since = env.now
                continue
            target = int(s.stop_node[v, 0])
            if target != vehicle.node:
                yield from self._drive(vehicle, target)
                continue  # re-read the plan: stop 0 may have changed on the way
            earliest = float(s.earliest_s[v, 0])
            if s.stop_kind[v, 0] > 0:
                earliest = self._hold_for_ride_limit(v, max(earliest, env.now))
            if earliest > env.now:
                self._set_state(vehicle, WAITING)
                self.start_node[v] = vehicle.node
                s.start_time_s[v] = env.now
                s.leg_s[v, 0] = 0.0
                try:
                    yield env.timeout(earliest - env.now)
                except simpy.Interrupt:
                    continue
            yield from self._serve(vehicle)

    def _hold_for_ride_limit(self, v: int, service_s: float) -> float:
        """When to start the pickup that is vehicle ``v``'s first stop, s.

        The ride limit runs from the pickup's departure. A pickup served
        earlier than planned (plans changed, legs ran fast) can leave the
        rest of the plan, with its waits for later pickups, too long for the
        rider's limit; then the pickup waits (at most until its promised
        latest time) by as much of the excess as those waits absorb. The
        wait is written into the plan (``earliest_s``) so dispatch sees it.
        """
        s = self.sched
        rid = int(s.stop_request[v, 0])
        hold = ride_limit_hold(
            int(s.n_stops[v]), service_s, rid, float(self.req["max_ride_s"][self._row_of[rid]]),
            s.stop_request[v], s.earliest_s[v], s.latest_s[v], s.leg_s[v], s.dwell_s[v],
        )  # fmt: skip
        if hold <= 0.0:
            return service_s
        s.earliest_s[v, 0] = max(float(s.earliest_s[v, 0]), service_s + hold)
        return service_s + hold

    def _drive(self, vehicle: _Vehicle, target: int):
        env, v = self.env, vehicle.index
        orc = self.oracle.at(env.now)
        vehicle.leg_from, vehicle.leg_target = vehicle.node, target
        vehicle.leg_start_s = env.now
        vehicle.leg_nodes = vehicle.leg_cum_s = vehicle.leg_cum_m = None
        if self.movement is None:
            vehicle.leg = None
            total = vehicle.leg_expected_s = orc.time(vehicle.node, target)
        else:
            leg = vehicle.leg = self.movement.leg(orc, vehicle.node, target, env.now)
            vehicle.leg_nodes, vehicle.leg_cum_s = leg.nodes, leg.cum_s
            vehicle.leg_cum_m = leg.cum_m
            total = float(leg.cum_s[-1])
            vehicle.leg_expected_s = float(leg.cum_expected_s[-1])
        vehicle.leg_total_s = total
        self.v_leg_target[v] = target
        self.v_leg_start_s[v] = vehicle.leg_start_s
        self.v_leg_expected_s[v] = vehicle.leg_expected_s
        self.v_leg_total_s[v] = total
        self.v_moving[v] = vehicle.leg is not None
        self.v_leg_len[v] = -1
        self._set_state(vehicle, DRIVING)
        self._set_position(v, target)
        self._log(v, "depart", vehicle.node, -1, vehicle.load)
        try:
            yield env.timeout(total)
        except simpy.Interrupt:
            nodes, cum_s, cum_m = self._leg_path(vehicle)
            k = vehicle.divert_index
            self._set_state(vehicle, TO_DIVERT)
            remaining = vehicle.leg_start_s + cum_s[k] - env.now
            self._count_km(vehicle, float(cum_m[k]))
            if vehicle.leg is not None:
                self.movement.record(vehicle.leg, v, vehicle.leg_start_s, k, vehicle.leg_start_s)
            self._set_node(vehicle, int(nodes[k]))
            self._set_position(v, vehicle.node)
            if remaining > 0:
                yield env.timeout(remaining)
            self._log(v, "divert", vehicle.node, -1, vehicle.load)
            return
        if vehicle.leg is None:
            self._count_km(vehicle, self.oracle.at(vehicle.leg_start_s).length_m(
                vehicle.leg_from, target))  # fmt: skip
        else:
            self._count_km(vehicle, float(vehicle.leg.cum_m[-1]))
            n = len(vehicle.leg.nodes) - 1
            self.movement.record(vehicle.leg, v, vehicle.leg_start_s, n, vehicle.leg_start_s)
        self._set_node(vehicle, target)
        self._log(v, "arrive", target, -1, vehicle.load)

    def _count_km(self, vehicle: _Vehicle, metres: float) -> None:
        km = metres / 1000.0
        vehicle.km += km
        if vehicle.rebalancing:
            vehicle.rebalancing_km += km
        vehicle.pax_km += km * vehicle.load
        if vehicle.load == 0:
            vehicle.empty_km += km

    def _serve(self, vehicle: _Vehicle):
        env, v, r = self.env, vehicle.index, self.req
        node, kind, rid, pax, dwell = self._pop_first_stop(v)
        row = self._row_of[rid]
        self._set_state(vehicle, DWELLING)
        if self.riders is not None and self.riders.at_stop(vehicle, kind, row):
            yield from self.riders.leave_without(vehicle, node, row)
            return
        if kind > 0:
            vehicle.load += pax
            vehicle.pickups += 1
            r["pickup_s"][row] = env.now
            r["pickup_departure_s"][row] = env.now + dwell
            vehicle.onboard.add(row)
            # the ride limit runs from this departure: a pickup earlier than
            # planned (plans changed, legs ran fast) must not lend the rider's
            # drop-off deadline the difference
            s = self.sched
            drop = np.flatnonzero(s.stop_request[v, : s.n_stops[v]] == rid)
            if drop.size:
                limit = env.now + dwell + float(r["max_ride_s"][row])
                s.latest_s[v, drop[0]] = min(float(s.latest_s[v, drop[0]]), limit)
            if len(vehicle.onboard) > 1:
                r["shared"][list(vehicle.onboard)] = True
            self._log(v, "pickup", node, rid, vehicle.load)
        else:
            vehicle.load -= pax
            vehicle.dropoffs += 1
            r["dropoff_s"][row] = env.now
            r["status"][row] = "served"
            vehicle.onboard.discard(row)
            self._log(v, "dropoff", node, rid, vehicle.load)
        s = self.sched
        self.start_node[v] = node
        s.start_time_s[v] = env.now + dwell
        s.start_load[v] = vehicle.load
        yield env.timeout(dwell)
