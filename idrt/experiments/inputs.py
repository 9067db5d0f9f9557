"""Content hashes of a scenario's input files (network, trips, profiles, areas, ...).

A scenario names its data files by path, so its content hash
(:meth:`idrt.Scenario.content_hash`) stays the same when a file is edited in
place. Run keys (:func:`idrt.experiments.run_key`) add the digests made
here, so after editing a trip file a resumed sweep runs again instead of
reusing the stale rows.

Every string value of the resolved scenario that names an existing file
(or a folder: a FleetPy CSV network) is hashed by content; names that are
no file (presets such as ``"yeongjong"``, modes such as ``"batch"``) are
left out, except that a preset network is identified by its spec or saved
build in ``networks/`` when there is one. Digests are cached per (path,
size, modification time), so a file is read once however many runs name it.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from idrt.scenario import Scenario

__all__ = ["file_digest", "input_digests", "inputs_hash"]

_CACHE: dict[tuple[str, int, int], str] = {}
_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 (16 hex digits) of a file's bytes, or of a folder's files and their names."""
    path = Path(path)
    if path.is_dir():
        h = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            h.update(str(child.relative_to(path)).encode())
            h.update(file_digest(child).encode())
        return h.hexdigest()[:16]
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _CACHE.get(key)
    if digest is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        digest = h.hexdigest()[:16]
        _CACHE[key] = digest
    return digest


def _strings(value: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)] if value else []
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += _strings(v, f"{where}.{k}" if where else str(k))
        return out
    if isinstance(value, (list, tuple)):
        out = []
        for i, v in enumerate(value):
            out += _strings(v, f"{where}[{i}]")
        return out
    return []


def input_digests(scenario: Scenario) -> dict[str, str]:
    """``{dotted.key: content digest}`` of every input file the scenario names.

    Returns
    -------
    dict
        Keys in sorted order, e.g. ``{"demand.profile": "3f2a...", "demand.trips":
        "9c41..."}``; keys whose value is not an existing file are absent.
    """
    out = {}
    data = scenario.to_dict()
    data.pop("name", None)
    for key, value in sorted(_strings(data, "")):
        if key.startswith("output."):
            continue
        candidates = [value]
        if key == "network.source":  # a preset: its spec or saved build in networks/
            candidates += [f"networks/{value}.toml", f"networks/{value}.npz"]
        for candidate in candidates:
            try:
                path = scenario.data_path(candidate)
                if path.exists():
                    out[key] = file_digest(path)
                    break
            except (OSError, ValueError):
                continue
    return out


def inputs_hash(scenario: Scenario) -> str:
    """One digest of all :func:`input_digests` (empty string when there are none)."""
    digests = input_digests(scenario)
    if not digests:
        return ""
    blob = ";".join(f"{k}={v}" for k, v in digests.items())
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
