"""idrt: fast simulation of demand-responsive transit on real road networks."""

from __future__ import annotations

from idrt.errors import (
    DemandError,
    IdrtError,
    IdrtWarning,
    InteropError,
    NetworkError,
    ScenarioError,
)

__version__ = "0.1.0"

__all__ = [
    "DemandError",
    "IdrtError",
    "IdrtWarning",
    "InteropError",
    "NetworkError",
    "ScenarioError",
    "__version__",
]
