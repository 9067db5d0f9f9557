"""Simulator benchmark: a Yeongjong expansion day and a city-scale day.

Cases:
- ``yeongjong``: the default synthetic island, 20 vehicles, 3,000 requests a
  day (an expansion case), door-to-door, immediate insertion, with the
  default scenario's traffic (weekday congestion, fixed-time signals: hourly
  planning slices, realised link times and signal draws).
- ``yeongjong_free``: the same without the traffic model (free-flow links, no
  signals: one dense all-pairs table).
- ``city``: a 50,000-node synthetic city, 1,000 vehicles, 100,000 requests,
  stop-based service (virtual stops every 400 m, walks up to 500 m, the
  nearest stop at each end), each request offered to the 30 nearest vehicles,
  no en-route diversion (a vehicle reaches its current target before turning).

Each case reports the wall time of the simulation proper (after a JIT
warm-up), the one-off setup (network, demand, travel-time tables), events
and requests per second, peak memory (max RSS of the process) and headline
KPIs. Writes ``benchmarks/results/sim.json``.

Usage::

    .venv/bin/python benchmarks/bench_sim.py                  # all cases
    .venv/bin/python benchmarks/bench_sim.py --cases yeongjong
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _yeongjong(traffic: bool = True):
    import idrt

    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    scn = scn.with_overrides({"fleet.size": 20, "demand.trips_per_day": 3000})
    if not traffic:
        scn = scn.with_overrides({"traffic.signals": "none", "traffic.profile": ""})
    return scn


def _city():
    import idrt

    net = idrt.load_network("city:50000")
    rng = np.random.default_rng(0)
    depots = [int(n) for n in rng.choice(net.node_ids, 40, replace=False)]
    scn = idrt.Scenario(name="city").with_overrides(
        {
            "network.source": "city:50000",
            "demand.trips_per_day": 100_000,
            "demand.area": "",
            "demand.attractors": "",
            "fleet.size": 1000,
            "fleet.capacity": 8,
            "fleet.depots": depots,
            "service.mode": "stop_based",
            "service.start_h": 0.0,
            "service.end_h": 24.0,
            "service.max_wait_s": 900.0,
            "service.stop_spacing_m": 400.0,
            "service.max_walk_m": 500.0,
            "service.stop_candidates": 1,
            "dispatch.max_candidates": 30,
            "dispatch.diversion": False,
            "output.events": True,
            # free flow, as when the 47 s figure was measured; the traffic
            # model's cost is measured on the Yeongjong cases
            "traffic.signals": "none",
            "traffic.profile": "",
        }
    )
    return scn, net


def run_case(name: str) -> dict:
    import idrt
    from idrt.sim import build_network, build_trips

    t0 = time.perf_counter()
    if name == "city":
        scn, net = _city()
    else:
        scn = _yeongjong(traffic=name != "yeongjong_free")
        net = build_network(scn)
    network_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    trips = build_trips(scn, net, seed=1)
    demand_s = time.perf_counter() - t0
    # warm-up: JIT (cached on disk) and the travel-time tables of this network
    t0 = time.perf_counter()
    idrt.simulate(scn, network=net, trips=trips.head(200), seed=1)
    warmup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = idrt.simulate(scn, network=net, trips=trips, seed=1)
    total_s = time.perf_counter() - t0
    summary = result.summary()
    row = {
        "case": name,
        "nodes": net.n_nodes,
        "vehicles": scn.fleet.size,
        "requests": len(trips),
        "mode": scn.service.mode,
        "setup_s": {"network": network_s, "demand": demand_s, "warmup_and_tables": warmup_s},
        "simulate_s": result.wall_s,
        "simulate_with_tables_s": total_s,
        "events": len(result.events),
        "events_per_s": len(result.events) / result.wall_s,
        "requests_per_s": len(trips) / result.wall_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "kpi": {k: float(v) for k, v in summary.items()},
    }
    print(
        f"{name:>10}: {len(trips):>7} requests, {scn.fleet.size:>4} vehicles, "
        f"{net.n_nodes:>6} nodes | simulate {result.wall_s:6.2f} s "
        f"({row['events_per_s']:,.0f} events/s, {row['requests_per_s']:,.0f} requests/s) | "
        f"setup {network_s + demand_s + warmup_s:5.1f} s | peak {row['peak_rss_mb']:,.0f} MB | "
        f"served {summary.served_share:.1%}, wait mean {summary.wait_mean_s / 60:.1f} min"
    )
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["yeongjong", "yeongjong_free", "city"])
    parser.add_argument("--out", default=str(HERE / "results" / "sim.json"))
    args = parser.parse_args(argv)
    import numba

    result = {
        "benchmark": "sim",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "python": sys.version.split()[0],
        },
        "cases": [run_case(name) for name in args.cases],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
