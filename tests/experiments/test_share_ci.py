"""``share_ci`` against a Wilson interval written out here, in every branch.

Written to kill the mutants of ``benchmarks/mutation.sh`` that survived in
``stats.share_ci``: the single-replication branch, the t quantile with
``n - 1`` degrees of freedom, NaN handling with aligned denominators, and the
bounds of ``confidence``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as st

from idrt.experiments.stats import share_ci


def wilson(p: float, n: float, z: float) -> tuple[float, float]:
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denom
    half = z / denom * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def test_one_replication_with_its_denominator_is_the_binomial_wilson_interval():
    ci = share_ci([0.9], trials=[200])
    low, high = wilson(0.9, 200, st.norm.ppf(0.975))
    assert (ci.mean, ci.n) == (0.9, 1) and math.isnan(ci.std)
    assert ci.low == pytest.approx(low, rel=1e-9) and ci.high == pytest.approx(high, rel=1e-9)
    ci90 = share_ci([0.9], confidence=0.9, trials=[200])
    assert ci90.low == pytest.approx(wilson(0.9, 200, st.norm.ppf(0.95))[0], rel=1e-9)


def test_one_replication_without_a_denominator_has_no_interval():
    ci = share_ci([0.4])
    assert ci.mean == 0.4 and ci.n == 1
    assert math.isnan(ci.low) and math.isnan(ci.high) and math.isnan(ci.std)


def test_two_replications_use_student_t_with_one_degree_of_freedom():
    x = np.array([0.6, 0.8])
    ci = share_ci(x)
    p, s = x.mean(), x.std(ddof=1)
    n_eff = p * (1 - p) / (s * s / 2)
    low, high = wilson(p, n_eff, st.t.ppf(0.975, 1))
    assert ci.low == pytest.approx(low, rel=1e-9) and ci.high == pytest.approx(high, rel=1e-9)
    assert (ci.n, ci.std) == (2, pytest.approx(s))
    # the pooled riders cap the effective size: 20 riders in all give a wider interval
    capped = share_ci(x, trials=[10, 10])
    assert capped.low == pytest.approx(wilson(p, 20, st.t.ppf(0.975, 1))[0], rel=1e-9)


def test_nan_replications_drop_with_their_denominators():
    a = share_ci([0.5, np.nan, 0.7, 0.6], trials=[100, 5, 100, 100])
    b = share_ci([0.5, 0.7, 0.6], trials=[100, 100, 100])
    assert (a.mean, a.low, a.high, a.n) == (b.mean, b.low, b.high, b.n)
    empty = share_ci([np.nan, np.nan])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.mean, empty.low, empty.high))


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_confidence_must_lie_strictly_between_zero_and_one(confidence):
    with pytest.raises(ValueError, match="confidence"):
        share_ci([0.5, 0.6], confidence=confidence)
