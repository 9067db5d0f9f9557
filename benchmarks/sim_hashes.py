"""Fingerprints of simulated days: does a change keep results bit-identical per seed?

Hashes the request and vehicle tables of ``idrt.simulate(scn, seed)``
(sha256 of :func:`pandas.util.hash_pandas_object`, index included) for seeds
1-3 of 15 cases: the default scenario scaled 1x, 4x and 16x (requests and
buses together, as ``bench_sim.py --cases scaling``), free flow and traffic
on; stop-based service (traffic on; free flow at 8x); the expansion day
(traffic on, free flow); free flow 4x with ``return_to_depot`` and a 6 h
``max_route_duration_s``; batch dispatch 2x (traffic on) and 4x (free flow),
batch k=2 (traffic on) and k=2 with re-optimisation 2x (free flow). Case names
after the output path restrict the run to those cases.
Run it in both trees and compare the two files::

    .venv/bin/python benchmarks/sim_hashes.py new.json [CASE ...]
    PYTHONPATH=/path/to/old .venv/bin/python /path/to/old/benchmarks/sim_hashes.py old.json

(an old tree without this file: copy it there). Takes about 8 min on one core.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def cases() -> dict:
    """The scenarios, by name (``bench_sim``'s builders of the scaled default day)."""
    import bench_sim as b

    def scaled(k: int, traffic: bool, **overrides):
        scn = b._default(traffic=traffic)
        if k != 1:
            scn = scn.with_overrides({"fleet.size": 8 * k, "demand.trips_per_day": 735 * k})
        return scn.with_overrides(overrides) if overrides else scn

    return {
        "1x_free": scaled(1, False),
        "1x_on": scaled(1, True),
        "4x_free": scaled(4, False),
        "4x_on": scaled(4, True),
        "16x_free": scaled(16, False),
        "16x_on": scaled(16, True),
        "stop_based": scaled(1, True, **{"service.mode": "stop_based"}),
        "stop_based_free_8x": scaled(8, False, **{"service.mode": "stop_based"}),
        "expansion_on": b._default(expansion=True),
        "expansion_free": b._default(expansion=True, traffic=False),
        "free_4x_depot": scaled(
            4, False, **{"service.return_to_depot": True, "service.max_route_duration_s": 21600.0}
        ),
        "batch_2x": scaled(2, True, **{"dispatch.mode": "batch"}),
        "batch_4x_free": scaled(4, False, **{"dispatch.mode": "batch"}),
        "batch_k2_on": scaled(1, True, **{"dispatch.mode": "batch", "dispatch.max_trip_size": 2}),
        "batch_k2_reopt_2x_free": scaled(
            2,
            False,
            **{
                "dispatch.mode": "batch",
                "dispatch.max_trip_size": 2,
                "dispatch.reoptimise": True,
            },
        ),
    }


def main(argv=None) -> None:
    import pandas as pd

    import idrt
    from idrt.sim import build_network

    args = argv or sys.argv[1:]
    out_path = Path(args[0])
    scenarios = cases()
    net = build_network(scenarios["1x_on"])
    if args[1:]:  # only the cases named
        scenarios = {name: scenarios[name] for name in args[1:]}
    out = {}
    for name, scn in scenarios.items():
        for seed in (1, 2, 3):
            result = idrt.simulate(scn, seed, network=net)
            h = hashlib.sha256()
            for df in (result.requests, result.vehicles):
                h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
            out[f"{name}/{seed}"] = h.hexdigest()[:16]
            print(name, seed, out[f"{name}/{seed}"], flush=True)
    out_path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
