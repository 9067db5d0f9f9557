"""Routing benchmark: idrt's Numba kernels vs networkx and scipy.

Measures, on Delft, munich_mvg (from ../shared/data) and a synthetic city:
- one-to-all Dijkstra from random sources (median of repeats): idrt,
  ``scipy.sparse.csgraph.dijkstra`` and networkx;
- a 1,000 x 1,000 stop travel-time table: idrt's Dijkstra kernel (early exit,
  prange), idrt's contraction hierarchy (bucket method; its build time
  reported separately) and scipy (full rows from the 1,000 sources, then the
  1,000 columns selected), all in the same run;
- the one-off JIT compile time (reported separately; kernels are cached on
  disk with ``cache=True``, so the second process pays only the cache load).

Usage::

    .venv/bin/python benchmarks/bench_routing.py            # all sizes
    .venv/bin/python benchmarks/bench_routing.py --quick    # small, for CI smoke

Writes ``benchmarks/results/routing.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra as scipy_dijkstra

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data" / "networks"


def _timeit(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_network(label, source, *, n_stops, repeat, nx_sources):
    import idrt
    from idrt import routing

    t0 = time.perf_counter()
    net = idrt.load_network(source)
    build_s = time.perf_counter() - t0
    g = net.csr
    rng = np.random.default_rng(0)
    sources = rng.choice(net.n_nodes, size=repeat, replace=False)

    matrix = sp.csr_matrix(
        (net.edge_travel_time_s, net.heads, net.indptr), shape=(net.n_nodes, net.n_nodes)
    )
    # warm-up: the network's read-only arrays are a new Numba type (cache load)
    routing.one_to_all(g, 0)
    routing.many_to_many(g, sources[:2], sources[:2])
    scipy_dijkstra(matrix, indices=0)
    # median over 5 passes of `repeat` sources each: robust to a busy machine
    idrt_one = _timeit(lambda: [routing.one_to_all(g, int(s)) for s in sources], 5) / repeat
    scipy_one = (
        _timeit(lambda: [scipy_dijkstra(matrix, indices=int(s)) for s in sources], 5) / repeat
    )
    G = net.graph
    nodes = net.node_ids[sources[:nx_sources]]
    nx_one = _timeit(
        lambda: [
            nx.single_source_dijkstra_path_length(G, int(s), weight="travel_time") for s in nodes
        ],
        1,
    ) / len(nodes)

    n_stops = min(n_stops, net.n_nodes)
    stops = rng.choice(net.n_nodes, size=n_stops, replace=False)
    idrt_table = _timeit(lambda: routing.many_to_many(g, stops, stops), 5)
    scipy_table = _timeit(lambda: scipy_dijkstra(matrix, indices=stops)[:, stops], 3)
    table = routing.many_to_many(g, stops, stops)
    reference = scipy_dijkstra(matrix, indices=stops)[:, stops].astype(np.float32)
    agree = bool(np.array_equal(table, reference))

    t0 = time.perf_counter()
    ch = routing.contract(g)
    ch_build = time.perf_counter() - t0
    routing.many_to_many(g, stops[:2], stops[:2], hierarchy=ch)  # warm-up
    ch_table = _timeit(lambda: routing.many_to_many(g, stops, stops, hierarchy=ch), 5)
    ch64 = ch.many_to_many(stops, stops, dtype=np.float64)
    ref64 = scipy_dijkstra(matrix, indices=stops)[:, stops]
    fin = np.isfinite(ref64)
    ch_rel = float(np.max(np.abs(ch64[fin] - ref64[fin]) / np.maximum(ref64[fin], 1e-300)))
    ch32 = ch64.astype(np.float32)
    return {
        "network": label,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "build_s": round(build_s, 3),
        "one_to_all_s": {
            "idrt": idrt_one,
            "scipy": scipy_one,
            "networkx": nx_one,
            "speedup_vs_networkx": nx_one / idrt_one,
            "speedup_vs_scipy": scipy_one / idrt_one,
        },
        "table": {
            "stops": n_stops,
            "idrt_s": idrt_table,
            "scipy_s": scipy_table,
            "speedup_vs_scipy": scipy_table / idrt_table,
            "equal_to_scipy": agree,
            "ch_build_s": ch_build,
            "ch_shortcuts": ch.n_shortcuts,
            "ch_s": ch_table,
            "ch_over_scipy": ch_table / scipy_table,
            "ch_speedup_vs_dijkstra_kernel": idrt_table / ch_table,
            "ch_max_rel_diff_float64": ch_rel,
            "ch_inf_pattern_equal": bool(np.array_equal(np.isinf(ch64), ~fin)),
            "ch_float32_equal_share": float(np.mean(ch32 == reference)),
            "ch_float64_bit_equal_share": float(np.mean(ch64[fin] == ref64[fin])),
        },
    }


def jit_compile_seconds():
    """Compile time of the kernels in this process (0 when loaded from cache)."""
    from idrt import routing

    indptr = np.array([0, 1, 2], np.int64)
    heads = np.array([1, 0], np.int32)
    w = np.array([1.0, 1.0])
    g = routing.CSRGraph(indptr, heads, w)
    t0 = time.perf_counter()
    routing.one_to_all(g, 0)
    routing.one_to_many(g, 0, np.array([1]))
    routing.many_to_many(g, np.array([0, 1]), np.array([0, 1]))
    routing.shortest_path(g, 0, 1)
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--out", default=str(HERE / "results" / "routing.json"))
    args = parser.parse_args(argv)

    result = {
        "benchmark": "routing",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "jit_first_call_s": jit_compile_seconds(),
        "networks": [],
    }
    import numba

    result["machine"]["numba_threads"] = numba.get_num_threads()
    cases = [("Nootdorp", SHARED / "Nootdorp.graphml", 300, 20, 5)]
    if not args.quick:
        cases = [
            ("Delft", SHARED / "Delft.graphml", 1000, 50, 5),
            ("munich_mvg", SHARED / "munich_mvg", 1000, 50, 5),
            ("city:50000", "city:50000", 1000, 20, 2),
        ]
    for label, source, stops, repeat, nx_sources in cases:
        if isinstance(source, Path) and not source.exists():
            print(f"skip {label}: {source} missing", file=sys.stderr)
            continue
        row = bench_network(label, source, n_stops=stops, repeat=repeat, nx_sources=nx_sources)
        result["networks"].append(row)
        one, table = row["one_to_all_s"], row["table"]
        print(
            f"{label:>12}: {row['nodes']:>6} nodes | one-to-all idrt {one['idrt'] * 1e3:7.2f} ms"
            f"  scipy {one['scipy'] * 1e3:7.2f} ms  networkx {one['networkx'] * 1e3:8.1f} ms"
            f"  (x{one['speedup_vs_networkx']:.0f} nx, x{one['speedup_vs_scipy']:.1f} scipy)"
            f" | {table['stops']}x{table['stops']} table idrt {table['idrt_s']:.3f} s"
            f"  scipy {table['scipy_s']:.3f} s  equal={table['equal_to_scipy']}"
            f" | CH build {table['ch_build_s']:.2f} s, table {table['ch_s']:.3f} s"
            f" = {table['ch_over_scipy']:.3f}x scipy,"
            f" max rel diff {table['ch_max_rel_diff_float64']:.1e}"
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    # keep every run: one JSON line per run beside the latest figures
    history = out.with_name(out.stem + "_history.jsonl")
    with history.open("a") as f:
        f.write(json.dumps(result) + "\n")
    print(f"wrote {out} (and appended to {history.name})")


if __name__ == "__main__":
    main()
