"""Vehicle shifts: on-duty windows, breaks, and the return to the depot.

``fleet.shifts`` (:class:`idrt.scenario.ShiftConfig` entries) give each
vehicle its on-duty windows: a shift minus its breaks; ``expansion.shifts``
give those of an expansion's extra vehicles (indices counted from the first
extra vehicle, so they hold for any ``expansion.fleet_size``). Attached to an
:class:`~idrt.sim.engine.Engine` by :func:`attach_shifts`:

- only vehicles on duty at the request time are dispatch candidates;
- a vehicle takes no new rider unless its whole plan, with the rider, ends
  (last stop served) by the end of its current on-duty window; the check runs
  in Python around the insertion kernel: the cheapest vehicle that breaks it
  is masked out and the search repeated;
- at the end of a window a vehicle finishes its riders, then drives back to
  its depot (counted in ``km``, ``empty_km`` and ``rebalancing_km``) and waits
  there, off duty, until its next window.

Vehicle-hours are the scheduled on-duty hours (``on_duty_h`` in the vehicle
table); the drive home after a window and riders finished late are not in
them. Without ``fleet.shifts`` nothing here runs.
"""

from __future__ import annotations

import math

import numpy as np

from idrt.dispatch import InsertionTimes, best_insertion_among, insert, schedule_times
from idrt.sim.engine import IDLE

__all__ = ["ShiftPlan", "Shifts", "attach_shifts", "duty_windows"]


def duty_windows(scenario, n_vehicles: int) -> list[list[tuple[float, float]]]:
    """On-duty windows of every vehicle, s after midnight, sorted.

    Parameters
    ----------
    scenario : Scenario
    n_vehicles : int
        Vehicles of the run (fleet plus expansion).

    Returns
    -------
    list of list of (start_s, end_s)
        One list per vehicle; a shift's breaks split it into several windows.
        Empty for a vehicle named in no shift.
    """
    out: list[list[tuple[float, float]]] = [[] for _ in range(n_vehicles)]
    for shift in scenario.fleet.shifts:
        spans = _spans(shift)
        for v in shift.vehicles or range(n_vehicles):
            out[v].extend(spans)
    n_base = scenario.fleet.size
    for shift in scenario.expansion.shifts:  # indices count from the first extra vehicle
        for v in shift.vehicles or range(n_vehicles - n_base):
            if n_base + v < n_vehicles:  # no extra vehicles without an expansion area
                out[n_base + v].extend(_spans(shift))
    for spans in out:
        spans.sort()
    return out


def _spans(shift) -> list[tuple[float, float]]:
    """On-duty windows of one shift entry (the shift cut by its breaks), s."""
    cuts = [shift.start_h]
    for b0, b1 in sorted(shift.breaks):
        cuts += [b0, b1]
    cuts.append(shift.end_h)
    return [(cuts[i] * 3600.0, cuts[i + 1] * 3600.0) for i in range(0, len(cuts), 2)]


class ShiftPlan:
    """On-duty windows as arrays, for quick look-ups.

    Parameters
    ----------
    windows : list of list of (start_s, end_s)
        From :func:`duty_windows`.
    """

    def __init__(self, windows: list[list[tuple[float, float]]]) -> None:
        self.windows = windows

    def window(self, v: int, t: float) -> tuple[float, float]:
        """Vehicle ``v``'s window ``(start_s, end_s)`` that holds ``t``; NaNs when off duty."""
        for a, b in self.windows[v]:
            if a <= t < b:
                return a, b
        return float("nan"), float("nan")

    def window_end(self, v: int, t: float) -> float:
        """End of vehicle ``v``'s window that holds ``t``, s; NaN when off duty."""
        for a, b in self.windows[v]:
            if a <= t < b:
                return b
        return float("nan")

    def on_duty_h(self) -> np.ndarray:
        """Scheduled on-duty hours per vehicle."""
        return np.array([sum(b - a for a, b in spans) / 3600.0 for spans in self.windows])


class Shifts:
    """The shift manager of one run (see the module notes).

    Parameters
    ----------
    engine : Engine
    plan : ShiftPlan
    depots : ndarray of int64
        Depot node of each vehicle (internal indices).
    """

    def __init__(self, engine, plan: ShiftPlan, depots: np.ndarray) -> None:
        self.engine = engine
        self.plan = plan
        self.depots = np.asarray(depots, dtype=np.int64)
        self.masked = 0  # insertions refused because the plan would end after the window

    def attach(self) -> Shifts:
        """Register the hooks and the end-of-window process with the engine."""
        e = self.engine
        e.shifts = self
        e.find_insertion = self.find_insertion
        e.helpers.append(self)
        return self

    # ------------------------------------------------------------ hooks
    def on_duty(self, candidates: np.ndarray, now: float) -> np.ndarray:
        """The candidates that are on duty at ``now``."""
        keep = [v for v in candidates.tolist() if not math.isnan(self.plan.window_end(v, now))]
        return np.asarray(keep, dtype=np.int64)

    def find_insertion(self, schedules, candidates, request, times, weights, limits=None):
        """:func:`~idrt.dispatch.best_insertion_among`, keeping every plan inside its window.

        ``times`` has one row per candidate vehicle (ascending ids), as the
        engine builds it; a vehicle whose plan would end after its window is
        dropped and the search repeated on the others. ``limits`` (route
        duration, return to depot) go to the kernel as they are.
        """
        now = self.engine.env.now
        cand, t = candidates, times
        while True:
            found = best_insertion_among(schedules, cand, request, t, weights, limits=limits)
            if found is None:
                return None
            v = found.vehicle
            end = self.plan.window_end(v, now)
            if found.dropoff_time_s <= end:
                q = int(np.searchsorted(cand, v))
                trial = insert(schedules, found, request, _fleet_times(schedules, t, q, v))
                n = int(trial.n_stops[v])
                last = float(schedule_times(trial).service_s[v, n - 1])
                if last <= end:
                    return found
            self.masked += 1
            keep = cand != v
            cand = cand[keep]
            home = None if t.dropoff_to_depot_s is None else t.dropoff_to_depot_s[keep]
            t = InsertionTimes(
                t.to_pickup_s[keep], t.from_pickup_s[keep], t.to_dropoff_s[keep],
                t.from_dropoff_s[keep], t.pickup_to_dropoff_s, home,
            )  # fmt: skip

    def send_home(self, vehicle) -> bool:
        """Called when a vehicle runs out of stops: off duty and away, drive to the depot."""
        v = vehicle.index
        now = self.engine.env.now
        depot = int(self.depots[v])
        if vehicle.node == depot or vehicle.rebalance_to >= 0:
            return False
        if not math.isnan(self.plan.window_end(v, now)):
            return False  # on duty
        vehicle.rebalance_to = depot
        return True

    # --------------------------------------------------------- process
    def process(self):
        """At every window end, send idle vehicles home (busy ones go when done)."""
        env = self.engine.env
        ends = sorted((b, v) for v, spans in enumerate(self.plan.windows) for _, b in spans)
        for t, v in ends:
            if t > env.now:
                yield env.timeout(t - env.now)
            vehicle = self.engine.vehicles[v]
            if vehicle.state == IDLE and self.engine.sched.n_stops[v] == 0:
                if self.send_home(vehicle) and vehicle.wake is not None:
                    if not vehicle.wake.triggered:
                        vehicle.wake.succeed()


def attach_shifts(engine, scenario, depots: np.ndarray) -> Shifts | None:
    """Attach the shift manager when ``fleet.shifts`` is set; None otherwise."""
    if not scenario.fleet.shifts:
        return None
    plan = ShiftPlan(duty_windows(scenario, len(engine.vehicles)))
    return Shifts(engine, plan, depots).attach()


def _fleet_times(schedules, times, q: int, v: int):
    """Fleet-wide :class:`InsertionTimes` with row ``q`` of ``times`` as vehicle ``v``'s."""
    n_veh, width = schedules.n_vehicles, times.to_pickup_s.shape[1]

    def spread(rows: np.ndarray) -> np.ndarray:
        out = np.full((n_veh, width), np.inf)
        out[v] = rows[q]
        return out

    return InsertionTimes(
        spread(times.to_pickup_s), spread(times.from_pickup_s), spread(times.to_dropoff_s),
        spread(times.from_dropoff_s), times.pickup_to_dropoff_s,
    )  # fmt: skip
