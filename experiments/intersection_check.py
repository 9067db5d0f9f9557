"""Intersection check: SUMO's microscopic signals against idrt's d1 + d2.

One fixed-time intersection (and a corridor of three) in SUMO, Poisson
arrivals at degrees of saturation X = 0.3 ... 1.1, control delay per vehicle
against idrt's HCM d1 + d2 for the same cycle, effective green and the
saturation flow measured from SUMO's own discharge; then SUMO's actuated
control against idrt's adaptive (Webster) model. The logic is in
:mod:`idrt.interop.intersection`; see ``docs/sumo.md`` for the results.

Usage::

    .venv/bin/python experiments/intersection_check.py              # full study (~30 min)
    .venv/bin/python experiments/intersection_check.py --quick      # 3 X values, 5 replications
    .venv/bin/python experiments/intersection_check.py --replot     # plot from table.csv

Writes ``experiments/intersection_check/table.csv``, ``saturation.json`` and
``delay_vs_x.png``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main(argv: list[str] | None = None) -> int:
    """Run the study and write the table, the saturation figures and the plot."""
    import matplotlib

    matplotlib.use("Agg")
    from idrt.interop.intersection import (
        IntersectionSetup,
        intersection_check,
        plot_intersection_check,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 X values, 5 replications")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "intersection_check"))
    parser.add_argument("--work", default=None, help="SUMO working folder (default: a temp dir)")
    parser.add_argument("--replot", action="store_true", help="redraw the plot from table.csv")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.replot:
        import pandas as pd

        from idrt.interop.intersection import Saturation

        table = pd.read_csv(out / "table.csv")
        sat = json.loads((out / "saturation.json").read_text())["saturation"]
        sat = Saturation(**{**sat, "effective_green_s": tuple(sat["effective_green_s"]),
                            "lost_time_s": tuple(sat["lost_time_s"])})  # fmt: skip
        plot_intersection_check(table, sat).savefig(out / "delay_vs_x.png", dpi=130)
        return 0

    setup = IntersectionSetup(replications=5 if args.quick else args.replications)
    xs = (0.5, 0.9, 1.1) if args.quick else (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        table, saturation = intersection_check(work, x_values=xs, setup=setup, seed=args.seed)
    table.round(4).to_csv(out / "table.csv", index=False)
    meta = {"setup": dataclasses.asdict(setup), "saturation": dataclasses.asdict(saturation)}
    (out / "saturation.json").write_text(json.dumps(meta, indent=2) + "\n")
    fig = plot_intersection_check(table, saturation)
    fig.savefig(out / "delay_vs_x.png", dpi=130)
    show = table[["layout", "control", "x", "group", "sumo_delay_s", "idrt_delay_s", "ratio"]]
    print(show.round(2).to_string(index=False))
    print(f"saturation flow {saturation.flow_vph:.0f} veh/h/lane; wrote {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
