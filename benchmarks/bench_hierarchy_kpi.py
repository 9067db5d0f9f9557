"""Stop tables from a contraction hierarchy vs Dijkstra's: KPIs of 20 seeds side by side.

The hierarchy oracle (``oracle="hierarchy"``, automatic from 100,000 nodes)
is exact but not bit-identical to the Dijkstra tables: the same fastest
times summed in another order (a few ulps apart) and, where two paths are
equally fast, possibly the other one's length. This runs a stop-based day
with both oracles over 20 seeds and reports per KPI the largest difference,
next to its spread over the seeds (the noise a planner sees anyway), and how
many request tables came out identical.

Usage::

    .venv/bin/python benchmarks/bench_hierarchy_kpi.py
    # -> benchmarks/results/hierarchy_kpi_20_seeds.json
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv=None):
    import idrt
    from idrt.sim import build_network

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--out", default=str(HERE / "results" / "hierarchy_kpi_20_seeds.json"))
    args = parser.parse_args(argv)
    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml").with_overrides(
        {"service.mode": "stop_based", "traffic.profile": "", "traffic.signals": "none"}
    )
    net = build_network(scn)
    kpis = {"subset": [], "hierarchy": []}
    identical = 0
    cols = ["request_id", "status", "vehicle", "pickup_node", "dropoff_node"]
    for seed in range(1, args.seeds + 1):
        runs = {k: idrt.simulate(scn, seed, network=net, oracle=k) for k in kpis}
        for k, r in runs.items():
            kpis[k].append({key: float(v) for key, v in r.summary().items()})
        same = runs["subset"].requests[cols].equals(runs["hierarchy"].requests[cols])
        identical += int(same)
        print(f"seed {seed}: decisions identical {same}", flush=True)
    names = list(kpis["subset"][0])
    table = {}
    for name in names:
        a = np.array([row[name] for row in kpis["subset"]])
        b = np.array([row[name] for row in kpis["hierarchy"]])
        diff = np.abs(a - b)
        table[name] = {
            "max_abs_difference": float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.0,
            "mean_dijkstra": float(np.nanmean(a)),
            "mean_hierarchy": float(np.nanmean(b)),
            "sd_over_seeds": float(np.nanstd(a, ddof=1)),
        }
    result = {
        "benchmark": "hierarchy_kpi_20_seeds",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "what": "default island, stop-based, free flow; Result.summary() with oracle='subset' "
        "(Dijkstra stop tables) and oracle='hierarchy' (contraction hierarchy), seeds 1-N",
        "command": "benchmarks/bench_hierarchy_kpi.py " + " ".join(argv or sys.argv[1:]),
        "seeds": args.seeds,
        "request_tables_identical": identical,
        "kpi": table,
    }
    out = Path(args.out)
    out.write_text(json.dumps(result, indent=2))
    worst = max(
        (v["max_abs_difference"] / v["sd_over_seeds"] if v["sd_over_seeds"] > 0 else 0.0)
        for v in table.values()
    )
    print(f"{identical}/{args.seeds} request tables identical; largest difference "
          f"{worst:.2g} seed-SDs; wrote {out}")  # fmt: skip


if __name__ == "__main__":
    main()
