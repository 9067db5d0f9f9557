"""Export a scenario to Eclipse SUMO: network, signal plans, taxi fleet and riders.

:func:`to_sumo` writes one folder that ``sumo -c case.sumocfg`` runs as it is:

============================  ==================================================
``case.nod.xml``              plain-XML nodes: every idrt node (projected x, y
                              in metres); signalised ones as traffic lights,
                              the nodes of one intersection sharing one ``tl``
``case.edg.xml``              plain-XML edges: one per directed idrt link, with
                              idrt's length, lanes and free-flow speed
                              (``length / edge_travel_time_s``, so SUMO's
                              free-flow time is idrt's)
``case.netccfg``              the ``netconvert`` configuration that builds
``case.net.xml``              the SUMO network (built when SUMO is installed)
``case.tls.add.xml``          two-phase signal programmes with the scenario's
                              cycle and main/side green split
``case.rou.xml``              the taxi ``vType`` (taxi device, capacity,
                              stop times), one taxi per vehicle at its depot,
                              and one person per rider with
                              ``<ride lines="taxi">`` (a group per request)
``case.sumocfg``              the SUMO run: times, dispatch algorithm, outputs
``nodes.csv``, ``edges.csv``  SUMO id ↔ idrt id (node ids, edge index)
``requests.csv``              request ↔ persons, edges, times, direct time
``taxis.csv``                 taxi ↔ idrt vehicle index and depot
``case.json``, ``README.md``  what was exported, how, and how to run it
============================  ==================================================

Same scenario and seed give the same files, byte for byte (``netconvert``'s
header, which holds a date and absolute paths, is replaced by a fixed one).

Mapping choices (see ``docs/sumo.md``):

* A rider waits at the **end of an edge entering the request's node** (the
  longest one): idrt places riders on nodes, so a taxi stopping there has
  reached the node, as an idrt bus does.
* **Taxis start** on the longest edge entering their depot node and idle where
  they drop their last rider (``--device.taxi.idle-algorithm stop``), as
  idrt's buses do without rebalancing.
* **Stops**: ``device.taxi.pickUpDuration`` and ``dropOffDuration`` are
  ``service.stop_time_s``; ``boardingDuration`` is
  ``service.boarding_s_per_pax`` (SUMO uses it for alighting too).
* **Signals**: ``traffic.signals = "fixed"`` gives static two-phase plans
  (main green, yellow, all-red, side green, yellow, all-red) whose effective
  greens (green + yellow − lost time) are idrt's g/C times the cycle;
  ``"adaptive"`` gives SUMO ``actuated`` programmes with the same phases,
  minimum greens ``traffic.min_green_s`` and maxima that fit
  ``traffic.max_cycle_s``; ``"none"`` makes signalised nodes priority junctions.
"""

from __future__ import annotations

import dataclasses
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt import routing
from idrt.demand.trips import check_trip_nodes
from idrt.errors import IdrtError, IdrtWarning, InteropError
from idrt.interop._tools import INSTALL_HINT, run_tool, sumo_available, sumo_version
from idrt.network import RoadNetwork
from idrt.network.speeds import ROAD_CLASSES
from idrt.scenario import Scenario
from idrt.sim.assembly import build_network, build_trips, depot_nodes
from idrt.traffic import build_travel_times
from idrt.traffic.congestion import ROAD_CLASS_RANK

__all__ = ["EXPORT_FILES", "SumoCase", "sumo_edge_ids", "to_sumo"]

CASE = "case"
"""Stem of the exported files (``case.sumocfg``, ``case.net.xml``, ...)."""

EXPORT_FILES = (
    f"{CASE}.nod.xml",
    f"{CASE}.edg.xml",
    f"{CASE}.netccfg",
    f"{CASE}.net.xml",
    f"{CASE}.tls.add.xml",
    f"{CASE}.rou.xml",
    f"{CASE}.sumocfg",
    f"{CASE}.json",
    "nodes.csv",
    "edges.csv",
    "requests.csv",
    "taxis.csv",
    "scenario.toml",
    "README.md",
    "netconvert.log",
)
"""Every file :func:`to_sumo` writes (``--force`` replaces exactly these)."""

OUTPUT_PATTERNS = ("tripinfo*.xml", "stats*.xml", "sumo*.log")
"""Files SUMO runs of the case write (removed by a forced re-export)."""

DISPATCH_ALGORITHMS = ("greedy", "greedyClosest", "greedyShared", "routeExtension")
"""SUMO's built-in taxi dispatch algorithms (``traci`` needs a controller)."""

YELLOW_S = 3.0
"""Yellow time of every exported phase, s (the rest of the lost time is all-red)."""

TAXI_LENGTH_M = 7.0
"""Length of the exported minibus, m (a 16-seat minibus; SUMO's car is 5 m)."""

_COORD = "{:.2f}"


@dataclass(frozen=True)
class SumoCase:
    """An exported SUMO case (the folder :func:`to_sumo` wrote).

    Attributes
    ----------
    folder : pathlib.Path
        The case folder.
    config : pathlib.Path
        ``case.sumocfg``: run it with ``sumo -c``.
    built : bool
        Whether ``case.net.xml`` was built (SUMO was installed); without it
        the folder holds the plain XML and ``README.md`` says how to build it.
    n_requests, n_persons, n_taxis : int
        Requests exported, SUMO persons (riders, a group per request) and taxis.
    begin_s, end_s : float
        Simulated period, s after midnight.
    """

    folder: Path
    config: Path
    built: bool
    n_requests: int
    n_persons: int
    n_taxis: int
    begin_s: float
    end_s: float

    def path(self, name: str) -> Path:
        """A file of the case, e.g. ``case.path("requests.csv")``."""
        return self.folder / name


# ------------------------------------------------------------------ public
def to_sumo(
    scenario: Scenario | None = None,
    seed: int | None = None,
    out: str | Path = "sumo_case",
    *,
    network: RoadNetwork | None = None,
    trips: Any = None,
    force: bool = False,
    dispatch: str = "greedyShared",
    dispatch_period_s: float = 60.0,
    end_margin_s: float = 7200.0,
    build: bool = True,
) -> SumoCase:
    """Export a scenario, with one seeded demand draw, as a runnable SUMO case.

    Parameters
    ----------
    scenario
        The scenario; the embedded Yeongjong pilot when omitted. SUMO has no
        background traffic: compare with ``traffic.profile = ""``.
    seed
        Seed of the demand draw (the scenario's ``seed`` when omitted); the
        same draw :func:`idrt.simulate` makes with this seed.
    out
        Folder to write. It must not exist or be empty, unless ``force``.
    network
        A prebuilt network (else built from the scenario).
    trips
        Requests to export instead of the scenario's demand draw (a
        :class:`idrt.demand.Demand` or a trip DataFrame, as for
        :func:`idrt.simulate`).
    force
        Write into a folder that is not empty, replacing the files of an
        earlier export (only those, see :data:`EXPORT_FILES`).
    dispatch : {"greedyShared", "greedy", "greedyClosest", "routeExtension"}
        SUMO taxi dispatch algorithm written into ``case.sumocfg``.
    dispatch_period_s
        How often SUMO's dispatcher runs, s (SUMO's default 60).
    end_margin_s
        The simulation runs this long after the end of service, s, so that
        riders accepted before it are carried.
    build
        Run ``netconvert`` (and write the signal programmes); when SUMO is not
        installed the plain XML is written anyway, with a warning.

    Returns
    -------
    SumoCase

    Raises
    ------
    InteropError
        A folder that is not empty (without ``force``), an unknown dispatch
        algorithm, requests off the network, or ``netconvert`` failing (its
        log is kept and named).

    Examples
    --------
    >>> import idrt
    >>> scn = idrt.Scenario.from_toml("experiments/yeongjong.toml")  # doctest: +SKIP
    >>> case = idrt.interop.to_sumo(scn, seed=1, out="sumo_case/")   # doctest: +SKIP
    >>> peer = idrt.interop.run_sumo(case.folder)                     # doctest: +SKIP
    """
    scenario = scenario if scenario is not None else Scenario()
    seed = scenario.seed if seed is None else int(seed)
    if dispatch not in DISPATCH_ALGORITHMS:
        msg = f"dispatch = {dispatch!r} is not a SUMO taxi dispatch algorithm; choose one of "
        msg += f"{list(DISPATCH_ALGORITHMS)}"
        raise InteropError(msg)
    if not dispatch_period_s > 0:
        msg = f"dispatch_period_s = {dispatch_period_s!r}: must be > 0 s (SUMO's default is 60)"
        raise InteropError(msg)
    folder = _prepare_folder(Path(out), force)
    if scenario.traffic.profile:
        msg = (
            f"traffic.profile = {scenario.traffic.profile!r} is not exported: SUMO runs the "
            "taxis on empty roads. Compare with idrt at traffic.profile = '' (free flow)"
        )
        warnings.warn(msg, IdrtWarning, stacklevel=2)
    net = network if network is not None else build_network(scenario)
    if trips is None:
        trips = build_trips(scenario, net, seed)
    frame = _trip_frame(getattr(trips, "trips", trips), net)
    svc = scenario.service
    begin_s = svc.start_h * 3600.0
    end_s = svc.end_h * 3600.0 + float(end_margin_s)

    edge_ids = sumo_edge_ids(net)
    _write_plain_network(folder, net, scenario, edge_ids)
    requests = _request_table(frame, net, edge_ids)
    taxis = _taxi_table(scenario, net, edge_ids)
    _write_routes(
        folder / f"{CASE}.rou.xml", scenario, requests, taxis, net, edge_ids, begin_s, end_s
    )
    _write_mapping(folder, net, edge_ids)
    requests.to_csv(folder / "requests.csv", index=False, float_format="%.6f")
    taxis.to_csv(folder / "taxis.csv", index=False)
    (folder / "scenario.toml").write_text(scenario.to_toml(), encoding="utf-8")

    can_build = build and sumo_available()
    if build and not can_build:
        msg = (
            f"SUMO is not installed: wrote the plain XML network to {folder} but not "
            f"case.net.xml; {INSTALL_HINT}, then build it with `netconvert -c "
            f"{CASE}.netccfg` in that folder (README.md says more)"
        )
        warnings.warn(msg, IdrtWarning, stacklevel=2)
    n_tls = 0
    if can_build:
        _netconvert(folder)
        n_tls = _write_signal_programs(folder, net, scenario, edge_ids)
    else:
        (folder / f"{CASE}.tls.add.xml").write_text(_xml("additional", []), encoding="utf-8")
    _write_config(folder, scenario, seed, begin_s, end_s, dispatch, dispatch_period_s)
    meta = {
        "idrt_scenario": scenario.name,
        "scenario_hash": scenario.content_hash(),
        "seed": seed,
        "network": net.name,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "signalised_intersections": net.n_signals,
        "signal_programmes": n_tls,
        "signals": scenario.traffic.signals,
        "traffic_profile": scenario.traffic.profile,
        "requests": len(requests),
        "persons": int(requests["pax"].sum()),
        "taxis": len(taxis),
        "capacity": scenario.fleet.capacity,
        "begin_s": begin_s,
        "end_s": end_s,
        "service_end_s": svc.end_h * 3600.0,
        "max_wait_s": svc.max_wait_s,
        "dispatch": dispatch,
        "dispatch_period_s": float(dispatch_period_s),
        "built": can_build,
        "sumo_version": sumo_version("netconvert") if can_build else "",
    }
    (folder / f"{CASE}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(_readme(meta), encoding="utf-8")
    return SumoCase(
        folder=folder,
        config=folder / f"{CASE}.sumocfg",
        built=can_build,
        n_requests=len(requests),
        n_persons=int(requests["pax"].sum()),
        n_taxis=len(taxis),
        begin_s=begin_s,
        end_s=end_s,
    )


def sumo_edge_ids(net: RoadNetwork) -> np.ndarray:
    """SUMO edge id of every idrt edge: ``"<tail node id>_<head node id>"``.

    idrt keeps one edge per ordered node pair, so the ids are unique.
    """
    tails = net.node_ids[net.edge_tails].astype(str)
    heads = net.node_ids[net.heads].astype(str)
    return np.char.add(np.char.add(tails, "_"), heads).astype(object)


# ---------------------------------------------------------------- folder
def _prepare_folder(folder: Path, force: bool) -> Path:
    if folder.exists() and not folder.is_dir():
        msg = f"output {str(folder)!r} is a file, not a folder; give a folder for the SUMO case"
        raise InteropError(msg)
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            msg = (
                f"output folder {str(folder)!r} exists and is not empty; choose a new folder "
                "or pass force=True (--force) to replace an earlier export in it"
            )
            raise InteropError(msg)
        for name in EXPORT_FILES:
            (folder / name).unlink(missing_ok=True)
        for pattern in OUTPUT_PATTERNS:
            for path in sorted(folder.glob(pattern)):
                path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _trip_frame(frame: pd.DataFrame, net: RoadNetwork) -> pd.DataFrame:
    need = ["request_id", "booking_time_s", "request_time_s", "origin_node", "destination_node"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        msg = f"trips lack column(s) {missing}; give a trip table as idrt.simulate takes it"
        raise InteropError(msg)
    frame = frame.copy()
    if "pax" not in frame.columns:
        frame["pax"] = 1
    frame = frame.sort_values(["request_time_s", "request_id"], kind="stable")
    check_trip_nodes(frame, net, InteropError)
    prebooked = frame["request_time_s"] > frame["booking_time_s"]
    if prebooked.any():
        msg = (
            f"{int(prebooked.sum())} request(s) are pre-booked; SUMO's taxis get them as "
            "immediate requests at their pickup time (SUMO's prebooking does not support groups)"
        )
        warnings.warn(msg, IdrtWarning, stacklevel=3)
    if (frame["pax"] < 1).any():
        msg = "trips have a group of fewer than 1 rider; every request needs pax >= 1"
        raise InteropError(msg)
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------- network
def _xml(root: str, lines: list[str], attrs: str = "") -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- written by idrt.interop.to_sumo -->\n'
    body = "".join(f"    {line}\n" for line in lines)
    return f"{head}<{root}{attrs}>\n{body}</{root}>\n"


def _num(value: float, digits: int = 2) -> str:
    """Fixed-point text of a float, without a trailing ``.00`` noise for integers."""
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rank(net: RoadNetwork) -> np.ndarray:
    return np.array([ROAD_CLASS_RANK.get(c, 0) for c in ROAD_CLASSES], dtype=np.int64)[
        net.road_class
    ]


def _write_plain_network(
    folder: Path, net: RoadNetwork, scenario: Scenario, edge_ids: np.ndarray
) -> None:
    signals = scenario.traffic.signals
    tl_type = "actuated" if signals == "adaptive" else "static"
    nodes = []
    for i in range(net.n_nodes):
        attrs = f'id="{net.node_ids[i]}" x="{_COORD.format(net.x_m[i])}" '
        attrs += f'y="{_COORD.format(net.y_m[i])}"'
        sig = int(net.signal_id[i])
        if sig >= 0 and signals != "none":
            attrs += f' type="traffic_light" tl="tls{sig}" tlType="{tl_type}"'
        else:
            attrs += ' type="priority"'
        nodes.append(f"<node {attrs}/>")
    (folder / f"{CASE}.nod.xml").write_text(
        _xml("nodes", nodes, ' version="1.20"'), encoding="utf-8"
    )

    tails = net.edge_tails
    rank = _rank(net)
    # speed = length / time, so that SUMO's free-flow time is idrt's link time
    speed_mps = net.length_m / net.edge_travel_time_s
    edges = []
    for e in range(net.n_edges):
        edges.append(
            f'<edge id="{edge_ids[e]}" from="{net.node_ids[tails[e]]}" '
            f'to="{net.node_ids[net.heads[e]]}" priority="{rank[e]}" '
            f'numLanes="{max(1, int(net.lanes[e]))}" speed="{speed_mps[e]:.4f}" '
            f'length="{net.length_m[e]:.3f}" type="{ROAD_CLASSES[net.road_class[e]]}"/>'
        )
    (folder / f"{CASE}.edg.xml").write_text(
        _xml("edges", edges, ' version="1.20"'), encoding="utf-8"
    )
    config = [
        "<input>",
        f'    <node-files value="{CASE}.nod.xml"/>',
        f'    <edge-files value="{CASE}.edg.xml"/>',
        "</input>",
        "<output>",
        f'    <output-file value="{CASE}.net.xml"/>',
        "</output>",
        "<processing>",
        '    <geometry.remove value="false"/>',
        '    <junctions.join value="false"/>',
        '    <no-internal-links value="true"/>',
        # idrt routes may turn round anywhere (u -> v -> u); netconvert by default
        # builds no turnaround at nodes that merely bend a road
        '    <no-turnarounds value="false"/>',
        '    <no-turnarounds.geometry value="false"/>',
        "</processing>",
        "<tls_building>",
        f'    <tls.cycle.time value="{round(scenario.traffic.cycle_s)}"/>',
        f'    <tls.yellow.time value="{round(YELLOW_S)}"/>',
        "</tls_building>",
        "<report>",
        '    <verbose value="false"/>',
        "</report>",
    ]
    (folder / f"{CASE}.netccfg").write_text(_xml("configuration", config), encoding="utf-8")


def _netconvert(folder: Path) -> None:
    log = folder / "netconvert.log"
    run_tool(
        ["netconvert", "-c", f"{CASE}.netccfg"],
        log=log,
        what=f"building the SUMO network from {folder / (CASE + '.nod.xml')} and .edg.xml",
        cwd=folder,
    )
    net_file = folder / f"{CASE}.net.xml"
    if not net_file.is_file():
        msg = f"netconvert wrote no {net_file}; its log is kept at {log}"
        raise InteropError(msg)
    # netconvert's header comment holds the date and absolute paths: replace it
    # so that the same scenario and seed give the same files byte for byte.
    text = net_file.read_text(encoding="utf-8")
    text = re.sub(
        r"<!--.*?-->\s*",
        f"<!-- built by netconvert {sumo_version('netconvert')} from {CASE}.netccfg -->\n\n",
        text,
        count=1,
        flags=re.DOTALL,
    )
    net_file.write_text(text, encoding="utf-8")


_CONNECTION = re.compile(r"<connection ([^>]*\btl=[^>]*)/>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def _tls_links(net_file: Path) -> dict[str, dict[int, tuple[str, str]]]:
    """Per traffic light, link index -> (incoming SUMO edge, direction), from a net.xml."""
    out: dict[str, dict[int, tuple[str, str]]] = {}
    text = net_file.read_text(encoding="utf-8")
    for match in _CONNECTION.finditer(text):
        attrs = dict(_ATTR.findall(match.group(1)))
        links = out.setdefault(attrs["tl"], {})
        links[int(attrs["linkIndex"])] = (attrs["from"], attrs.get("dir", "s"))
    return out


def _write_signal_programs(
    folder: Path, net: RoadNetwork, scenario: Scenario, edge_ids: np.ndarray
) -> int:
    """Two-phase programmes for every traffic light netconvert built; returns their count."""
    traffic = scenario.traffic
    lines: list[str] = []
    if traffic.signals == "none" or net.n_signals == 0:
        (folder / f"{CASE}.tls.add.xml").write_text(_xml("additional", lines), encoding="utf-8")
        return 0

    # idrt's own phase split and greens (free flow: the plan does not depend on it)
    tt = build_travel_times(net, dataclasses.replace(traffic, profile="", signals="fixed"))
    edge_index = {eid: e for e, eid in enumerate(edge_ids.tolist())}
    phase_of_edge = dict(zip(tt.approach_edge.tolist(), tt.approach_phase.tolist(), strict=True))
    green_of_edge = dict(zip(tt.approach_edge.tolist(), tt.green_ratio[0].tolist(), strict=True))
    count = 0
    tls_links = _tls_links(folder / f"{CASE}.net.xml")
    for tls_id in sorted(tls_links, key=lambda t: (len(t), t)):
        links: dict[int, tuple[int, str]] = {}  # link index -> (phase or -1, direction)
        greens: list[list[float]] = [[], []]
        for link, (from_edge, direction) in tls_links[tls_id].items():
            e = edge_index.get(from_edge, -1)
            phase = phase_of_edge.get(e, -1)
            links[link] = (phase, direction)
            if phase >= 0:
                greens[phase].append(green_of_edge[e])
        g_main = float(np.mean(greens[0])) if greens[0] else traffic.green_ratio_main
        g_side = float(np.mean(greens[1])) if greens[1] else traffic.green_ratio_side
        lines.extend(_program(tls_id, links, g_main, g_side, traffic))
        count += 1
    (folder / f"{CASE}.tls.add.xml").write_text(_xml("additional", lines), encoding="utf-8")
    return count


def _program(
    tls_id: str, links: dict[int, tuple[int, str]], g_main: float, g_side: float, traffic: Any
) -> list[str]:
    """A two-phase plan; effective green = green + yellow - lost time = g/C x cycle."""
    n = max(links) + 1
    cycle = traffic.cycle_s
    lost = traffic.lost_time_s_per_phase
    displayed = [g * cycle + lost - YELLOW_S for g in (g_main, g_side)]
    all_red = max(0.0, (cycle - sum(displayed) - 2 * YELLOW_S) / 2)

    def state(active: int, colour: str) -> str:
        out = []
        for i in range(n):
            phase, direction = links.get(i, (-2, "s"))
            if phase == -1:  # inside a multi-node intersection: always may go, yielding
                out.append("g")
            elif phase == active:
                minor = colour == "G" and direction in ("l", "L", "t")
                out.append("g" if minor else colour)
            else:
                out.append("r")
        return "".join(out)

    actuated = traffic.signals == "adaptive"
    kind = "actuated" if actuated else "static"
    lines = [f'<tlLogic id="{tls_id}" type="{kind}" programID="idrt" offset="0">']
    for active in (0, 1):
        if actuated:
            spare = traffic.max_cycle_s - 2 * (YELLOW_S + all_red + traffic.min_green_s)
            max_green = traffic.min_green_s + max(0.0, spare) * (g_main, g_side)[active] / (
                g_main + g_side
            )
            lines.append(
                f'    <phase duration="{_num(displayed[active])}" minDur="'
                f'{_num(traffic.min_green_s)}" maxDur="{_num(max_green)}" '
                f'state="{state(active, "G")}"/>'
            )
        else:
            lines.append(
                f'    <phase duration="{_num(displayed[active])}" state="{state(active, "G")}"/>'
            )
        lines.append(f'    <phase duration="{_num(YELLOW_S)}" state="{state(active, "y")}"/>')
        if all_red > 0:
            lines.append(f'    <phase duration="{_num(all_red)}" state="{state(-3, "r")}"/>')
    lines.append("</tlLogic>")
    return lines


# ------------------------------------------------------------ riders, taxis
def _entry_edges(net: RoadNetwork) -> np.ndarray:
    """Per node, the longest edge entering it (ties: lowest edge index)."""
    heads = net.heads.astype(np.int64)
    order = np.lexsort((np.arange(net.n_edges), -net.length_m, heads))
    first = np.ones(order.size, dtype=bool)
    first[1:] = heads[order][1:] != heads[order][:-1]
    out = np.full(net.n_nodes, -1, dtype=np.int64)
    out[heads[order][first]] = order[first]
    return out


def _stop_pos(length_m: np.ndarray) -> np.ndarray:
    """Where on an edge a rider waits: its downstream end (the node), 0.1 m short of it."""
    return np.maximum(length_m - 0.1, 0.0)


def _request_table(frame: pd.DataFrame, net: RoadNetwork, edge_ids: np.ndarray) -> pd.DataFrame:
    entry = _entry_edges(net)
    o = np.asarray(net.index_of(frame["origin_node"].to_numpy(np.int64)), dtype=np.int64)
    d = np.asarray(net.index_of(frame["destination_node"].to_numpy(np.int64)), dtype=np.int64)
    e_from, e_to = entry[o], entry[d]
    direct = np.full(o.size, np.nan)
    for origin in np.unique(o):
        rows = np.flatnonzero(o == origin)
        direct[rows] = routing.one_to_many(net.csr, int(origin), d[rows])
    return pd.DataFrame(
        {
            "request_id": frame["request_id"].to_numpy(np.int64),
            "booking_time_s": frame["booking_time_s"].to_numpy(float),
            "request_time_s": frame["request_time_s"].to_numpy(float),
            "origin_node": frame["origin_node"].to_numpy(np.int64),
            "destination_node": frame["destination_node"].to_numpy(np.int64),
            "pax": frame["pax"].to_numpy(np.int64),
            "from_edge": edge_ids[e_from],
            "from_pos_m": np.round(_stop_pos(net.length_m[e_from]), 2),
            "to_edge": edge_ids[e_to],
            "to_pos_m": np.round(_stop_pos(net.length_m[e_to]), 2),
            "direct_s": direct,
        }
    )


def _taxi_table(scenario: Scenario, net: RoadNetwork, edge_ids: np.ndarray) -> pd.DataFrame:
    try:
        depots = depot_nodes(scenario, net)
    except IdrtError as exc:
        msg = f"cannot place the taxis: {exc}"
        raise InteropError(msg) from exc
    entry = _entry_edges(net)
    return pd.DataFrame(
        {
            "taxi": [f"taxi_{v}" for v in range(depots.size)],
            "vehicle": np.arange(depots.size),
            "depot_node": net.node_ids[depots],
            "depot_edge": edge_ids[entry[depots]],
        }
    )


def _write_routes(
    path: Path,
    scenario: Scenario,
    requests: pd.DataFrame,
    taxis: pd.DataFrame,
    net: RoadNetwork,
    edge_ids: np.ndarray,
    begin_s: float,
    end_s: float,
) -> None:
    svc = scenario.service
    lines = [
        f'<vType id="taxi" vClass="taxi" personCapacity="{scenario.fleet.capacity}" '
        f'length="{_num(TAXI_LENGTH_M)}" speedFactor="1" speedDev="0" '
        f'boardingDuration="{_num(svc.boarding_s_per_pax)}">',
        '    <param key="has.taxi.device" value="true"/>',
        f'    <param key="device.taxi.pickUpDuration" value="{_num(svc.stop_time_s)}"/>',
        f'    <param key="device.taxi.dropOffDuration" value="{_num(svc.stop_time_s)}"/>',
        f'    <param key="device.taxi.end" value="{_num(end_s)}"/>',
        "</vType>",
    ]
    for row in taxis.itertuples(index=False):
        lines.append(
            f'<vehicle id="{row.taxi}" type="taxi" depart="{_num(begin_s)}" line="taxi" '
            f'departPos="free">'
        )
        lines.append(f'    <route edges="{row.depot_edge}"/>')
        lines.append("</vehicle>")
    for row in requests.itertuples(index=False):
        group = f' group="r{row.request_id}"' if row.pax > 1 else ""
        for j in range(int(row.pax)):
            lines.append(
                f'<person id="r{row.request_id}_{j}" depart="{row.request_time_s:.2f}" '
                f'departPos="{_num(row.from_pos_m)}">'
            )
            lines.append(
                f'    <ride from="{row.from_edge}" to="{row.to_edge}" '
                f'arrivalPos="{_num(row.to_pos_m)}" lines="taxi"{group}/>'
            )
            lines.append("</person>")
    path.write_text(_xml("routes", lines), encoding="utf-8")


def _write_mapping(folder: Path, net: RoadNetwork, edge_ids: np.ndarray) -> None:
    pd.DataFrame(
        {
            "sumo_node": net.node_ids.astype(str),
            "node_id": net.node_ids,
            "index": np.arange(net.n_nodes),
            "lon": net.lon,
            "lat": net.lat,
            "x_m": net.x_m,
            "y_m": net.y_m,
            "signal_id": net.signal_id,
        }
    ).to_csv(folder / "nodes.csv", index=False, float_format="%.7f")
    pd.DataFrame(
        {
            "sumo_edge": edge_ids,
            "edge_index": np.arange(net.n_edges),
            "u": net.node_ids[net.edge_tails],
            "v": net.node_ids[net.heads],
            "length_m": net.length_m,
            "travel_time_s": net.edge_travel_time_s,
            "lanes": net.lanes,
        }
    ).to_csv(folder / "edges.csv", index=False, float_format="%.6f")


# ------------------------------------------------------------------ config
def _write_config(
    folder: Path,
    scenario: Scenario,
    seed: int,
    begin_s: float,
    end_s: float,
    dispatch: str,
    dispatch_period_s: float,
) -> None:
    lines = [
        "<input>",
        f'    <net-file value="{CASE}.net.xml"/>',
        f'    <route-files value="{CASE}.rou.xml"/>',
        f'    <additional-files value="{CASE}.tls.add.xml"/>',
        "</input>",
        "<time>",
        f'    <begin value="{_num(begin_s)}"/>',
        f'    <end value="{_num(end_s)}"/>',
        "</time>",
        "<output>",
        '    <tripinfo-output value="tripinfo.xml"/>',
        '    <tripinfo-output.write-unfinished value="true"/>',
        '    <statistic-output value="stats.xml"/>',
        "</output>",
        "<processing>",
        '    <time-to-teleport value="300"/>',
        "</processing>",
        "<taxi_device>",
        f'    <device.taxi.dispatch-algorithm value="{dispatch}"/>',
        f'    <device.taxi.dispatch-period value="{_num(dispatch_period_s)}"/>',
        '    <device.taxi.idle-algorithm value="stop"/>',
        "</taxi_device>",
        "<random_number>",
        f'    <seed value="{seed}"/>',
        "</random_number>",
        "<report>",
        '    <no-step-log value="true"/>',
        '    <duration-log.statistics value="true"/>',
        "</report>",
    ]
    (folder / f"{CASE}.sumocfg").write_text(_xml("configuration", lines), encoding="utf-8")


def _readme(meta: dict[str, Any]) -> str:
    built = meta["built"]
    build_note = (
        "The network is built (`case.net.xml`, netconvert "
        f"{meta['sumo_version']}); run the case as it is."
        if built
        else (
            "**SUMO was not installed when this was exported**, so `case.net.xml` is not "
            f"built yet. To build and run it: {INSTALL_HINT}; then, in this folder, "
            "`netconvert -c case.netccfg`. Signalised nodes then get netconvert's default "
            "programme with the scenario's cycle; re-export with SUMO installed to get the "
            "scenario's main/side green split (`case.tls.add.xml`)."
        )
    )
    return f"""# SUMO case exported by idrt

Scenario `{meta["idrt_scenario"]}` (content hash {meta["scenario_hash"]}), demand seed
{meta["seed"]}, network `{meta["network"]}` ({meta["nodes"]} nodes, {meta["edges"]} directed
edges, {meta["signalised_intersections"]} signalised intersections; signals
`{meta["signals"]}`). {meta["requests"]} requests ({meta["persons"]} riders), {meta["taxis"]}
taxis of {meta["capacity"]} seats, dispatch `{meta["dispatch"]}` every
{meta["dispatch_period_s"]:g} s, simulated from {meta["begin_s"]:g} s to {meta["end_s"]:g} s
after midnight.

{build_note}

```bash
sumo -c case.sumocfg                # writes tripinfo.xml (vehicles and persons) and stats.xml
sumo-gui -c case.sumocfg            # to watch it
```
```python
import idrt
peer = idrt.interop.run_sumo(".")   # runs SUMO and reads tripinfo.xml back
peer.summary()                      # the same KPIs as idrt.simulate(...).summary()
```

| file | holds |
|---|---|
| `case.nod.xml`, `case.edg.xml` | plain-XML network: one edge per idrt link, idrt's length, speed |
| `case.netccfg` | the netconvert configuration that builds `case.net.xml` |
| `case.tls.add.xml` | two-phase signal programmes (scenario cycle and green split) |
| `case.rou.xml` | taxi vType, taxis, one person per rider (`<ride lines="taxi">`) |
| `case.sumocfg` | the SUMO run |
| `nodes.csv`, `edges.csv` | SUMO id ↔ idrt id (`sumo_edge` is `u_v`; `edge_index`) |
| `requests.csv` | request ↔ persons `r<request>_<k>`, edges, times, direct time |
| `taxis.csv` | SUMO taxi id, idrt vehicle index, depot node and edge |
| `scenario.toml`, `case.json` | the resolved idrt scenario and what was exported |

Riders wait at the downstream end of the longest edge entering their request's node
(idrt puts riders on nodes). SUMO's taxis never reject a rider: compare with idrt run
without a wait limit, or judge both by the share picked up within
{meta["max_wait_s"]:g} s. SUMO has no background traffic here.
"""
