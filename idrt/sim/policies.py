"""Attach a scenario's dispatch and rebalancing policies to an engine."""

from __future__ import annotations

import numpy as np

from idrt.sim.batching import BatchDispatcher
from idrt.sim.rebalancer import Rebalancer, demand_forecast

__all__ = ["attach_policies"]


def attach_policies(
    engine, scenario, net, depots: np.ndarray, *, n_requests: int, generated: bool
) -> None:
    """Batch dispatch / re-optimisation and rebalancing as ``[dispatch]`` and ``[rebalancing]`` say.

    Immediate dispatch without re-optimisation and ``strategy = "none"`` attach
    nothing: the engine runs exactly as without this call.

    Parameters
    ----------
    engine : Engine
    scenario : Scenario
    net : RoadNetwork
    depots : ndarray of int64
        Depot node of each vehicle.
    n_requests : int
        Requests of the run.
    generated : bool
        Whether they were generated from the scenario's demand model; then
        the rebalancing forecast expects the model's daily total, else (a
        trip CSV, or trips passed to ``simulate``) the number replayed (see
        :func:`idrt.sim.rebalancer.demand_forecast`).
    """
    dp = scenario.dispatch
    if dp.mode == "batch" or dp.reoptimise:
        BatchDispatcher(
            engine,
            interval_s=dp.batch_interval_s,
            max_trip_size=dp.max_trip_size,
            reoptimise=dp.reoptimise,
            collect=dp.mode == "batch",
            max_requests_per_vehicle=dp.max_requests_per_vehicle,
            reoptimise_every=dp.reoptimise_every,
            movable_pairs=dp.reoptimise_pairs,
        ).attach()
    rb = scenario.rebalancing
    if rb.strategy != "none":
        forecast = None
        if rb.strategy != "return_to_depot":
            replayed = not generated or bool(scenario.demand.trips)
            # vehicles wait where the planner has a table (stops, depots), if it has one
            forecast = demand_forecast(
                scenario,
                net,
                n_requests=n_requests if replayed else None,
                centers=getattr(engine.oracle, "subset", None),
            )
        Rebalancer(
            engine,
            strategy=rb.strategy,
            interval_s=rb.interval_s,
            horizon_s=rb.horizon_s,
            depots=depots,
            forecast=forecast,
        ).attach()
