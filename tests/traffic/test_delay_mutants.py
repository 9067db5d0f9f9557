"""Cases written to kill mutants that survived ``benchmarks/mutation.sh`` in traffic/delay.py.

Each test pins a behaviour a planner's numbers depend on (parameters passed
through, defaults, broadcasting over arrays) or a documented boundary of the
inputs; the surviving mutants that only change error-message text are listed
in benchmarks/results/mutation_survivors.txt and left alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from idrt.errors import ScenarioError
from idrt.traffic.delay import (
    combine_delay_s,
    control_delay_s,
    incremental_delay_s,
    sample_signal_delay_s,
    uniform_delay_s,
    webster_cycle_s,
    webster_green_ratios,
)


def test_combine_defaults_to_no_priority():
    assert combine_delay_s(20.0, 3.0) == 23.0
    assert combine_delay_s(20.0, 3.0, 0.25) == 18.0


def test_control_delay_passes_every_hcm_parameter_to_d2():
    kw = {"period_h": 1.0, "k": 0.25, "upstream_i": 0.5}
    c, g, x, cap = 90.0, 0.4, 0.95, 800.0
    expected = uniform_delay_s(c, g, x) + incremental_delay_s(x, cap, **kw)
    assert control_delay_s(c, g, x, cap, **kw) == pytest.approx(expected, rel=1e-12)
    for name, value in kw.items():  # each one on its own moves the result
        assert control_delay_s(c, g, x, cap, **{name: value}) != pytest.approx(
            control_delay_s(c, g, x, cap), rel=1e-9
        ), name


def test_sampled_delay_defaults_are_free_of_d2_and_priority():
    rng = np.random.default_rng(3)
    draws = sample_signal_delay_s(rng, 120.0, 0.5, size=50_000)
    # x = 0, no d2, no priority: the red wait of a random arrival, mean (1 - g)^2 C / 2
    assert draws.mean() == pytest.approx(0.5 * 0.5**2 * 120.0, rel=0.02)
    assert draws.min() == 0.0


def test_sampled_delay_broadcasts_every_argument():
    rng = np.random.default_rng(1)
    shapes = {
        "cycle_s": np.full(3, 120.0),
        "green_ratio": np.full(3, 0.5),
        "x": np.full(3, 0.5),
        "incremental_s": np.full(3, 2.0),
        "red_share_removed": np.full(3, 0.1),
    }
    base = {"cycle_s": 120.0, "green_ratio": 0.5, "x": 0.5, "incremental_s": 2.0,
            "red_share_removed": 0.1}  # fmt: skip
    for name, array in shapes.items():
        args = {**base, name: array}
        out = sample_signal_delay_s(
            rng, args["cycle_s"], args["green_ratio"], args["x"],
            incremental_s=args["incremental_s"], red_share_removed=args["red_share_removed"],
        )  # fmt: skip
        assert np.shape(out) == (3,), name
    out = sample_signal_delay_s(rng, np.full(3, 120.0), 0.5, size=(4, 3))
    assert out.shape == (4, 3)


def test_webster_greens_row_by_row_equal_the_two_dimensional_call():
    y = np.array([[0.2, 0.1], [0.3, 0.3], [0.0, 0.0]])
    cycle = np.array([90.0, 120.0, 60.0])
    both = webster_green_ratios(y, cycle, 8.0)  # one cycle per row
    for i in range(3):
        assert np.allclose(both[i], webster_green_ratios(y[i], cycle[i], 8.0))
    assert np.allclose(both[2], both[2][0])  # no flow: equal split


def test_input_boundaries_are_the_documented_ones():
    assert webster_cycle_s(0.0, 0.5, min_cycle_s=1.0) == pytest.approx(10.0)  # L = 0 allowed
    assert webster_cycle_s(8.0, 0.5, min_cycle_s=60.0, max_cycle_s=60.0) == 60.0  # min = max
    with pytest.raises(ScenarioError):
        webster_cycle_s(8.0, 0.5, min_cycle_s=0.0)
    assert uniform_delay_s(0.5, 0.5, 0.0) > 0  # a cycle under a second is still a cycle
    assert incremental_delay_s(0.5, 0.5) > 0  # as is a capacity under one vehicle an hour
    # greens: the minimum greens may use up all but half a second of the effective green
    g = webster_green_ratios([0.2, 0.1], 60.0, 10.0, min_green_s=24.75)
    assert g.sum() == pytest.approx(50.0 / 60.0)
    with pytest.raises(ScenarioError, match="no green"):
        webster_green_ratios([0.2, 0.1], 60.0, 10.0, min_green_s=25.0)
