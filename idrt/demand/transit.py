"""Today's fixed-route transit from a GTFS feed: the baseline a DRT service is judged by.

:func:`read_gtfs` reads a whole feed (stops, routes, trips, stop_times,
calendar, calendar_dates) with pandas; :meth:`TransitFeed.headways` gives the
level of service by hour for the service area and each zone;
:func:`transit_door_to_door` the door-to-door time of trips by walking to a
stop, waiting, riding (with changes) and walking on, found by a connection
scan (:func:`idrt.routing.earliest_arrivals`); :func:`transit_baseline` puts
that next to the DRT riders of a simulation run.

Walking is straight-line distance times ``walk_detour`` (1.3 by default:
street networks are about 1.2-1.4 times longer than the crow flies,
Yang & Diez-Roux 2012) at the scenario's walking speed; a stop is within
reach up to ``max_walk_m`` of walking. Changes between vehicles take at
least ``change_s`` at the same stop; walking transfers between different
stops are not modelled (a conservative baseline).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

from idrt.demand.area import utm_crs
from idrt.errors import DemandError
from idrt.routing import earliest_arrivals

__all__ = [
    "DAYS",
    "TransitFeed",
    "read_gtfs",
    "transit_baseline",
    "transit_door_to_door",
]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_REQUIRED = {
    "stops": ["stop_id", "stop_lat", "stop_lon"],
    "routes": ["route_id"],
    "trips": ["route_id", "service_id", "trip_id"],
    "stop_times": ["trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"],
}


@dataclass(frozen=True)
class TransitFeed:
    """One service day of a GTFS feed, as tidy tables.

    Attributes
    ----------
    stops : pandas.DataFrame
        ``stop_id``, ``stop_name``, ``lon``, ``lat``, ``x_m``, ``y_m``
        (local UTM metres).
    stop_times : pandas.DataFrame
        The day's calls: ``trip_id``, ``route_id``, ``stop_id``,
        ``stop_sequence``, ``arrival_s``, ``departure_s`` (seconds after
        midnight; GTFS times past 24:00 stay past 86,400).
    routes : pandas.DataFrame
        The feed's ``routes.txt``.
    day : str
        The service day: a weekday name or a date ``YYYYMMDD``.
    crs : str
        The UTM zone of ``x_m``/``y_m``.
    """

    stops: pd.DataFrame
    stop_times: pd.DataFrame
    routes: pd.DataFrame
    day: str
    crs: str

    @property
    def n_trips(self) -> int:
        """Trips running on the day."""
        return int(self.stop_times["trip_id"].nunique())

    def connections(self) -> dict[str, np.ndarray]:
        """The day's timetable as connections sorted by departure (CSA input)."""
        st = self.stop_times.sort_values(["trip_id", "stop_sequence"], kind="stable")
        stop_index = pd.Index(self.stops["stop_id"])
        trip_codes, _ = pd.factorize(st["trip_id"])
        stops = stop_index.get_indexer(st["stop_id"])
        same = trip_codes[1:] == trip_codes[:-1]
        dep = st["departure_s"].to_numpy(float)[:-1][same]
        arr = st["arrival_s"].to_numpy(float)[1:][same]
        frame = pd.DataFrame(
            {
                "dep_stop": stops[:-1][same],
                "arr_stop": stops[1:][same],
                "dep_s": dep,
                "arr_s": np.maximum(arr, dep),
                "trip": trip_codes[:-1][same],
            }
        ).sort_values(["dep_s", "arr_s"], kind="stable")
        return {c: np.ascontiguousarray(frame[c].to_numpy()) for c in frame.columns} | {
            "n_trips": int(trip_codes.max()) + 1 if trip_codes.size else 0
        }

    def headways(self, zones=None) -> pd.DataFrame:
        """Level of service by hour: the whole feed area and each zone.

        Parameters
        ----------
        zones
            ``None`` (the whole feed), a :class:`~idrt.demand.ServiceArea`, or
            a mapping of zone name to ServiceArea (e.g. base and expansion
            areas, or a zones file).

        Returns
        -------
        pandas.DataFrame
            One row per zone and hour (0-23): ``zone``, ``hour``, ``stops``
            (stops in the zone), ``trips`` (distinct trips calling at a stop
            of the zone with a departure in that hour), ``routes``,
            ``headway_min`` (60 / trips: the mean interval between buses of
            any route through the zone; ``inf`` without service) and
            ``stop_headway_min`` (median over the zone's served stops of 60 /
            the stop's departures that hour).
        """
        areas = _zones(zones)
        st = self.stop_times
        hour = (st["departure_s"] // 3600).astype(int) % 24
        rows = []
        for name, area in areas.items():
            inside = (
                np.ones(len(self.stops), dtype=bool)
                if area is None
                else area.contains(self.stops["lon"].to_numpy(), self.stops["lat"].to_numpy())
            )
            ids = set(self.stops["stop_id"][inside])
            mask = st["stop_id"].isin(ids).to_numpy()
            sub = st[mask]
            sub_hour = hour[mask]
            for h in range(24):
                calls = sub[sub_hour.to_numpy() == h]
                trips = calls["trip_id"].nunique()
                per_stop = calls.groupby("stop_id").size()
                rows.append(
                    {
                        "zone": name,
                        "hour": h,
                        "stops": len(ids),
                        "trips": int(trips),
                        "routes": int(calls["route_id"].nunique()),
                        "headway_min": 60.0 / trips if trips else np.inf,
                        "stop_headway_min": float(np.median(60.0 / per_stop))
                        if len(per_stop)
                        else np.inf,
                    }
                )
        return pd.DataFrame(rows)


def _zones(zones) -> dict:
    if zones is None:
        return {"feed": None}
    if hasattr(zones, "contains"):
        return {getattr(zones, "name", "area"): zones}
    return dict(zones)


# ---------------------------------------------------------------------- read
def read_gtfs(path: str | os.PathLike[str], *, day: str = "monday") -> TransitFeed:
    """Read a GTFS feed (folder or ``.zip``) for one service day.

    Parameters
    ----------
    path
        The feed: a folder or zip with ``stops.txt``, ``routes.txt``,
        ``trips.txt``, ``stop_times.txt`` and ``calendar.txt`` and/or
        ``calendar_dates.txt``.
    day
        A weekday name (services running on that weekday in ``calendar.txt``,
        whatever their date range) or a date ``YYYYMMDD`` (``calendar.txt``
        within its dates, then ``calendar_dates.txt`` additions and removals).

    Returns
    -------
    TransitFeed

    Raises
    ------
    DemandError
        A missing file or column, an unparsable time, or no trip on the day.
    """
    p = Path(path).expanduser()
    tables = _read_tables(p)
    for name, columns in _REQUIRED.items():
        missing = [c for c in columns if c not in tables[name].columns]
        if missing:
            msg = f"GTFS {name}.txt of {str(p)!r} lacks column(s) {missing}"
            raise DemandError(msg)
    services = _services(tables, day, p)
    trips = tables["trips"][tables["trips"]["service_id"].isin(services)]
    if trips.empty:
        msg = (
            f"no trip of {str(p)!r} runs on {day!r}; check calendar.txt (give a weekday name or "
            "a date YYYYMMDD inside the feed's dates)"
        )
        raise DemandError(msg)
    st = tables["stop_times"]
    st = st[st["trip_id"].isin(set(trips["trip_id"]))].copy()
    st["arrival_s"] = _seconds(st["arrival_time"], p)
    st["departure_s"] = _seconds(st["departure_time"], p)
    # GTFS allows times only at timepoints: interpolate the others along the trip
    st["stop_sequence"] = pd.to_numeric(st["stop_sequence"], errors="coerce")
    st = st.sort_values(["trip_id", "stop_sequence"], kind="stable")
    st["arrival_s"] = st["arrival_s"].fillna(st["departure_s"])
    st["departure_s"] = st["departure_s"].fillna(st["arrival_s"])
    if st[["arrival_s", "departure_s"]].isna().any().any():
        st[["arrival_s", "departure_s"]] = st.groupby("trip_id")[
            ["arrival_s", "departure_s"]
        ].transform(lambda s: s.interpolate(limit_area="inside"))
        st = st.dropna(subset=["arrival_s", "departure_s"])
    st = st.merge(trips[["trip_id", "route_id"]], on="trip_id", how="left")
    stops = tables["stops"]
    if "location_type" in stops.columns:
        lt = stops["location_type"].fillna("").astype(str).str.strip()
        stops = stops[lt.isin(["", "0", "0.0"])]
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(lon) | ~np.isfinite(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        sid = stops["stop_id"].iloc[int(np.flatnonzero(bad)[0])]
        msg = f"GTFS stops.txt of {str(p)!r}: stop {sid!r} has no valid stop_lon/stop_lat"
        raise DemandError(msg)
    crs = utm_crs(float(np.mean(lon)), float(np.mean(lat)))

    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    stops = pd.DataFrame(
        {
            "stop_id": stops["stop_id"].astype(str).to_numpy(),
            "stop_name": stops.get("stop_name", pd.Series([""] * len(stops)))
            .fillna("")
            .astype(str)
            .to_numpy(),
            "lon": lon,
            "lat": lat,
            "x_m": np.asarray(x),
            "y_m": np.asarray(y),
        }
    )
    unknown = ~st["stop_id"].isin(set(stops["stop_id"]))
    if unknown.any():
        msg = (
            f"GTFS stop_times.txt of {str(p)!r} calls at stop {st['stop_id'][unknown].iloc[0]!r},"
            " which stops.txt does not list"
        )
        raise DemandError(msg)
    cols = ["trip_id", "route_id", "stop_id", "stop_sequence", "arrival_s", "departure_s"]
    return TransitFeed(
        stops=stops,
        stop_times=st[cols].reset_index(drop=True),
        routes=tables["routes"],
        day=day,
        crs=crs,
    )


def _read_tables(p: Path) -> dict[str, pd.DataFrame]:
    names = [*_REQUIRED, "calendar", "calendar_dates"]
    texts: dict[str, str] = {}
    if p.is_dir():
        for name in names:
            f = p / f"{name}.txt"
            if f.is_file():
                texts[name] = f.read_text(encoding="utf-8-sig")
    elif p.is_file() and p.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                for member in zf.namelist():
                    stem = member.rsplit("/", 1)[-1].removesuffix(".txt")
                    if stem in names:
                        texts[stem] = zf.read(member).decode("utf-8-sig")
        except zipfile.BadZipFile:
            msg = f"{str(p)!r} is not a readable zip archive; give a GTFS folder or .zip"
            raise DemandError(msg) from None
    else:
        msg = f"GTFS feed {str(p)!r} does not exist; give a folder or .zip with the feed's files"
        raise DemandError(msg)
    missing = [n for n in _REQUIRED if n not in texts]
    if missing:
        msg = f"GTFS feed {str(p)!r} lacks {', '.join(f'{n}.txt' for n in missing)}"
        raise DemandError(msg)
    if "calendar" not in texts and "calendar_dates" not in texts:
        msg = f"GTFS feed {str(p)!r} has neither calendar.txt nor calendar_dates.txt"
        raise DemandError(msg)
    return {n: pd.read_csv(io.StringIO(t), dtype=str) for n, t in texts.items()}


def _services(tables: dict[str, pd.DataFrame], day: str, p: Path) -> set[str]:
    cal = tables.get("calendar")
    dates = tables.get("calendar_dates")
    key = day.strip().lower()
    if key in DAYS:
        if cal is None:
            msg = f"{str(p)!r} has no calendar.txt: give day as a date YYYYMMDD"
            raise DemandError(msg)
        return set(cal["service_id"][cal[key].astype(str).str.strip() == "1"])
    try:
        date = dt.datetime.strptime(key, "%Y%m%d").date()
    except ValueError:
        msg = f"day {day!r}: give a weekday name (monday ... sunday) or a date YYYYMMDD"
        raise DemandError(msg) from None
    services: set[str] = set()
    if cal is not None:
        weekday = DAYS[date.weekday()]
        on = (
            (cal[weekday].astype(str).str.strip() == "1")
            & (cal["start_date"].astype(str) <= key)
            & (cal["end_date"].astype(str) >= key)
        )
        services |= set(cal["service_id"][on])
    if dates is not None:
        today = dates[dates["date"].astype(str) == key]
        services |= set(today["service_id"][today["exception_type"].astype(str) == "1"])
        services -= set(today["service_id"][today["exception_type"].astype(str) == "2"])
    return services


def _seconds(values: pd.Series, p: Path) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    parts = text.str.extract(r"^(\d+):(\d{2}):(\d{2})$")
    ok = parts.notna().all(axis=1)
    bad = ~ok & (text != "")
    if bad.any():
        msg = f"GTFS stop_times.txt of {str(p)!r}: time {text[bad].iloc[0]!r} is not HH:MM:SS"
        raise DemandError(msg)
    out = parts.astype(float)
    return (out[0] * 3600 + out[1] * 60 + out[2]).where(ok)


# ------------------------------------------------------------ door to door
def transit_door_to_door(
    feed: TransitFeed,
    origin_lonlat: np.ndarray,
    destination_lonlat: np.ndarray,
    depart_s: np.ndarray,
    *,
    walk_speed_mps: float = 1.2,
    max_walk_m: float = 800.0,
    walk_detour: float = 1.3,
    change_s: float = 60.0,
) -> pd.DataFrame:
    """Door-to-door time by today's transit (walk, wait, ride, change, walk).

    Parameters
    ----------
    feed
        The service day's feed.
    origin_lonlat, destination_lonlat
        Arrays of shape (n, 2), degrees.
    depart_s
        When each rider leaves the origin, s after midnight.
    walk_speed_mps, max_walk_m, walk_detour, change_s
        Walking speed (m/s), the longest walk to or from a stop (m, street
        distance), street over straight-line distance, and the minimum
        change time between vehicles at a stop (s).

    Returns
    -------
    pandas.DataFrame
        One row per trip: ``door_to_door_s`` (earliest arrival minus
        departure; walking all the way when that is faster, ``inf`` when the
        destination cannot be reached that day), ``walk_only`` (no vehicle is
        faster than walking), ``access_stops`` (stops within reach of the
        origin).
    """
    origin_lonlat = np.asarray(origin_lonlat, float).reshape(-1, 2)
    destination_lonlat = np.asarray(destination_lonlat, float).reshape(-1, 2)
    depart_s = np.asarray(depart_s, float).reshape(-1)
    n = depart_s.size
    if not (len(origin_lonlat) == len(destination_lonlat) == n):
        msg = "origins, destinations and departure times must have the same length"
        raise DemandError(msg)
    if walk_speed_mps <= 0 or max_walk_m < 0 or walk_detour < 1 or change_s < 0:
        msg = "walk_speed_mps > 0, max_walk_m >= 0, walk_detour >= 1 and change_s >= 0 are needed"
        raise DemandError(msg)
    proj = Transformer.from_crs("EPSG:4326", feed.crs, always_xy=True)
    ox, oy = proj.transform(origin_lonlat[:, 0], origin_lonlat[:, 1])
    dx, dy = proj.transform(destination_lonlat[:, 0], destination_lonlat[:, 1])
    stops_xy = feed.stops[["x_m", "y_m"]].to_numpy(float)
    tree = cKDTree(stops_xy)
    radius = max_walk_m / walk_detour

    def near(x, y):
        lists = tree.query_ball_point(np.column_stack([x, y]), r=radius)
        indptr = np.zeros(n + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(v) for v in lists])
        idx = np.fromiter((i for v in lists for i in v), dtype=np.int64, count=int(indptr[-1]))
        rows = np.repeat(np.arange(n), np.diff(indptr))
        metres = np.hypot(
            stops_xy[idx, 0] - np.asarray(x)[rows], stops_xy[idx, 1] - np.asarray(y)[rows]
        )
        return indptr, idx, metres * walk_detour / walk_speed_mps

    acc_ptr, acc_stop, acc_s = near(ox, oy)
    egr_ptr, egr_stop, egr_s = near(dx, dy)
    direct = np.hypot(np.asarray(dx) - ox, np.asarray(dy) - oy) * walk_detour / walk_speed_mps
    c = feed.connections()
    arrival = earliest_arrivals(
        c["dep_stop"].astype(np.int64), c["arr_stop"].astype(np.int64),
        c["dep_s"].astype(float), c["arr_s"].astype(float), c["trip"].astype(np.int64),
        len(feed.stops), c["n_trips"], acc_ptr, acc_stop, acc_s, egr_ptr, egr_stop, egr_s,
        depart_s, direct, float(change_s),
    )  # fmt: skip
    door = arrival - depart_s
    return pd.DataFrame(
        {
            "door_to_door_s": door,
            "walk_only": door >= direct - 1e-9,
            "access_stops": np.diff(acc_ptr),
        }
    )


def transit_baseline(
    result,
    network,
    feed: TransitFeed,
    *,
    sample: int | None = 500,
    seed: int = 0,
    max_walk_m: float = 800.0,
    walk_detour: float = 1.3,
    change_s: float = 60.0,
) -> tuple[pd.DataFrame, pd.Series]:
    """The DRT riders of a run next to today's transit for the same trips.

    Parameters
    ----------
    result
        A :class:`idrt.Result`.
    network
        The run's :class:`idrt.RoadNetwork` (for the requests' lon/lat).
    feed
        Today's transit (:func:`read_gtfs`).
    sample
        Served requests to compare (a seeded sample; ``None`` for all).
    seed, max_walk_m, walk_detour, change_s
        Sampling seed and the walking assumptions of
        :func:`transit_door_to_door`; the walking speed is the scenario's.

    Returns
    -------
    per_trip : pandas.DataFrame
        ``request_id``, ``drt_door_to_door_s`` (walk + wait + in-vehicle),
        ``transit_door_to_door_s`` (leaving at the request time), ``saved_s``
        (transit minus DRT), ``faster_by_drt``, ``transit_walk_only``.
    summary : pandas.Series
        ``trips_compared``, ``drt_mean_s``, ``transit_mean_s`` (over the trips
        transit serves at all), ``saved_mean_s``, ``faster_by_drt_share``,
        ``transit_unreachable_share`` (no transit or walk that day),
        ``transit_walk_only_share``.
    """
    req = result.requests
    served = req[req["status"] == "served"]
    if sample is not None and len(served) > sample:
        served = served.sample(n=sample, random_state=seed).sort_values("request_id")
    o = network.index_of(served["origin_node"].to_numpy(np.int64))
    d = network.index_of(served["destination_node"].to_numpy(np.int64))
    origin = np.column_stack([network.lon[o], network.lat[o]])
    dest = np.column_stack([network.lon[d], network.lat[d]])
    speed = float(result.scenario.service.walk_speed_mps)
    transit = transit_door_to_door(
        feed,
        origin,
        dest,
        served["request_time_s"].to_numpy(float),
        walk_speed_mps=speed,
        max_walk_m=max_walk_m,
        walk_detour=walk_detour,
        change_s=change_s,
    )
    walk = served["walk_s"].fillna(0.0).to_numpy(float) if "walk_s" in served else 0.0
    drt = served["dropoff_s"].to_numpy(float) - served["request_time_s"].to_numpy(float) + walk
    tt = transit["door_to_door_s"].to_numpy(float)
    per_trip = pd.DataFrame(
        {
            "request_id": served["request_id"].to_numpy(),
            "drt_door_to_door_s": drt,
            "transit_door_to_door_s": tt,
            "saved_s": tt - drt,
            "faster_by_drt": drt < tt,
            "transit_walk_only": transit["walk_only"].to_numpy(bool),
        }
    )
    reach = np.isfinite(tt)
    n = len(per_trip)
    summary = pd.Series(
        {
            "trips_compared": n,
            "drt_mean_s": float(drt.mean()) if n else np.nan,
            "transit_mean_s": float(tt[reach].mean()) if reach.any() else np.nan,
            "saved_mean_s": float((tt - drt)[reach].mean()) if reach.any() else np.nan,
            "faster_by_drt_share": float((drt < tt).mean()) if n else np.nan,
            "transit_unreachable_share": float((~reach).mean()) if n else np.nan,
            "transit_walk_only_share": float(transit["walk_only"].mean()) if n else np.nan,
        },
        name="transit_baseline",
    )
    return per_trip, summary
