"""``experiments.stats`` against scipy and written-out formulas, branch by branch.

Written to kill the mutants of ``benchmarks/mutation.sh`` that survived in
``mean_ci``, ``wilson_interval``, ``kpi_ci``, ``paired_difference``,
``summarize_runs`` and ``interval_scope`` (triage in
``benchmarks/results/mutation_survivors_stats.txt``): every field of every
early return, the bounds of ``confidence``, which interval a KPI gets, the
pairing of NaNs, and the tidy table's groups and columns.
"""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from idrt.experiments.stats import (
    RATIO_SHARES,
    interval_scope,
    kpi_ci,
    mean_ci,
    paired_difference,
    share_ci,
    summarize_runs,
    wilson_interval,
)


def t_interval(x, confidence=0.95):
    x = np.asarray(x, float)
    return st.t.interval(confidence, x.size - 1, loc=x.mean(), scale=st.sem(x))


def wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson (1927) score interval, written out."""
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def all_nan(*values) -> bool:
    return all(isinstance(v, float) and math.isnan(v) for v in values)


# mean_ci ---------------------------------------------------------------------------------


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.5])
def test_mean_ci_refuses_confidence_outside_the_open_unit_interval(confidence):
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1.0, 2.0, 3.0], confidence)


def test_mean_ci_early_returns_are_nan_in_every_field():
    none = mean_ci([math.nan, math.nan])
    assert none.n == 0 and all_nan(none.mean, none.low, none.high, none.std)
    one = mean_ci([math.nan, 4.0])
    assert (one.mean, one.n) == (4.0, 1) and all_nan(one.low, one.high, one.std)


def test_none_counts_as_missing_like_nan():
    # values from Python rows (a KPI undefined in a run is None there) convert as pandas does
    assert mean_ci([1.0, None, 3.0]) == mean_ci([1.0, 3.0])
    a = share_ci([0.5, None, 0.7], trials=[100, 100, 100])
    assert a == share_ci([0.5, 0.7], trials=[100, 100])
    capped = share_ci([0.5, 0.7], trials=[5, None])  # an unknown denominator adds nothing
    assert capped == share_ci([0.5, 0.7], trials=[5, math.nan])
    assert (capped.low, capped.high) == pytest.approx(wilson(0.6, 5, st.t.ppf(0.975, 1)))
    d = paired_difference([1.0, None, 3.0, 4.0], [2.0, 5.0, None, 7.0])
    assert (d.n, d.mean_a, d.mean_b, d.diff) == (2, 2.5, 4.5, 2.0)


# wilson_interval -------------------------------------------------------------------------


def test_wilson_interval_has_no_interval_without_trials_or_a_share():
    assert all_nan(*wilson_interval(0.5, 0, 1.96))
    assert all_nan(*wilson_interval(0.5, -3, 1.96))
    assert all_nan(*wilson_interval(math.nan, 10, 1.96))


@pytest.mark.parametrize("n", [1.0, 0.4, 2.5])
def test_wilson_interval_with_an_effective_size_of_one_or_less(n):
    # effective sizes from the seed-to-seed variance can be small and non-integer
    assert wilson_interval(0.5, n, 1.96) == pytest.approx(wilson(0.5, n, 1.96), rel=1e-12)


def test_wilson_upper_end_stays_at_one_for_an_all_success_share():
    # (1 + z²/2n + z²/2n) / (1 + z²/n) rounds to 1.0000000000000002 for these n, z
    for n, z in [(20, 1.959964), (10, 1.2), (13, 1.0), (50, 1.644854)]:
        low, high = wilson_interval(1.0, n, z)
        assert high == 1.0 and 0.0 < low < 1.0


# share_ci --------------------------------------------------------------------------------


def test_share_ci_of_no_replication_has_nan_std():
    empty = share_ci([math.nan], trials=[10])
    assert empty.n == 0 and all_nan(empty.mean, empty.low, empty.high, empty.std)


def test_share_ci_of_one_replication_warns_about_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        one = share_ci([0.8], trials=[50])
        assert math.isnan(one.std)
        paired_difference([math.nan], [1.0])  # no pair: no "mean of empty slice"


@pytest.mark.parametrize("bad", [[1.2, 1.4, 1.3], [0.5, -0.1, 0.4]])
def test_share_ci_refuses_values_outside_0_1(bad):
    # a share of 1.3 used to be reported as 1.0 (clipped), with no interval
    with pytest.raises(ValueError, match=r"a proportion in \[0, 1\]; for a ratio .* use mean_ci"):
        share_ci(bad)


def test_share_ci_accepts_the_ends_of_0_1():
    none = share_ci([0.0, 0.0, 0.0], trials=[50, 50, 50])
    assert none.mean == 0.0 and none.low == 0.0
    assert none.high == pytest.approx(wilson(0.0, 150, st.t.ppf(0.975, 2))[1])
    every = share_ci([1.0, 0.98, 0.0])
    assert every.mean == pytest.approx(1.98 / 3)


# kpi_ci ----------------------------------------------------------------------------------


def runs_table():
    return pd.DataFrame(
        {
            "served_share": [1.0, 1.0, 0.96, 1.0, 0.989],
            "requests": [20, 25, 30, 20, 25],  # 120 riders: fewer than the seeds suggest
            "empty_km_share": [0.3, 0.35, 0.28, 0.32, 0.31],
            "wait_p95_s": [900.0, 950.0, 870.0, 1010.0, 930.0],
            "farebox_recovery_share": [1.2, 1.4, 1.3, 1.25, 1.35],
        }
    )


def test_kpi_ci_gives_shares_the_capped_wilson_interval_of_share_ci():
    runs = runs_table()
    got = kpi_ci("served_share", runs)
    want = share_ci(runs["served_share"], 0.95, runs["requests"])
    assert got == want
    assert want != share_ci(runs["served_share"], 0.95)  # the denominators matter here
    _, t_high = t_interval(runs["served_share"])
    assert t_high > 1.0 and got.high <= 1.0  # not the t-interval
    got90 = kpi_ci("served_share", runs, 0.9)
    assert got90 == share_ci(runs["served_share"], 0.9, runs["requests"]) != got


def test_kpi_ci_constant_share_uses_the_pooled_riders():
    runs = pd.DataFrame({"served_share": [1.0] * 5, "requests": [200] * 5})
    got = kpi_ci("served_share", runs)
    assert (got.low, got.high) == pytest.approx(wilson(1.0, 1000, st.t.ppf(0.975, 4)), rel=1e-12)


def test_kpi_ci_share_without_a_denominator_column():
    runs = runs_table()
    # empty_km_share has no per-run count; served_share without its "requests" column
    assert kpi_ci("empty_km_share", runs) == share_ci(runs["empty_km_share"])
    bare = runs.drop(columns="requests")
    assert kpi_ci("served_share", bare) == share_ci(bare["served_share"])


def test_kpi_ci_quantities_and_ratio_shares_get_t_intervals():
    runs = runs_table()
    for kpi in ("wait_p95_s", "farebox_recovery_share"):
        for confidence in (0.95, 0.8):
            m = kpi_ci(kpi, runs, confidence)
            assert m.mean == pytest.approx(runs[kpi].mean())
            assert (m.low, m.high) == pytest.approx(t_interval(runs[kpi], confidence), rel=1e-12)
    assert "farebox_recovery_share" in RATIO_SHARES
    assert kpi_ci("farebox_recovery_share", runs).mean == pytest.approx(1.3)  # not clipped at 1


def test_kpi_ci_default_confidence_is_95_percent():
    runs = runs_table()
    assert kpi_ci("wait_p95_s", runs) == kpi_ci("wait_p95_s", runs, 0.95)
    assert kpi_ci("served_share", runs) == kpi_ci("served_share", runs, 0.95)


# paired_difference -----------------------------------------------------------------------


def test_paired_difference_of_two_pairs_matches_scipy():
    a, b = np.array([10.0, 12.0]), np.array([9.0, 10.5])
    d = paired_difference(a, b)
    assert d.n == 2 and d.p_value == pytest.approx(st.ttest_rel(b, a).pvalue, rel=1e-12)
    assert (d.low, d.high) == pytest.approx(t_interval(b - a), rel=1e-12)
    d80 = paired_difference(a, b, 0.8)
    assert (d80.low, d80.high) == pytest.approx(t_interval(b - a, 0.8), rel=1e-12)


def test_paired_difference_drops_a_pair_when_either_side_is_nan():
    a = [10.0, math.nan, 14.0, 16.0, 11.0]
    b = [11.0, 30.0, math.nan, 18.0, 11.5]
    d = paired_difference(a, b)
    assert d.n == 3
    assert d.mean_a == pytest.approx((10 + 16 + 11) / 3)
    assert d.mean_b == pytest.approx((11 + 18 + 11.5) / 3)
    assert d.diff == pytest.approx(3.5 / 3)
    assert d.rel_change == pytest.approx(d.diff / d.mean_a)
    ok = [0, 3, 4]
    assert d.p_value == pytest.approx(
        st.ttest_rel(np.array(b)[ok], np.array(a)[ok]).pvalue, rel=1e-12
    )


def test_paired_difference_constant_nonzero_difference_is_certain():
    # every seed moves by exactly +2: the limit of the t-test (t -> inf) is p = 0
    d = paired_difference([1.0, 2.0, 3.0], [3.0, 4.0, 5.0])
    assert d.p_value == 0.0 and d.low == d.high == d.diff == 2.0


def test_paired_difference_with_a_zero_baseline_has_no_relative_change():
    d = paired_difference([0.0, 0.0, 0.0], [1.0, 2.0, 3.0])
    assert d.mean_a == 0.0 and d.diff == 2.0 and math.isnan(d.rel_change)


def test_paired_difference_of_one_pair_has_no_test():
    d = paired_difference([1.0], [3.0])
    assert (d.n, d.diff, d.mean_a, d.mean_b) == (1, 2.0, 1.0, 3.0)
    assert all_nan(d.p_value, d.low, d.high)
    none = paired_difference([math.nan], [1.0])
    assert none.n == 0 and all_nan(none.mean_a, none.mean_b, none.diff, none.p_value)


def test_paired_difference_needs_equal_lengths():
    with pytest.raises(ValueError, match=r"differ in length \(3 vs 2\); pair them by seed"):
        paired_difference([1.0, 2.0, 3.0], [1.0, 2.0])


# summarize_runs --------------------------------------------------------------------------


def test_summarize_runs_table_against_kpi_ci_per_group():
    runs = pd.DataFrame(
        {
            "fleet.size": [4, 4, 4, 2, 2, 2],
            "wait_p95_s": [5.0, 7.0, 6.5, 10.0, 12.0, 13.0],
            "served_share": [0.9, 0.95, 0.92, 0.7, 0.75, 0.8],
            "requests": [100, 100, 100, 100, 100, 100],
        }
    )
    table = summarize_runs(runs, "fleet.size", "wait_p95_s", confidence=0.9)
    assert list(table.columns) == ["fleet.size", "kpi", "mean", "ci_low", "ci_high", "n"]
    assert table["fleet.size"].tolist() == [2, 4]  # sorted groups, plain values
    assert table["kpi"].tolist() == ["wait_p95_s"] * 2
    for i, size in enumerate([2, 4]):
        x = runs.loc[runs["fleet.size"] == size, "wait_p95_s"]
        assert (table["ci_low"][i], table["ci_high"][i]) == pytest.approx(
            t_interval(x, 0.9), rel=1e-12
        )
    both = summarize_runs(runs, ["fleet.size"], ["served_share", "wait_p95_s"])
    assert both["kpi"].tolist() == ["served_share", "wait_p95_s"] * 2
    m = share_ci([0.7, 0.75, 0.8], 0.95, [100] * 3)
    assert (both["mean"][0], both["ci_low"][0], both["ci_high"][0]) == (m.mean, m.low, m.high)


def test_summarize_runs_by_two_columns_and_a_missing_group_value():
    runs = pd.DataFrame(
        {
            "fleet.size": [3, 3, 2, 2, 3, 3],
            "expansion.fleet_size": [1.0, 1.0, np.nan, np.nan, 0.0, 0.0],
            "wait_p95_s": [1.0, 3.0, 5.0, 7.0, 2.0, 4.0],
        }
    )
    table = summarize_runs(runs, ["fleet.size", "expansion.fleet_size"], "wait_p95_s")
    assert table["fleet.size"].tolist() == [2, 3, 3]
    assert table["expansion.fleet_size"].fillna(-1).tolist() == [-1, 0.0, 1.0]  # NaN kept
    assert table["mean"].tolist() == [6.0, 3.0, 2.0]


def test_summarize_runs_names_missing_columns():
    runs = pd.DataFrame({"fleet.size": [1, 2], "wait_p95_s": [1.0, 2.0]})
    with pytest.raises(KeyError, match=r"no column\(s\) \['wait_p96_s'\]; columns are"):
        summarize_runs(runs, "fleet.size", "wait_p96_s")
    with pytest.raises(KeyError, match=r"no column\(s\) \['size'\]"):
        summarize_runs(runs, "size", "wait_p95_s")


def test_summarize_runs_of_no_runs_is_an_empty_tidy_table():
    runs = pd.DataFrame({"fleet.size": [], "wait_p95_s": []})
    table = summarize_runs(runs, "fleet.size", "wait_p95_s")
    assert table.empty
    assert list(table.columns) == ["fleet.size", "kpi", "mean", "ci_low", "ci_high", "n"]


# interval_scope --------------------------------------------------------------------------


def scenario(trips: str, signals: str = "none", profile: str = ""):
    return SimpleNamespace(
        demand=SimpleNamespace(trips=trips),
        traffic=SimpleNamespace(signals=signals, profile=profile),
    )


def test_interval_scope_says_what_the_seeds_cover():
    drawn = interval_scope(scenario(""))
    assert drawn == (
        "the intervals cover the variation between seeds (simulated days): the demand drawn "
        "and rider choices"
    )
    for traffic in (scenario("", signals="webster"), scenario("", profile="am.csv")):
        assert interval_scope(traffic) == (
            "the intervals cover the variation between seeds (simulated days): the demand "
            "drawn, the day's traffic and rider choices"
        )
    replay = interval_scope(scenario("trips.csv"))
    assert replay == (
        "demand is replayed from 'trips.csv': every seed has the same requests, so the "
        "intervals cover only what differs between seeds (rider choices), not demand "
        "uncertainty; a zero-width interval means nothing random moved that KPI"
    )
    assert interval_scope(scenario("trips.csv", signals="fixed")) == replay.replace(
        "(rider choices)", "(rider choices and the day-to-day traffic)"
    )
