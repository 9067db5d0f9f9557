"""Trip-log import (snapping, reporting, every bad row) and transit-stop readers."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest

import idrt
import idrt.demand as dm

HEADER = "request_time,origin_lon,origin_lat,destination_lon,destination_lat,pax"


def write(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def delft_demand(delft, delft_area):
    return dm.poisson(
        delft,
        delft_area,
        800,
        profile="weekday",
        prebooked_share=0.3,
        service_hours=(6, 23),
        seed=21,
    )


def test_csv_round_trip_is_exact(tmp_path, delft, delft_demand):
    path = delft_demand.to_csv(tmp_path / "trips.csv")
    back = dm.from_csv(path, delft, service_hours=(6, 23))
    pd.testing.assert_frame_equal(back.trips, delft_demand.trips, check_exact=True)
    assert back.service_hours == (6.0, 23.0) and back.report.flagged == 0
    # without a network the ids, coordinates and snap distances of the file are kept
    pd.testing.assert_frame_equal(
        dm.from_csv(path, service_hours=(6, 23)).trips, delft_demand.trips, check_exact=True
    )
    # coordinates only: snapping finds the very same nodes
    coords_only = delft_demand.trips.drop(
        columns=["origin_node", "destination_node", "origin_snap_m", "destination_snap_m"]
    )
    coords_only.to_csv(tmp_path / "xy.csv", index=False)
    snapped = dm.from_csv(tmp_path / "xy.csv", delft, service_hours=(6, 23)).trips
    assert snapped["origin_node"].equals(delft_demand.trips["origin_node"])
    assert snapped["destination_node"].equals(delft_demand.trips["destination_node"])
    assert snapped["origin_snap_m"].max() < 1e-6


def test_snapping_equals_brute_force_nearest_node(tmp_path, delft):
    rng = np.random.default_rng(0)
    n = 300
    lon = rng.uniform(np.quantile(delft.lon, 0.1), np.quantile(delft.lon, 0.9), 2 * n)
    lat = rng.uniform(np.quantile(delft.lat, 0.1), np.quantile(delft.lat, 0.9), 2 * n)
    cells = np.column_stack([lon[:n], lat[:n], lon[n:], lat[n:]]).tolist()
    lines = [HEADER] + [
        f"{6 * 3600 + 10 * k}," + ",".join(repr(v) for v in row) + ",1"
        for k, row in enumerate(cells)
    ]
    d = dm.from_csv(write(tmp_path / "log.csv", lines), delft, max_snap_m=np.inf)
    assert len(d) == n
    from pyproj import Transformer

    to_utm = Transformer.from_crs("EPSG:4326", delft.crs, always_xy=True)
    x, y = to_utm.transform(lon, lat)
    dist = np.hypot(x[:, None] - delft.x_m[None, :], y[:, None] - delft.y_m[None, :])
    nearest = delft.node_ids[dist.argmin(axis=1)]
    t = d.trips  # rows keep file order: times increase
    assert np.array_equal(t["origin_node"], nearest[:n])
    assert np.array_equal(t["destination_node"], nearest[n:])
    np.testing.assert_allclose(t["origin_snap_m"], dist.min(axis=1)[:n], atol=1e-6)
    np.testing.assert_allclose(t["destination_snap_m"], dist.min(axis=1)[n:], atol=1e-6)
    np.testing.assert_array_equal(t["origin_lon"], lon[:n])  # the asked-for position is kept


def test_time_formats(tmp_path, small_net):
    lines = [
        "request_time,booking_time,origin_node,destination_node,trip_id",
        "2024-05-01 07:10:00+09:00,2024-05-01 06:50:00+09:00,5,1,d",
        "25200,,1,9,a",
        "07:00:30,07:00:30,1,9,b",
        "2024-05-01T07:05:00,,9,1,c",
        "7:20,,1,5,e",
    ]
    d = dm.from_csv(write(tmp_path / "t.csv", lines), small_net)
    t = d.trips
    assert t["booking_time_s"].tolist() == [24600.0, 25200.0, 25230.0, 25500.0, 26400.0]
    assert t["request_time_s"].tolist() == [25800.0, 25200.0, 25230.0, 25500.0, 26400.0]
    assert t["prebooked"].tolist() == [True, False, False, False, False]
    assert t["source_id"].tolist() == ["d", "a", "b", "c", "e"]  # file ids kept
    assert t["origin_snap_m"].tolist() == [0.0] * 5
    assert t["origin_lon"].iloc[0] == small_net.lon[small_net.index_of(5)]


def test_unserviceable_trips_are_reported_not_dropped_silently(tmp_path, delft, delft_area):
    inside = delft_area.geometry.centroid
    lo, la = inside.x, inside.y
    lines = [
        HEADER,
        f"08:00,{lo},{la},{lo + 0.01},{la},1",
        f"08:01,{lo},{la},{lo + 0.3},{la + 0.3},2",  # destination far from any road
        f"08:02,{lo},{la},{delft_area.bounds[2] + 0.002},{la},1",  # outside the area
        f"08:03,{lo},{la},{lo + 0.00001},{la},1",  # both ends at one node
        f"08:04,{lo},{la},{lo - 0.01},{la},1",
    ]
    path = write(tmp_path / "log.csv", lines)
    with pytest.warns(idrt.IdrtWarning, match=r"log.csv: 5 rows, dropped") as rec:
        d = dm.from_csv(path, delft, area=delft_area)
    message = str(rec[0].message)
    assert "more than 200 m from any road" in message and "line 3:" in message
    r = d.report
    assert (r.rows, r.kept, r.flagged) == (5, 2, 3)
    assert (r.outside_area, r.far_from_road, r.same_node) == (2, 1, 1)
    assert sorted(r.examples["line"]) == [3, 3, 4, 5]
    assert len(d) == 2 and d.trips["origin_lon"].tolist() == [lo, lo]
    with pytest.warns(idrt.IdrtWarning, match="kept but flagged"):
        kept = dm.from_csv(path, delft, area=delft_area, drop_unserviceable=False)
    assert len(kept) == 5 and kept.report.flagged == 3
    assert "outside the service area" in kept.describe()


def test_sorting_renaming_and_no_network(tmp_path):
    lines = ["t,o_lon,o_lat,d_lon,d_lat", "08:10,4.36,52.01,4.37,52.0", "08:00,4.35,52.0,4.36,52.0"]
    path = write(tmp_path / "log.csv", lines)
    rename = {
        "t": "request_time",
        "o_lon": "origin_lon",
        "o_lat": "origin_lat",
        "d_lon": "destination_lon",
        "d_lat": "destination_lat",
    }
    d = dm.from_csv(path, columns=rename, sort=True)
    assert d.trips["request_time_s"].tolist() == [28800.0, 29400.0]
    assert d.trips["origin_node"].tolist() == [-1, -1]  # not snapped without a network
    assert d.trips["origin_snap_m"].isna().all()
    assert "2 requests" in d.describe()


@pytest.mark.parametrize(
    "lines, kwargs, match",
    [
        (
            [HEADER, "08:00,4.35,52.0,4.36,52.0,1", "08:01,4.35,52.0,4.36,52.0"],
            {},
            r"line 3: expected 6 fields",
        ),
        ([HEADER, "8h00,4.35,52.0,4.36,52.0,1"], {}, r"line 2: cannot read request_time = '8h00'"),
        ([HEADER, "08:61,4.35,52.0,4.36,52.0,1"], {}, r"line 2: .*not a valid HH:MM"),
        (
            [HEADER, "08:00,4.35,52.0,4.36,52.0,1", "# a comment", "07:59,4.35,52.0,4.36,52.0,1"],
            {},
            r"line 4: request_time 07:59:00 is earlier than the line before",
        ),
        (
            [HEADER, "05:00,4.35,52.0,4.36,52.0,1"],
            {"service_hours": (6, 23)},
            r"line 2: requested time 05:00:00 is outside the service hours 06:00:00-23:00:00",
        ),
        (
            [HEADER, "24:30,4.35,52.0,4.36,52.0,1"],
            {},
            r"line 2: requested time 24:30:00 is outside",
        ),
        ([HEADER, "08:00,4.35,52.0,4.36,52.0,0"], {}, r"line 2: pax = '0'"),
        ([HEADER, "08:00,4.35,52.0,4.36,52.0,1.5"], {}, r"line 2: pax = '1.5' is not a whole"),
        ([HEADER, "08:00,52.0,4.35,4.36,952.0,1"], {}, r"line 2: destination .* not WGS84"),
        ([HEADER, "08:00,east,52.0,4.36,52.0,1"], {}, r"line 2: origin_lon = 'east' is not a"),
        ([HEADER, "08:00,,52.0,4.36,52.0,1"], {}, r"line 2: origin_lon is empty"),
        (
            ["when,origin_lon,origin_lat,destination_lon,destination_lat", "08:00,1,2,3,4"],
            {},
            r"no column request_time_s or request_time",
        ),
        (["request_time,origin_lon,origin_lat", "08:00,1,2"], {}, r"no destination columns"),
        (
            ["request_time,booking_time,origin_node,destination_node", "08:00,08:30,1,2"],
            {},
            r"line 2: booked at 08:30:00, after the requested time 08:00:00",
        ),
        (
            [
                "request_time,origin_node,destination_node",
                "2024-05-01T23:50:00,1,2",
                "2024-05-02T00:10:00,1,2",
            ],
            {},
            r"line 3: .*on 2024-05-02, but the log starts on",
        ),
        (
            ["request_time,origin_node,destination_node", "08:00,1,77"],
            {"net": True},
            r"line 2: destination_node 77 is not a node of network 'grid3'",
        ),
        (["# only a comment"], {}, r"is empty: it needs a header"),
        (["request_time,request_time_s,origin_node,destination_node", "1,2,3,4"], {}, r"not both"),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path, small_net, lines, kwargs, match):
    path = write(tmp_path / "bad.csv", lines)
    if kwargs.pop("net", False):
        kwargs["net"] = small_net
    with pytest.raises(idrt.DemandError, match=match) as err:
        dm.from_csv(path, **kwargs)
    assert "bad.csv" in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(idrt.DemandError, match="does not exist"):
        dm.from_csv(tmp_path / "nope.csv")


# ------------------------------------------------------------------ stops
GTFS = [
    "stop_id,stop_code,stop_name,stop_lat,stop_lon,location_type,parent_station",
    "S1,101,Station hall,37.49,126.53,1,",
    "P1,102,Platform 1,37.4901,126.5301,0,S1",
    'P2,103,"Main St, north",37.4911,126.5311,,',
    "E1,104,Entrance,37.4902,126.5302,2,S1",
]


def test_gtfs_stops_txt_folder_and_zip(tmp_path):
    feed = tmp_path / "feed"
    feed.mkdir()
    write(feed / "stops.txt", GTFS)
    stops = dm.read_gtfs_stops(feed / "stops.txt")
    assert stops["stop_id"].tolist() == ["P1", "P2"]  # stations and entrances dropped
    assert stops["stop_name"].tolist() == ["Platform 1", "Main St, north"]
    assert stops["lon"].tolist() == [126.5301, 126.5311]
    pd.testing.assert_frame_equal(dm.read_gtfs_stops(feed), stops)
    with zipfile.ZipFile(tmp_path / "gtfs.zip", "w") as zf:
        zf.write(feed / "stops.txt", "stops.txt")
    pd.testing.assert_frame_equal(dm.read_gtfs_stops(tmp_path / "gtfs.zip"), stops)


def test_plain_stops_csv_and_errors(tmp_path):
    plain = write(tmp_path / "stops.csv", ["name,lat,lon", "A,37.1,126.1", "B,37.2,126.2"])
    stops = dm.read_gtfs_stops(plain)
    assert stops["stop_id"].tolist() == ["0", "1"] and stops["stop_name"].tolist() == ["A", "B"]
    with pytest.raises(idrt.DemandError, match=r"line 3: stop_id 'P1' appears twice"):
        dm.read_gtfs_stops(write(tmp_path / "dup.csv", [GTFS[0], GTFS[2], GTFS[2]]))
    with pytest.raises(idrt.DemandError, match="longitude and latitude columns"):
        dm.read_gtfs_stops(write(tmp_path / "x.csv", ["stop_id,x,y", "1,2,3"]))
    with pytest.raises(idrt.DemandError, match=r"line 2: stop_lat = 'north' is not a number"):
        dm.read_gtfs_stops(write(tmp_path / "y.csv", ["stop_id,stop_lat,stop_lon", "1,north,3"]))
    with pytest.raises(idrt.DemandError, match="holds no stop"):
        dm.read_gtfs_stops(write(tmp_path / "z.csv", [GTFS[0], GTFS[1]]))
