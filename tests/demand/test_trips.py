"""The Demand table: invariants, summaries and the serviceability check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import idrt
import idrt.demand as dm


@pytest.fixture(scope="module")
def demand(small_net, small_area):
    return dm.poisson(
        small_net,
        small_area,
        500,
        profile="weekday",
        prebooked_share=0.25,
        service_hours=(6, 22),
        min_trip_m=0,
        seed=2,
    )


def test_columns_dtypes_and_order(demand):
    t = demand.trips
    assert t.columns.tolist() == list(dm.TRIP_COLUMNS)
    assert {c: str(t[c].dtype) for c in t.columns} == dict(dm.TRIP_COLUMNS)
    assert len(demand) == len(t) and demand.n_pax == t["pax"].sum()
    key = list(zip(t["booking_time_s"], t["request_time_s"], strict=True))
    assert key == sorted(key)
    assert (t["origin_node"] != t["destination_node"]).all()


def test_from_frame_sorts_with_a_stable_tie_break(demand):
    shuffled = demand.trips.sample(frac=1.0, random_state=0).drop(columns="request_id")
    again = dm.Demand.from_frame(shuffled, service_hours=(6, 22))
    cols = [c for c in dm.TRIP_COLUMNS if c != "request_id"]
    pd.testing.assert_frame_equal(again.trips[cols], demand.trips[cols])
    tied = pd.concat([demand.trips.iloc[[3]]] * 3).drop(columns="request_id")
    tied["pax"] = [3, 1, 2]
    assert dm.Demand.from_frame(tied).trips["pax"].tolist() == [3, 1, 2]  # input order kept
    with pytest.raises(idrt.DemandError, match=r"request_id must be 0\.\.n-1"):
        dm.Demand(demand.trips.iloc[::-1].reset_index(drop=True))
    with pytest.raises(idrt.DemandError, match="lacks columns"):
        dm.Demand(demand.trips.drop(columns="pax"))


def test_summaries(demand, small_net):
    hours = demand.by_hour()
    assert hours.index.tolist() == list(range(24))
    assert hours["requests"].sum() == len(demand) and hours["pax"].sum() == demand.n_pax
    assert hours.loc[:5, "requests"].sum() == 0 and hours.loc[22:, "requests"].sum() == 0
    assert hours["prebooked"].sum() == demand.trips["prebooked"].sum()
    west = dm.ServiceArea.from_nodes(small_net, [1, 4, 7], buffer_m=20, name="west")
    zones = demand.by_zone(
        {"west": west, "all": dm.ServiceArea.from_nodes(small_net, small_net.node_ids)}
    )
    t = demand.trips
    assert zones.loc["west", "origins"] == t["origin_node"].isin([1, 4, 7]).sum()
    assert zones.loc["all", "destinations"] == len(t)
    assert zones.loc["(outside)", "origins"] == 0
    text = demand.describe([west])
    assert f"{len(demand)} requests" in text and "requests by hour" in text
    assert "trip ends by zone" in text and "west" in text and "pre-booked" in text


def test_check_names_the_problem(demand, small_net):
    assert demand.check(small_net) is demand
    with pytest.raises(idrt.DemandError, match=r"requested outside the service hours \(7, 9\)"):
        demand.check(small_net, (7, 9))
    west = dm.ServiceArea.from_nodes(small_net, [1, 4, 7], buffer_m=20, name="west")
    with pytest.raises(
        idrt.DemandError, match=r"outside the service area 'west'; e\.g\. request_id"
    ):
        demand.check(small_net, area=west)
    t = demand.trips.copy()
    t.loc[4, "origin_node"] = 12345
    with pytest.raises(idrt.DemandError, match=r"1 of \d+ requests have a node that is not in"):
        dm.Demand(t, service_hours=(6, 22)).check(small_net)
    t = demand.trips.copy()
    t.loc[2, "destination_node"] = t.loc[2, "origin_node"]
    with pytest.raises(
        idrt.DemandError, match=r"start and end at the same node; e.g. request_id \[2\]"
    ):
        dm.Demand(t, service_hours=(6, 22)).check(small_net)


def test_scaled_bad_factor(demand):
    with pytest.raises(idrt.DemandError, match="factor must be"):
        demand.scaled(0)
    assert len(demand.scaled(1.0, seed=1)) == len(demand)
    np.testing.assert_array_equal(
        demand.scaled(1.0, seed=1).trips["request_time_s"], demand.trips["request_time_s"]
    )


def test_describe_file_prints_hours_and_zones(tmp_path, yeongjong, yj_area):
    demand = dm.poisson(yeongjong, yj_area, 400, profile="weekday", service_hours=(6, 23), seed=3)
    path = demand.to_csv(tmp_path / "trips.csv")
    text = dm.describe_file(path)
    assert f"{len(demand)} requests" in text and "requests by hour" in text
    for zone in ("yeongjong", "industrial_estate", "old_town", "(outside)"):
        assert zone in text
    assert sorted(dm.named_areas()) == ["industrial_estate", "old_town", "yeongjong"]
    assert "trip ends by zone" not in dm.describe_file(path, zones=[])
