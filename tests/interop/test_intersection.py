"""The microscopic check of idrt's signal delay model, short version."""

from __future__ import annotations

import math

import pytest

from idrt.interop.intersection import (
    IntersectionSetup,
    Saturation,
    idrt_delay,
    measure_saturation,
    sumo_delay,
)
from idrt.traffic.delay import control_delay_s, uniform_delay_s
from tests.interop.conftest import needs_sumo


def test_idrt_side_is_the_traffic_model():
    sat = Saturation(1800.0, 2.0, (66.0, 42.0), (4.0, 4.0), 10)
    model = idrt_delay(0.5, sat)
    assert model["main"]["delay_s"] == pytest.approx(control_delay_s(120.0, 0.55, 0.5, 990.0))
    adaptive = idrt_delay(0.5, sat, control="actuated")
    assert adaptive["main"]["cycle_s"] == 70.0  # Webster's cycle, clipped to the minimum
    assert adaptive["main"]["delay_s"] < model["main"]["delay_s"]


@needs_sumo
def test_sumo_delay_agrees_with_d1_d2_at_half_saturation(tmp_path):
    setup = IntersectionSetup(replications=4, approach_m=600.0)
    sat = measure_saturation(tmp_path, setup=setup, cycles=6)
    assert 1500 < sat.flow_vph < 2300  # a plausible lane saturation flow, veh/h
    assert all(2.0 < lost < 9.0 for lost in sat.lost_time_s)
    sumo = sumo_delay(0.5, sat, tmp_path, setup=setup).set_index("group")["delay_s"]
    model = idrt_delay(0.5, sat, setup=setup)
    for group in ("main", "side"):
        # measured 2026-11: main 18.9 s vs 19.5 s, side 35.6 s vs 34.8 s (seeded, repeatable);
        # d1 alone (17.7 s, 31.9 s) is farther from SUMO and fails the side approach
        m = model[group]
        d1 = uniform_delay_s(setup.cycle_s, m["green_ratio"], m["x"])
        assert sumo[group] == pytest.approx(m["delay_s"], rel=0.06), group
        assert abs(sumo[group] - m["delay_s"]) < abs(sumo[group] - d1), group


def test_idrt_side_equals_hand_worked_d1_plus_d2():
    """X = 0.5, C = 120 s, g = 0.55, s = 1,800 veh/h: d1 and d2 written out (HCM 2010)."""
    sat = Saturation(1800.0, 2.0, (66.0, 42.0), (4.0, 4.0), 10)
    cycle, g, x = 120.0, 0.55, 0.5
    cap = 1800.0 * g
    d1 = 0.5 * cycle * (1.0 - g) ** 2 / (1.0 - min(1.0, x) * g)
    t_h, k, i = 0.25, 0.5, 1.0
    d2 = 900.0 * t_h * ((x - 1.0) + math.sqrt((x - 1.0) ** 2 + 8.0 * k * i * x / (cap * t_h)))
    assert d1 == pytest.approx(16.758620689655, rel=1e-10)
    assert d2 == pytest.approx(1.80364, rel=1e-4)
    model = idrt_delay(x, sat)["main"]
    assert model["delay_s"] == pytest.approx(d1 + d2, rel=1e-9)
    assert model["delay_s"] > 1.05 * d1  # d2 is a tenth of the delay here: it must be in
