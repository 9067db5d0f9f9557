"""Free-flow speeds of road links: posted limits, else Korean urban defaults.

The defaults follow Korea's "safe speed 5030" rule (in force nationwide since
April 2021): 50 km/h on urban arterials, 30 km/h on residential streets and in
protection zones, with posted limits on motorways (100 km/h) and urban
expressways (80 km/h). A posted ``maxspeed`` on the link always wins; a planner
overrides any class default per scenario with ``speeds_kmh={"residential": 25}``.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Collection, Mapping

from idrt.errors import NetworkError

__all__ = ["DEFAULT_SPEEDS_KMH", "FALLBACK_SPEED_KMH", "ROAD_CLASSES", "parse_maxspeed_kmh"]

DEFAULT_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 50.0,
    "tertiary_link": 40.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 20.0,
    "service": 20.0,
    "road": 30.0,
    "busway": 50.0,
}
"""Free-flow speed by OSM ``highway`` class (km/h) when no limit is posted."""

FALLBACK_SPEED_KMH = 30.0
"""Speed (km/h) for a class missing from the table: the 5030 rule's 30."""

ROAD_CLASSES: tuple[str, ...] = ("other", *DEFAULT_SPEEDS_KMH)
"""Road classes in the order of the compact ``road_class`` code (0 = other)."""

_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)


def parse_maxspeed_kmh(value: object) -> float:
    """Parse an OSM ``maxspeed`` tag into km/h.

    Parameters
    ----------
    value
        The tag as found on an osmnx edge: ``"50"``, ``"30 mph"``, a list of
        such strings (several OSM ways merged into one edge; their mean is
        used, as osmnx does), the string form of such a list, or ``None``.

    Returns
    -------
    float
        Speed in km/h, or ``nan`` when nothing usable is posted (``"none"``,
        ``"walk"``, ``"signals"``, ``"KR:urban"``, missing).
    """
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else math.nan
    if isinstance(value, (list, tuple)):
        speeds = [s for s in (parse_maxspeed_kmh(v) for v in value) if not math.isnan(s)]
        return sum(speeds) / len(speeds) if speeds else math.nan
    text = str(value).strip()
    if text.startswith("["):
        try:
            return parse_maxspeed_kmh(ast.literal_eval(text))
        except (ValueError, SyntaxError):
            return math.nan
    if ";" in text:
        return parse_maxspeed_kmh(text.split(";"))
    match = _NUMBER.match(text)
    if not match:
        return math.nan
    speed = float(match.group(1))
    if match.group(2) and match.group(2).lower() == "mph":
        speed *= _MPH
    return speed if speed > 0 else math.nan


def road_class_of(highway: object) -> str:
    """Return the single OSM ``highway`` class of an edge (first of a list)."""
    if isinstance(highway, (list, tuple)):
        highway = highway[0] if highway else None
    if isinstance(highway, str) and highway.startswith("["):
        try:
            parsed = ast.literal_eval(highway)
        except (ValueError, SyntaxError):
            parsed = None
        if isinstance(parsed, list) and parsed:
            highway = parsed[0]
    return str(highway) if highway is not None else "other"


def resolve_speeds(
    overrides: Mapping[str, float] | None, *, present: Collection[str] = ()
) -> dict[str, float]:
    """Merge per-class speed overrides (km/h) into the defaults, validating them.

    Parameters
    ----------
    overrides
        ``{road_class: km/h}``.
    present
        Road classes of the network at hand; an override may name one of
        these or a class of :data:`DEFAULT_SPEEDS_KMH`.

    Raises
    ------
    NetworkError
        If a speed is not a positive finite number, or a class is neither a
        known OSM ``highway`` class nor on the network (a misspelt class would
        otherwise change nothing without a word).
    """
    speeds = dict(DEFAULT_SPEEDS_KMH)
    known = sorted(set(DEFAULT_SPEEDS_KMH) | set(present) - {"other"})
    for road_class in overrides or {}:
        if str(road_class) not in known:
            close = difflib.get_close_matches(str(road_class), known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            msg = (
                f"speeds_kmh names road class {road_class!r}, which is neither an OSM highway "
                f"class idrt knows nor on this network; {hint}known classes: {known}"
            )
            raise NetworkError(msg)
    for road_class, speed in (overrides or {}).items():
        try:
            speed = float(speed)
        except (TypeError, ValueError):
            speed = math.nan
        if not math.isfinite(speed) or speed <= 0:
            msg = (
                f"speed for road class {road_class!r} is {speed!r} km/h; give a positive "
                f"number of km/h, e.g. speeds_kmh={{{road_class!r}: 30}}"
            )
            raise NetworkError(msg)
        speeds[str(road_class)] = speed
    return speeds
