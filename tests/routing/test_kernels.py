"""Routing kernels against networkx and the pure-Python references in tests/naive.py."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from idrt import routing
from idrt.routing import CSRGraph, _kernels
from tests import naive

SETTINGS = settings(deadline=None, max_examples=100)

weights_st = st.one_of(
    st.just(0.0),
    st.integers(0, 10).map(float),  # small integers: many ties
    st.floats(0.0, 1000.0, allow_nan=False, allow_infinity=False),
)


def build_csr(n, tails, heads, weights, heads_dtype=np.int64):
    """CSRGraph from an edge list (edges sorted by tail, stable)."""
    tails = np.asarray(tails, dtype=np.int64)
    order = np.argsort(tails, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    return CSRGraph(
        indptr,
        np.asarray(heads, dtype=heads_dtype)[order],
        np.asarray(weights, dtype=np.float64)[order],
    )


@st.composite
def graphs(draw, min_nodes=0, max_nodes=60):
    """Random digraphs: disconnected parts, zero weights, parallel edges, self-loops."""
    n = draw(st.integers(min_nodes, max_nodes))
    m = draw(st.integers(0, 4 * n)) if n else 0
    node = st.integers(0, max(n - 1, 0))
    tails = draw(st.lists(node, min_size=m, max_size=m))
    heads = draw(st.lists(node, min_size=m, max_size=m))
    weights = draw(st.lists(weights_st, min_size=m, max_size=m))
    dtype = draw(st.sampled_from([np.int32, np.int64]))
    return build_csr(n, tails, heads, weights, dtype)


def nx_graph(g):
    """The same graph as a networkx MultiDiGraph with attribute ``weight``."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(g.n_nodes))
    tails = naive.edge_tails(g.indptr)
    for e in range(g.n_edges):
        G.add_edge(int(tails[e]), int(g.heads[e]), weight=float(g.weights_s[e]))
    return G


def nx_distances(G, n, source):
    lengths = nx.single_source_dijkstra_path_length(G, source, weight="weight")
    return np.array([lengths.get(v, math.inf) for v in range(n)], dtype=np.float64)


def dense_times(g):
    """All-pairs fastest times (float64) by repeated one_to_all."""
    return np.array([routing.one_to_all(g, s).time_s for s in range(g.n_nodes)]).reshape(
        g.n_nodes, g.n_nodes
    )


def small_graph():
    """0 -> 1 -> 2 (30 s, 45 s), bypass 0 -> 2 (90 s), 3 isolated, loop on 1."""
    return build_csr(4, [0, 0, 1, 1, 0], [1, 2, 2, 1, 1], [30.0, 90.0, 45.0, 5.0, 40.0])


# ------------------------------------------------------------- one_to_all
@SETTINGS
@given(graphs(min_nodes=1), st.data())
def test_one_to_all_matches_networkx_and_naive(g, data):
    source = data.draw(st.integers(0, g.n_nodes - 1), label="source")
    dist, pred = routing.one_to_all(g, source)

    assert dist.dtype == np.float64
    assert pred.dtype == np.int64
    np.testing.assert_allclose(dist, nx_distances(nx_graph(g), g.n_nodes, source), rtol=1e-12)
    np.testing.assert_allclose(dist, naive.dijkstra(*g, source), rtol=1e-12)

    tails = naive.edge_tails(g.indptr)
    reached = np.isfinite(dist)
    assert pred[source] == -1
    assert np.all(pred[~reached] == -1)
    for v in np.flatnonzero(reached):
        if v == source:
            continue
        e = pred[v]
        assert g.heads[e] == v
        assert dist[tails[e]] + g.weights_s[e] == dist[v]  # the very addition made


def test_one_to_all_small_example():
    dist, pred = routing.one_to_all(small_graph(), 0)
    np.testing.assert_array_equal(dist, [0.0, 30.0, 75.0, np.inf])
    g = small_graph()
    assert pred.tolist()[0] == -1 and pred.tolist()[3] == -1
    assert g.weights_s[pred[1]] == 30.0 and g.weights_s[pred[2]] == 45.0


def test_infinite_weight_edge_is_unusable():
    g = build_csr(3, [0, 1], [1, 2], [np.inf, 5.0])
    dist, pred = routing.one_to_all(g, 0)
    np.testing.assert_array_equal(dist, [0.0, np.inf, np.inf])
    np.testing.assert_array_equal(pred, [-1, -1, -1])
    time_s, nodes = routing.shortest_path(g, 0, 2)
    assert time_s == math.inf and nodes.size == 0
    np.testing.assert_array_equal(
        routing.many_to_many(g, [0, 1]), [[0, np.inf, np.inf], [np.inf, 0, 5]]
    )


# ------------------------------------------------------------ one_to_many
@SETTINGS
@given(graphs(min_nodes=1), st.data())
def test_one_to_many_equals_one_to_all_within_bound(g, data):
    n = g.n_nodes
    source = data.draw(st.integers(0, n - 1), label="source")
    targets = data.draw(st.lists(st.integers(0, n - 1), max_size=2 * n), label="targets")
    full = routing.one_to_all(g, source).time_s
    finite = sorted(set(full[np.isfinite(full)].tolist()))
    bound = data.draw(
        st.one_of(st.just(math.inf), st.sampled_from(finite), st.floats(0.0, 3000.0)),
        label="max_time_s",
    )

    got = routing.one_to_many(g, source, targets, max_time_s=bound)

    expected = np.where(full[targets] <= bound, full[targets], np.inf)
    assert got.dtype == np.float64 and got.shape == (len(targets),)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, naive.one_to_many(*g, source, targets, bound), rtol=1e-12)


def test_one_to_many_bound_is_inclusive():
    g = small_graph()
    np.testing.assert_array_equal(
        routing.one_to_many(g, 0, [2, 1, 2, 0, 3], max_time_s=75.0), [75.0, 30.0, 75.0, 0.0, np.inf]
    )
    np.testing.assert_array_equal(
        routing.one_to_many(g, 0, [2, 1, 0], max_time_s=74.9), [np.inf, 30.0, 0.0]
    )
    np.testing.assert_array_equal(routing.one_to_many(g, 0, [1, 0], max_time_s=0.0), [np.inf, 0.0])
    assert routing.one_to_many(g, 0, []).shape == (0,)


# ----------------------------------------------------------- many_to_many
@SETTINGS
@given(graphs(), st.data())
def test_many_to_many_equals_repeated_one_to_all(g, data):
    n = g.n_nodes
    node = st.integers(0, max(n - 1, 0))
    sources = data.draw(st.lists(node, max_size=n), label="sources")
    targets = data.draw(st.one_of(st.none(), st.lists(node, max_size=n)), label="targets")
    bound = data.draw(st.one_of(st.just(math.inf), st.floats(0.0, 50.0)), label="max_time_s")
    cols = np.arange(n) if targets is None else np.asarray(targets, dtype=np.int64)

    got = routing.many_to_many(g, sources, targets, max_time_s=bound)

    assert got.dtype == np.float32
    assert got.shape == (len(sources), cols.size)
    expected = np.full(got.shape, np.inf, dtype=np.float32)
    for i, s in enumerate(sources):
        row = routing.one_to_all(g, s).time_s[cols]
        expected[i] = np.where(row <= bound, row, np.inf)
    np.testing.assert_array_equal(got, expected)


@settings(deadline=None, max_examples=30)
@given(graphs(min_nodes=1), st.sampled_from([0, 1, 3, 7, 100]))
def test_many_to_many_kernel_chunking_does_not_change_results(g, n_chunks):
    sources = np.tile(np.arange(g.n_nodes, dtype=np.int64), 3)  # repeats reuse buffers
    targets = np.arange(g.n_nodes, dtype=np.int64)[::-1].copy()
    got = _kernels.many_to_many(*g, sources, targets, np.inf, n_chunks)
    expected = naive.many_to_many(*g, sources, targets)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_array_equal(
        got, np.tile(dense_times(g), (3, 1))[:, targets].astype(np.float32)
    )


def test_many_to_many_large_table_against_naive():
    rng = np.random.default_rng(7)
    n, m = 400, 1400
    g = build_csr(n, rng.integers(0, n, m), rng.integers(0, n, m), rng.uniform(1, 60, m), np.int32)
    sources = rng.integers(0, n, 150)
    targets = rng.integers(0, n, 80)
    got = routing.many_to_many(g, sources, targets, max_time_s=200.0)
    expected = naive.many_to_many(*g, sources, targets, 200.0)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert np.isfinite(got).mean() > 0.2  # the bound cuts some, not all


def test_many_to_many_empty_shapes():
    g = small_graph()
    assert routing.many_to_many(g, []).shape == (0, 4)
    assert routing.many_to_many(g, [0, 1], []).shape == (2, 0)
    empty = build_csr(0, [], [], [])
    assert routing.many_to_many(empty, []).shape == (0, 0)


# ---------------------------------------------------------- shortest_path
@SETTINGS
@given(graphs(min_nodes=1), st.data())
def test_shortest_path_is_a_valid_fastest_path(g, data):
    n = g.n_nodes
    source = data.draw(st.integers(0, n - 1), label="source")
    target = data.draw(st.integers(0, n - 1), label="target")
    best = routing.one_to_all(g, source).time_s[target]
    tails = naive.edge_tails(g.indptr)

    edges = _kernels.shortest_path_edges(*g, source, target)
    time_s, nodes = routing.shortest_path(g, source, target)

    assert edges.dtype == np.int64 and nodes.dtype == np.int64
    if source == target:
        assert edges.size == 0
        assert time_s == 0.0 and nodes.tolist() == [source]
    elif not np.isfinite(best):
        assert edges.size == 0
        assert time_s == math.inf and nodes.size == 0
    else:
        assert edges.size > 0
        assert tails[edges[0]] == source and g.heads[edges[-1]] == target
        np.testing.assert_array_equal(tails[edges[1:]], g.heads[edges[:-1]])
        total = 0.0
        for e in edges:
            total += g.weights_s[e]
        assert total == best
        assert time_s == best
        np.testing.assert_array_equal(nodes, np.concatenate([[source], g.heads[edges]]))


def test_shortest_path_small_example():
    g = small_graph()
    time_s, nodes = routing.shortest_path(g, 0, 2)
    assert time_s == 75.0 and nodes.tolist() == [0, 1, 2]
    time_s, nodes = routing.shortest_path(g, 1, 1)
    assert time_s == 0.0 and nodes.tolist() == [1]
    time_s, nodes = routing.shortest_path(g, 2, 0)
    assert time_s == math.inf and nodes.size == 0


# ---------------------------------------------------------------- reverse
@SETTINGS
@given(graphs())
def test_reverse_distances_are_forward_transposed(g):
    rev, edge_map = routing.reverse(g)

    assert rev.heads.dtype == g.heads.dtype
    assert sorted(edge_map.tolist()) == list(range(g.n_edges))
    tails = naive.edge_tails(g.indptr)
    np.testing.assert_array_equal(naive.edge_tails(rev.indptr), g.heads[edge_map])
    np.testing.assert_array_equal(rev.heads, tails[edge_map])
    np.testing.assert_array_equal(rev.weights_s, g.weights_s[edge_map])
    for got, ref in zip(rev, naive.reverse(*g), strict=True):
        np.testing.assert_array_equal(got, ref)

    forward = dense_times(g)
    np.testing.assert_allclose(dense_times(rev), forward.T, rtol=1e-12)
    if g.n_nodes:  # "from many places to x" = one_to_many on the reversed graph
        x = g.n_nodes // 2
        np.testing.assert_allclose(
            routing.one_to_many(rev, x, np.arange(g.n_nodes)), forward[:, x], rtol=1e-12
        )


@SETTINGS
@given(graphs())
def test_edge_tails_matches_naive(g):
    np.testing.assert_array_equal(_kernels.edge_tails(g.indptr), naive.edge_tails(g.indptr))


# ------------------------------------------------------------- validation
def test_inputs_are_converted():
    g = small_graph()
    loose = CSRGraph(g.indptr.tolist(), g.heads.astype(np.uint16), g.weights_s.astype(np.int64))
    np.testing.assert_array_equal(
        routing.one_to_all(loose, np.int32(0)).time_s, [0, 30, 75, np.inf]
    )
    np.testing.assert_array_equal(routing.one_to_many(g, 0, np.array([2], dtype=np.uint8)), [75.0])
    rev, _ = routing.reverse(CSRGraph(g.indptr, g.heads.astype(np.int32), g.weights_s))
    assert rev.heads.dtype == np.int32


GOOD = small_graph()


@pytest.mark.parametrize(
    ("g", "match"),
    [
        ((GOOD.indptr, GOOD.heads), "CSRGraph"),
        (GOOD._replace(indptr=np.array([], dtype=np.int64)), "length n \\+ 1"),
        (GOOD._replace(indptr=GOOD.indptr.astype(float)), "indptr must hold integers"),
        (GOOD._replace(indptr=np.array([1, 2, 3, 4, 5])), "start at 0"),
        (GOOD._replace(indptr=np.array([0, 3, 2, 5, 5])), "non-decreasing"),
        (GOOD._replace(heads=GOOD.heads.astype(float)), "heads must hold integers"),
        (GOOD._replace(heads=np.array([1, 2, 2, 1, 4])), "0..3"),
        (GOOD._replace(heads=np.array([1, 2, 2, 1, -1])), "0..3"),
        (GOOD._replace(weights_s=GOOD.weights_s[:-1]), "equal length"),
        (GOOD._replace(weights_s=np.array([1.0, 2.0, -3.0, 4.0, 5.0])), ">= 0"),
        (GOOD._replace(weights_s=np.array([1.0, 2.0, np.nan, 4.0, 5.0])), "NaN"),
        (GOOD._replace(weights_s=np.array(["a"] * 5)), "real numbers"),
        (GOOD._replace(weights_s=np.ones(5, dtype=bool)), "real numbers"),
    ],
)
def test_malformed_graph_is_rejected(g, match):
    for call in (
        lambda: routing.one_to_all(g, 0),
        lambda: routing.one_to_many(g, 0, [1]),
        lambda: routing.many_to_many(g, [0]),
        lambda: routing.shortest_path(g, 0, 1),
        lambda: routing.reverse(g),
    ):
        with pytest.raises(ValueError, match=match):
            call()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda g: routing.one_to_all(g, 4), "source=4 is not a node"),
        (lambda g: routing.one_to_all(g, -1), "source=-1 is not a node"),
        (lambda g: routing.one_to_all(g, 1.0), "integer node index"),
        (lambda g: routing.one_to_all(g, True), "bool"),
        (lambda g: routing.one_to_many(g, 0, [0, 7]), "targets contains 7"),
        (lambda g: routing.one_to_many(g, 0, [[0, 1]]), "1-D"),
        (lambda g: routing.one_to_many(g, 0, [0.5]), "targets must hold integers"),
        (lambda g: routing.one_to_many(g, 0, [1], max_time_s=-1.0), "max_time_s must be >= 0"),
        (lambda g: routing.one_to_many(g, 0, [1], max_time_s=np.nan), "max_time_s must be >= 0"),
        (lambda g: routing.one_to_many(g, 0, [1], max_time_s="x"), "number of seconds"),
        (lambda g: routing.many_to_many(g, [0, -2]), "sources contains -2"),
        (lambda g: routing.many_to_many(g, [0], [9]), "targets contains 9"),
        (lambda g: routing.many_to_many(g, [0], max_time_s=-5), "max_time_s"),
        (lambda g: routing.shortest_path(g, 0, 4), "target=4 is not a node"),
        (lambda g: routing.one_to_all(build_csr(0, [], [], []), 0), "graph has no nodes"),
    ],
)
def test_bad_arguments_are_rejected(call, match):
    with pytest.raises(ValueError, match=match):
        call(small_graph())
