"""idrt: fast simulation of demand-responsive transit on real road networks.

The public API::

    net = idrt.load_network("yeongjong")
    scn = idrt.Scenario.from_toml("experiments/yeongjong.toml")
    result = idrt.simulate(scn, seed=1)
"""

from __future__ import annotations

from idrt import demand
from idrt.demand import Demand, ServiceArea, underserved, virtual_stops
from idrt.errors import (
    DemandError,
    IdrtError,
    IdrtWarning,
    InteropError,
    NetworkError,
    ScenarioError,
)
from idrt.network import RoadNetwork, load_network
from idrt.scenario import Scenario
from idrt.sim import Result, simulate

__version__ = "0.1.0"

__all__ = [
    "Demand",
    "DemandError",
    "IdrtError",
    "IdrtWarning",
    "InteropError",
    "NetworkError",
    "Result",
    "RoadNetwork",
    "Scenario",
    "ScenarioError",
    "ServiceArea",
    "__version__",
    "demand",
    "load_network",
    "simulate",
    "underserved",
    "virtual_stops",
]
