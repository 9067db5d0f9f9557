"""The SimPy simulator: vehicle processes, request arrivals, dispatch, KPIs."""

from __future__ import annotations

from idrt.sim.assembly import (
    build_network,
    build_trips,
    depot_nodes,
    run_travel_times,
    service_area,
    traffic_active,
)
from idrt.sim.results import Result, summarize
from idrt.sim.run import simulate

__all__ = [
    "Result",
    "build_network",
    "build_trips",
    "depot_nodes",
    "run_travel_times",
    "service_area",
    "simulate",
    "summarize",
    "traffic_active",
]
