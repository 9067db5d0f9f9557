"""Traffic around the buses: time-of-day congestion, signal delay and C-ITS.

The model core of idrt's intersection and C-ITS studies, as pure functions and
frozen structs (the simulator reads them; see ``docs/traffic.md``):

* :mod:`~idrt.traffic.delay` — HCM/Webster control delay ``d1 + d2``,
  Webster's optimum cycle and splits, realised delay of a random arrival;
* :mod:`~idrt.traffic.congestion` — background v/c profiles, link capacities,
  the BPR function;
* :mod:`~idrt.traffic.config` — :class:`TrafficConfig` and :class:`CITSConfig`;
* :mod:`~idrt.traffic.travel_times` — :func:`build_travel_times`, the
  network-wide hourly link-time tables (:class:`TimeSlicedTravelTimes`).
"""

from __future__ import annotations

from idrt.traffic.config import CITSConfig, TrafficConfig, corridor_signals, resolve_equipped
from idrt.traffic.congestion import (
    DEFAULT_CAPACITY_VPHPL,
    CongestionProfile,
    bpr_travel_time_s,
    capacity_per_lane_vph,
    load_congestion_profile,
)
from idrt.traffic.delay import (
    combine_delay_s,
    control_delay_s,
    incremental_delay_s,
    sample_signal_delay_s,
    uniform_delay_s,
    webster_cycle_s,
    webster_green_ratios,
)
from idrt.traffic.travel_times import (
    TimeSlicedTravelTimes,
    build_travel_times,
    delay_saved_by_intersection,
)

__all__ = [
    "DEFAULT_CAPACITY_VPHPL",
    "CITSConfig",
    "CongestionProfile",
    "TimeSlicedTravelTimes",
    "TrafficConfig",
    "bpr_travel_time_s",
    "build_travel_times",
    "capacity_per_lane_vph",
    "combine_delay_s",
    "control_delay_s",
    "corridor_signals",
    "delay_saved_by_intersection",
    "incremental_delay_s",
    "load_congestion_profile",
    "resolve_equipped",
    "sample_signal_delay_s",
    "uniform_delay_s",
    "webster_cycle_s",
    "webster_green_ratios",
]
