"""Batch dispatch in the simulator: collect requests, assign them jointly.

A :class:`BatchDispatcher` attached to an :class:`~idrt.sim.engine.Engine`
takes over the requests: each is queued at booking, and every
``interval_s`` a SimPy process solves the queue with
:func:`idrt.dispatch.solve_batch` against the fleet's plans as they are at
that moment (start points brought to now, travel times of the planning
oracle ``oracle.at(now)``). Requests left unassigned wait for the next batch
while they can still be picked up in their window; then they are rejected
(``no_feasible_insertion``).

With ``reoptimise`` every accepted rider not yet picked up may move to
another vehicle at each batch, keeping the promised latest pickup and the
ride limit given at acceptance. The first stop of every vehicle is locked:
its vehicle is driving to it, waiting at it or about to, so it never moves.
Re-optimisation also works with immediate dispatch (the engine inserts each
request at once, the batch process only re-optimises). A batch with no new
request is skipped when no plan changed since the last one (no pickup, drop-off
or insertion happened): re-optimisation is event-driven, not a clock poll.
"""

from __future__ import annotations

import math
import weakref
from functools import partial

import numpy as np

from idrt.dispatch import BatchRequest, InsertionRequest, schedule_times, solve_batch
from idrt.dispatch.batch import sorted_unique
from idrt.sim._kernels import rider_stops
from idrt.sim.engine import IDLE

__all__ = ["BatchDispatcher", "oracle_pairs"]


ROW_CACHE_BYTES = 256 * 2**20
"""Memory for single-source search rows kept per planning oracle (cleared when full)."""

_ROWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Rows:
    """Drive times from source nodes to every node, one search each, kept as a table."""

    def __init__(self, orc) -> None:
        self.orc = orc
        n = int(orc.n_nodes)
        self.cap = int(max(16, min(n, ROW_CACHE_BYTES // (8 * n))))
        self.table = np.empty((self.cap, n))
        self.row_of = np.full(n, -1, dtype=np.int64)
        self.used = 0

    def times(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sources = np.unique(a)
        missing = sources[self.row_of[sources] < 0]
        if self.used + missing.size > self.cap:  # full: start again
            self.row_of[:] = -1
            self.used = 0
            missing = sources
        if missing.size > self.cap:  # more sources than fit: search without keeping
            out = np.empty(a.shape)
            for src in sources.tolist():
                sel = a == src
                out[sel] = self.orc.times_from(src, b[sel])
            return out
        everything = np.arange(self.row_of.size, dtype=np.int64)
        for src in missing.tolist():
            self.table[self.used] = self.orc.times_from(src, everything)
            self.row_of[src] = self.used
            self.used += 1
        return self.table[self.row_of[a], b]


def oracle_pairs(orc):
    """Element-wise drive times ``f(from_nodes, to_nodes)`` from a planning oracle, s.

    All pairs precomputed: a lookup. A stop table: a lookup where both nodes
    are in it. Otherwise one full search per source node, kept (the same
    stops and vehicle positions come back batch after batch; the planning
    oracle of a time slice does not change).
    """
    dist = getattr(orc, "dist", None)
    if dist is not None:  # all pairs precomputed

        def dense(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return dist[a, b]

        dense.table = dist  # (solve_batch reads the table in place)
        return dense
    slot = getattr(orc, "slot", None)

    def pairs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = np.full(a.shape, np.inf)
        todo = np.ones(a.shape, dtype=bool)
        if slot is not None:  # a table between stops and depots
            sa, sb = slot[a], slot[b]
            hit = (sa >= 0) & (sb >= 0)
            out[hit] = orc.table_s[sa[hit], sb[hit]]
            todo = ~hit
        if todo.any():  # one search per source node, kept
            rows = _ROWS.get(orc)
            if rows is None:
                rows = _ROWS[orc] = _Rows(orc)
            out[todo] = rows.times(a[todo], b[todo])
        return out

    return pairs


def _riders(s, rows: np.ndarray):
    """Every planned pickup of vehicles ``rows`` and the stop that follows it for its rider.

    Returns
    -------
    v, k, d, rid : ndarray of int64
        Vehicle, pickup stop, the next stop of the same request id after it
        (its drop-off), request id; by vehicle, then pickup stop.
    """
    rows = np.sort(np.asarray(rows, dtype=np.int64))
    return rider_stops(rows, s.n_stops, s.stop_kind, s.stop_request)


class BatchDispatcher:
    """Queue requests and assign them in batches (and/or re-optimise plans).

    Parameters
    ----------
    engine : Engine
        The run; the dispatcher attaches itself (:meth:`attach`).
    interval_s : float
        Time between batches, s.
    max_trip_size : int
        Most requests one vehicle takes in one batch.
    reoptimise : bool
        Move accepted riders not yet picked up between vehicles when cheaper.
    collect : bool
        Queue new requests (batch mode); False leaves them to the engine's
        immediate dispatch and only re-optimises.
    max_requests_per_vehicle : int
        Candidate requests a vehicle grows trips from (see ``solve_batch``).
    reoptimise_every : int
        Re-optimise at every this many batch ticks (1: every batch); the
        others only assign new requests.
    movable_pairs : bool
        Whether a plan may take two movable riders of other vehicles in one
        batch (see ``solve_batch``).
    """

    def __init__(
        self,
        engine,
        *,
        interval_s: float,
        max_trip_size: int = 1,
        reoptimise: bool = False,
        collect: bool = True,
        max_requests_per_vehicle: int = 16,
        reoptimise_every: int = 1,
        movable_pairs: bool = True,
    ) -> None:
        self.engine = engine
        self.interval_s = float(interval_s)
        self.max_trip_size = int(max_trip_size)
        self.reoptimise = bool(reoptimise)
        self.collect = bool(collect)
        self.max_requests_per_vehicle = int(max_requests_per_vehicle)
        self.reoptimise_every = int(reoptimise_every)
        if self.reoptimise_every < 1:
            msg = f"reoptimise_every must be >= 1, got {reoptimise_every!r}"
            raise ValueError(msg)
        self.movable_pairs = bool(movable_pairs)
        self._tick = 0
        self.queue: list[int] = []
        self.batches = 0
        self.moved = 0
        self.solve_s = 0.0
        self._last: int | None = None
        self._new_plans: tuple | None = None
        t = engine.trips.booking_time_s
        self.last_booking_s = float(t.max()) if len(t) else engine.rules.start_s

    def attach(self) -> BatchDispatcher:
        """Register with the engine: requests come here, the batch process runs."""
        if self.collect:
            self.engine.dispatcher = self
        self.engine.helpers.append(self)
        return self

    # ------------------------------------------------------------- requests
    def submit(self, row: int) -> None:
        """A request is booked: log it and queue it for the next batch."""
        e = self.engine
        t = e.trips
        e._log(-1, "request", -1, int(t.request_id[row]), 0)
        if not t.pickup_options[row] or not t.dropoff_options[row]:
            e._reject(row, "no_stop_within_walk")
            return
        if all(p[0] == d[0] for p in t.pickup_options[row] for d in t.dropoff_options[row]):
            e._reject(row, "same_stop")
            return
        self.queue.append(row)

    def process(self):
        """SimPy process: one batch every ``interval_s`` until nothing is left to do."""
        env = self.engine.env
        while True:
            yield env.timeout(self.interval_s)
            self.solve()
            if env.now >= self.last_booking_s and not self.queue:
                return

    # --------------------------------------------------------------- batches
    def _signature(self) -> int:
        """A hash of every vehicle's planned stops (changes when any plan does)."""
        s = self.engine.sched
        used = np.arange(s.max_stops)[None, :] < s.n_stops[:, None]
        return hash(np.where(used, s.stop_request, -1).tobytes())

    def _options(self, row: int, now: float, orc) -> list[BatchRequest]:
        e = self.engine
        t, rules = e.trips, e.rules
        pax = int(t.pax[row])
        request_s = float(t.request_time_s[row])
        latest = request_s + rules.max_wait_s
        out = []
        for p_node, p_walk_s, _ in t.pickup_options[row]:
            earliest = max(request_s + p_walk_s, now)
            if earliest > latest:
                continue
            for d_node, d_walk_s, _ in t.dropoff_options[row]:
                if p_node == d_node:
                    continue
                direct = orc.time(p_node, d_node)
                if not math.isfinite(direct):
                    continue
                req = InsertionRequest(
                    request_id=int(t.request_id[row]),
                    pickup_node=p_node,
                    dropoff_node=d_node,
                    pax=pax,
                    earliest_pickup_s=earliest,
                    latest_pickup_s=latest,
                    max_ride_s=rules.max_ride_alpha * direct + rules.max_ride_beta_s,
                    dwell_pickup_s=rules.stop_time_s + rules.boarding_s_per_pax * pax,
                    dwell_dropoff_s=rules.stop_time_s + rules.alighting_s_per_pax * pax,
                    direct_s=direct,
                )
                out.append(BatchRequest(req, rules.w_walk * (p_walk_s + d_walk_s)))
        return out

    def _movable(self) -> list[BatchRequest]:
        """Accepted riders not yet picked up, except each vehicle's first stop."""
        e = self.engine
        s = e.sched
        r = e.req
        v, k, d, rid = _riders(s, np.flatnonzero(s.n_stops > 1))
        first = k >= 1
        v, k, d, rid = v[first], k[first], d[first], rid[first]
        rows = [e._row_of[x] for x in rid.tolist()]
        columns = zip(
            rid.tolist(), s.stop_node[v, k].tolist(), s.stop_node[v, d].tolist(),
            s.stop_pax[v, k].tolist(), s.earliest_s[v, k].tolist(), s.latest_s[v, k].tolist(),
            r["max_ride_s"][rows].tolist(), s.dwell_s[v, k].tolist(), s.dwell_s[v, d].tolist(),
            r["direct_s"][rows].tolist(), strict=True,
        )  # fmt: skip
        return [BatchRequest(InsertionRequest(*c)) for c in columns]

    def solve(self) -> None:
        """Assign the queue (and re-optimise) now; apply the new plans."""
        e = self.engine
        now = e.env.now
        orc = e.oracle.at(now)
        rows, self.queue = self.queue, []
        requests: list[BatchRequest] = []
        candidates: dict[int, np.ndarray] = {}
        row_of_id: dict[int, int] = {}
        for row in rows:
            options = self._options(row, now, orc)
            if not options:
                e._reject(row, "no_feasible_insertion")
                continue
            rid = int(e.trips.request_id[row])
            row_of_id[rid] = row
            requests.extend(options)
            candidates[rid] = e._candidates(options[0].request.pickup_node)
        tick, self._tick = self._tick, self._tick + 1
        reopt = self.reoptimise and tick % self.reoptimise_every == 0
        movable = self._movable() if reopt else []
        if not requests and (not movable or self._signature() == self._last):
            return  # nothing new, and the plans are as the last batch left them
        for br in movable:
            candidates[br.request.request_id] = e._candidates(br.request.pickup_node)
        involved = sorted_unique(np.concatenate([*candidates.values(), np.empty(0, np.int64)]))
        mov_rows = [e._row_of[b.request.request_id] for b in movable]
        mov_vehicles = np.asarray(e.req["vehicle"][mov_rows], dtype=np.int64)
        involved = sorted_unique(np.concatenate([involved, mov_vehicles])).astype(np.int64)
        e._refresh_start_points(involved)
        solve = partial(
            solve_batch,
            e.sched,
            requests,
            oracle_pairs(orc),
            e.rules.weights,
            start_node=e.start_node,
            max_trip_size=self.max_trip_size,
            max_requests_per_vehicle=self.max_requests_per_vehicle,
            movable_pairs=self.movable_pairs,
        )
        result = solve(movable=movable, candidates=candidates)
        if movable and self._lengthens_rides(result):
            # a rider kept in a re-optimised plan keeps its absolute drop-off
            # deadline, set from its first pickup time; moving that pickup
            # earlier can stretch its ride past the limit: keep the plans then
            new_only = {b.request.request_id: candidates[b.request.request_id] for b in requests}
            result = solve(candidates=new_only)
        self.batches += 1
        self.solve_s += result.solve_s
        self._apply(result, row_of_id, requests)
        if reopt:  # (only re-optimisation skips batches by it)
            self._last = self._signature()
        # wait for the next batch while the window still allows a pickup after it
        for rid in result.unassigned:
            row = row_of_id[rid]
            latest = float(e.trips.request_time_s[row]) + e.rules.max_wait_s
            if latest >= now + self.interval_s:
                self.queue.append(row)
            else:
                e._reject(row, "no_feasible_insertion")

    def _lengthens_rides(self, result) -> bool:
        """Whether a new plan puts a rider's ride over its limit (or further over)."""
        e = self.engine
        rows = result.changed
        if not rows.size:
            return False
        planned = []
        for sched in (e.sched, result.schedules):
            t = schedule_times(sched)
            v, k, d, rid = _riders(sched, rows)
            ride = t.service_s[v, d] - t.departure_s[v, k]
            planned.append(dict(zip(rid.tolist(), ride.tolist(), strict=True)))
        # the new plans' times and riders, for _tighten_ride_deadlines if they are applied
        self._new_plans = (result.schedules, rows, t, (v, k, d, rid))
        before, after = planned
        max_ride = e.req["max_ride_s"]
        for rid, ride in after.items():
            limit = float(max_ride[e._row_of[rid]]) if rid in e._row_of else math.inf
            if ride > max(limit, before.get(rid, -math.inf)) + 1e-6:
                return True
        return False

    def _tighten_ride_deadlines(self, rows: np.ndarray) -> None:
        """Drop-off deadlines of the new plans from their own pickup times.

        A kept rider's drop-off deadline is absolute, set from an earlier
        pickup time; a plan that picks the rider up earlier must not leave the
        difference to later insertions (never below the plan's own time).
        """
        e = self.engine
        s = e.sched
        known, self._new_plans = self._new_plans, None
        if not rows.size:
            return
        if known is not None and known[0] is s and known[1] is rows:  # (_lengthens_rides')
            t, (v, k, d, rid) = known[2], known[3]
        else:
            t = schedule_times(s)
            v, k, d, rid = _riders(s, rows)
        max_ride = e.req["max_ride_s"][[e._row_of[x] for x in rid.tolist()]]
        limit = t.departure_s[v, k] + np.asarray(max_ride, dtype=np.float64)
        ok = np.isfinite(limit)
        v, d = v[ok], d[ok]
        s.latest_s[v, d] = np.minimum(s.latest_s[v, d], np.maximum(limit[ok], t.service_s[v, d]))

    def _apply(self, result, row_of_id: dict[int, int], requests: list[BatchRequest]) -> None:
        e = self.engine
        if not result.changed.size:
            return
        old = e.sched
        first = {
            v: (int(old.stop_request[v, 0]), int(old.stop_kind[v, 0]))
            if old.n_stops[v]
            else (-1, 0)
            for v in result.changed.tolist()
        }
        e.sched = result.schedules
        self._tighten_ride_deadlines(result.changed)
        options: dict[int, list[BatchRequest]] = {}
        for br in requests:
            options.setdefault(br.request.request_id, []).append(br)
        t = e.trips
        r = e.req
        for rid, a in result.assigned.items():
            row = e._row_of[rid]
            r["vehicle"][row] = a.vehicle
            if rid in row_of_id:  # a new request: the times quoted to the rider
                r["planned_pickup_s"][row] = a.pickup_time_s
                r["planned_dropoff_s"][row] = a.dropoff_time_s
                req = options[rid][a.option].request  # (a moved rider keeps its quote)
                p = next(o for o in t.pickup_options[row] if o[0] == req.pickup_node)
                d = next(o for o in t.dropoff_options[row] if o[0] == req.dropoff_node)
                r["status"][row] = "accepted"
                r["pickup_node"][row] = req.pickup_node
                r["dropoff_node"][row] = req.dropoff_node
                r["walk_pickup_s"][row] = p[1]
                r["walk_dropoff_s"][row] = d[1]
                r["walk_m"][row] = p[2] + d[2]
                r["direct_s"][row] = req.direct_s
                r["promised_pickup_s"][row] = req.latest_pickup_s
                r["max_ride_s"][row] = req.max_ride_s
                e._log(a.vehicle, "accept", req.pickup_node, rid, 0)
        for rid in result.moved:
            self.moved += 1
            row = e._row_of[rid]
            e._log(int(r["vehicle"][row]), "reassign", int(r["pickup_node"][row]), rid, 0)
        s = e.sched
        for v in result.changed.tolist():
            vehicle = e.vehicles[v]
            new_first = (int(s.stop_request[v, 0]), int(s.stop_kind[v, 0])) if s.n_stops[v] else (
                -1, 0)  # fmt: skip
            if vehicle.state != IDLE or s.n_stops[v]:
                e._replan(vehicle, new_first != first[v])
