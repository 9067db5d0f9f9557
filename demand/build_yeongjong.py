"""Regenerate the Yeongjong demand files of this folder from the synthetic island.

Run from the project root::

    .venv/bin/python demand/build_yeongjong.py

Every area, attractor and stop is drawn on the *synthetic* island of
``idrt.network.synthetic`` (``load_network("yeongjong")``), not on the real
one. The files are deterministic: running this again rewrites them byte for
byte unless the island's spec changed. ``tests/demand/test_data_files.py``
checks that they still agree with the island.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, mapping

from idrt.network import load_network
from idrt.network.synthetic import CRS, IslandSpec, island_districts, island_landmarks

HERE = Path(__file__).resolve().parent
FERRY_RADIUS_M = 300.0
"""The default area reaches this far around the ferry terminal."""
BUS_ROADS = ("Yeongjong-daero", "Haneul-daero", "Gonghang-ro 2")
"""Roads with fixed-route bus service (the trunk arterials only)."""
BUS_STOP_SPACING_M = 400.0

TO_WGS84 = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    """UTM 52N metres to WGS84 degrees, rounded to 7 decimals (about 1 cm)."""
    lon, lat = TO_WGS84.transform(x, y)
    return round(float(lon), 7), round(float(lat), 7)


def to_wgs84(geom):
    """A shapely geometry from UTM 52N metres to WGS84 degrees."""
    return shapely.transform(geom, lambda xy: np.array([lonlat(x, y) for x, y in xy]))


def write_geojson(path: Path, name: str, geom_utm, description: str) -> None:
    """Write one polygon (given in UTM 52N metres) as a WGS84 GeoJSON FeatureCollection."""
    geom = to_wgs84(geom_utm)
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "name": name,
                    "description": description,
                    "area_km2": round(geom_utm.area / 1e6, 3),
                    "synthetic": True,
                },
                "geometry": mapping(geom),
            }
        ],
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    """Write every file of this folder that derives from the synthetic island."""
    marks = island_landmarks()
    districts = {k: Polygon(v) for k, v in island_districts().items()}
    ferry = shapely.Point(marks["ferry_terminal"]).buffer(FERRY_RADIUS_M, quad_segs=8)
    default = shapely.union_all([districts["new_town"], districts["airport"], ferry])
    write_geojson(
        HERE / "yeongjong_area.geojson",
        "yeongjong",
        shapely.normalize(default),
        "Default I-MOD service area on the synthetic island: the new town (with the rail "
        "station on its north edge), the airport cluster and the ferry terminal.",
    )
    write_geojson(
        HERE / "expansion_industrial.geojson",
        "industrial_estate",
        districts["industrial_estate"],
        "Expansion area: the industrial estate north-east of the new town.",
    )
    write_geojson(
        HERE / "expansion_oldtown.geojson",
        "old_town",
        districts["old_town"],
        "Expansion area: the old town south-east of the new town, by the ferry terminal.",
    )

    def attractor(name: str, weight: float, radius_m: float, note: str) -> str:
        lon, lat = lonlat(*marks[name])
        return (
            f"[attractors.{name}]  # {note}\n"
            f"lon = {lon}\nlat = {lat}\nweight = {weight}\nradius_m = {radius_m}\n"
        )

    header = (
        "# Attractors on the synthetic Yeongjong island (idrt.network.synthetic), generated\n"
        "# by demand/build_yeongjong.py. Weights are relative shares of trip ends; the\n"
        "# background is spread evenly over every node of the service area.\n"
    )
    (HERE / "yeongjong_attractors.toml").write_text(
        header
        + "# Use with demand/yeongjong_area.geojson.\n\nbackground = 50.0\n\n"
        + "\n".join(
            [
                attractor("new_town_centre", 20.0, 400.0, "shops, offices, schools"),
                attractor("airport_terminal", 12.0, 150.0, "terminal kerb and staff"),
                attractor("rail_station", 10.0, 150.0, "AREX transfer"),
                attractor("ferry_terminal", 8.0, 150.0, "ferry to Incheon"),
            ]
        ),
        encoding="utf-8",
    )
    for key, file, weight, radius in (
        ("industrial_estate", "expansion_industrial_attractors.toml", 30.0, 300.0),
        ("old_town", "expansion_oldtown_attractors.toml", 20.0, 200.0),
    ):
        (HERE / file).write_text(
            header
            + f"# Use with demand/{file.replace('_attractors.toml', '.geojson')}.\n\n"
            + "background = 70.0\n\n"
            + attractor(key, weight, radius, "the district's centre"),
            encoding="utf-8",
        )

    # Fixed-route bus stops: along the trunk arterials only, every ~400 m, plus the
    # terminals. Residential blocks, the industrial estate and the old town are left
    # beyond a 500 m walk on purpose: they are what the underserved analysis finds.
    net = load_network("yeongjong")
    G = net.graph
    rows = []
    for road in BUS_ROADS:
        nodes = sorted(
            {n for u, v, d in G.edges(data=True) if d.get("name") == road for n in (u, v)}
        )
        idx = net.index_of(nodes)
        x, y = net.x_m[idx], net.y_m[idx]
        along = x if np.ptp(x) >= np.ptp(y) else y  # walk the road from one end
        order = idx[np.lexsort((x + y, along))]
        chosen: list[int] = []
        for i in order:
            if all(
                math.hypot(net.x_m[i] - net.x_m[j], net.y_m[i] - net.y_m[j]) >= BUS_STOP_SPACING_M
                for j in chosen
            ):
                chosen.append(int(i))
        rows += [(f"{road} {k + 1}", i) for k, i in enumerate(chosen)]
    for name in ("airport_terminal", "rail_station", "ferry_terminal"):
        node = net.nearest_node(*marks[name], projected=True)
        rows.append((name.replace("_", " ").title(), int(net.index_of(node))))
    seen: set[int] = set()
    lines = ["stop_id,stop_name,stop_lat,stop_lon"]
    for k, (stop_name, i) in enumerate(rows):
        if i in seen:
            continue
        seen.add(i)
        lon, lat = lonlat(net.x_m[i], net.y_m[i])
        lines.append(f"YJ{k + 1:03d},{stop_name},{lat},{lon}")
    (HERE / "yeongjong_transit_stops.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pilot()


def pilot() -> None:
    """The expansion area of the PILOT-SIZE island (networks/yeongjong_pilot.toml).

    Its industrial estate, for experiments/expansion_namdong.toml, which extends the
    calibrated pilot: the district polygon and its centre as the attractor, like
    the default island's expansion_industrial files.
    """
    spec = IslandSpec.from_toml(HERE.parent / "networks" / "yeongjong_pilot.toml")
    write_geojson(
        HERE / "expansion_industrial_pilot.geojson",
        "industrial_estate",
        Polygon(island_districts(spec)["industrial_estate"]),
        "Expansion area on the pilot-size island (networks/yeongjong_pilot.toml): its "
        "industrial estate, standing in for a new district.",
    )
    lon, lat = lonlat(*island_landmarks(spec)["industrial_estate"])
    (HERE / "expansion_industrial_pilot_attractors.toml").write_text(
        "# Attractors on the PILOT-SIZE synthetic island (networks/yeongjong_pilot.toml),\n"
        "# generated by demand/build_yeongjong.py (pilot()). Weights are relative shares of\n"
        "# trip ends (assumed, as on the default island's expansion_industrial file); the\n"
        "# background is spread evenly over every node of the area.\n"
        "# Use with demand/expansion_industrial_pilot.geojson.\n\n"
        "background = 70.0\n\n"
        "[attractors.industrial_estate]  # the district's centre\n"
        f"lon = {lon}\nlat = {lat}\nweight = 30.0\nradius_m = 300.0\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
