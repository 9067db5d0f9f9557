"""Today's transit from GTFS: a feed the tests write, CSA against a time-expanded graph.

The connection scan is checked against Dijkstra (networkx) on the
time-expanded graph of the same timetable (an event node per departure and
arrival; riding, staying on board, changing with the minimum change time,
walking at both ends), on random feeds; headways and the calendar by hand.
"""

from __future__ import annotations

import itertools
import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from idrt.cli import main
from idrt.demand import ServiceArea, read_gtfs, transit_baseline, transit_door_to_door
from idrt.errors import DemandError
from idrt.scenario import Scenario
from idrt.sim import build_network, simulate

LON0, LAT0 = 126.52, 37.49  # Unseo, Yeongjong


def _hms(s: float) -> str:
    s = round(s)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def write_feed(folder, *, n_stops=12, n_routes=3, seed=0, headway_s=900, with_dates=False):
    """A random feed: stops scattered over ~4 km, routes as random stop sequences."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    lon = LON0 + rng.uniform(0, 0.045, n_stops)
    lat = LAT0 + rng.uniform(0, 0.035, n_stops)
    stops = pd.DataFrame({"stop_id": [f"S{i}" for i in range(n_stops)],
                          "stop_name": [f"정류장 {i}" for i in range(n_stops)],
                          "stop_lat": lat, "stop_lon": lon})  # fmt: skip
    stops.to_csv(folder / "stops.txt", index=False)
    routes, trips, times = [], [], []
    for r in range(n_routes):
        seq = rng.choice(n_stops, size=int(rng.integers(4, 7)), replace=False)
        legs = rng.uniform(90, 300, len(seq) - 1)
        routes.append({"route_id": f"R{r}", "route_short_name": str(r + 1), "route_type": 3})
        for k, t0 in enumerate(np.arange(6 * 3600 + r * 240, 10 * 3600, headway_s)):
            tid = f"R{r}-{k}"
            trips.append({"route_id": f"R{r}", "service_id": "WK", "trip_id": tid})
            t = float(t0)
            for i, s in enumerate(seq):
                dwell = 20.0 if 0 < i < len(seq) - 1 else 0.0
                times.append({"trip_id": tid, "arrival_time": _hms(t),
                              "departure_time": _hms(t + dwell), "stop_id": f"S{s}",
                              "stop_sequence": i + 1})  # fmt: skip
                if i < len(seq) - 1:
                    t += dwell + legs[i]
    trips.append({"route_id": "R0", "service_id": "WE", "trip_id": "weekend-only"})
    times.append({"trip_id": "weekend-only", "arrival_time": "07:00:00",
                  "departure_time": "07:00:00", "stop_id": "S0", "stop_sequence": 1})  # fmt: skip
    pd.DataFrame(routes).to_csv(folder / "routes.txt", index=False)
    pd.DataFrame(trips).to_csv(folder / "trips.txt", index=False)
    pd.DataFrame(times).to_csv(folder / "stop_times.txt", index=False)
    week = {d: 1 for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    cal = [{"service_id": "WK", **week, "saturday": 0, "sunday": 0,
            "start_date": "20260101", "end_date": "20261231"},
           {"service_id": "WE", **dict.fromkeys(week, 0), "saturday": 1, "sunday": 1,
            "start_date": "20260101", "end_date": "20261231"}]  # fmt: skip
    pd.DataFrame(cal).to_csv(folder / "calendar.txt", index=False)
    if with_dates:  # a holiday: weekday service removed, weekend service added
        dates = pd.DataFrame({"service_id": ["WK", "WE"], "date": ["20261005", "20261005"],
                              "exception_type": [2, 1]})  # fmt: skip
        dates.to_csv(folder / "calendar_dates.txt", index=False)
    return folder


def _time_expanded_truth(feed, acc, egr, start, direct, change):
    """Earliest arrival by Dijkstra on the time-expanded graph."""
    c = feed.connections()
    G = nx.DiGraph()
    G.add_edge("src", "dst", w=direct)
    n = len(c["dep_s"])
    by_trip: dict[int, list[int]] = {}
    for k in range(n):
        G.add_edge(("d", k), ("a", k), w=c["arr_s"][k] - c["dep_s"][k])
        by_trip.setdefault(int(c["trip"][k]), []).append(k)
    for ks in by_trip.values():
        ks.sort(key=lambda k: c["dep_s"][k])
        for a, b in itertools.pairwise(ks):  # stay on board
            G.add_edge(("a", a), ("d", b), w=c["dep_s"][b] - c["arr_s"][a])
    for a in range(n):
        for b in range(n):
            if (c["dep_stop"][b] == c["arr_stop"][a] and c["trip"][a] != c["trip"][b]
                    and c["dep_s"][b] >= c["arr_s"][a] + change):  # fmt: skip
                G.add_edge(("a", a), ("d", b), w=c["dep_s"][b] - c["arr_s"][a])
    for stop, walk in acc:
        for k in range(n):
            if c["dep_stop"][k] == stop and c["dep_s"][k] >= start + walk:
                G.add_edge("src", ("d", k), w=c["dep_s"][k] - start)
    for stop, walk in egr:
        for k in range(n):
            if c["arr_stop"][k] == stop:
                w = walk
                if G.has_edge(("a", k), "dst"):
                    w = min(w, G[("a", k)]["dst"]["w"])
                G.add_edge(("a", k), "dst", w=w)
    return start + nx.shortest_path_length(G, "src", "dst", weight="w")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_connection_scan_equals_time_expanded_dijkstra(tmp_path, seed):
    folder = write_feed(tmp_path / "gtfs", n_stops=16, n_routes=4, seed=seed, headway_s=1800)
    feed = read_gtfs(folder, day="monday")
    rng = np.random.default_rng(100 + seed)
    n = 12
    # doors a few hundred metres from random stops: walking, riding and changing compete
    near = feed.stops[["lon", "lat"]].to_numpy()
    o = near[rng.integers(0, len(near), n)] + rng.uniform(-0.003, 0.003, (n, 2))
    d = near[rng.integers(0, len(near), n)] + rng.uniform(-0.003, 0.003, (n, 2))
    t = rng.uniform(6 * 3600, 8 * 3600, n)
    kw = {"walk_speed_mps": 1.2, "max_walk_m": 900.0, "walk_detour": 1.3, "change_s": 60.0}
    got = transit_door_to_door(feed, o, d, t, **kw)
    # the same access/egress the function sees, computed here from the stops' metres
    from pyproj import Transformer

    proj = Transformer.from_crs("EPSG:4326", feed.crs, always_xy=True)
    sx, sy = feed.stops["x_m"].to_numpy(), feed.stops["y_m"].to_numpy()
    used_transit = 0
    for q in range(n):
        ox, oy = proj.transform(*o[q])
        dx, dy = proj.transform(*d[q])
        walk = lambda x, y: np.hypot(sx - x, sy - y) * 1.3 / 1.2  # noqa: E731
        acc = [(i, w) for i, w in enumerate(walk(ox, oy)) if w * 1.2 <= 900.0 + 1e-9]
        egr = [(i, w) for i, w in enumerate(walk(dx, dy)) if w * 1.2 <= 900.0 + 1e-9]
        direct = float(np.hypot(dx - ox, dy - oy) * 1.3 / 1.2)
        truth = _time_expanded_truth(feed, acc, egr, t[q], direct, 60.0)
        assert got["door_to_door_s"][q] == pytest.approx(truth - t[q], abs=1e-6), q
        used_transit += not got["walk_only"][q]
    assert used_transit >= 3  # the check exercises riding, not only walking


def test_calendar_days_and_dates(tmp_path):
    folder = write_feed(tmp_path / "gtfs", with_dates=True)
    monday = read_gtfs(folder, day="monday")
    assert "weekend-only" not in set(monday.stop_times["trip_id"])
    sunday = read_gtfs(folder, day="sunday")
    assert set(sunday.stop_times["trip_id"]) == {"weekend-only"}
    holiday = read_gtfs(folder, day="20261005")  # a Monday made a holiday by calendar_dates
    assert set(holiday.stop_times["trip_id"]) == {"weekend-only"}
    assert read_gtfs(folder, day="20261006").n_trips == monday.n_trips  # the Tuesday after
    with pytest.raises(DemandError, match="weekday name"):
        read_gtfs(folder, day="someday")
    with pytest.raises(DemandError, match="no trip"):
        read_gtfs(folder, day="20300101")


def test_headways_by_hour_by_hand(tmp_path):
    folder = write_feed(tmp_path / "gtfs", n_routes=1, headway_s=900)
    feed = read_gtfs(folder)
    h = feed.headways()
    # one route every 15 min from 06:00 to 09:45: 4 trips an hour from 6 to 9 h
    busy = h[h["hour"].between(6, 9)]
    assert (busy["trips"] == 4).all() and (busy["headway_min"] == 15.0).all()
    assert np.isinf(h[h["hour"] == 3]["headway_min"]).all()
    # a zone around no stop has no service; a zone around all has the feed's
    nowhere = ServiceArea.from_bbox(127.5, 36.0, 127.6, 36.1, name="nowhere")
    everywhere = ServiceArea.from_bbox(LON0 - 0.1, LAT0 - 0.1, LON0 + 0.2, LAT0 + 0.2, name="all")
    z = feed.headways({"nowhere": nowhere, "all": everywhere})
    assert (z[z["zone"] == "nowhere"]["trips"] == 0).all()
    pd.testing.assert_series_equal(
        z[z["zone"] == "all"]["trips"].reset_index(drop=True),
        h["trips"].reset_index(drop=True),
    )


def test_bad_feeds(tmp_path):
    folder = write_feed(tmp_path / "gtfs")
    (folder / "stop_times.txt").write_text(
        (folder / "stop_times.txt").read_text().replace("06:00:00", "6h00"), encoding="utf-8"
    )
    with pytest.raises(DemandError, match="HH:MM:SS"):
        read_gtfs(folder)
    (folder / "trips.txt").unlink()
    with pytest.raises(DemandError, match=r"trips\.txt"):
        read_gtfs(folder)
    with pytest.raises(DemandError, match="does not exist"):
        read_gtfs(tmp_path / "nope")


def test_baseline_for_the_requests_a_run_simulates(tmp_path):
    feed = read_gtfs(write_feed(tmp_path / "gtfs", n_stops=30, n_routes=5, headway_s=600))
    scn = Scenario().with_overrides(
        {"demand.scale": 0.3, "fleet.size": 4, "service.end_h": 10, "traffic.profile": "",
         "traffic.signals": "none"}
    )  # fmt: skip
    net = build_network(scn)
    result = simulate(scn, seed=1, network=net)
    per_trip, summary = transit_baseline(result, net, feed, sample=60)
    assert len(per_trip) == summary["trips_compared"] == 60
    assert (per_trip["drt_door_to_door_s"] > 0).all()
    reach = np.isfinite(per_trip["transit_door_to_door_s"])
    assert reach.any()
    assert summary["faster_by_drt_share"] == pytest.approx(per_trip["faster_by_drt"].mean())
    saved = (per_trip["transit_door_to_door_s"] - per_trip["drt_door_to_door_s"])[reach]
    assert summary["saved_mean_s"] == pytest.approx(saved.mean())


def _toml(values: dict) -> str:
    """Dotted keys to TOML tables."""
    data: dict = {}
    for key, val in values.items():
        section, name = key.split(".")
        data.setdefault(section, {})[name] = val
    return "\n".join(
        f"[{sec}]\n" + "\n".join(f"{n} = {json.dumps(v)}" for n, v in vals.items())
        for sec, vals in data.items()
    )


def test_a_scenario_with_a_feed_carries_the_baseline_into_runs_and_compare(tmp_path, capsys):
    folder = write_feed(tmp_path / "gtfs", n_stops=30, n_routes=5, headway_s=600)
    base = {
        "demand.scale": 0.2,
        "fleet.size": 3,
        "service.end_h": 10,
        "traffic.profile": "",
        "traffic.signals": "none",
        "transit.gtfs": str(folder),
        "transit.day": "tuesday",
    }
    result = simulate(Scenario().with_overrides(base), seed=2)
    col = result.requests["transit_door_to_door_s"]
    assert len(col) == len(result.requests) and np.isfinite(col).any()
    k = result.summary()
    for name in ("transit_door_to_door_mean_s", "drt_time_saved_mean_s"):
        assert np.isfinite(k[name]), name
    assert 0.0 <= k["faster_than_transit_share"] <= 1.0
    # compare: 3 vs 5 buses, each judged against the same transit baseline
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(_toml(base), encoding="utf-8")
    b.write_text(_toml({**base, "fleet.size": 5}), encoding="utf-8")
    args = ["compare", str(a), str(b), "--seeds", "2", "--workers", "0", "--no-progress"]
    kpis = ["--kpi", "drt_time_saved_mean_s", "--kpi", "faster_than_transit_share"]
    assert main(args + kpis) == 0
    out = capsys.readouterr().out
    assert "drt_time_saved_mean_s" in out and "faster_than_transit_share" in out


def test_a_bad_feed_fails_before_simulating(tmp_path):
    scn = Scenario().with_overrides({"transit.gtfs": str(tmp_path / "missing")})
    with pytest.raises(DemandError, match="does not exist"):
        simulate(scn, seed=1)


@pytest.mark.parametrize(
    ("key", "value"), [("walk_detour", 0.5), ("max_walk_m", -1.0), ("change_s", float("nan"))]
)
def test_transit_keys_are_checked_with_the_scenario(key, value):
    from idrt.errors import ScenarioError

    with pytest.raises(ScenarioError, match=f"transit.{key}"):
        Scenario().with_overrides({f"transit.{key}": value})
