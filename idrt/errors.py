"""Exceptions and warnings raised by idrt.

Every error a user can cause derives from :class:`IdrtError` and from
:class:`ValueError`, and its message names the problem and the fix.
"""

from __future__ import annotations

__all__ = [
    "DemandError",
    "IdrtError",
    "IdrtWarning",
    "InteropError",
    "NetworkError",
    "ScenarioError",
]


class IdrtError(Exception):
    """Base class of every error idrt raises on bad input."""


class NetworkError(IdrtError, ValueError):
    """A road network could not be loaded, built or queried."""


class ScenarioError(IdrtError, ValueError):
    """A scenario (configuration) is invalid."""


class DemandError(IdrtError, ValueError):
    """Demand input (trips, profiles, service areas) is invalid."""


class InteropError(IdrtError, ValueError):
    """Export to, or read-back from, a peer tool (SUMO) failed."""


class IdrtWarning(UserWarning):
    """Something worth knowing happened, but the run can go on."""
