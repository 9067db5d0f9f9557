"""A microscopic check of idrt's intersection delay model against SUMO.

idrt puts the HCM control delay ``d1 + d2`` of a signalised intersection on
the links entering it (:mod:`idrt.traffic.delay`). This module measures the
same quantity in SUMO's microscopic simulation, for the same plan:

1. **Saturation flow from SUMO's discharge** (:func:`measure_saturation`): a
   queue kept saturated on every approach of one fixed-time intersection;
   induction loops at the stop lines time every vehicle. The saturation
   headway is the mean headway from the 5th queued vehicle to the last one
   crossing in green (the HCM field method), ``s = 3600 / headway``; the
   effective green is the vehicles discharged per cycle over ``s``, and the
   lost time per phase is displayed green + yellow − effective green.
2. **Control delay** (:func:`sumo_delay`): Poisson arrivals on each approach
   at a degree of saturation ``X`` (flow ``v = X s g/C`` with the measured
   ``s`` and effective ``g``), for an analysis period ``T = 0.25`` h that
   starts with no queue (HCM's set-up), repeated ``replications`` times at
   random moments of the cycle. A vehicle's control delay is its SUMO
   ``timeLoss`` + ``departDelay`` minus the same vehicle's in a twin network
   where the crossing roads are grade-separated (no signal): what remains is
   what the signal costs, not the car-following noise of the driver model.
3. **idrt's value** (:func:`idrt_delay`): ``d1 + d2`` for the same cycle,
   effective green ratio and measured saturation flow (``T = 0.25`` h,
   ``k = 0.5``, ``I = 1``); for SUMO's ``actuated`` control, idrt's adaptive
   model: Webster's cycle and equal-saturation greens from the flow ratios,
   with the measured lost time, then ``d1 + d2``.

Layouts: one four-arm intersection (main street east-west with g/C 0.55,
side street north-south with 0.35, single lanes, through traffic) and a
corridor of three such intersections 400 m apart on the main street (all
offsets 0), whose through vehicles are compared with three times idrt's
isolated delay.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt.errors import InteropError
from idrt.interop._tools import find_binary, run_tool
from idrt.interop.sumo_export import YELLOW_S, _num, _program, _tls_links, _xml
from idrt.traffic import TrafficConfig
from idrt.traffic.delay import (
    control_delay_s,
    webster_cycle_s,
    webster_green_ratios,
)

__all__ = [
    "IntersectionSetup",
    "Saturation",
    "idrt_delay",
    "intersection_check",
    "measure_saturation",
    "plot_intersection_check",
    "sumo_delay",
]

_ARMS = {"W": (-1.0, 0.0), "E": (1.0, 0.0), "S": (0.0, -1.0), "N": (0.0, 1.0)}
_MAIN = ("W", "E")  # main street east-west
_OPPOSITE = {"W": "E", "E": "W", "S": "N", "N": "S"}


_PLAN_FIELDS = (
    "cycle_s",
    "green_ratio_main",
    "green_ratio_side",
    "lost_time_s_per_phase",
    "min_green_s",
    "min_cycle_s",
    "max_cycle_s",
)
"""Fields of :class:`IntersectionSetup` that are :class:`~idrt.traffic.TrafficConfig` fields."""


@dataclass(frozen=True)
class IntersectionSetup:
    """The plan and geometry of the check (defaults: idrt's fixed-time plan).

    Attributes
    ----------
    cycle_s : float
        Cycle length C, s.
    green_ratio_main, green_ratio_side : float
        idrt's effective green ratios g/C of the two phases (the exported
        plan shows green + yellow = g C + lost time).
    lost_time_s_per_phase : float
        idrt's lost time per phase, s (used to lay out the displayed greens).
    min_green_s, min_cycle_s, max_cycle_s : float
        Adaptive / actuated limits, s.
    approach_m, exit_m : float
        Length of each approach and exit, m (the approach holds the longest
        queue of the check).
    spacing_m : float
        Distance between the corridor's intersections, m.
    speed_mps : float
        Speed limit, m/s (50 km/h).
    period_s : float
        Analysis period T of one replication, s (HCM: 0.25 h).
    replications : int
        Analysis periods per degree of saturation.
    """

    # the plan's defaults are the traffic model's own (one home)
    cycle_s: float = TrafficConfig.cycle_s
    green_ratio_main: float = TrafficConfig.green_ratio_main
    green_ratio_side: float = TrafficConfig.green_ratio_side
    lost_time_s_per_phase: float = TrafficConfig.lost_time_s_per_phase
    min_green_s: float = TrafficConfig.min_green_s
    min_cycle_s: float = TrafficConfig.min_cycle_s
    max_cycle_s: float = TrafficConfig.max_cycle_s
    approach_m: float = 1000.0
    exit_m: float = 300.0
    spacing_m: float = 400.0
    speed_mps: float = 13.89
    period_s: float = 900.0
    replications: int = 20

    def traffic(self, signals: str = "fixed") -> TrafficConfig:
        """The plan as idrt's :class:`~idrt.traffic.TrafficConfig`."""
        plan = {name: getattr(self, name) for name in _PLAN_FIELDS}
        return TrafficConfig(signals=signals, **plan)


@dataclass(frozen=True)
class Saturation:
    """What SUMO's saturated discharge gives.

    Attributes
    ----------
    flow_vph : float
        Saturation flow per lane, veh/h.
    headway_s : float
        Saturation headway, s.
    effective_green_s : tuple of float
        Effective green of the (main, side) phase, s: vehicles per cycle / s.
    lost_time_s : tuple of float
        Lost time of each phase, s: green + yellow − effective green.
    cycles : int
        Saturated greens measured.
    """

    flow_vph: float
    headway_s: float
    effective_green_s: tuple[float, float]
    lost_time_s: tuple[float, float]
    cycles: int

    def green_ratio(self, cycle_s: float) -> tuple[float, float]:
        """Effective g/C of (main, side)."""
        return tuple(g / cycle_s for g in self.effective_green_s)  # type: ignore[return-value]


# ------------------------------------------------------------------ network
def _layout(n_signals: int, setup: IntersectionSetup) -> tuple[list[str], list[tuple]]:
    """Nodes (id, x, y) and edges (id, from, to, length) of the single or corridor layout."""
    nodes = []
    edges = []
    xs = [i * setup.spacing_m for i in range(n_signals)]
    for i, x in enumerate(xs):
        nodes.append((f"C{i}", x, 0.0))
        for arm in ("N", "S"):
            dy = _ARMS[arm][1] * setup.approach_m
            nodes.append((f"{arm}{i}", x, dy))
    west = xs[0] - setup.approach_m
    east = xs[-1] + setup.approach_m
    nodes += [("W", west, 0.0), ("E", east, 0.0)]
    main = ["W", *[f"C{i}" for i in range(n_signals)], "E"]
    for a, b in itertools.pairwise(main):
        edges.append((f"{a}_{b}", a, b))
        edges.append((f"{b}_{a}", b, a))
    for i in range(n_signals):
        for arm in ("N", "S"):
            edges.append((f"{arm}{i}_C{i}", f"{arm}{i}", f"C{i}"))
            edges.append((f"C{i}_{arm}{i}", f"C{i}", f"{arm}{i}"))
    return nodes, edges


def _build(folder: Path, n_signals: int, setup: IntersectionSetup, *, signalised: bool) -> Path:
    """Build the network; without signals the side streets pass over the main one."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes, edges = _layout(n_signals, setup)
    node_lines = []
    for nid, x, y in nodes:
        kind = "traffic_light" if nid.startswith("C") and signalised else "priority"
        node_lines.append(f'<node id="{nid}" x="{_num(x)}" y="{_num(y)}" type="{kind}"/>')
        if nid.startswith("C") and not signalised:  # the overpass of the side street
            node_lines.append(
                f'<node id="B{nid[1:]}" x="{_num(x)}" y="{_num(y)}" type="priority"/>'
            )
    edge_lines = []
    for eid, a, b in edges:
        if not signalised and (a[0] in "NS" or b[0] in "NS"):
            a = "B" + a[1:] if a.startswith("C") else a
            b = "B" + b[1:] if b.startswith("C") else b
        edge_lines.append(
            f'<edge id="{eid}" from="{a}" to="{b}" numLanes="1" speed="{setup.speed_mps:.2f}"/>'
        )
    (folder / "x.nod.xml").write_text(_xml("nodes", node_lines), encoding="utf-8")
    (folder / "x.edg.xml").write_text(_xml("edges", edge_lines), encoding="utf-8")
    net = folder / "x.net.xml"
    run_tool(
        [
            "netconvert",
            "-n", "x.nod.xml", "-e", "x.edg.xml", "-o", net.name,
            "--no-turnarounds", "true", "--junctions.join", "false",
            "--offset.disable-normalization", "true",
        ],
        log=folder / "netconvert.log",
        what=f"building the intersection-check network in {folder}",
        cwd=folder,
    )  # fmt: skip
    return net


def _signal_plans(net: Path, setup: IntersectionSetup, control: str) -> Path:
    """The exported programme (same code as :func:`~idrt.interop.to_sumo`) for every signal."""
    traffic = setup.traffic("adaptive" if control == "actuated" else "fixed")
    lines = []
    for tls_id, links in sorted(_tls_links(net).items()):
        phases = {}
        for link, (from_edge, direction) in links.items():
            arm = from_edge.split("_")[0]
            phases[link] = (1 if arm[0] in "NS" else 0, direction)
        lines.extend(
            _program(tls_id, phases, setup.green_ratio_main, setup.green_ratio_side, traffic)
        )
    out = net.with_name(f"tls.{control}.add.xml")
    out.write_text(_xml("additional", lines), encoding="utf-8")
    return out


def _displayed(setup: IntersectionSetup) -> tuple[list[float], float]:
    """Displayed greens (main, side) and the all-red of the fixed plan, s."""
    lost = setup.lost_time_s_per_phase
    greens = [g * setup.cycle_s + lost - YELLOW_S for g in (setup.green_ratio_main,
                                                            setup.green_ratio_side)]  # fmt: skip
    all_red = max(0.0, (setup.cycle_s - sum(greens) - 2 * YELLOW_S) / 2)
    return greens, all_red


# ------------------------------------------------------------------ running
def _routes(n_signals: int) -> dict[str, tuple[str, str]]:
    """Route id -> (edges, group) of every through movement of the layout."""
    main = ["W", *[f"C{i}" for i in range(n_signals)], "E"]
    east = " ".join(f"{a}_{b}" for a, b in itertools.pairwise(main))
    west = " ".join(f"{b}_{a}" for a, b in reversed(list(itertools.pairwise(main))))
    routes = {"WE": (east, "main"), "EW": (west, "main")}
    for i in range(n_signals):
        routes[f"NS{i}"] = (f"N{i}_C{i} C{i}_S{i}", "side")
        routes[f"SN{i}"] = (f"S{i}_C{i} C{i}_N{i}", "side")
    return routes


def _arrivals(
    rng: np.random.Generator, flows_vph: dict[str, float], setup: IntersectionSetup, cycle_s: float
) -> tuple[list[tuple[float, str, int]], float]:
    """Poisson arrivals per route in each replication's analysis period; and the horizon."""
    gap = setup.period_s + 1200.0  # time for the last queue to clear
    out = []
    start = 0.0
    for rep in range(setup.replications):
        start += float(rng.uniform(0.0, cycle_s))  # a random moment of the cycle
        for route, flow in flows_vph.items():
            if flow <= 0:
                continue
            n = rng.poisson(flow * setup.period_s / 3600.0)
            times = np.sort(rng.uniform(start, start + setup.period_s, n))
            out.extend((float(t), route, rep) for t in times)
        start += gap
    out.sort()
    return out, start


def _run(folder: Path, net: Path, add: Path | None, arrivals, routes, end_s: float, tag: str):
    lines = [f'<route id="{rid}" edges="{edges}"/>' for rid, (edges, _) in routes.items()]
    for k, (t, route, rep) in enumerate(arrivals):
        lines.append(
            f'<vehicle id="{route}.{rep}.{k}" route="{route}" depart="{t:.2f}" '
            'departLane="best" departSpeed="max"/>'
        )
    rou = folder / f"{tag}.rou.xml"
    rou.write_text(_xml("routes", lines), encoding="utf-8")
    trip = folder / f"{tag}.tripinfo.xml"
    args = [
        "sumo", "-n", net.name, "-r", rou.name, "--tripinfo-output", trip.name,
        "--end", f"{end_s:.0f}", "--no-step-log", "true", "--seed", "1",
        "--time-to-teleport", "-1",
    ]  # fmt: skip
    if add is not None:
        args += ["-a", add.name]
    run_tool(args, log=folder / f"{tag}.log", what=f"running {rou}", cwd=folder)
    rows = []
    for info in ET.parse(trip).getroot().iter("tripinfo"):
        route, rep, _ = info.get("id").split(".")
        rows.append(
            (
                info.get("id"),
                route,
                int(rep),
                float(info.get("timeLoss")) + float(info.get("departDelay")),
            )
        )
    return pd.DataFrame(rows, columns=["vehicle", "route", "rep", "loss_s"]).set_index("vehicle")


def sumo_delay(
    x: float,
    saturation: Saturation,
    folder: str | Path,
    *,
    setup: IntersectionSetup | None = None,
    control: str = "fixed",
    layout: str = "single",
    seed: int = 1,
) -> pd.DataFrame:
    """Mean control delay per vehicle in SUMO at degree of saturation ``x``.

    Parameters
    ----------
    x
        Degree of saturation X of every approach under the fixed plan (flow
        ``X s g/C`` with the measured ``s`` and effective greens).
    saturation
        From :func:`measure_saturation`.
    folder
        Working folder (networks, routes, outputs).
    setup
        Plan and geometry (defaults of :class:`IntersectionSetup`).
    control : {"fixed", "actuated"}
        SUMO ``static`` or ``actuated`` programme.
    layout : {"single", "corridor"}
        One intersection, or three along the main street.
    seed
        Seed of the arrivals.

    Returns
    -------
    pandas.DataFrame
        One row per group (``main``, ``side``): ``delay_s`` (mean over all
        vehicles), ``stderr_s`` (between replications), ``vehicles``,
        ``flow_vph`` per approach.

    Raises
    ------
    InteropError
        SUMO missing or failing, or an unknown control / layout.
    """
    setup = setup or IntersectionSetup()
    if control not in ("fixed", "actuated") or layout not in ("single", "corridor"):
        msg = (
            f"control = {control!r}, layout = {layout!r}: choose control 'fixed' or "
            "'actuated' and layout 'single' or 'corridor'"
        )
        raise InteropError(msg)
    find_binary("sumo")
    folder = Path(folder) / f"{layout}"
    n = 3 if layout == "corridor" else 1
    signal_net = folder / "signal"
    free_net = folder / "free"
    if not (signal_net / "x.net.xml").is_file():
        _build(signal_net, n, setup, signalised=True)
    if not (free_net / "x.net.xml").is_file():
        _build(free_net, n, setup, signalised=False)
    add = _signal_plans(signal_net / "x.net.xml", setup, control)
    g_main, g_side = saturation.green_ratio(setup.cycle_s)
    s = saturation.flow_vph
    routes = _routes(n)
    flows = {
        rid: x * s * (g_main if group == "main" else g_side) for rid, (_, group) in routes.items()
    }
    rng = np.random.default_rng([seed, round(x * 1000), n])
    arrivals, end = _arrivals(rng, flows, setup, setup.cycle_s)
    tag = f"{control}_x{x:.2f}"
    with_signal = _run(signal_net, signal_net / "x.net.xml", add, arrivals, routes, end, tag)
    free = _run(free_net, free_net / "x.net.xml", None, arrivals, routes, end, tag)
    if len(with_signal) != len(arrivals):
        msg = (
            f"SUMO finished {len(with_signal)} of {len(arrivals)} vehicles at X = {x}; "
            f"lengthen the approaches (approach_m) or the horizon (see {signal_net})"
        )
        raise InteropError(msg)
    delay = with_signal["loss_s"] - free["loss_s"].reindex(with_signal.index).fillna(0.0)
    frame = with_signal.assign(delay_s=delay, group=with_signal["route"].map(
        {rid: group for rid, (_, group) in routes.items()}))  # fmt: skip
    rows = []
    for group, part in frame.groupby("group", sort=True):
        per_rep = part.groupby("rep")["delay_s"].mean()
        rows.append(
            {
                "group": group,
                "delay_s": float(part["delay_s"].mean()),
                "stderr_s": float(per_rep.std(ddof=1) / np.sqrt(len(per_rep)))
                if len(per_rep) > 1
                else float("nan"),
                "vehicles": len(part),
                "flow_vph": flows["WE" if group == "main" else "NS0"],
            }
        )
    return pd.DataFrame(rows)


def measure_saturation(
    folder: str | Path,
    *,
    setup: IntersectionSetup | None = None,
    cycles: int = 30,
    demand_vph: float = 1200.0,
) -> Saturation:
    """Saturation flow and effective greens from SUMO's discharge of a standing queue.

    Every approach of the single intersection gets ``demand_vph`` (more than
    it can pass), so a queue stands at every green; instant induction loops
    at the stop lines time the vehicles crossing.

    Parameters
    ----------
    folder
        Working folder.
    setup
        Plan and geometry.
    cycles
        Cycles to measure (after a warm-up of 3 cycles).
    demand_vph
        Arrival flow per approach, veh/h (must exceed the capacity).

    Returns
    -------
    Saturation

    Raises
    ------
    InteropError
        SUMO missing or failing, or too few queued vehicles to measure.
    """
    setup = setup or IntersectionSetup()
    folder = Path(folder) / "saturation"
    net = _build(folder, 1, setup, signalised=True)
    add = _signal_plans(net, setup, "fixed")
    loops = []
    for arm in ("W", "E", "N0", "S0"):
        lane = f"{arm}_C0_0"
        loops.append(
            f'<instantInductionLoop id="loop_{arm}" lane="{lane}" pos="-0.5" file="loops.xml"/>'
        )
    det = folder / "loops.add.xml"
    det.write_text(_xml("additional", loops), encoding="utf-8")
    horizon = (cycles + 3) * setup.cycle_s
    lines = [f'<route id="{rid}" edges="{e}"/>' for rid, (e, _) in _routes(1).items()]
    for rid in _routes(1):
        lines.append(
            f'<flow id="f{rid}" route="{rid}" begin="0" end="{horizon:.0f}" '
            f'vehsPerHour="{demand_vph:.0f}" departLane="best" departSpeed="max"/>'
        )
    (folder / "sat.rou.xml").write_text(_xml("routes", lines), encoding="utf-8")
    run_tool(
        [
            "sumo", "-n", net.name, "-r", "sat.rou.xml", "-a", f"{add.name},{det.name}",
            "--end", f"{horizon:.0f}", "--no-step-log", "true", "--seed", "1",
            "--time-to-teleport", "-1",
        ],
        log=folder / "sumo.log",
        what="measuring the saturation flow",
        cwd=folder,
    )  # fmt: skip
    events = [
        (e.get("id"), float(e.get("time")))
        for e in ET.parse(folder / "loops.xml").getroot().iter("instantOut")
        if e.get("state") == "enter"
    ]
    greens, all_red = _displayed(setup)
    start_side = greens[0] + YELLOW_S + all_red
    windows = {0: (0.0, greens[0]), 1: (start_side, start_side + greens[1])}
    headways = []
    per_cycle: list[list[int]] = [[], []]
    for loop in ("W", "E", "N0", "S0"):
        phase = 0 if loop in ("W", "E") else 1
        times = np.sort([t for i, t in events if i == f"loop_{loop}"])
        lo, hi = windows[phase]
        for k in range(3, cycles + 3):
            base = k * setup.cycle_s
            green = times[(times >= base + lo) & (times < base + hi)]
            served = times[(times >= base + lo) & (times < base + hi + YELLOW_S + all_red)]
            per_cycle[phase].append(len(served))
            if green.size > 5:
                headways.extend(np.diff(green)[3:].tolist())  # 5th vehicle onwards
    if len(headways) < 20:
        msg = f"too few queued vehicles to measure the saturation flow (see {folder})"
        raise InteropError(msg)
    headway = float(np.mean(headways))
    flow = 3600.0 / headway
    eff = tuple(float(np.mean(per_cycle[p])) * headway for p in (0, 1))
    lost = tuple(greens[p] + YELLOW_S - eff[p] for p in (0, 1))
    return Saturation(flow, headway, eff, lost, cycles)  # type: ignore[arg-type]


# --------------------------------------------------------------------- idrt
def idrt_delay(
    x: float,
    saturation: Saturation,
    *,
    setup: IntersectionSetup | None = None,
    control: str = "fixed",
) -> dict[str, dict[str, float]]:
    """Expected control delay (idrt's model) ``d1 + d2`` of the main and side approaches.

    Parameters
    ----------
    x
        Degree of saturation under the fixed plan (as in :func:`sumo_delay`).
    saturation
        Measured saturation flow and effective greens (the same numbers SUMO ran).
    setup
        Plan (cycle, limits of the adaptive controller).
    control : {"fixed", "actuated"}
        ``"fixed"``: the plan as it is; ``"actuated"``: idrt's adaptive model,
        Webster's cycle ``(1.5 L + 5) / (1 - Y)`` in [min_cycle_s,
        max_cycle_s] and greens in proportion to the flow ratios (at least
        ``min_green_s``), with the measured lost time L.

    Returns
    -------
    dict
        ``{"main": {...}, "side": {...}}`` with ``delay_s``, ``cycle_s``,
        ``green_ratio`` and ``x`` (the degree of saturation under that plan).
    """
    setup = setup or IntersectionSetup()
    s = saturation.flow_vph
    g_fixed = np.array(saturation.green_ratio(setup.cycle_s))
    y = x * g_fixed  # flow ratios v / s
    if control == "actuated":
        lost = float(sum(saturation.lost_time_s))
        cycle = float(
            webster_cycle_s(
                lost, float(y.sum()), min_cycle_s=setup.min_cycle_s, max_cycle_s=setup.max_cycle_s
            )
        )
        green = webster_green_ratios(y, cycle, lost, min_green_s=setup.min_green_s)
    else:
        cycle = setup.cycle_s
        green = g_fixed
    xs = y / green
    delay = control_delay_s(cycle, green, xs, s * green)
    return {
        group: {
            "delay_s": float(delay[i]),
            "cycle_s": cycle,
            "green_ratio": float(green[i]),
            "x": float(xs[i]),
        }
        for i, group in enumerate(("main", "side"))
    }


# -------------------------------------------------------------------- study
def intersection_check(
    folder: str | Path,
    *,
    x_values: tuple[float, ...] = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1),
    controls: tuple[str, ...] = ("fixed", "actuated"),
    layouts: tuple[str, ...] = ("single", "corridor"),
    setup: IntersectionSetup | None = None,
    seed: int = 1,
) -> tuple[pd.DataFrame, Saturation]:
    """SUMO vs idrt control delay over degrees of saturation, controls and layouts.

    Returns
    -------
    (pandas.DataFrame, Saturation)
        The table: ``layout``, ``control``, ``x``, ``group`` (``main``,
        ``side``; in the corridor ``main`` is the whole corridor, three
        signals), ``sumo_delay_s``, ``sumo_stderr_s``, ``vehicles``,
        ``idrt_delay_s``, ``ratio`` (SUMO / idrt), ``idrt_cycle_s``,
        ``idrt_green_ratio``; and the measured saturation.
    """
    setup = setup or IntersectionSetup()
    saturation = measure_saturation(folder, setup=setup)
    rows = []
    for layout in layouts:
        for control in controls:
            for x in x_values:
                sumo = sumo_delay(
                    x, saturation, folder, setup=setup, control=control, layout=layout, seed=seed
                )
                model = idrt_delay(x, saturation, setup=setup, control=control)
                for rec in sumo.to_dict("records"):
                    m = model[rec["group"]]
                    signals = 3 if layout == "corridor" and rec["group"] == "main" else 1
                    idrt_s = signals * m["delay_s"]
                    rows.append(
                        {
                            "layout": layout,
                            "control": control,
                            "x": x,
                            "group": rec["group"],
                            "signals_passed": signals,
                            "flow_vph": rec["flow_vph"],
                            "sumo_delay_s": rec["delay_s"],
                            "sumo_stderr_s": rec["stderr_s"],
                            "vehicles": rec["vehicles"],
                            "idrt_delay_s": idrt_s,
                            "ratio": rec["delay_s"] / idrt_s if idrt_s > 0 else float("nan"),
                            "idrt_cycle_s": m["cycle_s"],
                            "idrt_green_ratio": m["green_ratio"],
                        }
                    )
    return pd.DataFrame(rows), saturation


def plot_intersection_check(table: pd.DataFrame, saturation: Saturation | None = None) -> Any:
    """Delay against X: SUMO (points, ±2 standard errors) and idrt (lines), one panel per case.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415 -- matplotlib.pyplot costs ~1 s, only for this figure

    cases = list(dict.fromkeys(zip(table["layout"], table["control"], strict=True)))
    cols = 2 if len(cases) > 1 else 1
    rows_n = -(-len(cases) // cols)
    fig, axes = plt.subplots(rows_n, cols, figsize=(5.6 * cols, 4.0 * rows_n), squeeze=False)
    colours = {"main": "tab:blue", "side": "tab:orange"}
    for ax in axes.flat[len(cases) :]:
        ax.set_visible(False)
    for ax, (layout, control) in zip(axes.flat, cases, strict=False):
        part = table[(table["layout"] == layout) & (table["control"] == control)]
        for group, rows in part.groupby("group"):
            label = "main (3 signals)" if layout == "corridor" and group == "main" else group
            ax.errorbar(
                rows["x"], rows["sumo_delay_s"], yerr=2 * rows["sumo_stderr_s"].fillna(0),
                fmt="o", color=colours[group], ms=4, capsize=2, label=f"SUMO {label}",
            )  # fmt: skip
            ax.plot(rows["x"], rows["idrt_delay_s"], "-", color=colours[group],
                    label=f"idrt d1+d2 {label}")  # fmt: skip
        ax.axvspan(0.0, 0.9, color="0.92", zorder=0)
        ax.set_xlim(part["x"].min() - 0.05, part["x"].max() + 0.05)
        model = "adaptive (Webster)" if control == "actuated" else "fixed"
        ax.set_title(f"{layout}: SUMO {control} vs idrt {model}", fontsize=9)
        ax.set_xlabel("degree of saturation X (fixed plan)")
        ax.set_ylabel("control delay per vehicle (s)")
        ax.legend(fontsize=7)
    if saturation is not None:
        fig.suptitle(
            f"SUMO saturation flow {saturation.flow_vph:,.0f} veh/h/lane "
            f"(headway {saturation.headway_s:.2f} s); shaded: X ≤ 0.9",
            fontsize=9,
        )
    fig.tight_layout()
    return fig
