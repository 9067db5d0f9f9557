r"""Rider behaviour formulas: offer acceptance and cancellation while waiting.

One home for each formula the rider processes (:mod:`idrt.sim.riders`) use;
the configuration is :class:`idrt.scenario.BehaviourConfig` and every default
is explained, with its source, in ``docs/behaviour.md``.

Acceptance (``accept_model = "logit"``): a binary logit of accepting the
offer against walking away,

.. math:: P(\text{accept}) = \frac{1}{1 + e^{-U}}, \quad
          U = \text{asc} - \beta_w\, w - \beta_r\, r,

with ``w`` the quoted wait and ``r`` the quoted ride time in minutes.

Cancellation: a hazard (1/min) that is constant, ``h0``, until the quoted
pickup time ``q`` and grows linearly past it,

.. math:: h(t) = h_0 + g\,\max(0, t - q),

so the cumulative hazard from the acceptance time ``a`` is
``H(t) = h0 (t - a) + g/2 [max(0, t - q)^2 - max(0, a - q)^2]`` and a
cancellation time is drawn by inversion, ``H(T) = E`` with ``E ~ Exp(1)``.
"""

from __future__ import annotations

import math

import numpy as np

from idrt.scenario import BehaviourConfig

__all__ = ["accept_probability", "cancel_time", "cumulative_hazard"]


def accept_probability(quoted_wait_s: float, quoted_ride_s: float, cfg: BehaviourConfig) -> float:
    """Probability that a rider accepts an offer.

    Parameters
    ----------
    quoted_wait_s
        Request (or desired pickup) time to the quoted pickup, s.
    quoted_ride_s
        Quoted pickup to quoted drop-off, s.
    cfg
        The ``[behaviour]`` section.

    Returns
    -------
    float
        In [0, 1]: the logit probability, 0 or 1 for a threshold, 1 for ``"always"``.
    """
    if cfg.accept_model == "always":
        return 1.0
    if cfg.accept_model == "threshold":
        ok = quoted_wait_s <= cfg.accept_max_wait_s and quoted_ride_s <= cfg.accept_max_ride_s
        return 1.0 if ok else 0.0
    u = (
        cfg.accept_asc
        - cfg.accept_beta_wait_per_min * max(quoted_wait_s, 0.0) / 60.0
        - cfg.accept_beta_ride_per_min * max(quoted_ride_s, 0.0) / 60.0
    )
    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


def cumulative_hazard(
    t_s: float, accepted_s: float, quoted_s: float, cfg: BehaviourConfig
) -> float:
    """Cumulative cancellation hazard from acceptance to ``t_s`` (dimensionless)."""
    h0 = cfg.cancel_hazard_per_min / 60.0
    g = cfg.cancel_hazard_growth_per_min2 / 3600.0
    late_t = max(0.0, t_s - quoted_s)
    late_a = max(0.0, accepted_s - quoted_s)
    return h0 * (t_s - accepted_s) + 0.5 * g * (late_t**2 - late_a**2)


def cancel_time(
    rng: np.random.Generator, accepted_s: float, quoted_s: float, cfg: BehaviourConfig
) -> float:
    """Draw the time a waiting rider would cancel (absolute, s; ``inf`` for never).

    Parameters
    ----------
    rng
        The run's behaviour generator (one exponential draw).
    accepted_s
        Time the rider accepted the offer, s.
    quoted_s
        Quoted pickup time, s; the hazard grows past it.
    cfg
        The ``[behaviour]`` section.
    """
    e = float(rng.exponential())
    h0 = cfg.cancel_hazard_per_min / 60.0
    g = cfg.cancel_hazard_growth_per_min2 / 3600.0
    # phase 1: constant hazard until the quoted time
    flat = max(0.0, quoted_s - accepted_s)
    if h0 * flat >= e:
        return accepted_s + e / h0
    rest = e - h0 * flat
    start = max(accepted_s, quoted_s)
    x0 = start - quoted_s  # minutes late already at the start of phase 2, s
    # solve h0 x + g/2 ((x0 + x)^2 - x0^2) = rest for x >= 0
    a = 0.5 * g
    b = h0 + g * x0
    if a == 0.0:
        return start + rest / b if b > 0 else math.inf
    x = (-b + math.sqrt(b * b + 4.0 * a * rest)) / (2.0 * a)
    return start + x
