"""Replay benchmark: a trip file of N rows on the Delft network (issue 13 §2).

A planner replays a day's trip log. This times, for each size, the import of
the CSV (parse, snap to the network) and the simulation of the replay
(immediate insertion, the repro scenario of ``../shared/data/repro/
delft_replan``: traffic model on, diversion on, fleet ``--fleet``), and
reports seconds per 1,000 requests, so a super-linear cost shows as a per-
request time that grows with N. The trip files are drawn (seeded) from the
repro's 500 real origins and destinations with 50 m jitter and uniform
request times over 7:00-19:54.

Writes ``benchmarks/results/replay.json``. Needs ``../shared/data``.

Usage::

    .venv/bin/python benchmarks/bench_replay.py                     # 10,000 and 200,000
    .venv/bin/python benchmarks/bench_replay.py --sizes 2000 20000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REPRO = REPO.parent / "shared" / "data" / "repro" / "delft_replan"


def write_trips(path: Path, n: int, seed: int = 0) -> None:
    """``n`` trip rows (``request_time`` HH:MM:SS and lon/lat ends) drawn from the repro."""
    src = pd.read_csv(REPRO / "trips.csv")
    rng = np.random.default_rng(seed)
    frame = src.iloc[rng.integers(0, len(src), n)].reset_index(drop=True)
    t = np.sort(rng.uniform(7 * 3600, 19.9 * 3600, n)).astype(int)
    frame["request_time"] = [f"{x // 3600:02d}:{x % 3600 // 60:02d}:{x % 60:02d}" for x in t]
    for column, sd in (("origin_lon", 5e-4), ("destination_lon", 5e-4)):
        frame[column] += rng.normal(0.0, sd, n)
    for column, sd in (("origin_lat", 3e-4), ("destination_lat", 3e-4)):
        frame[column] += rng.normal(0.0, sd, n)
    frame.round(6).to_csv(path, index=False)


def run(n: int, fleet: int, workdir: Path) -> dict:
    import idrt
    from idrt import demand as dm
    from idrt.sim.assembly import build_network

    trips = workdir / f"trips_{n}.csv"
    write_trips(trips, n)
    scn = idrt.Scenario.from_toml(REPRO / "scenario.toml").with_overrides(
        {"demand.trips": str(trips), "fleet.size": fleet}
    )
    net = build_network(scn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rows far from any road are dropped with a note
        t0 = time.perf_counter()
        demand = dm.from_csv(trips, net)
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = idrt.simulate(scn, seed=1, network=net)
        total_s = time.perf_counter() - t0
    status = result.requests["status"].value_counts()
    return {
        "rows": n,
        "requests": len(result.requests),
        "fleet": fleet,
        "import_s": round(import_s, 2),
        "simulate_s": round(total_s, 2),
        "s_per_1000_requests": round(1000 * total_s / max(len(result.requests), 1), 3),
        "served": int(status.get("served", 0)),
        "rejected": int(status.get("rejected", 0)),
        "events": len(result.events),
        "imported": len(demand.trips),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 200_000])
    parser.add_argument("--fleet", type=int, default=8)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "replay.json")
    args = parser.parse_args(argv)
    if not REPRO.exists():
        sys.exit(f"reference data {REPRO} missing (../shared/data beside the repo)")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            row = run(n, args.fleet, Path(tmp))
            print(json.dumps(row), flush=True)
            rows.append(row)
    doc = {
        "benchmark": "replay",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "note": "wall times on a shared machine: compare s_per_1000_requests within one run",
        "cases": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
