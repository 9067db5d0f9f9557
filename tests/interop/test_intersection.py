"""The microscopic check of idrt's signal delay model, short version."""

from __future__ import annotations

import pytest

from idrt.interop.intersection import (
    IntersectionSetup,
    Saturation,
    idrt_delay,
    measure_saturation,
    sumo_delay,
)
from idrt.traffic.delay import control_delay_s
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
        assert sumo[group] == pytest.approx(model[group]["delay_s"], rel=0.25), group
