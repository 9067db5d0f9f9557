"""Batch dispatch, old and new code back to back: policy / immediate ratios per tree.

On the shared machine absolute times move with the load, so each tree runs
in its own process that times immediate dispatch and the batch policies
alternately (three rounds, medians) on the same requests; the trees
alternate too (``--rounds``). What is compared is each tree's ratio of a
batch policy to immediate dispatch, measured in one process.

Cases: ``default_traffic`` (the default day, traffic model on: immediate,
batch k=1, batch k=2) and ``yeongjong`` (the expansion day's requests before
``--until-h``, free flow: immediate, batch k=2 + re-optimisation), as in
``bench_dispatch.py``, and ``city`` (requests before 07:00: immediate, batch
k=2). Ratios are given for wall time (``times``) and CPU time (``cpu``,
``time.process_time`` of the process, steadier on a shared machine).

Usage (the old tree e.g. from ``git archive REV | tar -x -C /tmp/old``)::

    .venv/bin/python benchmarks/bench_batch_paired.py --old /tmp/old --rounds 2

Appends a row to ``benchmarks/results/batch_paired.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CHILD = """
import sys, json, os, time
sys.path.insert(0, {bench!r})
import idrt
from idrt.sim import build_network, build_trips
import bench_dispatch as bd
case, until, out, policies = {case!r}, {until!r}, {out!r}, {policies!r}
if case == "city":
    scn, net = bd._city()
else:
    scn = bd._default_traffic() if case == "default_traffic" else bd._yeongjong()
    net = build_network(scn)
trips = build_trips(scn, net, seed=1)
if until:
    trips = trips[trips["booking_time_s"] < until * 3600].reset_index(drop=True)
if case == "default_traffic":  # the day's slice tables, built once
    idrt.simulate(scn, network=net, trips=trips, seed=1)
for p in policies:  # JIT
    idrt.simulate(scn.with_overrides(bd.POLICIES[p]), network=net, trips=trips.head(200), seed=1)
times = {{p: [] for p in policies}}
cpu = {{p: [] for p in policies}}
for _ in range({rounds!r}):
    for p in policies:
        s = scn.with_overrides(bd.POLICIES[p])
        c0 = time.process_time()
        times[p].append(idrt.simulate(s, network=net, trips=trips, seed=1).wall_s)
        cpu[p].append(time.process_time() - c0)
json.dump({{"times": times, "cpu": cpu, "requests": len(trips)}}, open(out, "w"))
"""

CASES = {
    "default_traffic": (None, ["immediate", "batch_k1", "batch_k2"]),
    "yeongjong": (8.0, ["immediate", "batch_k2_reopt"]),
    "city": (7.0, ["immediate", "batch_k2"]),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="source tree of the old code")
    parser.add_argument("--new", default=str(HERE.parent), help="source tree of the new code")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument(
        "--until-h", type=float, default=None, help="yeongjong: requests before (0: whole day)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--child-rounds", type=int, default=3, help="runs of each policy per tree and round"
    )
    parser.add_argument("--out", default=str(HERE / "results" / "batch_paired.json"))
    args = parser.parse_args(argv)
    ratios: dict = {}
    seconds: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for key in ("old", "new"):
                tree = str(Path(getattr(args, key)).resolve())
                for case in args.cases:
                    until, policies = CASES[case]
                    if case == "yeongjong" and args.until_h is not None:
                        until = args.until_h or None  # 0: the whole day
                    out = os.path.join(tmp, "child.json")
                    code = _CHILD.format(
                        bench=str(HERE), case=case, until=until, out=out, policies=policies,
                        rounds=args.child_rounds,
                    )  # fmt: skip
                    env = {**os.environ, "PYTHONPATH": tree}
                    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tree)
                    got = json.loads(Path(out).read_text())
                    for clock in ("times", "cpu"):
                        med = {p: statistics.median(v) for p, v in got[clock].items()}
                        for p in policies[1:]:
                            r = med[p] / med["immediate"]
                            ratios.setdefault(clock, {}).setdefault(case, {}).setdefault(
                                p, {}).setdefault(key, []).append(r)  # fmt: skip
                            print(f"{key} {case} {p} / immediate ({clock}): {r:.2f}x", flush=True)
                        seconds.setdefault(clock, {}).setdefault(case, {}).setdefault(
                            key, []).append(med)  # fmt: skip
    row = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "benchmarks/bench_batch_paired.py " + " ".join(argv if argv else sys.argv[1:]),
        "ratio_to_immediate": ratios,
        "median_seconds": seconds,
        "load_average": os.getloadavg(),
    }
    out = Path(args.out)
    rows = json.loads(out.read_text())["runs"] if out.exists() else []
    out.write_text(json.dumps({"benchmark": "batch_paired", "runs": [*rows, row]}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
