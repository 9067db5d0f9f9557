"""Connection scan (CSA) for fixed-route transit: earliest door-to-door arrival.

Dibbelt, Pajor, Strasser and Wagner (2013), "Intriguingly simple and fast
transit routing": the day's timetable as *connections* (one vehicle running
from one stop to the next, departure and arrival times), sorted by
departure; one scan per query finds every stop's earliest arrival. Kernels
see arrays only.

Semantics of one query: the rider leaves the origin at ``start_s`` and walks
to each access stop (``access_s``); a trip is boarded at a stop when the
rider is *ready* there no later than the connection's departure. Arriving
by walking, the rider is ready at once; arriving on a vehicle, after
``change_s`` (a minimum change time) unless staying on the same trip. The
answer is the earliest arrival at the destination: the best of walking all
the way (``direct_s``) and every egress stop's arrival plus its walk.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from idrt._numba import JIT, PJIT

__all__ = ["earliest_arrivals"]


@JIT
def _one_query(
    dep_stop, arr_stop, dep_s, arr_s, trip, n_stops, n_trips,
    acc_stop, acc_s, egr_stop, egr_s, start_s, direct_s, change_s,
):  # fmt: skip
    inf = np.inf
    best = start_s + direct_s
    arrival = np.full(n_stops, inf)
    ready = np.full(n_stops, inf)
    for k in range(acc_stop.size):
        t = start_s + acc_s[k]
        s = acc_stop[k]
        if t < arrival[s]:
            arrival[s] = t
            ready[s] = t
    egress = np.full(n_stops, inf)
    for k in range(egr_stop.size):
        if egr_s[k] < egress[egr_stop[k]]:
            egress[egr_stop[k]] = egr_s[k]
    boarded = np.zeros(n_trips, dtype=np.bool_)
    # first connection departing at or after the start (binary search)
    lo, hi = 0, dep_s.size
    while lo < hi:
        mid = (lo + hi) // 2
        if dep_s[mid] < start_s:
            lo = mid + 1
        else:
            hi = mid
    for c in range(lo, dep_s.size):
        if dep_s[c] >= best:
            break  # nothing departing later can arrive earlier
        tr = trip[c]
        if not boarded[tr]:
            if ready[dep_stop[c]] <= dep_s[c]:
                boarded[tr] = True
            else:
                continue
        s = arr_stop[c]
        if arr_s[c] < arrival[s]:
            arrival[s] = arr_s[c]
            if arr_s[c] + change_s < ready[s]:
                ready[s] = arr_s[c] + change_s
            if egress[s] < inf and arr_s[c] + egress[s] < best:
                best = arr_s[c] + egress[s]
    return best


@PJIT
def earliest_arrivals(
    dep_stop: np.ndarray,
    arr_stop: np.ndarray,
    dep_s: np.ndarray,
    arr_s: np.ndarray,
    trip: np.ndarray,
    n_stops: int,
    n_trips: int,
    acc_indptr: np.ndarray,
    acc_stop: np.ndarray,
    acc_s: np.ndarray,
    egr_indptr: np.ndarray,
    egr_stop: np.ndarray,
    egr_s: np.ndarray,
    start_s: np.ndarray,
    direct_s: np.ndarray,
    change_s: float,
) -> np.ndarray:
    """Earliest arrival time (s) at each query's destination; queries in parallel.

    Connections (``dep_stop, arr_stop, dep_s, arr_s, trip``) must be sorted
    by ``dep_s``. Query ``q``'s access stops and walk times are
    ``acc_stop[acc_indptr[q]:acc_indptr[q + 1]]`` (likewise egress);
    ``direct_s[q]`` is the walk all the way (``inf`` to forbid it).
    """
    n_q = start_s.size
    out = np.empty(n_q)
    for q in prange(n_q):
        a0, a1 = acc_indptr[q], acc_indptr[q + 1]
        e0, e1 = egr_indptr[q], egr_indptr[q + 1]
        out[q] = _one_query(
            dep_stop, arr_stop, dep_s, arr_s, trip, n_stops, n_trips,
            acc_stop[a0:a1], acc_s[a0:a1], egr_stop[e0:e1], egr_s[e0:e1],
            start_s[q], direct_s[q], change_s,
        )  # fmt: skip
    return out
