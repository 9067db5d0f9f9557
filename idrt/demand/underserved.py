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

With a population layer (``population=``: GeoJSON of zones, or a CSV of
grid cells or points with ``lon, lat, population``), the people of each zone
are spread over the cells in proportion to the overlapping area (points go to
the cell they lie in), so the result reports **people**, not only km²
(:attr:`Underserved.underserved_people`, :meth:`Underserved.people_by_zone`).

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
from scipy.spatial import cKDTree
from shapely.geometry import MultiPolygon, Polygon

from idrt import routing
from idrt.demand._validate import positive
from idrt.demand._walk import walking_graph
from idrt.demand.area import ServiceArea, _transformer
from idrt.demand.io import read_gtfs_stops
from idrt.errors import DemandError

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["Underserved", "read_population", "underserved"]

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
    pieces : pandas.DataFrame or None
        With a population layer: ``zone``, ``cell_id``, ``people`` per
        overlap of a zone and a cell; ``cells`` then has a ``people`` column.
    """

    cells: pd.DataFrame
    node_table: pd.DataFrame
    max_walk_m: float
    cell_m: float
    metric: str
    crs: str
    district: str = "area"
    _geoms: np.ndarray = field(default=None, repr=False)
    pieces: pd.DataFrame | None = field(default=None, repr=False)
    """With a population layer: one row per (zone, cell) overlap: ``zone``,
    ``cell_id``, ``people``."""

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

    @property
    def total_people(self) -> float:
        """People living in the district (NaN without a population layer)."""
        if "people" not in self.cells.columns:
            return float("nan")
        return float(self.cells["people"].sum())

    @property
    def underserved_people(self) -> float:
        """People in underserved cells (NaN without a population layer)."""
        if "people" not in self.cells.columns:
            return float("nan")
        c = self.cells
        return float(c["people"].to_numpy()[c["underserved"].to_numpy()].sum())

    def people_by_zone(self) -> pd.DataFrame:
        """People per zone of the population layer and how many live beyond the walk.

        Returns
        -------
        pandas.DataFrame
            Index ``zone``; ``people`` (inside the district), ``underserved_people``,
            ``underserved_share``.

        Raises
        ------
        DemandError
            Without a population layer.
        """
        if self.pieces is None:
            msg = "no population layer: call underserved(..., population='zones.geojson')"
            raise DemandError(msg)
        flag = self.cells.set_index("cell_id")["underserved"]
        p = self.pieces.assign(under=flag.loc[self.pieces["cell_id"]].to_numpy())
        p["underserved_people"] = np.where(p["under"], p["people"], 0.0)
        out = p.groupby("zone", sort=False)[["people", "underserved_people"]].sum()
        out["underserved_share"] = out["underserved_people"] / out["people"].where(
            out["people"] > 0
        )
        return out

    def summary(self) -> str:
        """One paragraph for a planner."""
        people = ""
        if "people" in self.cells.columns:
            share = self.underserved_people / self.total_people if self.total_people else 0.0
            people = (
                f"; {self.underserved_people:,.0f} of {self.total_people:,.0f} people "
                f"({share:.0%}) live there"
            )
        return (
            f"{self.district}: {self.underserved_km2:.2f} of {self.total_km2:.2f} km² "
            f"({self.share:.0%}) and {self.nodes.size} of {len(self.node_table)} street nodes "
            f"are more than {self.max_walk_m:g} m ({self.metric} distance) from a transit stop"
            + people
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
    population: str | os.PathLike[str] | pd.DataFrame | None = None,
    population_column: str | None = None,
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
    population
        Where people live (see :func:`read_population`): zones (GeoJSON
        polygons) or grid cells / points (CSV with ``lon, lat`` and a
        population column, or a GeoDataFrame).
    population_column
        Name of the people column (default: the first of ``population``,
        ``people``, ``pop``, ``residents``).

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
    columns = [
        "cell_id",
        "ix",
        "iy",
        "x_m",
        "y_m",
        "lon",
        "lat",
        "area_km2",
        "dist_m",
        "underserved",
    ]
    pieces = None
    if population is not None:
        pieces = _population_pieces(
            read_population(population, population_column), geoms, cells, net.crs, cell_m
        )
        cells["people"] = (
            pieces.groupby("cell_id")["people"].sum().reindex(cells["cell_id"], fill_value=0.0)
        ).to_numpy()
        columns.append("people")
    return Underserved(
        pieces=pieces,
        cells=cells[columns],
        node_table=node_table,
        max_walk_m=max_walk_m,
        cell_m=cell_m,
        metric=metric,
        crs=net.crs,
        district=area.name,
        _geoms=geoms,
    )


_POPULATION_COLUMNS = ("population", "people", "pop", "residents")


def read_population(source, column: str | None = None):
    """A population layer as a GeoDataFrame: ``zone``, ``people``, geometry (WGS84).

    Parameters
    ----------
    source
        A GeoJSON / GeoPackage / GeoParquet of zone polygons (or points), a
        CSV with ``lon``, ``lat`` (one row per grid cell centre or point), or
        a (Geo)DataFrame of either.
    column
        The people column; default the first of ``population``, ``people``,
        ``pop``, ``residents``.

    Raises
    ------
    DemandError
        Missing file, no people column, negative or non-finite counts.
    """
    import geopandas as gpd  # noqa: PLC0415 -- geopandas, only for GIS output

    if isinstance(source, gpd.GeoDataFrame):
        gdf = source
    elif isinstance(source, pd.DataFrame):
        gdf = _points(source, "population DataFrame")
    else:
        path = os.fspath(source)
        if not os.path.exists(path):
            msg = f"population file {path!r} does not exist; give a GeoJSON of zones or a CSV"
            raise DemandError(msg)
        if path.lower().endswith((".csv", ".txt")):
            gdf = _points(pd.read_csv(path), path)
        elif path.lower().endswith(".parquet"):
            gdf = gpd.read_parquet(path)
        else:
            gdf = gpd.read_file(path)
    if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
        gdf = gdf.to_crs("EPSG:4326")
    col = column or next((c for c in _POPULATION_COLUMNS if c in gdf.columns), None)
    if col is None or col not in gdf.columns:
        msg = (
            f"population layer has no people column {column or list(_POPULATION_COLUMNS)}; "
            f"its columns are {[c for c in gdf.columns if c != 'geometry']}; name it with "
            "population_column="
        )
        raise DemandError(msg)
    people = pd.to_numeric(gdf[col], errors="coerce").to_numpy(np.float64)
    if not np.all(np.isfinite(people)) or (people < 0).any():
        msg = f"population column {col!r} must hold finite counts >= 0"
        raise DemandError(msg)
    name = next((c for c in ("zone", "name", "zone_id", "id") if c in gdf.columns), None)
    zones = gdf[name].astype(str).to_numpy() if name else np.arange(len(gdf)).astype(str)
    return gpd.GeoDataFrame({"zone": zones, "people": people}, geometry=gdf.geometry.values,
                            crs="EPSG:4326")  # fmt: skip


def _points(frame: pd.DataFrame, label: str):
    import geopandas as gpd  # noqa: PLC0415 -- geopandas, only for GIS output

    lon = next((c for c in ("lon", "longitude", "x") if c in frame.columns), None)
    lat = next((c for c in ("lat", "latitude", "y") if c in frame.columns), None)
    if lon is None or lat is None:
        msg = f"{label} needs lon and lat columns (WGS84); it has {list(frame.columns)}"
        raise DemandError(msg)
    return gpd.GeoDataFrame(
        frame.drop(columns=[lon, lat]),
        geometry=gpd.points_from_xy(frame[lon], frame[lat]),
        crs="EPSG:4326",
    )


def _population_pieces(layer, geoms, cells, crs: str, cell_m: float) -> pd.DataFrame:
    """People of each zone spread over the cells by overlapping area (points: their cell)."""
    projected = layer.to_crs(crs)
    rows = []
    tree = shapely.STRtree(geoms)
    cell_ids = cells["cell_id"].to_numpy()
    key = {(int(a), int(b)): int(c) for a, b, c in zip(cells["ix"], cells["iy"], cell_ids,
                                                       strict=True)}  # fmt: skip
    for zone, people, geom in zip(projected["zone"], projected["people"], projected.geometry,
                                  strict=True):  # fmt: skip
        if geom is None or geom.is_empty or people == 0:
            continue
        if geom.geom_type in ("Point", "MultiPoint"):
            for pt in getattr(geom, "geoms", [geom]):
                cell = key.get((int(np.floor(pt.x / cell_m)), int(np.floor(pt.y / cell_m))))
                if cell is not None:
                    rows.append((zone, cell, people / len(getattr(geom, "geoms", [geom]))))
            continue
        total = geom.area
        if total <= 0:
            continue
        hits = tree.query(geom, predicate="intersects")
        if hits.size:
            overlap = shapely.area(shapely.intersection(geoms[hits], geom))
            for i, a in zip(hits, overlap, strict=True):
                if a > 0:
                    rows.append((zone, int(cell_ids[i]), people * a / total))
    return pd.DataFrame(rows, columns=["zone", "cell_id", "people"])


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
    lon, lat = _transformer(crs, "EPSG:4326").transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _nearest_straight(x: np.ndarray, y: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> np.ndarray:
    if sx.size == 0:
        return np.full(x.size, np.inf)

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
