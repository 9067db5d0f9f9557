"""Evidence for the default dispatch weights: w_wait x fleet size, and w_drive.

Run from the project root::

    python experiments/dispatch_weights.py [--seeds 3] [--paired-seeds 10] \
        [--out out/dispatch_weights]

Two sweeps of the default scenario (experiments/yeongjong.toml), common random
numbers (seeds 1..N at every point), in this process:

1. ``dispatch.w_wait`` in {0.2, 0.5, 1, 2} x ``fleet.size`` in {6, 8, 12, 16};
2. ``dispatch.w_drive`` in {0, 0.25, 1} x ``dispatch.w_wait`` in {0.2, 1} at the
   default fleet (8);
3. paired: ``dispatch.w_wait`` in {0.5, 1} against the default 0.2 at 8 and 12
   buses over ``--paired-seeds`` seeds: the mean per-seed difference of each
   KPI with a 95 % t interval (common random numbers make the pairs).

Prints per point the mean over seeds of the p95 and mean wait (min), the
served share, vehicle-km per passenger and mean ride time (min), with the
half-width of a 95 % t interval over the seeds for the p95 wait and the
vehicle-km; writes both tables as CSV under ``--out``. docs/dispatch.md
quotes the result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import idrt
from idrt.sim import build_network

HERE = Path(__file__).resolve().parent
KPIS = {
    "wait_p95_s": ("p95 wait, min", 60.0),
    "wait_mean_s": ("mean wait, min", 60.0),
    "served_share": ("served", 1.0),
    "vehicle_km_per_passenger": ("veh-km / pax", 1.0),
    "in_vehicle_mean_s": ("ride, min", 60.0),
}


def _table(runs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean over seeds per grid point, with 95 % t half-widths for two KPIs."""
    rows = []
    for point, g in runs.groupby(keys, sort=True):
        row = dict(zip(keys, np.atleast_1d(point), strict=True))
        for kpi, (name, scale) in KPIS.items():
            x = g[kpi].to_numpy(float) / scale
            row[name] = x.mean()
            if kpi in ("wait_p95_s", "vehicle_km_per_passenger") and len(x) > 1:
                row[name + " ±"] = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        rows.append(row)
    return pd.DataFrame(rows)


def _paired(runs: pd.DataFrame, base: float = 0.2) -> pd.DataFrame:
    """Per fleet and w_wait: mean per-seed difference from ``w_wait = base``, 95 % t CI."""
    rows = []
    key = ["fleet.size", "seed"]
    ref = runs[runs["dispatch.w_wait"] == base].set_index(key)
    for (fleet, w), g in runs[runs["dispatch.w_wait"] != base].groupby(
        ["fleet.size", "dispatch.w_wait"]
    ):
        g = g.set_index(key)
        row = {"fleet.size": fleet, "dispatch.w_wait": w, "seeds": len(g)}
        for kpi, (name, scale) in KPIS.items():
            d = (g[kpi] - ref.loc[g.index, kpi]).to_numpy(float) / scale
            half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
            row[f"Δ {name}"] = f"{d.mean():+.3f} [{d.mean() - half:+.3f}, {d.mean() + half:+.3f}]"
        rows.append(row)
    return pd.DataFrame(rows)


def main() -> None:
    """Run both sweeps, print the tables and write them as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--paired-seeds", type=int, default=10)
    parser.add_argument("--out", default="out/dispatch_weights")
    args = parser.parse_args()
    scn = idrt.Scenario.from_toml(HERE / "yeongjong.toml")
    net = build_network(scn)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    studies = {
        "w_wait_by_fleet": {
            "dispatch.w_wait": [0.2, 0.5, 1.0, 2.0],
            "fleet.size": [6, 8, 12, 16],
        },
        "w_drive": {"dispatch.w_drive": [0.0, 0.25, 1.0], "dispatch.w_wait": [0.2, 1.0]},
    }
    pd.set_option("display.width", 160)
    for name, grid in studies.items():
        runs = idrt.sweep(scn, grid, seeds=args.seeds, network=net, workers=1, progress=True)
        table = _table(runs, list(grid))
        table.to_csv(out / f"{name}.csv", index=False)
        print(f"\n{name} ({args.seeds} seeds)\n{table.round(3).to_string(index=False)}")
    grid = {"dispatch.w_wait": [0.2, 0.5, 1.0], "fleet.size": [8, 12]}
    runs = idrt.sweep(scn, grid, seeds=args.paired_seeds, network=net, workers=1, progress=True)
    table = _paired(runs)
    table.to_csv(out / "paired.csv", index=False)
    print(
        f"\npaired against w_wait = 0.2 ({args.paired_seeds} seeds)\n{table.to_string(index=False)}"
    )


if __name__ == "__main__":
    main()
