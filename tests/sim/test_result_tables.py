"""``Result``'s summary, per-intersection table and saved folder, on hand-built tables.

Written to kill the mutants of ``benchmarks/mutation.sh`` in sim/results.py
that ``test_summarize.py`` does not reach (triage in
``benchmarks/results/mutation_survivors_results.txt``): the money KPIs added
to the summary, rider-behaviour and shift KPIs, the transit comparison and
lateness without their optional columns, ``intersection_delays`` and
``save``. Every expected figure is worked out by hand in a comment.
"""

from __future__ import annotations

import json
import math
import warnings

import pandas as pd
import pytest

from idrt.scenario import Scenario
from idrt.sim import summarize
from idrt.sim.results import EVENT_COLUMNS, Result, behaviour_kpis, cost_summary
from tests.sim.test_summarize import EXPECTED, PASSAGES, REQUESTS, SERVICE_H, VEHICLES

COST = {
    "cost.vehicle_capital_per_day": 50_000.0,
    "cost.driver_wage_per_hour": 20_000.0,
    "cost.energy_per_km": 100.0,
    "cost.maintenance_per_km": 50.0,
    "cost.fare_per_rider": 1_800.0,
    "cost.cits_cost_per_intersection_per_year": 3_650_000.0,
    "cost.service_days_per_year": 365.0,
}
# 2 vehicles x 10 h, 40 km, 4 riders, 2 equipped intersections:
# operating 2 x 50,000 + 20 h x 20,000 + 40 km x 150 = 506,000; C-ITS 2 x 3,650,000 / 365
MONEY = {
    "vehicle_hours": 20.0,
    "operating_cost_per_day": 506_000.0,
    "cits_cost_per_day": 20_000.0,
    "cost_per_day": 526_000.0,
    "cost_per_rider": 131_500.0,  # / 4 riders
    "cost_per_vehicle_hour": 26_300.0,  # / 20 h
    "cost_per_vehicle_km": 13_150.0,  # / 40 km
    "fare_revenue_per_day": 7_200.0,  # 4 x 1,800
    "farebox_recovery_share": 7_200.0 / 526_000.0,
    "subsidy_per_day": 518_800.0,
    "subsidy_per_rider": 129_700.0,
}
PASSAGES_BY_NODE = pd.DataFrame(
    {
        "time_s": [10.0, 20.0, 30.0, 40.0, 50.0],
        "vehicle": [0, 0, 1, 1, 0],
        "intersection_id": [7, 3, 7, 7, 3],
        "hour": [8, 8, 8, 9, 9],
        "delay_s": [10.0, 30.0, 20.0, 0.0, 6.0],
        "expected_delay_s": [12.0, 25.0, 12.0, 12.0, 5.0],
    }
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario().with_overrides(COST)


def make(scenario, requests=REQUESTS, vehicles=VEHICLES, passages=PASSAGES_BY_NODE, **kw):
    events = pd.DataFrame(
        {"time_s": [0.0, 5.0], "vehicle": [0, 1], "kind": ["depart", "depart"],
         "node": [1, 2], "request": [-1, -1], "load": [0, 0]}
    )  # fmt: skip
    base = {"seed": 11, "service_hours": SERVICE_H, "wall_s": 1.5, "equipped_intersections": 2}
    return Result(requests, vehicles, events, scenario, signal_passages=passages, **{**base, **kw})


def test_summary_is_the_kpis_then_the_money_by_hand(scenario):
    s = make(scenario, passages=PASSAGES).summary()
    assert s.name == "kpi" and summarize(REQUESTS, VEHICLES, SERVICE_H).name == "kpi"
    for kpi, value in {**EXPECTED, **MONEY}.items():
        assert s[kpi] == pytest.approx(value, rel=1e-12), kpi
    assert list(s.index) == list(summarize(REQUESTS, VEHICLES, SERVICE_H, PASSAGES).index) + list(
        MONEY
    )
    assert not s.index.has_duplicates


def test_summary_without_c_its_or_cost_section(scenario):
    s = make(scenario, equipped_intersections=0).summary()
    assert s["cits_cost_per_day"] == 0.0 and s["cost_per_day"] == 506_000.0

    class Bare:  # a scenario object without a [cost] section: the defaults apply
        expansion = None

    d = make(Bare()).summary()
    # 2 x 60,000 + 20 h x 20,000 + 40 km x 220 + 2 x 3,000,000 / 365
    assert d["cost_per_day"] == pytest.approx(120_000 + 400_000 + 8_800 + 6_000_000 / 365)


def test_shifts_pay_on_duty_hours_once(scenario):
    vehicles = VEHICLES.assign(on_duty_h=[6.0, 8.0])
    s = make(scenario, vehicles=vehicles).summary()
    assert list(s.index).count("vehicle_hours") == 1
    assert s["vehicle_hours"] == 14.0
    assert s["passengers_per_vehicle_hour"] == pytest.approx(4 / 14)  # not / (2 x 10 h)
    assert s["km_per_on_duty_hour"] == pytest.approx(40 / 14)
    # operating 2 x 50,000 + 14 h x 20,000 + 40 x 150 = 386,000, + 20,000 C-ITS
    assert s["cost_per_day"] == 406_000.0
    assert s["cost_per_vehicle_hour"] == pytest.approx(406_000 / 14)


def test_summary_by_area_is_the_only_split(scenario, monkeypatch):
    r = make(scenario)
    with pytest.raises(ValueError, match=r"^summary\(by='zone'\): only by='area' is supported$"):
        r.summary(by="zone")
    seen = {}

    def fake(result, *, zones=None, network=None):
        seen.update(result=result, zones=zones, network=network)
        return "split"

    monkeypatch.setattr("idrt.sim.areas.summary_by_area", fake)
    assert r.summary(by="area", zones="z.geojson", network="net") == "split"
    assert seen == {"result": r, "zones": "z.geojson", "network": "net"}


RIDERS = pd.DataFrame(
    {
        "request_id": range(6),
        "rider_id": [1, 1, 2, 3, 4, 5],
        "attempt": [1, 2, 1, 1, 1, 3],
        "status": ["declined", "served", "cancelled", "no_show", "served", "rejected"],
        "pax": [1, 1, 1, 1, 2, 1],
        "wait_s": [math.nan, 100.0, math.nan, math.nan, 300.0, math.nan],
        "in_vehicle_s": [math.nan, 500.0, math.nan, math.nan, 700.0, math.nan],
        "detour_ratio": [math.nan, 1.0, math.nan, math.nan, 1.4, math.nan],
        "walk_m": [math.nan, 0.0, math.nan, math.nan, 0.0, math.nan],
        "shared": [False, False, False, False, False, False],
    }
)


def test_rider_behaviour_kpis_by_hand():
    vehicles = VEHICLES.assign(
        no_show_wait_h=[0.1, 0.05], no_show_km=[1.5, 0.0], cancel_km=[0.0, 2.5]
    )
    k = behaviour_kpis(RIDERS, vehicles)
    assert k == pytest.approx(
        {
            "unique_riders": 5.0,  # riders 1..5
            "riders_carried": 2.0,  # riders 1 (second attempt) and 4
            "repeat_request_share": 2 / 6,  # attempts 2 and 3
            "declined": 1.0,
            "declined_share": 1 / 6,
            "cancelled": 1.0,
            "cancelled_share": 1 / 6,
            "no_show": 1.0,
            "no_show_share": 1 / 6,
            "no_show_wait_h": 0.15,
            "lost_km": 4.0,  # 1.5 to the no-show + 2.5 to the cancelled pickup
        },
        rel=1e-12,
    )
    kpis = summarize(RIDERS, vehicles, SERVICE_H)
    assert kpis.name == "kpi" and kpis["no_show_share"] == pytest.approx(1 / 6)
    assert kpis["passengers"] == 3 and kpis["served_share"] == pytest.approx(2 / 6)


def test_rider_behaviour_without_bus_waits_and_without_requests():
    k = behaviour_kpis(RIDERS, VEHICLES)
    assert "no_show_wait_h" not in k and "lost_km" not in k and k["declined"] == 1.0
    none = behaviour_kpis(RIDERS.iloc[:0], VEHICLES)
    assert none["unique_riders"] == 0.0 and none["declined"] == 0.0
    for key in ("repeat_request_share", "declined_share", "cancelled_share", "no_show_share"):
        assert math.isnan(none[key]), key
    assert behaviour_kpis(REQUESTS, VEHICLES) == {}  # neither behaviour nor shifts
    shifts = behaviour_kpis(REQUESTS, VEHICLES.assign(on_duty_h=[0.0, 0.0]))
    assert shifts["vehicle_hours"] == 0.0 and math.isnan(shifts["km_per_on_duty_hour"])


def test_optional_columns_absent():
    served = REQUESTS.drop(columns=["missed_promise", "late_pickup", "walk_s"])
    k = summarize(served, VEHICLES.drop(columns="rebalancing_km"), SERVICE_H)
    assert math.isnan(k["missed_promise_share"]) and math.isnan(k["late_pickup_share"])
    assert k["late_pickup_mean_s"] == 0.0  # riders served, none marked late
    assert k["rebalancing_km"] == 0.0
    # DRT door to door without walking: 700, 1,200, 800 s; transit 1,000, inf, 800 s
    assert k["drt_time_saved_mean_s"] == pytest.approx((300 + 0) / 2)
    assert k["faster_than_transit_share"] == pytest.approx(2 / 3)  # 800 < 800 is not faster
    nobody_late = REQUESTS.assign(late_pickup=False)
    assert summarize(nobody_late, VEHICLES, SERVICE_H)["late_pickup_mean_s"] == 0.0
    unserved = REQUESTS.assign(status="rejected")
    k = summarize(unserved, VEHICLES, SERVICE_H)
    for kpi in ("late_pickup_mean_s", "missed_promise_share", "shared_ride_share"):
        assert math.isnan(k[kpi]), kpi
    assert math.isnan(k["transit_door_to_door_mean_s"]) and math.isnan(k["wait_p95_s"])
    # transit cannot make any trip: no means, DRT faster for everyone
    no_transit = REQUESTS.assign(transit_door_to_door_s=math.inf)
    k = summarize(no_transit, VEHICLES, SERVICE_H)
    assert math.isnan(k["transit_door_to_door_mean_s"]) and math.isnan(k["drt_time_saved_mean_s"])
    assert k["faster_than_transit_share"] == 1.0


def test_intersection_delays_by_hand(scenario):
    table = make(scenario).intersection_delays()
    assert list(table.columns) == [
        "intersection_id", "passages", "delay_mean_s", "delay_total_s", "expected_delay_mean_s"
    ]  # fmt: skip
    assert table["intersection_id"].tolist() == [3, 7]
    assert table["passages"].tolist() == [2, 3]
    assert table["delay_mean_s"].tolist() == pytest.approx([18.0, 10.0])  # (30+6)/2, (10+20+0)/3
    assert table["delay_total_s"].tolist() == pytest.approx([36.0, 30.0])
    assert table["expected_delay_mean_s"].tolist() == pytest.approx([15.0, 12.0])


def test_save_writes_every_table_and_reads_back(scenario, tmp_path):
    r = make(scenario)
    folder = r.save(tmp_path / "run")
    assert folder == tmp_path / "run"
    names = {p.name for p in folder.iterdir()}
    assert names == {
        "requests.parquet", "vehicles.parquet", "events.parquet", "signal_passages.parquet",
        "intersection_delays.csv", "summary.csv", "scenario.toml", "run.json",
    }  # fmt: skip
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "requests.parquet"), r.requests)
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "vehicles.parquet"), r.vehicles)
    events = pd.read_parquet(folder / "events.parquet")
    assert list(events.columns) == EVENT_COLUMNS and len(events) == 2
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "signal_passages.parquet"), r.signal_passages
    )
    delays = pd.read_csv(folder / "intersection_delays.csv")
    pd.testing.assert_frame_equal(delays, r.intersection_delays(), check_dtype=False)
    summary = pd.read_csv(folder / "summary.csv")
    assert list(summary.columns) == ["kpi", "value"]
    expected = r.summary()
    assert summary["kpi"].tolist() == list(expected.index)
    assert summary["value"].to_numpy() == pytest.approx(expected.to_numpy(float), nan_ok=True)
    assert Scenario.from_toml(folder / "scenario.toml").cost == scenario.cost
    meta = json.loads((folder / "run.json").read_text())
    assert meta == {
        "seed": 11,
        "scenario_hash": scenario.content_hash(),
        "wall_s": 1.5,
        "base_dir": str(scenario.base_dir),
    }
    assert (folder / "run.json").read_text().startswith('{\n  "seed"')  # indented


def test_save_without_signal_passages_writes_no_signal_tables(scenario, tmp_path):
    empty = make(scenario, passages=PASSAGES_BY_NODE.iloc[:0])
    folder = empty.save(tmp_path / "nested" / "run")  # parents made
    names = {p.name for p in folder.iterdir()}
    assert "signal_passages.parquet" not in names and "intersection_delays.csv" not in names
    empty.save(folder)  # saving again into the same folder is fine


def test_runs_with_nobody_served_or_no_transit_trip_are_silent():
    cases = [
        (REQUESTS.assign(status="rejected"), VEHICLES),  # nobody served: no wait to average
        (REQUESTS.iloc[:0], VEHICLES.iloc[:0]),  # an empty run
        (REQUESTS.assign(transit_door_to_door_s=math.inf), VEHICLES),  # transit reaches no one
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "mean of empty slice" from the KPIs
        for requests, vehicles in cases:
            summarize(requests, vehicles, SERVICE_H)


def test_a_served_rider_without_walking_time_walked_zero_seconds():
    # the second rider's walk_s unknown: DRT door to door 700, 1,200, 850 s
    k = summarize(REQUESTS.assign(walk_s=[0.0, math.nan, 50.0, math.nan, math.nan]), VEHICLES, 1.0)
    assert k["drt_time_saved_mean_s"] == pytest.approx(125.0)  # reachable: riders 1 and 3
    other = REQUESTS.assign(transit_door_to_door_s=[1000.0, 1250.0, 800.0, 2000.0, math.nan])
    k = summarize(other.assign(walk_s=[0.0, math.nan, 50.0, math.nan, math.nan]), VEHICLES, 1.0)
    assert k["drt_time_saved_mean_s"] == pytest.approx((300 + 50 - 50) / 3)  # 1,250 - 1,200


def test_cost_summary_alone_is_a_named_series(scenario):
    r = make(scenario)
    money = cost_summary(r, summarize(REQUESTS, VEHICLES, SERVICE_H))
    assert money.name == "kpi" and money.to_dict() == pytest.approx(MONEY)


def test_saved_tables_carry_no_index_column(scenario, tmp_path):
    import pyarrow.parquet as pq

    def odd(table):  # an index that is not a range: 7, 3, 9, ...
        return table.set_axis([7, 3, 9, 4, 8, 6][: len(table)])

    base = make(scenario)
    r = Result(odd(REQUESTS.iloc[:3]), odd(VEHICLES), odd(base.events), scenario, 1, SERVICE_H,
               signal_passages=odd(PASSAGES_BY_NODE.iloc[:4]))  # fmt: skip
    folder = r.save(tmp_path / "run")
    for name, table in [
        ("requests", r.requests), ("vehicles", r.vehicles), ("events", r.events),
        ("signal_passages", r.signal_passages),
    ]:  # fmt: skip
        assert pq.read_schema(folder / f"{name}.parquet").names == list(table.columns), name
    assert pd.read_csv(folder / "intersection_delays.csv").columns[0] == "intersection_id"
