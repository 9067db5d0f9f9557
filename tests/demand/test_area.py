"""ServiceArea: building, measuring, containment and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

import idrt
import idrt.demand as dm
from tests.demand.conftest import X0, Y0


def test_bbox_area_and_containment():
    area = dm.ServiceArea.from_bbox(126.50, 37.47, 126.56, 37.51, name="box")
    # 0.06° of longitude x 0.04° of latitude at 37.49° N
    expected = (0.06 * 111.32 * np.cos(np.radians(37.49))) * (0.04 * 110.99)
    assert area.area_km2 == pytest.approx(expected, rel=0.01)
    assert area.contains([126.53, 126.60, 126.50], [37.49, 37.49, 37.49]).tolist() == [
        True,
        False,
        True,  # the boundary counts as inside
    ]
    assert area.utm_crs == "EPSG:32652"


def test_projected_polygon_area_is_exact():
    square = [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 2000), (X0, Y0 + 2000)]
    area = dm.ServiceArea.from_polygon(square, crs="EPSG:32652", name="sq")
    assert area.area_km2 == pytest.approx(2.0, rel=1e-6)
    assert area.projected("EPSG:32652").area == pytest.approx(2e6, rel=1e-6)


def test_geojson_round_trip_and_union(tmp_path):
    a = dm.ServiceArea.from_bbox(126.50, 37.47, 126.52, 37.49, name="a")
    b = dm.ServiceArea.from_bbox(126.53, 37.47, 126.55, 37.49, name="b")
    both = a | b
    assert isinstance(both.geometry, shapely.MultiPolygon)
    assert both.area_km2 == pytest.approx(a.area_km2 + b.area_km2, rel=1e-9)
    path = tmp_path / "ab.geojson"
    both.to_geojson(path)
    back = dm.ServiceArea.from_geojson(path)
    assert back.name == "a+b"
    assert back.geometry.equals(both.geometry)
    # a bare geometry and a Feature work too, points are ignored
    feature = json.loads(path.read_text())["features"][0]
    assert dm.ServiceArea.from_geojson(feature["geometry"]).area_km2 == pytest.approx(both.area_km2)
    coll = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [126.5, 37.5]}},
            feature,
        ],
    }
    assert dm.ServiceArea.from_geojson(coll).area_km2 == pytest.approx(both.area_km2)


def test_nodes_inside(small_net):
    xs = np.array([X0 - 50, X0 + 450])
    ys = np.array([Y0 - 50, Y0 + 450])
    box = dm.ServiceArea.from_polygon(shapely.box(xs[0], ys[0], xs[1], ys[1]), crs="EPSG:32652")
    assert sorted(box.nodes(small_net).tolist()) == [1, 2, 4, 5]
    assert box.node_mask(small_net).sum() == 4
    hull = dm.ServiceArea.from_nodes(small_net, [1, 2, 4, 5], buffer_m=10.0)
    assert sorted(hull.nodes(small_net).tolist()) == [1, 2, 4, 5]
    assert hull.area_km2 == pytest.approx((0.42**2) - (4 - np.pi) * 0.01**2, rel=1e-3)
    discs = dm.ServiceArea.from_nodes(small_net, [1, 9], buffer_m=100.0, hull=False)
    assert sorted(discs.nodes(small_net).tolist()) == [1, 9]


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: dm.ServiceArea.from_bbox(126.5, 37.5, 126.5, 37.6), "zero area"),
        (
            lambda: dm.ServiceArea.from_polygon([(126.5, 37.5), (126.6, 37.5), (126.7, 37.5)]),
            "zero area",
        ),
        (lambda: dm.ServiceArea.from_polygon([(0, 0), (3, 3), (3, 0), (0, 1)]), "not a valid"),
        (
            lambda: dm.ServiceArea.from_polygon([(X0, Y0), (X0 + 10, Y0), (X0, Y0 + 10)]),
            "look[s]? projected",
        ),
        (lambda: dm.ServiceArea.from_polygon([(1, 2)]), "three corners"),
        (lambda: dm.ServiceArea(shapely.Point(1, 2)), "Polygon or MultiPolygon"),
        (
            lambda: dm.ServiceArea.from_geojson({"type": "Point", "coordinates": [1, 2]}),
            "no Polygon",
        ),
        (lambda: dm.ServiceArea.from_geojson({"features": []}), "not GeoJSON"),
    ],
)
def test_bad_areas(build, match):
    with pytest.raises(idrt.DemandError, match=match):
        build()


def test_bad_geojson_files(tmp_path, small_net):
    with pytest.raises(idrt.DemandError, match="does not exist"):
        dm.ServiceArea.from_geojson(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(idrt.DemandError, match=r"bad\.geojson is not valid JSON"):
        dm.ServiceArea.from_geojson(bad)
    projected = tmp_path / "utm.geojson"
    projected.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:32652"}},
                "features": [],
            }
        )
    )
    with pytest.raises(idrt.DemandError, match="must be WGS84"):
        dm.ServiceArea.from_geojson(projected)
    with pytest.raises(idrt.DemandError, match="zero area"):
        dm.ServiceArea.from_nodes(small_net, [1, 2, 3], buffer_m=0.0)
