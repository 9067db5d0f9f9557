"""idrt against SUMO's taxi device on the same network, requests and fleet.

The peer benchmark (``benchmarks/peer_sumo.py``) is a thin script over
:func:`peer_case` and :func:`run_peer`: each size builds one scenario and one
demand draw, runs idrt (immediate insertion) and SUMO (``greedyShared`` and
``greedy``) on it, and tabulates wall time and KPIs side by side.

Like for like
-------------
* **Traffic**: SUMO has no background traffic, so both run at free flow
  (``traffic.profile = ""``) with fixed-time signals (``traffic.signals =
  "fixed"``): SUMO's vehicles meet the exported signal programmes, idrt's buses
  get the HCM uniform delay d1 of the same plans at X ≈ 0.
* **Rejections**: SUMO's taxis never reject a rider. idrt runs with no wait
  limit (every rider accepted: the like-for-like rows), once with its default
  insertion weights and once wait-weighted (``dispatch.w_wait = 1``), and
  once with the scenario's limit (its normal behaviour, rejecting whom it
  cannot pick up in time). Every row is also judged by one yardstick,
  ``served_within_limit``: the share of requests picked up within
  ``service.max_wait_s``.
* **Wall time**: idrt's is one :func:`idrt.simulate` call with the network and
  demand built (the travel-time tables are built inside it, so they count);
  SUMO's is the ``sumo`` process (loading its network and routes included).
  Each SUMO run is capped; a run that hit the cap is reported as such, with
  the KPIs of the simulated time it reached.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt.errors import InteropError
from idrt.interop._tools import sumo_version
from idrt.interop.sumo_export import to_sumo
from idrt.interop.sumo_results import read_sumo, run_sumo, served_within
from idrt.scenario import REPO_ROOT, Scenario
from idrt.sim import simulate
from idrt.sim.assembly import build_network, build_trips

__all__ = [
    "PEER_KPIS",
    "SIZES",
    "WAIT_WEIGHTED",
    "PeerSize",
    "machine",
    "markdown_table",
    "peer_case",
    "records_frame",
    "run_peer",
]

PEER_KPIS = (
    "requests",
    "served_share",
    "served_within_limit",
    "wait_mean_s",
    "wait_p50_s",
    "wait_p95_s",
    "in_vehicle_mean_s",
    "shared_ride_share",
    "vehicle_km",
    "vehicle_km_per_passenger",
    "passengers",
)
"""KPIs of the side-by-side table (``served_within_limit`` is added to :func:`summarize`'s)."""

NO_WAIT_LIMIT_S = 48 * 3600.0
"""``service.max_wait_s`` of the like-for-like idrt run: longer than any day."""

WAIT_WEIGHTED = 1.0
"""``dispatch.w_wait`` of the wait-weighted idrt run (the default 0.2 favours pooling:
it weighs a second of the rider's wait at a fifth of a second of vehicle time)."""


@dataclass(frozen=True)
class PeerSize:
    """One size of the peer benchmark.

    Attributes
    ----------
    name : str
        ``"small"``, ``"medium"`` or ``"large"``.
    network : str
        Network source (preset, or a path relative to the idrt checkout).
    trips_per_day : float
        Expected requests in the day.
    fleet : int
        Vehicles (taxis).
    overrides : dict
        More scenario overrides (service area, depots of another network).
    """

    name: str
    network: str
    trips_per_day: float
    fleet: int
    overrides: dict[str, Any] = field(default_factory=dict)


SIZES = {
    "small": PeerSize("small", "yeongjong", 500, 8),
    "medium": PeerSize("medium", "yeongjong", 3000, 60),
    "large": PeerSize(
        "large",
        "../shared/data/networks/Delft.graphml",
        10000,
        200,
        {
            "demand.area": "",
            "demand.attractors": "",
            "fleet.depots": [[4.3571, 52.0116]],  # Delft centre (Markt), lon/lat
        },
    ),
}
"""The three sizes of the issue: 8 buses / 500 requests on the default network;
3,000 requests with 60 buses; a real OSM graph (Delft) with 10,000 requests and a
fleet sized the same way (about one bus per 50 requests a day)."""


def peer_case(size: str | PeerSize, *, base: Scenario | None = None) -> Scenario:
    """The scenario of a benchmark size (free flow, fixed signals, immediate insertion).

    Parameters
    ----------
    size
        A name of :data:`SIZES` or a :class:`PeerSize`.
    base
        Scenario to start from; ``experiments/yeongjong.toml`` when omitted.

    Raises
    ------
    InteropError
        An unknown size name.
    """
    if isinstance(size, str):
        if size not in SIZES:
            msg = f"size {size!r} is not a peer benchmark size; choose one of {list(SIZES)}"
            raise InteropError(msg)
        size = SIZES[size]
    if base is None:
        base = Scenario.from_toml(REPO_ROOT / "experiments" / "yeongjong.toml")
    overrides = {
        "name": f"peer_{size.name}",
        "network.source": size.network,
        "demand.trips_per_day": float(size.trips_per_day),
        "demand.prebooked_share": 0.0,
        "fleet.size": int(size.fleet),
        "traffic.profile": "",
        "traffic.signals": "fixed",
        "dispatch.mode": "immediate",
        "rebalancing.strategy": "none",
        **size.overrides,
    }
    return base.with_overrides(overrides)


def run_peer(
    size: str | PeerSize,
    *,
    seed: int = 1,
    out: str | Path = "out/peer_sumo",
    dispatch: tuple[str, ...] = ("greedyShared", "greedy"),
    sumo_cap_s: float = 600.0,
    idrt_limited: bool = True,
    scenario: Scenario | None = None,
    earlier: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one size in idrt and SUMO and return the side-by-side record.

    Parameters
    ----------
    size
        A name of :data:`SIZES` or a :class:`PeerSize`.
    seed
        Demand seed (the same draw for both).
    out
        Folder for the exported SUMO case (``<out>/<size>``, replaced).
    dispatch
        SUMO dispatch algorithms to run.
    sumo_cap_s
        Wall-clock cap of each SUMO run, s.
    idrt_limited
        Also run idrt with a wait-weighted insertion cost (``dispatch.w_wait``
        = :data:`WAIT_WEIGHTED`) and with the scenario's wait limit (it then
        rejects whom it cannot pick up in time).
    scenario
        The scenario to use instead of :func:`peer_case` of ``size``.
    earlier
        A record of an earlier run of the same case: SUMO is not run again,
        its outputs in ``<out>/<size>`` are read back (with this version's
        read-back) and its wall times and caps kept. For re-running idrt only.

    Returns
    -------
    dict
        ``size``, ``network``, ``requests``, ``fleet``, ``max_wait_s`` and
        ``runs``: one record per run (``tool``, ``variant``, ``wall_s``,
        ``capped``, ``simulated_until_s``, ``kpis``: the full summary plus
        ``served_within_limit``), ``columns_match`` (SUMO's request and
        vehicle tables and KPIs have idrt's columns).
    """
    name = size if isinstance(size, str) else size.name
    scn = scenario if scenario is not None else peer_case(size)
    net = build_network(scn)
    trips = build_trips(scn, net, seed)
    max_wait = scn.service.max_wait_s
    runs: list[dict[str, Any]] = []

    # JIT warm-up on a few requests so that compile time is not timed
    simulate(scn, seed, network=net, trips=trips.head(20))
    no_limit = {"service.max_wait_s": NO_WAIT_LIMIT_S}
    variants = [("no wait limit", no_limit)]
    if idrt_limited:
        variants.append(
            (
                f"no wait limit, w_wait {WAIT_WEIGHTED:g}",
                {**no_limit, "dispatch.w_wait": WAIT_WEIGHTED},
            )
        )
        variants.append((f"{max_wait / 60:g}-min wait limit", {}))
    reference = None
    results = []
    for variant, overrides in variants:
        s = scn.with_overrides(overrides) if overrides else scn
        t0 = time.perf_counter()
        result = simulate(s, seed, network=net, trips=trips)
        wall = time.perf_counter() - t0
        reference = reference if reference is not None else result
        results.append(result)
        runs.append(_record("idrt", variant, wall, False, math.nan, result, max_wait))

    columns_match = True
    folder = Path(out) / name
    if earlier is not None:
        _check_same_case(folder, scn, len(trips))
        sumo_runs = [(r["variant"], r) for r in earlier["runs"] if r["tool"] == "SUMO"]
    else:
        sumo_runs = [(algorithm, None) for algorithm in dispatch]
        if dispatch:
            to_sumo(scn, seed, folder, network=net, trips=trips, force=True)
    for algorithm, old in sumo_runs:
        if old is None:
            peer = run_sumo(folder, dispatch=algorithm, timeout_s=sumo_cap_s, like=reference)
        else:
            peer = read_sumo(
                folder,
                tripinfo=f"tripinfo.{algorithm}.xml",
                stats=f"stats.{algorithm}.xml",
                log=f"sumo.{algorithm}.log",
                dispatch=algorithm,
                wall_s=old["wall_s"],
                capped=old["capped"],
                like=reference,
            )
        columns_match &= list(peer.requests.columns) == list(reference.requests.columns)
        columns_match &= list(peer.vehicles.columns) == list(reference.vehicles.columns)
        columns_match &= list(peer.summary().index) == list(reference.summary().index)
        run = _record(
            "SUMO",
            algorithm,
            peer.wall_s,
            peer.capped,
            peer.simulated_until_s,
            peer,
            max_wait,
            teleports=peer.teleports,
        )
        if peer.capped:
            # compare like with like: the requests SUMO had time to serve
            end = peer.simulated_until_s - max_wait
            run["window_end_s"] = end
            run["window_kpis"] = _window(peer, end, max_wait)
            run["idrt_window_kpis"] = {
                r["variant"]: _window(res, end, max_wait)
                for r, res in zip(runs, results, strict=False)
            }
        runs.append(run)
    _ratios(runs)
    return {
        "size": name,
        "network": net.name,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "signals": net.n_signals,
        "requests": len(trips),
        "fleet": scn.fleet.size,
        "max_wait_s": max_wait,
        "sumo_cap_s": earlier["sumo_cap_s"] if earlier is not None else sumo_cap_s,
        "runs": runs,
        "columns_match": bool(columns_match),
    }


def _ratios(runs: list[dict[str, Any]]) -> None:
    """Wall time of every run over that of the first (idrt, no wait limit)."""
    base = runs[0]["wall_s"]
    for run in runs:
        run["slower_than_idrt"] = run["wall_s"] / base if base > 0 else math.nan


def _check_same_case(folder: Path, scn: Scenario, n_requests: int) -> None:
    try:
        meta = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        meta = {}
    if meta.get("scenario_hash") != scn.content_hash() or meta.get("requests") != n_requests:
        msg = (
            f"{folder} does not hold the SUMO case of this size and seed (or no case at all); "
            "run the size with SUMO again instead of reusing it"
        )
        raise InteropError(msg)


def _record(
    tool: str,
    variant: str,
    wall: float,
    capped: bool,
    until_s: float,
    result: Any,
    max_wait: float,
    *,
    teleports: int = 0,
) -> dict[str, Any]:
    kpis = result.summary()
    kpis["served_within_limit"] = served_within(result.requests, max_wait)
    return {
        "tool": tool,
        "variant": variant,
        "wall_s": float(wall),
        "capped": bool(capped),
        "simulated_until_s": None if math.isnan(until_s) else float(until_s),
        "teleports": int(teleports),
        "kpis": {k: _plain(v) for k, v in kpis.items()},
    }


def _window(result: Any, end_s: float, max_wait: float) -> dict[str, Any]:
    """Served share and waits of the requests made before ``end_s`` (s after midnight)."""
    req = result.requests[result.requests["request_time_s"] <= end_s]
    served = req[req["status"] == "served"]
    wait = served["wait_s"].to_numpy(float)
    return {
        "requests": len(req),
        "served_share": _plain(len(served) / len(req)) if len(req) else None,
        "served_within_limit": _plain(served_within(req, max_wait)),
        "wait_mean_s": _plain(wait.mean()) if wait.size else None,
        "wait_p50_s": _plain(np.quantile(wait, 0.5)) if wait.size else None,
        "wait_p95_s": _plain(np.quantile(wait, 0.95)) if wait.size else None,
        "in_vehicle_mean_s": _plain(served["in_vehicle_s"].mean()) if len(served) else None,
    }


def _plain(value: Any) -> Any:
    value = float(value)
    if math.isnan(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def machine() -> dict[str, Any]:
    """The machine a benchmark ran on (cores, memory, OS, Python, SUMO)."""
    mem_gb = float("nan")
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "system": f"{platform.system()} {platform.machine()}",
        "python": platform.python_version(),
        "sumo": sumo_version(),
    }


def markdown_table(records: list[dict[str, Any]]) -> str:
    """The side-by-side table of :func:`run_peer` records, as markdown."""
    head = (
        "| size | run | wall time | × idrt | served | picked up ≤ limit | wait mean | "
        "wait p50 | wait p95 | in vehicle | shared | veh-km | veh-km / pax |"
    )
    lines = [head, _rule(head)]
    for rec in records:
        for run in rec["runs"]:
            k = run["kpis"]
            wall = f"{run['wall_s']:,.1f} s"
            if run["capped"]:
                reached = run["simulated_until_s"]
                wall += f" (cap; reached {_clock(reached)})" if reached else " (cap)"
            label = f"{run['tool']} {run['variant']}"
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{rec['size']}: {rec['requests']:,} req, {rec['fleet']} veh",
                        label,
                        wall,
                        _ratio(run, rec["runs"][0]),
                        _pct(k.get("served_share")),
                        _pct(k.get("served_within_limit")),
                        _min(k.get("wait_mean_s")),
                        _min(k.get("wait_p50_s")),
                        _min(k.get("wait_p95_s")),
                        _min(k.get("in_vehicle_mean_s")),
                        _pct(k.get("shared_ride_share")),
                        _num(k.get("vehicle_km"), 0),
                        _num(k.get("vehicle_km_per_passenger"), 2),
                    ]
                )
                + " |"
            )
    windows = _window_lines(records)
    return "\n".join(lines) + "\n" + windows


def _ratio(run: dict[str, Any], first: dict[str, Any]) -> str:
    if run is first:
        return "1"
    text = f"{run['slower_than_idrt']:,.0f}"
    return f"≥ {text}" if run["capped"] else text


def _window_lines(records: list[dict[str, Any]]) -> str:
    """A second table for capped SUMO runs: the requests made before the cap, both tools."""
    head = (
        "| size | requests made before | run | served | picked up ≤ limit | wait mean | "
        "wait p50 | wait p95 | in vehicle |"
    )
    lines = []
    for rec in records:
        for run in rec["runs"]:
            if not run.get("window_kpis"):
                continue
            end = _clock(run["window_end_s"])
            pairs = [*run["idrt_window_kpis"].items(), (f"SUMO {run['variant']}", None)]
            for label, k in pairs:
                k = run["window_kpis"] if k is None else k
                name = label if label.startswith("SUMO") else f"idrt {label}"
                lines.append(
                    f"| {rec['size']} | {end} ({k['requests']:,}) | {name} | "
                    f"{_pct(k['served_share'])} | {_pct(k['served_within_limit'])} | "
                    f"{_min(k['wait_mean_s'])} | {_min(k['wait_p50_s'])} | "
                    f"{_min(k['wait_p95_s'])} | {_min(k['in_vehicle_mean_s'])} |"
                )
    if not lines:
        return ""
    intro = (
        "\nCapped SUMO runs, compared on the requests made at least one wait limit before "
        "the time SUMO reached (idrt rows: the same requests in idrt's full-day runs):\n\n"
    )
    return intro + "\n".join([head, _rule(head), *lines]) + "\n"


def _rule(head: str) -> str:
    return "|" + "---|" * (head.count("|") - 1)


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def _min(value: Any) -> str:
    return "–" if value is None else f"{value / 60:.1f} min"


def _num(value: Any, digits: int) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _clock(seconds: float) -> str:
    h, rem = divmod(int(seconds), 3600)
    return f"{h:02d}:{rem // 60:02d}"


def records_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """The records as one tidy table: a row per run, KPIs as columns."""
    rows = []
    for rec in records:
        for run in rec["runs"]:
            row = {k: rec[k] for k in ("size", "network", "requests", "fleet")}
            row.update({k: run[k] for k in ("tool", "variant", "wall_s", "capped")})
            row.update({k: run["kpis"].get(k, np.nan) for k in PEER_KPIS})
            rows.append(row)
    return pd.DataFrame(rows)
