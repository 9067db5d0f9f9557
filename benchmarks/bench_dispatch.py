"""Dispatch-policy benchmark: batch assignment and rebalancing against immediate insertion.

Cases (the same as ``bench_sim.py``):
- ``yeongjong``: the synthetic island, 20 vehicles, 3,000 requests a day,
  door-to-door, with the traffic model off (free-flow link times, no signals)
  so that only the dispatch policy differs between runs.
- ``default_traffic``: the default day (8 buses, 735 requests a day,
  door-to-door) with the traffic model on (weekday congestion, fixed-time
  signals), as the scenario ships.
- ``city``: a 50,000-node synthetic city, 1,000 vehicles, 100,000 requests,
  stop-based (virtual stops every 400 m, walks up to 500 m), each request
  offered to the 30 nearest vehicles, no en-route diversion.

Policies:
- ``immediate``: cheapest insertion at booking (the default).
- ``batch_k1``: 30 s batches, one request per vehicle per batch
  (``linear_sum_assignment``).
- ``batch_k2``: 30 s batches, up to two requests per vehicle per batch
  (RTV trips, set-partitioning LP/``milp``).
- ``batch_k2_reopt``: as ``batch_k2``, and riders not yet picked up may move.
- ``immediate_mcf``: immediate insertion with min-cost-flow rebalancing of
  idle vehicles every 5 min (zones of 1 km, 30 min horizon).

Every run uses the same requests (seed 1). Reported per run: wall time of the
simulation (after a JIT warm-up on the first 200 requests), batches solved and
their solver time, and KPIs (wait mean / p95, served share, vehicle-km per
passenger, rebalancing km). Writes ``benchmarks/results/bench_dispatch.json``.

Usage::

    .venv/bin/python benchmarks/bench_dispatch.py                       # everything
    .venv/bin/python benchmarks/bench_dispatch.py --cases yeongjong
    .venv/bin/python benchmarks/bench_dispatch.py --cases city --policies immediate batch_k1
    .venv/bin/python benchmarks/bench_dispatch.py --cases city --until-h 8 \
        --policies immediate batch_k2_reopt          # a shorter day (requests before 08:00)

Results are merged into the JSON file run by run (a run replaces the stored
one of the same case and policy, which moves to ``history``), so long cases
can be run separately. Each row has ``ratio_to_immediate`` when the same
invocation ran ``immediate`` on that case (a ratio in one run survives a
noisy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

POLICIES = {
    "immediate": {},
    "batch_k1": {"dispatch.mode": "batch", "dispatch.max_trip_size": 1},
    "batch_k2": {"dispatch.mode": "batch", "dispatch.max_trip_size": 2},
    "batch_k2_reopt": {
        "dispatch.mode": "batch",
        "dispatch.max_trip_size": 2,
        "dispatch.reoptimise": True,
    },
    "immediate_mcf": {"rebalancing.strategy": "min_cost_flow"},
}
KPIS = (
    "requests",
    "served_share",
    "wait_mean_s",
    "wait_p95_s",
    "in_vehicle_mean_s",
    "vehicle_km",
    "vehicle_km_per_passenger",
    "rebalancing_km",
    "shared_ride_share",
    "passengers_per_vehicle_hour",
)


def _yeongjong():
    import idrt

    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    return scn.with_overrides(
        {
            "fleet.size": 20,
            "demand.trips_per_day": 3000,
            "traffic.signals": "none",
            "traffic.profile": "",
        }
    )


def _default_traffic():
    import idrt

    return idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")


def _city():
    """The city case of bench_sim.py (free flow), without the event log."""
    from bench_sim import _city as city_case

    scn, net = city_case()
    return scn.with_overrides({"output.events": False}), net


def _instrument():
    """Count batches and time the solver (wraps the dispatcher's solve)."""
    from idrt.sim import batching

    stats = {"batches": 0, "solve_s": 0.0, "moved": 0}
    original = batching.BatchDispatcher.solve

    def solve(self):
        t0 = time.perf_counter()
        before = self.moved
        original(self)
        stats["batches"] += 1
        stats["solve_s"] += time.perf_counter() - t0
        stats["moved"] += self.moved - before

    batching.BatchDispatcher.solve = solve
    return stats, lambda: setattr(batching.BatchDispatcher, "solve", original)


def run_case(name: str, policies: list[str], until_h: float | None = None):
    """Run every policy on one case; yields one result row per policy."""
    import idrt
    from idrt.sim import build_network, build_trips

    t0 = time.perf_counter()
    if name == "city":
        scn, net = _city()
    else:
        scn = _default_traffic() if name == "default_traffic" else _yeongjong()
        net = build_network(scn)
    trips = build_trips(scn, net, seed=1)
    if until_h is not None:  # a shorter day: requests booked before until_h
        trips = trips[trips["booking_time_s"] < until_h * 3600.0].reset_index(drop=True)
    if name == "default_traffic":  # the slice tables of the whole day, built once
        idrt.simulate(scn, network=net, trips=trips, seed=1)
    setup_s = time.perf_counter() - t0
    immediate_s = None
    for policy in policies:
        s = scn.with_overrides(POLICIES[policy])
        t0 = time.perf_counter()
        idrt.simulate(s, network=net, trips=trips.head(200), seed=1)  # JIT and tables
        warmup_s = time.perf_counter() - t0
        stats, restore = _instrument()
        try:
            result = idrt.simulate(s, network=net, trips=trips, seed=1)
        finally:
            restore()
        k = result.summary()
        if policy == "immediate":
            immediate_s = result.wall_s
        row = {
            "case": name if until_h is None else f"{name}_until_{until_h:g}h",
            "policy": policy,
            "overrides": POLICIES[policy],
            "nodes": net.n_nodes,
            "vehicles": s.fleet.size,
            "requests": len(trips),
            "setup_s": setup_s,
            "warmup_s": warmup_s,
            "simulate_s": result.wall_s,
            "batches": stats["batches"],
            "batch_solve_s": stats["solve_s"],
            "ratio_to_immediate": result.wall_s / immediate_s if immediate_s else None,
            "riders_moved": stats["moved"],
            "kpi": {key: float(k[key]) for key in KPIS},
        }
        print(
            f"{row['case']:>9} {policy:>15}: simulate {result.wall_s:7.1f} s "
            f"(batches {stats['batches']:>5}, solver {stats['solve_s']:6.1f} s) | served "
            f"{k.served_share:6.1%} | wait mean {k.wait_mean_s / 60:5.2f} min, p95 "
            f"{k.wait_p95_s / 60:5.2f} min | {k.vehicle_km_per_passenger:5.3f} veh-km/pax | "
            f"rebalancing {k.rebalancing_km:7.1f} km",
            flush=True,
        )
        yield row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["yeongjong", "city"])
    parser.add_argument("--policies", nargs="+", default=list(POLICIES), choices=list(POLICIES))
    parser.add_argument(
        "--until-h", type=float, default=None, help="only requests booked before this hour"
    )
    parser.add_argument("--out", default=str(HERE / "results" / "bench_dispatch.json"))
    args = parser.parse_args(argv)
    import numba

    out = Path(args.out)
    previous = json.loads(out.read_text()) if out.exists() else {}
    runs = list(previous.get("runs", []))
    history = list(previous.get("history", []))
    for name in args.cases:
        for row in run_case(name, args.policies, args.until_h):
            # a new row replaces the stored one of the same case and policy
            same = [r for r in runs if (r["case"], r["policy"]) == (row["case"], row["policy"])]
            history.extend(same)
            runs = [r for r in runs if (r["case"], r["policy"]) != (row["case"], row["policy"])]
            row["command"] = "benchmarks/bench_dispatch.py " + " ".join(
                argv if argv else sys.argv[1:]
            )
            row["date"] = datetime.now(UTC).isoformat(timespec="seconds")
            runs.append(row)
            result = {
                "benchmark": "dispatch",
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "numba_threads": numba.get_num_threads(),
                    "python": sys.version.split()[0],
                },
                "runs": runs,
                "history": history,
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
