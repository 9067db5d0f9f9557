"""Signal delay formulas against hand-computed values and their properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idrt.errors import ScenarioError
from idrt.traffic import (
    control_delay_s,
    incremental_delay_s,
    sample_signal_delay_s,
    uniform_delay_s,
    webster_cycle_s,
    webster_green_ratios,
)
from idrt.traffic.delay import DEFAULT_MAX_CYCLE_S, DEFAULT_MIN_CYCLE_S, _realised

# (C s, g/C, X, d1 s): d1 = 0.5 C (1 - g/C)^2 / (1 - min(1, X) g/C), by hand
D1_CASES = [
    (120.0, 0.5, 0.0, 15.0),  # 0.5*120*0.25 / 1
    (120.0, 0.5, 0.5, 20.0),  # 15 / (1 - 0.25)
    (90.0, 0.4, 0.8, 16.2 / 0.68),  # 0.5*90*0.36 = 16.2; 1 - 0.32 = 0.68
    (60.0, 0.3, 0.9, 14.7 / 0.73),  # 0.5*60*0.49 = 14.7; 1 - 0.27 = 0.73
    (120.0, 0.45, 1.0, 33.0),  # 0.5*120*0.3025 / 0.55 = 18.15 / 0.55
    (120.0, 0.45, 1.3, 33.0),  # X >= 1 is capped at 1 in d1
    (150.0, 0.25, 2.5, 56.25),  # 0.5*150*0.5625 / 0.75 = 42.1875 / 0.75
]

# (X, c veh/h, d2 s) with T = 0.25 h, k = 0.5, I = 1: 225 [(X-1) + sqrt((X-1)^2 + 16X/c)]
D2_CASES = [
    (0.0, 900.0, 0.0),
    (0.5, 900.0, 1.98253142),  # 225 (-0.5 + sqrt(0.25 + 2/225))
    (1.0, 1800.0, 21.2132034),  # 225 sqrt(4/450)
    (1.2, 1000.0, 99.7448628),  # 225 (0.2 + sqrt(0.04 + 0.0192))
    (2.0, 800.0, 454.455878),  # 225 (1 + sqrt(1.04))
]


@pytest.mark.parametrize(("cycle", "g", "x", "expected"), D1_CASES)
def test_uniform_delay_hand_values(cycle, g, x, expected):
    assert uniform_delay_s(cycle, g, x) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("x", "cap", "expected"), D2_CASES)
def test_incremental_delay_hand_values(x, cap, expected):
    assert incremental_delay_s(x, cap) == pytest.approx(expected, rel=1e-8, abs=1e-12)


def test_incremental_delay_parameters_enter_as_in_the_hcm():
    # k = 0.25, I = 0.5, T = 1 h, X = 1: 900 sqrt(8*0.25*0.5/(c)) with c = 1000
    assert incremental_delay_s(1.0, 1000.0, period_h=1.0, k=0.25, upstream_i=0.5) == (
        pytest.approx(900.0 * math.sqrt(1.0 / 1000.0), rel=1e-12)
    )


def test_control_delay_is_d1_plus_d2_and_priority_removes_red_share():
    cycle, g, x, cap = 120.0, 0.45, 1.0, 1800.0 * 2 * 0.45
    d1 = 33.0
    d2 = 225.0 * math.sqrt(16.0 / cap)
    assert control_delay_s(cycle, g, x, cap) == pytest.approx(d1 + d2, rel=1e-12)
    assert control_delay_s(cycle, g, x, cap, red_share_removed=0.3) == pytest.approx(
        0.7 * d1 + d2, rel=1e-12
    )


def test_vectorised_over_arrays():
    cycles, gs, xs, expected = (np.array(col) for col in zip(*D1_CASES, strict=True))
    np.testing.assert_allclose(uniform_delay_s(cycles, gs, xs), expected, rtol=1e-12)
    x, cap, d2 = (np.array(col) for col in zip(*D2_CASES, strict=True))
    np.testing.assert_allclose(incremental_delay_s(x, cap), d2, rtol=1e-8, atol=1e-12)
    assert isinstance(uniform_delay_s(120.0, 0.5, 0.2), float)


_cycle = st.floats(20.0, 240.0)
_green = st.floats(0.02, 0.98)
_cap = st.floats(50.0, 8000.0)
_x = st.floats(0.0, 4.0)


@settings(max_examples=300, deadline=None)
@given(cycle=_cycle, g=_green, cap=_cap, x1=_x, x2=_x)
def test_delay_non_negative_and_monotone_in_x(cycle, g, cap, x1, x2):
    lo, hi = min(x1, x2), max(x1, x2)
    for f in (
        lambda x: uniform_delay_s(cycle, g, x),
        lambda x: incremental_delay_s(x, cap),
        lambda x: control_delay_s(cycle, g, x, cap),
    ):
        d_lo, d_hi = f(lo), f(hi)
        assert d_lo >= 0.0
        assert d_hi >= d_lo - 1e-9 * max(1.0, d_hi)


@settings(max_examples=100, deadline=None)
@given(cycle=_cycle, g=_green, x=_x, cap=_cap)
def test_d2_stable_formula_matches_direct_formula(cycle, g, x, cap):
    a, b = x - 1.0, 16.0 * x / cap
    direct = 225.0 * (a + math.sqrt(a * a + b))
    assert incremental_delay_s(x, cap) == pytest.approx(direct, rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------- Webster
@pytest.mark.parametrize(
    ("lost", "y", "expected"),
    [
        (8.0, 0.5, DEFAULT_MIN_CYCLE_S),  # (12 + 5) / 0.5 = 34, clipped up
        (10.0, 0.75, 80.0),  # (15 + 5) / 0.25
        (16.0, 0.7, 29.0 / 0.3),  # (24 + 5) / 0.3 = 96.67
        (8.0, 0.95, DEFAULT_MAX_CYCLE_S),  # 17 / 0.05 = 340, clipped
        (8.0, 1.0, DEFAULT_MAX_CYCLE_S),  # Y >= 1: longest cycle
        (8.0, 1.4, DEFAULT_MAX_CYCLE_S),
    ],
)
def test_webster_cycle_hand_values(lost, y, expected):
    assert webster_cycle_s(lost, y) == pytest.approx(expected, rel=1e-12)


def test_webster_cycle_clip_range_is_a_parameter():
    assert webster_cycle_s(8.0, 0.5, min_cycle_s=20.0) == pytest.approx(34.0)
    assert webster_cycle_s(8.0, 0.95, max_cycle_s=400.0) == pytest.approx(340.0)
    np.testing.assert_allclose(
        webster_cycle_s(np.array([10.0, 8.0]), np.array([0.75, 2.0])), [80.0, 180.0]
    )


def test_webster_greens_equalise_saturation():
    g = webster_green_ratios([0.3, 0.1], 68.0, 8.0)
    np.testing.assert_allclose(g, [60.0 * 0.75 / 68.0, 60.0 * 0.25 / 68.0], rtol=1e-12)
    x = np.array([0.3, 0.1]) / g
    assert x[0] == pytest.approx(x[1])
    assert x[0] == pytest.approx(0.4 * 68.0 / 60.0)  # X = Y C / (C - L)


def test_webster_greens_min_green_and_no_flow():
    # 15 s each, the remaining 80 - 8 - 30 = 42 s split 3:1
    g = webster_green_ratios([0.3, 0.1], 80.0, 8.0, min_green_s=15.0)
    np.testing.assert_allclose(g * 80.0, [15.0 + 31.5, 15.0 + 10.5])
    np.testing.assert_allclose(webster_green_ratios([0.0, 0.0], 80.0, 8.0), [0.45, 0.45])
    rows = webster_green_ratios([[0.3, 0.1], [0.0, 0.2]], [68.0, 80.0], [8.0, 8.0])
    assert rows.shape == (2, 2)
    np.testing.assert_allclose(rows[1], [0.0, 0.9])
    with pytest.raises(ScenarioError, match="no green"):
        webster_green_ratios([0.3, 0.1], 30.0, 8.0, min_green_s=15.0)


# --------------------------------------------------------- realised delay
@pytest.mark.parametrize(
    ("cycle", "g", "x"), [(120.0, 0.5, 0.0), (90.0, 0.4, 0.8), (120.0, 0.45, 1.0), (60.0, 0.3, 1.7)]
)
def test_realised_uniform_part_has_mean_d1_exactly(cycle, g, x):
    # midpoint rule over the arrival moment u in [0, 1): the integral is d1
    n = 200_000
    u = (np.arange(n) + 0.5) / n
    zero = np.zeros(1)
    mean = _realised(u, np.array(cycle), np.array(g), np.array(x), zero, zero).mean()
    assert mean == pytest.approx(uniform_delay_s(cycle, g, x), rel=1e-6)


def test_sampled_delay_mean_matches_expected_with_priority_and_d2():
    rng = np.random.default_rng(7)
    cycle, g, x, p, d2 = 120.0, 0.45, 0.8, 0.25, 6.0
    draws = sample_signal_delay_s(
        rng, cycle, g, x, incremental_s=d2, red_share_removed=p, size=400_000
    )
    expected = (1 - p) * uniform_delay_s(cycle, g, x) + d2
    assert draws.mean() == pytest.approx(expected, abs=5 * draws.std() / math.sqrt(draws.size))
    assert draws.min() >= d2
    assert draws.max() <= (1 - p) * cycle * (1 - g) + d2 + 1e-9
    # arrivals after the queue has cleared wait for nothing: u > (r/C) / (1 - y)
    assert (draws == d2).mean() == pytest.approx(1 - 0.55 / (1 - 0.8 * 0.45), abs=0.005)


def test_sampling_is_reproducible_and_broadcasts():
    a = sample_signal_delay_s(np.random.default_rng(3), [60.0, 120.0], 0.5, 0.5)
    b = sample_signal_delay_s(np.random.default_rng(3), [60.0, 120.0], 0.5, 0.5)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2,)
    assert isinstance(sample_signal_delay_s(np.random.default_rng(3), 60.0, 0.5), float)
    with pytest.raises(ScenarioError, match="Generator"):
        sample_signal_delay_s(3, 60.0, 0.5)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize("g", [0.0, 1.0, -0.1, 1.2, math.nan])
def test_green_ratio_outside_unit_interval_is_a_scenario_error(g):
    with pytest.raises(ScenarioError, match="green_ratio"):
        uniform_delay_s(120.0, g, 0.5)
    with pytest.raises(ScenarioError, match="green_ratio"):
        control_delay_s(120.0, [0.5, g], 0.5, 900.0)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: uniform_delay_s(0.0, 0.5, 0.5), "cycle_s"),
        (lambda: uniform_delay_s(120.0, 0.5, -0.1), "x"),
        (lambda: uniform_delay_s("long", 0.5, 0.1), "cycle_s"),
        (lambda: incremental_delay_s(0.5, 0.0), "capacity_vph"),
        (lambda: incremental_delay_s(0.5, 900.0, period_h=0.0), "period_h"),
        (lambda: incremental_delay_s(0.5, 900.0, upstream_i=1.5), "upstream_i"),
        (lambda: control_delay_s(120, 0.5, 0.5, 900.0, red_share_removed=1.5), "red_share"),
        (lambda: webster_cycle_s(-1.0, 0.5), "lost_time_s"),
        (lambda: webster_cycle_s(8.0, -0.5), "flow_ratio_sum_y"),
        (lambda: webster_cycle_s(8.0, 0.5, min_cycle_s=90.0, max_cycle_s=60.0), "min_cycle_s"),
        (lambda: webster_green_ratios(0.3, 60.0, 8.0), "per phase"),
    ],
)
def test_bad_inputs_raise_scenario_error(call, match):
    with pytest.raises(ScenarioError, match=match):
        call()
