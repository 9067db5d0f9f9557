"""Tiny scenarios for experiment tests: runs of a few hundredths of a second."""

from __future__ import annotations

import pytest

from idrt.scenario import Scenario

# three hours of light demand, free-flow traffic: sub-second runs
TINY = {
    "demand.trips_per_day": 120,
    "service.end_h": 10,
    "service.max_wait_s": 600,
    "traffic.signals": "none",
    "traffic.profile": "",
    "output.events": False,
}


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    """The default (Yeongjong) scenario, cut to three hours of light demand."""
    return Scenario().with_overrides(TINY)


@pytest.fixture(scope="session")
def city_net():
    """A 400-node synthetic grid city: workers build its travel-time table instantly."""
    from idrt.network import load_network

    return load_network("city:400")


@pytest.fixture(scope="session")
def city(city_net) -> Scenario:
    """A tiny scenario on the 400-node city, loaded enough that fleet size matters."""
    return Scenario(name="city").with_overrides(
        {
            **TINY,
            "network.source": "city:400",
            "demand.area": "",
            "demand.attractors": "",
            "demand.trips_per_day": 150,
            "fleet.depots": [int(city_net.node_ids[200])],
            "fleet.size": 3,
        }
    )
