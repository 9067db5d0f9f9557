"""traffic/delay.py: every input check on its documented boundary, every error in full.

Written to kill the mutants that survived ``benchmarks/mutation.sh`` after
``test_delay_mutants.py`` (triage in
``benchmarks/results/mutation_survivors_delay.txt``): an input check at the
wrong boundary (``k = 0`` or ``upstream_i = 0`` accepted, ``red_share_removed
= 1`` or ``Y = 0`` refused, an infinite maximum cycle accepted), the error
text that names the argument, its bad value and the rule, draws shared by
vehicles that should each get their own, and d2 in the regimes where the
textbook form loses its digits.
"""

from __future__ import annotations

import math
import re
import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.traffic.delay import (
    control_delay_s,
    incremental_delay_s,
    sample_signal_delay_s,
    uniform_delay_s,
    webster_cycle_s,
    webster_green_ratios,
)

GREEN_RULE = "in (0, 1) (effective green / cycle); e.g. 0.45 for 54 s of green in a 120 s cycle"
X_RULE = ">= 0 (degree of saturation v/c)"
RNG = np.random.default_rng


def invalid(name: str, value: str, rule: str) -> str:
    return f"{name} = {value} is invalid: {name} must be {rule}"


def finite(name: str, value: str = "nan") -> str:
    return f"{name} must be finite, got {value}"


def sample(cycle=120.0, g=0.5, x=0.5, d2=0.0, p=0.0):
    return sample_signal_delay_s(RNG(0), cycle, g, x, incremental_s=d2, red_share_removed=p)


CASES = [
    # uniform_delay_s
    (lambda: uniform_delay_s(-1.0, 0.5, 0.5), invalid("cycle_s", "-1.0", "> 0 seconds")),
    (lambda: uniform_delay_s(math.nan, 0.5, 0.5), finite("cycle_s")),
    (lambda: uniform_delay_s(120.0, 1.2, 0.5), invalid("green_ratio", "1.2", GREEN_RULE)),
    (lambda: uniform_delay_s(120.0, math.inf, 0.5), finite("green_ratio", "inf")),
    (lambda: uniform_delay_s(120.0, 0.5, -0.25), invalid("x", "-0.25", X_RULE)),
    (lambda: uniform_delay_s(120.0, 0.5, math.nan), finite("x")),
    # incremental_delay_s
    (lambda: incremental_delay_s(-0.25, 900.0), invalid("x", "-0.25", X_RULE)),
    (lambda: incremental_delay_s(math.nan, 900.0), finite("x")),
    (
        lambda: incremental_delay_s(0.5, -5.0),
        invalid("capacity_vph", "-5.0", "> 0 veh/h (saturation flow x g/C x lanes)"),
    ),
    (lambda: incremental_delay_s(0.5, math.nan), finite("capacity_vph")),
    (
        lambda: incremental_delay_s(0.5, 900.0, period_h=0.0),
        invalid("period_h", "0.0", "> 0 hours (HCM: 0.25)"),
    ),
    (
        lambda: incremental_delay_s(0.5, 900.0, k=0.0),
        invalid("k", "0.0", "> 0 (HCM: 0.5 for fixed-time control)"),
    ),
    (
        lambda: incremental_delay_s(0.5, 900.0, upstream_i=0.0),
        invalid("upstream_i", "0.0", "in (0, 1] (1: isolated)"),
    ),
    (
        lambda: incremental_delay_s(0.5, 900.0, upstream_i=1.5),
        invalid("upstream_i", "1.5", "in (0, 1] (1: isolated)"),
    ),
    # control_delay_s: the priority share
    (
        lambda: control_delay_s(120.0, 0.5, 0.5, 900.0, red_share_removed=1.5),
        invalid("red_share_removed", "1.5", "in [0, 1] (share of red wait)"),
    ),
    (
        lambda: control_delay_s(120.0, 0.5, 0.5, 900.0, red_share_removed=math.nan),
        finite("red_share_removed"),
    ),
    # webster_cycle_s
    (lambda: webster_cycle_s(-1.0, 0.5), invalid("lost_time_s", "-1.0", ">= 0 seconds")),
    (lambda: webster_cycle_s(math.nan, 0.5), finite("lost_time_s")),
    (
        lambda: webster_cycle_s(8.0, -0.5),
        invalid("flow_ratio_sum_y", "-0.5", ">= 0 (sum of v/s of the critical movements)"),
    ),
    (lambda: webster_cycle_s(8.0, math.nan), finite("flow_ratio_sum_y")),
    (
        lambda: webster_cycle_s(8.0, 0.5, max_cycle_s=math.inf),
        "min_cycle_s = 70.0, max_cycle_s = inf: need "
        "0 < min_cycle_s <= max_cycle_s (seconds), e.g. 70 and 180",
    ),
    # webster_green_ratios
    (
        lambda: webster_green_ratios(0.3, 60.0, 8.0),
        "flow_ratios needs one value per phase (last axis), got a scalar",
    ),
    (
        lambda: webster_green_ratios([0.3, -0.1], 60.0, 8.0),
        invalid("flow_ratios", "-0.1", ">= 0 (v/s of each phase)"),
    ),
    (lambda: webster_green_ratios([0.3, math.nan], 60.0, 8.0), finite("flow_ratios")),
    (lambda: webster_green_ratios([0.3, 0.1], math.nan, 8.0), finite("cycle_s")),
    (lambda: webster_green_ratios([0.3, 0.1], 60.0, math.nan), finite("lost_time_s")),
    # sample_signal_delay_s
    (lambda: sample(cycle=0.0), invalid("cycle_s", "0.0", "> 0 seconds")),
    (lambda: sample(cycle=math.nan), finite("cycle_s")),
    (lambda: sample(g=0.0), invalid("green_ratio", "0.0", GREEN_RULE)),
    (lambda: sample(x=-1.0), invalid("x", "-1.0", X_RULE)),
    (lambda: sample(x=math.nan), finite("x")),
    (lambda: sample(d2=-2.0), invalid("incremental_s", "-2.0", ">= 0 seconds")),
    (lambda: sample(d2=math.nan), finite("incremental_s")),
    (lambda: sample(p=-0.5), invalid("red_share_removed", "-0.5", "in [0, 1] (share of red wait)")),
]


@pytest.mark.parametrize(("call", "message"), CASES)
def test_bad_input_is_one_error_naming_argument_value_and_rule(call, message):
    with pytest.raises(ScenarioError, match=f"^{re.escape(message)}$"):
        call()


def test_the_first_bad_element_of_an_array_is_named():
    with pytest.raises(ScenarioError, match=r"^x = -3\.0 is invalid"):
        uniform_delay_s(120.0, 0.5, [0.2, -3.0, -4.0])


def test_documented_ends_of_the_ranges_are_accepted():
    # full priority removes the whole red wait: only d2 is left
    d2 = incremental_delay_s(0.5, 900.0)
    assert control_delay_s(120.0, 0.5, 0.5, 900.0, red_share_removed=1.0) == pytest.approx(d2)
    assert sample(d2=3.0, p=1.0) == 3.0
    # no flow: Webster's cycle is 1.5 L + 5
    assert webster_cycle_s(8.0, 0.0, min_cycle_s=1.0) == pytest.approx(17.0)
    # a sampled cycle under a second is still a cycle (as for the expected delay)
    assert sample(cycle=0.5) >= 0.0
    assert incremental_delay_s(0.5, 900.0, upstream_i=1.0) == incremental_delay_s(0.5, 900.0)


def test_scalar_arguments_give_python_floats():
    for value in (
        uniform_delay_s(120.0, 0.5, 0.5),
        incremental_delay_s(0.5, 900.0),
        control_delay_s(120.0, 0.5, 0.5, 900.0),
        webster_cycle_s(8.0, 0.5),
        sample(),
    ):
        assert type(value) is float


def test_no_flow_green_split_is_equal_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = webster_green_ratios([0.0, 0.0, 0.0], 90.0, 12.0)
    assert g.tolist() == pytest.approx([26 / 90] * 3)


@pytest.mark.parametrize("arg", ["cycle_s", "green_ratio", "x", "incremental_s", "p"])
def test_every_vehicle_gets_its_own_draw(arg):
    """An array in any one argument means one vehicle per element, each with its own arrival."""
    args = {"cycle_s": 120.0, "green_ratio": 0.5, "x": 0.5, "incremental_s": 2.0, "p": 0.1}
    args[arg] = np.full(400, args[arg])
    out = sample_signal_delay_s(
        RNG(5), args["cycle_s"], args["green_ratio"], args["x"],
        incremental_s=args["incremental_s"], red_share_removed=args["p"],
    )  # fmt: skip
    assert out.shape == (400,)
    assert len(np.unique(out)) > 100  # not one arrival shared by all


def test_size_adds_draws_to_the_shape_of_the_arguments():
    cycles = np.array([[60.0, 90.0, 120.0], [60.0, 90.0, 120.0]])
    out = sample_signal_delay_s(RNG(2), cycles, 0.3, size=3)
    assert out.shape == (2, 3)
    assert not np.array_equal(out[0], out[1])  # two rows, two sets of arrivals


def exact_d2(x: float, cap: float, period_h: float = 0.25, k: float = 0.5, i: float = 1.0):
    """HCM d2 in 60-digit decimal arithmetic (no cancellation)."""
    getcontext().prec = 60
    xd, a = Decimal(x), Decimal(x) - 1
    b = 8 * Decimal(k) * Decimal(i) * xd / (Decimal(cap) * Decimal(period_h))
    return float(900 * Decimal(period_h) * (a + (a * a + b).sqrt()))


@pytest.mark.parametrize(
    ("x", "cap"),
    [(1e-9, 1e6), (1e-4, 5e4), (0.3, 900.0), (1.0, 900.0), (1.5, 1e12), (1.2, 1e9), (3.0, 900.0)],
)
def test_d2_keeps_its_digits_where_the_textbook_form_cancels(x, cap):
    # a = X - 1 near -1 with tiny b (light flow) and root close to a (heavy
    # oversaturation on a huge capacity): each branch is the stable form on its side
    assert incremental_delay_s(x, cap) == pytest.approx(exact_d2(x, cap), rel=1e-12, abs=0.0)


def test_d2_on_a_huge_capacity_is_silent():
    # b underflows next to (X - 1)^2: root == a, and the discarded branch divides by zero
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d2 = incremental_delay_s(1.5, 1e20)
    assert d2 == pytest.approx(225.0, rel=1e-12)  # 900 T (X - 1) x 2 = 225 s
