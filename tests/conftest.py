"""Shared fixtures: the reference data in ../shared/data and built networks."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NETWORKS = SHARED_DATA / "networks"
REAL_NETWORKS = {
    "Delft": NETWORKS / "Delft.graphml",
    "Nootdorp": NETWORKS / "Nootdorp.graphml",
    "munich_mvg": NETWORKS / "munich_mvg",
}


def shared_path(name: str) -> Path:
    """Path of a reference network, skipping the test when ../shared is absent."""
    path = REAL_NETWORKS[name]
    if not path.exists():
        pytest.skip(f"reference data {path} missing (it lives in ../shared/data beside the repo)")
    return path


@pytest.fixture(scope="session")
def real_network():
    """Build each reference network once per session: ``real_network("Delft")``."""
    from idrt.network import load_network

    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = load_network(shared_path(name))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def yeongjong():
    """The embedded default network."""
    from idrt.network import load_network

    return load_network("yeongjong")
