"""Re-optimisation policies on the expansion day: CPU and KPIs per seed (issue 18, step 2).

Runs immediate dispatch, batch k=2, k=2 + re-optimisation (the default) and
the opt-in savings (``dispatch.reoptimise_pairs = false``,
``dispatch.reoptimise_every = 2 | 4 | 8``, combinations, a smaller
``max_requests_per_vehicle``) on the same requests per seed, one process, and
writes CPU time (``time.process_time``) and KPIs per policy and seed. Paired
differences against ``reopt`` are summarised with ``--summary``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/reopt_policies.py OUT.json UNTIL_H SEEDS [POLICY ...]
    .venv/bin/python benchmarks/reopt_policies.py --summary OUT.json

``UNTIL_H``: requests booked before this hour (0: the whole day); ``SEEDS``:
``LO-HI``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

KPIS = ("requests", "served_share", "wait_mean_s", "wait_p95_s", "in_vehicle_mean_s", "vehicle_km")


def policies() -> dict:
    """Scenario overrides of each policy, by name."""
    import bench_dispatch as bd

    r = bd.POLICIES["batch_k2_reopt"]
    return {
        "immediate": {},
        "batch_k2": bd.POLICIES["batch_k2"],
        "reopt": r,
        "nopairs": {**r, "dispatch.reoptimise_pairs": False},
        "every2": {**r, "dispatch.reoptimise_every": 2},
        "every4": {**r, "dispatch.reoptimise_every": 4},
        "every8": {**r, "dispatch.reoptimise_every": 8},
        "every2_nopairs": {**r, "dispatch.reoptimise_every": 2, "dispatch.reoptimise_pairs": False},
        "every4_nopairs": {**r, "dispatch.reoptimise_every": 4, "dispatch.reoptimise_pairs": False},
        "m8": {**r, "dispatch.max_requests_per_vehicle": 8},
        "m8_nopairs": {
            **r, "dispatch.max_requests_per_vehicle": 8, "dispatch.reoptimise_pairs": False,
        },
    }  # fmt: skip


def run(out: str, until_h: float, seeds: str, names: list[str]) -> None:
    """Simulate every policy on every seed; write ``{policy: {seed: {cpu, KPIs}}}``."""
    import bench_dispatch as bd

    import idrt
    from idrt.sim import build_network, build_trips

    pol = policies()
    if names:
        pol = {p: pol[p] for p in dict.fromkeys(["immediate", "reopt", *names])}
    scn = bd._yeongjong()
    net = build_network(scn)
    lo, hi = map(int, seeds.split("-"))
    res: dict = {p: {} for p in pol}
    for seed in range(lo, hi + 1):
        trips = build_trips(scn, net, seed=seed)
        if until_h:
            trips = trips[trips["booking_time_s"] < until_h * 3600].reset_index(drop=True)
        for p, overrides in pol.items():
            s = scn.with_overrides(overrides)
            if seed == lo:  # JIT
                idrt.simulate(s, network=net, trips=trips.head(200), seed=seed)
            c0 = time.process_time()
            result = idrt.simulate(s, network=net, trips=trips, seed=seed)
            cpu = time.process_time() - c0
            k = result.summary()
            res[p][str(seed)] = {"cpu": cpu, **{x: float(k[x]) for x in KPIS}}
            print(seed, p, f"{cpu:.3f}", flush=True)
        Path(out).write_text(json.dumps(res, indent=1))


def summary(path: str) -> None:
    """CPU / immediate per policy, and paired KPI differences to ``reopt`` (95 % t intervals)."""
    from idrt.experiments.stats import paired_difference

    r = json.loads(Path(path).read_text())
    seeds = sorted(r["reopt"], key=int)
    imm = sum(r["immediate"][s]["cpu"] for s in seeds)
    for p in r:
        cpu = sum(r[p][s]["cpu"] for s in seeds)
        rejected = sum(round((1 - r[p][s]["served_share"]) * r[p][s]["requests"]) for s in seeds)
        line = f"{p:15s} seeds {len(seeds)}  CPU/immediate {cpu / imm:6.2f}  rejected {rejected:3d}"
        if p not in ("immediate", "reopt"):
            for k in KPIS[1:]:
                d = paired_difference(
                    [r["reopt"][s][k] for s in seeds], [r[p][s][k] for s in seeds]
                )
                line += f" | {k} {d.diff:+.4g} [{d.low:+.4g}, {d.high:+.4g}]"
        print(line)


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        run(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:])
