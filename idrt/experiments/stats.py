"""Means and confidence intervals over replications (Student's t).

Shared by fleet sizing, comparisons and the curves in :mod:`idrt.plot`. NaN
values (a KPI undefined in a run, such as the wait of a run that served no
one) are left out and the count ``n`` says how many were used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["MeanCI", "PairedDifference", "mean_ci", "paired_difference", "summarize_runs"]


class MeanCI(NamedTuple):
    """A sample mean with its confidence interval.

    Attributes
    ----------
    mean, low, high : float
        Mean and the bounds of its two-sided t-interval (NaN bounds when
        ``n < 2``).
    n : int
        Non-NaN values used.
    std : float
        Sample standard deviation (``ddof=1``).
    """

    mean: float
    low: float
    high: float
    n: int
    std: float


class PairedDifference(NamedTuple):
    """Mean of B minus A over paired replications (same seeds).

    Attributes
    ----------
    mean_a, mean_b : float
        Means of A and B over the pairs where both are defined.
    diff, low, high : float
        Mean paired difference ``B - A`` and its t-interval.
    rel_change : float
        ``diff / mean_a`` (NaN when ``mean_a`` is 0).
    p_value : float
        Two-sided paired t-test of a zero mean difference (NaN when
        ``n < 2``; 1 when every difference is 0).
    n : int
        Pairs used.
    """

    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    rel_change: float
    p_value: float
    n: int


def _t_quantile(confidence: float, dof: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2.0, dof))


def mean_ci(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> MeanCI:
    """Mean and two-sided Student-t confidence interval of replications.

    Parameters
    ----------
    values
        One value per replication; NaNs are ignored.
    confidence
        Coverage of the interval, in (0, 1).

    Returns
    -------
    MeanCI

    Examples
    --------
    >>> m = mean_ci([10.0, 12.0, 11.0, 13.0, 9.0])
    >>> round(m.mean, 3), round(m.high - m.mean, 3)
    (11.0, 1.963)
    """
    if not 0.0 < confidence < 1.0:
        msg = f"confidence = {confidence}: must be in (0, 1), e.g. 0.95"
        raise ValueError(msg)
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0, math.nan)
    mean = float(x.mean())
    if n < 2:
        return MeanCI(mean, math.nan, math.nan, 1, math.nan)
    std = float(x.std(ddof=1))
    half = _t_quantile(confidence, n - 1) * std / math.sqrt(n)
    return MeanCI(mean, mean - half, mean + half, n, std)


def paired_difference(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
) -> PairedDifference:
    """Mean paired difference ``b - a`` with its t-interval (common random numbers).

    ``a[i]`` and ``b[i]`` must come from the same seed; pairs where either is
    NaN are dropped.
    """
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape:
        msg = f"paired samples differ in length ({x.size} vs {y.size}); pair them by seed"
        raise ValueError(msg)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    d = mean_ci(y - x, confidence)
    mean_a = float(x.mean()) if x.size else math.nan
    mean_b = float(y.mean()) if y.size else math.nan
    rel = d.mean / mean_a if mean_a else math.nan
    p = math.nan
    if d.n >= 2:
        if d.std == 0:
            p = 1.0 if d.mean == 0 else 0.0
        else:
            from scipy import stats

            t = d.mean / (d.std / math.sqrt(d.n))
            p = float(2.0 * stats.t.sf(abs(t), d.n - 1))
    return PairedDifference(mean_a, mean_b, d.mean, d.low, d.high, rel, p, d.n)


def summarize_runs(
    runs: pd.DataFrame,
    by: str | Sequence[str],
    kpis: str | Sequence[str],
    *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean and confidence interval of KPIs per group of runs.

    Parameters
    ----------
    runs
        One row per run (as :func:`idrt.sweep` returns).
    by
        Column(s) that define a group, e.g. ``"fleet.size"``.
    kpis
        KPI column(s), e.g. ``["wait_p50_s", "wait_p95_s"]``.
    confidence
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        Tidy: the ``by`` columns, ``kpi``, ``mean``, ``ci_low``, ``ci_high``,
        ``n``; groups in sorted order.
    """
    by = [by] if isinstance(by, str) else list(by)
    kpis = [kpis] if isinstance(kpis, str) else list(kpis)
    missing = [c for c in [*by, *kpis] if c not in runs.columns]
    if missing:
        msg = f"runs have no column(s) {missing}; columns are {list(runs.columns)}"
        raise KeyError(msg)
    rows = []
    for key, group in runs.groupby(by, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        for kpi in kpis:
            m = mean_ci(group[kpi].to_numpy(float), confidence)
            rows.append(
                {**dict(zip(by, key, strict=True)), "kpi": kpi, "mean": m.mean,
                 "ci_low": m.low, "ci_high": m.high, "n": m.n}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=[*by, "kpi", "mean", "ci_low", "ci_high", "n"])
