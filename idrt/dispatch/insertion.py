"""Cheapest insertion of one request into a fleet's schedules.

Thin wrappers: they check shapes and scalars once, convert to the kernels' dtypes
and call :mod:`idrt.dispatch._kernels`, which see only arrays and numbers.

Conventions (also in :mod:`idrt.dispatch._kernels`):

- The pickup goes before existing stop ``pickup_pos`` and the drop-off before
  existing stop ``dropoff_pos`` (``pickup_pos <= dropoff_pos <= n_stops``; equal
  means the drop-off follows the pickup directly).
- Ride time = drop-off service start - pickup departure (pickup service start +
  ``dwell_pickup_s``); it must not exceed ``max_ride_s``. The stored drop-off gets
  ``latest_s = pickup departure + max_ride_s``: an absolute deadline, so a later
  insertion that delays this pickup leaves the rider less ride time, never more.
- Cost = ``w_vehicle`` x added vehicle time (change of the departure from the last
  stop, or from ``start_time_s`` for an empty schedule) + ``w_wait`` x (pickup
  service start - ``earliest_pickup_s``) + ``w_ride`` x ride time + ``w_delay`` x sum of
  the added service-start delays of the existing drop-offs + ``w_drive`` x added
  drive time (legs only: the vehicle-km proxy that waiting cannot hide); all in
  s x weight.
- Dial-a-ride rules (Cordeau 2006): the pickup window ``[earliest_pickup_s,
  latest_pickup_s]``, an optional drop-off window ``[earliest_dropoff_s,
  latest_dropoff_s]``, the ride limit ``max_ride_s``, and per vehicle
  (:class:`VehicleLimits`) a time ``end_by_s`` by which the plan, plus the drive
  back to the depot, must end (route duration, return to depot).
- Ties go to the lowest vehicle index, then pickup position, then drop-off position.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from idrt.dispatch import _kernels
from idrt.dispatch.schedule import _PAD, STOP_FIELDS, DispatchError, Schedules, validate_schedules

__all__ = [
    "PARALLEL_MIN_VEHICLES",
    "ExcessMemo",
    "Insertion",
    "InsertionRequest",
    "InsertionTimes",
    "InsertionWeights",
    "VehicleLimits",
    "best_insertion_among",
    "best_insertion_bounded",
    "find_best_insertion",
    "insert",
    "insert_into",
]


_NONE = np.empty(0)
"""An empty array: "no vehicle limits" / "no drive home" to the kernels (never written)."""

_NO_MEMO = (
    np.empty((0, 0)), np.empty((0, 0), dtype=np.int64), np.empty((0, 0)),
    np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), 0,
)  # fmt: skip
"""No leg excesses kept between searches (:func:`best_insertion_bounded`'s ``memo``)."""

_NO_REACH = (np.empty((0, 0)), np.empty(0, dtype=np.int64), np.inf)
"""No reach bound (:func:`best_insertion_bounded`'s ``reach``)."""


class ExcessMemo:
    """The plans' leg excesses kept between branch-and-bound searches (``metric=False``).

    Per vehicle the excess of its stored legs over the table's times
    (:func:`idrt.dispatch._kernels._leg_excess`, a look-up per leg in a
    large table) with the stop nodes, legs and table it came from; a
    search reuses it only when they are all unchanged
    (:func:`idrt.dispatch._kernels._remembered_excess`). Give each
    ``(table, slot)`` its own token (:meth:`token`).

    Parameters
    ----------
    n_vehicles, width : int
        Rows, and stops kept per row (plans with more stops are not kept).
    """

    def __init__(self, n_vehicles: int, width: int) -> None:
        self.width = int(width)
        self.arrays = (
            np.zeros((n_vehicles, width)), np.full((n_vehicles, width), -1, dtype=np.int64),
            np.zeros((n_vehicles, width)), np.full(n_vehicles, -1, dtype=np.int64),
            np.full(n_vehicles, -1, dtype=np.int64),
        )  # fmt: skip
        self._tokens: dict[tuple[int, int], tuple[int, np.ndarray, np.ndarray]] = {}

    def token(self, table: np.ndarray, slot: np.ndarray) -> int:
        """A token of ``(table, slot)``, the same for the same pair (which it keeps alive)."""
        key = (id(table), id(slot))
        entry = self._tokens.get(key)
        if entry is None:
            entry = (len(self._tokens), table, slot)
            self._tokens[key] = entry
        return entry[0]


PARALLEL_MIN_VEHICLES = 1024
"""Fleets at least this large are searched on all Numba threads by default.

A parallel region hands work to the other threads and waits for them: tens of
microseconds on an idle machine, but 15-50 ms per call measured on the 2-core
development machine when its cores were oversubscribed (0.3-0.6 ms serial for
128 vehicles). Below about a thousand candidates one thread is the safe choice.
"""


class InsertionRequest(NamedTuple):
    """One trip request to insert.

    Attributes
    ----------
    request_id : int
        Id stored in ``Schedules.stop_request``.
    pickup_node, dropoff_node : int
        Network nodes stored in ``Schedules.stop_node``.
    pax : int
        Group size, passengers (>= 1).
    earliest_pickup_s : float
        Request time (or pre-booked window start), s: pickup service not before.
    latest_pickup_s : float
        Promised pickup deadline, s (``earliest_pickup_s`` + max wait).
    max_ride_s : float
        Ride-time limit, s (e.g. ``alpha * direct_s + beta``); ``inf`` for none.
    dwell_pickup_s, dwell_dropoff_s : float
        Boarding and alighting time, s.
    direct_s : float
        Direct drive time P -> D, s; for the caller's bookkeeping (``max_ride_s``),
        the kernels use ``InsertionTimes.pickup_to_dropoff_s``.
    earliest_dropoff_s, latest_dropoff_s : float, default -inf, inf
        Drop-off window, s: the drop-off's service does not start before (the
        vehicle waits, rider on board) nor after it; by default none.
    """

    request_id: int
    pickup_node: int
    dropoff_node: int
    pax: int
    earliest_pickup_s: float
    latest_pickup_s: float
    max_ride_s: float
    dwell_pickup_s: float
    dwell_dropoff_s: float
    direct_s: float
    earliest_dropoff_s: float = -math.inf
    latest_dropoff_s: float = math.inf


class InsertionTimes(NamedTuple):
    """Drive times between the new stops and every vehicle's schedule, s.

    The four arrays have shape (n_veh, s_max + 1); ``inf`` (or NaN) marks a time
    that is unreachable or was not computed, and makes the candidates that need it
    infeasible. Column ``i`` refers to position ``i`` (before existing stop ``i``,
    ``i == n_stops`` meaning appended).

    Attributes
    ----------
    to_pickup_s : ndarray of float64
        From the point before position ``i`` (start point for ``i == 0``, else stop
        ``i - 1``) to the pickup.
    from_pickup_s : ndarray of float64
        From the pickup to existing stop ``i`` (``i < n_stops``).
    to_dropoff_s, from_dropoff_s : ndarray of float64
        The same for the drop-off.
    pickup_to_dropoff_s : float
        From the pickup to the drop-off.
    dropoff_to_depot_s : ndarray of float64, shape (n_veh,), optional
        From the drop-off to each vehicle's depot; needed only with
        :class:`VehicleLimits` whose ``to_depot_s`` is set (zeros when omitted).
    """

    to_pickup_s: np.ndarray
    from_pickup_s: np.ndarray
    to_dropoff_s: np.ndarray
    from_dropoff_s: np.ndarray
    pickup_to_dropoff_s: float
    dropoff_to_depot_s: np.ndarray | None = None


class VehicleLimits(NamedTuple):
    """When each vehicle's plan must end: route duration and return to depot.

    A candidate is feasible only if the departure from the plan's last stop
    plus the drive from that stop to the depot is at most ``end_by_s``. The
    drive from the new drop-off comes from
    :attr:`InsertionTimes.dropoff_to_depot_s`.

    Attributes
    ----------
    end_by_s : ndarray of float64, shape (n_veh,)
        Latest end of the plan (with the drive home), s; ``inf`` for none.
    to_depot_s : ndarray of float64, shape (n_veh,)
        Drive from the plan's current last point (the start point when it has no
        stops) to the depot, s; zeros when the plan need not return.
    """

    end_by_s: np.ndarray
    to_depot_s: np.ndarray


@dataclass(frozen=True)
class InsertionWeights:
    """Weights of the insertion cost, cost per s; all finite and >= 0.

    Attributes
    ----------
    w_vehicle : float, default 1.0
        Per s of added vehicle time (operator cost).
    w_wait : float, default 0.0
        Per s the new rider waits past the request time.
    w_ride : float, default 0.0
        Per s of the new rider's ride time.
    w_delay : float, default 0.0
        Per s of added delay, summed over the existing riders' drop-offs.
    w_drive : float, default 0.0
        Per s of added drive time (legs only, without waits and dwells): the
        proxy for added vehicle-km, which ``w_vehicle`` misses when waiting at
        a later stop hides the extra driving.
    """

    w_vehicle: float = 1.0
    w_wait: float = 0.0
    w_ride: float = 0.0
    w_delay: float = 0.0
    w_drive: float = 0.0

    def __post_init__(self) -> None:
        for name in ("w_vehicle", "w_wait", "w_ride", "w_delay", "w_drive"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                msg = f"InsertionWeights.{name} must be finite and >= 0, got {value!r}"
                raise DispatchError(msg)

    def as_array(self) -> np.ndarray:
        """Return ``[w_vehicle, w_wait, w_ride, w_delay, w_drive]`` as float64."""
        return np.array([self.w_vehicle, self.w_wait, self.w_ride, self.w_delay, self.w_drive])


class Insertion(NamedTuple):
    """The chosen insertion.

    Attributes
    ----------
    vehicle : int
        Vehicle index.
    pickup_pos, dropoff_pos : int
        Positions as in :class:`InsertionTimes`; ``pickup_pos <= dropoff_pos``.
    cost : float
        Weighted cost (see the module notes).
    pickup_time_s, dropoff_time_s : float
        Planned service start of the pickup and drop-off, s.
    """

    vehicle: int
    pickup_pos: int
    dropoff_pos: int
    cost: float
    pickup_time_s: float
    dropoff_time_s: float


def _request_scalars(request: InsertionRequest) -> tuple:
    """Check a request; return ``(pax, earliest, latest, max_ride, dwell_p, dwell_d)``."""
    if not isinstance(request, InsertionRequest):
        msg = f"request must be an InsertionRequest, got {type(request).__name__}"
        raise DispatchError(msg)
    pax = int(request.pax)
    if pax < 1:
        msg = f"InsertionRequest.pax must be >= 1, got {request.pax!r}"
        raise DispatchError(msg)
    earliest = float(request.earliest_pickup_s)
    latest = float(request.latest_pickup_s)
    if not math.isfinite(earliest):
        msg = f"InsertionRequest.earliest_pickup_s must be finite, got {earliest!r}"
        raise DispatchError(msg)
    if not latest >= earliest:
        msg = (
            f"InsertionRequest.latest_pickup_s = {latest!r} must be >= "
            f"earliest_pickup_s = {earliest!r}"
        )
        raise DispatchError(msg)
    max_ride = float(request.max_ride_s)
    if not max_ride >= 0.0:
        msg = f"InsertionRequest.max_ride_s must be >= 0 (inf for none), got {max_ride!r}"
        raise DispatchError(msg)
    dwells = []
    for name in ("dwell_pickup_s", "dwell_dropoff_s"):
        value = float(getattr(request, name))
        if not (math.isfinite(value) and value >= 0.0):
            msg = f"InsertionRequest.{name} must be finite and >= 0, got {value!r}"
            raise DispatchError(msg)
        dwells.append(value)
    return pax, earliest, latest, max_ride, dwells[0], dwells[1]


def _dropoff_window(request: InsertionRequest) -> tuple[float, float]:
    """Check a request's drop-off window; return the kernels' ``(earliest, latest)``.

    The earliest is never before the pickup's (so a request without a window
    gets the pickup's earliest, which never binds).
    """
    e_p = float(request.earliest_pickup_s)
    e_d = float(request.earliest_dropoff_s)
    l_d = float(request.latest_dropoff_s)
    if math.isnan(e_d) or e_d == math.inf or math.isnan(l_d) or not l_d >= e_d:
        msg = (
            f"InsertionRequest drop-off window [{e_d!r}, {l_d!r}] must satisfy "
            "earliest_dropoff_s <= latest_dropoff_s (-inf and inf for none)"
        )
        raise DispatchError(msg)
    return (e_d if e_d > e_p else e_p), l_d


def _kernel_request(request: InsertionRequest, pickup_to_dropoff_s: float) -> tuple:
    """The kernels' request tuple (floats), unchecked."""
    r = request
    e_p = float(r.earliest_pickup_s)
    e_d = float(r.earliest_dropoff_s)
    return (
        float(pickup_to_dropoff_s), float(r.pax), e_p, float(r.latest_pickup_s),
        float(r.max_ride_s), float(r.dwell_pickup_s), float(r.dwell_dropoff_s),
        e_d if e_d > e_p else e_p, float(r.latest_dropoff_s),
    )  # fmt: skip


def _validate_limits(limits: VehicleLimits | None, n_veh: int) -> VehicleLimits | None:
    if limits is None:
        return None
    if not isinstance(limits, VehicleLimits):
        msg = f"limits must be a VehicleLimits, got {type(limits).__name__}"
        raise DispatchError(msg)
    arrays = []
    for name in ("end_by_s", "to_depot_s"):
        arr = np.ascontiguousarray(getattr(limits, name), dtype=np.float64)
        if arr.shape != (n_veh,):
            msg = f"VehicleLimits.{name} must have shape (n_veh,) = ({n_veh},), got {arr.shape}"
            raise DispatchError(msg)
        if np.isnan(arr).any() or (name == "to_depot_s" and (arr < 0).any()):
            msg = f"VehicleLimits.{name} must not be NaN (and drive times >= 0)"
            raise DispatchError(msg)
        arrays.append(arr)
    return VehicleLimits(*arrays)


def _validate_times(times: InsertionTimes, n_veh: int, s_max: int) -> InsertionTimes:
    if not isinstance(times, InsertionTimes):
        msg = f"times must be an InsertionTimes, got {type(times).__name__}"
        raise DispatchError(msg)
    arrays = []
    for name in ("to_pickup_s", "from_pickup_s", "to_dropoff_s", "from_dropoff_s"):
        arr = np.ascontiguousarray(getattr(times, name), dtype=np.float64)
        if arr.shape != (n_veh, s_max + 1):
            msg = (
                f"InsertionTimes.{name} must have shape (n_veh, s_max + 1) = "
                f"({n_veh}, {s_max + 1}), got {arr.shape}"
            )
            raise DispatchError(msg)
        arrays.append(arr)
    p2d = float(times.pickup_to_dropoff_s)
    if not p2d >= 0.0:
        msg = f"InsertionTimes.pickup_to_dropoff_s must be >= 0 (inf if unreachable), got {p2d!r}"
        raise DispatchError(msg)
    home = times.dropoff_to_depot_s
    if home is not None:
        home = np.ascontiguousarray(home, dtype=np.float64)
        if home.shape != (n_veh,) or not (home >= 0.0).all():
            msg = (
                f"InsertionTimes.dropoff_to_depot_s must have shape ({n_veh},) and "
                f"values >= 0 (inf if unreachable), got shape {home.shape}"
            )
            raise DispatchError(msg)
    return InsertionTimes(*arrays, p2d, home)


def find_best_insertion(
    schedules: Schedules,
    request: InsertionRequest,
    times: InsertionTimes,
    weights: InsertionWeights | None = None,
    *,
    vehicle_mask: np.ndarray | None = None,
    parallel: bool | None = None,
    limits: VehicleLimits | None = None,
) -> Insertion | None:
    """Cheapest feasible way to add a request's pickup and drop-off to one vehicle.

    Every vehicle and every pair of positions is tried; a candidate
    is feasible when the whole new schedule is: every stop served by its
    ``latest_s``, the load within capacity, the pickup in its window (waiting
    allowed), the drop-off in its window (if any), the ride time within
    ``max_ride_s`` and, with ``limits``, the plan plus the drive home ended by
    the vehicle's ``end_by_s``.

    Parameters
    ----------
    schedules : Schedules
        The fleet's current plans. A vehicle whose plan is already infeasible
        receives no insertion.
    request : InsertionRequest
    times : InsertionTimes
        Drive times, s, shape (n_veh, s_max + 1).
    weights : InsertionWeights, optional
        Cost weights; by default only added vehicle time counts.
    vehicle_mask : ndarray of bool, shape (n_veh,), optional
        Only vehicles where it is True are considered.
    parallel : bool, optional
        Search the vehicles on all Numba threads. By default only fleets of
        :data:`PARALLEL_MIN_VEHICLES` or more, where that pays for starting the
        threads. Pass False inside process pools. The answer is the same either way.
    limits : VehicleLimits, optional
        When each plan, with the drive home, must end; by default no limit.

    Returns
    -------
    Insertion or None
        None when no vehicle can take the request.

    Raises
    ------
    DispatchError
        On malformed input.
    """
    s = validate_schedules(schedules)
    n_veh, s_max = s.n_vehicles, s.max_stops
    _request_scalars(request)
    _dropoff_window(request)
    t = _validate_times(times, n_veh, s_max)
    lim = _validate_limits(limits, n_veh)
    w = InsertionWeights() if weights is None else weights
    if not isinstance(w, InsertionWeights):
        msg = f"weights must be an InsertionWeights, got {type(w).__name__}"
        raise DispatchError(msg)
    if vehicle_mask is None:
        mask = np.ones(n_veh, dtype=np.bool_)
    else:
        mask = np.ascontiguousarray(vehicle_mask)
        if mask.dtype != np.bool_ or mask.shape != (n_veh,):
            msg = (
                f"vehicle_mask must be a bool array of shape ({n_veh},), "
                f"got {mask.dtype} {mask.shape}"
            )
            raise DispatchError(msg)
    if parallel is None:
        considered = n_veh if vehicle_mask is None else int(np.count_nonzero(mask))
        parallel = considered >= PARALLEL_MIN_VEHICLES
    rows = np.flatnonzero(mask).astype(np.int64)
    scalars = _kernel_request(request, t.pickup_to_dropoff_s)
    return _search(s, rows, rows, scalars, t, w, parallel, lim)


def _search(s, rows, trows, scalars, t, w, parallel, limits) -> Insertion | None:
    """Call the kernel; the chosen insertion or None."""
    kernel = _kernels.best_insertion if parallel else _kernels.best_insertion_serial
    end_by, to_depot = (_NONE, _NONE) if limits is None else limits
    # the Schedules fields of FLEET_FIELDS, by position: this runs per request
    fleet = (*s[:4], s[5], *s[7:], end_by, to_depot)
    home = _NONE if t.dropoff_to_depot_s is None else t.dropoff_to_depot_s
    legs = (t.to_pickup_s, t.from_pickup_s, t.to_dropoff_s, t.from_dropoff_s, home)
    cost, v, _, i, j, t_pick, t_drop = kernel(fleet, legs, scalars, w.as_array(), rows, trows)
    if v < 0:
        return None
    return Insertion(int(v), int(i), int(j), float(cost), float(t_pick), float(t_drop))


def best_insertion_among(
    schedules: Schedules,
    vehicles: np.ndarray,
    request: InsertionRequest,
    times: InsertionTimes,
    weights: InsertionWeights,
    *,
    parallel: bool | None = None,
    limits: VehicleLimits | None = None,
) -> Insertion | None:
    """:func:`find_best_insertion` over some vehicles, with times for those only.

    For a simulator that has just built the inputs: nothing is validated.

    Parameters
    ----------
    schedules : Schedules
    vehicles : ndarray of int64, shape (k,)
        Candidate vehicles in ascending order (ties go to the first).
    request : InsertionRequest
    times : InsertionTimes
        Arrays of shape (k, s_max + 1): row ``q`` belongs to ``vehicles[q]``.
    weights : InsertionWeights
    parallel : bool, optional
        As in :func:`find_best_insertion`.
    limits : VehicleLimits, optional
        Fleet-wide (row ``v`` for vehicle ``v``); ``times.dropoff_to_depot_s``
        then has one entry per candidate.

    Returns
    -------
    Insertion or None
        The same answer :func:`find_best_insertion` gives with fleet-wide
        times and ``vehicle_mask`` set on ``vehicles``.
    """
    k = int(vehicles.shape[0])
    if parallel is None:
        parallel = k >= PARALLEL_MIN_VEHICLES
    scalars = _kernel_request(request, times.pickup_to_dropoff_s)
    trows = np.arange(k, dtype=np.int64)
    return _search(schedules, vehicles, trows, scalars, times, weights, parallel, limits)


def best_insertion_bounded(
    schedules: Schedules,
    vehicles: np.ndarray,
    points: np.ndarray,
    lookup: tuple[np.ndarray, np.ndarray],
    request: InsertionRequest,
    pickup_to_dropoff_s: float,
    weights: InsertionWeights,
    *,
    bounded: bool = True,
    metric: bool = True,
    memo: ExcessMemo | None = None,
    reach: tuple[np.ndarray, np.ndarray, float] | None = None,
) -> tuple[Insertion | None, InsertionTimes | None, int]:
    """:func:`best_insertion_among` with times from a table, by branch and bound over the vehicles.

    A lower bound of each candidate's cost is taken from the pickup's times
    alone (:func:`idrt.dispatch._kernels.insertion_lower_bounds`); the
    candidates are searched in increasing bound order and the search stops
    at the first bound above the best cost found, so the drop-off's times
    are looked up, and the insertion kernel run, only for the candidates
    searched (:func:`idrt.dispatch._kernels.best_insertion_table`). The
    answer is :func:`best_insertion_among`'s with the same table's times
    (lowest cost, ties to the lowest vehicle, then positions), provided the
    table obeys the triangle inequality and, with ``metric``, the plans'
    stored legs and the table are one shortest-path metric (a static
    oracle's); without ``metric`` the legs may come from other times (see
    below). Identical idle vehicles are searched once (the tie goes to the
    lowest index).

    Parameters
    ----------
    schedules : Schedules
    vehicles : ndarray of int64, shape (k,)
        Candidate vehicles in ascending order.
    points : ndarray of int64, shape (k, s_max + 1), or (ndarray, ndarray)
        Per candidate its start node, then its stop nodes; or, read in place
        without a copy, the fleet's ``(start_node, stop_node)``: start node per
        vehicle, shape (n_veh,), and ``schedules.stop_node``.
    lookup : (ndarray, ndarray) or (ndarray, ndarray, ndarray)
        ``(table, slot)``: drive times, s, between the nodes with ``slot >= 0``
        (``table[slot[a], slot[b]]`` from ``a`` to ``b``); optionally a third
        array, ``table``'s transpose as a C-ordered copy (faster lookups of the
        times into a node).
    request : InsertionRequest
    pickup_to_dropoff_s : float
        Drive time pickup -> drop-off, s.
    weights : InsertionWeights
    bounded : bool, default True
        False searches every candidate (the same answer).
    metric : bool, default True
        Whether the plans' stored legs and the table are one metric (the
        triangle inequality holds between them: a static oracle). False (legs
        planned in other hourly slices) bounds with each plan's excess of a
        stored leg over the table's time
        (:func:`idrt.dispatch._kernels._leg_excess`): weaker, valid for any
        stored legs as long as the table obeys the triangle inequality (one
        slice's shortest paths) and ``w_drive`` is 0 (else no bound).
    memo : ExcessMemo, optional
        Without ``metric``: the plans' leg excesses kept from earlier searches
        (updated here); the answer is the same without it.
    reach : (ndarray, ndarray, float), optional
        ``(lower_to, lower_slot, latest_cut)``: the transposed table and slots
        of an oracle whose times never exceed ``lookup``'s nor the plans'
        stored legs (``lookup``'s own for one metric, the least link times
        over the slices otherwise; as
        :meth:`idrt.sim.oracle.SearchOracle.lookup_into` gives them) and the
        latest pickup plus a rounding allowance, s: candidates that cannot
        serve the pickup by then are dropped before any look-up, as
        :func:`idrt.sim._kernels.can_reach` prunes (in the same pass, for
        the candidates that are not idle copies). The answer is the same
        without it.

    Returns
    -------
    insertion : Insertion or None
        None when no candidate can take the request, or when the table
        lacks a time that some candidate needs (then ``searched`` is -1 and
        the caller must search another way).
    times : InsertionTimes or None
        The winner's times, one row (for :func:`insert_into` with
        ``times_row=0``).
    searched : int
        Candidates searched; -1 as above.
    """
    s = schedules
    p2d = float(pickup_to_dropoff_s)
    fleet = (*s[:4], s[5], *s[7:], _NONE, _NONE)
    table, slot = lookup[0], lookup[1]
    table_to = lookup[2] if len(lookup) > 2 else table.T
    if isinstance(points, tuple):  # the fleet's arrays, row per vehicle
        start_node, stop_node = points
        by_vehicle = True
    else:
        start_node = np.ascontiguousarray(points[:, 0])
        stop_node = np.ascontiguousarray(points[:, 1:])
        by_vehicle = False
    kept = _NO_MEMO
    if memo is not None and not metric:
        kept = (*memo.arrays, memo.token(table, slot))
    if reach is None:
        reach = _NO_REACH
    else:
        reach = (reach[0], reach[1], float(reach[2]))
    cost, v, _, i, j, t_pick, t_drop, legs, searched = _kernels.best_insertion_table(
        fleet, start_node, stop_node, by_vehicle, table, table_to, slot,
        int(request.pickup_node), int(request.dropoff_node),
        _kernel_request(request, p2d), weights.as_array(), vehicles, bool(bounded), bool(metric),
        kept, reach,
    )  # fmt: skip
    if v < 0:
        return None, None, int(searched)
    times = InsertionTimes(legs[0:1], legs[1:2], legs[2:3], legs[3:4], p2d)
    found = Insertion(int(v), int(i), int(j), float(cost), float(t_pick), float(t_drop))
    return found, times, int(searched)


def _new_rows(
    s: Schedules,
    v: int,
    i: int,
    j: int,
    request: InsertionRequest,
    times: InsertionTimes,
    t: int | None = None,
) -> tuple:
    """Vehicle ``v``'s stop rows with the request inserted at positions (i, j).

    ``t`` is the vehicle's row of the time arrays (``v`` when omitted).
    """
    t = v if t is None else t
    pax, earliest, latest, max_ride, dwell_p, dwell_d = _request_scalars(request)
    e_drop, l_drop = _dropoff_window(request)
    new_stop = (
        int(request.request_id),
        int(request.pickup_node),
        int(request.dropoff_node),
        pax,
        earliest,
        latest,
        dwell_p,
        dwell_d,
        e_drop,
        l_drop,
    )
    return _kernels.apply_insertion(
        float(s.start_time_s[v]),
        int(s.n_stops[v]),
        *(getattr(s, name)[v] for name in STOP_FIELDS),
        i,
        j,
        new_stop,
        times.to_pickup_s[t],
        times.from_pickup_s[t],
        times.to_dropoff_s[t],
        times.from_dropoff_s[t],
        float(times.pickup_to_dropoff_s),
        max_ride,
    )


def insert(
    schedules: Schedules, insertion: Insertion, request: InsertionRequest, times: InsertionTimes
) -> Schedules:
    """Schedules with the request's two stops inserted into one vehicle.

    Parameters
    ----------
    schedules : Schedules
        Left unchanged.
    insertion : Insertion
        Usually from :func:`find_best_insertion` on the same inputs; only
        ``vehicle``, ``pickup_pos`` and ``dropoff_pos`` are used.
    request : InsertionRequest
    times : InsertionTimes
        The drive times the insertion was chosen with; they become the new legs.

    Returns
    -------
    Schedules
        New arrays; ``s_max`` grows to ``n_stops + 2`` of the vehicle if needed.
        The drop-off's ``latest_s`` is the pickup departure + ``max_ride_s``.

    Raises
    ------
    DispatchError
        On malformed input or positions outside ``0 <= pickup_pos <= dropoff_pos
        <= n_stops``.
    """
    s = validate_schedules(schedules)
    n_veh, s_max = s.n_vehicles, s.max_stops
    _request_scalars(request)  # validates the request
    t = _validate_times(times, n_veh, s_max)
    v, i, j = int(insertion.vehicle), int(insertion.pickup_pos), int(insertion.dropoff_pos)
    if not 0 <= v < n_veh:
        msg = f"Insertion.vehicle = {v} is outside [0, {n_veh})"
        raise DispatchError(msg)
    n = int(s.n_stops[v])
    if not 0 <= i <= j <= n:
        msg = (
            f"Insertion positions (pickup_pos={i}, dropoff_pos={j}) must satisfy "
            f"0 <= pickup_pos <= dropoff_pos <= n_stops = {n} for vehicle {v}"
        )
        raise DispatchError(msg)
    names = STOP_FIELDS
    rows = _new_rows(s, v, i, j, request, t)
    width = max(s_max, n + 2)
    fields = {name: np.copy(value) for name, value in s._asdict().items()}
    for name, row in zip(names, rows, strict=True):
        old = getattr(s, name)
        new = np.empty((n_veh, width), dtype=old.dtype)
        new[:, :s_max] = old
        new[:, s_max:] = _PAD[name]
        new[v, : n + 2] = row
        fields[name] = new
    fields["n_stops"][v] = n + 2
    return Schedules(**fields)


def insert_into(
    schedules: Schedules,
    insertion: Insertion,
    request: InsertionRequest,
    times: InsertionTimes,
    *,
    times_row: int | None = None,
) -> Schedules:
    """Like :func:`insert`, but writes the vehicle's new rows into ``schedules``.

    Only one vehicle's rows change, so a simulator with a large fleet should
    not copy every array per request. The arrays are modified in place; a new
    ``Schedules`` (wider arrays) is returned only when the vehicle needs more
    than ``s_max`` stops. No validation: the inputs are those just given to
    :func:`find_best_insertion` (or :func:`best_insertion_among`, with
    ``times_row`` the vehicle's row of its time arrays).

    Returns
    -------
    Schedules
        ``schedules`` itself, or a widened copy.
    """
    s = schedules
    v, i, j = int(insertion.vehicle), int(insertion.pickup_pos), int(insertion.dropoff_pos)
    n = int(s.n_stops[v])
    names = STOP_FIELDS
    rows = _new_rows(s, v, i, j, request, times, times_row)
    s_max = s.max_stops
    if n + 2 > s_max:
        width = max(n + 2, 2 * s_max)
        fields = s._asdict()
        for name in names:
            old = fields[name]
            new = np.empty((s.n_vehicles, width), dtype=old.dtype)
            new[:, :s_max] = old
            new[:, s_max:] = _PAD[name]
            fields[name] = new
        s = Schedules(**fields)
    for name, row in zip(names, rows, strict=True):
        getattr(s, name)[v, : n + 2] = row
    s.n_stops[v] = n + 2
    return s
