"""Contraction hierarchies against plain Dijkstra and networkx."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest

from idrt import routing
from idrt.routing import _ch_kernels, _kernels

REL = 1e-9
"""Tables agree with Dijkstra's up to float64 rounding in another order."""


def _random_graph(seed, n=60, m=220, integer=True):
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    if integer:  # exact sums: ties between paths, and results must be bit-identical
        w = rng.integers(0, 30, m).astype(float)
    else:
        w = rng.uniform(0.5, 60.0, m)
    w[rng.random(m) < 0.03] = np.inf  # unusable links
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    return routing.CSRGraph(indptr, heads[order].astype(np.int32), w[order])


def _dijkstra_table(g, sources, targets):
    return np.array(
        [_kernels.one_to_all(g.indptr, g.heads, g.weights_s, s)[0][targets] for s in sources]
    ).reshape(len(sources), len(targets))


def _assert_close(got, want):
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    np.testing.assert_allclose(got[fin], want[fin], rtol=REL, atol=0)


@pytest.mark.parametrize("seed", range(8))
def test_integer_weights_give_exactly_dijkstras_table_and_networkx(seed):
    g = _random_graph(seed)
    n = g.n_nodes
    ch = routing.contract(g)
    table = ch.many_to_many(np.arange(n), dtype=np.float64)
    np.testing.assert_array_equal(table, _dijkstra_table(g, np.arange(n), np.arange(n)))
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    tails = _kernels.edge_tails(g.indptr)
    for u, v, w in zip(tails.tolist(), g.heads.tolist(), g.weights_s.tolist(), strict=True):
        if np.isfinite(w):
            G.add_edge(u, v, weight=w)
    for s in range(0, n, 7):
        truth = nx.single_source_dijkstra_path_length(G, s)
        np.testing.assert_array_equal(table[s], [truth.get(t, np.inf) for t in range(n)])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("settle_limit", [1, 5, 200])
def test_real_valued_weights_match_dijkstra_within_rounding(seed, settle_limit):
    g = _random_graph(seed, n=80, m=300, integer=False)
    ch = routing.contract(g, settle_limit=settle_limit)
    nodes = np.arange(g.n_nodes)
    _assert_close(ch.many_to_many(nodes, nodes, dtype=np.float64), _dijkstra_table(g, nodes, nodes))


def test_bound_duplicates_and_one_to_many_forms():
    g = _random_graph(3, n=70, m=260, integer=False)
    ch = routing.contract(g)
    rng = np.random.default_rng(1)
    src = rng.integers(0, g.n_nodes, 25)  # with duplicates
    tgt = rng.integers(0, g.n_nodes, 30)
    full = _dijkstra_table(g, src, tgt)
    bound = float(np.median(full[np.isfinite(full)]))
    got = ch.many_to_many(src, tgt, max_time_s=bound, dtype=np.float64)
    _assert_close(got, np.where(full <= bound, full, np.inf))
    _assert_close(ch.one_to_many(int(src[0]), tgt), full[0])
    _assert_close(ch.many_to_one(src, int(tgt[0])), full[:, 0])
    # through the routing API, float32 like the Dijkstra table
    via_api = routing.many_to_many(g, src, tgt, hierarchy=ch)
    assert via_api.dtype == np.float32
    plain = routing.many_to_many(g, src, tgt)
    np.testing.assert_allclose(via_api, plain, rtol=1e-6)
    _assert_close(routing.one_to_many(g, int(src[1]), tgt, hierarchy=ch), full[1])
    assert ch.many_to_many([], tgt).shape == (0, 30)


def test_shortcuts_unpack_to_paths_of_original_edges():
    g = _random_graph(5, n=80, m=300, integer=True)
    ch = routing.contract(g)
    assert ch.n_shortcuts > 0
    tails = _kernels.edge_tails(g.indptr)
    shortcut_edges = np.concatenate([ch.up_edge, ch.dn_edge])
    for e in shortcut_edges[ch.child1[shortcut_edges] >= 0]:
        path = _ch_kernels.unpack_edges(e, ch.child1, ch.child2, ch.orig)
        assert path.size >= 2
        assert np.all(g.heads[path[:-1]] == tails[path[1:]])
        # integer weights: the shortcut's weight is the path's exact sum
        up = np.flatnonzero(ch.up_edge == e)
        w = ch.up_w[up[0]] if up.size else ch.dn_w[np.flatnonzero(ch.dn_edge == e)[0]]
        assert g.weights_s[path].sum() == w


def test_a_hierarchy_refuses_another_graph():
    g = _random_graph(0)
    ch = routing.contract(g)
    other = routing.CSRGraph(g.indptr, g.heads, g.weights_s * 2)
    with pytest.raises(ValueError, match=r"rebuild it with routing\.contract"):
        routing.many_to_many(other, [0], [1], hierarchy=ch)
    same_values = routing.CSRGraph(g.indptr.copy(), g.heads.copy(), g.weights_s.copy())
    assert routing.many_to_many(same_values, [0], [1], hierarchy=ch).shape == (1, 1)
    with pytest.raises(ValueError, match=r"routing\.contract"):
        routing.many_to_many(g, [0], [1], hierarchy="ch")
    with pytest.raises(ValueError, match="settle_limit"):
        routing.contract(g, settle_limit=0)
    with pytest.raises(ValueError, match="sources contains 99"):
        ch.many_to_many([99], [0])
    with pytest.raises(ValueError, match="dtype"):
        ch.many_to_many([0], [0], dtype=np.int32)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["Delft", "munich_mvg"])
def test_real_networks_match_dijkstra(name, real_network):
    net = real_network(name)
    g = net.csr
    ch = routing.contract(g)
    rng = np.random.default_rng(7)
    src = rng.choice(net.n_nodes, 60, replace=False)
    tgt = rng.choice(net.n_nodes, 300, replace=False)
    _assert_close(ch.many_to_many(src, tgt, dtype=np.float64), _dijkstra_table(g, src, tgt))
    # float32 tables: equal to the Dijkstra table's within one float32 ulp
    got = routing.many_to_many(g, src, tgt, hierarchy=ch)
    want = routing.many_to_many(g, src, tgt)
    ulp = np.spacing(np.where(np.isfinite(want), want, 0).astype(np.float32))
    assert np.array_equal(np.isinf(got), np.isinf(want))
    fin = np.isfinite(want)
    assert np.all(np.abs(got[fin] - want[fin]) <= ulp[fin])


def test_tables_do_not_depend_on_the_thread_count():
    g = _random_graph(9, n=90, m=340, integer=False)
    ch = routing.contract(g)
    nodes = np.arange(g.n_nodes)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = ch.many_to_many(nodes, nodes, dtype=np.float64)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(one, ch.many_to_many(nodes, nodes, dtype=np.float64))
    zero = ch.many_to_many(nodes, nodes, max_time_s=0.0, dtype=np.float64)
    assert np.all(np.diag(zero) == 0.0)
    np.testing.assert_array_equal(np.isfinite(zero), _dijkstra_table(g, nodes, nodes) <= 0.0)


@pytest.mark.parametrize("seed", range(4))
def test_bounded_table_with_lengths_matches_dijkstra(seed):
    # distinct real weights: one fastest path per pair, so its length is unique too
    g = _random_graph(seed, integer=False)
    n = g.n_nodes
    length = np.random.default_rng(seed).uniform(10.0, 500.0, g.heads.size)
    ch = routing.contract(g)
    elen = _ch_kernels.edge_lengths(ch.child1, ch.child2, ch.orig, length)
    nodes = np.arange(n, dtype=np.int64)
    want_t, want_m = _kernels.subset_tables(g.indptr, g.heads, g.weights_s, length, nodes, 1)
    # between two table values, so that rounding cannot move an entry across it
    fin = np.unique(want_t[np.isfinite(want_t)])
    bound = float(fin[fin.size // 2] + fin[fin.size // 2 + 1]) / 2
    t, m = _ch_kernels.table(
        ch.up_ptr, ch.up_head, ch.up_w, elen[ch.up_edge],
        ch.dn_ptr, ch.dn_tail, ch.dn_w, elen[ch.dn_edge],
        nodes, nodes, bound, 2,
    )  # fmt: skip
    over = want_t > bound
    assert over.any() and (~over & np.isfinite(want_t)).any()
    assert np.isinf(t[over]).all() and np.isinf(m[over]).all()
    _assert_close(t[~over], want_t[~over])
    _assert_close(m[~over], want_m[~over])
    # the time-only specialization gives the same times, bit for bit
    t_only, none = _ch_kernels.table(
        ch.up_ptr, ch.up_head, ch.up_w, None, ch.dn_ptr, ch.dn_tail, ch.dn_w, None,
        nodes, nodes, bound, 2,
    )  # fmt: skip
    assert none is None
    np.testing.assert_array_equal(t_only, t)
