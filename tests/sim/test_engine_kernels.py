"""The engine's compiled helpers against the numpy and Python code they replaced.

``refresh_starts`` brings every candidate's start point to now; the
reference below is the engine's former Python loop (numpy ``searchsorted``),
written out independently. Random states, legs and plans must give the same
start nodes, times, first legs and divert indices, bit for bit.
``nearest_k`` picks the candidate vehicles: the same set as numpy's
``argpartition`` wherever the choice is unambiguous, and says when it is not.
"""

from __future__ import annotations

import numpy as np
import pytest

from idrt.sim._kernels import nearest_k, refresh_starts
from idrt.sim.engine import DRIVING, IDLE, WAITING


def _reference(c, now, diversion, st, node, target, t0, expected, total, moving, legs,
               start_node, start_time, n_stops, stop_node, leg_s, divert):  # fmt: skip
    for v in c:
        if st[v] in (IDLE, WAITING):
            start_time[v] = now
            start_node[v] = node[v]
            if st[v] == WAITING:
                leg_s[v, 0] = 0.0
        elif st[v] == DRIVING:
            if not diversion:
                start_node[v] = target[v]
                start_time[v] = t0[v] + expected[v]
                if not n_stops[v] or stop_node[v, 0] == target[v]:
                    leg_s[v, 0] = 0.0
                continue
            nodes, cum_s, exp = legs[v]
            k = min(int(np.searchsorted(cum_s, now - t0[v], "left")), len(nodes) - 1)
            divert[v] = k
            start_node[v] = nodes[k]
            start_time[v] = t0[v] + cum_s[k]
            leg_s[v, 0] = expected[v] - exp[k] if moving[v] else total[v] - cum_s[k]


@pytest.mark.parametrize("diversion", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_refresh_starts_equals_the_per_vehicle_loop(diversion, seed):
    rng = np.random.default_rng(seed)
    n_veh, width = 60, 12
    now = 1000.0 + rng.uniform(0, 100)
    st = rng.integers(0, 6, n_veh)
    node = rng.integers(0, 500, n_veh)
    target = rng.integers(0, 500, n_veh)
    t0 = now - rng.uniform(0, 300, n_veh)
    moving = rng.random(n_veh) < 0.5
    leg_len = rng.integers(1, width + 1, n_veh)
    leg_nodes = rng.integers(0, 500, (n_veh, width))
    cum_s = np.sort(rng.uniform(0, 300, (n_veh, width)), axis=1)
    cum_s[:, 3] = cum_s[:, 2]  # a tie: "left" picks the first
    cum_exp = np.sort(rng.uniform(0, 300, (n_veh, width)), axis=1)
    total = cum_s[np.arange(n_veh), leg_len - 1]
    expected = cum_exp[np.arange(n_veh), leg_len - 1]
    # some vehicles exactly at a node when the request comes
    at_node = rng.random(n_veh) < 0.2
    t0[at_node] = now - cum_s[at_node, 0]
    legs = [(leg_nodes[v, : leg_len[v]], cum_s[v, : leg_len[v]], cum_exp[v, : leg_len[v]])
            for v in range(n_veh)]  # fmt: skip
    n_stops = rng.integers(0, 4, n_veh)
    stop_node = rng.integers(0, 500, (n_veh, 5))
    stop_node[:5, 0] = target[:5]
    c = np.sort(rng.choice(n_veh, 40, replace=False)).astype(np.int64)
    plans = [
        rng.integers(0, 500, n_veh),
        rng.uniform(0, 900, n_veh),
        rng.uniform(0, 99, (n_veh, 5)),
    ]
    ref = [a.copy() for a in plans] + [np.full(n_veh, -1)]
    got = [a.copy() for a in plans] + [np.full(n_veh, -1)]
    _reference(c, now, diversion, st, node, target, t0, expected, total, moving, legs,
               ref[0], ref[1], n_stops, stop_node, ref[2], ref[3])  # fmt: skip
    refresh_starts(c, now, diversion, st, node, target, t0, expected, total, moving,
                   leg_len, leg_nodes, cum_s, cum_exp, got[0], got[1], n_stops, stop_node,
                   got[2], got[3])  # fmt: skip
    for a, b in zip(ref, got, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(ref[1], plans[1])  # it did change something


@pytest.mark.parametrize("ties", [False, True])
def test_nearest_k_picks_the_set_numpy_picks(ties):
    rng = np.random.default_rng(4)
    px, py = rng.uniform(0, 4e4, 2000), rng.uniform(0, 4e4, 2000)
    if ties:  # vehicles on a 2 km grid: many at the same distance
        px, py = np.round(px / 2000) * 2000, np.round(py / 2000) * 2000
    ambiguous = 0
    for _ in range(200):
        x, y = rng.uniform(0, 4e4, 2)
        d2_np = (px - x) ** 2 + (py - y) ** 2
        want = np.sort(np.argpartition(d2_np, 29)[:30])
        d2, got = nearest_k(px, py, float(x), float(y), 30)
        assert np.array_equal(d2, d2_np)  # bit for bit
        if got.size == 0:
            ambiguous += 1
            continue
        assert np.array_equal(got, want)
        assert d2[got].max() < np.delete(d2, got).min()  # strictly the nearest
    assert (ambiguous > 0) == ties
