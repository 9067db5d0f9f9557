"""Signalised intersections: tagged nodes, merged into intersections.

Nodes tagged ``highway=traffic_signals`` are found and clusters of them are
merged into one intersection.

In OpenStreetMap a signalised junction is often drawn as several tagged nodes
(one per carriageway of a dual road, or one per approach stop line a few metres
before the junction). The C-ITS delay models attach to intersections, not to
nodes, so tagged nodes closer than ``cluster_radius_m`` (single linkage) become
one intersection.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

__all__ = [
    "DEFAULT_SIGNAL_CLUSTER_M",
    "cluster_signals",
    "is_signal_tag",
    "simplify_keeping_signals",
]

DEFAULT_SIGNAL_CLUSTER_M = 30.0
"""Tagged nodes closer than this (metres) belong to the same intersection."""


def is_signal_tag(highway: object) -> bool:
    """Whether a node's ``highway`` tag marks a traffic signal."""
    if isinstance(highway, (list, tuple)):
        return any(is_signal_tag(h) for h in highway)
    return isinstance(highway, str) and "traffic_signals" in highway


def cluster_signals(
    is_signal: np.ndarray, x_m: np.ndarray, y_m: np.ndarray, cluster_radius_m: float
) -> np.ndarray:
    """Assign an intersection id to every signal-tagged node.

    Parameters
    ----------
    is_signal
        Boolean flag per node.
    x_m, y_m
        Projected node coordinates in metres.
    cluster_radius_m
        Tagged nodes within this distance (single linkage) are merged.

    Returns
    -------
    numpy.ndarray
        int32 intersection id per node, ``-1`` for untagged nodes. Ids are
        0..k-1, numbered in the order of each cluster's first node, so they are
        deterministic for a given node order.
    """
    signal_id = np.full(is_signal.shape[0], -1, dtype=np.int32)
    nodes = np.flatnonzero(is_signal)
    if nodes.size == 0:
        return signal_id
    coords = np.column_stack([x_m[nodes], y_m[nodes]])
    pairs = cKDTree(coords).query_pairs(r=cluster_radius_m, output_type="ndarray")
    k = nodes.size
    adjacency = coo_matrix(
        (np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(k, k)
    )
    _, labels = connected_components(adjacency, directed=False)
    # renumber clusters by first appearance so ids follow node order
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first))
    signal_id[nodes] = order[labels].astype(np.int32)
    return signal_id


def simplify_keeping_signals(G):
    """Simplify an unsimplified osmnx graph without losing signal-tagged nodes.

    osmnx's simplification removes every node of degree two, and OSM often
    tags the signal on such a node (the stop line before a junction). Marking
    those nodes first and passing the mark as ``node_attrs_include`` keeps them.
    """
    import osmnx as ox  # noqa: PLC0415 -- osmnx costs ~1.6 s, only for OSM signal tags

    for _, data in G.nodes(data=True):
        if is_signal_tag(data.get("highway")):
            data["idrt_signal"] = True
    return ox.simplify_graph(G, node_attrs_include=["idrt_signal"])
