"""The only place idrt talks to the internet: osmnx downloads.

Nothing else in idrt imports this module's functions implicitly; they run
when a user asks for a ``place`` or ``bbox``. osmnx's own HTTP cache
(``osmnx.settings.cache_folder``) keeps downloads, so a second call works
offline.
"""

from __future__ import annotations

import networkx as nx

from idrt.errors import NetworkError
from idrt.network.signals import simplify_keeping_signals

__all__ = ["graph_from_bbox", "graph_from_place"]

_HINT = (
    "Check the spelling (try it on https://nominatim.openstreetmap.org), your internet "
    "connection, or load a saved GraphML/OSM file instead."
)


def _osmnx():
    import osmnx as ox  # noqa: PLC0415 -- osmnx costs ~1.6 s, only to download OSM

    ox.settings.use_cache = True
    return ox


def graph_from_place(place: str, *, network_type: str = "drive") -> nx.MultiDiGraph:
    """Download the drivable network of a named place with osmnx.

    Raises
    ------
    NetworkError
        If osmnx cannot geocode the place or download its roads.
    """
    ox = _osmnx()
    try:
        G = ox.graph_from_place(place, network_type=network_type, simplify=False)
    except Exception as exc:  # osmnx raises many kinds; all mean "no network"
        msg = f"could not get the road network of place {place!r}: {exc}. {_HINT}"
        raise NetworkError(msg) from exc
    return simplify_keeping_signals(G)


def graph_from_bbox(
    bbox: tuple[float, float, float, float], *, network_type: str = "drive"
) -> nx.MultiDiGraph:
    """Download the drivable network inside ``(west, south, east, north)`` degrees.

    Raises
    ------
    NetworkError
        If the box is malformed or the download fails.
    """
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        msg = f"bbox must be (west, south, east, north) in degrees; got {bbox!r}"
        raise NetworkError(msg) from exc
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        msg = (
            f"bbox {bbox!r} is not (west, south, east, north) in degrees with west < east "
            "and south < north"
        )
        raise NetworkError(msg)
    ox = _osmnx()
    try:
        G = ox.graph_from_bbox(
            (west, south, east, north), network_type=network_type, simplify=False
        )
    except Exception as exc:
        msg = f"could not get the road network in bbox {bbox!r}: {exc}. {_HINT}"
        raise NetworkError(msg) from exc
    return simplify_keeping_signals(G)
