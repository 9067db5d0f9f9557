"""An invariant checker for simulation results, run on every event of a run."""

from __future__ import annotations

import math

import numpy as np

from idrt.sim.assembly import traffic_active

EPS_S = 1e-6


def check_result(result, network=None) -> None:
    """Assert the invariants every run must satisfy (AssertionError naming the breach).

    ``network``: the run's network (needed only under the traffic model when a
    promise or ride limit was broken; built from the scenario when omitted).
    """
    req = result.requests
    ev = result.events
    capacity = result.scenario.fleet.capacity

    # time never goes backwards: globally and per vehicle
    times = ev["time_s"].to_numpy()
    assert np.all(np.diff(times) >= 0), "event log time goes backwards"

    # loads from the event log: recomputed from pickups and drop-offs
    pax = dict(zip(req["request_id"], req["pax"], strict=True))
    load: dict[int, int] = {}
    picked: dict[int, tuple[int, float]] = {}
    dropped: dict[int, tuple[int, float]] = {}
    for t, vehicle, kind, _node, request, logged in ev.itertuples(index=False):
        if kind == "pickup":
            assert request not in picked, f"request {request} picked up twice"
            load[vehicle] = load.get(vehicle, 0) + pax[request]
            picked[request] = (vehicle, t)
        elif kind == "dropoff":
            assert request in picked, f"request {request} dropped before pickup"
            assert request not in dropped, f"request {request} dropped twice"
            assert picked[request][0] == vehicle, f"request {request} changed vehicle"
            load[vehicle] = load.get(vehicle, 0) - pax[request]
            dropped[request] = (vehicle, t)
        else:
            continue
        assert 0 <= load[vehicle] <= capacity, f"vehicle {vehicle} load {load[vehicle]} at {t}"
        assert load[vehicle] == logged, f"vehicle {vehicle} logged load {logged} != {load[vehicle]}"
    assert all(v == 0 for v in load.values()), "vehicles end with riders on board"

    # every request ends served or rejected (with rider behaviour: or declined,
    # cancelled, no_show); conservation
    counts = req["status"].value_counts()
    assert counts.get("pending", 0) == 0, "requests left pending at the end of the run"
    ends = ["served", "rejected"]
    if result.scenario.behaviour.enabled:
        ends += ["declined", "cancelled", "no_show"]
    assert sum(counts.get(s, 0) for s in ends) == len(req), f"statuses {dict(counts)}"
    served = req[req["status"] == "served"]
    rejected = req[req["status"] == "rejected"]
    assert set(served["request_id"]) == set(picked) == set(dropped)
    assert not set(req.loc[req["status"] != "served", "request_id"]) & set(picked)
    assert (rejected["reason"] != "").all()

    # timing constraints of accepted riders
    earliest = served["request_time_s"] + served["walk_pickup_s"].fillna(0.0)
    assert (served["pickup_s"] >= earliest - EPS_S).all(), "pickup before the rider is there"
    assert (served["pickup_s"] >= served["booking_time_s"] - EPS_S).all()
    late = served["pickup_s"] > served["promised_pickup_s"] + EPS_S
    assert (late == served["missed_promise"]).all(), "missed promises misreported"
    broken = served["ride_s"] > served["max_ride_s"] + EPS_S
    if traffic_active(result.scenario):
        # plans use expected link times, vehicles realised ones: promises can
        # be missed, but only by legs that took longer than planned
        if late.any() or broken.any():
            _check_explained_by_slow_legs(result, served, late, broken, network)
    else:
        assert not late.any(), "promised pickup time broken"
        assert not broken.any(), "ride-time limit broken"
    assert (served["dropoff_s"] > served["pickup_s"]).all()
    logged_pickup = served["request_id"].map({r: t for r, (_, t) in picked.items()})
    assert np.allclose(logged_pickup, served["pickup_s"], rtol=0, atol=EPS_S)
    logged_vehicle = served["request_id"].map({r: v for r, (v, _) in picked.items()})
    assert (logged_vehicle == served["vehicle"]).all()
    _check_darp_rules(result, served, network)


def _check_darp_rules(result, served, network) -> None:
    """The dial-a-ride rules of ``[service]`` that the scenario sets (Cordeau 2006).

    - ``max_ride_cap_s``: every ride limit is ``min(alpha * direct + beta, cap)``
      (rides within their limit is checked above);
    - ``prebooked_pickup_window_s``: a pre-booked rider's promised pickup is
      within the window of the requested time (pickups within their promise is
      checked above);
    - ``prebooked_arrival_window_s``: a pre-booked rider is dropped off by the
      requested time + walk + direct drive + the window;
    - ``return_to_depot`` and ``max_route_duration_s``: every drop-off's
      departure (plus, with the return, the shortest drive from it to the
      vehicle's depot, recomputed here with scipy) is by the end of the duty
      window in which the rider was accepted, and within the route duration of
      that window's start. Each drop-off is checked, not only the last: by the
      triangle inequality a plan that ends in time has every stop in time.

    Plans use expected link times; under the traffic model the last three
    can be broken by slow legs and are only checked without it.
    """
    scenario = result.scenario
    svc = scenario.service
    eps = 1e-6
    direct = served["direct_s"].to_numpy(float)
    limit = svc.max_ride_alpha * direct + svc.max_ride_beta_s
    expect = np.minimum(limit, svc.max_ride_cap_s)
    assert np.allclose(served["max_ride_s"].to_numpy(float), expect, rtol=1e-12, atol=eps), (
        "ride limits are not min(alpha * direct + beta, service.max_ride_cap_s)"
    )
    pre = served[served["request_time_s"] > served["booking_time_s"]]
    window = min(svc.max_wait_s, svc.prebooked_pickup_window_s)
    promised = pre["promised_pickup_s"] - pre["request_time_s"]
    assert (promised <= window + eps).all(), "pre-booked pickup promised outside its window"
    if traffic_active(scenario):
        return
    if math.isfinite(svc.prebooked_arrival_window_s):
        latest = (
            pre["request_time_s"] + pre["walk_pickup_s"].fillna(0.0) + pre["direct_s"]
            + svc.prebooked_arrival_window_s
        )  # fmt: skip
        late = pre["dropoff_s"] > latest + eps
        assert not late.any(), (
            f"pre-booked drop-off after its window: {pre[late].request_id.tolist()}"
        )
    if not (svc.return_to_depot or math.isfinite(svc.max_route_duration_s)):
        return
    from idrt.sim.assembly import build_network, run_travel_times
    from idrt.sim.shifts import duty_windows

    n_veh = len(result.vehicles)
    windows = (
        duty_windows(scenario, n_veh)
        if scenario.fleet.shifts
        else [[(svc.start_h * 3600.0, svc.end_h * 3600.0)]] * n_veh
    )
    accepted = _promise_times(result.events)
    net = network if network is not None else build_network(scenario)
    if svc.return_to_depot:
        expected, _ = run_travel_times(scenario, net, result.seed)
        home_time = _MinPlanned(net, np.atleast_2d(expected.edge_travel_time_s))
        depot = net.index_of(result.vehicles["depot_node"].to_numpy(np.int64))
        drop = net.index_of(served["dropoff_node"].to_numpy(np.int64))
    for k, row in enumerate(served.itertuples(index=False)):
        t = accepted[row.request_id]
        start, end = next((a, b) for a, b in windows[row.vehicle] if a <= t < b)
        dwell = svc.stop_time_s + svc.alighting_s_per_pax * row.pax
        finish = row.dropoff_s + dwell
        end_by = start + svc.max_route_duration_s
        if svc.return_to_depot:
            finish += home_time(int(drop[k]), int(depot[row.vehicle]))
            end_by = min(end_by, end)
        assert finish <= end_by + 1e-6, (
            f"request {row.request_id}: vehicle {row.vehicle} ends at {finish:.3f} s "
            f"(with the drive home: {svc.return_to_depot}), after {end_by:.3f} s"
        )


def _check_explained_by_slow_legs(result, served, late, broken, network) -> None:
    """Every missed promise and broken ride limit is covered by legs slower than planned.

    A plan made at time ``T`` starts from where the vehicle is at ``T`` (exact:
    its next node at the realised time, or ``now``) and times every later leg
    with a shortest path of the planning tables of some slice; dwells and
    waits are exact. So a pickup can be late, or a ride too long, by at most
    the sum over the legs driven after the plan of ``max(0, realised -
    planned)``. The realised time of a leg is read from the event log
    (depart -> arrive/divert); planned is at least the shortest time between
    its ends over every slice of the planning tables (recomputed here with
    scipy, independently of idrt's routing). A leg a plan was made in the
    middle of is credited with all of its time after the plan. A ride may also
    be longer by as much as its pickup came before the quoted time (drop-off
    deadlines are absolute, set from the quote, and the engine tightens them
    only at the pickup itself).
    """
    from idrt.sim.assembly import build_network, run_travel_times

    scenario = result.scenario
    net = network if network is not None else build_network(scenario)
    expected, realised = run_travel_times(scenario, net, result.seed)
    planning = realised if scenario.cits.realtime_info else expected
    legs = _legs(result.events, net)
    plans = _plan_times(result.events)
    min_planned = _MinPlanned(net, planning.edge_travel_time_s)

    def slack(vehicle: int, after: float, until: float) -> float:
        """Lateness the legs of ``vehicle`` ending in ``(after, until]`` can explain, s."""
        total = 0.0
        times = plans.get(vehicle, np.empty(0))
        for t0, t1, a, b in legs.get(vehicle, ()):
            if not (after < t1 <= until + EPS_S):
                continue
            credit = max(0.0, (t1 - t0) - min_planned(a, b))
            inside = times[(times >= t0) & (times < t1)]
            if inside.size:
                credit = max(credit, t1 - float(inside.min()))
            total += credit
        return total

    promised_at = _promise_times(result.events)
    for row in served[late].itertuples(index=False):
        lateness = row.pickup_s - row.promised_pickup_s
        explained = slack(row.vehicle, promised_at[row.request_id], row.pickup_s)
        assert lateness <= explained + 1e-6, (
            f"request {row.request_id}: pickup {lateness:.3f} s after the promise, but the "
            f"legs of vehicle {row.vehicle} since the promise explain only {explained:.3f} s"
        )
    for row in served[broken].itertuples(index=False):
        excess = row.ride_s - row.max_ride_s
        # drop-off deadlines are absolute (dispatch/insertion.py), set from the
        # quoted pickup: a plan that picks the rider up earlier than quoted
        # (the vehicle ahead of plan after fast legs) may use the difference
        # (or in the plan: a late pickup was planned earlier before slow legs)
        before = slack(row.vehicle, promised_at[row.request_id], row.pickup_s)
        early = max(0.0, row.planned_pickup_s - row.pickup_s + before)
        explained = slack(row.vehicle, row.pickup_departure_s, row.dropoff_s) + early
        assert excess <= explained + 1e-6, (
            f"request {row.request_id}: ride {excess:.3f} s over its limit, but the legs of "
            f"vehicle {row.vehicle} during the ride and an early pickup explain only "
            f"{explained:.3f} s"
        )


def _legs(events, net) -> dict[int, list[tuple[float, float, int, int]]]:
    """Per vehicle, its drives ``(depart_s, end_s, from, to)`` (internal node indices)."""
    out: dict[int, list] = {}
    open_: dict[int, tuple[float, int]] = {}
    drive = events[events["kind"].isin(("depart", "arrive", "divert"))]
    nodes = net.index_of(drive["node"].to_numpy(np.int64))
    for (t, vehicle, kind), node in zip(
        drive[["time_s", "vehicle", "kind"]].itertuples(index=False), nodes, strict=True
    ):
        if kind == "depart":
            assert vehicle not in open_, f"vehicle {vehicle} departs twice at {t}"
            open_[vehicle] = (t, int(node))
        else:
            assert vehicle in open_, f"vehicle {vehicle} arrives without departing at {t}"
            t0, a = open_.pop(vehicle)
            out.setdefault(vehicle, []).append((t0, t, a, int(node)))
    return out


def _plan_times(events) -> dict[int, np.ndarray]:
    """Per vehicle, the times its plan was changed (a rider assigned to it or moved away)."""
    out: dict[int, list[float]] = {}
    holder: dict[int, int] = {}
    moves = events[events["kind"].isin(("accept", "reassign"))]
    for t, vehicle, _kind, _node, request, _load in moves.itertuples(index=False):
        out.setdefault(vehicle, []).append(t)
        old = holder.get(request)
        if old is not None and old != vehicle:
            out.setdefault(old, []).append(t)
        holder[request] = vehicle
    return {v: np.asarray(t) for v, t in out.items()}


def _promise_times(events) -> dict[int, float]:
    """Per request, when its current vehicle took it (accept or the last reassign)."""
    moves = events[events["kind"].isin(("accept", "reassign"))]
    return dict(zip(moves["request"], moves["time_s"], strict=True))


class _MinPlanned:
    """Shortest drive time ``a -> b`` over every slice of the planning tables, s."""

    def __init__(self, net, weights_s: np.ndarray) -> None:
        from scipy.sparse import csr_matrix

        n = net.n_nodes
        tails = np.repeat(np.arange(n), np.diff(net.indptr))
        self.graphs = []
        for w in np.unique(weights_s, axis=0):
            # parallel edges: keep the fastest (a sparse matrix would add them)
            order = np.lexsort((w, net.heads, tails))
            key = tails[order] * n + net.heads[order]
            first = np.r_[True, key[1:] != key[:-1]]
            keep = order[first]
            weight = np.maximum(w[keep], 1e-9)  # explicit zeros are not edges
            self.graphs.append(csr_matrix((weight, (tails[keep], net.heads[keep])), shape=(n, n)))
        self.rows: dict[int, np.ndarray] = {}

    def __call__(self, a: int, b: int) -> float:
        from scipy.sparse.csgraph import dijkstra

        row = self.rows.get(a)
        if row is None:
            row = self.rows[a] = np.min([dijkstra(g, indices=a) for g in self.graphs], axis=0)
        return float(row[b]) if a != b else 0.0
