"""KPIs split by area: the base service area, the expansion area, or any zones.

``Result.summary(by="area")`` calls :func:`summary_by_area`. The split rules:

- a **request** belongs to the first area (in order: expansion, base; or the
  zones in file order) that contains its **origin**; origins in no area go
  to ``"outside"``;
- a **vehicle-km** belongs to the area that contains the midpoint of the
  link driven. Links come from the legs rebuilt from the event log
  (:func:`idrt.sim.trajectories.vehicle_legs`); each vehicle's rebuilt
  kilometres (and its empty and passenger-km) are scaled to its simulated
  ``km`` (``empty_km``, ``pax_km``): a factor of exactly 1 without the
  traffic model, where rebuilt and simulated paths agree, within a few per
  cent with it; so the areas add up to the run's ``vehicle_km``;
- the day's **cost** is shared among areas in proportion to their
  vehicle-km; fares go where the riders board.

Rows add up to the whole run for ``requests``, ``served``, ``rejected``,
``passengers``, ``vehicle_km``, ``empty_km``, ``pax_km``, ``cost_per_day``
and ``fare_revenue_per_day`` (a test checks it).
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import pandas as pd
import shapely

from idrt.demand import ServiceArea
from idrt.errors import IdrtWarning, ScenarioError
from idrt.sim.assembly import build_network
from idrt.sim.results import cost_summary, summarize
from idrt.sim.trajectories import vehicle_legs

__all__ = [
    "AREA_COLUMNS",
    "AREA_KPIS",
    "area_kpis",
    "assign_areas",
    "read_zones",
    "scenario_areas",
    "summary_by_area",
]

AREA_KPIS = ("requests", "served_share", "wait_mean_s", "wait_p95_s", "passengers")
"""Per-area KPIs a run's headline summary carries when it has an expansion area
(``expansion_served_share``, ``base_wait_p95_s``, ...): they reach sweeps,
``compare`` (paired, with CIs) and ``size-fleet`` (as targets) like any KPI."""

_NETWORKS: dict = {}

AREA_COLUMNS = [
    "requests",
    "served",
    "rejected",
    "served_share",
    "wait_mean_s",
    "wait_p95_s",
    "in_vehicle_mean_s",
    "passengers",
    "vehicle_km",
    "empty_km",
    "pax_km",
    "mean_occupancy",
    "vehicle_km_per_passenger",
    "cost_per_day",
    "fare_revenue_per_day",
    "cost_per_rider",
    "subsidy_per_rider",
]
"""Columns of :func:`summary_by_area` (one row per area)."""


def scenario_areas(scenario, network) -> list[tuple[str, Any]]:
    """The scenario's areas as ``[(name, shapely geometry in lon/lat), ...]``.

    ``expansion`` first (when the scenario has one), then ``base``
    (``demand.area``, or the network's hull when none is given).
    """
    out = []
    if scenario.expansion.area:
        extra = ServiceArea.from_geojson(scenario.data_path(scenario.expansion.area))
        out.append(("expansion", extra.geometry))
    if scenario.demand.area:
        base = ServiceArea.from_geojson(scenario.data_path(scenario.demand.area))
    else:
        base = ServiceArea.from_nodes(network, network.node_ids, name=network.name)
    out.append(("base", base.geometry))
    return out


def read_zones(source: str | os.PathLike[str] | Any, name_column: str | None = None):
    """Zones from a GeoJSON/GeoPackage/GeoParquet file or a GeoDataFrame.

    Returns
    -------
    list of (str, shapely geometry)
        In WGS84 lon/lat. Names come from ``name_column``, else the first of
        ``name``, ``zone``, ``zone_id``, ``id`` present, else the row number.

    Raises
    ------
    ScenarioError
        On a missing file, no polygons, or an unknown ``name_column``.
    """
    import geopandas as gpd  # noqa: PLC0415 - geopandas: ~0.2 s to import

    if isinstance(source, gpd.GeoDataFrame):
        gdf = source
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            msg = f"zones file {path!r} does not exist; give a GeoJSON of polygons"
            raise ScenarioError(msg)
        gdf = gpd.read_parquet(path) if path.endswith(".parquet") else gpd.read_file(path)
    gdf = gdf[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if not len(gdf):
        msg = f"zones {source!r} hold no polygons; draw zones as polygons"
        raise ScenarioError(msg)
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    if name_column is not None and name_column not in gdf.columns:
        msg = f"zones have no column {name_column!r}; columns are {list(gdf.columns)}"
        raise ScenarioError(msg)
    col = name_column or next(
        (c for c in ("name", "zone", "zone_id", "id") if c in gdf.columns), None
    )
    names = gdf[col].astype(str).tolist() if col else [str(i) for i in range(len(gdf))]
    return list(zip(names, gdf.geometry.tolist(), strict=True))


def assign_areas(lon: Any, lat: Any, areas: list[tuple[str, Any]]) -> np.ndarray:
    """Name of the first area containing each point; ``"outside"`` for none."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    out = np.full(lon.shape, "outside", dtype=object)
    free = np.ones(lon.shape, dtype=bool)
    for name, geom in areas:
        inside = free & np.asarray(shapely.intersects_xy(geom, lon, lat), dtype=bool)
        out[inside] = name
        free &= ~inside
    return out


def _network(scenario):

    key = (scenario.network.source, scenario.base_dir, repr(scenario.network.speeds_kmh))
    if key not in _NETWORKS:
        _NETWORKS.clear()  # one network at a time: sweeps run one scenario family
        _NETWORKS[key] = build_network(scenario)
    return _NETWORKS[key]


def area_kpis(result, network=None) -> pd.Series:
    """Request KPIs of the base and expansion areas as ``{area}_{kpi}`` (empty without one).

    Requests are split by origin as in :func:`summary_by_area`; see
    :data:`AREA_KPIS` for the KPIs.
    """
    scenario = result.scenario
    if not getattr(getattr(scenario, "expansion", None), "area", ""):
        return pd.Series(dtype=float, name="kpi")
    net = network if network is not None else _network(scenario)
    areas = scenario_areas(scenario, net)
    req = result.requests
    o = np.asarray(net.index_of(req["origin_node"].to_numpy(np.int64)), dtype=np.int64)
    where = assign_areas(net.lon[o], net.lat[o], areas)
    out = {}
    for name, _ in areas:
        row = _request_kpis(req[where == name])
        out.update({f"{name}_{k}": row[k] for k in AREA_KPIS})
    return pd.Series(out, name="kpi", dtype=float)


def _request_kpis(sub: pd.DataFrame) -> dict[str, float]:
    served = sub[sub["status"] == "served"]
    wait = served["wait_s"].to_numpy(float)
    nan = float("nan")
    return {
        "requests": len(sub),
        "served": len(served),
        "rejected": int((sub["status"] == "rejected").sum()),
        "served_share": len(served) / len(sub) if len(sub) else nan,
        "wait_mean_s": float(wait.mean()) if wait.size else nan,
        "wait_p95_s": float(np.quantile(wait, 0.95)) if wait.size else nan,
        "in_vehicle_mean_s": float(served["in_vehicle_s"].mean()) if len(served) else nan,
        "passengers": int(served["pax"].sum()),
    }


def summary_by_area(result, *, network=None, zones=None) -> pd.DataFrame:
    """KPIs per area (see the module docstring for how requests and km are split).

    Parameters
    ----------
    result : idrt.Result
        One run.
    network : idrt.network.RoadNetwork, optional
        Its network; built from the scenario when omitted.
    zones
        Zones (file or GeoDataFrame, see :func:`read_zones`) instead of the
        scenario's base and expansion areas.

    Returns
    -------
    pandas.DataFrame
        Index ``area`` (each area with requests or driving, then
        ``"outside"`` when anything falls outside); :data:`AREA_COLUMNS`.
    """
    net = network if network is not None else _network(result.scenario)
    areas = read_zones(zones) if zones is not None else scenario_areas(result.scenario, net)
    names = [n for n, _ in areas]
    req = result.requests
    o = np.asarray(net.index_of(req["origin_node"].to_numpy(np.int64)), dtype=np.int64)
    req_area = assign_areas(net.lon[o], net.lat[o], areas)

    km = {n: 0.0 for n in [*names, "outside"]}
    empty = dict.fromkeys(km, 0.0)
    pax = dict.fromkeys(km, 0.0)
    veh = result.vehicles
    if len(result.events):
        legs = vehicle_legs(result.events, net)
    else:
        legs = pd.DataFrame()
    if len(legs):
        tails, heads = net.edge_tails, net.heads
        mid_lon = (net.lon[tails] + net.lon[heads]) / 2
        mid_lat = (net.lat[tails] + net.lat[heads]) / 2
        edge_area = assign_areas(mid_lon, mid_lat, areas)
        parts = []
        for v, e, load in zip(legs["vehicle"], legs["edges"], legs["load"], strict=True):
            if len(e):
                part = pd.DataFrame({"area": edge_area[e], "km": net.length_m[e] / 1000.0})
                part["vehicle"], part["load"] = v, load
                parts.append(part)
        driven = pd.concat(parts, ignore_index=True)
        driven["empty"] = np.where(driven["load"] == 0, driven["km"], 0.0)
        driven["pax"] = driven["km"] * driven["load"]
        per = driven.groupby(["vehicle", "area"])[["km", "empty", "pax"]].sum()
        totals = per.groupby(level="vehicle").sum()
        simulated = veh.set_index("vehicle")[["km", "empty_km", "pax_km"]]
        simulated.columns = ["km", "empty", "pax"]
        # each vehicle's rebuilt km, empty km and passenger-km scaled to its simulated ones
        factor = (simulated.reindex(totals.index) / totals.replace(0.0, np.nan)).fillna(0.0)
        scaled = per * factor.reindex(per.index, level="vehicle")
        by_area = scaled.groupby(level="area").sum()
        for name in by_area.index:
            km[name] = float(by_area.loc[name, "km"])
            empty[name] = float(by_area.loc[name, "empty"])
            pax[name] = float(by_area.loc[name, "pax"])
    elif float(veh["km"].sum()) > 0:
        warnings.warn(
            "the run kept no event log (output.events = false): vehicle-km cannot be split "
            "by area and is reported as NaN; run with output.events = true",
            IdrtWarning,
            stacklevel=2,
        )
        km = dict.fromkeys(km, float("nan"))
        empty = dict.fromkeys(km, float("nan"))
        pax = dict.fromkeys(km, float("nan"))

    head = summarize(result.requests, veh, result.service_hours, result.signal_passages)
    whole = cost_summary(result, head)
    total_km = float(head["vehicle_km"])
    fare = result.scenario.cost.fare_per_rider
    rows = {}
    for name in [*names, "outside"]:
        sub = req[req_area == name]
        base = _request_kpis(sub)
        riders = base["passengers"]
        share_km = km[name] / total_km if total_km else float("nan")
        cost = float(whole["cost_per_day"]) * share_km
        fares = riders * fare
        if name == "outside" and not len(sub) and not km[name]:
            continue
        rows[name] = {
            **base,
            "vehicle_km": km[name],
            "empty_km": empty[name],
            "pax_km": pax[name],
            "mean_occupancy": pax[name] / km[name] if km[name] else float("nan"),
            "vehicle_km_per_passenger": km[name] / riders if riders else float("nan"),
            "cost_per_day": cost,
            "fare_revenue_per_day": float(fares),
            "cost_per_rider": cost / riders if riders else float("nan"),
            "subsidy_per_rider": (cost - fares) / riders if riders else float("nan"),
        }
    table = pd.DataFrame.from_dict(rows, orient="index", columns=AREA_COLUMNS)
    table.index.name = "area"
    return table
