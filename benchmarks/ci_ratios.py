"""Speed ratios that CI guards: each measured within one run, compared with stored ones.

Every figure is a ratio of two timings taken in the same process, one right
after the other, so that the speed of the machine (and most of its noise)
cancels; each timing is the best of a few repeats. All ratios are
*lower is better*.

Cases
-----
``traffic_over_free_flow``
    Default day (Yeongjong, 738 requests, 8 buses), network passed in:
    ``idrt.simulate`` with the traffic model on, over the same with
    ``traffic.profile=""`` and ``traffic.signals="none"``.
``table_over_scipy``
    A 300 x 300 stop table on the default network: ``routing.many_to_many``
    (Dijkstra kernel) over ``scipy.sparse.csgraph.dijkstra`` (rows, then the
    300 columns), both on one thread (Numba's threads stall on a busy
    machine; the guard is about the kernel, not the thread count).
``ch_table_over_scipy``
    The same table from a contraction hierarchy (built beforehand, not timed).
``insertion_over_naive``
    Cheapest insertion of a request into a small fleet, 200 random cases (the
    ones of ``tests/dispatch/test_insertion.py``): ``find_best_insertion``
    over the plain-Python brute force of ``tests/dispatch/naive_insertion.py``.
``pool_over_in_process``
    A 4-run sweep (free flow, 2 fleet sizes x 2 seeds): ``workers=2`` over
    ``workers=0`` (in-process), pool start-up included.

Reference and rule
------------------
``benchmarks/results/ci_ratios.jsonl`` holds one JSON line per stored
reference, oldest first, never rewritten: the last line is the reference.
Each line has the ratios, the margin of each, the date, the machine and a
note. A case *regresses* when ``measured > reference * (1 + margin)`` in
two measurements one after the other (the test measures again before it
fails). The margins are wide (50-200 %) because a 2-core machine shared with
other jobs moves short timings by tens of per cent even as ratios; they
catch a kernel that became twice as slow, not a few per cent.

Why a short script: pytest-benchmark's ``--benchmark-compare`` compares
absolute timings between saved runs, which on CI's changing machines
measures the machine; asv builds environments per commit and runs for
minutes. Ratios within one run plus a stored JSON line need neither.

Usage (from the repository root)::

    python benchmarks/ci_ratios.py                 # measure and compare (exit 1 on regression)
    python benchmarks/ci_ratios.py --store "why"   # measure and append as the new reference

CI runs the comparison through ``tests/benchmarks/test_ci_ratios.py``. After an
intended change of speed (a faster traffic path, a faster pool), store a new
reference with ``--store`` and commit the appended line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REFERENCE = HERE / "results" / "ci_ratios.jsonl"

MARGINS = {
    "traffic_over_free_flow": 0.5,
    "table_over_scipy": 1.0,
    "ch_table_over_scipy": 2.0,  # a table of milliseconds: the noisiest ratio
    "insertion_over_naive": 1.0,
    "pool_over_in_process": 1.0,
}
"""Allowed relative growth of each ratio over its reference before CI fails."""


def _best(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``repeat`` calls, s."""
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def _default_day():
    import idrt
    from idrt.sim import build_network, build_trips

    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    free = scn.with_overrides({"traffic.signals": "none", "traffic.profile": ""})
    net = build_network(scn)
    return scn, free, net, build_trips(scn, net, seed=1)


def traffic_over_free_flow(repeat: int = 2) -> float:
    """Default day, traffic model on over free flow."""
    import idrt

    scn, free, net, trips = _default_day()
    on = lambda: idrt.simulate(scn, network=net, trips=trips, seed=1)  # noqa: E731
    off = lambda: idrt.simulate(free, network=net, trips=trips, seed=1)  # noqa: E731
    on(), off()  # warm-up: JIT and the travel-time tables
    return _best(on, repeat) / _best(off, repeat)


def stop_tables(n_stops: int = 300, repeat: int = 3) -> tuple[float, float]:
    """Stop table: idrt's Dijkstra kernel and its hierarchy, each over scipy."""
    import numba
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    import idrt
    from idrt import routing
    from idrt.sim import build_network

    net = build_network(idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml"))
    g = net.csr
    stops = np.random.default_rng(0).choice(net.n_nodes, min(n_stops, net.n_nodes), replace=False)
    matrix = sp.csr_matrix((g.weights_s, g.heads, g.indptr), shape=(net.n_nodes, net.n_nodes))
    ch = routing.contract(g)
    plain = lambda: routing.many_to_many(g, stops, stops)  # noqa: E731
    hier = lambda: routing.many_to_many(g, stops, stops, hierarchy=ch)  # noqa: E731
    ref = lambda: dijkstra(matrix, indices=stops)[:, stops]  # noqa: E731
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        plain(), hier(), ref()  # warm-up
        scipy_s = _best(ref, repeat + 2)
        # the hierarchy's table takes milliseconds: more repeats to find its best
        return _best(plain, repeat) / scipy_s, _best(hier, 5 * repeat) / scipy_s
    finally:
        numba.set_num_threads(threads)


def insertion_over_naive(n_cases: int = 200, repeat: int = 5, passes: int = 10) -> float:
    """Cheapest insertion: the kernel over the plain-Python brute force.

    The kernel's side runs ``passes`` passes over the cases per timing (one
    pass takes only milliseconds), the brute force one.
    """
    sys.path.insert(0, str(REPO))
    from idrt.dispatch import find_best_insertion
    from tests.dispatch import naive_insertion as naive
    from tests.dispatch.test_insertion import random_case

    cases = [random_case(seed) for seed in range(n_cases)]

    def kernel():
        for _ in range(passes):
            for schedules, request, times, weights in cases:
                find_best_insertion(schedules, request, times, weights, parallel=False)

    def brute():
        for schedules, request, times, w in cases:
            weights = (w.w_vehicle, w.w_wait, w.w_ride, w.w_delay)
            naive.best(naive.all_candidates(schedules, request, times, weights))

    kernel(), brute()  # warm-up
    return _best(kernel, repeat) / passes / _best(brute, 3)


def pool_over_in_process() -> float:
    """A 4-run sweep: two worker processes over running in this process."""
    import idrt

    _, free, net, _ = _default_day()
    grid = {"fleet.size": [6, 8]}

    def run(workers):
        return lambda: idrt.sweep(free, grid, seeds=2, workers=workers, network=net, progress=False)

    run(0)()  # warm-up in this process
    in_process = _best(run(0), 1)
    pool = _best(run(2), 1)
    return pool / in_process


def measure(cases: list[str] | None = None, *, report: bool = False) -> dict[str, float]:
    """Measure the ratios of ``cases`` (default: all); print each if ``report``."""
    wanted = cases or list(MARGINS)
    out: dict[str, float] = {}

    def done(**ratios):
        for name, value in ratios.items():
            if name in wanted:
                out[name] = value
                if report:
                    print(f"{name:>24}: {value:.3f}", flush=True)

    if "traffic_over_free_flow" in wanted:
        done(traffic_over_free_flow=traffic_over_free_flow())
    if {"table_over_scipy", "ch_table_over_scipy"} & set(wanted):
        plain, hier = stop_tables()
        done(table_over_scipy=plain, ch_table_over_scipy=hier)
    if "insertion_over_naive" in wanted:
        done(insertion_over_naive=insertion_over_naive())
    if "pool_over_in_process" in wanted:
        done(pool_over_in_process=pool_over_in_process())
    return out


def reference(path: Path = REFERENCE) -> dict:
    """The stored reference: the last line of ``path``."""
    text = path.read_text() if path.exists() else ""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        msg = f"{path} holds no reference; store one with: python benchmarks/ci_ratios.py --store"
        raise FileNotFoundError(msg)
    return json.loads(lines[-1])


def regressions(measured: dict[str, float], ref: dict) -> list[str]:
    """One message per ratio above ``reference * (1 + margin)``."""
    out = []
    for name, value in measured.items():
        if name not in ref["ratios"]:
            continue
        base = ref["ratios"][name]
        margin = ref["margins"].get(name, MARGINS[name])
        if value > base * (1 + margin):
            out.append(
                f"{name}: {value:.3f} > reference {base:.3f} x (1 + {margin:.0%}) "
                f"= {base * (1 + margin):.3f} (stored {ref['date']})"
            )
    return out


def store(measured: dict[str, float], note: str, path: Path = REFERENCE) -> dict:
    """Append ``measured`` as the new reference line; earlier lines stay."""
    import numba

    line = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": note,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "numba_threads": numba.get_num_threads(),
        },
        "ratios": measured,
        "margins": {k: MARGINS[k] for k in measured},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(json.dumps(line) + "\n")
    return line


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", metavar="NOTE", help="append the figures as the new reference")
    parser.add_argument("--cases", nargs="*", choices=list(MARGINS), help="default: all")
    args = parser.parse_args(argv)
    measured = measure(args.cases, report=True)
    if args.store is not None:
        store(measured, args.store)
        print(f"appended to {REFERENCE}")
        return 0
    problems = regressions(measured, reference())
    for p in problems:
        print("REGRESSION", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
