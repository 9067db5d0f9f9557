"""Small hand-built networks for the traffic tests (UTM zone 52N, metres)."""

from __future__ import annotations

import networkx as nx

from idrt.network import network_from_graph

X0, Y0 = 300_000.0, 4_150_000.0


def graph(nodes, edges, signals=()):
    """A MultiDiGraph from ``{id: (x, y)}`` and two-way ``(u, v, highway, lanes)``."""
    G = nx.MultiDiGraph(crs="EPSG:32652")
    for n, (x, y) in nodes.items():
        G.add_node(n, x=X0 + x, y=Y0 + y)
    for n in signals:
        G.nodes[n]["highway"] = "traffic_signals"
    for u, v, highway, lanes in edges:
        length = ((nodes[u][0] - nodes[v][0]) ** 2 + (nodes[u][1] - nodes[v][1]) ** 2) ** 0.5
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=length, highway=highway, lanes=lanes)
    return G


def cross(main="primary", side="residential", main_lanes=4, side_lanes=2):
    """One signalised crossing (node 0) of an east-west main and a north-south side street."""
    nodes = {0: (0, 0), 1: (-300, 0), 2: (300, 0), 3: (0, 300), 4: (0, -300)}
    edges = [
        (0, 1, main, main_lanes),
        (0, 2, main, main_lanes),
        (0, 3, side, side_lanes),
        (0, 4, side, side_lanes),
    ]
    return network_from_graph(graph(nodes, edges, signals=[0]), name="cross")


def dual_carriageway_cross():
    """A crossing drawn as two tagged nodes 15 m apart (one intersection)."""
    nodes = {0: (0, 0), 9: (15, 0), 1: (-300, 0), 2: (315, 0), 3: (0, 300), 4: (15, -300)}
    edges = [
        (0, 9, "secondary", 4),
        (0, 1, "secondary", 4),
        (9, 2, "secondary", 4),
        (0, 3, "tertiary", 2),
        (9, 4, "tertiary", 2),
    ]
    return network_from_graph(graph(nodes, edges, signals=[0, 9]), name="dual")


def corridor(n_signals=5, spacing_m=600.0):
    """A secondary arterial with a signalised secondary cross street every ``spacing_m``."""
    nodes = {0: (0.0, 0.0)}
    edges = []
    for i in range(1, n_signals + 1):
        x = i * spacing_m
        nodes[i] = (x, 0.0)
        nodes[100 + i] = (x, 300.0)
        nodes[200 + i] = (x, -300.0)
        edges += [
            (i - 1, i, "secondary", 4),
            (i, 100 + i, "secondary", 4),
            (i, 200 + i, "secondary", 4),
        ]
    return network_from_graph(graph(nodes, edges, signals=range(1, n_signals + 1)), name="corridor")
