"""The walking graph: the road network, undirected, weighted by length in metres.

Pedestrians walk both ways along every road, one-way or not. The routing
kernels are unit-agnostic, so the graph's ``weights_s`` field carries metres
here and every "time" they return is a distance in metres.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from idrt import routing

if TYPE_CHECKING:
    from idrt.network import RoadNetwork


def walking_graph(net: RoadNetwork, extra_source: tuple[np.ndarray, np.ndarray] | None = None):
    """CSR walking graph of ``net``: every edge in both directions, weight = length (m).

    Parameters
    ----------
    net
        The road network (nodes ``0..n-1`` internal indices).
    extra_source
        Optional ``(node_indices, offset_m)``: add a virtual node ``n`` with an
        edge to each given node of the given length, so that one search from
        ``n`` gives the distance to the nearest of them (plus its offset).

    Returns
    -------
    routing.CSRGraph
        Weights in metres.
    """
    tails = net.edge_tails
    heads = net.heads.astype(np.int64)
    length = net.length_m.astype(np.float64)
    u = np.concatenate([tails, heads])
    v = np.concatenate([heads, tails])
    w = np.concatenate([length, length])
    n = net.n_nodes
    if extra_source is not None:
        targets, offset_m = extra_source
        u = np.concatenate([u, np.full(len(targets), n, dtype=np.int64)])
        v = np.concatenate([v, np.asarray(targets, dtype=np.int64)])
        w = np.concatenate([w, np.asarray(offset_m, dtype=np.float64)])
        n += 1
    order = np.lexsort((v, u))
    u, v, w = u[order], v[order], w[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return routing.CSRGraph(indptr, v, w)
