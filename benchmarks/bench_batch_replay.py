"""Batch solves replayed: old and new code on the very same batches.

A policy change that picks differently among equal-cost optima sends the
simulation down another path, so whole-run times of two trees compare
different work. This captures every ``solve_batch`` call of one run (the
expansion day, k=2 + re-optimisation, seed 1, requests before ``--until-h``;
schedules and arguments deep-copied at the call: the engine updates its
arrays in place) with the code of ``--capture-tree``, then times each tree's
``solve_batch`` on those inputs (alternating trees, ``--rounds`` each, CPU
time of the process) and compares what they return: the optimum's cost must
be equal bit for bit, and so must the number of requests left unassigned;
identical plans are counted (equal-cost optima may differ).

Usage (the old tree e.g. from ``git archive REV | tar -x -C /tmp/old``)::

    .venv/bin/python benchmarks/bench_batch_replay.py --old /tmp/old --until-h 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CAPTURE = """
import copy, pickle, sys
import numpy as np
sys.path.insert(0, {bench!r})
import idrt
from idrt.sim import batching, build_network, build_trips
import bench_dispatch as bd
scn = bd._yeongjong()
net = build_network(scn)
trips = build_trips(scn, net, seed=1)
if {until!r}:
    trips = trips[trips["booking_time_s"] < {until!r} * 3600].reset_index(drop=True)
calls, mats = [], {{}}
orig = batching.solve_batch
def spy(sched, requests, travel, weights, **kw):
    d = travel.__closure__[0].cell_contents  # oracle_pairs' all-pairs table
    assert isinstance(d, np.ndarray), "free flow: an all-pairs table expected"
    mats.setdefault(id(d), d)
    calls.append(copy.deepcopy((sched, list(requests), id(d), weights, kw)))
    return orig(sched, requests, travel, weights, **kw)
batching.solve_batch = spy
idrt.simulate(scn.with_overrides(bd.POLICIES["batch_k2_reopt"]), network=net, trips=trips, seed=1)
pickle.dump((calls, mats), open({out!r}, "wb"), protocol=5)
"""

_REPLAY = """
import hashlib, json, pickle, time
from idrt.dispatch import solve_batch
calls, mats = pickle.load(open({cap!r}, "rb"))
travel = {{k: (lambda d: lambda a, b: d[a, b])(v) for k, v in mats.items()}}
def run():
    return [solve_batch(c[0], c[1], travel[c[2]], c[3], **c[4]) for c in calls]
run()  # JIT, caches
cpu = []
for _ in range({rounds!r}):
    c0 = time.process_time()
    res = run()
    cpu.append(time.process_time() - c0)
plan = lambda s: hashlib.sha1(s.stop_request.tobytes() + s.n_stops.tobytes()).hexdigest()
json.dump({{"cpu": cpu, "cost": [r.cost for r in res], "n_trips": [r.n_trips for r in res],
           "unassigned": [len(r.unassigned) for r in res],
           "plans": [plan(r.schedules) for r in res]}}, open({out!r}, "w"))
"""


def _run(code: str, tree: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=tree)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", required=True, help="source tree of the old code")
    parser.add_argument("--new", default=str(HERE.parent), help="source tree of the new code")
    parser.add_argument(
        "--capture-tree", default=None, help="tree that runs the day (default: old)"
    )
    parser.add_argument("--until-h", type=float, default=9.0, help="requests before (0: whole day)")
    parser.add_argument("--rounds", type=int, default=3, help="timed replays per tree and turn")
    parser.add_argument("--turns", type=int, default=2, help="alternations of the two trees")
    args = parser.parse_args(argv)
    trees = {k: Path(getattr(args, k)).resolve() for k in ("old", "new")}
    with tempfile.TemporaryDirectory() as tmp:
        cap = os.path.join(tmp, "calls.pkl")
        code = _CAPTURE.format(bench=str(HERE), until=args.until_h or None, out=cap)
        _run(code, Path(args.capture_tree or trees["old"]).resolve())
        got: dict = {}
        for _ in range(args.turns):
            for key, tree in trees.items():
                out = os.path.join(tmp, f"{key}.json")
                _run(_REPLAY.format(cap=cap, rounds=args.rounds, out=out), tree)
                r = json.loads(Path(out).read_text())
                entry = got.setdefault(key, r)  # (results of the first turn)
                entry["cpu_all"] = entry.get("cpu_all", []) + r["cpu"]
    old, new = got["old"], got["new"]
    n = len(old["cost"])
    med = {k: statistics.median(got[k]["cpu_all"]) for k in got}
    print(
        f"{n} batches; solve_batch CPU per replay (median): old {med['old']:.3f} s, "
        f"new {med['new']:.3f} s, new/old {med['new'] / med['old']:.3f}"
    )

    def same(field):
        return sum(a == b for a, b in zip(old[field], new[field], strict=True))

    print(
        f"optimum cost equal bit for bit: {same('cost')} of {n}; unassigned equal: "
        f"{same('unassigned')} of {n}; identical plans: {same('plans')} of {n}"
    )
    print(f"options: old {sum(old['n_trips'])}, new {sum(new['n_trips'])}")


if __name__ == "__main__":
    main()
