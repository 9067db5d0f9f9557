"""Where the vehicles drove: legs rebuilt from a run's event log and its network.

The event log records each leg's start (``depart``) and end (``arrive``, or
``divert`` where a vehicle turned off its path to a new pickup). The links
between are rebuilt as the fastest free-flow path, which is the path the
simulator drives without the traffic model (up to ties between equally fast
paths). With the traffic model a vehicle may take another path on a
congested day; :func:`vehicle_legs` reports the rebuilt kilometres next to
the simulated ones so the difference is visible (``km_rebuilt`` vs the
vehicle table's ``km``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from idrt import routing

__all__ = ["LEG_COLUMNS", "leg_edges", "vehicle_legs"]

LEG_COLUMNS = ["vehicle", "depart_s", "end_s", "from_node", "to_node", "load", "km_rebuilt"]
"""Columns of :func:`vehicle_legs` (besides ``edges``)."""


def vehicle_legs(events: pd.DataFrame, network) -> pd.DataFrame:
    """One row per driven leg, with the CSR edges of its rebuilt path.

    Parameters
    ----------
    events : pandas.DataFrame
        A run's event log (``Result.events``).
    network : idrt.network.RoadNetwork
        The run's network.

    Returns
    -------
    pandas.DataFrame
        ``vehicle``, ``depart_s`` and ``end_s`` (s after midnight),
        ``from_node`` and ``to_node`` (source ids), ``load`` (riders on
        board), ``km_rebuilt`` (length of the rebuilt path, km) and
        ``edges`` (int64 arrays of CSR edge indices, in driving order).
        Empty when the run kept no events (``output.events = false``).
    """
    ev = events[events["kind"].isin(["depart", "arrive", "divert"]) & (events["vehicle"] >= 0)]
    rows = []
    for vehicle, group in ev.groupby("vehicle", sort=True):
        start = None
        for t, kind, node, load in zip(
            group["time_s"], group["kind"], group["node"], group["load"], strict=True
        ):
            if kind == "depart":
                start = (float(t), int(node), int(load))
            elif start is not None:
                rows.append((int(vehicle), start[0], float(t), start[1], int(node), start[2]))
                start = None
    legs = pd.DataFrame(rows, columns=LEG_COLUMNS[:-1])
    legs["vehicle"] = legs["vehicle"].astype(np.int64)
    if not len(legs):
        legs["km_rebuilt"] = pd.Series(dtype=float)
        legs["edges"] = pd.Series(dtype=object)
        return legs
    src = np.asarray(network.index_of(legs["from_node"].to_numpy(np.int64)), dtype=np.int64)
    dst = np.asarray(network.index_of(legs["to_node"].to_numpy(np.int64)), dtype=np.int64)
    edges = leg_edges(network, src, dst)
    legs["km_rebuilt"] = [float(network.length_m[e].sum()) / 1000.0 for e in edges]
    legs["edges"] = edges
    return legs


def leg_edges(network, sources: np.ndarray, targets: np.ndarray) -> list[np.ndarray]:
    """CSR edges of the fastest free-flow path of each (source, target) pair of node indices.

    One shortest-path tree per distinct source; a pair with ``source ==
    target`` (or an unreachable target) gets no edges.
    """
    out: list[np.ndarray] = [np.empty(0, np.int64)] * len(sources)
    tails = network.edge_tails
    csr = network.csr
    order = np.argsort(sources, kind="stable")
    i = 0
    while i < len(order):
        s = int(sources[order[i]])
        j = i
        while j < len(order) and sources[order[j]] == s:
            j += 1
        tree = routing.one_to_all(csr, s)
        for k in order[i:j]:
            node, path = int(targets[k]), []
            while node != s:
                e = int(tree.pred_edge[node])
                if e < 0:
                    path = []
                    break
                path.append(e)
                node = int(tails[e])
            out[k] = np.asarray(path[::-1], dtype=np.int64)
        i = j
    return out
