"""Fixtures of the traffic tests: the default island, built once."""

from __future__ import annotations

import pytest

from idrt.network import load_network


@pytest.fixture(scope="session")
def island():
    """The default synthetic Yeongjong island (69 signalised intersections)."""
    return load_network("yeongjong")
