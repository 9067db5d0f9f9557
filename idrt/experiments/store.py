"""The results folder of sweeps: one Parquet file per finished run.

Layout of a folder ``out/``::

    out/runs/<run_key>.parquet       one summary row per finished run
    out/requests/<run_key>.parquet   per-request table (when asked for)
    out/scenarios/<hash>.toml        every resolved scenario, by content hash
    out/sweep.json                   the last sweep's grid and seeds

A run's file is written to a temporary name and renamed when complete, so
a crash or Ctrl-C never leaves half a row: a file is there or it is not.
``out/runs`` is a Parquet dataset (``pandas.read_parquet("out/runs")``
reads it when all rows share their columns); :meth:`RunStore.load` reads
rows of different sweeps together.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from idrt.experiments._errors import ExperimentError
from idrt.scenario import Scenario

__all__ = ["META_COLUMNS", "RunStore"]

META_COLUMNS = ["run_key", "scenario", "scenario_hash", "seed"]
"""Columns every run row starts with; the grid parameters and KPIs follow."""


class RunStore:
    """A results folder (see the module docstring).

    Parameters
    ----------
    folder
        Created when missing.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.runs_dir = self.folder / "runs"
        self.requests_dir = self.folder / "requests"
        self.scenarios_dir = self.folder / "scenarios"
        if self.folder.exists() and not self.folder.is_dir():
            msg = f"results folder {str(self.folder)!r} is a file; give a folder"
            raise ExperimentError(msg)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.runs_dir, self.requests_dir, self.scenarios_dir):
            for stale in folder.glob(".*.tmp"):
                stale.unlink(missing_ok=True)  # an interrupted write; its run is redone

    def __repr__(self) -> str:
        return f"RunStore({str(self.folder)!r}, runs={len(self.done())})"

    # ------------------------------------------------------------- reading
    def done(self) -> set[str]:
        """Keys of the runs stored."""
        return {p.stem for p in self.runs_dir.glob("*.parquet")}

    def row(self, key: str) -> dict[str, Any]:
        """The stored row of one run."""
        frame = pd.read_parquet(self.runs_dir / f"{key}.parquet")
        return {k: _scalar(v) for k, v in frame.iloc[0].items()}

    def load(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Stored rows (all, or those of ``keys`` in that order).

        Raises
        ------
        ExperimentError
            When the folder holds no runs.
        """
        if keys is None:
            keys = sorted(self.done())
            if not keys:
                msg = (
                    f"{str(self.folder)!r} holds no runs ({self.runs_dir} is empty or missing); "
                    "give the --out folder of a sweep"
                )
                raise ExperimentError(msg)
        return pd.DataFrame.from_records([self.row(k) for k in keys])

    def requests(self, key: str) -> pd.DataFrame:
        """The per-request table of a run stored with ``keep_requests=True``."""
        path = self.requests_dir / f"{key}.parquet"
        if not path.is_file():
            msg = f"no request table for run {key}; sweep with keep_requests=True (--requests)"
            raise ExperimentError(msg)
        return pd.read_parquet(path)

    # ------------------------------------------------------------- writing
    def save_scenario(self, scenario: Scenario) -> Path:
        """Write a resolved scenario as ``scenarios/<content hash>.toml`` (once)."""
        self.scenarios_dir.mkdir(exist_ok=True)
        path = self.scenarios_dir / f"{scenario.content_hash()}.toml"
        if not path.exists():
            _atomic_write(path, lambda tmp: tmp.write_text(scenario.to_toml(), encoding="utf-8"))
        return path

    def save_manifest(self, info: dict[str, Any]) -> Path:
        """Write ``sweep.json`` (what the last sweep into this folder asked for)."""
        path = self.folder / "sweep.json"
        text = json.dumps(info, indent=2, default=str)
        _atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        return path

    def write(self, row: dict[str, Any], requests: pd.DataFrame | None = None) -> Path:
        """Store one finished run (its request table first, the row last)."""
        key = row["run_key"]
        if requests is not None:
            self.requests_dir.mkdir(exist_ok=True)
            _atomic_write(
                self.requests_dir / f"{key}.parquet",
                lambda tmp: requests.to_parquet(tmp, index=False),
            )
        frame = pd.DataFrame.from_records([row])
        path = self.runs_dir / f"{key}.parquet"
        _atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))
        return path


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
