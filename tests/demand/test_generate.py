"""Poisson generators: counts, spatial models, groups, pre-booking, reproducibility."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import idrt
import idrt.demand as dm
from tests.demand.conftest import DEMAND_DIR, X0, Y0

ALPHA = 0.01


def chi2_pvalue(observed, expected):
    """Pearson chi-square p-value (cells with zero expectation must be empty)."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert np.all(observed[expected == 0] == 0)
    keep = expected > 0
    stat = (((observed - expected) ** 2)[keep] / expected[keep]).sum()
    return stats.chi2.sf(stat, keep.sum() - 1)


# ------------------------------------------------------------------- when
def test_hourly_counts_match_the_profile(small_net, small_area):
    profile = dm.load_profile(DEMAND_DIR / "profiles" / "weekday.csv")
    hours = (5.5, 23.0)
    d = dm.poisson(
        small_net, small_area, 60_000, profile=profile, service_hours=hours, min_trip_m=0, seed=11
    )
    n = len(d)
    assert abs(n - 60_000) < 4 * np.sqrt(60_000)  # Poisson total
    t = d.trips["request_time_s"].to_numpy()
    assert t.min() >= 5.5 * 3600 and t.max() < 23 * 3600
    counts = d.by_hour()["requests"].to_numpy()
    expected = n * profile.hour_weights(hours)
    assert expected[5] == pytest.approx(
        n * 0.5 * 0.014 / np.dot(profile.array, np.r_[np.zeros(5), 0.5, np.ones(17), 0.0])
    )
    assert chi2_pvalue(counts, expected) > ALPHA


def test_expected_count_is_exact(small_net, small_area):
    """The mean count over many days is trips_per_day, partial hours included."""
    counts = [
        len(
            dm.poisson(
                small_net,
                small_area,
                40,
                profile="weekday",
                service_hours=(6.25, 21.5),
                min_trip_m=0,
                seed=s,
            )
        )
        for s in range(250)
    ]
    assert np.mean(counts) == pytest.approx(40, abs=4 * np.sqrt(40 / 250))
    assert np.var(counts) == pytest.approx(40, rel=0.3)  # Poisson: variance = mean


# ------------------------------------------------------------------ where
WEIGHTS = {
    "background": 3.0,
    "a": {"node": 1, "weight": 3.0},
    "b": {"node": 5, "weight": 1.0},
    "c": {"node": 9, "weight": 2.0},
}


def node_weights(net):
    w = {int(n): 3.0 / 9 for n in net.node_ids}
    for key, spec in WEIGHTS.items():
        if key != "background":
            w[spec["node"]] += spec["weight"]
    return w


@pytest.mark.parametrize(
    "beta, min_trip_m", [(None, 0.0), (None, 500.0), (1 / 100, 0.0), (1 / 100, 500.0)]
)
def test_choice_frequencies_match_the_formula(small_net, small_area, beta, min_trip_m):
    """P(o) ∝ w_o and P(d|o) ∝ w_d exp(-β t_od) over admissible d, with t from networkx."""
    d = dm.poisson(
        small_net,
        small_area,
        30_000,
        attractors=WEIGHTS,
        gravity_beta_per_s=beta,
        min_trip_m=min_trip_m,
        seed=1,
    )
    trips = d.trips
    w = node_weights(small_net)
    nodes = sorted(w)
    G = small_net.graph
    xy = {int(n): (small_net.x_m[i], small_net.y_m[i]) for i, n in enumerate(small_net.node_ids)}
    # origins
    o_counts = trips["origin_node"].value_counts().reindex(nodes, fill_value=0).to_numpy()
    assert (
        chi2_pvalue(o_counts, len(trips) * np.array([w[n] for n in nodes]) / sum(w.values()))
        > ALPHA
    )
    # destinations given each origin, pooled into one chi-square
    stat, dof = 0.0, 0
    for o in nodes:
        sub = trips[trips["origin_node"] == o]
        times = nx.single_source_dijkstra_path_length(G, o, weight="travel_time")
        p = np.array(
            [
                0.0
                if dest == o or np.hypot(*np.subtract(xy[dest], xy[o])) < min_trip_m
                else w[dest] * (np.exp(-beta * times[dest]) if beta else 1.0)
                for dest in nodes
            ]
        )
        p /= p.sum()
        obs = sub["destination_node"].value_counts().reindex(nodes, fill_value=0).to_numpy()
        exp = len(sub) * p
        assert np.all(obs[exp == 0] == 0)  # never o itself, never closer than min_trip_m
        stat += (((obs - exp) ** 2)[exp > 0] / exp[exp > 0]).sum()
        dof += int((exp > 0).sum()) - 1
    assert stats.chi2.sf(stat, dof) > ALPHA


def test_od_matrix_between_zones_and_nodes(small_net, small_area):
    west = dm.ServiceArea.from_polygon(
        [(X0 - 50, Y0 - 50), (X0 + 50, Y0 - 50), (X0 + 50, Y0 + 850), (X0 - 50, Y0 + 850)],
        crs="EPSG:32652",
        name="west",
    )
    east = dm.ServiceArea.from_polygon(
        [(X0 + 750, Y0 - 50), (X0 + 850, Y0 - 50), (X0 + 850, Y0 + 850), (X0 + 750, Y0 + 850)],
        crs="EPSG:32652",
        name="east",
    )
    attractors = dm.Attractors(
        (dm.Attractor("west", 1.0, area=west), dm.Attractor("east", 1.0, area=east))
    )
    od = pd.DataFrame([[1.0, 3.0], [2.0, 0.0]], index=["west", "east"], columns=["west", "east"])
    d = dm.poisson(
        small_net, small_area, 12_000, attractors=attractors, od_matrix=od, min_trip_m=0, seed=3
    )
    t = d.trips
    zone = {1: "west", 4: "west", 7: "west", 3: "east", 6: "east", 9: "east"}
    pairs = pd.crosstab(t["origin_node"].map(zone), t["destination_node"].map(zone))
    obs = [pairs.loc["west", "west"], pairs.loc["west", "east"], pairs.loc["east", "west"]]
    assert "east" not in pairs.index or pairs.get("east", pd.Series()).get("east", 0) == 0
    assert chi2_pvalue(obs, np.array([1, 3, 2]) / 6 * len(t)) > ALPHA
    assert (t["origin_node"] != t["destination_node"]).all()
    # uniform within a zone: west -> west has 3 x 2 ordered pairs of distinct nodes
    ww = t[(t["origin_node"].map(zone) == "west") & (t["destination_node"].map(zone) == "west")]
    cells = ww.groupby(["origin_node", "destination_node"]).size()
    assert len(cells) == 6 and chi2_pvalue(cells.to_numpy(), np.full(6, len(ww) / 6)) > ALPHA

    by_node = pd.DataFrame({1: [0.0, 1.0], 9: [1.0, 0.0]}, index=[1, 9])  # 9 -> 1 and 1 -> 9
    d = dm.poisson(small_net, small_area, 500, od_matrix=by_node, min_trip_m=0, seed=1)
    assert set(zip(d.trips["origin_node"], d.trips["destination_node"], strict=True)) == {
        (1, 9),
        (9, 1),
    }


# ----------------------------------------------------- who, and reproducing
def test_groups_prebooking_and_lead_times(small_net, small_area):
    d = dm.poisson(
        small_net,
        small_area,
        20_000,
        group_sizes={1: 0.7, 2: 0.2, 4: 0.1},
        prebooked_share=0.3,
        booking_lead_s=(600, 3600),
        service_hours=(6, 22),
        min_trip_m=0,
        seed=9,
    )
    t = d.trips
    sizes = t["pax"].value_counts().reindex([1, 2, 4], fill_value=0).to_numpy()
    assert set(t["pax"]) <= {1, 2, 4}
    assert chi2_pvalue(sizes, np.array([0.7, 0.2, 0.1]) * len(t)) > ALPHA
    pre = t["prebooked"].to_numpy()
    assert abs(pre.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(t))
    lead = (t["request_time_s"] - t["booking_time_s"]).to_numpy()
    assert np.all(lead[~pre] == 0)
    assert lead[pre].min() >= 600 and lead[pre].max() <= 3600
    assert np.all(np.diff(t["booking_time_s"].to_numpy()) >= 0)
    assert t["request_id"].tolist() == list(range(len(t)))
    # a scipy distribution as lead time; bookings never before midnight
    d = dm.poisson(
        small_net,
        small_area,
        2000,
        prebooked_share=1.0,
        booking_lead_s=stats.expon(scale=4 * 3600),
        min_trip_m=0,
        seed=2,
    )
    assert (d.trips["booking_time_s"] >= 0).all() and (d.trips["booking_time_s"] == 0).any()


def test_same_seed_same_trips(delft, delft_area):
    kwargs = dict(
        profile="weekday", gravity_beta_per_s=1 / 600, prebooked_share=0.2, service_hours=(6, 23)
    )
    a = dm.poisson(delft, delft_area, 1500, seed=42, **kwargs)
    b = dm.poisson(delft, delft_area, 1500, seed=42, **kwargs)
    c = dm.poisson(delft, delft_area, 1500, seed=43, **kwargs)
    pd.testing.assert_frame_equal(a.trips, b.trips, check_exact=True)
    assert not a.trips.equals(c.trips)
    g = dm.poisson(delft, delft_area, 1500, seed=np.random.default_rng(42), **kwargs)
    pd.testing.assert_frame_equal(a.trips, g.trips, check_exact=True)
    a.check(delft, area=delft_area)
    ox, oy = delft.project(a.trips["origin_lon"], a.trips["origin_lat"])
    dx, dy = delft.project(a.trips["destination_lon"], a.trips["destination_lat"])
    assert np.hypot(ox - dx, oy - dy).min() >= 200.0  # the default min_trip_m


def test_attractor_points_with_radius(delft, delft_area):
    lon, lat = float(np.median(delft.lon)), float(np.median(delft.lat))
    d = dm.poisson(
        delft,
        delft_area,
        4000,
        attractors={"station": {"lon": lon, "lat": lat, "weight": 1.0, "radius_m": 300}},
        seed=1,
    )
    x, y = delft.project(lon, lat)
    ox, oy = delft.project(d.trips["origin_lon"], d.trips["origin_lat"])
    assert np.hypot(ox - x, oy - y).max() <= 300.0  # background 0: every trip starts there


def test_scaled_keeps_the_pattern(delft, delft_area):
    base = dm.poisson(delft, delft_area, 3000, profile="weekday", service_hours=(6, 23), seed=4)
    n = len(base)
    half = base.scaled(0.5, seed=1)
    assert abs(len(half) - n / 2) < 4 * np.sqrt(n / 4)
    key = ["request_time_s", "origin_node", "destination_node"]
    assert len(half.trips.merge(base.trips[key], on=key)) == len(half)  # a subset
    more = base.scaled(2.5, seed=1)
    assert abs(len(more) - 2.5 * n) < 4 * np.sqrt(n * 0.25)
    assert len(more.trips.merge(base.trips[key], on=key)) >= n  # originals kept
    pairs = set(zip(base.trips.origin_node, base.trips.destination_node, strict=True))
    assert set(zip(more.trips.origin_node, more.trips.destination_node, strict=True)) == pairs
    t = more.trips["request_time_s"]
    assert t.min() >= 6 * 3600 and t.max() < 23 * 3600
    assert (more.trips["booking_time_s"] <= t).all()
    share = base.by_hour()["requests"] / n
    share_more = more.by_hour()["requests"] / len(more)
    assert np.abs(share - share_more).max() < 0.01
    pd.testing.assert_frame_equal(more.trips, base.scaled(2.5, seed=1).trips)
    more.check(delft, area=delft_area)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(group_sizes={1: 0.5, 2: 0.2}), "sum to 1"),
        (dict(group_sizes={0: 1.0}), "whole numbers of riders"),
        (dict(group_sizes={"1": 0.5, "2.5": 0.5}), "whole numbers of riders"),
        (dict(prebooked_share=1.5), r"prebooked_share must lie in \[0, 1\]"),
        (dict(booking_lead_s=(3600, 60)), "min_s <= max_s"),
        (dict(service_hours=(22, 6)), "start_h < end_h"),
        (dict(gravity_beta_per_s=0.01, od_matrix=pd.DataFrame([[1.0]])), "not both"),
        (dict(od_matrix=pd.DataFrame([[1.0]], index=["x"], columns=["x"])), "not attractor names"),
        (dict(od_matrix=pd.DataFrame([[0.0, 1.0]], index=[1], columns=[1, 99])), "node 99"),
        (dict(od_matrix=pd.DataFrame([[1.0]], index=[1], columns=[1])), r"OD pair \(1, 1\)"),
        (dict(attractors={"far": {"lon": 126.8, "lat": 37.49, "weight": 1}}), "another area"),
        (dict(attractors={"x": {"lon": 126.5, "weight": 1, "colour": 2}}), "unknown keys"),
        (dict(min_trip_m=5000), "lower min_trip_m"),
        (dict(trips_per_day=-1), "trips_per_day must be"),
        (dict(seed=-3), "seed must be"),
    ],
)
def test_bad_arguments(small_net, small_area, kwargs, match):
    kwargs = {"trips_per_day": 100, "min_trip_m": 0.0, "seed": 1, **kwargs}
    with pytest.raises(idrt.DemandError, match=match):
        dm.poisson(small_net, small_area, **kwargs)


def test_area_without_nodes(small_net):
    empty = dm.ServiceArea.from_bbox(120.0, 30.0, 120.1, 30.1, name="sea")
    with pytest.raises(idrt.DemandError, match="'sea' holds 0 node"):
        dm.poisson(small_net, empty, 10, seed=1)


def test_spec_from_a_toml_table(small_net, small_area):
    """A scenario's [demand] table (string keys from TOML) gives the same requests."""
    spec = dm.PoissonSpec(
        trips_per_day=300,
        profile="weekday",
        group_sizes={"1": 0.8, "2": 0.2},
        service_hours=[7, 20],
        min_trip_m=0,
    )
    assert spec.group_sizes == ((1, 0.8), (2, 0.2)) and spec.service_hours == (7.0, 20.0)
    a = dm.generate(small_net, small_area, spec, seed=4)
    b = dm.poisson(
        small_net,
        small_area,
        300,
        profile="weekday",
        group_sizes={1: 0.8, 2: 0.2},
        service_hours=(7, 20),
        min_trip_m=0,
        seed=4,
    )
    pd.testing.assert_frame_equal(a.trips, b.trips)


@given(
    weights=st.lists(
        st.sampled_from([0.0, 0.0, 1e-9, 0.5, 1.0, 3.0]), min_size=1, max_size=12
    ).filter(lambda w: sum(w) > 0),
    u=st.lists(st.floats(0.0, 1.0, exclude_max=True), min_size=1, max_size=20),
)
def test_inverse_cdf_never_picks_a_zero_weight(weights, u):
    from idrt.demand.generate import _pick

    picked = _pick(np.cumsum(weights), np.array(u))
    assert np.all(np.asarray(weights)[picked] > 0)
