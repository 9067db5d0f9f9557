"""Dense tables for the simulator's oracles against repeated Dijkstra and networkx."""

from __future__ import annotations

import networkx as nx
import numba
import numpy as np
import pytest

from idrt.routing import _kernels as rk


def _random_graph(seed, n=40, m=140):
    rng = np.random.default_rng(seed)
    tails = rng.integers(0, n, m)
    heads = rng.integers(0, n, m)
    weights = rng.integers(1, 30, m).astype(float)  # integers: ties between paths happen
    lengths = rng.uniform(10, 500, m)
    order = np.argsort(tails, kind="stable")
    tails, heads, weights, lengths = tails[order], heads[order], weights[order], lengths[order]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(tails, minlength=n), out=indptr[1:])
    return indptr, heads.astype(np.int32), weights, lengths


@pytest.mark.parametrize("seed", range(6))
def test_all_pairs_equals_repeated_one_to_all_and_networkx(seed):
    indptr, heads, w, _ = _random_graph(seed)
    n = indptr.size - 1
    dist, pred = rk.all_pairs(indptr, heads, w)
    tails = rk.edge_tails(indptr)
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    G.add_weighted_edges_from(zip(tails.tolist(), heads.tolist(), w.tolist(), strict=True))
    for s in range(n):
        np.testing.assert_array_equal(dist[s], rk.one_to_all(indptr, heads, w, s)[0])
        truth = nx.single_source_dijkstra_path_length(G, s)
        expected = np.array([truth.get(t, np.inf) for t in range(n)])
        np.testing.assert_allclose(dist[s], expected)
        for t in range(n):
            edges = rk.path_edges_from_pred(pred[s], tails, s, t)
            if np.isfinite(dist[s, t]) and s != t:
                assert tails[edges[0]] == s and heads[edges[-1]] == t
                assert np.all(heads[edges[:-1]] == tails[edges[1:]])
                assert w[edges].sum() == dist[s, t]
            else:
                assert edges.size == 0


@pytest.mark.parametrize("seed", range(6))
def test_subset_tables_equal_the_dense_table_and_path_lengths(seed):
    indptr, heads, w, length = _random_graph(seed)
    n = indptr.size - 1
    dist, _ = rk.all_pairs(indptr, heads, w)
    tails = rk.edge_tails(indptr)
    nodes = np.sort(np.random.default_rng(seed).choice(n, 12, replace=False)).astype(np.int64)
    time_s, dist_m = rk.subset_tables(indptr, heads, w, length, nodes, numba.get_num_threads())
    np.testing.assert_array_equal(time_s, dist[np.ix_(nodes, nodes)])
    for i, s in enumerate(nodes):
        for j, t in enumerate(nodes):
            if np.isfinite(time_s[i, j]):
                # the subset search's own fastest path may differ from the dense one
                # on ties, but it has the same time and a length of some fastest path
                assert dist_m[i, j] >= 0 and (s != t or dist_m[i, j] == 0)
            else:
                assert np.isinf(dist_m[i, j])
    # without ties (distinct real weights) the fastest path is unique: lengths agree
    w2 = w + np.random.default_rng(seed).uniform(0, 1e-3, w.size)
    dist2, pred2 = rk.all_pairs(indptr, heads, w2)
    _, dist_m2 = rk.subset_tables(indptr, heads, w2, length, nodes, 1)
    for i, s in enumerate(nodes):
        for j, t in enumerate(nodes):
            if np.isfinite(dist2[s, t]):
                edges = rk.path_edges_from_pred(pred2[s], tails, s, t)
                assert dist_m2[i, j] == pytest.approx(length[edges].sum(), rel=1e-12)
