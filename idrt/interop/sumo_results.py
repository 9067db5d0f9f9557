"""Run an exported SUMO case and read its output back into idrt's result tables.

:func:`run_sumo` runs ``sumo`` on a folder written by
:func:`~idrt.interop.to_sumo` (optionally with another dispatch algorithm and
a wall-clock cap) and :func:`read_sumo` parses SUMO's ``tripinfo`` output
(taxis and persons) into a :class:`SumoResult`: an :class:`idrt.Result` whose
``requests`` and ``vehicles`` tables have idrt's columns, so that
``peer.summary()`` and ``idrt.simulate(...).summary()`` compare column for
column.

How SUMO's output maps to idrt's columns
----------------------------------------
* ``pickup_s``: the ride's ``depart`` (the rider boards); ``wait_s`` is it
  minus the request time; ``dropoff_s``: the ride's ``arrival``. A request is
  a group of persons (``r<request>_<k>``): picked up when the first boards,
  dropped off when the last alights.
* ``status``: ``served`` when every rider of the request arrived, else
  ``pending`` (never picked up, or still aboard when the run ended). SUMO's
  taxis never reject a rider, so ``rejected`` is always 0: compare with idrt
  without a wait limit, or judge both by the share picked up within the wait
  limit (:func:`served_within`).
* ``vehicles``: ``km`` is the taxi's ``routeLength``, ``empty_km`` that minus
  its ``occupiedDistance``, ``pax_km`` the sum of its riders' ride lengths.
* Not measured by SUMO (NaN): promised and planned times, the pickup
  departure, ``ride_s``, ``busy_h``, missed promises and late pickups, and
  the signal-passage KPIs. ``rebalancing_km`` is 0 (idle taxis stop).
"""

from __future__ import annotations

import json
import math
import re
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from idrt.errors import IdrtError, InteropError
from idrt.interop._tools import find_binary
from idrt.interop.sumo_export import CASE, DISPATCH_ALGORITHMS
from idrt.scenario import Scenario
from idrt.sim.results import Result

__all__ = ["NOT_MEASURED", "SumoResult", "read_sumo", "run_sumo", "served_within"]

NOT_MEASURED = (
    "missed_promise_share",
    "late_pickup_share",
    "late_pickup_mean_s",
    "signal_passages_per_km",
    "signal_delay_per_passage_s",
)
"""KPIs of :func:`idrt.sim.results.summarize` that SUMO's output does not give (NaN)."""

_STOP_GRACE_S = 60.0


@dataclass(frozen=True)
class SumoResult(Result):
    """Tables of one SUMO run of an exported case, in idrt's layout.

    Attributes
    ----------
    dispatch : str
        SUMO's dispatch algorithm of the run.
    capped : bool
        Whether the run was stopped at its wall-clock cap (its tables then
        cover only the simulated time reached; unfinished riders are
        ``pending``).
    simulated_until_s : float
        Simulation time SUMO reached, s after midnight.
    teleports : int
        Vehicles SUMO teleported (stuck for 300 s); 0 in a clean run.
    folder : str
        The case folder.
    """

    dispatch: str = ""
    capped: bool = False
    simulated_until_s: float = float("nan")
    teleports: int = 0
    folder: str = ""

    def summary(self) -> pd.Series:
        """Headline KPIs as :meth:`idrt.Result.summary` (unmeasured ones NaN)."""
        out = super().summary()
        for key in NOT_MEASURED:
            if key in out.index:
                out[key] = float("nan")
        return out


def run_sumo(
    case: str | Path,
    *,
    dispatch: str | None = None,
    timeout_s: float | None = None,
    extra_args: tuple[str, ...] = (),
    like: Result | None = None,
) -> SumoResult:
    """Run SUMO on an exported case and read its output back.

    Parameters
    ----------
    case
        Folder written by :func:`~idrt.interop.to_sumo` (with the network built).
    dispatch : {None, "greedyShared", "greedy", "greedyClosest", "routeExtension"}
        Dispatch algorithm; the one in ``case.sumocfg`` when ``None``. The
        outputs go to ``tripinfo.<dispatch>.xml``, ``stats.<dispatch>.xml``
        and ``sumo.<dispatch>.log`` in the folder.
    timeout_s
        Wall-clock cap in seconds: SUMO is then interrupted (it closes its
        outputs) and the result says ``capped``. ``None`` for no cap.
    extra_args
        More ``sumo`` command-line options.
    like
        An idrt result whose table columns the SUMO tables take (see
        :func:`read_sumo`).

    Returns
    -------
    SumoResult
        ``wall_s`` is SUMO's wall-clock time (loading included), s.

    Raises
    ------
    InteropError
        SUMO missing, the folder not an exported case or its network not
        built, or SUMO failing (its log is kept and named).

    Examples
    --------
    >>> peer = idrt.interop.run_sumo("sumo_case/", timeout_s=600)   # doctest: +SKIP
    >>> peer.summary()[["served_share", "wait_mean_s"]]               # doctest: +SKIP
    """
    folder = _case_folder(case)
    meta = _meta(folder)
    if not (folder / f"{CASE}.net.xml").is_file():
        msg = (
            f"{folder} has no {CASE}.net.xml: the network was not built (SUMO was missing at "
            f"export). Build it with `netconvert -c {CASE}.netccfg` in that folder, or export "
            "again with SUMO installed"
        )
        raise InteropError(msg)
    algorithm = dispatch or meta.get("dispatch", "greedyShared")
    if algorithm not in DISPATCH_ALGORITHMS:
        msg = (
            f"dispatch = {algorithm!r} is not a SUMO taxi dispatch algorithm; choose one of "
            f"{list(DISPATCH_ALGORITHMS)}"
        )
        raise InteropError(msg)
    names = _output_names(algorithm)
    for name in names.values():
        (folder / name).unlink(missing_ok=True)
    args = [
        str(find_binary("sumo")),
        "-c",
        f"{CASE}.sumocfg",
        "--device.taxi.dispatch-algorithm",
        algorithm,
        "--tripinfo-output",
        names["tripinfo"],
        "--statistic-output",
        names["stats"],
        *extra_args,
    ]
    log = folder / names["log"]
    t0 = time.perf_counter()
    capped = False
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(args, cwd=folder, stdout=sink, stderr=subprocess.STDOUT)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            capped = True
            proc.send_signal(signal.SIGINT)  # SUMO stops gracefully and closes its outputs
            try:
                code = proc.wait(timeout=_STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    wall = time.perf_counter() - t0
    if code != 0 and not capped:
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        msg = (
            f"sumo failed on {folder / (CASE + '.sumocfg')} (exit status {code}); its log is "
            "kept at " + str(log) + ". Last lines:\n  " + "\n  ".join(tail or ["(empty log)"])
        )
        raise InteropError(msg)
    return read_sumo(
        folder,
        tripinfo=names["tripinfo"],
        stats=names["stats"],
        log=names["log"],
        dispatch=algorithm,
        wall_s=wall,
        capped=capped,
        like=like,
    )


def read_sumo(
    case: str | Path,
    *,
    tripinfo: str = "tripinfo.xml",
    stats: str = "stats.xml",
    log: str = "",
    dispatch: str | None = None,
    wall_s: float = float("nan"),
    capped: bool = False,
    like: Result | None = None,
) -> SumoResult:
    """Read the output of a SUMO run of an exported case (``sumo -c case.sumocfg``).

    Parameters
    ----------
    case
        The case folder.
    tripinfo, stats, log
        SUMO's trip-info and statistics outputs and its console log, file
        names in the folder (the log is optional: it tells the time reached).
    dispatch
        The dispatch algorithm used (the exported one when ``None``).
    wall_s
        SUMO's wall-clock time, s, if measured.
    capped
        Whether the run was stopped at a wall-clock cap.
    like
        An idrt result whose table columns (and their order) the SUMO tables
        take; columns SUMO cannot fill are NaN.

    Returns
    -------
    SumoResult

    Raises
    ------
    InteropError
        The folder is not an exported case, or ``tripinfo`` is missing.
    """
    folder = _case_folder(case)
    meta = _meta(folder)
    path = folder / tripinfo
    if not path.is_file():
        msg = f"{path} does not exist: run the case first (idrt.interop.run_sumo or sumo -c)"
        raise InteropError(msg)
    requests = pd.read_csv(folder / "requests.csv")
    taxis = pd.read_csv(folder / "taxis.csv")
    edges = pd.read_csv(folder / "edges.csv", usecols=["sumo_edge", "v"])
    vehicles_xml, persons_xml = _parse_tripinfo(path)
    scenario = _scenario(folder)
    svc = getattr(scenario, "service", None)
    end_s = _time_reached(folder / log) if log else float("nan")
    if math.isnan(end_s):
        end_s = float(meta.get("end_s", float("nan")))
    req = _requests_table(requests, persons_xml, taxis, svc)
    veh = _vehicles_table(taxis, vehicles_xml, persons_xml, edges, int(meta.get("capacity", 0)))
    if like is not None:
        req = _align(req, like.requests)
        veh = _align(veh, like.vehicles)
    hours = (svc.end_h - svc.start_h) if svc is not None else float("nan")
    return SumoResult(
        requests=req,
        vehicles=veh,
        events=pd.DataFrame(columns=["time_s", "vehicle", "kind", "node", "request", "load"]),
        scenario=scenario,
        seed=int(meta.get("seed", 0)),
        service_hours=hours,
        wall_s=float(wall_s),
        dispatch=dispatch or meta.get("dispatch", ""),
        capped=bool(capped),
        simulated_until_s=end_s,
        teleports=_teleports(folder / stats),
        folder=str(folder),
    )


def served_within(requests: pd.DataFrame, max_wait_s: float) -> float:
    """Share of requests picked up within ``max_wait_s`` seconds of their request time.

    The one yardstick that judges a simulator that rejects (idrt with a wait
    limit) and one that never does (SUMO's taxis) alike.
    """
    if not len(requests):
        return float("nan")
    ok = (requests["status"] == "served") & (requests["wait_s"] <= max_wait_s)
    return float(ok.sum()) / len(requests)


# ------------------------------------------------------------------- helpers
def _align(frame: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the columns of ``like`` first, in its order (missing ones NaN)."""
    extra = [c for c in frame.columns if c not in like.columns]
    return frame.reindex(columns=[*like.columns, *extra])


def _output_names(algorithm: str) -> dict[str, str]:
    return {
        "tripinfo": f"tripinfo.{algorithm}.xml",
        "stats": f"stats.{algorithm}.xml",
        "log": f"sumo.{algorithm}.log",
    }


def _case_folder(case: str | Path) -> Path:
    folder = Path(getattr(case, "folder", case))
    if not (folder / f"{CASE}.sumocfg").is_file() or not (folder / "requests.csv").is_file():
        msg = (
            f"{str(folder)!r} is not a SUMO case exported by idrt (no {CASE}.sumocfg and "
            "requests.csv); export one with idrt.interop.to_sumo or `idrt export sumo`"
        )
        raise InteropError(msg)
    return folder


def _meta(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / f"{CASE}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _scenario(folder: Path):
    try:
        return Scenario.from_toml(folder / "scenario.toml")
    except IdrtError:
        return None


def _parse_tripinfo(path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Taxi ``tripinfo`` (with its ``taxi`` child) and person ``ride`` attributes.

    Tolerates a file cut short by an interrupted run (no closing tag).
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    if "</tripinfos>" not in text:
        last = max(text.rfind("</personinfo>"), text.rfind("</tripinfo>"))
        if last < 0:
            return [], []
        end = text.index(">", last) + 1
        text = text[:end] + "\n</tripinfos>\n"
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        msg = f"{path} is not readable SUMO tripinfo output ({exc}); run the case again"
        raise InteropError(msg) from exc
    vehicles = []
    for trip in root.iter("tripinfo"):
        row = dict(trip.attrib)
        taxi = trip.find("taxi")
        if taxi is not None:
            row.update({f"taxi_{k}": v for k, v in taxi.attrib.items()})
        vehicles.append(row)
    persons = []
    for info in root.iter("personinfo"):
        ride = info.find("ride")
        row = {"person": info.get("id", ""), "person_depart": info.get("depart", "-1")}
        if ride is not None:
            row.update(ride.attrib)
        persons.append(row)
    return vehicles, persons


def _float(values: pd.Series) -> np.ndarray:
    out = pd.to_numeric(values, errors="coerce").to_numpy(float, copy=True)
    out[out < 0] = np.nan  # SUMO writes -1 for "did not happen"
    return out


def _requests_table(
    requests: pd.DataFrame, persons_xml: list[dict[str, str]], taxis: pd.DataFrame, svc: Any
) -> pd.DataFrame:
    n = len(requests)
    rid = requests["request_id"].to_numpy(np.int64)
    pickup = np.full(n, np.nan)
    dropoff = np.full(n, np.nan)
    arrived = np.zeros(n, dtype=np.int64)
    vehicle = np.full(n, -1, dtype=np.int64)
    taxi_index = dict(zip(taxis["taxi"], taxis["vehicle"], strict=True))
    row_of = {int(r): i for i, r in enumerate(rid)}
    per_vehicle: dict[int, list[tuple[float, float, int]]] = {}
    if persons_xml:
        p = pd.DataFrame(persons_xml)
        match = p["person"].str.extract(r"^r(-?\d+)_\d+$")[0]
        p = p[match.notna()].assign(request=match[match.notna()].astype(np.int64))
        p = p[p["request"].isin(row_of)]
        rows = p["request"].map(row_of).to_numpy(np.int64)
        dep = _float(p.get("depart", pd.Series(index=p.index, dtype=float)))
        arr = _float(p.get("arrival", pd.Series(index=p.index, dtype=float)))
        veh = p.get("vehicle", pd.Series("", index=p.index)).map(taxi_index)
        veh = veh.fillna(-1).to_numpy(np.int64)
        np.fmin.at(pickup, rows, dep)
        np.fmax.at(dropoff, rows, arr)
        np.add.at(arrived, rows, np.isfinite(arr).astype(np.int64))
        has = veh >= 0
        vehicle[rows[has]] = veh[has]
    pax = requests["pax"].to_numpy(np.int64)
    served = arrived >= pax
    dropoff[~served] = np.nan
    status = np.where(served, "served", "pending")
    out = requests[
        ["request_id", "booking_time_s", "request_time_s", "origin_node", "destination_node", "pax"]
    ].copy()
    out["prebooked"] = out["request_time_s"] > out["booking_time_s"]
    out["status"] = pd.Categorical(status, categories=["served", "rejected", "pending"])
    reason = np.where(
        np.isfinite(pickup), "still aboard at the end of the run", "not picked up by the end"
    )
    out["reason"] = np.where(served, "", reason).astype(object)
    out["vehicle"] = vehicle
    picked = np.isfinite(pickup)
    out["pickup_node"] = np.where(picked, requests["origin_node"], -1)
    out["dropoff_node"] = np.where(served, requests["destination_node"], -1)
    for key in ("promised_pickup_s", "planned_pickup_s", "planned_dropoff_s"):
        out[key] = np.nan
    out["pickup_s"] = pickup
    out["pickup_departure_s"] = np.nan
    out["dropoff_s"] = dropoff
    direct = requests["direct_s"].to_numpy(float)
    out["direct_s"] = direct
    if svc is not None:
        out["max_ride_s"] = svc.max_ride_alpha * direct + svc.max_ride_beta_s
    else:
        out["max_ride_s"] = np.nan
    for key in ("walk_m", "walk_pickup_s", "walk_dropoff_s", "walk_s"):
        out[key] = 0.0
    out["wait_s"] = pickup - out["request_time_s"].to_numpy(float)
    out["in_vehicle_s"] = dropoff - pickup
    out["ride_s"] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["detour_ratio"] = out["in_vehicle_s"] / out["direct_s"]
    for i in np.flatnonzero(served & (vehicle >= 0)):
        per_vehicle.setdefault(int(vehicle[i]), []).append((pickup[i], dropoff[i], int(i)))
    shared = np.zeros(n, dtype=bool)
    for trips in per_vehicle.values():
        trips.sort()
        latest_end = -np.inf
        latest_row = -1
        for start, end, row in trips:
            if start < latest_end:  # overlaps an earlier ride on the same taxi
                shared[row] = True
                shared[latest_row] = True
            if end > latest_end:
                latest_end, latest_row = end, row
    out["shared"] = shared
    # SUMO makes no promises: idrt's promise columns are unknown here (NaN)
    out["missed_promise"] = np.nan
    out["late_pickup"] = np.nan
    return out.reset_index(drop=True)


def _vehicles_table(
    taxis: pd.DataFrame,
    vehicles_xml: list[dict[str, str]],
    persons_xml: list[dict[str, str]],
    edges: pd.DataFrame,
    capacity: int,
) -> pd.DataFrame:
    trips = pd.DataFrame(vehicles_xml).set_index("id") if vehicles_xml else pd.DataFrame()
    head_of = dict(zip(edges["sumo_edge"], edges["v"], strict=True))
    pax_m = {}
    pickups = {}
    if persons_xml:
        p = pd.DataFrame(persons_xml)
        if "vehicle" in p.columns:
            length = _float(p.get("routeLength", pd.Series(index=p.index, dtype=float)))
            p = p.assign(length=np.nan_to_num(length), boarded=np.isfinite(_float(p["depart"])))
            grouped = p[p["boarded"]].groupby("vehicle")
            pax_m = grouped["length"].sum().to_dict()
            groups = p[p["boarded"]]["person"].str.replace(r"_\d+$", "", regex=True)
            pickups = groups.groupby(p[p["boarded"]]["vehicle"]).nunique().to_dict()
    rows = []
    for taxi in taxis.itertuples(index=False):
        info = trips.loc[taxi.taxi] if taxi.taxi in trips.index else {}
        km = _get(info, "routeLength") / 1000.0
        occupied = _get(info, "taxi_occupiedDistance") / 1000.0
        lane = str(info.get("arrivalLane", "")) if len(info) else ""
        final_edge = lane.rsplit("_", 1)[0] if lane else taxi.depot_edge
        rows.append(
            {
                "vehicle": int(taxi.vehicle),
                "depot_node": int(taxi.depot_node),
                "capacity": capacity,
                "km": km,
                "empty_km": max(0.0, km - occupied),
                "pax_km": pax_m.get(taxi.taxi, 0.0) / 1000.0,
                "rebalancing_km": 0.0,  # idle taxis stop where they are
                "busy_h": float("nan"),
                "mean_occupancy": pax_m.get(taxi.taxi, 0.0) / 1000.0 / km if km else 0.0,
                "pickups": int(pickups.get(taxi.taxi, 0)),
                "dropoffs": int(pickups.get(taxi.taxi, 0)),
                "final_node": int(head_of.get(final_edge, taxi.depot_node)),
            }
        )
    return pd.DataFrame(rows)


def _get(info: Any, key: str) -> float:
    try:
        value = float(info[key])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return value if value >= 0 else 0.0


def _time_reached(log: Path) -> float:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return float("nan")
    found = re.findall(r"Simulation ended at time: ([0-9]+(?:\.[0-9]+)?)", text)
    return float(found[-1]) if found else float("nan")


def _teleports(stats: Path) -> int:
    try:
        root = ET.parse(stats).getroot()
    except (OSError, ET.ParseError):
        return 0
    node = root.find("teleports")
    return int(node.get("total", "0")) if node is not None else 0
