"""Places and clock times: a run's tables with lon/lat, and GIS layers for QGIS.

The simulator's tables name places by network node id and times in seconds
after midnight (``*_s``), which is what code wants. This module adds what a
planner wants, from a :class:`idrt.Result` and its network:

- :func:`requests_table`, :func:`vehicles_table`, :func:`intersections_table`:
  the tables with ``*_lon`` / ``*_lat`` (WGS84 degrees) and ``*_clock``
  (``"HH:MM:SS"``, past 24 h as ``"25:10:00"``, as GTFS writes it) columns;
- :func:`layers`: GeoDataFrames (EPSG:4326) of requests (points at the
  origin), vehicle trajectories (one LineString per driven leg), stops
  (pickups and drop-offs), intersections (with their delays) and the
  service and expansion areas;
- :func:`export`: those layers as GeoJSON and/or GeoParquet files that QGIS
  opens as they are.

Trajectories are the legs of :func:`idrt.sim.trajectories.vehicle_legs`:
the fastest free-flow path between the places the event log records.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from idrt.sim.areas import assign_areas, scenario_areas
from idrt.sim.results import CLOCK_COLUMNS
from idrt.sim.trajectories import vehicle_legs

__all__ = [
    "clock",
    "export",
    "intersections_table",
    "layers",
    "requests_table",
    "vehicles_table",
]


def clock(seconds: Any) -> np.ndarray:
    """Seconds after midnight as ``"HH:MM:SS"`` text (``None`` where NaN).

    Hours run past 24 for times after midnight of the service day.

    Examples
    --------
    >>> clock([27000.4, 90600, float("nan")]).tolist()
    ['07:30:00', '25:10:00', None]
    """
    values = np.atleast_1d(np.asarray(seconds, dtype=float))
    out = np.empty(values.shape, dtype=object)
    for i, s in enumerate(values):
        if math.isnan(s):
            out[i] = None
        else:
            t = round(s)
            out[i] = f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
    return out


def _node_lonlat(network, node_ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of source node ids; NaN where the id is -1 (no node)."""
    ids = np.asarray(node_ids, dtype=np.int64)
    ok = ids >= 0
    lon = np.full(ids.shape, np.nan)
    lat = np.full(ids.shape, np.nan)
    if ok.any():
        idx = np.asarray(network.index_of(ids[ok]), dtype=np.int64)
        lon[ok], lat[ok] = network.lon[idx], network.lat[idx]
    return lon, lat


def requests_table(result, network) -> pd.DataFrame:
    """``result.requests`` with places and clock times added.

    Returns
    -------
    pandas.DataFrame
        The request table plus ``origin_lon``, ``origin_lat``,
        ``destination_lon``, ``destination_lat``, ``pickup_lon``,
        ``pickup_lat``, ``dropoff_lon``, ``dropoff_lat`` (degrees; NaN for
        riders never picked up), ``area`` (base / expansion / outside, by
        origin) and a ``*_clock`` column for each time column
        (``request_time_clock`` for ``request_time_s``).
    """
    out = result.requests.copy()
    for end in ("origin", "destination", "pickup", "dropoff"):
        lon, lat = _node_lonlat(network, out[f"{end}_node"])
        out[f"{end}_lon"], out[f"{end}_lat"] = lon, lat
    out["area"] = assign_areas(
        out["origin_lon"], out["origin_lat"], scenario_areas(result.scenario, network)
    )
    for col in CLOCK_COLUMNS:
        if col in out.columns:
            out[col.removesuffix("_s").removesuffix("_time") + "_clock"] = clock(out[col])
    return out


def vehicles_table(result, network) -> pd.DataFrame:
    """``result.vehicles`` with ``depot_lon/lat`` and ``final_lon/lat`` (degrees)."""
    out = result.vehicles.copy()
    for col in ("depot", "final"):
        lon, lat = _node_lonlat(network, out[f"{col}_node"])
        out[f"{col}_lon"], out[f"{col}_lat"] = lon, lat
    return out


def intersections_table(result, network) -> pd.DataFrame:
    """Signal delay per intersection (``result.intersection_delays()``) with lon/lat.

    Every signalised intersection of the network is listed (``passages`` 0
    where the fleet never passed), so a planner sees which to equip.
    """
    signals = network.signals[["intersection_id", "lon", "lat"]]
    delays = result.intersection_delays()
    out = signals.merge(delays, on="intersection_id", how="left")
    out["passages"] = out["passages"].fillna(0).astype(np.int64)
    return out


def layers(result, network) -> dict[str, Any]:
    """The GIS layers of a run, as GeoDataFrames in EPSG:4326.

    Returns
    -------
    dict of geopandas.GeoDataFrame
        ``requests`` (points at the origin; destination and pickup places
        as columns), ``trajectories`` (a LineString per driven leg:
        ``vehicle``, ``depart_s``, ``end_s``, clock times, ``load``,
        ``km``), ``stops`` (pickups and drop-offs: ``vehicle``, ``request``,
        ``kind``, ``time_s``, ``clock``, ``load``), ``intersections``
        (points with delays), ``areas`` (polygons: ``base``, ``expansion``).
    """
    import geopandas as gpd  # noqa: PLC0415 -- geopandas, only for GIS layers

    crs = "EPSG:4326"
    req = requests_table(result, network)
    req["status"] = req["status"].astype(str)
    out = {
        "requests": gpd.GeoDataFrame(
            req, geometry=gpd.points_from_xy(req["origin_lon"], req["origin_lat"]), crs=crs
        )
    }
    legs = vehicle_legs(result.events, network) if len(result.events) else pd.DataFrame()
    lines, rows = [], []
    tails = network.edge_tails
    for leg in legs.itertuples(index=False) if len(legs) else ():
        e = leg.edges
        if not len(e):
            continue
        nodes = np.concatenate([[tails[e[0]]], network.heads[e]])
        lines.append(shapely.linestrings(network.lon[nodes], network.lat[nodes]))
        rows.append(
            {
                "vehicle": leg.vehicle,
                "depart_s": leg.depart_s,
                "end_s": leg.end_s,
                "load": leg.load,
                "km": leg.km_rebuilt,
            }
        )
    traj = pd.DataFrame(rows, columns=["vehicle", "depart_s", "end_s", "load", "km"])
    traj["depart_clock"] = clock(traj["depart_s"]) if len(traj) else []
    traj["end_clock"] = clock(traj["end_s"]) if len(traj) else []
    out["trajectories"] = gpd.GeoDataFrame(traj, geometry=lines, crs=crs)
    ev = result.events
    ev = ev[ev["kind"].isin(["pickup", "dropoff"])] if len(ev) else ev
    lon, lat = _node_lonlat(network, ev["node"] if len(ev) else [])
    stops = pd.DataFrame(
        {
            "vehicle": ev["vehicle"].to_numpy() if len(ev) else [],
            "request": ev["request"].to_numpy() if len(ev) else [],
            "kind": ev["kind"].astype(str).to_numpy() if len(ev) else [],
            "time_s": ev["time_s"].to_numpy(float) if len(ev) else [],
            "load": ev["load"].to_numpy() if len(ev) else [],
        }
    )
    stops["clock"] = clock(stops["time_s"]) if len(stops) else []
    out["stops"] = gpd.GeoDataFrame(stops, geometry=gpd.points_from_xy(lon, lat), crs=crs)
    inter = intersections_table(result, network)
    out["intersections"] = gpd.GeoDataFrame(
        inter, geometry=gpd.points_from_xy(inter["lon"], inter["lat"]), crs=crs
    )
    areas = scenario_areas(result.scenario, network)
    out["areas"] = gpd.GeoDataFrame(
        {"area": [n for n, _ in areas]}, geometry=[g for _, g in areas], crs=crs
    )
    return out


def export(
    result,
    network,
    folder: str | os.PathLike[str],
    *,
    formats: tuple[str, ...] = ("geojson",),
) -> list[Path]:
    """Write the :func:`layers` of a run as GeoJSON and/or GeoParquet files.

    Parameters
    ----------
    result, network
        A run and its network.
    folder
        Output folder (created); files are ``<layer>.geojson`` /
        ``<layer>.parquet``.
    formats
        ``"geojson"`` and/or ``"parquet"`` (GeoParquet).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        On an unknown format.
    """
    bad = sorted(set(formats) - {"geojson", "parquet"})
    if bad:
        msg = f"unknown GIS format(s) {bad}; choose 'geojson' and/or 'parquet'"
        raise ValueError(msg)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, gdf in layers(result, network).items():
        for fmt in formats:
            path = folder / f"{name}.{fmt}"
            if fmt == "geojson":
                path.unlink(missing_ok=True)
                gdf.to_file(path, driver="GeoJSON")
            else:
                gdf.to_parquet(path, index=False)
            written.append(path)
    return written
