"""Checks shared by the demand modules: seeds, service hours, distributions, files."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from idrt.errors import DemandError

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86_400.0


def as_generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return the one random generator of a call.

    ``None`` draws fresh entropy from the OS (not reproducible); an ``int``
    seeds a new PCG64 generator; a ``Generator`` is used as given.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        msg = f"seed must be a non-negative integer or a numpy.random.Generator, got {seed!r}"
        raise DemandError(msg)
    return np.random.default_rng(int(seed))


def service_window_s(service_hours: Any, *, where: str = "service_hours") -> tuple[float, float]:
    """Validate ``(start_h, end_h)`` and return it in seconds since midnight.

    Hours may be fractional (``(5.5, 23)`` is 05:30-23:00); the window is
    half-open ``[start, end)`` and lies within one day: ``0 <= start < end <= 24``.
    """
    try:
        start_h, end_h = (float(v) for v in service_hours)
    except (TypeError, ValueError):
        msg = f"{where} must be (start_h, end_h) in hours, e.g. (6, 23); got {service_hours!r}"
        raise DemandError(msg) from None
    if not (0.0 <= start_h < end_h <= 24.0):
        msg = (
            f"{where}={service_hours!r} must satisfy 0 <= start_h < end_h <= 24 "
            "(hours of one day, e.g. (6, 23))"
        )
        raise DemandError(msg)
    return start_h * SECONDS_PER_HOUR, end_h * SECONDS_PER_HOUR


def fmt_clock(t_s: float) -> str:
    """Seconds since midnight as ``HH:MM:SS`` (hours may pass 24)."""
    if not math.isfinite(t_s):
        return str(t_s)
    sign = "-" if t_s < 0 else ""
    t = round(abs(t_s))
    return f"{sign}{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


def discrete_distribution(
    dist: Mapping[Any, float], *, name: str, tol: float = 1e-6
) -> tuple[np.ndarray, np.ndarray]:
    """Validate a ``{value: probability}`` mapping; return values and probabilities.

    Probabilities must be finite, non-negative and sum to 1 within ``tol``;
    they are renormalised to sum to exactly 1.
    """
    if not isinstance(dist, Mapping) or not dist:
        msg = f"{name} must be a non-empty mapping {{value: probability}}, got {dist!r}"
        raise DemandError(msg)
    values = list(dist.keys())
    try:
        probs = np.array([float(dist[k]) for k in values], dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} probabilities must be numbers, got {dist!r}"
        raise DemandError(msg) from None
    if not np.all(np.isfinite(probs)) or np.any(probs < 0):
        msg = f"{name} probabilities must be finite and >= 0, got {dist!r}"
        raise DemandError(msg)
    total = float(probs.sum())
    if abs(total - 1.0) > tol:
        msg = f"{name} probabilities must sum to 1, they sum to {total:.6g}: {dist!r}"
        raise DemandError(msg)
    return np.asarray(values), probs / total


def positive(value: Any, *, name: str, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a float that is > 0 (or >= 0), finite unless allowed."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        msg = f"{name} must be a number, got {value!r}"
        raise DemandError(msg) from None
    ok = (v >= 0.0 if allow_zero else v > 0.0) and (allow_inf or math.isfinite(v))
    if not ok or math.isnan(v):
        bound = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a {'' if allow_inf else 'finite '}number {bound}, got {value!r}"
        raise DemandError(msg)
    return v


def existing_file(path: str | os.PathLike[str], *, what: str) -> Path:
    """Return ``path`` as a Path, raising DemandError if it is not a readable file."""
    p = Path(path).expanduser()
    if not p.is_file():
        msg = f"{what} file {str(p)!r} does not exist; check the path (relative to {Path.cwd()})"
        raise DemandError(msg)
    return p


def demand_dirs() -> list[Path]:
    """Folders searched for named demand data (profiles, areas), in order.

    ``$IDRT_DEMAND_DIR`` (if set), ``./demand`` and the ``demand/`` folder of
    the idrt source checkout.
    """
    dirs = []
    if env := os.environ.get("IDRT_DEMAND_DIR"):
        dirs.append(Path(env))
    dirs.append(Path.cwd() / "demand")
    dirs.append(Path(__file__).resolve().parents[2] / "demand")
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique
