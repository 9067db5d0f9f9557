"""Two source trees of idrt, back to back on one case: wall times and identical tables.

On a shared machine absolute times move with the load; running the old and
the new code one after the other on the same case, alternating, gives a
ratio and checks that the results did not change (request tables compared
exactly).

Usage (the old tree e.g. from ``git worktree add /tmp/old 56a298c``)::

    .venv/bin/python benchmarks/bench_paired.py --old /tmp/old --new . --case city
    .venv/bin/python benchmarks/bench_paired.py --old /tmp/old --new . --case city --until-h 9

Appends a row to ``benchmarks/results/paired.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = """
import sys, time, pickle
sys.path.insert(0, {bench!r})
import idrt
from bench_sim import _city
from idrt.sim import build_trips
case, until_h, out = {case!r}, {until_h!r}, {out!r}
if case == "city":
    scn, net = _city()
else:
    scn, net = _city(nodes=5000, requests=20000, vehicles=200)
scn = scn.with_overrides({{"output.events": False}})
trips = build_trips(scn, net, seed=1)
if until_h is not None:
    trips = trips[trips["booking_time_s"] < until_h * 3600.0].reset_index(drop=True)
idrt.simulate(scn, network=net, trips=trips.head(200), seed=1)  # JIT, tables
r = idrt.simulate(scn, network=net, trips=trips, seed=1)
pickle.dump((r.wall_s, len(trips), r.requests), open(out, "wb"))
"""


def _run(tree: str, case: str, until_h, out: str) -> None:
    code = _CHILD.format(bench=str(HERE), case=case, until_h=until_h, out=out)
    env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tree)


def main(argv=None):
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="source tree of the old code")
    parser.add_argument("--new", default=str(HERE.parent), help="source tree of the new code")
    parser.add_argument("--case", choices=["city", "city_small"], default="city_small")
    parser.add_argument("--until-h", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "paired.json"))
    args = parser.parse_args(argv)
    times = {"old": [], "new": []}
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for key in ("old", "new"):
                path = os.path.join(tmp, f"{key}.pkl")
                _run(getattr(args, key), args.case, args.until_h, path)
                wall, n, tables[key] = pd.read_pickle(path)
                times[key].append(wall)
                print(f"{key}: {wall:.2f} s ({n} requests)", flush=True)
    try:
        pd.testing.assert_frame_equal(tables["old"], tables["new"], check_exact=True)
        identical = True
    except AssertionError:
        identical = False
    row = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "benchmarks/bench_paired.py " + " ".join(argv if argv else sys.argv[1:]),
        "case": args.case if args.until_h is None else f"{args.case}_until_{args.until_h:g}h",
        "requests": n,
        "simulate_s": times,
        "old_over_new": min(times["old"]) / min(times["new"]),
        "identical_requests_table": identical,
        "load_average": os.getloadavg(),
    }
    print(f"old / new = {row['old_over_new']:.2f}, identical tables: {identical}")
    out = Path(args.out)
    rows = json.loads(out.read_text())["runs"] if out.exists() else []
    out.write_text(json.dumps({"benchmark": "paired", "runs": [*rows, row]}, indent=2))


if __name__ == "__main__":
    main()
