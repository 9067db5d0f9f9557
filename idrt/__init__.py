"""idrt: fast simulation of demand-responsive transit on real road networks.

The public API::

    net = idrt.load_network("yeongjong")
    scn = idrt.Scenario.from_toml("experiments/yeongjong.toml")
    result = idrt.simulate(scn, seed=1)
    runs = idrt.sweep(scn, grid={"fleet.size": range(4, 15, 2)}, seeds=10)
    idrt.plot.wait_curves(runs, x="fleet.size")
    report = idrt.size_fleet(scn, targets={"wait_p95_s": 900, "reject_share": 0.05})
"""

from __future__ import annotations

__version__ = "0.1.0"

from idrt import demand, interop, plot
from idrt.demand import Demand, ServiceArea, underserved, virtual_stops
from idrt.errors import (
    DemandError,
    IdrtError,
    IdrtWarning,
    InteropError,
    NetworkError,
    OutputError,
    ScenarioError,
)
from idrt.experiments import ExperimentError, RunOptions, calibrate, compare, size_fleet, sweep
from idrt.network import RoadNetwork, load_network
from idrt.scenario import Scenario
from idrt.sim import Result, simulate

__all__ = [
    "Demand",
    "DemandError",
    "ExperimentError",
    "IdrtError",
    "IdrtWarning",
    "InteropError",
    "NetworkError",
    "OutputError",
    "Result",
    "RoadNetwork",
    "RunOptions",
    "Scenario",
    "ScenarioError",
    "ServiceArea",
    "__version__",
    "calibrate",
    "compare",
    "demand",
    "interop",
    "load_network",
    "plot",
    "simulate",
    "size_fleet",
    "sweep",
    "underserved",
    "virtual_stops",
]
