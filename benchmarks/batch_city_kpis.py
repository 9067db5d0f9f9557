"""KPIs of the city's batch k=2 day (requests before 07:00) over seeds, for one tree.

Used to check that an exact batch solver that breaks ties differently leaves the
KPIs unchanged within noise (issue 18's rule). Run once per tree and compare the
paired differences::

    PYTHONPATH=OLD_TREE python benchmarks/batch_city_kpis.py OLD_TREE old.json 1 41
    python benchmarks/batch_city_kpis.py . new.json 1 41

Arguments: the tree whose ``benchmarks/`` holds the city case, the output JSON
(one row of KPIs per seed, plus ``cpu_s``), the first seed and the seed after the last.
"""

import json
import sys
import time

sys.path.insert(0, sys.argv[1] + "/benchmarks")
import bench_dispatch as bd

import idrt
from idrt.sim import build_trips

print(idrt.__file__, file=sys.stderr)
scn, net = bd._city()
batch = scn.with_overrides(bd.POLICIES["batch_k2"])
rows = []
for seed in range(int(sys.argv[3]), int(sys.argv[4])):
    trips = build_trips(scn, net, seed=seed)
    trips = trips[trips["booking_time_s"] < 7 * 3600].reset_index(drop=True)
    t0 = time.process_time()
    result = idrt.simulate(batch, network=net, trips=trips, seed=seed)
    row = {k: float(v) for k, v in result.summary().items() if isinstance(v, int | float)}
    row["seed"] = seed
    row["cpu_s"] = time.process_time() - t0
    rows.append(row)
    print(row["seed"], row["served_share"], row["wait_mean_s"], file=sys.stderr, flush=True)
with open(sys.argv[2], "w") as f:
    json.dump(rows, f)
