"""The results folder of sweeps: one Parquet file per finished run.

Layout of a folder ``out/``::

    out/runs/<run_key>.parquet       one summary row per finished run
    out/requests/<run_key>.parquet   per-request table (when asked for)
    out/scenarios/<hash>.toml        every resolved scenario, by content hash
    out/sweep.json                   the last sweep's grid and seeds

A run's file is written to a temporary name and renamed when complete, so
a crash or Ctrl-C never leaves half a row: a file is there or it is not.
Temporary names carry the writer's host and process id
(``.<file>.<host>.<pid>.tmp``); opening a store removes only temporary
files that are provably stale (their process on this host is gone, or
they are older than a day), never those of a sweep still writing.
``out/runs`` is a Parquet dataset (``pandas.read_parquet("out/runs")``
reads it when all rows share their columns); :meth:`RunStore.load` reads
rows of different sweeps together.
"""

from __future__ import annotations

import json
import os
import socket
import time
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
        for folder in (self.folder, self.runs_dir, self.requests_dir, self.scenarios_dir):
            for tmp in folder.glob(".*.tmp"):
                if _is_stale(tmp):
                    tmp.unlink(missing_ok=True)  # an interrupted write; its run is redone

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


STALE_AFTER_S = 86400.0
"""A temporary file older than this is stale whoever wrote it (s)."""


def _host() -> str:
    return socket.gethostname().replace(".", "_") or "host"


def _tmp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{_host()}.{os.getpid()}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_stale(tmp: Path) -> bool:
    """Whether a temporary file can be removed without harming a writer still at work."""
    try:
        age = time.time() - tmp.stat().st_mtime
    except FileNotFoundError:
        return False
    if age > STALE_AFTER_S:
        return True
    parts = tmp.name[:-4].rsplit(".", 2)  # ".<file>.<host>.<pid>"
    if len(parts) != 3 or not parts[2].isdigit():
        return False  # not ours to judge: left until it is a day old
    host, pid = parts[1], int(parts[2])
    if host != _host():
        return False
    return pid != os.getpid() and not _pid_alive(pid)


def _atomic_write(path: Path, write) -> None:
    tmp = _tmp_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _scalar(value: Any) -> Any:
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
