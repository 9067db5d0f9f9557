"""Travel-time accessibility: who can reach a station or a hospital within N minutes.

For every populated cell of an :class:`~idrt.demand.underserved.Underserved`
grid (built with a population layer) and every named destination, two door-to-door
times are compared:

``drt``
    ``drt_wait_s`` + the fastest road time from the cell (its nearest node)
    to the destination's nearest node × ``drt_ride_factor``. Take the wait
    and the factor from a run: ``wait_mean_s`` and ``ride_time_ratio`` of
    ``result.summary()`` (the ratio of riding time to the direct time).
``transit`` (today's fixed-route buses, walking to them)
    walk from the cell to its nearest stop (the grid's ``dist_m``, by the
    grid's metric) + ``transit_wait_s`` + the fastest road time × ``transit_ride_factor``
    + walk from the stop nearest the destination to it; walking at
    ``walk_speed_mps``. A cell with no stop within ``max_transit_walk_m``
    cannot use transit. Without timetables this is a road-based proxy of the
    bus trip, stated as such.

A zone's share is the share of its people (spread over cells by area) whose
cell reaches the destination within ``minutes``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from idrt import routing
from idrt.demand.underserved import _network_distance_to_stops, _stops_frame
from idrt.errors import DemandError

__all__ = ["accessibility"]


def accessibility(
    net,
    gaps,
    destinations: Mapping[str, tuple[float, float]],
    *,
    minutes: float = 30.0,
    drt_wait_s: float,
    drt_ride_factor: float = 1.0,
    transit_stops=None,
    transit_wait_s: float = 4680.0,
    transit_ride_factor: float = 1.3,
    walk_speed_mps: float = 1.2,
    max_transit_walk_m: float = 1000.0,
) -> pd.DataFrame:
    """Share of people per zone who reach each destination within ``minutes``, DRT vs transit.

    Parameters
    ----------
    net : idrt.network.RoadNetwork
        The road network.
    gaps : idrt.demand.Underserved
        Result of :func:`idrt.underserved` with ``population=`` (its cells
        carry the walk to the nearest stop and the people).
    destinations
        ``{"Unseo station": (lon, lat), ...}`` in WGS84 degrees.
    minutes
        Travel-time budget, min.
    drt_wait_s, drt_ride_factor
        DRT wait (s) and ride time over the direct road time (see the
        module docstring).
    transit_stops
        The stops of ``gaps`` (path or DataFrame), for the walk at the
        destination end; without them that walk is taken as 0.
    transit_wait_s
        Wait for today's bus, s (default 78 min: the local fixed-route bus
        wait reported for Yeongjong, see ``experiments/yeongjong.toml``).
    transit_ride_factor
        Bus in-vehicle time over the road time (stops, indirect routes);
        1.3 is a placeholder.
    walk_speed_mps
        Walking speed, m/s.
    max_transit_walk_m
        Farther than this from a stop, transit is not an option, m.

    Returns
    -------
    pandas.DataFrame
        One row per zone and destination: ``zone``, ``destination``,
        ``people``, ``drt_share`` and ``transit_share`` (of the zone's
        people within ``minutes``), ``drt_min`` and ``transit_min``
        (people-weighted mean door-to-door times, min; ``inf`` when
        unreachable).

    Raises
    ------
    DemandError
        Without a population layer, no destinations, or bad parameters.
    """
    if getattr(gaps, "pieces", None) is None:
        msg = "accessibility needs people: build the grid with underserved(..., population=...)"
        raise DemandError(msg)
    if not destinations:
        msg = "give at least one destination, e.g. {'Unseo station': (126.4933, 37.4925)}"
        raise DemandError(msg)
    for name, value in {"minutes": minutes, "drt_wait_s": drt_wait_s,
                        "walk_speed_mps": walk_speed_mps}.items():  # fmt: skip
        if not np.isfinite(value) or value < 0 or (name == "walk_speed_mps" and value == 0):
            msg = f"{name} = {value!r} must be a finite number > 0"
            raise DemandError(msg)
    cells = gaps.cells
    from_ids = net.nearest_node(cells["x_m"].to_numpy(), cells["y_m"].to_numpy(), projected=True)
    from_idx = np.atleast_1d(np.asarray(net.index_of(from_ids), dtype=np.int64))
    rev, _ = routing.reverse(net.csr)
    walk_in = cells["dist_m"].to_numpy(float)
    stop_walk_at = None
    if transit_stops is not None:
        stops = _stops_frame(transit_stops)
        sx, sy = net.project(stops["lon"].to_numpy(), stops["lat"].to_numpy())
        stop_walk_at = _network_distance_to_stops(net, np.atleast_1d(sx), np.atleast_1d(sy))
    rows = []
    pieces = gaps.pieces
    cell_row = pd.Series(np.arange(len(cells)), index=cells["cell_id"].to_numpy())
    at = cell_row.loc[pieces["cell_id"]].to_numpy()
    budget = minutes * 60.0
    for dest, (lon, lat) in destinations.items():
        node = int(np.atleast_1d(net.index_of(net.nearest_node(lon, lat)))[0])
        road = routing.one_to_all(rev, node).time_s[from_idx]  # cell -> destination, s
        drt = drt_wait_s + road * drt_ride_factor
        walk_out = float(stop_walk_at[node]) if stop_walk_at is not None else 0.0
        transit = (
            (walk_in + walk_out) / walk_speed_mps + transit_wait_s + road * transit_ride_factor
        )
        transit = np.where(walk_in <= max_transit_walk_m, transit, np.inf)
        frame = pd.DataFrame(
            {
                "zone": pieces["zone"].to_numpy(),
                "people": pieces["people"].to_numpy(float),
                "drt_s": drt[at],
                "transit_s": transit[at],
            }
        )
        for zone, g in frame.groupby("zone", sort=False):
            w = g["people"].to_numpy()
            total = w.sum()
            rows.append(
                {
                    "zone": zone,
                    "destination": dest,
                    "people": total,
                    "drt_share": _share(w, g["drt_s"].to_numpy() <= budget),
                    "transit_share": _share(w, g["transit_s"].to_numpy() <= budget),
                    "drt_min": _mean_min(w, g["drt_s"].to_numpy()),
                    "transit_min": _mean_min(w, g["transit_s"].to_numpy()),
                }
            )
    return pd.DataFrame(rows)


def _share(weights: np.ndarray, ok: np.ndarray) -> float:
    total = weights.sum()
    return float(weights[ok].sum() / total) if total > 0 else float("nan")


def _mean_min(weights: np.ndarray, seconds: np.ndarray) -> float:
    total = weights.sum()
    if total <= 0:
        return float("nan")
    if np.isinf(seconds[weights > 0]).any():
        return float("inf")
    return float((weights * seconds).sum() / total / 60.0)
