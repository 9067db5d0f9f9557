"""What a candidate cap (``dispatch.max_candidates``) loses at scale (issue 18, scaling row).

The exact search tries every vehicle of the fleet (pruned only where a bound
proves a vehicle cannot win), so its cost per request grows with the fleet.
``dispatch.max_candidates = K`` offers each request to the ``K`` vehicles
nearest the pickup (straight line from where they are now): cost bounded
per request, at the price of sometimes missing a better insertion. This
script measures that price two ways, on the default scenario with requests
and fleet scaled together (as ``bench_sim.py --cases scaling``):

- ``shadow``: one day with the cap, and at every request the exact search
  over the whole fleet run beside it on the same state (the cap's choice is
  applied, so the day is the capped day; the result tables are checked
  equal to a capped day without the shadow). Per request: the capped and
  the exact insertion cost (the insertion objective: weighted seconds), so
  the share of requests where the cap picked a worse vehicle, by how much,
  and the requests the cap rejected though the fleet had a feasible
  insertion.
  Also, per search, the exact winner's rank among the vehicles nearest the
  pickup: the share of searches in which a cap of K keeps it (fewer than K
  others strictly nearer; ties broken in its favour: idle buses parked at
  one depot tie, and any of them would serve as well), and in which a cap
  of K surely keeps it (fewer than K others at least as near).
- ``kpis``: whole days, exact and capped, on the same requests per seed:
  CPU per request and the headline KPIs, with paired differences to the
  exact day (95 % t intervals over the seeds; ``--summary``).

Usage (from the repository root)::

    .venv/bin/python benchmarks/candidate_cap.py shadow OUT.json SCALE CAP TRAFFIC SEED
    .venv/bin/python benchmarks/candidate_cap.py kpis OUT.json SCALE CAPS TRAFFIC SEEDS
    .venv/bin/python benchmarks/candidate_cap.py --summary OUT.json

``SCALE``: the default scenario's requests and fleet times this, or ``city``:
``bench_sim.py``'s city case (50,000 nodes, 1,000 buses, stop-based, a
15-minute wait; its benchmark offers each request to the 30 nearest), the
requests booked before 08:00 (``shadow``) or the whole day (``kpis``);
``TRAFFIC`` ignored there (free flow). ``CAP``: one cap; ``CAPS``:
comma-separated (0, the exact search, is always run); ``TRAFFIC``: ``on``
or ``free``; ``SEEDS``: ``LO-HI``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CITY = 0  # SCALE "city": bench_sim.py's city case instead of the scaled default scenario
CITY_UNTIL_H = 8.0
KPIS = ("requests", "served_share", "wait_mean_s", "wait_p95_s", "in_vehicle_mean_s", "vehicle_km")


def _scenario(scale: int, cap: int, traffic: bool):
    from bench_sim import _default

    return _default(traffic=traffic).with_overrides(
        {"fleet.size": 8 * scale, "demand.trips_per_day": 735 * scale,
         "dispatch.max_candidates": cap}
    )  # fmt: skip


def _digest(result) -> str:
    h = hashlib.sha256()
    for df in (result.requests, result.vehicles):
        h.update(df.to_csv(index=False).encode())
    return h.hexdigest()


def shadow(out: str | None, scale: int, cap: int, traffic: bool, seed: int) -> dict:
    """A capped day with the exact search beside it at every request; write per-request costs."""
    import idrt
    import idrt.sim.engine as engine_mod
    from idrt.sim import build_network

    if 0 < cap < engine_mod.PRUNE_MIN_CANDIDATES:
        msg = (
            f"cap {cap}: below {engine_mod.PRUNE_MIN_CANDIDATES} candidates the engine uses the "
            "per-candidate search, which this script does not shadow; use a larger cap"
        )
        raise SystemExit(msg)
    trips = None
    if scale == CITY:  # bench_sim's city (stop-based, 1,000 buses), requests before 08:00
        from bench_sim import _city

        from idrt.sim import build_trips

        scn, net = _city()
        scn = scn.with_overrides({"dispatch.max_candidates": cap, "output.events": False})
        trips = build_trips(scn, net, seed=seed)
        trips = trips[trips["booking_time_s"] < CITY_UNTIL_H * 3600.0].reset_index(drop=True)
        idrt.simulate(scn, seed, network=net, trips=trips.head(300))  # JIT, tables
        vehicles = scn.fleet.size
    else:
        scn = _scenario(scale, cap, traffic)
        net = build_network(scn)
        idrt.simulate(_scenario(2, cap, traffic), seed, network=net)  # JIT
        vehicles = 8 * scale
    plain = idrt.simulate(scn, seed, network=net, trips=trips)

    original = engine_mod.best_insertion_bounded
    dispatch = engine_mod.Engine._dispatch
    current = {}
    rows = []

    def traced_dispatch(self, row):
        current["engine"] = self
        return dispatch(self, row)

    def both(sched, candidates, points, lookup, request, direct, weights, **kw):
        found, times, searched = original(
            sched, candidates, points, lookup, request, direct, weights, **kw
        )
        e = current["engine"]
        fleet = np.arange(sched.n_vehicles)
        e._refresh_start_points(fleet)  # bring every plan to now (the cap's are already)
        memo = kw.get("memo")
        exact, _, searched_all = original(
            sched, fleet, points, lookup, request, direct, weights,
            metric=kw.get("metric", True), memo=memo, reach=kw.get("reach"),
        )  # fmt: skip
        if searched >= 0 and searched_all >= 0:
            strict = ties = -1  # others nearer the pickup than the exact winner (cap's order)
            if exact is not None:
                x, y = e.xy_m[int(request.pickup_node)]
                d2 = (e.pos_x - x) ** 2 + (e.pos_y - y) ** 2
                strict = int(np.sum(d2 < d2[exact.vehicle]))
                ties = int(np.sum(d2 <= d2[exact.vehicle])) - 1  # ties counted as nearer
            rows.append(
                (int(request.request_id), found.cost if found else np.inf,
                 exact.cost if exact else np.inf, found.vehicle if found else -1,
                 exact.vehicle if exact else -1, strict, ties)
            )  # fmt: skip
        return found, times, searched

    engine_mod.best_insertion_bounded = both
    engine_mod.Engine._dispatch = traced_dispatch
    try:
        result = idrt.simulate(scn, seed, network=net, trips=trips)
    finally:
        engine_mod.best_insertion_bounded = original
        engine_mod.Engine._dispatch = dispatch
    same_day = _digest(result) == _digest(plain)
    if not rows:
        raise SystemExit("no search was shadowed (the fleet below the compiled search's minimum)")
    capped = np.array([r[1] for r in rows])
    exact = np.array([r[2] for r in rows])
    both_ok = np.isfinite(capped) & np.isfinite(exact)
    excess = capped[both_ok] - exact[both_ok]
    strict = np.array([r[5] for r in rows])
    ties = np.array([r[6] for r in rows])
    strict, ties = strict[strict >= 0], ties[ties >= 0]
    ks = [k for k in (8, 16, 32, 64, 128, 256) if k < vehicles]
    worse = excess > 1e-9 * np.maximum(1.0, np.abs(exact[both_ok]))
    if np.any(excess < -1e-6 * np.maximum(1.0, np.abs(exact[both_ok]))):
        raise AssertionError("the capped search beat the exact one: the exact search is wrong")
    summary = {
        "scale": "city" if scale == CITY else scale, "cap": cap, "traffic": traffic,
        "seed": seed, "vehicles": vehicles, "searches": len(rows),
        "shadow_day_equals_capped_day": bool(same_day),
        "same_cost_share": float(np.mean(~worse)) if both_ok.any() else None,
        "worse_share": float(np.mean(worse)) if both_ok.any() else None,
        "excess_cost_mean_all": float(excess.mean()) if both_ok.any() else None,
        "excess_cost_mean_when_worse": float(excess[worse].mean()) if worse.any() else 0.0,
        "excess_cost_p95_when_worse": (
            float(np.percentile(excess[worse], 95)) if worse.any() else 0.0
        ),
        "exact_cost_mean": float(exact[both_ok].mean()) if both_ok.any() else None,
        "rejected_by_cap_but_feasible": int(np.sum(~np.isfinite(capped) & np.isfinite(exact))),
        "rejected_by_both": int(np.sum(~np.isfinite(capped) & ~np.isfinite(exact))),
        "served_share": float((result.requests["status"] == "served").mean()),
        # share of searches whose exact winner is among the K vehicles nearest the
        # pickup (straight line, as the cap ranks them): fewer than K others strictly
        # nearer (ties broken in its favour), and fewer than K at least as near (surely
        # kept: idle buses parked together tie, and any of them would serve as well)
        "exact_winner_within_nearest": {str(k): float(np.mean(strict < k)) for k in ks},
        "exact_winner_surely_within_nearest": {str(k): float(np.mean(ties < k)) for k in ks},
    }  # fmt: skip
    print(json.dumps(summary, indent=1), flush=True)
    if out:
        _append(out, {"kind": "shadow", **summary})
    return summary


def kpis(out: str, scale: int, caps: list[int], traffic: bool, seeds: str) -> None:
    """Exact and capped days on the same seeds: CPU per request and KPIs."""
    import idrt
    from idrt.sim import build_network

    if scale == CITY:  # the whole city day, as bench_sim.py's city case (free flow)
        from bench_sim import _city

        city, net = _city()
        city = city.with_overrides({"output.events": False})

        def scenario(c):
            return city.with_overrides({"dispatch.max_candidates": c})

        warm = scenario
    else:
        net = build_network(_scenario(1, 0, traffic))

        def scenario(c):
            return _scenario(scale, c, traffic)

        def warm(c):
            return _scenario(2, c, traffic)

    lo, hi = map(int, seeds.split("-"))
    caps = [0, *[c for c in caps if c != 0]]
    for c in caps:  # JIT, and the code paths of the timed runs
        trips = None
        if scale == CITY:
            from idrt.sim import build_trips

            trips = build_trips(warm(c), net, seed=lo).head(300)
        idrt.simulate(warm(c), lo, network=net, trips=trips)
    res: dict = {str(c): {} for c in caps}
    for seed in range(lo, hi + 1):
        for c in caps:
            c0 = time.process_time()
            result = idrt.simulate(scenario(c), seed, network=net)
            cpu = time.process_time() - c0
            k = result.summary()
            res[str(c)][str(seed)] = {
                "cpu_s": cpu, "cpu_ms_per_request": 1000 * cpu / len(result.requests),
                **{x: float(k[x]) for x in KPIS},
            }  # fmt: skip
            print(seed, c, f"{cpu:.2f} s", flush=True)
    name = "city" if scale == CITY else scale
    _append(out, {"kind": "kpis", "scale": name, "traffic": traffic, "seeds": seeds, "runs": res})


def _append(out: str, row: dict) -> None:
    path = Path(out)
    rows = json.loads(path.read_text()) if path.exists() else []
    rows.append({"date": time.strftime("%Y-%m-%d"), **row})
    path.write_text(json.dumps(rows, indent=1))


def _case(row: dict) -> str:
    """``64x`` for a scale of the default scenario, ``city`` for the city."""
    return "city" if row["scale"] == "city" else f"{row['scale']}x"


def summary(path: str) -> None:
    """Each row: the shadow day's losses, or CPU and paired KPI differences to the exact day."""
    from idrt.experiments.stats import paired_difference

    for row in json.loads(Path(path).read_text()):
        if row["kind"] == "shadow":
            print(
                f"shadow {_case(row)} cap {row['cap']} traffic {row['traffic']}: "
                f"worse choice {100 * row['worse_share']:.2f} % of {row['searches']} searches, "
                f"mean excess when worse {row['excess_cost_mean_when_worse']:.1f} "
                f"(exact mean cost {row['exact_cost_mean']:.1f}), rejected though feasible "
                f"{row['rejected_by_cap_but_feasible']}, "
                f"day equal {row['shadow_day_equals_capped_day']}"
            )
            continue
        r = row["runs"]
        seeds = sorted(r["0"], key=int)
        for c in r:
            cpu = np.mean([r[c][s]["cpu_ms_per_request"] for s in seeds])
            line = f"kpis {_case(row)} traffic {row['traffic']} cap {c:>3}: {cpu:.3f} ms/request"
            if c == "0":  # the exact day's means, the reference of the differences
                for k in KPIS[1:]:
                    line += f" | {k} {np.mean([r[c][s][k] for s in seeds]):.4g}"
            else:
                for k in KPIS[1:]:
                    d = paired_difference(
                        [r["0"][s][k] for s in seeds], [r[c][s][k] for s in seeds]
                    )
                    line += f" | {k} {d.diff:+.4g} [{d.low:+.4g}, {d.high:+.4g}]"
            print(line)


def main(argv: list[str]) -> None:
    """Command line: see the module docstring."""
    n_args = {"--summary": 2, "shadow": 6, "kpis": 6}
    if not argv or argv[0] not in n_args or len(argv) != n_args[argv[0]]:
        usage = __doc__[__doc__.index("Usage") :].split("\n\n", 2)[1]
        raise SystemExit(f"usage:\n{usage}")
    if argv[0] == "--summary":
        summary(argv[1])
        return
    scale = CITY if argv[2] == "city" else int(argv[2])
    if argv[4] not in ("on", "free"):
        raise SystemExit(f"TRAFFIC {argv[4]!r}: use on or free")
    if argv[0] == "shadow":
        shadow(argv[1], scale, int(argv[3]), argv[4] == "on", int(argv[5]))
    else:
        kpis(argv[1], scale, [int(c) for c in argv[3].split(",")], argv[4] == "on", argv[5])


if __name__ == "__main__":
    main(sys.argv[1:])
