"""Means and confidence intervals over replications.

Shared by sweeps, fleet sizing, comparisons and the curves in
:mod:`idrt.plot`. NaN values (a KPI undefined in a run, such as the wait of
a run that served no one) are left out and the count ``n`` says how many
were used.

- Quantities (waits, km, occupancy): Student-t interval of the mean over
  seeds (:func:`mean_ci`).
- Shares (``*_share``, in [0, 1]; not the ratios of :data:`RATIO_SHARES`): a
  Wilson score interval (:func:`share_ci`), always inside [0, 1], with an effective sample size
  taken from the seed-to-seed variance (Korn & Graubard 1998): a t-interval
  where that is inside [0, 1], bending towards the bound near 0 and 1.

What an interval covers: the variation between seeds, i.e. between
simulated days (the demand drawn, the day's traffic, riders' choices). With
a replayed trip file the demand is the same on every seed, so the intervals
do not cover demand uncertainty, and are zero-width for any KPI that
nothing random moves (:func:`interval_scope` says which case a scenario is).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "RATIO_SHARES",
    "SHARE_DENOMINATORS",
    "MeanCI",
    "PairedDifference",
    "interval_scope",
    "kpi_ci",
    "mean_ci",
    "paired_difference",
    "share_ci",
    "summarize_runs",
    "wilson_interval",
]

SHARE_DENOMINATORS = {
    "served_share": "requests",
    "reject_share": "requests",
    "declined_share": "requests",
    "cancelled_share": "requests",
    "no_show_share": "requests",
    "shared_ride_share": "served",
    "missed_promise_share": "served",
    "late_pickup_share": "served",
}
"""Per-run count a share is a fraction of (a run-row column), where it is one."""

RATIO_SHARES = frozenset({"farebox_recovery_share"})
"""``*_share`` KPIs that are ratios of amounts, not proportions of riders: they
may exceed 1 (fare revenue above cost), so they get t-intervals, not Wilson."""


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
    from scipy import stats  # noqa: PLC0415 - scipy.stats: ~1.4 s to import

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


def wilson_interval(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed over ``n`` trials.

    ``n`` may be an effective (non-integer) sample size. Always within [0, 1].

    Examples
    --------
    >>> low, high = wilson_interval(1.0, 10, 1.96)
    >>> round(low, 3), high
    (0.722, 1.0)
    """
    if not n > 0 or math.isnan(p):
        return math.nan, math.nan
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denom
    half = z / denom * math.sqrt(max(p * (1.0 - p), 0.0) / n + z2 / (4.0 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def share_ci(
    values: Sequence[float] | np.ndarray,
    confidence: float = 0.95,
    trials: Sequence[float] | np.ndarray | None = None,
) -> MeanCI:
    """Mean of a share over replications with a Wilson interval inside [0, 1].

    The effective sample size is ``p(1 - p) / s²_mean`` (``s²_mean``: the
    variance of the mean over seeds), so the interval's width follows the
    seed-to-seed variation like a t-interval, but it never leaves [0, 1].
    With ``trials`` (each run's denominator, e.g. its requests) the
    effective size is at most their sum: the interval is never narrower
    than the binomial one of the pooled riders, also when every seed gives
    the same share. Without them, a zero variance counts each seed as one
    trial. The quantile is Student's t with ``n - 1`` degrees of freedom.

    Parameters
    ----------
    values
        One share (0–1) per replication; NaNs are ignored.
    confidence
        Coverage, in (0, 1).
    trials
        Optional per-replication denominators, aligned with ``values``.

    Raises
    ------
    ValueError
        On a value outside [0, 1] (a ratio such as farebox recovery takes
        :func:`mean_ci`) or ``confidence`` outside (0, 1).

    Examples
    --------
    >>> ci = share_ci([0.99, 1.0, 0.97, 1.0, 0.98])
    >>> 0 <= ci.low < ci.mean < ci.high <= 1
    True
    """
    if not 0.0 < confidence < 1.0:
        msg = f"confidence = {confidence}: must be in (0, 1), e.g. 0.95"
        raise ValueError(msg)
    x = np.asarray(values, dtype=float)
    ok = ~np.isnan(x)
    cap = math.inf
    if trials is not None:
        t = np.asarray(trials, dtype=float)[ok]
        cap = float(np.nansum(t)) if t.size else math.inf
    x = x[ok]
    n = int(x.size)
    if n == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0, math.nan)
    if x.min() < 0.0 or x.max() > 1.0:
        msg = (
            f"share values from {x.min():g} to {x.max():g}: a share is a proportion in "
            "[0, 1]; for a ratio that may exceed 1 use mean_ci"
        )
        raise ValueError(msg)
    p = float(x.mean())
    std = float(x.std(ddof=1)) if n >= 2 else math.nan
    if n < 2:
        if math.isinf(cap):
            return MeanCI(p, math.nan, math.nan, 1, math.nan)
        z = float(_normal_quantile(confidence))
        low, high = wilson_interval(p, cap, z)
        return MeanCI(p, low, high, 1, math.nan)
    var_mean = std * std / n
    n_eff = p * (1.0 - p) / var_mean if var_mean > 0 else math.inf
    n_eff = min(n_eff, cap)
    if math.isinf(n_eff):
        n_eff = float(n)
    low, high = wilson_interval(p, n_eff, _t_quantile(confidence, n - 1))
    return MeanCI(p, low, high, n, std)


def kpi_ci(kpi: str, runs: pd.DataFrame, confidence: float = 0.95) -> MeanCI:
    """The interval suited to a KPI column of run rows: Wilson for shares, t otherwise.

    Shares of :data:`RATIO_SHARES` (which may exceed 1) get t-intervals.
    """
    values = runs[kpi].to_numpy(float)
    if kpi.endswith("_share") and kpi not in RATIO_SHARES:
        column = SHARE_DENOMINATORS.get(kpi)
        trials = runs[column].to_numpy(float) if column in runs.columns else None
        return share_ci(values, confidence, trials)
    return mean_ci(values, confidence)


def interval_scope(scenario) -> str:
    """What the confidence intervals over this scenario's seeds cover, in one sentence."""
    traffic = scenario.traffic.signals != "none" or bool(scenario.traffic.profile)
    if scenario.demand.trips:
        also = " and the day-to-day traffic" if traffic else ""
        return (
            f"demand is replayed from {scenario.demand.trips!r}: every seed has the same "
            f"requests, so the intervals cover only what differs between seeds (rider choices"
            f"{also}), not demand uncertainty; a zero-width interval means nothing random "
            "moved that KPI"
        )
    return (
        "the intervals cover the variation between seeds (simulated days): the demand drawn"
        + (", the day's traffic" if traffic else "")
        + " and rider choices"
    )


def _normal_quantile(confidence: float) -> float:
    from scipy import stats  # noqa: PLC0415 - scipy.stats: ~1.4 s to import

    return float(stats.norm.ppf(0.5 + confidence / 2.0))


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
            from scipy import stats  # noqa: PLC0415 - scipy.stats: ~1.4 s to import

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
        ``n``; groups in sorted order. Shares get Wilson intervals inside
        [0, 1] (:func:`kpi_ci`).
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
            m = kpi_ci(kpi, group, confidence)
            rows.append(
                {**dict(zip(by, key, strict=True)), "kpi": kpi, "mean": m.mean,
                 "ci_low": m.low, "ci_high": m.high, "n": m.n}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=[*by, "kpi", "mean", "ci_low", "ci_high", "n"])
