"""What ``idrt demand describe FILE`` prints: a trip file's totals by hour and by zone."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from idrt.demand._validate import demand_dirs
from idrt.demand.area import ServiceArea
from idrt.demand.io import from_csv

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["describe_file", "named_areas"]


def named_areas(folder: str | os.PathLike[str] | None = None) -> dict[str, ServiceArea]:
    """The service and expansion areas (``*.geojson``) of the ``demand/`` folder, by name.

    Parameters
    ----------
    folder
        Where to look; default the first of ``$IDRT_DEMAND_DIR``, ``./demand``
        and the project's ``demand/`` that holds any GeoJSON.

    Returns
    -------
    dict of str to ServiceArea
        In file-name order; empty when no folder holds GeoJSON.
    """
    folders = [Path(folder)] if folder is not None else demand_dirs()
    for d in folders:
        files = sorted(d.glob("*.geojson")) if d.is_dir() else []
        if files:
            areas = [ServiceArea.from_geojson(f) for f in files]
            return {a.name: a for a in areas}
    return {}


def describe_file(
    path: str | os.PathLike[str],
    *,
    zones: Sequence[str | os.PathLike[str] | ServiceArea] | None = None,
    net: RoadNetwork | None = None,
    service_hours: tuple[float, float] = (0.0, 24.0),
) -> str:
    """Summarise a trip file: totals, requests by hour and trip ends by zone.

    Reads ``path`` with :func:`~idrt.demand.io.from_csv` (lines in any
    order) and returns :meth:`Demand.describe` of it.

    Parameters
    ----------
    path
        A trip log or a file written by ``Demand.to_csv``.
    zones
        GeoJSON paths or areas to count trip ends in; default
        :func:`named_areas` (the default service area and the expansion areas).
    net
        Network to snap to; needed only for files that give node ids without
        coordinates.
    service_hours
        ``(start_h, end_h)`` the requested times must fall in.

    Returns
    -------
    str
        Printable text.

    Raises
    ------
    DemandError
        If the file or a zone cannot be read (naming file and line).
    """
    demand = from_csv(path, net, service_hours=service_hours, sort=True)
    if zones is None:
        areas: dict[str, ServiceArea] | list[ServiceArea] = named_areas()
    else:
        areas = [z if isinstance(z, ServiceArea) else ServiceArea.from_geojson(z) for z in zones]
    return demand.describe(areas or None)
