"""Road networks: loading (osmnx), cleaning, speeds, signals, compact CSR form."""

from __future__ import annotations

from idrt.network.build import network_from_graph
from idrt.network.load import PRESETS, load_network, networks_dirs, read_csv_graph
from idrt.network.road_network import RoadNetwork

__all__ = [
    "PRESETS",
    "RoadNetwork",
    "load_network",
    "network_from_graph",
    "networks_dirs",
    "read_csv_graph",
]
