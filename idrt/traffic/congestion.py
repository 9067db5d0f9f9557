"""Time-of-day congestion: background v/c profiles, link capacities and BPR.

The traffic the buses share the road with is not simulated vehicle by
vehicle. Its effect is described by a **background volume-to-capacity ratio**
``v/c`` per hour of the day and road class (a :class:`CongestionProfile`),
which

* slows every link by the BPR function (Bureau of Public Roads, *Traffic
  Assignment Manual*, 1964)::

      t = t0 (1 + alpha (v/c)^beta),    alpha = 0.15, beta = 4

* and sets the degree of saturation of the approaches of signalised
  intersections (:mod:`idrt.traffic.travel_times`).

Link capacity (:data:`DEFAULT_CAPACITY_VPHPL`, veh/h per lane) is a planning
capacity by road class. Uninterrupted classes sit below the basic-segment
capacities of HCM 2016 (2,400 pc/h/ln at 70 mph) and KHCM 2013 (about
2,200 pc/h/ln for freeways) to allow for heavy vehicles; signalised urban
classes are the saturation flow (about 1,800 veh/h/ln) times a typical g/C of
0.45–0.55, as is usual in strategic network models; local streets are
engineering assumptions (600 and below). They are defaults a planner
overrides per class (``TrafficConfig.capacity_vphpl``), not measurements of
Yeongjong.

Profile files
-------------
A CSV with exactly 24 rows, hours 0 to 23, and the columns ``hour`` and
``vc_factor`` (background v/c for every road class), optionally followed by
columns named after road classes (``primary``, ``residential`` …, see
:data:`idrt.network.speeds.ROAD_CLASSES`) that override ``vc_factor`` for that
class. Lines starting with ``#`` are comments::

    # weekday background traffic, two peaks
    hour,vc_factor,residential
    0,0.10,0.04
    ...
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from idrt.errors import ScenarioError, quote_header
from idrt.network.speeds import ROAD_CLASSES

__all__ = [
    "DEFAULT_CAPACITY_VPHPL",
    "N_SLICES",
    "ROAD_CLASS_RANK",
    "CongestionProfile",
    "bpr_travel_time_s",
    "capacity_per_lane_vph",
    "load_congestion_profile",
]

N_SLICES = 24
"""Number of time slices of a day (hourly)."""

DEFAULT_CAPACITY_VPHPL: Mapping[str, float] = MappingProxyType(
    {
        "other": 500.0,
        "motorway": 2000.0,
        "motorway_link": 1400.0,
        "trunk": 1800.0,
        "trunk_link": 1200.0,
        "primary": 1000.0,
        "primary_link": 800.0,
        "secondary": 900.0,
        "secondary_link": 700.0,
        "tertiary": 800.0,
        "tertiary_link": 600.0,
        "unclassified": 600.0,
        "residential": 500.0,
        "living_street": 300.0,
        "service": 300.0,
        "road": 500.0,
        "busway": 900.0,
    }
)
"""Planning capacity per lane by road class, veh/h/ln (see the module docstring)."""

ROAD_CLASS_RANK: Mapping[str, int] = MappingProxyType(
    {
        "motorway": 9,
        "trunk": 8,
        "primary": 7,
        "secondary": 6,
        "tertiary": 5,
        "busway": 5,
        "motorway_link": 4,
        "trunk_link": 4,
        "primary_link": 4,
        "secondary_link": 3,
        "tertiary_link": 3,
        "unclassified": 2,
        "road": 2,
        "residential": 1,
        "living_street": 0,
        "service": 0,
        "other": 0,
    }
)
"""Road hierarchy: the main street of an intersection is its highest-ranked road."""


def bpr_travel_time_s(
    free_flow_s: ArrayLike, vc: ArrayLike, *, alpha: float = 0.15, beta: float = 4.0
) -> Any:
    """Congested link travel time by the BPR function ``t0 (1 + alpha (v/c)^beta)``.

    Parameters
    ----------
    free_flow_s : float or array_like
        Free-flow travel time t0 in seconds, >= 0.
    vc : float or array_like
        Volume-to-capacity ratio, >= 0 (may exceed 1).
    alpha, beta : float
        BPR parameters (BPR 1964 defaults 0.15 and 4), >= 0.

    Returns
    -------
    float or numpy.ndarray
        Travel time in seconds; exactly ``t0`` where ``v/c = 0``.

    Examples
    --------
    >>> round(bpr_travel_time_s(100.0, 1.0), 9)
    115.0
    """
    t0 = np.asarray(free_flow_s, dtype=np.float64)
    x = np.asarray(vc, dtype=np.float64)
    if not (np.isfinite(t0).all() and (t0 >= 0).all()):
        msg = "free_flow_s must be finite and >= 0 seconds"
        raise ScenarioError(msg)
    if not (np.isfinite(x).all() and (x >= 0).all()):
        msg = "vc (volume/capacity) must be finite and >= 0"
        raise ScenarioError(msg)
    if not (math.isfinite(alpha) and alpha >= 0 and math.isfinite(beta) and beta >= 0):
        msg = f"bpr alpha = {alpha!r}, beta = {beta!r}: both must be finite and >= 0 (0.15, 4)"
        raise ScenarioError(msg)
    out = _bpr(t0, x, alpha, beta)
    return float(out) if out.ndim == 0 else out


def _bpr(t0: np.ndarray, vc: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    return t0 * (1.0 + alpha * vc**beta)


def capacity_per_lane_vph(overrides: Mapping[str, float] | None = None) -> NDArray[np.float64]:
    """Capacity per lane (veh/h/ln) indexed by the compact ``road_class`` code.

    Parameters
    ----------
    overrides
        Per-class values replacing :data:`DEFAULT_CAPACITY_VPHPL`.

    Raises
    ------
    ScenarioError
        An unknown road class or a non-positive capacity.
    """
    merged = dict(DEFAULT_CAPACITY_VPHPL)
    for name, value in (overrides or {}).items():
        if name not in merged:
            msg = (
                f"capacity_vphpl names road class {name!r}, which idrt does not know; "
                f"use one of {list(ROAD_CLASSES)}"
            )
            raise ScenarioError(msg)
        v = _as_float(value)
        if not (math.isfinite(v) and v > 0):
            msg = f"capacity_vphpl[{name!r}] = {value!r}: give a positive number of veh/h/lane"
            raise ScenarioError(msg)
        merged[name] = v
    return np.array([merged[c] for c in ROAD_CLASSES], dtype=np.float64)


def _as_float(value: object) -> float:
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


# ------------------------------------------------------------------ profiles
@dataclass(frozen=True, eq=False)
class CongestionProfile:
    """Background volume/capacity ratio per time slice and road class.

    Attributes
    ----------
    vc : numpy.ndarray
        float64, shape ``(24, len(ROAD_CLASSES))``: v/c of road class
        ``road_class`` in hour ``h`` (``[h:00, h+1:00)``); finite, >= 0.
        Read-only.
    name : str
        Label (the file stem when loaded from a file).

    Raises
    ------
    ScenarioError
        Wrong shape (not 24 slices) or negative / non-finite values.

    Examples
    --------
    >>> p = CongestionProfile.hourly([0.5] * 24, per_class={"residential": [0.2] * 24})
    >>> p.vc.shape
    (24, 17)
    """

    vc: np.ndarray
    name: str = "profile"

    def __post_init__(self) -> None:
        try:
            vc = np.array(self.vc, dtype=np.float64)
        except (TypeError, ValueError):
            msg = f"congestion profile {self.name!r}: v/c values must be numbers"
            raise ScenarioError(msg) from None
        if vc.ndim != 2 or vc.shape != (N_SLICES, len(ROAD_CLASSES)):
            msg = (
                f"congestion profile {self.name!r} has shape {vc.shape}; it needs "
                f"{N_SLICES} hourly slices x {len(ROAD_CLASSES)} road classes "
                "(use CongestionProfile.hourly for 24 values)"
            )
            raise ScenarioError(msg)
        bad = ~(np.isfinite(vc) & (vc >= 0))
        if bad.any():
            h, k = np.argwhere(bad)[0]
            msg = (
                f"congestion profile {self.name!r}: v/c of {ROAD_CLASSES[k]!r} in hour {h} "
                f"is {vc[h, k]!r}; background v/c must be finite and >= 0"
            )
            raise ScenarioError(msg)
        vc.flags.writeable = False
        object.__setattr__(self, "vc", vc)

    @classmethod
    def flat(cls, vc: float = 0.0) -> CongestionProfile:
        """The same v/c in every hour and class (0: free flow all day)."""
        return cls.hourly([vc] * N_SLICES, name=f"flat_{vc:g}")

    @classmethod
    def hourly(
        cls,
        vc_factor: Sequence[float] | ArrayLike,
        *,
        per_class: Mapping[str, Sequence[float]] | None = None,
        name: str = "profile",
    ) -> CongestionProfile:
        """Build a profile from 24 hourly values, with optional per-class rows.

        Parameters
        ----------
        vc_factor
            24 background v/c values (hours 0–23) for every road class.
        per_class
            ``{road_class: 24 values}`` overriding ``vc_factor`` for a class.
        name
            Label.

        Raises
        ------
        ScenarioError
            Not 24 values, an unknown class, or invalid values.
        """
        base = _hourly_values(vc_factor, f"congestion profile {name!r}: vc_factor")
        vc = np.repeat(base[:, None], len(ROAD_CLASSES), axis=1)
        for cls_name, values in (per_class or {}).items():
            if cls_name not in ROAD_CLASSES:
                msg = (
                    f"congestion profile {name!r}: column {cls_name!r} is not a road class; "
                    f"use 'vc_factor' or one of {list(ROAD_CLASSES)}"
                )
                raise ScenarioError(msg)
            where = f"congestion profile {name!r}: {cls_name}"
            vc[:, ROAD_CLASSES.index(cls_name)] = _hourly_values(values, where)
        return cls(vc, name=name)

    def edge_vc(self, road_class: ArrayLike) -> NDArray[np.float64]:
        """Background v/c per slice and edge, shape ``(24, m)``, from edge classes."""
        return self.vc[:, np.asarray(road_class, dtype=np.intp)]

    def perturbed(
        self, rng: np.random.Generator, cv: float, correlation: float = 0.0
    ) -> CongestionProfile:
        """One realised day: every hour's v/c times a mean-1 lognormal factor.

        The factor of hour ``h`` is ``exp(sigma z_h - sigma²/2)`` with
        ``z_h = sqrt(rho) z_day + sqrt(1 - rho) e_h``: a day-wide component
        (weather, events: the whole day is busier or quieter) and an hourly
        one, ``rho = correlation``. Always draws 25 normals (24 hourly, then
        the day's), so runs that differ only in C-ITS see the same day.

        Parameters
        ----------
        rng
            The run's random generator.
        cv
            Coefficient of variation of the factor (day-to-day variability);
            0 returns the profile unchanged.
        correlation
            Share ``rho`` of the factor's log-variance common to all hours of
            the day, in [0, 1].

        Returns
        -------
        CongestionProfile
            The realised day (the same factor for all classes within an hour).
        """
        if not (math.isfinite(cv) and cv >= 0):
            msg = f"day_to_day_cv = {cv!r}: must be a finite number >= 0 (e.g. 0.1)"
            raise ScenarioError(msg)
        if not 0 <= correlation <= 1:
            msg = f"day_to_day_correlation = {correlation!r}: must be in [0, 1]"
            raise ScenarioError(msg)
        if cv == 0:
            return self
        sigma = math.sqrt(math.log1p(cv * cv))
        hourly = rng.standard_normal(N_SLICES)
        day = rng.standard_normal()
        z = math.sqrt(correlation) * day + math.sqrt(1.0 - correlation) * hourly
        factor = np.exp(sigma * z - 0.5 * sigma * sigma)
        return CongestionProfile(self.vc * factor[:, None], name=f"{self.name}_realised")


def _hourly_values(values: Any, where: str) -> NDArray[np.float64]:
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{where}: needs 24 numbers (hours 0 to 23), got {values!r}"
        raise ScenarioError(msg) from None
    if arr.shape != (N_SLICES,):
        msg = f"{where}: has {arr.size} hourly slices; it needs exactly {N_SLICES} (hours 0 to 23)"
        raise ScenarioError(msg)
    return arr


def load_congestion_profile(
    source: CongestionProfile | str | os.PathLike[str] | Sequence[float] | None,
    *,
    base_dir: str | os.PathLike[str] = "",
) -> CongestionProfile:
    """Return a :class:`CongestionProfile` from a profile, a CSV file, a name or values.

    Parameters
    ----------
    source
        A profile; ``None`` or ``""`` for no background traffic (v/c 0, free
        flow all day); a path to a ``hour,vc_factor[,class…]`` CSV, looked up
        as given, under ``base_dir``, the working directory and the idrt
        checkout; a bare name looked up as ``demand/profiles/<name>.csv`` in
        those folders; or 24 numbers.
    base_dir
        Folder of the scenario file, searched first for relative paths.

    Raises
    ------
    ScenarioError
        A missing file, malformed rows (naming file and line), a repeated or
        missing hour, not 24 rows, or invalid values.
    """
    if isinstance(source, CongestionProfile):
        return source
    if source is None or (isinstance(source, str) and not source.strip()):
        return CongestionProfile.flat(0.0)
    if isinstance(source, str | os.PathLike):
        path = _find_profile(Path(source).expanduser(), base_dir)
        return _read_csv(path)
    return CongestionProfile.hourly(source)


def _find_profile(path: Path, base_dir: str | os.PathLike[str]) -> Path:
    if path.is_absolute():
        candidates = [path]
    else:
        roots = [Path(base_dir)] if base_dir else []
        roots += [Path.cwd(), Path(__file__).resolve().parents[2]]
        candidates = [root / path for root in roots]
        if not path.suffix:
            candidates += [root / "demand" / "profiles" / f"{path}.csv" for root in roots]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    msg = (
        f"congestion profile {str(path)!r} not found (looked for {[str(c) for c in candidates]}); "
        "give the path of an hour,vc_factor CSV, or '' for no background traffic"
    )
    raise ScenarioError(msg)


def _read_csv(path: Path) -> CongestionProfile:
    rows: dict[int, list[float]] = {}
    header: list[str] | None = None
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for lineno, row in enumerate(csv.reader(fh), start=1):
            cells = [c.strip() for c in row]
            if not cells or not any(cells) or cells[0].startswith("#"):
                continue
            if header is None:
                header = [c.lower() for c in cells]
                if header[:2] != ["hour", "vc_factor"]:
                    msg = (
                        f"{path}:{lineno}: header is {quote_header(','.join(cells))}; a "
                        "congestion profile starts "
                        "with 'hour,vc_factor' (then optional road-class columns)"
                    )
                    raise ScenarioError(msg)
                unknown = [c for c in header[2:] if c not in ROAD_CLASSES]
                if unknown or len(set(header)) != len(header):
                    msg = (
                        f"{path}:{lineno}: columns {unknown or header} are not distinct road "
                        f"classes; extra columns must be among {list(ROAD_CLASSES)}"
                    )
                    raise ScenarioError(msg)
                continue
            if len(cells) != len(header):
                msg = f"{path}:{lineno}: {len(cells)} values, expected {len(header)} ({header})"
                raise ScenarioError(msg)
            try:
                hour = int(cells[0])
                values = [float(c) for c in cells[1:]]
            except ValueError:
                msg = f"{path}:{lineno}: {cells} is not an hour and numbers"
                raise ScenarioError(msg) from None
            if not 0 <= hour < N_SLICES or hour in rows:
                msg = f"{path}:{lineno}: hour {hour} is out of 0..23 or repeated"
                raise ScenarioError(msg)
            rows[hour] = values
    if header is None or len(rows) != N_SLICES:
        msg = (
            f"congestion profile {str(path)!r} has {len(rows)} hourly slices; it needs exactly "
            f"{N_SLICES} rows, hours 0 to 23"
        )
        raise ScenarioError(msg)
    table = np.array([rows[h] for h in range(N_SLICES)], dtype=np.float64)
    per_class = {name: table[:, i + 1] for i, name in enumerate(header[2:])}
    return CongestionProfile.hourly(table[:, 0], per_class=per_class, name=path.stem)
