"""Attractors: the places (points or zones) that draw trips, with weights.

An attractor is a point (lon/lat, or a node id) with an optional radius, or a
zone (a :class:`~idrt.demand.area.ServiceArea`). Its weight is spread equally
over the service-area nodes it covers: the nodes within ``radius_m``
(straight-line metres) of the point — or the nearest node when the radius is 0
or covers none — or the nodes inside the zone. ``background`` is a weight
spread equally over every node of the service area. Weights are relative: only
their ratios matter.

TOML form (``demand/yeongjong_attractors.toml``)::

    background = 2.0            # spread over every node of the service area

    [attractors.airport_terminal]
    lon = 126.4356
    lat = 37.4895
    weight = 1.5
    radius_m = 150              # optional, default 0: the nearest node

    [attractors.industrial_estate]
    geojson = "expansion_industrial.geojson"   # a zone; path relative to this file
    weight = 1.0
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.spatial import cKDTree

from idrt.demand._validate import existing_file, positive
from idrt.demand.area import ServiceArea
from idrt.errors import DemandError

if TYPE_CHECKING:
    from idrt.network import RoadNetwork

__all__ = ["Attractor", "Attractors", "load_attractors"]

MAX_GAP_M = 250.0
"""An attractor point farther than this (plus its radius) from every service-area node is
an error: it is meant for another area (its weight would silently land on the edge of
this one)."""

_KEYS = {"lon", "lat", "node", "weight", "radius_m", "geojson"}


@dataclass(frozen=True)
class Attractor:
    """One place that draws trips.

    Give exactly one location: ``lon`` and ``lat`` (WGS84 degrees), ``node``
    (a source node id), or ``area`` (a zone).

    Attributes
    ----------
    name : str
        Label, also the zone name in an OD matrix.
    weight : float
        Relative weight (>= 0).
    lon, lat : float, optional
        Location in WGS84 degrees.
    node : int, optional
        Location as a network node id.
    radius_m : float
        Spread the weight over the service-area nodes within this straight-line
        distance (metres) of the point; 0 puts it on the nearest node.
    area : ServiceArea, optional
        A zone: the weight is spread over the service-area nodes inside it.
    """

    name: str
    weight: float
    lon: float | None = None
    lat: float | None = None
    node: int | None = None
    radius_m: float = 0.0
    area: ServiceArea | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "weight",
            positive(self.weight, name=f"attractor {self.name!r} weight", allow_zero=True),
        )
        object.__setattr__(
            self,
            "radius_m",
            positive(self.radius_m, name=f"attractor {self.name!r} radius_m", allow_zero=True),
        )
        kinds = [
            self.lon is not None or self.lat is not None,
            self.node is not None,
            self.area is not None,
        ]
        if sum(kinds) != 1:
            msg = (
                f"attractor {self.name!r} needs exactly one location: lon and lat, a node id, "
                "or an area (geojson)"
            )
            raise DemandError(msg)
        if kinds[0]:
            try:
                lon, lat = float(self.lon), float(self.lat)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                msg = (
                    f"attractor {self.name!r} needs numeric lon and lat, got {self.lon}, {self.lat}"
                )
                raise DemandError(msg) from None
            if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                msg = (
                    f"attractor {self.name!r} at lon={lon}, lat={lat} is not a WGS84 "
                    "position in degrees"
                )
                raise DemandError(msg)
            object.__setattr__(self, "lon", lon)
            object.__setattr__(self, "lat", lat)


@dataclass(frozen=True)
class Attractors:
    """A set of attractors and a background weight.

    Attributes
    ----------
    items : tuple of Attractor
        The attractors; names are unique.
    background : float
        Weight spread equally over every node of the service area (>= 0).
    """

    items: tuple[Attractor, ...] = ()
    background: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(
            self, "background", positive(self.background, name="background", allow_zero=True)
        )
        names = [a.name for a in self.items]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            msg = f"attractor names must be unique; repeated: {dup}"
            raise DemandError(msg)
        total = self.background + math.fsum(a.weight for a in self.items)
        if not total > 0.0:
            msg = "attractors: the weights and background are all 0; give some a positive weight"
            raise DemandError(msg)

    def merged(self, other: Attractors) -> Attractors:
        """Both sets together (for a service area extended by an expansion area).

        Backgrounds add up; names must stay unique.
        """
        return Attractors(self.items + other.items, background=self.background + other.background)

    @property
    def names(self) -> list[str]:
        """Attractor names, in order."""
        return [a.name for a in self.items]

    def zone_members(self, net: RoadNetwork, candidates: np.ndarray) -> dict[str, np.ndarray]:
        """Positions in ``candidates`` (internal node indices) each attractor covers.

        Raises
        ------
        DemandError
            If a point lies farther than :data:`MAX_GAP_M` (plus its radius)
            from every candidate, a node is not a candidate, or a zone holds
            no candidate.
        """
        if candidates.size == 0:
            msg = "the service area holds no network node; check that it overlaps the network"
            raise DemandError(msg)
        cx, cy = net.x_m[candidates], net.y_m[candidates]
        tree = cKDTree(np.column_stack([cx, cy]))
        members: dict[str, np.ndarray] = {}
        for a in self.items:
            if a.area is not None:
                pos = np.flatnonzero(a.area.contains(net.lon[candidates], net.lat[candidates]))
                if pos.size == 0:
                    msg = (
                        f"attractor zone {a.name!r} holds no node of the service area; "
                        "check that the zone overlaps the service area"
                    )
                    raise DemandError(msg)
            elif a.node is not None:
                idx = net.index_of(int(a.node))
                pos = np.flatnonzero(candidates == idx)
                if pos.size == 0:
                    msg = (
                        f"attractor {a.name!r} is at node {a.node}, which is outside the "
                        "service area; move it or widen the area"
                    )
                    raise DemandError(msg)
            else:
                x, y = net.project(a.lon, a.lat)
                gap, nearest = tree.query([float(x), float(y)])
                if gap > MAX_GAP_M + a.radius_m:
                    msg = (
                        f"attractor {a.name!r} (lon={a.lon}, lat={a.lat}) is {gap:.0f} m from "
                        f"the nearest node of the service area (more than {MAX_GAP_M:.0f} m): "
                        "it belongs to another area; drop it or widen the area"
                    )
                    raise DemandError(msg)
                pos = np.empty(0, dtype=np.int64)
                if a.radius_m > 0:
                    pos = np.sort(
                        np.asarray(
                            tree.query_ball_point([float(x), float(y)], a.radius_m), dtype=np.int64
                        )
                    )
                if pos.size == 0:
                    pos = np.array([int(nearest)], dtype=np.int64)
            members[a.name] = pos.astype(np.int64)
        return members

    def node_weights(self, net: RoadNetwork, candidates: np.ndarray) -> np.ndarray:
        """Weight of each candidate node (float64, summing to 1).

        ``candidates`` are internal node indices of the service-area nodes.
        """
        members = self.zone_members(net, candidates)
        w = np.full(candidates.size, self.background / candidates.size, dtype=np.float64)
        for a in self.items:
            pos = members[a.name]
            np.add.at(w, pos, a.weight / pos.size)
        total = w.sum()
        if not total > 0.0:
            msg = "attractors give every node of the service area weight 0"
            raise DemandError(msg)
        return w / total


def load_attractors(
    source: Attractors | Mapping[str, Any] | Sequence[Attractor] | str | os.PathLike[str] | None,
) -> Attractors:
    """Return :class:`Attractors` from a TOML file, a mapping or a list.

    Parameters
    ----------
    source
        ``None`` (uniform: background 1, no attractors); an :class:`Attractors`;
        a sequence of :class:`Attractor`; a path to a TOML file (see the module
        docstring); or a mapping ``{name: {"lon", "lat", "weight", "radius_m"}}``
        (or ``"node"``, or ``"area"``/``"geojson"`` for a zone) with an optional
        ``"background": weight`` entry (default 0: every trip end at an attractor).

    Raises
    ------
    DemandError
        Missing or invalid TOML, unknown keys, missing locations, bad weights.
    """
    if source is None:
        return Attractors((), background=1.0)
    if isinstance(source, Attractors):
        return source
    if isinstance(source, str | os.PathLike):
        path = existing_file(source, what="attractors")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            msg = f"attractors file {str(path)!r} is not valid TOML: {exc}"
            raise DemandError(msg) from None
        unknown = set(data) - {"background", "attractors"}
        if unknown:
            msg = (
                f"{path}: unknown top-level keys {sorted(unknown)}; use 'background' and "
                "[attractors.NAME] tables"
            )
            raise DemandError(msg)
        table = dict(data.get("attractors", {}))
        return _from_mapping(table, data.get("background", 0.0), where=str(path), base=path.parent)
    if isinstance(source, Mapping):
        table = dict(source)
        background = table.pop("background", 0.0)
        return _from_mapping(table, background, where="attractors", base=Path.cwd())
    if isinstance(source, Sequence) and all(isinstance(a, Attractor) for a in source):
        return Attractors(tuple(source))
    msg = (
        "attractors must be a TOML path, a mapping {name: {lon, lat, weight}}, a list of "
        f"Attractor or an Attractors, got {type(source).__name__}"
    )
    raise DemandError(msg)


def _from_mapping(table: dict[str, Any], background: Any, *, where: str, base: Path) -> Attractors:
    items = []
    for name, spec in table.items():
        if isinstance(spec, Attractor):
            items.append(spec)
            continue
        if not isinstance(spec, Mapping):
            msg = f"{where}: attractor {name!r} must be a table of lon, lat, weight; got {spec!r}"
            raise DemandError(msg)
        spec = dict(spec)
        unknown = set(spec) - _KEYS - {"area"}
        if unknown:
            msg = (
                f"{where}: attractor {name!r} has unknown keys {sorted(unknown)}; valid keys "
                f"are {sorted(_KEYS | {'area'})}"
            )
            raise DemandError(msg)
        if "weight" not in spec:
            msg = f"{where}: attractor {name!r} needs a weight"
            raise DemandError(msg)
        area = spec.pop("area", None)
        if (geojson := spec.pop("geojson", None)) is not None:
            gpath = Path(geojson)
            area = ServiceArea.from_geojson(
                gpath if gpath.is_absolute() else base / gpath, name=name
            )
        items.append(Attractor(name=str(name), area=area, **spec))
    return Attractors(tuple(items), background=background)
