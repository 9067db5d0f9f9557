"""Dispatch: fleet schedules as arrays, insertion, batch assignment and rebalancing.

- :mod:`idrt.dispatch.insertion`: cheapest insertion of one request (Numba kernel).
- :mod:`idrt.dispatch.batch`: a batch of requests assigned jointly
  (:func:`solve_batch`: ``linear_sum_assignment`` or an RTV-style set-partitioning
  programme), with optional re-optimisation of riders not yet picked up.
- :mod:`idrt.dispatch.rebalancing`: where idle vehicles should wait (zones,
  demand forecast, return-to-depot, demand-anticipating, min-cost flow).

Examples
--------
>>> import numpy as np
>>> from idrt.dispatch import (InsertionRequest, InsertionTimes, empty_schedules,
...                            find_best_insertion, insert)
>>> fleet = empty_schedules([4], 0.0, max_stops=2)
>>> req = InsertionRequest(request_id=7, pickup_node=10, dropoff_node=11, pax=1,
...                        earliest_pickup_s=0.0, latest_pickup_s=600.0, max_ride_s=900.0,
...                        dwell_pickup_s=30.0, dwell_dropoff_s=20.0, direct_s=300.0)
>>> col = np.array([[120.0, np.inf, np.inf]])  # only position 0 exists
>>> times = InsertionTimes(col, col, col, col, pickup_to_dropoff_s=300.0)
>>> best = find_best_insertion(fleet, req, times)
>>> best.vehicle, best.pickup_pos, best.dropoff_pos, best.cost
(0, 0, 0, 470.0)
>>> insert(fleet, best, req, times).stop_kind[0].tolist()
[1, -1]
"""

from __future__ import annotations

from idrt.dispatch.batch import Assignment, BatchRequest, BatchResult, TravelTimeFn, solve_batch
from idrt.dispatch.insertion import (
    PARALLEL_MIN_VEHICLES,
    Insertion,
    InsertionRequest,
    InsertionTimes,
    InsertionWeights,
    VehicleLimits,
    best_insertion_among,
    find_best_insertion,
    insert,
    insert_into,
)
from idrt.dispatch.rebalancing import DemandForecast, Move, Zones, grid_zones
from idrt.dispatch.schedule import (
    STOP_FIELDS,
    DispatchError,
    Schedules,
    ScheduleTimes,
    empty_schedules,
    feasible_vehicles,
    schedule_times,
    validate_schedules,
)

__all__ = [
    "PARALLEL_MIN_VEHICLES",
    "STOP_FIELDS",
    "Assignment",
    "BatchRequest",
    "BatchResult",
    "DemandForecast",
    "DispatchError",
    "Insertion",
    "InsertionRequest",
    "InsertionTimes",
    "InsertionWeights",
    "Move",
    "ScheduleTimes",
    "Schedules",
    "TravelTimeFn",
    "VehicleLimits",
    "Zones",
    "best_insertion_among",
    "empty_schedules",
    "feasible_vehicles",
    "find_best_insertion",
    "grid_zones",
    "insert",
    "insert_into",
    "schedule_times",
    "solve_batch",
    "validate_schedules",
]
