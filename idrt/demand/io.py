"""Reading demand from files: trip logs (CSV) and existing transit stops (GTFS).

Trip-log CSV
------------
One request per line, a header first; lines starting with ``#`` and blank
lines are skipped. Columns (rename others with ``columns={"their": "ours"}``):

=========================================  ==========================================
``request_time`` or ``request_time_s``     requested pickup time (required): seconds
                                           since midnight, ``HH:MM[:SS]`` or an ISO
                                           datetime (``2024-05-01T07:30:00``; all on
                                           one day, time zones dropped: wall clock)
``booking_time`` or ``booking_time_s``     when the request was made (optional, same
                                           formats; default the requested time)
``origin_lon``, ``origin_lat``             WGS84 degrees, or ``origin_node`` (a node
``destination_lon``, ``destination_lat``   id of the network), or both
``pax``                                    riders, whole number >= 1 (default 1)
``prebooked``                              true/false (default: booked before the
                                           requested time)
``origin_snap_m``, ``destination_snap_m``  kept if present (a file written by
                                           ``Demand.to_csv``)
``request_id`` (or ``trip_id``)            kept as ``source_id`` unless it is already
                                           0..n-1 in booking order
=========================================  ==========================================

Any other column is kept as text. Lines must be in time order (booking time
if given, else requested time) unless ``sort=True``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from idrt.demand._validate import existing_file, fmt_clock, positive, service_window_s
from idrt.demand.area import ServiceArea
from idrt.demand.trips import TRIP_COLUMNS, UNSNAPPED, Demand
from idrt.errors import DemandError, warn

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["ImportReport", "from_csv", "read_gtfs_stops"]

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*$")
_ISO = re.compile(
    r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}
_ID_COLUMNS = ("request_id", "trip_id")
_EXAMPLES = 5


@dataclass(frozen=True)
class ImportReport:
    """What :func:`from_csv` found it could not serve, and what it did with it.

    Attributes
    ----------
    source : str
        The file.
    rows : int
        Data rows read.
    kept : int
        Requests in the returned :class:`~idrt.demand.trips.Demand`.
    flagged : int
        Requests that cannot be served, for any of the reasons below (each
        counted once here; one request may have several reasons).
    outside_area : int
        Requests with an end outside the service area.
    far_from_road : int
        Requests with an end farther than ``max_snap_m`` from every node.
    same_node : int
        Requests whose two ends snap to the same node.
    dropped : bool
        Whether those requests were dropped (else kept and only reported).
    max_snap_m : float
        The snapping threshold in metres.
    examples : pandas.DataFrame
        Up to five flagged rows per reason: ``line`` (in the file), ``reason``,
        ``origin_lon``, ``origin_lat``, ``destination_lon``,
        ``destination_lat``, ``snap_m`` (the larger of the two ends).
    """

    source: str
    rows: int
    kept: int
    flagged: int = 0
    outside_area: int = 0
    far_from_road: int = 0
    same_node: int = 0
    dropped: bool = True
    max_snap_m: float = math.inf
    examples: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def __str__(self) -> str:
        parts = []
        if self.outside_area:
            parts.append(f"{self.outside_area} outside the service area")
        if self.far_from_road:
            parts.append(f"{self.far_from_road} more than {self.max_snap_m:g} m from any road")
        if self.same_node:
            parts.append(f"{self.same_node} with both ends at the same node")
        if not parts:
            return f"import of {self.source}: all {self.rows} requests kept"
        head = (
            f"import of {self.source}: {self.rows} rows, "
            f"{'dropped' if self.dropped else 'kept but flagged'}: {'; '.join(parts)}"
        )
        lines = [
            f"  line {int(r.line)}: {r.reason} (origin {r.origin_lon:.5f}, {r.origin_lat:.5f}; "
            f"destination {r.destination_lon:.5f}, {r.destination_lat:.5f}; snap {r.snap_m:.0f} m)"
            for r in self.examples.itertuples()
        ]
        return "\n".join([head, *lines])


# ----------------------------------------------------------------- raw CSV
def _read_records(
    path: Path, *, encoding: str = "utf-8-sig"
) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, records (lists of stripped strings) and their line numbers."""
    try:
        text = path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        msg = f"{path} is not UTF-8 text ({exc}); save it as UTF-8 CSV"
        raise DemandError(msg) from None
    return _parse_records(io.StringIO(text, newline=""), str(path), _delimiter(text))


def _delimiter(text: str) -> str:
    """The field separator: ``,``, or ``;``/tab when the header line has no comma.

    Spreadsheets in much of Europe and Korea write ``;``-separated CSV; a
    header without any comma but with ``;`` (or tabs) is read that way.
    """
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if "," not in stripped:
            if ";" in stripped:
                return ";"
            if "\t" in stripped:
                return "\t"
        return ","
    return ","


def _parse_records(
    fh: Any, where: str, delimiter: str = ","
) -> tuple[list[str], list[list[str]], np.ndarray]:
    reader = csv.reader(fh, delimiter=delimiter)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in row]
            if header is None:
                header = cells
                if len(set(header)) != len(header) or "" in header:
                    msg = f"{where}, line {line}: the header has empty or repeated column names"
                    raise DemandError(msg)
                continue
            if len(cells) != len(header):
                msg = (
                    f"{where}, line {line}: expected {len(header)} fields "
                    f"({','.join(header)}), found {len(cells)}; fix the row (quote fields "
                    "that contain commas)"
                )
                raise DemandError(msg)
            records.append(cells)
            lines.append(line)
    except csv.Error as exc:
        msg = f"{where}, line {reader.line_num}: malformed CSV ({exc})"
        raise DemandError(msg) from None
    if header is None:
        msg = f"{where} is empty: it needs a header line and one line per row"
        raise DemandError(msg)
    return header, records, np.asarray(lines, dtype=np.int64)


class _Table:
    """Columns of a parsed CSV as string arrays, with line numbers for messages."""

    def __init__(self, where: str, header: list[str], records: list[list[str]], lines: np.ndarray):
        self.where = where
        self.lines = lines
        self.cols = {
            name: np.array([r[k] for r in records], dtype=object) for k, name in enumerate(header)
        }

    def __contains__(self, name: str) -> bool:
        return name in self.cols

    def fail(self, row: int, message: str) -> DemandError:
        return DemandError(f"{self.where}, line {int(self.lines[row])}: {message}")

    def numbers(self, name: str, *, required: bool = True, integer: bool = False) -> np.ndarray:
        raw = self.cols[name]
        values = _floats(raw)
        empty = np.array([v == "" for v in raw], dtype=bool)
        bad = np.isnan(values) & ~(empty & (not required))
        bad |= ~np.isfinite(values) & ~np.isnan(values)
        if integer:
            bad |= np.isfinite(values) & (values != np.round(values))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            kind = "a whole number" if integer else "a number"
            what = "is empty" if raw[row] == "" else f"= {raw[row]!r} is not {kind}"
            hint = ""
            if re.fullmatch(r"\s*-?\d+,\d+\s*", str(raw[row])):
                hint = " (write the decimal mark as '.', not ',')"
            raise self.fail(row, f"{name} {what}{hint}; give {kind} in every row")
        return values

    def times(self, name: str, *, required: bool = True) -> tuple[np.ndarray, Any]:
        """Seconds since midnight from seconds, HH:MM[:SS] or ISO datetimes."""
        raw = self.cols[name]
        n = raw.size
        out = np.full(n, np.nan)
        series = pd.Series(raw, dtype=object)
        num = _floats(raw)
        is_num = np.isfinite(num)
        out[is_num] = num[is_num]
        parts = series.str.extract(_CLOCK)
        is_clock = parts[0].notna().to_numpy() & ~is_num
        if is_clock.any():
            h = parts[0].to_numpy()[is_clock].astype(np.float64)
            m = parts[1].to_numpy()[is_clock].astype(np.float64)
            s = pd.to_numeric(parts[2], errors="coerce").to_numpy(np.float64)[is_clock]
            bad = (m >= 60) | (np.nan_to_num(s) >= 60)
            if bad.any():
                row = int(np.flatnonzero(is_clock)[np.flatnonzero(bad)[0]])
                raise self.fail(row, f"{name} = {raw[row]!r} is not a valid HH:MM[:SS] time")
            out[is_clock] = h * 3600.0 + m * 60.0 + np.nan_to_num(s)
        empty = np.array([v == "" for v in raw], dtype=bool)
        rest = ~is_num & ~is_clock & ~empty
        day = None
        if rest.any():
            stamps = _parse_datetimes(raw[rest])
            ok = np.array([ts is not pd.NaT and ts is not None for ts in stamps], dtype=bool)
            if not ok.all():
                row = int(np.flatnonzero(rest)[np.flatnonzero(~ok)[0]])
                raise self.fail(
                    row,
                    f"cannot read {name} = {raw[row]!r}; use seconds since midnight, "
                    "HH:MM[:SS] or an ISO datetime such as 2024-05-01T07:30:00",
                )
            rows = np.flatnonzero(rest)
            day = stamps[0].normalize()
            for k, ts in enumerate(stamps):
                if ts.normalize() != day:
                    raise self.fail(
                        int(rows[k]),
                        f"{name} {raw[rows[k]]!r} is on {ts.date()}, but the log starts on "
                        f"{day.date()}; give one service day per file",
                    )
            out[rest] = [(ts - day).total_seconds() for ts in stamps]
        if required and empty.any():
            row = int(np.flatnonzero(empty)[0])
            raise self.fail(row, f"{name} is empty; every request needs a time")
        return out, day


def _floats(raw: np.ndarray) -> np.ndarray:
    """Parse strings with Python's correctly rounded ``float`` (NaN where unreadable).

    Exact: a float written with ``repr`` (as pandas ``to_csv`` does) reads back
    bit for bit.
    """
    out = np.empty(raw.size, dtype=np.float64)
    for i, v in enumerate(raw):
        try:
            out[i] = float(v)
        except ValueError:
            out[i] = np.nan
    return out


def _parse_datetimes(values: np.ndarray) -> list[Any]:
    """ISO datetimes as naive wall-clock Timestamps (NaT where unreadable)."""
    out = []
    for v in values:
        if not _ISO.match(str(v)):
            out.append(pd.NaT)
            continue
        try:
            ts = pd.Timestamp(str(v))
        except (ValueError, TypeError):
            out.append(pd.NaT)
            continue
        if ts is pd.NaT:
            out.append(pd.NaT)
            continue
        out.append(ts.tz_localize(None) if ts.tzinfo is not None else ts)
    return out


# ---------------------------------------------------------------- from_csv
def from_csv(
    path: str | os.PathLike[str],
    net: RoadNetwork | None = None,
    *,
    area: ServiceArea | None = None,
    max_snap_m: float = 200.0,
    service_hours: tuple[float, float] = (0.0, 24.0),
    drop_unserviceable: bool = True,
    sort: bool = False,
    columns: Mapping[str, str] | None = None,
    name: str | None = None,
) -> Demand:
    """Read a trip log (CSV) into a :class:`~idrt.demand.trips.Demand`.

    Coordinates are snapped to the nearest network node (straight-line, in the
    network's projected metres) and the snap distance kept. Requests with an
    end outside ``area``, farther than ``max_snap_m`` from every node, or
    with both ends on the same node cannot be served: they are counted in an
    :class:`ImportReport` (``demand.report``, with example lines) and an
    :class:`~idrt.errors.IdrtWarning` is issued; they are dropped unless
    ``drop_unserviceable=False``. Nothing is dropped silently.

    Parameters
    ----------
    path
        The CSV file (format in the module docstring).
    net
        Network to snap to. Without one, node id columns are kept unchecked
        and coordinate-only ends get node ``-1`` and snap distance NaN (enough
        for :meth:`Demand.describe`; :meth:`Demand.check` will refuse them).
    area
        Service area; ends outside it are reported.
    max_snap_m
        Ends farther than this (metres) from every node are reported.
    service_hours
        ``(start_h, end_h)``; every requested time must fall inside.
    drop_unserviceable
        Drop the reported requests (default) or keep them.
    sort
        Sort lines by time instead of refusing a file out of time order.
    columns
        Renames applied to the header first, e.g. ``{"lng": "origin_lon"}``.
    name
        Label of the result; default the file stem.

    Returns
    -------
    Demand
        With ``report`` set.

    Raises
    ------
    DemandError
        Naming the file and line: a row with the wrong number of fields, a
        missing column, an unreadable time or number, coordinates out of range,
        a node id not in ``net``, ``pax < 1``, a booking after the requested
        time, lines out of time order, or a requested time outside
        ``service_hours``.

    Examples
    --------
    >>> demand = from_csv("trips.csv", net, area=area)  # doctest: +SKIP
    >>> print(demand.report)                            # doctest: +SKIP
    """
    p = existing_file(path, what="trip log")
    where = str(p)
    max_snap_m = positive(max_snap_m, name="max_snap_m", allow_inf=True)
    start_s, end_s = service_window_s(service_hours)
    header, records, lines = _read_records(p)
    if columns:
        header = [columns.get(h, h) for h in header]
        if len(set(header)) != len(header):
            msg = f"{where}: after renaming with columns={dict(columns)} two columns share a name"
            raise DemandError(msg)
    t = _Table(where, header, records, lines)
    n = len(records)
    if n == 0:
        msg = f"{where} has a header but no trips; add one line per request below it"
        raise DemandError(msg)

    # ---- times
    req_col = _one_of(t, ("request_time_s", "request_time"), required=True)
    request, _ = t.times(req_col)
    book_col = _one_of(t, ("booking_time_s", "booking_time"), required=False)
    if book_col is not None:
        booking, _ = t.times(book_col, required=False)
        booking = np.where(np.isnan(booking), request, booking)
    else:
        booking = request.copy()
    late = booking > request
    if late.any():
        row = int(np.flatnonzero(late)[0])
        raise t.fail(
            row,
            f"booked at {fmt_clock(booking[row])}, after the requested time "
            f"{fmt_clock(request[row])}; a booking cannot come after the ride it asks for",
        )
    key = booking if book_col is not None else request
    if not sort and n > 1:
        back = np.flatnonzero(key[1:] < key[:-1])
        if back.size:
            row = int(back[0]) + 1
            which = book_col if book_col is not None else req_col
            raise t.fail(
                row,
                f"{which} {fmt_clock(key[row])} is earlier than the line before "
                f"({fmt_clock(key[row - 1])}); lines must be in time order. Sort the file, or "
                "pass sort=True",
            )
    outside_hours = (request < start_s) | (request >= end_s)
    if outside_hours.any():
        row = int(np.flatnonzero(outside_hours)[0])
        raise t.fail(
            row,
            f"requested time {fmt_clock(request[row])} is outside the service hours "
            f"{fmt_clock(start_s)}-{fmt_clock(end_s)}; drop the row or widen service_hours",
        )

    # ---- the rest of the columns
    pax = t.numbers("pax", integer=True) if "pax" in t else np.ones(n)
    if (pax < 1).any():
        row = int(np.flatnonzero(pax < 1)[0])
        raise t.fail(row, f"pax = {t.cols['pax'][row]!r}; a request carries at least 1 rider")
    if "prebooked" in t:
        prebooked = _booleans(t, "prebooked")
    else:
        prebooked = booking < request

    ends = {end: _read_end(t, end, net) for end in ("origin", "destination")}
    frame = pd.DataFrame(
        {
            "request_time_s": request,
            "booking_time_s": booking,
            "prebooked": prebooked,
            "origin_node": ends["origin"]["node"],
            "destination_node": ends["destination"]["node"],
            "pax": pax.astype(np.int64),
            "origin_lon": ends["origin"]["lon"],
            "origin_lat": ends["origin"]["lat"],
            "destination_lon": ends["destination"]["lon"],
            "destination_lat": ends["destination"]["lat"],
            "origin_snap_m": ends["origin"]["snap"],
            "destination_snap_m": ends["destination"]["snap"],
        }
    )
    id_col = next((c for c in _ID_COLUMNS if c in t), None)
    if id_col is not None:
        ids = pd.Series(t.cols[id_col])
        repeated = ids.duplicated(keep="first").to_numpy()
        if repeated.any():
            row = int(np.flatnonzero(repeated)[0])
            first = int(np.flatnonzero(ids.to_numpy() == ids.iloc[row])[0])
            raise t.fail(
                row,
                f"{id_col} {ids.iloc[row]!r} was already used on line {int(lines[first])} "
                f"({int(repeated.sum())} repeated id(s) in all); ids must be unique",
            )
    used = set(TRIP_COLUMNS) | {req_col, book_col, id_col}
    for col in header:
        if col not in used:
            frame[col] = t.cols[col]
    if id_col is not None:
        frame["source_id"] = t.cols[id_col].astype(str)
    frame["_line"] = lines

    # ---- what cannot be served
    flags = {
        "outside the service area": np.zeros(n, dtype=bool),
        f"more than {max_snap_m:g} m from any road": np.zeros(n, dtype=bool),
        "both ends at the same node": np.zeros(n, dtype=bool),
    }
    reasons = list(flags)
    if area is not None:
        for end in ("origin", "destination"):
            lon, lat = frame[f"{end}_lon"].to_numpy(), frame[f"{end}_lat"].to_numpy()
            flags[reasons[0]] |= ~area.contains(lon, lat) & np.isfinite(lon)
    snap = np.fmax(frame["origin_snap_m"].to_numpy(), frame["destination_snap_m"].to_numpy())
    flags[reasons[1]] = snap > max_snap_m
    o, d = frame["origin_node"].to_numpy(), frame["destination_node"].to_numpy()
    flags[reasons[2]] = (o == d) & (o != UNSNAPPED)
    any_flag = flags[reasons[0]] | flags[reasons[1]] | flags[reasons[2]]
    examples = []
    for reason, mask in flags.items():
        for row in np.flatnonzero(mask)[:_EXAMPLES]:
            examples.append(
                {
                    "line": int(lines[row]),
                    "reason": reason,
                    "origin_lon": frame.at[row, "origin_lon"],
                    "origin_lat": frame.at[row, "origin_lat"],
                    "destination_lon": frame.at[row, "destination_lon"],
                    "destination_lat": frame.at[row, "destination_lat"],
                    "snap_m": snap[row],
                }
            )
    example_frame = pd.DataFrame(
        examples,
        columns=[
            "line",
            "reason",
            "origin_lon",
            "origin_lat",
            "destination_lon",
            "destination_lat",
            "snap_m",
        ],
    )
    if drop_unserviceable:
        frame = frame[~any_flag].reset_index(drop=True)
        if frame.empty:
            report_text = str(
                ImportReport(
                    source=where,
                    rows=n,
                    kept=0,
                    flagged=int(any_flag.sum()),
                    outside_area=int(flags[reasons[0]].sum()),
                    far_from_road=int(flags[reasons[1]].sum()),
                    same_node=int(flags[reasons[2]].sum()),
                    max_snap_m=max_snap_m,
                    examples=pd.DataFrame(examples).head(3),
                )
            )
            head, *example = report_text.splitlines()
            msg = (
                f"none of the {n} requests can be served, nothing is left to simulate ({head}"
                + (f"; e.g. {example[0].strip()}" if example else "")
                + "); are longitude and latitude swapped, or is it the wrong network or area?"
            )
            raise DemandError(msg)
    report = ImportReport(
        source=where,
        rows=n,
        kept=len(frame),
        flagged=int(any_flag.sum()),
        outside_area=int(flags[reasons[0]].sum()),
        far_from_road=int(flags[reasons[1]].sum()),
        same_node=int(flags[reasons[2]].sum()),
        dropped=drop_unserviceable,
        max_snap_m=max_snap_m,
        examples=example_frame,
    )
    frame = frame.drop(columns="_line")
    demand = Demand.from_frame(
        frame, service_hours=service_hours, name=name or p.stem, report=report
    )
    if "source_id" in demand.trips and np.array_equal(
        demand.trips["source_id"].to_numpy(dtype=str),
        demand.trips["request_id"].to_numpy().astype(str),
    ):
        demand = Demand(
            demand.trips.drop(columns="source_id"),
            service_hours=demand.service_hours,
            name=demand.name,
            report=report,
        )
    if any_flag.any():
        warn(str(report), key=f"trips-flagged:{where}", stacklevel=2)
    return demand


def _one_of(t: _Table, names: tuple[str, ...], *, required: bool) -> str | None:
    present = [c for c in names if c in t]
    if len(present) > 1:
        msg = f"{t.where}: give one of the columns {list(names)}, not both"
        raise DemandError(msg)
    if not present:
        if required:
            msg = (
                f"{t.where}: no column {' or '.join(names)} in the header; every request "
                "needs a time (rename yours with columns={'yours': 'request_time'})"
            )
            raise DemandError(msg)
        return None
    return present[0]


def _booleans(t: _Table, name: str) -> np.ndarray:
    raw = np.array([str(v).lower() for v in t.cols[name]], dtype=object)
    is_true = np.array([v in _TRUE for v in raw], dtype=bool)
    is_false = np.array([v in _FALSE for v in raw], dtype=bool)
    bad = ~(is_true | is_false)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise t.fail(row, f"{name} = {t.cols[name][row]!r} is not true/false")
    return is_true


def _read_end(t: _Table, end: str, net: RoadNetwork | None) -> dict[str, np.ndarray]:
    """Node, lon, lat and snap distance of one trip end for every row."""
    n = t.lines.size
    has_node = f"{end}_node" in t
    has_xy = f"{end}_lon" in t and f"{end}_lat" in t
    if not (has_node or has_xy):
        msg = (
            f"{t.where}: no {end} columns; give {end}_lon and {end}_lat (WGS84 degrees) or "
            f"{end}_node (a node id of the network)"
        )
        raise DemandError(msg)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    if has_xy:
        lon = t.numbers(f"{end}_lon")
        lat = t.numbers(f"{end}_lat")
        bad = (np.abs(lon) > 180.0) | (np.abs(lat) > 90.0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise t.fail(
                row,
                f"{end} ({lon[row]}, {lat[row]}) is not WGS84 lon/lat in degrees (are the "
                "columns swapped or projected?)",
            )
    snap_col = f"{end}_snap_m"
    snap = t.numbers(snap_col, required=False) if snap_col in t else np.full(n, np.nan)
    if has_node:
        node = t.numbers(f"{end}_node", integer=True).astype(np.int64)
        if net is not None:
            known = np.isin(node, net.node_ids)
            if not known.all():
                row = int(np.flatnonzero(~known)[0])
                raise t.fail(
                    row,
                    f"{end}_node {node[row]} is not a node of network {net.name!r}; give "
                    "coordinates instead, or the network the ids come from",
                )
            idx = np.asarray(net.index_of(node))
            if not has_xy:
                lon, lat = net.lon[idx].copy(), net.lat[idx].copy()
                computed = np.zeros(n)
            else:
                x, y = net.project(lon, lat)
                computed = np.hypot(x - net.x_m[idx], y - net.y_m[idx])
            snap = np.where(np.isnan(snap), computed, snap)
        return {"node": node, "lon": lon, "lat": lat, "snap": snap}
    if net is None:
        return {"node": np.full(n, UNSNAPPED, dtype=np.int64), "lon": lon, "lat": lat, "snap": snap}
    node, dist = net.nearest_node(lon, lat, return_dist=True)
    snap = np.where(np.isnan(snap), dist, snap)
    return {"node": np.asarray(node, dtype=np.int64), "lon": lon, "lat": lat, "snap": snap}


# ------------------------------------------------------------------ stops
_STOP_LON = ("stop_lon", "lon", "lng", "longitude")
_STOP_LAT = ("stop_lat", "lat", "latitude")
_STOP_ID = ("stop_id", "id")
_STOP_NAME = ("stop_name", "name")


def read_gtfs_stops(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read fixed-route transit stops: GTFS ``stops.txt`` or a plain CSV of stops.

    Parameters
    ----------
    path
        A GTFS ``stops.txt``, a GTFS folder or ``.zip`` holding one, or a CSV
        with columns ``lon``/``lat`` (or ``stop_lon``/``stop_lat``,
        ``longitude``/``latitude``) and optionally ``stop_id``/``id`` and
        ``stop_name``/``name``. In GTFS only stops and platforms
        (``location_type`` empty or 0) are kept; stations, entrances and
        boarding areas are not places a bus stops at.

    Returns
    -------
    pandas.DataFrame
        Columns ``stop_id`` (str), ``stop_name`` (str), ``lon``, ``lat``
        (WGS84 degrees), in file order.

    Raises
    ------
    DemandError
        Missing file or columns, malformed lines, unreadable or out-of-range
        coordinates, repeated stop ids, or no stop at all (naming file and line).
    """
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "stops.txt"
    if p.suffix.lower() == ".zip" and p.is_file():
        try:
            with zipfile.ZipFile(p) as zf:
                member = next(
                    (m for m in zf.namelist() if m.rsplit("/", 1)[-1] == "stops.txt"), None
                )
                if member is None:
                    msg = f"GTFS archive {str(p)!r} holds no stops.txt"
                    raise DemandError(msg)
                text = zf.read(member).decode("utf-8-sig")
        except zipfile.BadZipFile:
            msg = f"{str(p)!r} is not a readable zip archive; give a GTFS feed or stops.txt"
            raise DemandError(msg) from None
        where = f"{p}!{member}"
        header, records, lines = _parse_records(io.StringIO(text, newline=""), where)
    else:
        p = existing_file(p, what="transit stops")
        where = str(p)
        header, records, lines = _read_records(p)
    t = _Table(where, header, records, lines)
    lon_col = next((c for c in _STOP_LON if c in t), None)
    lat_col = next((c for c in _STOP_LAT if c in t), None)
    if lon_col is None or lat_col is None:
        msg = (
            f"{where}: stops need longitude and latitude columns (stop_lon/stop_lat as in "
            f"GTFS, or lon/lat); the header has {header}"
        )
        raise DemandError(msg)
    keep = np.ones(len(records), dtype=bool)
    if "location_type" in t:
        keep = np.isin(t.cols["location_type"], ["", "0"])
    sub = _Table(where, header, [r for r, k in zip(records, keep, strict=True) if k], lines[keep])
    lon = sub.numbers(lon_col)
    lat = sub.numbers(lat_col)
    bad = (np.abs(lon) > 180.0) | (np.abs(lat) > 90.0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise sub.fail(row, f"stop at ({lon[row]}, {lat[row]}) is not WGS84 lon/lat degrees")
    n = lon.size
    if n == 0:
        msg = f"{where} holds no stop (location_type empty or 0)"
        raise DemandError(msg)
    id_col = next((c for c in _STOP_ID if c in sub), None)
    ids = sub.cols[id_col].astype(str) if id_col else np.arange(n).astype(str)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1][0]
        row = int(np.flatnonzero(ids == dup)[1])
        raise sub.fail(row, f"stop_id {str(dup)!r} appears twice; stop ids must be unique")
    name_col = next((c for c in _STOP_NAME if c in sub), None)
    names = sub.cols[name_col].astype(str) if name_col else np.full(n, "", dtype=object)
    return pd.DataFrame(
        {"stop_id": ids.astype(object), "stop_name": names.astype(object), "lon": lon, "lat": lat}
    )
