"""24-hour demand profiles: the share of a day's trips that start in each hour.

A profile file is a CSV with a header ``hour,share`` and exactly 24 rows,
hours 0 to 23, shares >= 0 summing to 1 (within 0.001; they are then
renormalised). Lines starting with ``#`` are comments, used to document the
profile's basis. Example (``demand/profiles/weekday.csv``)::

    # I-MOD-type weekday: morning and evening peaks
    hour,share
    0,0.004
    1,0.002
    ...
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from idrt.demand._validate import SECONDS_PER_HOUR, demand_dirs, service_window_s
from idrt.errors import DemandError, quote_header

__all__ = ["Profile", "load_profile"]

HOURS = 24
SUM_TOLERANCE = 1e-3
"""Shares may sum to 1 within this, to allow for rounding in the file."""


@dataclass(frozen=True)
class Profile:
    """Share of the daily trips requested in each hour of the day.

    Attributes
    ----------
    shares : tuple of 24 floats
        Share of hour ``h`` (``[h:00, h+1:00)``); non-negative, summing to 1
        (within 0.001, then renormalised exactly).
    name : str
        Label (the file stem when loaded from a file).

    Raises
    ------
    DemandError
        Not 24 shares, a negative or non-finite share, or a sum other than 1.

    Examples
    --------
    >>> p = Profile.uniform()
    >>> p.expected_per_hour(2400, service_hours=(6, 18))[6:8].tolist()
    [200.0, 200.0]
    """

    shares: tuple[float, ...]
    name: str = "profile"

    def __post_init__(self) -> None:
        try:
            shares = tuple(float(s) for s in self.shares)
        except (TypeError, ValueError):
            msg = f"profile {self.name!r}: shares must be 24 numbers, got {self.shares!r}"
            raise DemandError(msg) from None
        if len(shares) != HOURS:
            msg = (
                f"profile {self.name!r} has {len(shares)} hourly shares; it needs exactly 24 "
                "(hours 0 to 23)"
            )
            raise DemandError(msg)
        for h, s in enumerate(shares):
            if not (math.isfinite(s) and s >= 0.0):
                msg = f"profile {self.name!r}: share of hour {h} is {s}; shares must be >= 0"
                raise DemandError(msg)
        total = math.fsum(shares)
        if abs(total - 1.0) > SUM_TOLERANCE:
            msg = (
                f"profile {self.name!r}: hourly shares sum to {total:.6g}, not 1; divide "
                f"each share by {total:.6g} (shares are fractions of the day's trips)"
            )
            raise DemandError(msg)
        object.__setattr__(self, "shares", tuple(s / total for s in shares))

    @classmethod
    def uniform(cls) -> Profile:
        """The same share (1/24) in every hour."""
        return cls((1.0 / HOURS,) * HOURS, name="uniform")

    @property
    def array(self) -> np.ndarray:
        """The 24 shares as a float64 array."""
        return np.array(self.shares, dtype=np.float64)

    def hour_weights(self, service_hours: Any = (0, 24)) -> np.ndarray:
        """Shares restricted to the service window (partial hours pro rata), summing to 1.

        Raises
        ------
        DemandError
            If the profile has no demand inside the service hours.
        """
        start_s, end_s = service_window_s(service_hours)
        hours = np.arange(HOURS, dtype=np.float64) * SECONDS_PER_HOUR
        overlap = (
            np.clip(
                np.minimum(hours + SECONDS_PER_HOUR, end_s) - np.maximum(hours, start_s), 0.0, None
            )
            / SECONDS_PER_HOUR
        )
        w = self.array * overlap
        total = w.sum()
        if not total > 0.0:
            msg = (
                f"profile {self.name!r} has no demand within service_hours={service_hours!r}; "
                "widen the service hours or use a profile with demand in them"
            )
            raise DemandError(msg)
        return w / total

    def expected_per_hour(self, trips_per_day: float, service_hours: Any = (0, 24)) -> np.ndarray:
        """Expected requests in each hour when ``trips_per_day`` fall in the service window."""
        return float(trips_per_day) * self.hour_weights(service_hours)

    def rate_per_s(self, trips_per_day: float, service_hours: Any = (0, 24)) -> np.ndarray:
        """Poisson arrival rate (requests per second) in each hour, zero outside service."""
        start_s, end_s = service_window_s(service_hours)
        hours = np.arange(HOURS, dtype=np.float64) * SECONDS_PER_HOUR
        seconds = np.clip(
            np.minimum(hours + SECONDS_PER_HOUR, end_s) - np.maximum(hours, start_s), 0.0, None
        )
        expected = self.expected_per_hour(trips_per_day, service_hours)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(seconds > 0, expected / np.where(seconds > 0, seconds, 1.0), 0.0)

    def to_csv(self, path: str | os.PathLike[str], *, comment: str = "") -> Path:
        """Write the profile as ``hour,share`` CSV (with ``# comment`` lines first)."""
        path = Path(path)
        lines = [f"# {line}" for line in comment.splitlines()]
        lines.append("hour,share")
        lines += [f"{h},{s!r}" for h, s in enumerate(self.shares)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def load_profile(source: Profile | str | os.PathLike[str] | Sequence[float] | None) -> Profile:
    """Return a :class:`Profile` from a profile, a file, a name or 24 numbers.

    Parameters
    ----------
    source
        A :class:`Profile`; ``None`` or ``"uniform"`` for a flat profile; a
        path to an ``hour,share`` CSV; the name of a profile in
        ``demand/profiles/`` (e.g. ``"weekday"``); or a sequence of 24 shares.

    Raises
    ------
    DemandError
        Missing file, malformed rows (naming the file and line), not 24 hours,
        a repeated hour, or shares not summing to 1.

    Examples
    --------
    >>> load_profile([1 / 24] * 24).name
    'profile'
    """
    if isinstance(source, Profile):
        return source
    if source is None or (isinstance(source, str) and source == "uniform"):
        return Profile.uniform()
    if isinstance(source, str | os.PathLike):
        path = Path(source).expanduser()
        if not path.is_file() and isinstance(source, str) and not path.suffix:
            for folder in demand_dirs():
                candidate = folder / "profiles" / f"{source}.csv"
                if candidate.is_file():
                    path = candidate
                    break
        if not path.is_file():
            msg = (
                f"profile {str(source)!r} is neither a file (relative to {Path.cwd()}) nor a "
                "profile in demand/profiles/; give the path of an hour,share CSV"
            )
            raise DemandError(msg)
        return _read_profile_csv(path)
    if isinstance(source, Sequence | np.ndarray):
        return Profile(tuple(source))
    msg = f"profile must be a Profile, a CSV path, a name or 24 shares, got {source!r}"
    raise DemandError(msg)


def _read_profile_csv(path: Path) -> Profile:
    shares: dict[int, float] = {}
    header_seen = False
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in row]
            if not header_seen:
                if [c.lower() for c in cells] != ["hour", "share"]:
                    msg = (
                        f"{path}, line {line}: the header must be 'hour,share', found "
                        f"{quote_header(','.join(cells))}"
                    )
                    raise DemandError(msg)
                header_seen = True
                continue
            if len(cells) != 2:
                msg = f"{path}, line {line}: expected 2 fields 'hour,share', found {len(cells)}"
                raise DemandError(msg)
            try:
                hour, share = int(cells[0]), float(cells[1])
            except ValueError:
                msg = (
                    f"{path}, line {line}: {','.join(cells)!r} is not 'hour,share' with an "
                    "integer hour 0-23 and a numeric share"
                )
                raise DemandError(msg) from None
            if not 0 <= hour < HOURS:
                msg = f"{path}, line {line}: hour {hour} is outside 0-23"
                raise DemandError(msg)
            if hour in shares:
                msg = f"{path}, line {line}: hour {hour} appears twice; give each hour once"
                raise DemandError(msg)
            if not (math.isfinite(share) and share >= 0.0):
                msg = f"{path}, line {line}: share {share} of hour {hour} must be >= 0"
                raise DemandError(msg)
            shares[hour] = share
    if len(shares) != HOURS:
        missing = sorted(set(range(HOURS)) - set(shares))
        msg = (
            f"{path} has {len(shares)} hourly rows; a profile needs all 24 hours 0-23 "
            f"(missing: {missing})"
        )
        raise DemandError(msg)
    total = math.fsum(shares.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        msg = (
            f"{path}: the shares sum to {total:.6g}, not 1; divide each share by "
            f"{total:.6g} (shares are fractions of the day's trips)"
        )
        raise DemandError(msg)
    return Profile(tuple(shares[h] for h in range(HOURS)), name=path.stem)
