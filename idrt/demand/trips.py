"""The :class:`Demand` result: a tidy table of trip requests and what to do with it."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from idrt.demand._validate import (
    SECONDS_PER_HOUR,
    as_generator,
    fmt_clock,
    positive,
    service_window_s,
)
from idrt.demand.area import ServiceArea
from idrt.errors import DemandError, IdrtError

if TYPE_CHECKING:
    from idrt.demand.io import ImportReport
    from idrt.network import RoadNetwork

__all__ = ["TRIP_COLUMNS", "Demand", "check_trip_nodes"]

TRIP_COLUMNS: dict[str, str] = {
    "request_id": "int64",
    "request_time_s": "float64",
    "booking_time_s": "float64",
    "prebooked": "bool",
    "origin_node": "int64",
    "destination_node": "int64",
    "pax": "int64",
    "origin_lon": "float64",
    "origin_lat": "float64",
    "destination_lon": "float64",
    "destination_lat": "float64",
    "origin_snap_m": "float64",
    "destination_snap_m": "float64",
}
"""Columns every ``Demand.trips`` table has, in order, with their dtypes."""

_EXAMPLES = 5
UNSNAPPED = -1
"""Node id of a trip end that has not been snapped to a network (no network given)."""


@dataclass(frozen=True, eq=False)
class Demand:
    """A day of trip requests, one row each, sorted by booking time.

    Build one with :func:`idrt.demand.poisson`, :func:`idrt.demand.from_csv`
    or :meth:`from_frame`. Treat :attr:`trips` as read-only: methods return
    new ``Demand`` objects.

    Attributes
    ----------
    trips : pandas.DataFrame
        One row per request, with the columns of :data:`TRIP_COLUMNS` (in that
        order) and possibly extra ones (``source_id`` from an import):

        - ``request_id`` (int64): ``0..n-1`` in row order;
        - ``request_time_s`` (float64): seconds since midnight when the rider
          wants to be picked up (immediate requests: when they ask);
        - ``booking_time_s`` (float64): seconds since midnight when the request
          reaches the operator; equal to ``request_time_s`` for immediate
          requests, earlier (never below 0) for pre-booked ones;
        - ``prebooked`` (bool);
        - ``origin_node``, ``destination_node`` (int64): source node ids of the
          network (``-1`` if not snapped to a network);
        - ``pax`` (int64): riders travelling together, >= 1;
        - ``origin_lon``, ``origin_lat``, ``destination_lon``,
          ``destination_lat`` (float64): WGS84 degrees of where the rider asked
          to start and end (generated trips: the node itself);
        - ``origin_snap_m``, ``destination_snap_m`` (float64): straight-line
          metres from that position to its node (0 for generated trips, NaN if
          not snapped).

        Rows are sorted by ``booking_time_s``, then ``request_time_s``, then
        the order they were generated or read in (a deterministic tie-break).
    service_hours : tuple of float
        ``(start_h, end_h)`` of the service day the requests belong to.
    name : str
        Label used in summaries.
    report : ImportReport, optional
        What an import dropped or flagged (see :func:`idrt.demand.from_csv`).
    """

    trips: pd.DataFrame
    service_hours: tuple[float, float] = (0.0, 24.0)
    name: str = "demand"
    report: ImportReport | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        start_s, end_s = service_window_s(self.service_hours)
        object.__setattr__(self, "service_hours", (start_s / 3600.0, end_s / 3600.0))
        frame = self.trips
        if not isinstance(frame, pd.DataFrame):
            msg = f"Demand.trips must be a pandas DataFrame, got {type(frame).__name__}"
            raise DemandError(msg)
        missing = [c for c in TRIP_COLUMNS if c not in frame.columns]
        if missing:
            msg = (
                f"Demand.trips lacks columns {missing}; build it with Demand.from_frame, "
                "idrt.demand.poisson or idrt.demand.from_csv"
            )
            raise DemandError(msg)
        for col, dtype in TRIP_COLUMNS.items():
            if str(frame[col].dtype) != dtype:
                msg = f"Demand.trips column {col!r} has dtype {frame[col].dtype}, not {dtype}"
                raise DemandError(msg)
        n = len(frame)
        if not np.array_equal(frame["request_id"].to_numpy(), np.arange(n)):
            msg = "Demand.trips request_id must be 0..n-1 in row order; use Demand.from_frame"
            raise DemandError(msg)
        b = frame["booking_time_s"].to_numpy()
        r = frame["request_time_s"].to_numpy()
        if n > 1 and np.any((b[1:] < b[:-1]) | ((b[1:] == b[:-1]) & (r[1:] < r[:-1]))):
            msg = (
                "Demand.trips must be sorted by booking_time_s then request_time_s; use from_frame"
            )
            raise DemandError(msg)

    # ------------------------------------------------------------ building
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        service_hours: Any = (0.0, 24.0),
        name: str = "demand",
        report: ImportReport | None = None,
    ) -> Demand:
        """Sort a trips table, number its requests and wrap it.

        ``frame`` needs the columns of :data:`TRIP_COLUMNS` except
        ``request_id`` (replaced); values are cast to their dtypes. Rows are
        sorted by booking time, then request time, then their current order.
        """
        missing = [c for c in TRIP_COLUMNS if c != "request_id" and c not in frame.columns]
        if missing:
            msg = f"a trips table needs the columns {missing}"
            raise DemandError(msg)
        extra = [c for c in frame.columns if c not in TRIP_COLUMNS]
        out = frame[[c for c in TRIP_COLUMNS if c != "request_id"] + extra]
        order = np.lexsort(
            (
                np.arange(len(out)),
                out["request_time_s"].to_numpy(np.float64),
                out["booking_time_s"].to_numpy(np.float64),
            )
        )
        out = out.iloc[order].reset_index(drop=True)
        out.insert(0, "request_id", np.arange(len(out), dtype=np.int64))
        out = out.astype({c: t for c, t in TRIP_COLUMNS.items()})
        return cls(out, service_hours=tuple(service_hours), name=name, report=report)

    # --------------------------------------------------------------- sizes
    def __len__(self) -> int:
        return len(self.trips)

    @property
    def n_pax(self) -> int:
        """Total riders (sum of ``pax``)."""
        return int(self.trips["pax"].sum())

    def __repr__(self) -> str:
        return (
            f"Demand({self.name!r}, requests={len(self)}, pax={self.n_pax}, "
            f"service_hours={self.service_hours})"
        )

    # -------------------------------------------------------------- scaling
    def scaled(
        self,
        factor: float,
        *,
        seed: int | np.random.Generator | None = None,
        jitter_s: float = 300.0,
    ) -> Demand:
        """The same spatial and temporal pattern with ``factor`` times the requests.

        Method: with ``factor = k + f`` (``k`` whole, ``0 <= f < 1``) each
        request is kept ``k`` times, plus once more with probability ``f``.
        For ``factor < 1`` this is independent thinning, which keeps a Poisson
        process Poisson with its rate scaled. For ``factor > 1`` it superposes
        copies of the observed requests: the first copy of a request is the
        original, every further copy has the same origin, destination, group
        size and booking lead, and its times moved by a uniform jitter in
        ``[-jitter_s, +jitter_s]`` (mirrored back into the service hours if it
        would leave them), so that copies are distinct requests. The expected
        count is ``factor * len(self)``; hourly and spatial shares are kept in
        expectation (up to the jitter at hour boundaries).

        Parameters
        ----------
        factor
            Scale factor, > 0.
        seed
            Seed or generator of the one random generator used.
        jitter_s
            Half-width of the time jitter of copies, in seconds (>= 0).

        Returns
        -------
        Demand
            Sorted and renumbered.

        Examples
        --------
        >>> busier = demand.scaled(1.5, seed=1)  # doctest: +SKIP
        """
        factor = positive(factor, name="factor")
        jitter_s = positive(jitter_s, name="jitter_s", allow_zero=True)
        rng = as_generator(seed)
        n = len(self)
        whole = math.floor(factor)
        frac = factor - whole
        copies = whole + (rng.random(n) < frac).astype(np.int64)
        rows = np.repeat(np.arange(n), copies)
        first = np.ones(rows.size, dtype=bool)
        if rows.size:
            first[1:] = rows[1:] != rows[:-1]
        out = self.trips.iloc[rows].drop(columns="request_id").reset_index(drop=True)
        n_extra = int((~first).sum())
        if n_extra:
            start_s, end_s = service_window_s(self.service_hours)
            delta = rng.uniform(-jitter_s, jitter_s, size=n_extra)
            extra = np.flatnonzero(~first)
            req = out["request_time_s"].to_numpy(np.float64)[extra]
            book = out["booking_time_s"].to_numpy(np.float64)[extra]
            new = req + delta
            outside = (new < start_s) | (new >= end_s)
            delta = np.where(outside, -delta, delta)
            new = np.clip(req + delta, start_s, np.nextafter(end_s, -np.inf))
            delta = new - req
            out.loc[extra, "request_time_s"] = new
            out.loc[extra, "booking_time_s"] = np.minimum(np.maximum(book + delta, 0.0), new)
        return Demand.from_frame(
            out, service_hours=self.service_hours, name=f"{self.name} x{factor:g}"
        )

    # ------------------------------------------------------------ summaries
    def by_hour(self) -> pd.DataFrame:
        """Requests, riders and pre-booked requests per hour of the requested time.

        Returns
        -------
        pandas.DataFrame
            Index ``hour`` (0-23); columns ``requests``, ``pax``, ``prebooked``.
        """
        t = self.trips
        hour = np.clip(np.floor(t["request_time_s"].to_numpy() / SECONDS_PER_HOUR), 0, 23)
        frame = pd.DataFrame(
            {
                "hour": hour.astype(np.int64),
                "requests": 1,
                "pax": t["pax"].to_numpy(),
                "prebooked": t["prebooked"].to_numpy().astype(np.int64),
            }
        )
        out = frame.groupby("hour").sum().reindex(range(24), fill_value=0)
        out.index.name = "hour"
        return out.astype(np.int64)

    def by_zone(
        self, zones: ServiceArea | Mapping[str, ServiceArea] | Sequence[ServiceArea]
    ) -> pd.DataFrame:
        """Trip ends (by position, WGS84) falling in each zone.

        Zones may overlap: a trip end in two zones counts in both. Ends in no
        zone (or with unknown position) count in the last row, ``(outside)``.

        Returns
        -------
        pandas.DataFrame
            Index ``zone``; columns ``origins``, ``destinations``, ``pax_origins``,
            ``origin_share``, ``destination_share`` (fractions of all requests).
        """
        zones = _as_zone_mapping(zones)
        t = self.trips
        rows = {}
        o_any = np.zeros(len(t), dtype=bool)
        d_any = np.zeros(len(t), dtype=bool)
        pax = t["pax"].to_numpy()
        for name, area in zones.items():
            o_in = area.contains(t["origin_lon"].to_numpy(), t["origin_lat"].to_numpy())
            d_in = area.contains(t["destination_lon"].to_numpy(), t["destination_lat"].to_numpy())
            o_any |= o_in
            d_any |= d_in
            rows[name] = (int(o_in.sum()), int(d_in.sum()), int(pax[o_in].sum()))
        rows["(outside)"] = (int((~o_any).sum()), int((~d_any).sum()), int(pax[~o_any].sum()))
        out = pd.DataFrame.from_dict(
            rows, orient="index", columns=["origins", "destinations", "pax_origins"]
        )
        out.index.name = "zone"
        n = max(len(t), 1)
        out["origin_share"] = out["origins"] / n
        out["destination_share"] = out["destinations"] / n
        return out

    def describe(
        self,
        zones: ServiceArea | Mapping[str, ServiceArea] | Sequence[ServiceArea] | None = None,
    ) -> str:
        """A printable summary: totals, requests by hour and, with ``zones``, by zone."""
        t = self.trips
        n = len(t)
        start, end = self.service_hours
        lines = [
            f"Demand {self.name!r}: {n} requests, {self.n_pax} riders, "
            f"service hours {fmt_clock(start * 3600)}-{fmt_clock(end * 3600)}",
        ]
        if n:
            pre = t["prebooked"].to_numpy()
            lead = (t["request_time_s"] - t["booking_time_s"]).to_numpy()[pre]
            lines.append(
                f"pre-booked: {int(pre.sum())} ({pre.mean():.1%})"
                + (f", median lead {np.median(lead) / 60:.0f} min" if pre.any() else "")
            )
            lines.append(
                f"first request {fmt_clock(t['request_time_s'].min())}, last "
                f"{fmt_clock(t['request_time_s'].max())}; mean group "
                f"{t['pax'].mean():.2f} riders"
            )
            snap = t[["origin_snap_m", "destination_snap_m"]].to_numpy().ravel()
            if np.isfinite(snap).any():
                lines.append(
                    f"snap distance to the network: mean {np.nanmean(snap):.1f} m, "
                    f"max {np.nanmax(snap):.1f} m"
                )
        if self.report is not None:
            lines.append(str(self.report))
        hours = self.by_hour()
        hours = hours[
            (hours["requests"] > 0)
            | ((hours.index >= math.floor(start)) & (hours.index < math.ceil(end)))
        ]
        table = hours.copy()
        table.insert(1, "share", (hours["requests"] / max(n, 1)).map("{:.1%}".format))
        lines += ["", "requests by hour (requested pickup time):", table.to_string()]
        if zones is not None:
            z = self.by_zone(zones)
            for col in ("origin_share", "destination_share"):
                z[col] = z[col].map("{:.1%}".format)
            lines += ["", "trip ends by zone:", z.to_string()]
        return "\n".join(lines)

    # ------------------------------------------------------------------- io
    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :attr:`trips` as CSV (times in seconds), readable by ``from_csv``."""
        path = Path(path)
        self.trips.to_csv(path, index=False)
        return path

    # ------------------------------------------------------------ validation
    def check(
        self,
        net: RoadNetwork,
        service_hours: Any = None,
        *,
        area: ServiceArea | None = None,
    ) -> Demand:
        """Check that every request can be served; return ``self``.

        Parameters
        ----------
        net
            The network the requests will be served on.
        service_hours
            ``(start_h, end_h)``; default :attr:`service_hours`.
        area
            If given, both trip ends' nodes must lie inside it.

        Raises
        ------
        DemandError
            Naming the count and the first few ``request_id`` of requests whose
            nodes are not in ``net`` (or were never snapped), whose origin equals
            the destination, whose requested time is outside the service hours,
            whose booking is after the requested time, with ``pax < 1``, or whose
            ends are outside ``area``.
        """
        window = self.service_hours if service_hours is None else service_hours
        start_s, end_s = service_window_s(window)
        t = self.trips
        ids = t["request_id"].to_numpy()
        o = t["origin_node"].to_numpy()
        d = t["destination_node"].to_numpy()
        r = t["request_time_s"].to_numpy()
        b = t["booking_time_s"].to_numpy()
        problems = [
            (
                ~(np.isin(o, net.node_ids) & np.isin(d, net.node_ids)),
                f"have a node that is not in network {net.name!r} (snap "
                "them with from_csv(..., net=net))",
            ),
            (o == d, "start and end at the same node"),
            (
                (r < start_s) | (r >= end_s) | ~np.isfinite(r),
                f"are requested outside the service hours {window}",
            ),
            (~(b <= r), "are booked after their requested time"),
            (t["pax"].to_numpy() < 1, "have pax < 1"),
        ]
        if area is not None:
            inner = area.nodes(net)
            ok = np.isin(o, inner) & np.isin(d, inner)
            problems.append((~ok, f"start or end outside the service area {area.name!r}"))
        for bad, what in problems:
            if bad.any():
                examples = ids[bad][:_EXAMPLES].tolist()
                msg = (
                    f"demand {self.name!r}: {int(bad.sum())} of {len(t)} requests {what}; "
                    f"e.g. request_id {examples}"
                )
                raise DemandError(msg)
        return self


def check_trip_nodes(
    frame: pd.DataFrame, net: RoadNetwork, error: type[IdrtError] = DemandError
) -> None:
    """Refuse a trip table whose origin or destination ids are not nodes of ``net``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Trips with ``origin_node`` and ``destination_node`` (source node ids).
    net : RoadNetwork
        The network the trips are to run on.
    error : type of IdrtError, default DemandError
        The error to raise, so that each caller reports in its own terms
        (``ScenarioError`` for a run, ``InteropError`` for an export).

    Raises
    ------
    error
        Naming the column and the first ids that are not nodes.
    """
    for column in ("origin_node", "destination_node"):
        try:
            net.index_of(frame[column].to_numpy(np.int64))
        except IdrtError as exc:
            msg = f"trips column {column!r}: {exc}"
            raise error(msg) from exc


def _as_zone_mapping(
    zones: ServiceArea | Mapping[str, ServiceArea] | Sequence[ServiceArea],
) -> dict[str, ServiceArea]:
    if isinstance(zones, ServiceArea):
        return {zones.name: zones}
    if isinstance(zones, Mapping):
        out = dict(zones)
    else:
        out = {}
        for z in zones:
            if not isinstance(z, ServiceArea):
                msg = f"zones must be ServiceArea objects, got {type(z).__name__}"
                raise DemandError(msg)
            name, k = z.name, 2
            while name in out:
                name, k = f"{z.name} ({k})", k + 1
            out[name] = z
    for name, z in out.items():
        if not isinstance(z, ServiceArea):
            msg = f"zone {name!r} must be a ServiceArea, got {type(z).__name__}"
            raise DemandError(msg)
    return out
