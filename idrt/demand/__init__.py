"""Demand: who calls a bus, where and when, and which districts are underserved.

- :class:`ServiceArea`: the polygons a service covers (GeoJSON, bbox, nodes).
- :func:`poisson`: time-varying Poisson requests from a 24-hour
  :class:`Profile`, with zone weights, a gravity model or an OD matrix.
- :func:`from_csv`: import a trip log, snapped to the network;
  :func:`read_gtfs_stops` reads existing fixed-route stops.
- :class:`Demand`: the result, a tidy table of requests (scale, summarise,
  check, write).
- :func:`virtual_stops`: I-MOD-style virtual stops and walking access.
- :func:`underserved`: the parts of a district beyond a walk from transit.

Named data (profiles, the Yeongjong service area, attractors, expansion
areas, sample transit stops) lives in the ``demand/`` folder of the project.
"""

from __future__ import annotations

from idrt.demand.area import ServiceArea
from idrt.demand.attractors import Attractor, Attractors, load_attractors
from idrt.demand.describe import describe_file, named_areas
from idrt.demand.generate import DEFAULT_GROUP_SIZES, PoissonSpec, generate, poisson
from idrt.demand.io import ImportReport, from_csv, read_gtfs_stops
from idrt.demand.profile import Profile, load_profile
from idrt.demand.stops import VirtualStops, virtual_stops
from idrt.demand.transit import TransitFeed, read_gtfs, transit_baseline, transit_door_to_door
from idrt.demand.trips import TRIP_COLUMNS, Demand
from idrt.demand.underserved import Underserved, underserved

__all__ = [
    "DEFAULT_GROUP_SIZES",
    "TRIP_COLUMNS",
    "Attractor",
    "Attractors",
    "Demand",
    "ImportReport",
    "PoissonSpec",
    "Profile",
    "ServiceArea",
    "TransitFeed",
    "Underserved",
    "VirtualStops",
    "describe_file",
    "from_csv",
    "generate",
    "load_attractors",
    "load_profile",
    "named_areas",
    "poisson",
    "read_gtfs",
    "read_gtfs_stops",
    "transit_baseline",
    "transit_door_to_door",
    "underserved",
    "virtual_stops",
]
