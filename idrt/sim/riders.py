"""Rider processes: answer offers, ask again, cancel while waiting, fail to show.

Attached to an :class:`~idrt.sim.engine.Engine` by :func:`attach_riders` when
``[behaviour] enabled = true``; otherwise nothing here runs and the engine
behaves exactly as without it. The engine calls four hooks:

- :meth:`Riders.offer` when dispatch found an insertion: the rider answers
  the quote (:func:`idrt.sim.behaviour.accept_probability`); a ``declined``
  request may be asked again;
- :meth:`Riders.refused` when a request was rejected (no feasible insertion):
  the rider may ask again;
- :meth:`Riders.accepted` after an offer is taken: a no-show is drawn, or a
  SimPy process that cancels the booking at a time drawn from the waiting
  hazard (:func:`idrt.sim.behaviour.cancel_time`) unless the bus came first;
- :meth:`Riders.at_stop` when a vehicle starts serving a stop: at the pickup
  of a rider who does not show, the bus waits ``no_show_wait_s`` and leaves.

Every attempt is its own request (a new row, a new ``request_id``); the rider
keeps the ``rider_id`` of the first attempt and ``attempt`` counts from 1.
Random draws come from one generator per run, ``default_rng([seed, 7])``, in
event order, so a seed gives the same day bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from idrt.dispatch import STOP_FIELDS
from idrt.sim.behaviour import accept_probability, cancel_time
from idrt.sim.engine import DRIVING, TripArrays

__all__ = ["Riders", "attach_riders", "remove_request_stops"]

BEHAVIOUR_STREAM = 7
"""Second entry of the behaviour generator's seed, ``default_rng([seed, 7])``."""

CANCEL_HORIZON_S = 6 * 3600.0
"""A cancellation drawn later than this after the quoted pickup is not scheduled (the
rider has long been picked up or cancelled for another reason), s."""

STATUSES = ["served", "rejected", "declined", "cancelled", "no_show", "pending"]
"""Every status a request can end in with rider behaviour on."""


def remove_request_stops(engine, v: int, request_id: int) -> tuple[bool, float]:
    """Take a request's remaining stops out of vehicle ``v``'s plan.

    Legs after a removed stop are re-timed with the oracle of now; when the
    vehicle's next stop goes, its start point is brought to now first and a
    driving (diverting) or waiting vehicle is interrupted to re-read its plan.

    Returns
    -------
    was_next : bool
        Whether a removed stop was the vehicle's next one.
    leg_km : float
        Kilometres of the current leg driven (or, without diversion, to be
        driven) towards it, not yet in the vehicle's ``km``; 0 unless driving.
    """
    s = engine.sched
    n = int(s.n_stops[v])
    gone = [k for k in range(n) if int(s.stop_request[v, k]) == request_id]
    if not gone:
        return False, 0.0
    vehicle = engine.vehicles[v]
    first = gone[0] == 0
    wasted_km = 0.0
    if first:
        engine._refresh_start_points(np.array([v], dtype=np.int64))
        if vehicle.state == DRIVING and vehicle.leg_from != vehicle.leg_target:
            _, _, cum_m = engine._leg_path(vehicle)
            k = vehicle.divert_index if engine.rules.diversion else len(cum_m) - 1
            wasted_km = float(cum_m[max(k, 0)]) / 1000.0
    keep = [k for k in range(n) if k not in gone]
    for name in STOP_FIELDS:
        arr = getattr(s, name)
        arr[v, : len(keep)] = arr[v, keep]
    s.n_stops[v] = len(keep)
    orc = engine.oracle.at(engine.env.now)
    for new_k, old_k in enumerate(keep):
        if old_k == 0 or (old_k - 1) not in gone:
            continue
        prev = int(engine.start_node[v]) if new_k == 0 else int(s.stop_node[v, new_k - 1])
        s.leg_s[v, new_k] = orc.time(prev, int(s.stop_node[v, new_k]))
    if first:  # one pending interrupt at most (see Engine._replan)
        engine._replan(vehicle, True)
    return first, wasted_km


class Riders:
    """The rider model of one run (see the module notes).

    Parameters
    ----------
    engine : Engine
    cfg : BehaviourConfig
    seed : int
        The run's seed.
    """

    def __init__(self, engine, cfg, seed: int) -> None:
        self.engine = engine
        self.cfg = cfg
        self.rng = np.random.default_rng([int(seed), BEHAVIOUR_STREAM])
        n = len(engine.trips.request_id)
        self.rider_id = engine.trips.request_id.astype(np.int64).copy()
        self.attempt = np.ones(n, np.int64)
        self.source_row = np.arange(n, dtype=np.int64)  # first-attempt row of each row
        self.no_show = np.zeros(n, bool)
        self.next_id = int(engine.trips.request_id.max()) + 1 if n else 0
        n_veh = len(engine.vehicles)
        self.km_at_stop = np.zeros(n_veh)
        self.no_show_wait_s = np.zeros(n_veh)
        self.no_show_km = np.zeros(n_veh)
        self.cancel_km = np.zeros(n_veh)

    def attach(self) -> Riders:
        """Register with the engine (its hooks call this object)."""
        self.engine.riders = self
        return self

    # ------------------------------------------------------------ hooks
    def offer(self, row: int, found, request) -> bool:
        """The rider's answer to the quote of ``found``; False marks the request declined."""
        e = self.engine
        wait = found.pickup_time_s - float(e.trips.request_time_s[row])
        ride = found.dropoff_time_s - found.pickup_time_s
        p = accept_probability(wait, ride, self.cfg)
        if p >= 1.0 or (p > 0.0 and self.rng.random() < p):
            return True
        r = e.req
        r["status"][row] = "declined"
        r["planned_pickup_s"][row] = found.pickup_time_s
        r["planned_dropoff_s"][row] = found.dropoff_time_s
        e._log(-1, "decline", request.pickup_node, int(request.request_id), 0)
        self._maybe_retry(row)
        return False

    def refused(self, row: int, reason: str) -> None:
        """A rejected request: the rider may ask again (not when no stop can serve it)."""
        if reason == "no_feasible_insertion" or reason == "no_vehicle_on_duty":
            self._maybe_retry(row)

    def accepted(self, row: int) -> None:
        """Draw a no-show, or start the rider's cancellation clock."""
        e = self.engine
        cfg = self.cfg
        if cfg.no_show_probability > 0 and self.rng.random() < cfg.no_show_probability:
            self.no_show[row] = True
            return
        quoted = float(e.req["planned_pickup_s"][row])
        at = cancel_time(self.rng, e.env.now, quoted, cfg)
        if at < float(e.req["planned_pickup_s"][row]) + CANCEL_HORIZON_S:
            e.env.process(self._cancel_clock(row, at))

    def at_stop(self, vehicle, kind: int, row: int) -> bool:
        """Called as a vehicle starts a stop; True: the rider is missing (no-show)."""
        v = vehicle.index
        if kind > 0 and self.no_show[row]:
            return True
        self.km_at_stop[v] = vehicle.km
        return False

    def leave_without(self, vehicle, node: int, row: int):
        """The bus waits ``no_show_wait_s`` at a missing rider's pickup, then leaves."""
        e = self.engine
        v = vehicle.index
        rid = int(e.trips.request_id[row])
        wait = self.cfg.no_show_wait_s
        e.req["status"][row] = "no_show"
        self.no_show_wait_s[v] += wait
        self.no_show_km[v] += vehicle.km - self.km_at_stop[v]
        self.km_at_stop[v] = vehicle.km
        e.start_node[v] = node
        e.sched.start_time_s[v] = e.env.now + wait
        e.sched.start_load[v] = vehicle.load
        remove_request_stops(e, v, rid)  # the drop-off
        e._log(v, "no_show", node, rid, vehicle.load)
        yield e.env.timeout(wait)

    # --------------------------------------------------------- processes
    def _cancel_clock(self, row: int, at: float):
        e = self.engine
        yield e.env.timeout(max(0.0, at - e.env.now))
        r = e.req
        if r["status"][row] != "accepted" or not math.isnan(r["pickup_s"][row]):
            return
        v = int(r["vehicle"][row])
        rid = int(e.trips.request_id[row])
        r["status"][row] = "cancelled"
        was_next, leg_km = remove_request_stops(e, v, rid)
        if was_next:  # the approach since the previous stop was for nothing
            vehicle = e.vehicles[v]
            self.cancel_km[v] += vehicle.km - self.km_at_stop[v] + leg_km
            self.km_at_stop[v] = vehicle.km + leg_km
        e._log(-1, "cancel", int(r["pickup_node"][row]), rid, 0)

    def _maybe_retry(self, row: int) -> None:
        cfg = self.cfg
        if self.attempt[row] >= cfg.max_attempts or cfg.retry_probability <= 0:
            return
        if self.rng.random() >= cfg.retry_probability:
            return
        delay = float(self.rng.exponential(cfg.retry_delay_mean_s))
        e = self.engine
        if e.env.now + delay >= e.rules.end_s:
            return  # the service stops taking requests before the rider would ask
        e.env.process(self._retry(row, delay))

    def _retry(self, row: int, delay: float):
        e = self.engine
        yield e.env.timeout(delay)
        new = self._add_attempt(row)
        e._dispatch(new)

    def _add_attempt(self, row: int) -> int:
        """Append a request row: the same rider and trip, booked now."""
        e = self.engine
        t = e.trips
        now = e.env.now
        rid = self.next_id
        self.next_id += 1
        e.trips = TripArrays(
            request_id=np.append(t.request_id, rid),
            booking_time_s=np.append(t.booking_time_s, now),
            # a pre-booked rider asks again for the same pickup time while it is ahead
            request_time_s=np.append(t.request_time_s, max(now, float(t.request_time_s[row]))),
            pax=np.append(t.pax, t.pax[row]),
            pickup_options=[*t.pickup_options, t.pickup_options[row]],
            dropoff_options=[*t.dropoff_options, t.dropoff_options[row]],
        )
        for key, arr in e.req.items():
            if arr.dtype == object:
                fill = "pending" if key == "status" else ""
            elif arr.dtype == bool:
                fill = False
            elif np.issubdtype(arr.dtype, np.integer):
                fill = -1
            else:
                fill = np.nan
            e.req[key] = np.append(arr, np.array([fill], dtype=arr.dtype))
        new = len(e.trips.request_id) - 1
        e._row_of[rid] = new
        self.rider_id = np.append(self.rider_id, self.rider_id[row])
        self.attempt = np.append(self.attempt, self.attempt[row] + 1)
        self.source_row = np.append(self.source_row, self.source_row[row])
        self.no_show = np.append(self.no_show, False)
        return new

    # ------------------------------------------------------------ tables
    def request_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The run's trip frame with the repeated requests appended (engine row order)."""
        n0 = len(frame)
        t = self.engine.trips
        extra = frame.iloc[self.source_row[n0:]].copy()
        extra["request_id"] = t.request_id[n0:]
        extra["booking_time_s"] = t.booking_time_s[n0:]
        extra["request_time_s"] = t.request_time_s[n0:]
        if "prebooked" in extra.columns:
            extra["prebooked"] = extra["request_time_s"] > extra["booking_time_s"]
        out = pd.concat([frame, extra], ignore_index=True)
        return out

    def vehicle_columns(self) -> dict[str, np.ndarray]:
        """Per-vehicle time and km lost to no-shows and cancellations."""
        return {
            "no_show_wait_h": self.no_show_wait_s / 3600.0,
            "no_show_km": self.no_show_km,
            "cancel_km": self.cancel_km,
        }


def attach_riders(engine, scenario, seed: int) -> Riders | None:
    """Attach the rider model when ``[behaviour] enabled``; None otherwise."""
    if not scenario.behaviour.enabled:
        return None
    return Riders(engine, scenario.behaviour, seed).attach()
