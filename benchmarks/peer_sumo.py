"""Peer benchmark: idrt against Eclipse SUMO's taxi device, side by side.

The same network, requests and fleet run in idrt (immediate insertion) and in
SUMO (``greedyShared`` and ``greedy`` dispatch), at free flow with the same
fixed-time signals. Each SUMO run is capped in wall time; a run that hit the
cap is reported as such. See ``idrt/interop/peer.py`` for what is matched how
and ``docs/sumo.md`` for the measured table.

Sizes: ``small`` (8 buses, ~500 requests, default network; CI runs it),
``medium`` (60 buses, ~3,000 requests, default network), ``large`` (Delft,
OSM, 200 buses, ~10,000 requests).

Usage::

    .venv/bin/python benchmarks/peer_sumo.py --size small
    .venv/bin/python benchmarks/peer_sumo.py --size medium large --cap 600
    .venv/bin/python benchmarks/peer_sumo.py --size small --idrt-only   # SUMO not re-run

Writes ``benchmarks/results/peer_sumo.json`` and ``peer_sumo.md`` (sizes run
earlier are kept, the ones run now replaced).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    from idrt.interop import peer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", nargs="+", default=["small"], choices=list(peer.SIZES))
    parser.add_argument("--cap", type=float, default=600.0, help="SUMO wall cap per run, s")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dispatch", nargs="+", default=["greedyShared", "greedy"], help="SUMO algorithms"
    )
    parser.add_argument("--out", default=str(REPO / "out" / "peer_sumo"), help="case folders")
    parser.add_argument("--results", default=str(HERE / "results" / "peer_sumo"))
    parser.add_argument("--date", default=None, help="date to record (default: today)")
    parser.add_argument(
        "--idrt-only",
        action="store_true",
        help="re-run idrt only; read SUMO's earlier outputs in --out back (wall times kept)",
    )
    args = parser.parse_args(argv)

    path = Path(args.results).with_suffix(".json")
    previous = json.loads(path.read_text()) if path.is_file() else {"sizes": []}
    earlier = {r["size"]: r for r in previous.get("sizes", [])}
    kept = [r for r in earlier.values() if r["size"] not in args.size]
    records = []
    for size in args.size:
        print(f"peer benchmark: {size} ...", flush=True)
        record = peer.run_peer(
            size,
            seed=args.seed,
            out=args.out,
            dispatch=tuple(args.dispatch),
            sumo_cap_s=args.cap,
            earlier=earlier[size] if args.idrt_only else None,
        )
        records.append(record)
        print(peer.markdown_table([record]), flush=True)
    order = list(peer.SIZES)
    sizes = sorted(kept + records, key=lambda r: order.index(r["size"]))
    out = {
        "benchmark": "peer_sumo",
        "date": args.date or datetime.now(UTC).date().isoformat(),
        "machine": peer.machine(),
        "sizes": sizes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    table = peer.markdown_table(sizes)
    m = out["machine"]
    md = (
        f"# idrt vs SUMO (peer benchmark)\n\nMeasured {out['date']} on {m['cores']} cores, "
        f"{m['memory_gb']} GB, {m['system']}, Python {m['python']}, SUMO {m['sumo']}. "
        "Free flow, fixed-time signals; SUMO capped at "
        f"{args.cap:g} s wall per run. `× idrt`: wall time over idrt's no-wait-limit run "
        "(≥ for a capped SUMO run). On a shared machine wall times vary between runs; "
        "see docs/sumo.md for how the rows are matched.\n\n" + table
    )
    path.with_suffix(".md").write_text(md)
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
