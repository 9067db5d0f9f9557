"""Batch assignment: the requests of an interval assigned jointly, optimally.

Where immediate dispatch inserts each request into the cheapest vehicle as it
comes, :func:`solve_batch` takes every request collected over an interval and
chooses their vehicles together, so that one rider no longer takes the vehicle
another needed more.

Formulation (Alonso-Mora et al., PNAS 2017, "request-trip-vehicle", restricted
to what one batch adds):

1. **Options.** A *trip* of vehicle ``v`` is a set of at most ``k`` requests of
   the batch (``max_trip_size``) inserted into ``v``'s current plan one after
   another, each at its cheapest feasible position (the Numba insertion
   kernel), in every order; a set keeps its cheapest plan. Requests are first
   screened one by one (the request-vehicle graph); a vehicle grows trips from
   its ``max_requests_per_vehicle`` cheapest (new requests ranked before other
   vehicles' movable riders).
2. **Cost.** Every plan is scored by one function of the plan, in the currency
   of :class:`~idrt.dispatch.InsertionWeights` (cost per second)::

       C = w_vehicle x end of the plan
         + sum over riders of this batch (w_wait x wait + w_ride x ride time)
         + sum over the other riders' drop-offs  w_delay x drop-off time
         + extra cost of the chosen stops (walking, stop-based service)

   A trip costs ``C(trip plan) - C(current plan)``; for a single request that
   is exactly its insertion cost, so batch and immediate costs compare directly.
3. **Choice.** Each vehicle takes at most one trip, each request joins at most
   one trip; a request left out costs ``unassigned_penalty`` (by default larger
   than any difference in trip costs, so that as many requests as possible are
   placed first, then at least cost). With ``k = 1`` and nothing to move this is
   a rectangular assignment problem (``scipy.optimize.linear_sum_assignment``,
   one dummy column per request). Otherwise it is a set-partitioning integer
   programme, split into independent parts (vehicles linked by requests both
   could take). Every route below gives the part's optimum (equal-cost optima
   may be chosen differently): a part of one vehicle is solved by enumeration;
   a part with few requests by dynamic programming over the subsets of its
   requests already covered (the enumeration's first least choice); else, when
   the trip combinations are few, by enumeration; else as a linear programme
   (HiGHS dual simplex, through ``highspy``) whose basic optimum is integral in
   most batches. A fractional one is settled by a depth-first search on the
   LP's reduced costs (any choice costs the sum of the row prices plus its
   reduced costs, so trips of large reduced cost are cut), and only if that
   search runs past its node limit by HiGHS branch and bound.

**Re-optimisation** (``movable``): riders accepted earlier but not yet picked up
may change vehicle. Besides its current plan (grown by up to ``k`` requests),
each vehicle then offers its plan without each one of its movable riders, grown
by at most one request: moving that rider to another vehicle, trading it for
another rider or a new request, or putting it back elsewhere in the same plan.
A movable rider must be covered by exactly one chosen trip (no slack: nobody
accepted is dropped) and keeps its promised pickup deadline and ride limit,
which every plan must meet. The current plans are always a feasible choice, so
re-optimisation never raises the cost. The neighbourhood (one rider out of
each plan per batch) keeps the programme small; repeated every batch it is a
fleet-wide local search, solved exactly at each step.
Since every option of a vehicle keeps all its movable riders but one, no
choice can use a trip that takes two riders of one other vehicle: such trips
are not built (the optimum is unchanged; the linear programme is tighter).
``movable_pairs=False`` also drops trips taking two riders of different other
vehicles: a smaller neighbourhood, a policy change.

Insertion positions are chosen greedily by insertion cost; trips are therefore
the plans sequential insertion can reach, which is what makes a batch never
worse than inserting the same requests one by one in arrival order (given ``k``
at least the number any one vehicle received that way).

References: J. Alonso-Mora, S. Samaranayake, A. Wallar, E. Frazzoli, D. Rus,
"On-demand high-capacity ride-sharing via dynamic trip-vehicle assignment",
PNAS 114(3), 2017 (FleetPy's batch "Alonso-Mora" assignment follows the same
request-vehicle / trip-vehicle structure).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from scipy.sparse import csc_array

from idrt.dispatch import _batch_kernels as bk
from idrt.dispatch.insertion import InsertionRequest, InsertionWeights, _request_scalars
from idrt.dispatch.schedule import _PAD, STOP_FIELDS, DispatchError, Schedules, validate_schedules

__all__ = [
    "Assignment",
    "BatchRequest",
    "BatchResult",
    "TravelTimeFn",
    "solve_batch",
    "sorted_unique",
]

TravelTimeFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``f(from_nodes, to_nodes) -> times_s``: drive time of each pair, element-wise (inf: none)."""


class BatchRequest(NamedTuple):
    """One way to serve a request: its stops and windows, and an extra cost.

    A request with several candidate stop pairs (stop-based service) is given as
    several ``BatchRequest`` with the same ``request.request_id``; at most one is
    used.

    Attributes
    ----------
    request : InsertionRequest
        Nodes, group size, pickup window and ride limit, s.
    extra_cost : float, default 0
        Added to the cost of any trip that uses this option (e.g. ``w_walk`` x
        walking time), in cost units.
    """

    request: InsertionRequest
    extra_cost: float = 0.0


class Assignment(NamedTuple):
    """Where a request of the batch ended up.

    Attributes
    ----------
    request_id : int
    vehicle : int
    option : int
        Index of the chosen option among that request's :class:`BatchRequest`
        entries, in the order given.
    pickup_time_s, dropoff_time_s : float
        Planned service starts, s.
    """

    request_id: int
    vehicle: int
    option: int
    pickup_time_s: float
    dropoff_time_s: float


class BatchResult(NamedTuple):
    """Outcome of :func:`solve_batch`.

    Attributes
    ----------
    schedules : Schedules
        The new plans (a copy; rows of unchanged vehicles as given).
    assigned : dict of int to Assignment
        New requests that were placed, and movable riders whose plan changed.
    moved : list of int
        Movable riders now planned on another vehicle.
    unassigned : list of int
        New requests left for a later batch.
    changed : ndarray of int64
        Vehicles whose plan changed.
    cost : float
        Sum of the chosen trips' costs (``C`` of the new plans minus ``C`` of the
        current ones), penalties excluded.
    method : str
        ``"none"`` (nothing to decide), ``"lsa"`` or ``"milp"``.
    n_trips : int
        Options the choice was made among (for diagnostics).
    solve_s : float
        Wall time of the whole call, s.
    """

    schedules: Schedules
    assigned: dict
    moved: list
    unassigned: list
    changed: np.ndarray
    cost: float
    method: str
    n_trips: int
    solve_s: float


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique(x)`` of a 1-D integer array: its distinct values, ascending.

    By a sort and a comparison of neighbours: numpy 2's hash-based ``unique``
    takes ~6x longer on the few thousand entries a batch passes it.
    """
    s = np.sort(x)
    keep = np.empty(s.size, dtype=bool)
    keep[:1] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def _flagged(x: np.ndarray, size: int) -> np.ndarray:
    """``np.unique(x)`` of non-negative integers below ``size``, through a flag per value."""
    flag = np.zeros(size, dtype=bool)
    flag[x] = True
    return np.flatnonzero(flag)


class _Requests(NamedTuple):
    ids: list[int]  # request ids: new ones first, then movable ones
    n_new: int
    var_ptr: np.ndarray
    var_ints: np.ndarray
    var_floats: np.ndarray
    option_of_row: np.ndarray  # index of each variant among its request's options


def _group(requests: Sequence[BatchRequest], movable: Sequence[BatchRequest]) -> _Requests:
    order: dict[int, list[tuple[bool, BatchRequest]]] = {}  # id -> (movable, option)
    for kind, group in (("new", requests), ("movable", movable)):
        for item in group:
            if not isinstance(item, BatchRequest):
                msg = f"{kind} requests must be BatchRequest, got {type(item).__name__}"
                raise DispatchError(msg)
            _request_scalars(item.request)
            extra = float(item.extra_cost)
            if not math.isfinite(extra):
                msg = f"BatchRequest.extra_cost must be finite, got {item.extra_cost!r}"
                raise DispatchError(msg)
            rid = int(item.request.request_id)
            entry = order.setdefault(rid, [])
            if entry and entry[0][0] != (kind == "movable"):
                msg = f"request {rid} is given both as new and as movable"
                raise DispatchError(msg)
            entry.append((kind == "movable", item))
    ids_new = [rid for rid, e in order.items() if not e[0][0]]
    ids_mov = [rid for rid, e in order.items() if e[0][0]]
    for rid in ids_mov:
        if len(order[rid]) != 1:
            msg = (
                f"movable rider {rid} must be given once (its current stops), got {len(order[rid])}"
            )
            raise DispatchError(msg)
    ids = ids_new + ids_mov
    movable_ids = set(ids_mov)
    var_ints, var_floats, option, ptr = [], [], [], [0]
    for rid in ids:
        for k, (_, item) in enumerate(order[rid]):
            r = item.request
            var_ints.append((rid, int(r.pickup_node), int(r.dropoff_node), int(r.pax)))
            var_floats.append(
                (
                    float(r.earliest_pickup_s),
                    float(r.latest_pickup_s),
                    float(r.max_ride_s),
                    float(r.dwell_pickup_s),
                    float(r.dwell_dropoff_s),
                    0.0 if rid in movable_ids else float(item.extra_cost),
                )
            )
            option.append(k)
        ptr.append(len(var_ints))
    return _Requests(
        ids,
        len(ids_new),
        np.array(ptr, dtype=np.int64),
        np.array(var_ints, dtype=np.int64).reshape(-1, 4),
        np.array(var_floats, dtype=np.float64).reshape(-1, 6),
        np.array(option, dtype=np.int64),
    )


class _Problem:
    """The involved vehicles, their candidate requests and local travel times."""

    def __init__(
        self,
        s: Schedules,
        req: _Requests,
        cand_sets: tuple[np.ndarray, np.ndarray],
        depth: int,
        start_node: np.ndarray,
    ):
        self.s = s
        self.req = req
        self.var_ptr, self.var_ints, self.var_floats = req.var_ptr, req.var_ints, req.var_floats
        self.start_node = start_node
        lengths, flat = cand_sets  # (see _candidate_sets)
        # the involved vehicles, and each one's candidate requests, ascending
        # (cand_sets are by request)
        inv, self.all_cand_ptr, self.all_cand_req = bk.vehicle_lists(
            np.ascontiguousarray(lengths, dtype=np.int64),
            np.ascontiguousarray(flat, dtype=np.int64), int(s.n_vehicles),
        )  # fmt: skip
        self.inv = inv
        self.row_of = {v: u for u, v in enumerate(inv.tolist())}
        n_max = int(s.n_stops[inv].max()) if inv.size else 0
        self.width = n_max + 2 * depth + 2
        self.start_time_s = s.start_time_s[inv]
        self.start_load = s.start_load[inv]
        self.capacity = s.capacity[inv]
        self.n_stops = s.n_stops[inv]
        movable_ids = np.sort(np.array(req.ids[req.n_new :], dtype=np.int64))
        stops = tuple(getattr(s, name) for name in STOP_FIELDS)
        self.ints0, self.floats0 = bk.load_plans(inv, stops, movable_ids, self.width)
        self.req_owner = np.full(len(req.ids), -1, dtype=np.int64)  # (see bk.PROBLEM_FIELDS)

    def layout(self, cand) -> None:
        """Local points of each vehicle for candidate lists ``cand`` (per involved vehicle).

        ``None``: all the vehicle's candidate requests, ascending; a tuple:
        ``(cand_ptr, cand_req)`` arrays; else a list of lists.

        Point 0 is the start, ``1 + k`` stop ``k``, then two per variant of each
        candidate request (pickup, drop-off), candidates in the order given.
        """
        if cand is None:  # every candidate request of every vehicle
            self.cand_ptr, self.cand_req = self.all_cand_ptr, self.all_cand_req
        elif isinstance(cand, tuple):  # (cand_ptr, cand_req) arrays
            self.cand_ptr, self.cand_req = cand
        else:
            lengths = [len(rs) for rs in cand]
            self.cand_ptr = np.zeros(len(cand) + 1, dtype=np.int64)
            np.cumsum(lengths, out=self.cand_ptr[1:])
            self.cand_req = np.fromiter(
                (r for rs in cand for r in rs), dtype=np.int64, count=int(self.cand_ptr[-1])
            )
        (
            self.cand_loc, self.mat_size, self.mat_ptr, self.node_ptr, self.nodes,
            self.var_vehicle, self.var_local,
        ) = bk.layout_points(
            self.inv, self.n_stops, self.start_node, self.s.stop_node, self.cand_ptr,
            self.cand_req, self.req.var_ptr, self.req.var_ints,
        )  # fmt: skip
        self.mat = np.full(int(self.mat_ptr[-1]), np.nan)

    def fill(self, travel: TravelTimeFn, *, points: bool, pairs: bool):
        """Compute the needed blocks of every local matrix with one call of ``travel``.

        Always: start and stops to candidate points and back, and each variant's
        pickup to its drop-off. ``points``: stops to stops (removing riders).
        ``pairs``: between all candidate points (trips of several requests).
        A ``travel`` with a ``table`` attribute (a 2-D float array with
        ``travel(a, b) == table[a, b]``, as :func:`idrt.sim.batching.oracle_pairs`
        gives for an all-pairs oracle) is read in place.
        """
        table = getattr(travel, "table", None)
        if isinstance(table, np.ndarray) and table.ndim == 2 and table.dtype.kind == "f":
            # ``travel`` is this table's lookup: read it in place (the same entries)
            bk.fill_from_table(
                self.n_stops, self.mat_ptr, self.mat_size, self.node_ptr, self.nodes,
                self.var_vehicle, self.var_local, points, pairs, table, self.mat,
            )  # fmt: skip
            return
        idx, a_nodes, b_nodes = bk.matrix_pairs(
            self.n_stops, self.mat_ptr, self.mat_size, self.node_ptr, self.nodes,
            self.var_vehicle, self.var_local, points, pairs,
        )  # fmt: skip
        if idx.size == 0:
            return
        times = np.asarray(travel(a_nodes, b_nodes), dtype=np.float64)
        if times.shape != a_nodes.shape:
            msg = (
                f"travel(from_nodes, to_nodes) must return one time per pair, shape "
                f"{a_nodes.shape}, got {times.shape}"
            )
            raise DispatchError(msg)
        self.mat[idx] = np.where(a_nodes == b_nodes, 0.0, times)

    def arrays(self) -> tuple:
        """The kernels' ``problem`` tuple: the attributes ``bk.PROBLEM_FIELDS`` names."""
        return tuple(getattr(self, name) for name in bk.PROBLEM_FIELDS)

    def enumerate(self, roots_vehicle, roots_removed, roots_depth, weights):
        """Every trip of every root: ``(root_of, cost, seq)`` (see ``bk.trips_of_roots``)."""
        roots = (roots_vehicle, roots_removed, roots_depth)
        return bk.trips_of_roots(self.arrays(), roots, weights)

    def plan(self, u: int, removed: int, seq: np.ndarray):
        """The stop rows of one trip: ``(ints, floats, n)`` in the kernels' layout."""
        width = int(self.n_stops[u]) + 2 * seq.shape[0] + 2
        ints = np.empty((bk.N_INT, width), dtype=np.int64)
        floats = np.empty((bk.N_FLOAT, width))
        n = bk.trip_plan(self.arrays(), int(u), int(removed), seq, ints, floats)
        if n < 0:  # pragma: no cover - the enumeration built it
            msg = "internal error: a chosen trip could not be rebuilt"
            raise DispatchError(msg)
        return ints, floats, n


def _candidate_sets(
    s: Schedules, req: _Requests, candidates, movable_vehicle: dict[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The vehicles considered for each request (a movable rider's own always among them).

    Returns
    -------
    lengths : ndarray of int64, shape (n_req,)
    flat : ndarray of int64
        Request after request, each one's vehicles ascending, without repeats.
    """
    n_veh = s.n_vehicles
    every = np.arange(n_veh, dtype=np.int64)
    parts, owner = [], []
    for rid in req.ids:
        if candidates is None or rid not in candidates or candidates[rid] is None:
            arr = every
        else:
            arr = np.asarray(candidates[rid], dtype=np.int64).reshape(-1)
        parts.append(arr)
        owner.append(arr.size)
    flat = np.concatenate([*parts, np.empty(0, dtype=np.int64)])
    bad = (flat < 0) | (flat >= n_veh)
    if bad.any():
        r = int(np.searchsorted(np.cumsum(owner), int(np.flatnonzero(bad)[0]), side="right"))
        msg = f"candidates[{req.ids[r]}] names vehicles outside [0, {n_veh})"
        raise DispatchError(msg)
    n_req = len(req.ids)
    of = np.repeat(np.arange(n_req, dtype=np.int64), owner)
    own = np.array([movable_vehicle[rid] for rid in req.ids[req.n_new :]], dtype=np.int64)
    of = np.concatenate([of, np.arange(req.n_new, n_req, dtype=np.int64)])
    flat = np.concatenate([flat, own])
    base = max(n_veh, 1)
    key = sorted_unique(of * base + flat)  # by request, then vehicle; no repeats
    return np.bincount(key // base, minlength=n_req).astype(np.int64), key % base


def _locate_movable(s: Schedules, ids: list[int]) -> dict[int, int]:
    where: dict[int, int] = {}
    if not ids:
        return where
    wanted = np.sort(np.array(ids, dtype=np.int64))
    vehicles, riders = bk.wanted_pickups(s.n_stops, s.stop_kind, s.stop_request, wanted)
    for v, rid in zip(vehicles.tolist(), riders.tolist(), strict=True):
        if rid in where:
            msg = f"movable rider {rid} has pickups in two plans"
            raise DispatchError(msg)
        where[rid] = v
    missing = [rid for rid in ids if rid not in where]
    if missing:
        msg = f"movable riders {missing[:5]} have no pickup in any plan (already picked up?)"
        raise DispatchError(msg)
    return where


def solve_batch(
    schedules: Schedules,
    requests: Sequence[BatchRequest],
    travel: TravelTimeFn,
    weights: InsertionWeights | None = None,
    *,
    start_node: np.ndarray,
    movable: Sequence[BatchRequest] = (),
    candidates: Mapping[int, np.ndarray | None] | None = None,
    max_trip_size: int = 1,
    max_requests_per_vehicle: int = 16,
    unassigned_penalty: float | None = None,
    time_limit_s: float = 30.0,
    movable_pairs: bool = True,
) -> BatchResult:
    """Assign a batch of requests to a fleet jointly (see the module notes).

    Parameters
    ----------
    schedules : Schedules
        The fleet's current plans, start points brought to now. Left unchanged.
    requests : sequence of BatchRequest
        The new requests (several entries per request id for alternative stops).
    travel : callable
        ``travel(from_nodes, to_nodes)``: drive time of each pair of network
        nodes, element-wise, s (``inf`` when unreachable). Should obey the
        triangle inequality (shortest paths do); it is only asked for pairs
        around the vehicles and requests involved. A callable with a
        ``table`` attribute, a 2-D float array with ``travel(a, b) ==
        table[a, b]``, is not called: the table is read in place.
    weights : InsertionWeights, optional
        Cost weights; by default only vehicle time counts.
    start_node : ndarray of int64, shape (n_veh,)
        Node of each vehicle's start point (where ``start_time_s`` refers to).
    movable : sequence of BatchRequest, optional
        Riders already planned but not picked up who may change vehicle
        (re-optimisation): one entry each, with their current stops, promised
        deadline ``latest_pickup_s`` and ride limit. Their extra cost is ignored.
    candidates : mapping of request id to array of vehicle indices, optional
        Vehicles considered for each request (default: all). A movable rider's
        current vehicle is always considered.
    max_trip_size : int, default 1
        Most requests one vehicle takes in one batch, ``k``.
    max_requests_per_vehicle : int, default 16
        With ``k > 1`` or movable riders, trips of a vehicle are grown from its
        cheapest this many requests (1..62) besides its own movable riders,
        new requests ranked before other vehicles' movable riders.
    unassigned_penalty : float, optional
        Cost of leaving a new request unassigned; by default larger than any
        difference of trip costs (place as many as possible, then cheapest).
    time_limit_s : float, default 30
        Limit of the integer programme; its best solution so far is used.
    movable_pairs : bool, default True
        Whether a vehicle's current plan may grow by two movable riders of
        other vehicles at once. False restricts the neighbourhood (a policy
        change: fewer trips, possibly dearer choices). Pairs of two riders of
        the same other vehicle are never built: that vehicle keeps all its
        riders but one in every option, so no choice could use them.

    Returns
    -------
    BatchResult

    Raises
    ------
    DispatchError
        On malformed input.

    Examples
    --------
    Two vehicles on a line, two requests: each gets the vehicle next to it.

    >>> import numpy as np
    >>> from idrt.dispatch import BatchRequest, InsertionRequest, empty_schedules
    >>> x = np.array([0.0, 10.0, 1.0, 2.0, 11.0, 12.0])   # nodes on a line, 1 s apart
    >>> travel = lambda a, b: np.abs(x[a] - x[b])
    >>> def req(rid, p, d):
    ...     return BatchRequest(InsertionRequest(rid, p, d, 1, 0.0, 60.0, 60.0, 0.0, 0.0,
    ...                                          float(travel(p, d))))
    >>> fleet = empty_schedules([4, 4], 0.0)
    >>> res = solve_batch(fleet, [req(1, 4, 5), req(2, 2, 3)], travel,
    ...                   start_node=np.array([0, 1]))
    >>> sorted((a.request_id, a.vehicle) for a in res.assigned.values()), res.method
    ([(1, 1), (2, 0)], 'lsa')
    """
    t_start = time.perf_counter()
    s = validate_schedules(schedules)
    w = InsertionWeights() if weights is None else weights
    if not isinstance(w, InsertionWeights):
        msg = f"weights must be an InsertionWeights, got {type(w).__name__}"
        raise DispatchError(msg)
    k = int(max_trip_size)
    if k < 1:
        msg = f"max_trip_size must be >= 1, got {max_trip_size!r}"
        raise DispatchError(msg)
    limit = int(max_requests_per_vehicle)
    if not 1 <= limit <= bk.MAX_CANDIDATES:
        msg = f"max_requests_per_vehicle must be in 1..{bk.MAX_CANDIDATES}, got {limit}"
        raise DispatchError(msg)
    start = np.ascontiguousarray(start_node, dtype=np.int64)
    if start.shape != (s.n_vehicles,):
        msg = f"start_node must have shape ({s.n_vehicles},), got {start.shape}"
        raise DispatchError(msg)
    req = _group(requests, movable)
    mov_ids = req.ids[req.n_new :]
    mov_vehicle = _locate_movable(s, mov_ids)
    cand_sets = _candidate_sets(s, req, candidates, mov_vehicle)
    wts = w.as_array()

    def finish(new_s, assigned, moved, unassigned, changed, cost, method, n_trips):
        return BatchResult(
            new_s, assigned, moved, unassigned, np.asarray(sorted(changed), dtype=np.int64),
            float(cost), method, int(n_trips), time.perf_counter() - t_start,
        )  # fmt: skip

    if not req.ids:
        return finish(s, {}, [], [], [], 0.0, "none", 0)
    prob = _Problem(s, req, cand_sets, k, start)
    if prob.inv.size == 0:
        return finish(s, {}, [], list(req.ids[: req.n_new]), [], 0.0, "none", 0)
    reopt = bool(mov_ids)
    prob.layout(None)
    prob.fill(travel, points=False, pairs=False)  # (the screening removes nobody)

    # request-vehicle screening: each request alone into each current plan
    roots_v = np.arange(prob.inv.size, dtype=np.int64)
    roots_rm = np.full(prob.inv.size, -1, dtype=np.int64)
    root_of, cost1, seq1 = prob.enumerate(roots_v, roots_rm, np.ones_like(roots_v), wts)

    if k == 1 and not reopt:
        return _solve_lsa(prob, req, root_of, cost1, seq1, unassigned_penalty, finish)

    # keep each vehicle's cheapest requests (and its own movable riders)
    own_u = np.array(
        [prob.row_of[mov_vehicle[rid]] for rid in req.ids[req.n_new :]], dtype=np.int64
    )
    prob.layout(
        bk.pruned_lists(
            root_of, cost1, np.ascontiguousarray(seq1[:, 0, 0]), prob.cand_ptr, prob.cand_req,
            own_u, prob.inv.size, req.n_new, len(req.ids), limit, bk.MAX_CANDIDATES,
        )
    )  # fmt: skip
    prob.fill(travel, points=reopt, pairs=k > 1 or reopt)
    # roots: every current plan grows by up to k requests; a plan less one movable
    # rider by at most one (moving that rider, or trading it for another)
    rv, rr, rk = list(range(prob.inv.size)), [-1] * prob.inv.size, [k] * prob.inv.size
    for r in range(req.n_new, len(req.ids)):
        rid = req.ids[r]
        rv.append(prob.row_of[mov_vehicle[rid]])
        rr.append(rid)
        rk.append(1)
    roots_v = np.array(rv, dtype=np.int64)
    roots_rm = np.array(rr, dtype=np.int64)
    # no trip takes two riders of one other plan (movable_pairs=False: two movable riders)
    prob.req_owner[req.n_new :] = roots_v[prob.inv.size :] if movable_pairs else prob.inv.size
    root_of, costs, seqs = prob.enumerate(roots_v, roots_rm, np.array(rk, dtype=np.int64), wts)
    return _solve_milp(
        prob, req, roots_v, roots_rm, root_of, costs, seqs, mov_vehicle,
        unassigned_penalty, time_limit_s, finish,
    )  # fmt: skip


def _pruned_candidates(prob, req, root_of, cost1, seq1, mov_vehicle, limit):
    """Each vehicle's own movable riders and its ``limit`` best-ranked other requests.

    In numpy: the reference of :func:`bk.pruned_lists`, which ``solve_batch`` uses.

    Own riders: the first :data:`~idrt.dispatch._batch_kernels.MAX_CANDIDATES`
    by index; others as many as fit beside them, new requests first (each by
    screening cost, ties by index), then other vehicles' movable riders. A
    movable rider already has a seat, a new request has none: ranked by cost
    alone, the ~40 riders a re-optimising batch offers crowded new requests
    out of every vehicle's ``limit`` in a rush and got them rejected (28
    rejections over 12 seeds of the expansion day to 09:00, none with new
    requests first; benchmarks/results/reopt_policies/to09h_newfirst_seeds1-12.json).
    Returns ``(cand_ptr, cand_req)``, each vehicle's requests ascending.
    """
    n_inv, n_new, n_req = prob.inv.size, req.n_new, len(req.ids)
    own_u = np.array([prob.row_of[mov_vehicle[rid]] for rid in req.ids[n_new:]], dtype=np.int64)
    own_r = np.arange(n_new, n_req, dtype=np.int64)
    q = seq1[:, 0, 0]
    ok = q >= 0
    b_u = root_of[ok]
    b_c = cost1[ok]
    b_r = prob.cand_req[prob.cand_ptr[b_u] + q[ok]]
    mine = b_r >= n_new
    mine[mine] = own_u[b_r[mine] - n_new] == b_u[mine]
    b_u, b_c, b_r = b_u[~mine], b_c[~mine], b_r[~mine]
    # by vehicle, new requests before other vehicles' riders, then cost, then request
    order = np.lexsort((b_r, b_c, b_r >= n_new, b_u))
    b_u, b_r = b_u[order], b_r[order]
    starts = np.zeros(n_inv + 1, dtype=np.int64)
    np.cumsum(np.bincount(b_u, minlength=n_inv), out=starts[1:])
    rank = np.arange(b_u.size) - starts[b_u]
    by_u = np.argsort(own_u, kind="stable")  # own riders by vehicle, index ascending
    own_u, own_r = own_u[by_u], own_r[by_u]
    own_starts = np.zeros(n_inv + 1, dtype=np.int64)
    n_own = np.bincount(own_u, minlength=n_inv)
    np.cumsum(n_own, out=own_starts[1:])
    own_keep = (np.arange(own_u.size) - own_starts[own_u]) < bk.MAX_CANDIDATES
    room = np.minimum(limit, bk.MAX_CANDIDATES - np.minimum(n_own, bk.MAX_CANDIDATES))
    keep = rank < room[b_u]
    u = np.concatenate([own_u[own_keep], b_u[keep]])
    r = np.concatenate([own_r[own_keep], b_r[keep]])
    key = sorted_unique(u * max(n_req, 1) + r)  # by vehicle, then request; no repeats
    ptr = np.zeros(n_inv + 1, dtype=np.int64)
    np.cumsum(np.bincount(key // max(n_req, 1), minlength=n_inv), out=ptr[1:])
    return ptr, (key % max(n_req, 1)).astype(np.int64)


def _penalty(unassigned_penalty, root_vehicle_of_trip, costs, n_inv) -> float:
    if unassigned_penalty is not None:
        p = float(unassigned_penalty)
        if not (math.isfinite(p) and p >= 0.0):
            msg = f"unassigned_penalty must be finite and >= 0, got {unassigned_penalty!r}"
            raise DispatchError(msg)
        return p
    if not np.isfinite(costs).any():
        return 1.0
    hi, lo = bk.cost_range(root_vehicle_of_trip, costs, n_inv)
    return 1.0 + float(np.sum(hi - lo))


def _solve_lsa(prob, req, root_of, cost1, seq1, unassigned_penalty, finish):
    from scipy.optimize import linear_sum_assignment  # noqa: PLC0415 - scipy.optimize: ~0.3 s to import

    n_new, n_inv = req.n_new, prob.inv.size
    q = seq1[:, 0, 0]
    t_ok = np.flatnonzero((q >= 0) & np.isfinite(cost1))
    u = root_of[t_ok]
    r = prob.cand_req[prob.cand_ptr[u] + q[t_ok]]
    vehicles, col = np.unique(u, return_inverse=True)  # only vehicles with an option
    matrix = np.full((n_new, vehicles.size), np.inf)
    slot = np.full((n_new, vehicles.size), -1, dtype=np.int64)
    matrix[r, col] = cost1[t_ok]
    slot[r, col] = t_ok
    penalty = _penalty(unassigned_penalty, root_of, cost1, n_inv)
    dummy = np.full((n_new, n_new), np.inf)
    np.fill_diagonal(dummy, penalty)
    rows, cols = linear_sum_assignment(np.hstack([matrix, dummy]))
    placed = cols < vehicles.size
    chosen = slot[rows[placed], cols[placed]]
    trips = [(int(root_of[t]), -1, seq1[t]) for t in chosen.tolist()]
    total = float(cost1[chosen].sum())
    return _build(prob, req, trips, {}, total, "lsa", len(cost1), finish)


def _solve_milp(
    prob, req, roots_v, roots_rm, root_of, costs, seqs, mov_vehicle, unassigned_penalty,
    time_limit_s, finish,
):  # fmt: skip
    n_inv = prob.inv.size
    n_req = len(req.ids)
    n_new = req.n_new
    finite = np.flatnonzero(np.isfinite(costs))
    tv = roots_v[root_of[finite]]
    if req.n_new == n_req:  # no movable riders: every root is a current plan
        removed = np.full(roots_rm.size, -1, dtype=np.int64)
    else:
        index_of = {rid: r for r, rid in enumerate(req.ids)}
        removed = np.array([index_of.get(int(x), -1) for x in roots_rm.tolist()], dtype=np.int64)
    own_u = np.array(
        [prob.row_of[mov_vehicle[req.ids[r]]] for r in range(n_new, n_req)], dtype=np.int64
    )
    # a plan less one rider with that rider put back covers what the current plan does;
    # of the trips of one vehicle covering the same requests only the cheapest counts;
    # each trip covers the movable riders its root kept, and its insertions
    keep, cover, rm, n_ins, ok = bk.trip_cover(
        tv, removed[root_of[finite]], np.ascontiguousarray(seqs[finite, :, 0]), costs[finite],
        prob.cand_ptr, prob.cand_req, own_u, n_inv, n_new, n_req,
    )  # fmt: skip
    if not ok:  # pragma: no cover - key codes past 2**62: vehicles x requests**(k + 2)
        keep, cover, rm, n_ins = _trip_cover(
            tv, removed[root_of[finite]], seqs[finite, :, 0], costs[finite], prob.cand_ptr,
            prob.cand_req, own_u, n_inv, n_new,
        )  # fmt: skip
    tv, cost, finite = tv[keep], costs[finite[keep]], finite[keep]
    penalty = _penalty(unassigned_penalty, tv, cost, n_inv)
    got = _choose(tv, rm, cover, n_ins, cost, n_inv, n_new, n_req, penalty, time_limit_s)
    picked = np.sort(finite[got])
    total = float(np.cumsum(costs[picked])[-1]) if picked.size else 0.0  # summed in order
    removed_of = roots_rm[root_of[picked]]
    moves = (removed_of >= 0) | (seqs[picked, 0, 0] >= 0)  # else the current plan as it is
    trips = [
        (v, r, seqs[t])
        for v, r, t in zip(
            roots_v[root_of[picked[moves]]].tolist(), removed_of[moves].tolist(),
            picked[moves].tolist(), strict=True,
        )
    ]  # fmt: skip
    return _build(prob, req, trips, mov_vehicle, total, "milp", int(keep.size), finish)


def _trip_cover(tv, rm, sq, cost, cand_ptr, cand_req, own_u, n_inv, n_new):
    """:func:`bk.trip_cover` in numpy (any size; the reference of the tests)."""
    cand = np.append(cand_req, -1)  # slot -1: no candidate
    ins = np.where(sq >= 0, cand[np.where(sq >= 0, cand_ptr[tv][:, None] + sq, -1)], -1)
    # a plan less one rider with that rider put back covers what the current plan does
    readd = (rm >= 0) & (ins[:, 0] == rm)
    rm = np.where(readd, -1, rm)
    ins[readd, 0] = -1
    ins = -np.sort(-ins, axis=1)  # sorted, largest first, -1 last: a canonical set
    # of the trips of one vehicle covering the same requests only the cheapest counts
    key = np.column_stack([tv, rm, ins])
    order = np.lexsort((cost, *key.T[::-1]))
    ks = key[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = np.any(ks[1:] != ks[:-1], axis=1)
    keep = np.sort(order[first])
    tv, rm, ins = tv[keep], rm[keep], ins[keep]
    # the requests each trip covers: the movable riders its root kept, and its insertions
    own_count = np.bincount(own_u, minlength=n_inv)
    width = int(own_count.max()) if n_inv else 0
    own_pad = np.full((n_inv, max(width, 1)), -1, dtype=np.int64)
    for i, u in enumerate(own_u.tolist()):
        own_pad[u, np.count_nonzero(own_pad[u] >= 0)] = n_new + i
    own = own_pad[tv]
    own[own == rm[:, None]] = -1
    cover = np.concatenate([own, ins], axis=1)
    return keep, cover, rm, (ins >= 0).sum(axis=1)


def _choose(tv, rm, cover, n_ins, cost, n_inv, n_new, n_req, penalty, time_limit_s):
    """The trips chosen (positions, ascending): one per vehicle, each request once at most.

    The trips split into independent parts (vehicles linked by requests they
    could both take). One compiled call settles every small part
    (:func:`bk.solve_small_parts`: one trip, one vehicle, DP or enumeration,
    as :func:`_solve_part` would); each part it leaves open goes to
    :func:`_solve_part` (LP / search / MIP).
    """
    cover = np.ascontiguousarray(cover, dtype=np.int64)
    chosen, open_ptr, open_trips, open_new, open_new_ptr, _ = bk.solve_small_parts(
        tv, rm, cover, np.ascontiguousarray(cost, dtype=np.float64), n_inv, n_new, n_req,
        float(penalty), MAX_DP_STATES, MAX_COMBINATIONS,
    )  # fmt: skip
    if open_ptr.size == 1:
        return chosen
    parts = [chosen]
    for i in range(open_ptr.size - 1):
        trips_p = open_trips[open_ptr[i] : open_ptr[i + 1]]
        new_p = open_new[open_new_ptr[i] : open_new_ptr[i + 1]]
        got = _solve_part(
            trips_p, new_p, tv, rm, cover, n_ins, cost, n_inv, n_new, penalty, time_limit_s,
            small=False,
        )  # fmt: skip
        parts.append(np.asarray(got, dtype=np.int64))
    return np.sort(np.concatenate(parts))


def _choose_part_by_part(tv, rm, cover, n_ins, cost, n_inv, n_new, n_req, penalty, time_limit_s):
    """:func:`_choose` one part at a time through :func:`_solve_part` (the reference)."""
    label = bk.part_labels(tv, np.ascontiguousarray(cover, dtype=np.int64), n_inv, n_req)
    part_of_trip = label[tv]
    new_label = label[n_inv : n_inv + n_new]
    order = np.argsort(part_of_trip, kind="stable")
    starts = np.flatnonzero(np.diff(part_of_trip[order], prepend=-1))
    sizes = np.diff(starts, append=order.size)
    # a part of one trip: a vehicle whose only option is its plan as it is
    chosen = [order[starts[sizes == 1]]]
    for at, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
        trips_p = order[at : at + size]
        new_p = np.flatnonzero(new_label == part_of_trip[trips_p[0]])
        got = _solve_part(
            trips_p, new_p, tv, rm, cover, n_ins, cost, n_inv, n_new, penalty, time_limit_s
        )
        chosen.append(np.asarray(got, dtype=np.int64))
    return np.sort(np.concatenate(chosen))


MAX_COMBINATIONS = 20_000
"""Parts whose feasible combinations of trips stay below this are solved by enumeration."""
MAX_DP_STATES = 1 << 20
"""Parts whose vehicles times subsets of requests stay below this are solved by DP."""


def _enumerate_part(trips, new, tv, cover, cost, n_covered_new, n_new, penalty):
    """The best choice of one trip per vehicle of a small part, or None.

    By DP over covered requests when the part's vehicles times request subsets
    stay within :data:`MAX_DP_STATES`, else by enumerating every feasible
    combination. None when the part holds more than 62 requests or its partial
    combinations exceed :data:`MAX_COMBINATIONS` (the LP / MIP then decides).
    """
    sub = cover[trips]
    reqs = sorted_unique(sub[sub >= 0])
    if reqs.size > 62:
        return None
    pos = np.searchsorted(reqs, np.maximum(sub, 0))
    bits = np.where(sub >= 0, np.left_shift(np.int64(1), pos.astype(np.int64)), 0)
    mask = np.bitwise_or.reduce(bits, axis=1).astype(np.int64)
    required = np.int64(0)
    for i in np.flatnonzero(reqs >= n_new).tolist():
        required |= np.int64(1) << np.int64(i)
    owner = tv[trips]
    order = np.argsort(owner, kind="stable")
    group_ptr = np.flatnonzero(np.diff(owner[order], prepend=-1, append=-1) != 0)
    n_groups = group_ptr.size - 1
    if (n_groups << reqs.size) <= MAX_DP_STATES:  # few requests: the same optimum by DP
        new_bits = np.int64(0)
        for i in np.flatnonzero(reqs < n_new).tolist():
            new_bits |= np.int64(1) << np.int64(i)
        trip_cost = cost[trips].astype(np.float64)
        tol = 1e-9 * max(1.0, float(penalty) * new.size + float(np.abs(trip_cost).sum()))
        picked = bk.best_cover_dp(
            order, group_ptr.astype(np.int64), mask, trip_cost, required, new_bits,
            int(new.size), float(penalty), tol,
        )  # fmt: skip
        if picked.size:
            return trips[picked].tolist()
    picked = bk.best_combination(
        order, group_ptr.astype(np.int64), mask, cost[trips].astype(np.float64),
        n_covered_new.astype(np.int64), required, int(new.size), float(penalty),
        MAX_COMBINATIONS,
    )  # fmt: skip
    if picked.size == 0:
        return None
    return trips[picked].tolist()


def _solve_part(
    trips, new, tv, rm, cover, n_ins, cost, n_inv, n_new, penalty, time_limit_s, *, small=True
):  # fmt: skip
    """The trips chosen in one independent part: one per vehicle, each request once at most.

    ``trips`` and ``new`` index the kept trips and the new requests of the part.
    A small part is solved by DP or enumeration, a larger one as a linear
    programme (its optimum is mostly integral), a fractional LP by the
    reduced-cost search (:func:`_price_search`) and, failing that, by HiGHS'
    branch and bound. ``small=False``: the part is known to be past the small
    routes (:func:`bk.solve_small_parts` left it open); straight to the LP.
    Returns the chosen trips (indices into the kept trips).
    """
    vehicles = _flagged(tv[trips], n_inv)
    if small:
        n_covered_new = ((cover[trips] >= 0) & (cover[trips] < n_new)).sum(axis=1)
        if vehicles.size == 1:  # the vehicle's riders must stay: trips of the full plan only
            ok = rm[trips] < 0
            val = np.where(ok, cost[trips] + penalty * (new.size - n_covered_new), np.inf)
            return [int(trips[int(np.argmin(val))])]
        got = _enumerate_part(trips, new, tv, cover, cost, n_covered_new, n_new, penalty)
        if got is not None:
            return got
    sub = cover[trips]
    n_rows = cover.max() + 2 if cover.size else 1
    reqs = _flagged(
        np.concatenate([sub[sub >= 0], new]), max(n_rows, new.max() + 1 if new.size else 0)
    )
    row_of_req = np.full(n_rows, -1, dtype=np.int64)
    row_of_req[reqs] = vehicles.size + np.arange(reqs.size)
    row_of_vehicle = np.full(n_inv, -1, dtype=np.int64)
    row_of_vehicle[vehicles] = np.arange(vehicles.size)
    n_var = trips.size + new.size
    n_con = vehicles.size + reqs.size
    a = _part_matrix(row_of_vehicle[tv[trips]], sub, row_of_req, row_of_req[new], n_con)
    c = np.concatenate([cost[trips], np.full(new.size, penalty)])
    # set-partitioning relaxations are mostly integral, and an integral basic LP
    # optimum is the answer; HiGHS' presolve costs more than it saves here
    lp = _highs(c, a, integer=False, time_limit_s=time_limit_s)
    if lp is not None:
        x, prices = lp
        if np.all(np.abs(x - np.round(x)) <= 1e-9):
            return trips[np.round(x[: trips.size]).astype(bool)].tolist()
        got = _price_search(
            a, c, prices, row_of_vehicle[tv[trips]], sub, reqs, new, row_of_req, n_new
        )
        if isinstance(got, tuple):
            return trips[got[0]].tolist()
        if got is not None:  # the integer programme over the trips that can matter
            cols = np.concatenate([got, np.arange(trips.size, n_var)])
            res = _highs(c[cols], a[:, cols], integer=True, time_limit_s=time_limit_s)
            if res is not None:
                return trips[got[np.round(res[0][: got.size]).astype(bool)]].tolist()
    res = _highs(c, a, integer=True, time_limit_s=time_limit_s)
    if res is None:  # nothing within the time limit: every vehicle keeps its plan
        current = trips[(rm[trips] < 0) & (n_ins[trips] == 0)]
        return [int(current[tv[current] == u][0]) for u in vehicles.tolist()]
    return trips[np.round(res[0][: trips.size]).astype(bool)].tolist()


def _part_matrix(trip_rows, sub, row_of_req, slack_rows, n_con):
    """The part's constraint matrix, column-wise: trips, then one slack per new request.

    Trip ``t``'s column has a one in its vehicle's row ``trip_rows[t]`` (below
    every request row) and in the row ``row_of_req[r]`` of each request ``r``
    of ``sub[t]`` (``-1``: none); slack column ``s`` a one in ``slack_rows[s]``.
    Row indices ascending within each column: the matrix
    ``csr_array((ones, (rows, cols))).tocsc()`` gives for the same entries,
    without its sorting passes.
    """
    indptr, indices = bk.part_columns(
        np.ascontiguousarray(trip_rows, dtype=np.int64), np.ascontiguousarray(sub, dtype=np.int64),
        np.ascontiguousarray(row_of_req, dtype=np.int64),
        np.ascontiguousarray(slack_rows, dtype=np.int64),
    )  # fmt: skip
    return csc_array(
        (np.ones(indices.size), indices, indptr), shape=(n_con, sub.shape[0] + slack_rows.size)
    )


MAX_SEARCH_NODES = 200_000
"""Nodes the reduced-cost search may visit before the integer programme decides."""


def _price_search(a, c, prices, group, sub, reqs, new, row_of_req, n_new):
    """The optimum of a part by branch and bound on LP reduced costs.

    ``a``, ``c``: the part's programme (trip columns, then one slack column per
    new request ``new``); ``prices``: row prices of its LP optimum;
    ``group``: each trip's vehicle row; ``sub``: the requests each trip covers
    (-1: none); ``reqs``: the part's requests (``>= n_new``: movable);
    ``row_of_req``: the row of each request. Exact (see
    :func:`bk.reduced_cost_search`), searching trips of small excess reduced
    cost first.

    Returns
    -------
    tuple of one ndarray, ndarray or None
        ``(chosen,)``: the optimum (positions among the part's trips,
        ascending); an array: the search ran past :data:`MAX_SEARCH_NODES`
        nodes, and these trips hold every choice better than the best found
        (the integer programme over them decides); None: nothing found.
    """
    n_vehicles = a.shape[0] - reqs.size
    n_trips = sub.shape[0]
    rc = c - a.T @ prices
    n_words = max(1, -(-reqs.size // 63))
    local = row_of_req - n_vehicles  # request -> its bit
    mask = np.zeros((n_trips, n_words), dtype=np.int64)
    t_idx, slot = np.nonzero(sub >= 0)
    bit = local[sub[t_idx, slot]]
    np.bitwise_or.at(mask, (t_idx, bit // 63), np.left_shift(np.int64(1), bit % 63))
    required = np.zeros(n_words, dtype=np.int64)
    movable = np.flatnonzero(reqs >= n_new)
    np.bitwise_or.at(required, movable // 63, np.left_shift(np.int64(1), movable % 63))
    slack_rc = np.zeros(reqs.size)
    slack_rc[local[new]] = rc[n_trips:]
    trip_rc = rc[:n_trips]
    tol = 1e-9 * max(1.0, float(np.abs(c).max()))

    def search(keep, incumbent):
        """The search over the trips ``keep``, vehicles with fewer trips first."""
        kept = np.bincount(group[keep], minlength=n_vehicles)
        rank = np.argsort(np.argsort(kept, kind="stable"), kind="stable")
        order = keep[np.lexsort((keep, trip_rc[keep], rank[group[keep]]))]
        ptr = np.zeros(n_vehicles + 1, dtype=np.int64)
        np.cumsum(np.sort(kept), out=ptr[1:])
        picked, value, complete = bk.reduced_cost_search(
            ptr, np.ascontiguousarray(mask[order]), np.ascontiguousarray(trip_rc[order]),
            required, slack_rc, tol, MAX_SEARCH_NODES, incumbent,
        )  # fmt: skip
        return order[picked], value, complete

    # a choice costs sum(prices) + its reduced costs; no choice costs less than
    # ``bound`` (every vehicle at its least, every negative slack taken), and a
    # trip whose excess over its vehicle's least reaches ``value - bound`` is in
    # no choice better than one of ``value``. Search the trips of small excess
    # first; a choice found there bounds the excess of the trips that matter.
    least = np.full(n_vehicles, np.inf)
    np.minimum.at(least, group, trip_rc)
    excess = trip_rc - least[group]
    bound = least.sum() + np.minimum(slack_rc, 0.0).sum()
    best, value, limit = np.empty(0, dtype=np.int64), np.inf, 0.0
    for _ in range(12):
        keep = np.flatnonzero(excess <= limit + tol)
        got, got_value, complete = search(keep, value)
        if got.size:
            best, value = got, got_value
        if not complete:  # the integer programme over the trips that matter
            return np.flatnonzero(excess <= value - bound + tol) if best.size else None
        if value - bound <= limit:  # no trip left out can improve on it
            return (np.sort(best),) if best.size else None
        limit = min(value - bound, 4.0 * limit + 16.0)
    return None


_LP_SOLVER = threading.local()
"""The thread's HiGHS instance for linear programmes (created on first use)."""


_BANNER_SHOWN = threading.Lock()
"""Held once the process's first HiGHS instance (the one that prints a banner) exists."""


def _new_highs(highspy):
    """A ``highspy.Highs()``, without the banner HiGHS prints on its first construction.

    HiGHS writes "Running HiGHS ... Copyright ..." to the process's standard
    output (file descriptor 1, below Python's ``sys.stdout``) when the first
    instance of a process is built, before any option can silence it; a
    planner running batch dispatch saw it in the middle of their output. The
    first construction runs with descriptor 1 pointed at the null device.
    """
    if not _BANNER_SHOWN.acquire(blocking=False):  # the banner is already out
        return highspy.Highs()
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no descriptor 1 to redirect: let it print
        return highspy.Highs()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _highs(c, a, *, integer: bool, time_limit_s: float):
    """Solve ``min c x``, ``a x = 1``, ``0 <= x <= 1`` with HiGHS (no presolve).

    ``integer``: branch and bound, else dual simplex. Through ``highspy`` when
    installed (the same HiGHS as scipy's, without its per-call Python work;
    linear programmes reuse one instance per thread, its model cleared), else
    ``scipy.optimize``. Returns ``(x, row prices)`` (prices None for the
    integer programme), or None when no solution was found.
    """
    try:
        import highspy  # noqa: PLC0415 - optional, ~0.2 s to import
    except ImportError:  # pragma: no cover - highspy is a dependency
        return _scipy_highs(c, a, integer=integer, time_limit_s=time_limit_s)
    n_con, n_var = a.shape
    if integer:
        h = _new_highs(highspy)
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")
    else:  # one instance per thread, its model cleared (the same solve, without set-up)
        h = getattr(_LP_SOLVER, "highs", None)
        if h is None:
            h = _LP_SOLVER.highs = _new_highs(highspy)
            h.setOptionValue("output_flag", False)
            h.setOptionValue("presolve", "off")
        else:
            h.clearModel()
    if integer:
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", 1e-9)
    else:
        h.setOptionValue("solver", "simplex")
        h.setOptionValue("simplex_strategy", 1)  # dual, as scipy's "highs-ds"
    # arrays straight in (HighsLp's attributes convert element by element)
    h.passModel(
        int(n_var), int(n_con), int(a.nnz), int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize), 0.0, np.ascontiguousarray(c, dtype=np.float64),
        np.zeros(n_var), np.ones(n_var), np.ones(n_con), np.ones(n_con),
        a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64),
        np.full(n_var, int(highspy.HighsVarType.kInteger) if integer else 0, dtype=np.int32),
    )  # fmt: skip
    h.run()
    status = h.getModelStatus()
    sol = h.getSolution()
    if integer:
        if status == highspy.HighsModelStatus.kOptimal or (
            status == highspy.HighsModelStatus.kTimeLimit
            and math.isfinite(h.getInfo().objective_function_value)
        ):
            return np.asarray(sol.col_value), None
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(sol.col_value), np.asarray(sol.row_dual)


def _scipy_highs(c, a, *, integer: bool, time_limit_s: float):
    """:func:`_highs` through ``scipy.optimize`` (slower per call, same HiGHS)."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp  # noqa: PLC0415 - scipy.optimize: ~0.3 s to import

    n_con, n_var = a.shape
    ones = np.ones(n_con)
    if not integer:
        opts = {"presolve": False}
        lp = linprog(c, A_eq=a, b_eq=ones, bounds=(0.0, 1.0), method="highs-ds", options=opts)
        return (lp.x, np.asarray(lp.eqlin.marginals)) if lp.status == 0 else None
    res = milp(
        c,
        integrality=np.ones(n_var),
        bounds=Bounds(np.zeros(n_var), np.ones(n_var)),
        constraints=LinearConstraint(a, ones, ones),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": 1e-9, "presolve": False},
    )
    return None if res.x is None else (res.x, None)


_FIELD_ROW = {
    "stop_node": (True, bk.I_NODE),
    "stop_kind": (True, bk.I_KIND),
    "stop_request": (True, bk.I_REQ),
    "stop_pax": (True, bk.I_PAX),
    "earliest_s": (False, bk.F_EARLY),
    "latest_s": (False, bk.F_LATE),
    "leg_s": (False, bk.F_LEG),
    "dwell_s": (False, bk.F_DWELL),
}
"""Where each per-stop field of :class:`Schedules` sits in the kernels' plan layout."""
_INT_FIELDS = sorted((x for x in _FIELD_ROW if _FIELD_ROW[x][0]), key=lambda x: _FIELD_ROW[x][1])
_FLOAT_FIELDS = sorted(
    (x for x in _FIELD_ROW if not _FIELD_ROW[x][0]), key=lambda x: _FIELD_ROW[x][1]
)
_INT_PAD = np.array([_PAD[x] for x in _INT_FIELDS], dtype=np.int64)
_FLOAT_PAD = np.array([_PAD[x] for x in _FLOAT_FIELDS], dtype=np.float64)
"""The int64 and float64 stop fields in the kernels' row order, and their padding."""


def _build(prob: _Problem, req: _Requests, trips, mov_vehicle, total, method, n_trips, finish):
    """Write the chosen trips' plans into a copy of the schedules and report."""
    s = prob.s
    m = len(trips)
    us = np.array([u for u, _, _ in trips], dtype=np.int64)
    removed = np.array([r for _, r, _ in trips], dtype=np.int64)
    seqs = np.stack([seq for _, _, seq in trips]) if m else np.full((0, 1, 4), -1, np.int64)
    ints, floats, ns, service = bk.trip_plans(prob.arrays(), us, removed, seqs)
    if m and ns.min() < 0:  # pragma: no cover - the enumeration built them
        msg = "internal error: a chosen trip could not be rebuilt"
        raise DispatchError(msg)
    rows = prob.inv[us]  # the vehicles whose plan changes
    width = max(s.max_stops, int(ns.max()) if m else 0)
    fields = {
        name: np.copy(getattr(s, name))
        for name in ("start_time_s", "start_load", "capacity", "n_stops")
    }
    for name in STOP_FIELDS:
        old = getattr(s, name)
        if width == s.max_stops:
            fields[name] = np.copy(old)
        else:
            new = np.full((s.n_vehicles, width), _PAD[name], dtype=old.dtype)
            new[:, : s.max_stops] = old
            fields[name] = new
    if m:
        bk.write_plans(
            rows, ints, floats, ns, *(fields[x] for x in _INT_FIELDS),
            *(fields[x] for x in _FLOAT_FIELDS), _INT_PAD, _FLOAT_PAD, fields["n_stops"],
        )  # fmt: skip
    new_s = Schedules(**fields)
    plans = {int(v): (i, int(ns[i])) for i, v in enumerate(rows.tolist())}
    # where every rider of the batch is now planned
    index_of = {rid: r for r, rid in enumerate(req.ids)}
    assigned, moved = {}, []
    changed = sorted(plans)
    for v in changed:
        i, n = plans[v]
        times = service[i, :n].tolist()
        pick = {}
        kinds = ints[i, bk.I_KIND, :n].tolist()
        for kk, rid in enumerate(ints[i, bk.I_REQ, :n].tolist()):
            r = index_of.get(rid)
            if r is None:
                continue
            if kinds[kk] > 0:
                pick[rid] = times[kk]
                continue
            option = _option_of(req, r, fields["stop_request"], fields["stop_kind"],
                                fields["stop_node"], v, kk)  # fmt: skip
            assigned[rid] = Assignment(rid, v, option, pick[rid], times[kk])
            if r >= req.n_new and mov_vehicle[rid] != v:
                moved.append(rid)
    unassigned = [rid for rid in req.ids[: req.n_new] if rid not in assigned]
    return finish(new_s, assigned, sorted(moved), unassigned, changed, total, method, n_trips)


def _option_of(req: _Requests, r: int, stop_request, stop_kind, stop_node, v: int, k: int) -> int:
    """Index of the option of request ``r`` whose stops plan ``v`` uses (drop-off at ``k``)."""
    lo, hi = int(req.var_ptr[r]), int(req.var_ptr[r + 1])
    if hi - lo == 1:
        return 0
    rid = req.ids[r]
    dropoff_node = int(stop_node[v, k])
    p_node = -1
    for kk in range(k):
        if int(stop_request[v, kk]) == rid and stop_kind[v, kk] > 0:
            p_node = int(stop_node[v, kk])
    for t in range(lo, hi):
        if req.var_ints[t, 1] == p_node and req.var_ints[t, 2] == dropoff_node:
            return int(req.option_of_row[t])
    return 0  # pragma: no cover - the plan's stops come from one of the options
