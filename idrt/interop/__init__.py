"""Side by side with Eclipse SUMO: export, read-back, peer benchmark, intersection check.

* :func:`to_sumo` writes a scenario (network, signal plans, taxi fleet, one
  seeded demand draw) as a SUMO case that ``sumo -c case.sumocfg`` runs.
* :func:`run_sumo` runs such a case and reads SUMO's trip and person info
  back into the tables :func:`idrt.simulate` returns.

SUMO is optional: ``pip install "idrt[sumo]"``.
"""

from __future__ import annotations

from idrt.interop._tools import find_binary, sumo_available
from idrt.interop.sumo_export import SumoCase, to_sumo
from idrt.interop.sumo_results import SumoResult, read_sumo, run_sumo, served_within

__all__ = [
    "SumoCase",
    "SumoResult",
    "find_binary",
    "read_sumo",
    "run_sumo",
    "served_within",
    "sumo_available",
    "to_sumo",
]
