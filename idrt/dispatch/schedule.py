"""A fleet's planned stops as one struct of padded arrays, and how they are timed.

Row ``v`` of every per-stop array holds vehicle ``v``'s stops in visiting order;
entries at and beyond ``n_stops[v]`` are padding and are never read. Timing
semantics (the one definition, shared by dispatch and the simulator)::

    arrival_0   = start_time_s + leg_s[0]
    service_k   = max(arrival_k, earliest_s[k])       # waits if early
    departure_k = service_k + dwell_s[k]
    arrival_k+1 = departure_k + leg_s[k+1]

A schedule is feasible iff every time is finite, ``service_k <= latest_s[k]`` for
every stop, and the load stays within ``[0, capacity]`` at the start and after
every stop.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from idrt.dispatch import _kernels
from idrt.errors import IdrtError

__all__ = [
    "STOP_FIELDS",
    "DispatchError",
    "ScheduleTimes",
    "Schedules",
    "empty_schedules",
    "feasible_vehicles",
    "schedule_times",
    "validate_schedules",
]


class DispatchError(IdrtError, ValueError):
    """Dispatch input (schedules, requests, travel times) is malformed."""


class Schedules(NamedTuple):
    """Planned stops of a fleet, padded to ``s_max`` stops per vehicle.

    Attributes
    ----------
    start_time_s : ndarray of float64, shape (n_veh,)
        Time the vehicle is (or will be) at its next divert point, s.
    start_load : ndarray of int64, shape (n_veh,)
        Passengers on board at that moment.
    capacity : ndarray of int64, shape (n_veh,)
        Seats.
    n_stops : ndarray of int64, shape (n_veh,)
        Stops used in each row, ``0 <= n_stops <= s_max``.
    stop_node : ndarray of int64, shape (n_veh, s_max)
        Network node of the stop (opaque to dispatch).
    stop_kind : ndarray of int64, shape (n_veh, s_max)
        +1 pickup, -1 drop-off.
    stop_request : ndarray of int64, shape (n_veh, s_max)
        Request id.
    stop_pax : ndarray of int64, shape (n_veh, s_max)
        Group size, passengers.
    earliest_s : ndarray of float64, shape (n_veh, s_max)
        Service cannot start before this, s.
    latest_s : ndarray of float64, shape (n_veh, s_max)
        Service must start by this, s (``inf`` for none).
    leg_s : ndarray of float64, shape (n_veh, s_max)
        Drive time from the previous point (the start point for stop 0), s.
    dwell_s : ndarray of float64, shape (n_veh, s_max)
        Service duration at the stop, s.
    """

    start_time_s: np.ndarray
    start_load: np.ndarray
    capacity: np.ndarray
    n_stops: np.ndarray
    stop_node: np.ndarray
    stop_kind: np.ndarray
    stop_request: np.ndarray
    stop_pax: np.ndarray
    earliest_s: np.ndarray
    latest_s: np.ndarray
    leg_s: np.ndarray
    dwell_s: np.ndarray

    @property
    def n_vehicles(self) -> int:
        """Number of vehicles."""
        return len(self.start_time_s)

    @property
    def max_stops(self) -> int:
        """Padded stop slots per vehicle, ``s_max``."""
        return self.leg_s.shape[1]


_PER_VEHICLE = {
    "start_time_s": np.float64,
    "start_load": np.int64,
    "capacity": np.int64,
    "n_stops": np.int64,
}
_PER_STOP = {
    "stop_node": np.int64,
    "stop_kind": np.int64,
    "stop_request": np.int64,
    "stop_pax": np.int64,
    "earliest_s": np.float64,
    "latest_s": np.float64,
    "leg_s": np.float64,
    "dwell_s": np.float64,
}
STOP_FIELDS: tuple[str, ...] = tuple(_PER_STOP)
"""Names of the per-stop arrays of :class:`Schedules`, in field order."""
_PAD = {
    "stop_node": -1,
    "stop_kind": 0,
    "stop_request": -1,
    "stop_pax": 0,
    "earliest_s": -np.inf,
    "latest_s": np.inf,
    "leg_s": 0.0,
    "dwell_s": 0.0,
}


class ScheduleTimes(NamedTuple):
    """Timed schedules; every array has shape (n_veh, s_max), padded beyond ``n_stops``.

    Attributes
    ----------
    arrival_s, service_s, departure_s : ndarray of float64
        Arrival, service start and departure at each stop, s (NaN padding).
    load_after : ndarray of int64
        Passengers on board after each stop (-1 padding).
    """

    arrival_s: np.ndarray
    service_s: np.ndarray
    departure_s: np.ndarray
    load_after: np.ndarray


def empty_schedules(capacity, start_time_s, *, start_load=None, max_stops: int = 8) -> Schedules:
    """Schedules of a fleet with no stops planned yet.

    Parameters
    ----------
    capacity : array_like of int, shape (n_veh,)
        Seats per vehicle.
    start_time_s : float or array_like of float
        Time each vehicle is at its start point, s.
    start_load : array_like of int, optional
        Passengers on board; 0 when omitted.
    max_stops : int, default 8
        Padded stop slots per vehicle (rows grow on insertion when needed).

    Returns
    -------
    Schedules

    Examples
    --------
    >>> s = empty_schedules([6, 6, 6], 0.0)
    >>> s.n_vehicles, s.max_stops, int(s.n_stops.sum())
    (3, 8, 0)
    """
    cap = np.array(capacity, dtype=np.int64, ndmin=1)
    n_veh = len(cap)
    if max_stops < 0:
        msg = f"max_stops must be >= 0, got {max_stops}"
        raise DispatchError(msg)
    fields = {
        "start_time_s": np.broadcast_to(np.asarray(start_time_s, np.float64), (n_veh,)).copy(),
        "start_load": (
            np.zeros(n_veh, np.int64)
            if start_load is None
            else np.broadcast_to(np.asarray(start_load, np.int64), (n_veh,)).copy()
        ),
        "capacity": cap,
        "n_stops": np.zeros(n_veh, np.int64),
    }
    for name, dtype in _PER_STOP.items():
        fields[name] = np.full((n_veh, max_stops), _PAD[name], dtype=dtype)
    return validate_schedules(Schedules(**fields))


def validate_schedules(schedules: Schedules) -> Schedules:
    """Check shapes and ``n_stops``, and convert to the kernels' dtypes.

    Only the structure is checked (O(n_veh)); that stop contents are consistent
    is the caller's contract (see :func:`feasible_vehicles`).

    Parameters
    ----------
    schedules : Schedules

    Returns
    -------
    Schedules
        The same arrays where they already had the right dtype and layout.

    Raises
    ------
    DispatchError
        On a wrong shape or an ``n_stops`` outside ``[0, s_max]``.
    """
    if not isinstance(schedules, Schedules):
        msg = f"schedules must be a Schedules, got {type(schedules).__name__}"
        raise DispatchError(msg)
    fields = {}
    n_veh = np.shape(schedules.start_time_s)[0] if np.ndim(schedules.start_time_s) == 1 else -1
    for name, dtype in _PER_VEHICLE.items():
        arr = np.ascontiguousarray(getattr(schedules, name), dtype=dtype)
        if arr.ndim != 1 or arr.shape[0] != n_veh:
            msg = (
                f"Schedules.{name} must have shape (n_veh,) = ({n_veh},) like "
                f"start_time_s, got {arr.shape}"
            )
            raise DispatchError(msg)
        fields[name] = arr
    s_max = np.shape(schedules.leg_s)[1] if np.ndim(schedules.leg_s) == 2 else -1
    for name, dtype in _PER_STOP.items():
        arr = np.ascontiguousarray(getattr(schedules, name), dtype=dtype)
        if arr.shape != (n_veh, s_max):
            msg = (
                f"Schedules.{name} must have shape (n_veh, s_max) = ({n_veh}, {s_max}) "
                f"like leg_s, got {arr.shape}"
            )
            raise DispatchError(msg)
        fields[name] = arr
    n_stops = fields["n_stops"]
    if n_veh and (n_stops.min() < 0 or n_stops.max() > s_max):
        bad = int(np.flatnonzero((n_stops < 0) | (n_stops > s_max))[0])
        msg = (
            f"Schedules.n_stops[{bad}] = {int(n_stops[bad])} is outside [0, s_max={s_max}]; "
            "widen the stop arrays or fix the count"
        )
        raise DispatchError(msg)
    return Schedules(**fields)


def schedule_times(schedules: Schedules) -> ScheduleTimes:
    """Arrival, service start, departure and load at every planned stop.

    Parameters
    ----------
    schedules : Schedules

    Returns
    -------
    ScheduleTimes
        Times in s, loads in passengers, padded with NaN / -1 beyond ``n_stops``.

    Examples
    --------
    A vehicle at t = 100 s drives 60 s to a pickup that opens at 200 s:

    >>> s = empty_schedules([4], 100.0, max_stops=1)
    >>> s.n_stops[0], s.stop_kind[0, 0], s.stop_pax[0, 0] = 1, 1, 2
    >>> s.leg_s[0, 0], s.earliest_s[0, 0], s.dwell_s[0, 0] = 60.0, 200.0, 30.0
    >>> t = schedule_times(s)
    >>> float(t.arrival_s[0, 0]), float(t.service_s[0, 0]), float(t.departure_s[0, 0])
    (160.0, 200.0, 230.0)
    >>> int(t.load_after[0, 0])
    2
    """
    s = validate_schedules(schedules)
    return ScheduleTimes(
        *_kernels.schedule_times(
            s.start_time_s,
            s.start_load,
            s.n_stops,
            s.stop_kind,
            s.stop_pax,
            s.earliest_s,
            s.leg_s,
            s.dwell_s,
        )
    )


def feasible_vehicles(schedules: Schedules, times: ScheduleTimes | None = None) -> np.ndarray:
    """Whether each vehicle's schedule meets every ``latest_s`` and its capacity.

    Parameters
    ----------
    schedules : Schedules
    times : ScheduleTimes, optional
        Result of :func:`schedule_times`, computed when omitted.

    Returns
    -------
    ndarray of bool, shape (n_veh,)
    """
    s = validate_schedules(schedules)
    t = schedule_times(s) if times is None else times
    return _kernels.feasible_vehicles(
        s.start_time_s,
        s.start_load,
        s.capacity,
        s.n_stops,
        s.latest_s,
        np.asarray(t.service_s, np.float64),
        np.asarray(t.load_after, np.int64),
    )
