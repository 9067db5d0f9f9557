"""Delay at signalised intersections: HCM/Webster control delay and signal plans.

Control delay per vehicle is the sum of two terms (HCM 2016, ch. 19; the
Korean Highway Capacity Manual, KHCM 2013, uses the same form):

* **uniform delay** (Webster's first term, as in the HCM)::

      d1 = 0.5 C (1 - g/C)^2 / (1 - min(1, X) g/C)

  the delay of vehicles arriving at random within the cycle and queueing
  behind the red, with the queue cleared at saturation flow;
* **incremental delay** (random arrivals and oversaturation)::

      d2 = 900 T [(X - 1) + sqrt((X - 1)^2 + 8 k I X / (c T))]

  with analysis period ``T = 0.25`` h, ``k = 0.5`` (fixed-time or pretimed
  control), upstream filtering ``I = 1`` (isolated intersection) and lane-group
  capacity ``c = s g/C`` in veh/h (HCM 2016 eq. 19-19; KHCM 2013, signalised
  intersections).

Webster's optimum cycle ``C0 = (1.5 L + 5) / (1 - Y)`` (Webster 1958, Road
Research Technical Paper 39) and greens in proportion to the critical flow
ratios are the re-timing an adaptive controller applies
(:func:`webster_cycle_s`, :func:`webster_green_ratios`).

Expected versus realised delay: the functions above give the *expected*
delay, what a planner's router sees. :func:`sample_signal_delay_s` draws the
*realised* delay of one vehicle arriving at a uniformly random moment of the
cycle; its mean equals ``d1`` (exactly, for ``X <= 1``) plus the incremental
term, which it adds at its expected value.

Transit signal priority (green extension / early green) removes a share
``p`` of the wait caused by the red: the uniform term becomes ``(1 - p) d1``;
the incremental (overflow) queue is not cleared by priority and stays.

All functions are vectorised: array arguments broadcast against each other,
scalars give numpy scalars (0-d results are returned as ``float``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from idrt.errors import ScenarioError

__all__ = [
    "DEFAULT_MAX_CYCLE_S",
    "DEFAULT_MIN_CYCLE_S",
    "control_delay_s",
    "incremental_delay_s",
    "sample_signal_delay_s",
    "uniform_delay_s",
    "webster_cycle_s",
    "webster_green_ratios",
]

DEFAULT_MIN_CYCLE_S = 70.0
"""Shortest cycle an adaptive controller may choose (s).

Set by pedestrians: Korean practice gives a crossing ``7 s + crossing length /
1.0 m/s`` (KNPA traffic-signal manual), 27 s for the 20 m of a four-lane
road; with one crossing per phase, 3 s yellow and 2 s all-red each, two
phases need 2 x 32 = 64 s, so 70 s.
"""

DEFAULT_MAX_CYCLE_S = 180.0
"""Longest cycle (s); Webster's formula gives this for ``Y >= 1``.

Upper end of the cycle lengths used on urban arterials (Korean urban
arterials commonly run 120–180 s); delay rises again beyond it.
"""


# ------------------------------------------------------------ validation
def _array(value: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be a number or an array of numbers, got {value!r}"
        raise ScenarioError(msg) from None
    if not np.isfinite(arr).all():
        msg = f"{name} must be finite, got {_first_bad(arr, ~np.isfinite(arr))}"
        raise ScenarioError(msg)
    return arr


def _first_bad(arr: np.ndarray, bad: np.ndarray) -> str:
    return repr(float(np.atleast_1d(arr)[np.atleast_1d(bad)][0]))


def _check(arr: np.ndarray, ok: np.ndarray, name: str, rule: str) -> None:
    if not np.all(ok):
        msg = f"{name} = {_first_bad(arr, ~ok)} is invalid: {name} must be {rule}"
        raise ScenarioError(msg)


def _green_ratio(value: ArrayLike) -> NDArray[np.float64]:
    g = _array(value, "green_ratio")
    _check(
        g,
        (g > 0.0) & (g < 1.0),
        "green_ratio",
        "in (0, 1) (effective green / cycle); e.g. 0.45 for 54 s of green in a 120 s cycle",
    )
    return g


def _out(result: np.ndarray) -> Any:
    return float(result) if result.ndim == 0 else result


# ------------------------------------------------------------ the terms
def uniform_delay_s(cycle_s: ArrayLike, green_ratio: ArrayLike, x: ArrayLike) -> Any:
    """Uniform (first-term) control delay per vehicle, in seconds.

    ``d1 = 0.5 C (1 - g/C)^2 / (1 - min(1, X) g/C)`` (Webster 1958; HCM 2016
    eq. 19-20; KHCM 2013).

    Parameters
    ----------
    cycle_s : float or array_like
        Cycle length C in seconds, > 0.
    green_ratio : float or array_like
        Effective green ratio g/C, in (0, 1).
    x : float or array_like
        Degree of saturation X = v/c of the lane group, >= 0; values above 1
        are capped at 1 (the oversaturation delay is in the incremental term).

    Returns
    -------
    float or numpy.ndarray
        Delay in seconds per vehicle, broadcast over the arguments.

    Raises
    ------
    ScenarioError
        A non-positive cycle, g/C outside (0, 1), or a negative X.

    Examples
    --------
    >>> round(uniform_delay_s(120.0, 0.5, 0.0), 6)
    15.0
    >>> round(uniform_delay_s(120.0, 0.5, 1.0), 6)
    30.0
    """
    c = _array(cycle_s, "cycle_s")
    _check(c, c > 0.0, "cycle_s", "> 0 seconds")
    g = _green_ratio(green_ratio)
    xa = _array(x, "x")
    _check(xa, xa >= 0.0, "x", ">= 0 (degree of saturation v/c)")
    return _out(_uniform(c, g, xa))


def _uniform(c: np.ndarray, g: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 0.5 * c * (1.0 - g) ** 2 / (1.0 - np.minimum(1.0, x) * g)


def incremental_delay_s(
    x: ArrayLike,
    capacity_vph: ArrayLike,
    *,
    period_h: float = 0.25,
    k: float = 0.5,
    upstream_i: float = 1.0,
) -> Any:
    """Incremental (random and oversaturation) delay per vehicle, in seconds.

    ``d2 = 900 T [(X - 1) + sqrt((X - 1)^2 + 8 k I X / (c T))]``
    (HCM 2016 eq. 19-19, without initial queue; KHCM 2013).

    Parameters
    ----------
    x : float or array_like
        Degree of saturation X = v/c, >= 0 (not capped: X > 1 is the
        oversaturation delay over the analysis period).
    capacity_vph : float or array_like
        Lane-group capacity c = s g/C in veh/h, > 0.
    period_h : float
        Analysis period T in hours (HCM default 0.25 h).
    k : float
        Incremental-delay factor for the controller type: 0.5 for fixed-time
        (pretimed) and for actuated control near saturation (HCM).
    upstream_i : float
        Upstream filtering/metering factor I in (0, 1]; 1 for an isolated
        intersection (HCM).

    Returns
    -------
    float or numpy.ndarray
        Delay in seconds per vehicle; 0 when X = 0.

    Raises
    ------
    ScenarioError
        A negative X, a non-positive capacity, period or k, or I outside (0, 1].

    Examples
    --------
    >>> round(incremental_delay_s(0.0, 900.0), 9)
    0.0
    """
    xa = _array(x, "x")
    _check(xa, xa >= 0.0, "x", ">= 0 (degree of saturation v/c)")
    cap = _array(capacity_vph, "capacity_vph")
    _check(cap, cap > 0.0, "capacity_vph", "> 0 veh/h (saturation flow x g/C x lanes)")
    _check_scalars(period_h=period_h, k=k, upstream_i=upstream_i)
    return _out(_incremental(xa, cap, period_h, k, upstream_i))


def _check_scalars(*, period_h: float, k: float, upstream_i: float) -> None:
    for name, value, ok, rule in (
        ("period_h", period_h, period_h > 0.0, "> 0 hours (HCM: 0.25)"),
        ("k", k, k > 0.0, "> 0 (HCM: 0.5 for fixed-time control)"),
        ("upstream_i", upstream_i, 0.0 < upstream_i <= 1.0, "in (0, 1] (1: isolated)"),
    ):
        if not (np.isfinite(value) and ok):
            msg = f"{name} = {value!r} is invalid: {name} must be {rule}"
            raise ScenarioError(msg)


def _incremental(
    x: np.ndarray, cap: np.ndarray, period_h: float, k: float, upstream_i: float
) -> np.ndarray:
    a = x - 1.0
    b = 8.0 * k * upstream_i * x / (cap * period_h)
    root = np.sqrt(a * a + b)
    # a + root loses every digit to cancellation when a ~ -1 and b is tiny;
    # for a < 0 use the equal b / (root - a) (multiply by the conjugate).
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(a < 0.0, b / (root - a), a + root)
    return 900.0 * period_h * term


def combine_delay_s(uniform_s: Any, incremental_s: Any, red_share_removed: Any = 0.0) -> Any:
    """The control delay from its parts: ``(1 - p) d1 + d2``, in seconds.

    The one place the two HCM terms and the priority share meet; every
    expected or realised signal delay in idrt goes through it.

    Parameters
    ----------
    uniform_s
        Uniform delay ``d1`` (or a realised red wait), s; arrays broadcast.
    incremental_s
        Incremental delay ``d2``, s.
    red_share_removed
        Share ``p`` in [0, 1] of the red wait removed by bus priority.

    Examples
    --------
    >>> combine_delay_s(20.0, 3.0, 0.25)
    18.0
    """
    return (1.0 - red_share_removed) * uniform_s + incremental_s


def control_delay_s(
    cycle_s: ArrayLike,
    green_ratio: ArrayLike,
    x: ArrayLike,
    capacity_vph: ArrayLike,
    *,
    red_share_removed: ArrayLike = 0.0,
    period_h: float = 0.25,
    k: float = 0.5,
    upstream_i: float = 1.0,
) -> Any:
    """Expected control delay per vehicle ``(1 - p) d1 + d2``, in seconds.

    Parameters
    ----------
    cycle_s, green_ratio, x
        As in :func:`uniform_delay_s`.
    capacity_vph
        Lane-group capacity in veh/h, as in :func:`incremental_delay_s`.
    red_share_removed : float or array_like
        Share ``p`` in [0, 1] of the red wait removed by transit signal
        priority; 0 for general traffic.
    period_h, k, upstream_i
        As in :func:`incremental_delay_s`.

    Returns
    -------
    float or numpy.ndarray
        Delay in seconds per vehicle.

    Examples
    --------
    >>> round(control_delay_s(120.0, 0.5, 0.0, 900.0), 6)
    15.0
    """
    d1 = uniform_delay_s(cycle_s, green_ratio, x)
    d2 = incremental_delay_s(x, capacity_vph, period_h=period_h, k=k, upstream_i=upstream_i)
    p = _red_share(red_share_removed)
    return _out(np.asarray(combine_delay_s(d1, d2, p)))


def _red_share(value: ArrayLike) -> NDArray[np.float64]:
    p = _array(value, "red_share_removed")
    _check(p, (p >= 0.0) & (p <= 1.0), "red_share_removed", "in [0, 1] (share of red wait)")
    return p


# ----------------------------------------------------------- signal plans
def webster_cycle_s(
    lost_time_s: ArrayLike,
    flow_ratio_sum_y: ArrayLike,
    *,
    min_cycle_s: float = DEFAULT_MIN_CYCLE_S,
    max_cycle_s: float = DEFAULT_MAX_CYCLE_S,
) -> Any:
    """Webster's optimum cycle ``C0 = (1.5 L + 5) / (1 - Y)``, clipped, in seconds.

    Parameters
    ----------
    lost_time_s : float or array_like
        Total lost time per cycle L in seconds (lost time per phase times the
        number of phases), >= 0.
    flow_ratio_sum_y : float or array_like
        Sum Y of the critical flow ratios ``y_i = v_i / s_i`` of the phases,
        >= 0. ``Y >= 1`` (no cycle can serve the flows) gives ``max_cycle_s``.
    min_cycle_s, max_cycle_s : float
        Range the result is clipped to (defaults
        :data:`DEFAULT_MIN_CYCLE_S`, :data:`DEFAULT_MAX_CYCLE_S`).

    Returns
    -------
    float or numpy.ndarray
        Cycle length in seconds.

    Examples
    --------
    >>> round(webster_cycle_s(8.0, 0.8), 9)
    85.0
    >>> webster_cycle_s(8.0, 1.2)
    180.0
    """
    lost = _array(lost_time_s, "lost_time_s")
    _check(lost, lost >= 0.0, "lost_time_s", ">= 0 seconds")
    y = _array(flow_ratio_sum_y, "flow_ratio_sum_y")
    _check(y, y >= 0.0, "flow_ratio_sum_y", ">= 0 (sum of v/s of the critical movements)")
    if not (0.0 < min_cycle_s <= max_cycle_s < np.inf):
        msg = (
            f"min_cycle_s = {min_cycle_s!r}, max_cycle_s = {max_cycle_s!r}: need "
            "0 < min_cycle_s <= max_cycle_s (seconds), e.g. 70 and 180"
        )
        raise ScenarioError(msg)
    return _out(_webster_cycle(lost, y, min_cycle_s, max_cycle_s))


def _webster_cycle(lost: np.ndarray, y: np.ndarray, lo: float, hi: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        c0 = np.where(y < 1.0, (1.5 * lost + 5.0) / np.maximum(1.0 - y, 1e-300), np.inf)
    return np.clip(c0, lo, hi)


def webster_green_ratios(
    flow_ratios: ArrayLike,
    cycle_s: ArrayLike,
    lost_time_s: ArrayLike,
    *,
    min_green_s: float = 0.0,
) -> NDArray[np.float64]:
    """Effective green ratios of the phases in proportion to their flow ratios.

    Each phase gets ``min_green_s`` and the rest of the effective green
    ``C - L - n min_green`` in proportion to its critical flow ratio ``y_i``
    (Webster's equal-saturation split when ``min_green_s = 0``: every phase
    then runs at the same degree of saturation ``X = Y C / (C - L)``). With
    all ``y_i = 0`` the green is split equally.

    Parameters
    ----------
    flow_ratios : array_like, shape (..., n_phases)
        Critical flow ratio ``v / s`` of each phase, >= 0.
    cycle_s, lost_time_s : float or array_like, shape (...)
        Cycle C and total lost time L in seconds.
    min_green_s : float
        Minimum effective green per phase in seconds.

    Returns
    -------
    numpy.ndarray, shape (..., n_phases)
        g_i / C of every phase.

    Raises
    ------
    ScenarioError
        Negative flow ratios, or a cycle too short for the lost time and the
        minimum greens.

    Examples
    --------
    >>> webster_green_ratios([0.3, 0.1], 68.0, 8.0).round(4).tolist()
    [0.6618, 0.2206]
    """
    y = _array(flow_ratios, "flow_ratios")
    if y.ndim == 0:
        msg = "flow_ratios needs one value per phase (last axis), got a scalar"
        raise ScenarioError(msg)
    _check(y, y >= 0.0, "flow_ratios", ">= 0 (v/s of each phase)")
    c = _array(cycle_s, "cycle_s")[..., None]
    lost = _array(lost_time_s, "lost_time_s")[..., None]
    n = y.shape[-1]
    spare = c - lost - n * float(min_green_s)
    if min_green_s < 0 or not np.all(spare > 0.0):
        msg = (
            f"cycle_s leaves no green: need cycle_s > lost_time_s + {n} x min_green_s "
            f"(min_green_s = {min_green_s!r}); lengthen the cycle or shorten the lost time"
        )
        raise ScenarioError(msg)
    return _green_split(y, c, lost, float(min_green_s))


def _green_split(y: np.ndarray, c: np.ndarray, lost: np.ndarray, min_green: float) -> np.ndarray:
    n = y.shape[-1]
    total = y.sum(axis=-1, keepdims=True)
    share = np.where(total > 0.0, y / np.where(total > 0.0, total, 1.0), 1.0 / n)
    return (min_green + (c - lost - n * min_green) * share) / c


# -------------------------------------------------------- realised delay
def sample_signal_delay_s(
    rng: np.random.Generator,
    cycle_s: ArrayLike,
    green_ratio: ArrayLike,
    x: ArrayLike = 0.0,
    *,
    incremental_s: ArrayLike = 0.0,
    red_share_removed: ArrayLike = 0.0,
    size: int | tuple[int, ...] | None = None,
) -> Any:
    """Realised signal delay of vehicles arriving at random moments of the cycle.

    A vehicle arriving ``t = u C`` seconds after the start of red (``u``
    uniform in [0, 1)) waits for the rest of the red and for the queue ahead
    of it to discharge; with arrivals at flow ratio ``y = min(1, X) g/C`` of
    the saturation flow (deterministic queueing) its delay is::

        max(0, r - u C (1 - y)),    r = C (1 - g/C)

    whose mean over ``u`` is exactly ``d1`` of :func:`uniform_delay_s`. Priority
    multiplies it by ``1 - red_share_removed``; ``incremental_s`` (the
    expected ``d2``, overflow queue) is added as it is.

    Parameters
    ----------
    rng : numpy.random.Generator
        The run's random generator (never the global one).
    cycle_s, green_ratio, x
        As in :func:`uniform_delay_s`; arrays broadcast together.
    incremental_s : float or array_like
        Incremental delay to add (seconds), usually the expected ``d2``.
    red_share_removed : float or array_like
        Share of the red wait removed by transit signal priority, in [0, 1].
    size : int or tuple of int, optional
        Number of draws; default the broadcast shape of the arguments.

    Returns
    -------
    float or numpy.ndarray
        Realised delay in seconds per vehicle, >= 0.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = sample_signal_delay_s(rng, 120.0, 0.5, 0.6, size=200_000)
    >>> bool(abs(d.mean() - uniform_delay_s(120.0, 0.5, 0.6)) < 0.1)
    True
    """
    if not isinstance(rng, np.random.Generator):
        msg = f"rng must be a numpy.random.Generator (the run's generator), got {rng!r}"
        raise ScenarioError(msg)
    c = _array(cycle_s, "cycle_s")
    _check(c, c > 0.0, "cycle_s", "> 0 seconds")
    g = _green_ratio(green_ratio)
    xa = _array(x, "x")
    _check(xa, xa >= 0.0, "x", ">= 0 (degree of saturation v/c)")
    d2 = _array(incremental_s, "incremental_s")
    _check(d2, d2 >= 0.0, "incremental_s", ">= 0 seconds")
    p = _red_share(red_share_removed)
    shape = np.broadcast_shapes(c.shape, g.shape, xa.shape, d2.shape, p.shape)
    if size is not None:
        shape = np.broadcast_shapes(shape, (size,) if isinstance(size, int) else tuple(size))
    u = rng.random(shape)
    return _out(_realised(u, c, g, xa, d2, p))


def _realised(
    u: np.ndarray, c: np.ndarray, g: np.ndarray, x: np.ndarray, d2: np.ndarray, p: np.ndarray
) -> np.ndarray:
    red = c * (1.0 - g)
    y = np.minimum(1.0, x) * g
    return combine_delay_s(np.maximum(0.0, red - u * c * (1.0 - y)), d2, p)
