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
