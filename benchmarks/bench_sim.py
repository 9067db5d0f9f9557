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

- ``metropolis``: 1,000,000 requests and 10,000 vehicles on a synthetic
  metropolis of 200,000 nodes (``city:200000``), otherwise as ``city``; its
  stop table comes from a contraction hierarchy (automatic from 100,000
  nodes, :class:`idrt.sim.oracle.HierarchySubsetOracle`). Run it under
  ``/usr/bin/time -v`` for the whole process's CPU time and peak memory, or
  with ``--until-h`` for part of the day; the row says how far it got.
- ``metropolis_100k``: the metropolis' network with a tenth of its demand and
  fleet (100,000 requests, 1,000 vehicles): the step before the full day.
- ``metropolis_probe``: the metropolis' network and virtual stops, and 200
  sampled rows of a Dijkstra stop table, timed (what the table would cost
  without the hierarchy, projected).

Each case reports the wall time of the simulation proper (after a JIT
warm-up), the one-off setup (network, demand, travel-time tables), events
and requests per second, peak memory (max RSS of the process) and headline
KPIs.

Ratio cases (timings as ratios measured in one run, robust on a shared machine):

- ``traffic_ratio_default`` / ``traffic_ratio_expansion``: the default day
  (8 buses, 735 requests a day) and the Yeongjong expansion day (20 buses,
  3,000), traffic model on vs free flow, the network passed in, after a
  warm-up run of each (JIT, the slice tables of the historical link times);
  seeds 2-4 alternating, median of each; plus ``idrt.simulate(scn, seed)``
  straight from the scenario (network built in the call).
- ``scaling``: the default scenario with requests and fleet scaled together
  (``--scales``), free flow and traffic on: time per request.

Writes ``benchmarks/results/sim.json``: the latest run at the top level and
every earlier run under ``history`` (nothing is overwritten).

Usage::

    .venv/bin/python benchmarks/bench_sim.py                  # the day cases
    .venv/bin/python benchmarks/bench_sim.py --cases yeongjong
    .venv/bin/python benchmarks/bench_sim.py --cases traffic_ratio_default traffic_ratio_expansion
    .venv/bin/python benchmarks/bench_sim.py --cases scaling --scales 1 4 16
    .venv/bin/python benchmarks/bench_sim.py --cases scaling --set service.max_wait_s=600
    .venv/bin/python benchmarks/bench_sim.py --cases metropolis --until-h 7.5
    .venv/bin/python benchmarks/bench_sim.py --cases metropolis_probe
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
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


def _city(nodes: int = 50_000, requests: int = 100_000, vehicles: int = 1000):
    import idrt

    net = idrt.load_network(f"city:{nodes}")
    rng = np.random.default_rng(0)
    depots = [int(n) for n in rng.choice(net.node_ids, 40 * vehicles // 1000, replace=False)]
    scn = idrt.Scenario(name="city").with_overrides(
        {
            "network.source": f"city:{nodes}",
            "demand.trips_per_day": requests,
            "demand.area": "",
            "demand.attractors": "",
            "fleet.size": vehicles,
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


def _default(expansion: bool = False, traffic: bool = True):
    import idrt

    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    if expansion:
        scn = scn.with_overrides({"fleet.size": 20, "demand.trips_per_day": 3000})
    if not traffic:
        scn = scn.with_overrides({"traffic.signals": "none", "traffic.profile": ""})
    return scn


def traffic_ratio(name: str, seeds=(2, 3, 4)) -> dict:
    """Traffic on vs free flow (network passed in), and straight from the scenario."""
    import idrt
    from idrt.sim import build_network

    on = _default(expansion=name.endswith("expansion"))
    free = _default(expansion=name.endswith("expansion"), traffic=False)
    net = build_network(on)
    t0 = time.perf_counter()
    idrt.simulate(on, 1, network=net)  # JIT, the slice tables of the historical link times
    warm_on = time.perf_counter() - t0
    t0 = time.perf_counter()
    idrt.simulate(free, 1, network=net)  # JIT, the free-flow table
    warm_free = time.perf_counter() - t0
    times = {"on": [], "free": [], "from_scenario": []}
    requests = []
    for seed in seeds:
        for key, scn in (("on", on), ("free", free)):
            t0 = time.perf_counter()
            r = idrt.simulate(scn, seed, network=net)
            times[key].append(time.perf_counter() - t0)
        requests.append(len(r.requests))
        t0 = time.perf_counter()
        idrt.simulate(on, seed)  # network built in the call, as a planner's script does
        times["from_scenario"].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    row = {
        "case": name,
        "vehicles": on.fleet.size,
        "requests_per_seed": requests,
        "seeds": list(seeds),
        "first_run_s": {"traffic_on": warm_on, "free_flow": warm_free},
        "times_s": times,
        "median_s": med,
        "ratio_on_vs_free": med["on"] / med["free"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(
        f"{name}: traffic on {med['on']:.3f} s, free flow {med['free']:.3f} s "
        f"(ratio {row['ratio_on_vs_free']:.2f}), from the scenario {med['from_scenario']:.3f} s; "
        f"first runs (tables) on {warm_on:.1f} s, free {warm_free:.1f} s",
        flush=True,
    )
    return row


def scaling(scales, overrides: dict | None = None) -> dict:
    """Requests and fleet of the default scenario scaled together: time per request.

    ``overrides``: scenario overrides of every run (``--set``), e.g.
    ``{"service.max_wait_s": 600}`` or ``{"dispatch.max_candidates": 64}``
    (``benchmarks/candidate_cap.py`` measures what such a cap loses).
    """
    overrides = dict(overrides or {})
    import idrt
    from idrt.sim import build_network

    rows = []
    net = build_network(_default())
    # warm-up: JIT, slice tables, pruning's lower-bound table; with the smallest
    # scale's fleet too, so that no code path first met there compiles in its timed run
    for traffic in (False, True):
        for size in sorted({8 * scales[0], 16}):
            warm = _default(traffic=traffic).with_overrides({**overrides, "fleet.size": size})
            idrt.simulate(warm, 1, network=net)
    for k in scales:
        for traffic in (False, True):
            scn = _default(traffic=traffic).with_overrides(
                {**overrides, "fleet.size": 8 * k, "demand.trips_per_day": 735 * k}
            )
            t0, c0 = time.perf_counter(), time.process_time()
            r = idrt.simulate(scn, 1, network=net)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            n = len(r.requests)
            rows.append(
                {"scale": k, "traffic": traffic, "requests": n, "vehicles": 8 * k,
                 "simulate_s": dt, "ms_per_request": 1000 * dt / n,
                 "cpu_s": cpu, "cpu_ms_per_request": 1000 * cpu / n,
                 "load_average": os.getloadavg()}
            )  # fmt: skip
            print(
                f"scale {k:>3}x {'traffic on' if traffic else 'free flow ':>10}: {n:>6} requests, "
                f"{8 * k:>4} buses: {dt:7.2f} s ({1000 * dt / n:.2f} ms/request; "
                f"CPU {1000 * cpu / n:.2f} ms/request)",
                flush=True,
            )
    base = {r["traffic"]: r["ms_per_request"] for r in rows if r["scale"] == scales[0]}
    base_cpu = {r["traffic"]: r["cpu_ms_per_request"] for r in rows if r["scale"] == scales[0]}
    for r in rows:
        r["per_request_vs_smallest"] = r["ms_per_request"] / base[r["traffic"]]
        # CPU time of this process: what other jobs on a shared machine change least
        r["cpu_per_request_vs_smallest"] = r["cpu_ms_per_request"] / base_cpu[r["traffic"]]
    return {"case": "scaling", "overrides": overrides, "rows": rows}


def metropolis_probe(sample: int = 200) -> dict:
    """Time the metropolis' setup: network, virtual stops, a sample of stop-table rows.

    The rows are times only (``idrt.routing.many_to_many``); the simulator's
    stop table also walks each path for its length, so this is a lower bound.
    """
    import idrt
    from idrt import demand as dm
    from idrt.routing import many_to_many

    t0 = time.perf_counter()
    net = idrt.load_network("city:200000")
    network_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    area = dm.ServiceArea.from_nodes(net, net.node_ids, name=net.name)
    stops = dm.virtual_stops(net, area, spacing_m=400.0, max_walk_m=500.0)
    idx = np.asarray(net.index_of(stops.stop_nodes), dtype=np.int64)
    stops_s = time.perf_counter() - t0
    src = idx[np.random.default_rng(0).choice(idx.size, sample, replace=False)]
    graph = idrt.routing.CSRGraph(net.indptr, net.heads, net.edge_travel_time_s)
    many_to_many(graph, src[:4], idx)  # JIT
    t0 = time.perf_counter()
    many_to_many(graph, src, idx)
    rows_s = time.perf_counter() - t0
    row = {
        "case": "metropolis_probe",
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "stops": int(idx.size),
        "network_s": network_s,
        "virtual_stops_s": stops_s,
        "table_rows_sampled": sample,
        "table_rows_s": rows_s,
        "table_projected_s": rows_s * idx.size / sample,
        "table_bytes": 2 * 8 * int(idx.size) ** 2,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load_average": os.getloadavg(),
    }
    print(
        f"metropolis: {net.n_nodes} nodes built in {network_s:.1f} s, {idx.size} stops in "
        f"{stops_s:.1f} s; stop table projected {row['table_projected_s']:.0f} s "
        f"({row['table_bytes'] / 2**30:.1f} GiB); peak {row['peak_rss_mb']:.0f} MB",
        flush=True,
    )
    return row


def run_case(name: str, until_h: float | None = None, overrides: dict | None = None) -> dict:
    import idrt
    from idrt.sim import build_network, build_trips

    if name.startswith("traffic_ratio"):
        return traffic_ratio(name)
    if name == "metropolis_probe":
        return metropolis_probe()
    t0 = time.perf_counter()
    if name == "city":
        scn, net = _city()
    elif name == "metropolis":
        scn, net = _city(nodes=200_000, requests=1_000_000, vehicles=10_000)
        scn = scn.with_overrides({"output.events": False})
    elif name == "metropolis_100k":  # a tenth of the metropolis' demand and fleet
        scn, net = _city(nodes=200_000, requests=100_000, vehicles=1000)
        scn = scn.with_overrides({"output.events": False})
    else:
        scn = _yeongjong(traffic=name != "yeongjong_free")
        net = build_network(scn)
    if overrides:  # --set, e.g. dispatch.max_candidates=0: the exact search in the city
        scn = scn.with_overrides(overrides)
    network_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    trips = build_trips(scn, net, seed=1)
    day_requests = len(trips)
    if until_h is not None:  # part of the day: requests booked before until_h
        trips = trips[trips["booking_time_s"] < until_h * 3600.0].reset_index(drop=True)
    demand_s = time.perf_counter() - t0
    # warm-up: JIT (cached on disk) and the travel-time tables of this network
    t0 = time.perf_counter()
    idrt.simulate(scn, network=net, trips=trips.head(200), seed=1)
    warmup_s = time.perf_counter() - t0
    tables = {}
    from idrt.sim import oracle as oracle_module

    for orc in getattr(oracle_module, "_CACHE", {}).get(net, {}).values():
        for key in ("hierarchy_build_s", "table_build_s"):
            if hasattr(orc, key):
                tables[key] = getattr(orc, key)
        if hasattr(orc, "table_s"):
            tables["table_nodes"] = int(orc.table_s.shape[0])
            tables["oracle"] = type(orc).__name__
    t0, c0 = time.perf_counter(), time.process_time()
    result = idrt.simulate(scn, network=net, trips=trips, seed=1)
    total_s, total_cpu_s = time.perf_counter() - t0, time.process_time() - c0
    summary = result.summary()
    row = {
        "case": name if until_h is None else f"{name}_until_{until_h:g}h",
        "overrides": dict(overrides or {}),
        "max_candidates": scn.dispatch.max_candidates,
        "nodes": net.n_nodes,
        "vehicles": scn.fleet.size,
        "requests": len(trips),
        "requests_in_day": day_requests,
        "mode": scn.service.mode,
        "setup_s": {"network": network_s, "demand": demand_s, "warmup_and_tables": warmup_s},
        "tables": tables,
        "load_average": os.getloadavg(),
        "simulate_s": result.wall_s,
        "simulate_with_tables_s": total_s,
        # CPU time of the process over the same call (the simulation is one
        # thread): close to the wall time on a quiet machine, and what other
        # jobs on a shared one change least
        "simulate_with_tables_cpu_s": total_cpu_s,
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


def _overrides(pairs: list[str]) -> dict:
    """``KEY=VALUE`` pairs as scenario overrides, each value read as TOML (``600``, ``"x"``)."""
    import tomllib

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set {pair!r}: expected KEY=VALUE, e.g. service.max_wait_s=600")
        try:
            out[key.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            out[key.strip()] = value.strip()  # a bare word: a string
    if out:  # a wrong key or value is said now, not after the network is built
        import idrt

        try:
            idrt.Scenario().with_overrides(out)
        except idrt.errors.ScenarioError as err:
            raise SystemExit(f"--set: {err}") from None
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["yeongjong", "yeongjong_free", "city"])
    parser.add_argument("--scales", nargs="+", type=int, default=[1, 4, 16])
    parser.add_argument(
        "--until-h", type=float, default=None, help="only requests booked before this hour"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="a scenario override of every run (TOML value), e.g. service.max_wait_s=600",
    )  # fmt: skip
    parser.add_argument("--out", default=str(HERE / "results" / "sim.json"))
    args = parser.parse_args(argv)
    import numba

    cases = []
    for name in args.cases:
        if name == "scaling":
            cases.append(scaling(args.scales, _overrides(args.set)))
        else:
            cases.append(run_case(name, args.until_h, _overrides(args.set)))
    result = {
        "benchmark": "sim",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "python": sys.version.split()[0],
        },
        "command": "benchmarks/bench_sim.py " + " ".join(argv if argv else sys.argv[1:]),
        "cases": cases,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():  # keep every earlier run
        previous = json.loads(out.read_text())
        history = previous.pop("history", [])
        result["history"] = [*history, previous]
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
