"""Underserved areas: the parts of a district too far from existing transit stops.

The district is cut into square cells of ``cell_m`` metres (a grid aligned to
multiples of ``cell_m`` in the network's projected CRS), each clipped to the
district so that its area in km² is exact. A cell is *underserved* when its
distance to the nearest existing stop exceeds ``max_walk_m``. Two metrics:

``"network"`` (default)
    Walking distance: straight line from the cell centre to its nearest
    network node, plus the shortest walk on the undirected road graph from
    that node to a stop's node, plus the straight line from that node to the
    stop. Water, rail lines and missing crossings count, as they do for
    riders.
``"straight"``
    Straight-line distance from the cell centre to the nearest stop (the
    classic catchment-buffer analysis).

Nodes of the district are marked the same way (their own distance). The
underserved cells, merged, form a :class:`~idrt.demand.area.ServiceArea`
ready for :func:`idrt.demand.poisson`: the candidate area of an I-MOD
expansion.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon

from idrt import routing
from idrt.demand._validate import positive
from idrt.demand._walk import walking_graph
from idrt.demand.area import ServiceArea
from idrt.demand.io import read_gtfs_stops
from idrt.errors import DemandError

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["Underserved", "underserved"]

_MIN_CELL_M2 = 1.0
"""Clipped cells smaller than this (m²) are slivers of the boundary and dropped."""


@dataclass(frozen=True, eq=False)
class Underserved:
    """Result of :func:`underserved`.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per grid cell overlapping the district: ``cell_id``, ``ix``,
        ``iy`` (grid indices), ``x_m``, ``y_m`` (centre, projected metres),
        ``lon``, ``lat`` (centre, WGS84), ``area_km2`` (the part inside the
        district), ``dist_m`` (to the nearest stop, by :attr:`metric`; ``inf``
        with no stop), ``underserved`` (``dist_m > max_walk_m``).
    node_table : pandas.DataFrame
        The district's nodes: ``node_id``, ``dist_m``, ``underserved``.
    max_walk_m, cell_m : float
        Walking threshold and cell size, metres.
    metric : str
        ``"network"`` or ``"straight"``.
    crs : str
        Projected CRS of ``x_m``/``y_m`` (the network's).
    """

    cells: pd.DataFrame
    node_table: pd.DataFrame
    max_walk_m: float
    cell_m: float
    metric: str
    crs: str
    district: str = "area"
    _geoms: np.ndarray = field(default=None, repr=False)

    @property
    def nodes(self) -> np.ndarray:
        """Source ids of the district's nodes farther than ``max_walk_m`` from any stop."""
        t = self.node_table
        return t["node_id"].to_numpy()[t["underserved"].to_numpy()]

    @property
    def underserved_km2(self) -> float:
        """Total area of the underserved cells, km²."""
        c = self.cells
        return float(c["area_km2"].to_numpy()[c["underserved"].to_numpy()].sum())

    @property
    def total_km2(self) -> float:
        """Area of the district covered by the grid, km²."""
        return float(self.cells["area_km2"].sum())

    @property
    def share(self) -> float:
        """Underserved share of the district's area."""
        total = self.total_km2
        return self.underserved_km2 / total if total > 0 else 0.0

    @property
    def area(self) -> ServiceArea:
        """The underserved cells merged into a :class:`ServiceArea` (name ``underserved``).

        Raises
        ------
        DemandError
            If no cell is underserved.
        """
        mask = self.cells["underserved"].to_numpy()
        if not mask.any():
            msg = (
                f"no part of {self.district!r} is farther than max_walk_m={self.max_walk_m:g} m "
                "from a stop; nothing to expand into (lower max_walk_m to look closer)"
            )
            raise DemandError(msg)
        geom = _polygonal(shapely.union_all(self._geoms[mask]))
        return ServiceArea.from_polygon(geom, crs=self.crs, name=f"underserved {self.district}")

    def summary(self) -> str:
        """One paragraph for a planner."""
        return (
            f"{self.district}: {self.underserved_km2:.2f} of {self.total_km2:.2f} km² "
            f"({self.share:.0%}) and {self.nodes.size} of {len(self.node_table)} street nodes "
            f"are more than {self.max_walk_m:g} m ({self.metric} distance) from a transit stop"
        )

    def __repr__(self) -> str:
        return (
            f"Underserved({self.district!r}, {self.underserved_km2:.2f}/{self.total_km2:.2f} km², "
            f"max_walk_m={self.max_walk_m:g}, metric={self.metric!r})"
        )


def underserved(
    net: RoadNetwork,
    area: ServiceArea,
    transit_stops: str | os.PathLike[str] | pd.DataFrame,
    *,
    max_walk_m: float = 500.0,
    cell_m: float = 250.0,
    metric: Literal["network", "straight"] = "network",
) -> Underserved:
    """Mark the parts of a district farther than a walk from any existing transit stop.

    Parameters
    ----------
    net
        The road network (its CRS sets the grid).
    area
        The district to examine.
    transit_stops
        Existing fixed-route stops: a GTFS ``stops.txt`` / feed / CSV path
        (:func:`~idrt.demand.io.read_gtfs_stops`) or a DataFrame with ``lon``
        and ``lat`` columns (WGS84). Stops outside the district count too.
    max_walk_m
        Walking threshold in metres.
    cell_m
        Grid cell size in metres.
    metric
        ``"network"`` (walking distance, default) or ``"straight"``; see the
        module docstring.

    Returns
    -------
    Underserved

    Raises
    ------
    DemandError
        Bad stops input, non-positive sizes, an unknown metric, or a district
        that does not overlap the grid.

    Examples
    --------
    >>> gaps = underserved(net, area, "demand/yeongjong_transit_stops.csv")  # doctest: +SKIP
    >>> gaps.underserved_km2, gaps.area                                      # doctest: +SKIP
    """
    max_walk_m = positive(max_walk_m, name="max_walk_m")
    cell_m = positive(cell_m, name="cell_m")
    if metric not in ("network", "straight"):
        msg = f"metric must be 'network' or 'straight', got {metric!r}"
        raise DemandError(msg)
    stops = _stops_frame(transit_stops)
    sx, sy = net.project(stops["lon"].to_numpy(), stops["lat"].to_numpy())
    sx, sy = np.atleast_1d(sx), np.atleast_1d(sy)

    district = area.projected(net.crs)
    cells, geoms = _grid(district, cell_m)
    if cells.empty:
        msg = f"district {area.name!r} is smaller than any grid cell of {cell_m:g} m; lower cell_m"
        raise DemandError(msg)
    lon, lat = _to_wgs84(net.crs, cells["x_m"].to_numpy(), cells["y_m"].to_numpy())
    cells["lon"], cells["lat"] = lon, lat

    inside = np.flatnonzero(area.node_mask(net))
    cx, cy = cells["x_m"].to_numpy(), cells["y_m"].to_numpy()
    if metric == "straight":
        cells["dist_m"] = _nearest_straight(cx, cy, sx, sy)
        node_dist = _nearest_straight(net.x_m[inside], net.y_m[inside], sx, sy)
    else:
        to_stop = _network_distance_to_stops(net, sx, sy)
        snap_m, nearest = _nearest_nodes(net, cx, cy)
        cells["dist_m"] = snap_m + to_stop[nearest]
        node_dist = to_stop[inside]
    cells["underserved"] = cells["dist_m"].to_numpy() > max_walk_m
    node_table = pd.DataFrame(
        {
            "node_id": net.node_ids[inside],
            "dist_m": node_dist,
            "underserved": node_dist > max_walk_m,
        }
    )
    return Underserved(
        cells=cells[
            ["cell_id", "ix", "iy", "x_m", "y_m", "lon", "lat", "area_km2", "dist_m", "underserved"]
        ],
        node_table=node_table,
        max_walk_m=max_walk_m,
        cell_m=cell_m,
        metric=metric,
        crs=net.crs,
        district=area.name,
        _geoms=geoms,
    )


def _stops_frame(transit_stops: str | os.PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(transit_stops, pd.DataFrame):
        frame = transit_stops
        lon = next((c for c in ("lon", "stop_lon") if c in frame.columns), None)
        lat = next((c for c in ("lat", "stop_lat") if c in frame.columns), None)
        if lon is None or lat is None:
            msg = (
                "transit_stops DataFrame needs lon and lat columns (WGS84 degrees); it has "
                f"{list(frame.columns)}"
            )
            raise DemandError(msg)
        out = pd.DataFrame(
            {"lon": frame[lon].to_numpy(np.float64), "lat": frame[lat].to_numpy(np.float64)}
        )
        if not np.all(np.isfinite(out.to_numpy())):
            msg = "transit_stops lon/lat must be finite numbers"
            raise DemandError(msg)
        return out
    if isinstance(transit_stops, str | os.PathLike):
        return read_gtfs_stops(transit_stops)
    msg = (
        "transit_stops must be a path (GTFS stops.txt, feed or CSV) or a DataFrame with "
        f"lon/lat, got {type(transit_stops).__name__}"
    )
    raise DemandError(msg)


def _grid(district: Polygon | MultiPolygon, cell_m: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Cells of the aligned grid clipped to the district, and their clipped geometries."""
    minx, miny, maxx, maxy = district.bounds
    ix0, iy0 = int(np.floor(minx / cell_m)), int(np.floor(miny / cell_m))
    ix1, iy1 = int(np.ceil(maxx / cell_m)), int(np.ceil(maxy / cell_m))
    ix, iy = np.meshgrid(np.arange(ix0, ix1), np.arange(iy0, iy1), indexing="xy")
    ix, iy = ix.ravel(), iy.ravel()
    boxes = shapely.box(ix * cell_m, iy * cell_m, (ix + 1) * cell_m, (iy + 1) * cell_m)
    shapely.prepare(district)
    hit = shapely.intersects(district, boxes)
    ix, iy, boxes = ix[hit], iy[hit], boxes[hit]
    clipped = shapely.intersection(boxes, district)
    area_m2 = shapely.area(clipped)
    keep = area_m2 >= _MIN_CELL_M2
    ix, iy, clipped, area_m2 = ix[keep], iy[keep], clipped[keep], area_m2[keep]
    cells = pd.DataFrame(
        {
            "cell_id": np.arange(ix.size, dtype=np.int64),
            "ix": ix.astype(np.int64),
            "iy": iy.astype(np.int64),
            "x_m": (ix + 0.5) * cell_m,
            "y_m": (iy + 0.5) * cell_m,
            "area_km2": area_m2 / 1e6,
        }
    )
    return cells, clipped


def _to_wgs84(crs: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from idrt.demand.area import _transformer

    lon, lat = _transformer(crs, "EPSG:4326").transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _nearest_straight(x: np.ndarray, y: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    if sx.size == 0:
        return np.full(x.size, np.inf)
    from scipy.spatial import cKDTree

    dist, _ = cKDTree(np.column_stack([sx, sy])).query(np.column_stack([x, y]))
    return np.asarray(dist, dtype=np.float64)


def _network_distance_to_stops(net: RoadNetwork, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    """Walking metres from every node to its nearest stop (stop snap included)."""
    if sx.size == 0:
        return np.full(net.n_nodes, np.inf)
    snap_m, node = _nearest_nodes(net, sx, sy)
    graph = walking_graph(net, extra_source=(np.asarray(node, dtype=np.int64), snap_m))
    tree = routing.one_to_all(graph, net.n_nodes)
    return np.asarray(tree.time_s[: net.n_nodes], dtype=np.float64)


def _nearest_nodes(net: RoadNetwork, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Straight-line metres to, and internal index of, the nearest node of each point."""
    ids, dist = net.nearest_node(x, y, projected=True, return_dist=True)
    return np.asarray(dist, dtype=np.float64), np.atleast_1d(net.index_of(ids))


def _polygonal(geom: shapely.Geometry) -> Polygon | MultiPolygon:
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    return _polygonal(shapely.union_all(parts)) if parts else MultiPolygon()
