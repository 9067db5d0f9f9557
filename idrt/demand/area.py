"""Service areas: the polygons a demand-responsive service covers.

A :class:`ServiceArea` is a (multi)polygon kept in WGS84 longitude/latitude,
as GeoJSON stores it. Areas are measured (km²) and gridded in projected
metres: the UTM zone of the area's centroid, or the CRS of the network it is
used with.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from idrt.demand._validate import existing_file, positive
from idrt.errors import DemandError

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["ServiceArea"]

_WGS84 = "EPSG:4326"


@lru_cache(maxsize=32)
def _transformer(src: str, dst: str):
    return Transformer.from_crs(src, dst, always_xy=True)


def _reproject(geom: shapely.Geometry, src: str, dst: str) -> shapely.Geometry:
    """Reproject a shapely geometry between two CRSs (x/y axis order)."""
    if src == dst:
        return geom
    t = _transformer(src, dst)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def utm_crs(lon: float, lat: float) -> str:
    """EPSG code of the UTM zone holding a WGS84 point, e.g. ``"EPSG:32652"``."""
    zone = math.floor((lon + 180.0) / 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


@dataclass(frozen=True, eq=False)
class ServiceArea:
    """The area a demand-responsive service covers, in WGS84 degrees.

    Build one with :meth:`from_geojson`, :meth:`from_bbox`,
    :meth:`from_polygon` or :meth:`from_nodes`; areas combine with ``|``.

    Attributes
    ----------
    geometry : shapely.Polygon or shapely.MultiPolygon
        Valid, non-empty, of positive area, in lon/lat degrees (x = lon).
    name : str
        Label used in tables (``Demand.by_zone``) and messages.
    source : str
        Where it came from (a file name, ``"bbox"``, ...), for messages.

    Raises
    ------
    DemandError
        If the geometry is not a polygon, is empty, invalid (self-intersecting),
        has zero area, or has coordinates that are not lon/lat degrees.

    Examples
    --------
    >>> area = ServiceArea.from_bbox(126.50, 37.47, 126.56, 37.51, name="new town")
    >>> round(area.area_km2, 1)
    23.6
    >>> area.contains([126.53, 126.60], [37.49, 37.49]).tolist()
    [True, False]
    """

    geometry: Polygon | MultiPolygon
    name: str = "area"
    source: str = "polygon"

    def __post_init__(self) -> None:
        geom = self.geometry
        where = f"service area {self.name!r} (from {self.source})"
        if not isinstance(geom, Polygon | MultiPolygon):
            msg = (
                f"{where} must be a Polygon or MultiPolygon, got "
                f"{getattr(geom, 'geom_type', type(geom).__name__)}; draw the area as a polygon"
            )
            raise DemandError(msg)
        if geom.is_empty:
            msg = f"{where} is empty; give at least one polygon with three or more corners"
            raise DemandError(msg)
        minx, miny, maxx, maxy = geom.bounds
        if not (-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0):
            msg = (
                f"{where} has coordinates outside lon [-180, 180] / lat [-90, 90] "
                f"(bounds {geom.bounds}); they look projected. Pass crs='EPSG:...' to "
                "ServiceArea.from_polygon, or write GeoJSON in WGS84 lon/lat"
            )
            raise DemandError(msg)
        if not geom.area > 0.0:
            msg = (
                f"{where} has zero area (its corners are collinear or repeated); draw a "
                "polygon that encloses the service area"
            )
            raise DemandError(msg)
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            msg = (
                f"{where} is not a valid polygon ({reason}); fix the ring (no self-"
                "intersections, holes inside their shell) or repair it with shapely.make_valid"
            )
            raise DemandError(msg)
        shapely.prepare(geom)

    # ------------------------------------------------------------ builders
    @classmethod
    def from_polygon(
        cls,
        polygon: Polygon | MultiPolygon | Iterable[tuple[float, float]],
        *,
        crs: str = _WGS84,
        name: str = "area",
    ) -> ServiceArea:
        """Build an area from a shapely polygon or a ring of ``(x, y)`` corners.

        Parameters
        ----------
        polygon
            A shapely Polygon/MultiPolygon or a sequence of corners.
        crs
            CRS of the coordinates; projected ones (e.g. ``"EPSG:32652"``,
            metres) are converted to WGS84.
        name
            Label of the area.
        """
        if not isinstance(polygon, shapely.Geometry):
            try:
                coords = [(float(x), float(y)) for x, y in polygon]
            except (TypeError, ValueError):
                msg = (
                    f"service area {name!r}: a polygon must be a shapely geometry or a "
                    f"sequence of (x, y) corners, got {polygon!r}"
                )
                raise DemandError(msg) from None
            if len(coords) < 3:
                msg = f"service area {name!r} needs at least three corners, got {len(coords)}"
                raise DemandError(msg)
            polygon = Polygon(coords)
        geom = _reproject(polygon, crs, _WGS84)
        return cls(geom, name=name, source="polygon" if crs == _WGS84 else f"polygon in {crs}")

    @classmethod
    def from_bbox(
        cls, west: float, south: float, east: float, north: float, *, name: str = "bbox"
    ) -> ServiceArea:
        """Build a rectangular area from its bounds in WGS84 degrees."""
        if not (west < east and south < north):
            msg = (
                f"bbox (west={west}, south={south}, east={east}, north={north}) has zero "
                "area: it needs west < east and south < north"
            )
            raise DemandError(msg)
        return cls(shapely.box(west, south, east, north), name=name, source="bbox")

    @classmethod
    def from_geojson(
        cls, source: str | os.PathLike[str] | dict[str, Any], *, name: str | None = None
    ) -> ServiceArea:
        """Read an area from a GeoJSON file or mapping (WGS84 lon/lat).

        Every Polygon and MultiPolygon of a FeatureCollection, Feature or bare
        geometry is merged into one area; points and lines are ignored. The
        name defaults to the ``name`` property of the first feature, else the
        file stem.

        Raises
        ------
        DemandError
            Missing file, invalid JSON, no polygon, a non-WGS84 ``crs`` member,
            or an invalid / zero-area polygon.
        """
        if isinstance(source, dict):
            data, label, stem = source, "GeoJSON mapping", "area"
        else:
            path = existing_file(source, what="GeoJSON service area")
            label, stem = str(path), path.stem
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                msg = f"{label} is not valid JSON ({exc}); save the area as GeoJSON"
                raise DemandError(msg) from None
        if not isinstance(data, dict) or "type" not in data:
            msg = f"{label} is not GeoJSON: expected an object with a 'type' member"
            raise DemandError(msg)
        crs_name = str(data.get("crs", {}).get("properties", {}).get("name", "CRS84"))
        if not crs_name.upper().endswith(("CRS84", "4326")):
            msg = (
                f"{label} declares crs {crs_name!r}; GeoJSON areas must be WGS84 lon/lat. "
                "Reproject it (e.g. ogr2ogr -t_srs EPSG:4326) before loading"
            )
            raise DemandError(msg)
        if data["type"] == "FeatureCollection":
            features = data.get("features") or []
        elif data["type"] == "Feature":
            features = [data]
        else:
            features = [{"type": "Feature", "geometry": data, "properties": {}}]
        polys, first_name = [], None
        for k, feat in enumerate(features):
            geom_data = feat.get("geometry") if isinstance(feat, dict) else None
            if not geom_data:
                continue
            try:
                geom = shape(geom_data)
            except Exception as exc:
                msg = f"{label}: feature {k} has a malformed geometry ({exc}); fix its coordinates"
                raise DemandError(msg) from None
            if isinstance(geom, Polygon | MultiPolygon):
                polys.append(geom)
                if first_name is None:
                    first_name = (feat.get("properties") or {}).get("name")
        if not polys:
            msg = f"{label} holds no Polygon or MultiPolygon; draw the service area as a polygon"
            raise DemandError(msg)
        for k, p in enumerate(polys):
            if not p.is_valid:
                msg = (
                    f"{label}: polygon {k} is invalid ({shapely.is_valid_reason(p)}); fix "
                    "the ring or repair it with shapely.make_valid"
                )
                raise DemandError(msg)
        geom = polys[0] if len(polys) == 1 else shapely.union_all(polys)
        if isinstance(geom, shapely.GeometryCollection) and not isinstance(geom, MultiPolygon):
            geom = MultiPolygon([g for g in geom.geoms if isinstance(g, Polygon)])
        return cls(geom, name=name or first_name or stem, source=label)

    @classmethod
    def from_nodes(
        cls,
        net: RoadNetwork,
        node_ids: Any,
        *,
        buffer_m: float = 100.0,
        hull: bool = True,
        name: str = "nodes",
    ) -> ServiceArea:
        """Build an area around a set of network nodes.

        Parameters
        ----------
        net
            The network the ids belong to.
        node_ids
            Source node ids.
        buffer_m
            Distance in metres the area reaches past the nodes.
        hull
            ``True``: the convex hull of the nodes, grown by ``buffer_m``;
            ``False``: the union of discs of radius ``buffer_m`` around them.
        name
            Label of the area.
        """
        idx = np.atleast_1d(net.index_of(node_ids))
        if idx.size == 0:
            msg = f"service area {name!r}: from_nodes needs at least one node id"
            raise DemandError(msg)
        buffer_m = positive(buffer_m, name="buffer_m", allow_zero=True)
        points = shapely.points(net.x_m[idx], net.y_m[idx])
        if hull:
            geom = shapely.buffer(shapely.convex_hull(shapely.multipoints(points)), buffer_m)
        else:
            geom = shapely.union_all(shapely.buffer(points, buffer_m))
        if not isinstance(geom, Polygon | MultiPolygon) or geom.area <= 0.0:
            msg = (
                f"service area {name!r} around {idx.size} node(s) has zero area; give "
                "buffer_m > 0 or nodes that are not all on one line"
            )
            raise DemandError(msg)
        return cls.from_polygon(geom, crs=net.crs, name=name)

    # ------------------------------------------------------------ queries
    def contains(self, lon: Any, lat: Any) -> np.ndarray:
        """Whether points (WGS84 degrees) lie in the area; the boundary counts as inside."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        return np.asarray(shapely.intersects_xy(self.geometry, lon, lat), dtype=bool)

    def node_mask(self, net: RoadNetwork) -> np.ndarray:
        """Boolean mask over ``net.node_ids`` (internal order): nodes inside the area."""
        return self.contains(net.lon, net.lat)

    def nodes(self, net: RoadNetwork) -> np.ndarray:
        """Source ids of the network nodes inside the area (in the network's internal order)."""
        return net.node_ids[self.node_mask(net)]

    def projected(self, crs: str | None = None) -> Polygon | MultiPolygon:
        """The geometry in a projected CRS (metres); default the UTM zone of the centroid."""
        return _reproject(self.geometry, _WGS84, crs or self.utm_crs)

    @property
    def utm_crs(self) -> str:
        """EPSG code of the UTM zone of the area's centroid."""
        c = self.geometry.centroid
        return utm_crs(c.x, c.y)

    @property
    def area_km2(self) -> float:
        """Area in km², measured in the UTM zone of the centroid."""
        return float(self.projected().area) / 1e6

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in degrees."""
        return tuple(float(v) for v in self.geometry.bounds)

    def union(self, other: ServiceArea, *, name: str | None = None) -> ServiceArea:
        """The area covered by either of two areas."""
        geom = shapely.union_all([self.geometry, other.geometry])
        return ServiceArea(geom, name=name or f"{self.name}+{other.name}", source="union")

    __or__ = union

    def to_geojson(self, path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The area as a GeoJSON FeatureCollection; also written to ``path`` if given."""
        data = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": self.name, "area_km2": round(self.area_km2, 4)},
                    "geometry": mapping(self.geometry),
                }
            ],
        }
        if path is not None:
            Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        return data

    def __repr__(self) -> str:
        return f"ServiceArea({self.name!r}, {self.area_km2:.2f} km², from {self.source})"
