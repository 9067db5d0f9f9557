from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from idrt.experiments import mean_ci, paired_difference, summarize_runs


def test_mean_ci_matches_scipy_t_interval():
    x = np.array([3.1, 2.4, 5.0, 4.2, 3.3, 3.9])
    m = mean_ci(x, 0.95)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert m.mean == pytest.approx(x.mean())
    assert (m.low, m.high) == pytest.approx((low, high))
    assert m.n == 6


def test_mean_ci_ignores_nan_and_handles_tiny_samples():
    m = mean_ci([1.0, float("nan"), 3.0])
    assert m.n == 2 and m.mean == 2.0
    one = mean_ci([4.0])
    assert one.mean == 4.0 and math.isnan(one.low) and one.n == 1
    none = mean_ci([])
    assert none.n == 0 and math.isnan(none.mean)
    with pytest.raises(ValueError, match="confidence"):
        mean_ci([1, 2], confidence=95)


def test_paired_difference_matches_paired_t_test():
    rng = np.random.default_rng(1)
    a = rng.normal(10, 2, 12)
    b = a + rng.normal(-1, 0.3, 12)
    d = paired_difference(a, b)
    assert d.diff == pytest.approx((b - a).mean())
    assert d.p_value == pytest.approx(stats.ttest_rel(b, a).pvalue)
    assert d.low < d.diff < d.high < 0
    assert d.rel_change == pytest.approx(d.diff / a.mean())
    same = paired_difference(a, a)
    assert same.diff == 0 and same.p_value == 1.0 and same.low == same.high == 0


def test_summarize_runs_is_tidy():
    runs = pd.DataFrame({"fleet.size": [2, 2, 4, 4], "wait_p95_s": [10.0, 12.0, 5.0, 7.0]})
    table = summarize_runs(runs, "fleet.size", ["wait_p95_s"])
    assert list(table.columns) == ["fleet.size", "kpi", "mean", "ci_low", "ci_high", "n"]
    assert table["mean"].tolist() == [11.0, 6.0]
    assert table["n"].tolist() == [2, 2]


def test_wilson_interval_matches_the_textbook_values():
    from idrt.experiments.stats import wilson_interval

    # Newcombe (1998), table I: 81/263 -> [0.2553, 0.3662]; 0/10 -> [0, 0.2775] (z = 1.96)
    low, high = wilson_interval(81 / 263, 263, 1.959964)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = wilson_interval(0.0, 10, 1.959964)
    assert low == 0.0 and round(high, 4) == 0.2775


def test_share_intervals_stay_inside_0_1_where_t_intervals_do_not():
    from idrt.experiments.stats import share_ci

    served = [1.0, 1.0, 0.96, 1.0, 0.989]  # like the report's 98.9 % [96.8 %, 101.0 %]
    t = mean_ci(served)
    assert t.high > 1.0  # the old interval left [0, 1]
    w = share_ci(served, trials=[700] * 5)
    assert 0.0 <= w.low < w.mean < w.high <= 1.0
    assert w.mean == pytest.approx(t.mean)
    # width follows the seed-to-seed variance like a t-interval away from the bounds
    mid = [0.52, 0.48, 0.55, 0.45, 0.50]
    assert share_ci(mid).high - share_ci(mid).low == pytest.approx(
        mean_ci(mid).high - mean_ci(mid).low, rel=0.05
    )
    # no variation: never narrower than the pooled riders' binomial interval
    same = share_ci([1.0] * 5, trials=[200] * 5)
    assert same.high == 1.0 and 0.99 < same.low < 1.0
    assert share_ci([1.0] * 5).low < same.low  # without counts: each seed one trial


def test_run_options_merge_and_check():
    from idrt.experiments import ExperimentError, RunOptions
    from idrt.experiments.options import resolve_options

    base = RunOptions(workers=2, progress=False)
    assert resolve_options(base, workers=0, client=None).workers == 0
    assert resolve_options(base).progress is False
    assert resolve_options(None, timeout_s=3).timeout_s == 3
    for bad in ({"workers": -1}, {"workers": True}, {"timeout_s": 0}, {"worker_idle_s": -5}):
        with pytest.raises(ExperimentError):
            RunOptions(**bad)
    with pytest.raises(ExperimentError, match="RunOptions"):
        resolve_options({"workers": 2})
