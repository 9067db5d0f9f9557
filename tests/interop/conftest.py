"""Fixtures of the SUMO interop tests: a small exported case, built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from idrt.interop import sumo_available

REPO = Path(__file__).resolve().parents[2]

needs_sumo = pytest.mark.skipif(
    not sumo_available(),
    reason='SUMO is not installed: pip install "idrt[sumo]" (eclipse-sumo, sumolib)',
)


def small_scenario(**overrides):
    """The default scenario at free flow with fixed signals and a light demand."""
    import idrt

    scn = idrt.Scenario.from_toml(REPO / "experiments" / "yeongjong.toml")
    return scn.with_overrides(
        {"traffic.profile": "", "traffic.signals": "fixed", "demand.trips_per_day": 80, **overrides}
    )


@pytest.fixture(scope="session")
def island_case(tmp_path_factory, yeongjong):
    """The default island exported with 80 requests a day and 3 taxis (seed 4)."""
    if not sumo_available():
        pytest.skip('SUMO is not installed: pip install "idrt[sumo]" (eclipse-sumo, sumolib)')
    from idrt.interop import to_sumo

    scn = small_scenario(**{"fleet.size": 3})
    folder = tmp_path_factory.mktemp("sumo") / "island"
    case = to_sumo(scn, seed=4, out=folder, network=yeongjong)
    return scn, case
