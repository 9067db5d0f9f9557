"""The SimPy simulator: vehicle processes, request arrivals, dispatch, KPIs."""

from __future__ import annotations

from idrt.sim.results import Result, summarize
from idrt.sim.run import build_network, build_trips, simulate

__all__ = ["Result", "build_network", "build_trips", "simulate", "summarize"]
