"""Fixtures of the demand tests: a hand-built grid, real towns, the synthetic island."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import idrt.demand as dm
from idrt.network import network_from_graph

DEMAND_DIR = Path(__file__).resolve().parents[2] / "demand"
X0, Y0 = 280_000.0, 4_150_000.0  # UTM 52N metres, on the synthetic island's sea


def grid_graph(nx_: int = 3, ny: int = 3, step_m: float = 400.0) -> nx.MultiDiGraph:
    """A two-way street grid in EPSG:32652 with uneven travel times (seconds)."""
    G = nx.MultiDiGraph(crs="EPSG:32652")
    for j in range(ny):
        for i in range(nx_):
            G.add_node(1 + i + nx_ * j, x=X0 + step_m * i, y=Y0 + step_m * j)
    for j in range(ny):
        for i in range(nx_ - 1):
            a = 1 + i + nx_ * j
            for u, v in ((a, a + 1), (a + 1, a)):
                G.add_edge(u, v, length=step_m, travel_time=60.0 + 10.0 * j)
    for j in range(ny - 1):
        for i in range(nx_):
            a = 1 + i + nx_ * j
            for u, v in ((a, a + nx_), (a + nx_, a)):
                G.add_edge(u, v, length=step_m, travel_time=90.0 + 15.0 * i)
    return G


@pytest.fixture(scope="session")
def small_net():
    """3 x 3 grid, 400 m blocks, node ids 1..9 (row-major from the south-west)."""
    return network_from_graph(grid_graph(), name="grid3")


@pytest.fixture(scope="session")
def small_area(small_net):
    """An area holding every node of the small grid."""
    return dm.ServiceArea.from_nodes(small_net, small_net.node_ids, buffer_m=50.0, name="grid")


@pytest.fixture(scope="session")
def delft(real_network):
    return real_network("Delft")


@pytest.fixture(scope="session")
def delft_area(delft):
    """The central part of Delft (the middle 60 % of the node extent)."""
    lo_lon, hi_lon = np.quantile(delft.lon, [0.2, 0.8])
    lo_lat, hi_lat = np.quantile(delft.lat, [0.2, 0.8])
    return dm.ServiceArea.from_bbox(lo_lon, lo_lat, hi_lon, hi_lat, name="Delft centre")


@pytest.fixture(scope="session")
def nootdorp(real_network):
    return real_network("Nootdorp")


@pytest.fixture(scope="session")
def yj_area():
    return dm.ServiceArea.from_geojson(DEMAND_DIR / "yeongjong_area.geojson")
