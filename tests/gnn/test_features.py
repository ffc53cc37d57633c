"""Pairwise heuristics and structural features against networkx and brute force."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from gnn.data import link_graph
from gnn.features import (
    activity_features,
    adjacency,
    heuristic_scores,
    pair_feature_columns,
    pair_features,
    profile_cosine,
    structural_features,
    walk_counts,
)
from tests.gnn.conftest import random_edges


def _graph(seed: int) -> tuple[nx.Graph, np.ndarray, object]:
    g = link_graph(random_edges(seed))
    adj = adjacency(g.n_nodes, g.u, g.v)
    nxg = nx.Graph()
    nxg.add_nodes_from(range(g.n_nodes))
    nxg.add_edges_from(zip(g.u.tolist(), g.v.tolist(), strict=True))
    return nxg, adj, g


_PATHS = pytest.mark.parametrize(
    "dense_nodes", [0, 1_000_000], ids=["sparse-rows", "dense-matrices"]
)


@_PATHS
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heuristics_match_networkx(
    monkeypatch: pytest.MonkeyPatch, seed: int, dense_nodes: int
) -> None:
    monkeypatch.setattr("gnn.features._DENSE_NODES", dense_nodes)
    nxg, adj, _ = _graph(seed)
    pairs = list(nx.non_edges(nxg))
    u = np.array([p[0] for p in pairs])
    v = np.array([p[1] for p in pairs])
    ours = heuristic_scores(adj, u, v)
    cn = [len(list(nx.common_neighbors(nxg, a, b))) for a, b in pairs]
    np.testing.assert_allclose(ours["common_neighbours"], cn)
    np.testing.assert_allclose(ours["jaccard"], [s for *_, s in nx.jaccard_coefficient(nxg, pairs)])
    np.testing.assert_allclose(
        ours["resource_allocation"], [s for *_, s in nx.resource_allocation_index(nxg, pairs)]
    )
    np.testing.assert_allclose(
        ours["preferential_attachment"], [s for *_, s in nx.preferential_attachment(nxg, pairs)]
    )
    # networkx divides by log(degree) of common neighbours, all of degree >= 2 here
    np.testing.assert_allclose(
        ours["adamic_adar"], [s for *_, s in nx.adamic_adar_index(nxg, pairs)]
    )


@pytest.mark.parametrize("seed", [3, 4])
def test_distance_and_paths_match_brute_force(seed: int) -> None:
    nxg, adj, _ = _graph(seed)
    dense = adj.toarray()
    walks3 = dense @ dense @ dense
    pairs = np.array(list(nx.non_edges(nxg)) + list(nxg.edges()))
    feats = pair_features(adj, pairs[:, 0], pairs[:, 1])
    lengths = dict(nx.all_pairs_shortest_path_length(nxg))
    for row, (a, b) in zip(feats, pairs, strict=True):
        d = lengths[a].get(b, math.inf)
        assert row[5] == pytest.approx(1.0 / d if d <= 3 else 0.0)
        assert row[6] == pytest.approx(math.log1p(walks3[a, b]))


@_PATHS
def test_walk_counts_are_matrix_powers(monkeypatch: pytest.MonkeyPatch, dense_nodes: int) -> None:
    """Both ways of counting walks (per-pair sparse rows, cached dense powers) give A^k[u, v],
    and the cache answers for a changed graph with that graph's counts, not the old one's."""
    monkeypatch.setattr("gnn.features._DENSE_NODES", dense_nodes)
    _, adj, _ = _graph(5)
    dense = adj.toarray()
    rng = np.random.default_rng(5)
    u = rng.integers(0, adj.shape[0], 400)
    v = rng.integers(0, adj.shape[0], 400)
    expected = np.stack([np.linalg.matrix_power(dense, k)[u, v] for k in range(1, 5)], axis=1)
    np.testing.assert_array_equal(walk_counts(adj, u, v), expected)
    np.testing.assert_array_equal(walk_counts(adj, u, v, max_len=2), expected[:, :2])
    _, other, _ = _graph(6)
    dense_other = other.toarray()
    np.testing.assert_array_equal(
        walk_counts(other, u % other.shape[0], v % other.shape[0])[:, 3],
        np.linalg.matrix_power(dense_other, 4)[u % other.shape[0], v % other.shape[0]],
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dense_pair_matrices_equal_the_sparse_rows_exactly(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    """The cached dense matrices give every pair feature bit for bit as the per-pair sparse
    rows do (both add a pair's common neighbours' weights in neighbour order), so which way
    a view takes changes no score."""
    _, adj, _ = _graph(seed)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, adj.shape[0], 600)
    v = rng.integers(0, adj.shape[0], 600)
    monkeypatch.setattr("gnn.features._DENSE_NODES", 0)
    rows = pair_features(adj, u, v)
    monkeypatch.setattr("gnn.features._DENSE_NODES", 1_000_000)
    np.testing.assert_array_equal(pair_features(adj, u, v), rows)
    # a view told to read sparse rows (a training fold's) gives the same features too
    np.testing.assert_array_equal(np.stack(pair_feature_columns(adj, u, v, dense=False), 1), rows)


def test_structural_features_match_networkx() -> None:
    nxg, adj, g = _graph(5)
    names, values = structural_features(adj, np.ones(g.n_nodes))
    clustering = nx.clustering(nxg)
    col = names.index("clustering")
    np.testing.assert_allclose(values[:, col], [clustering[i] for i in range(g.n_nodes)])
    deg = dict(nxg.degree())
    np.testing.assert_allclose(
        values[:, names.index("log_degree")], np.log1p([deg[i] for i in range(g.n_nodes)])
    )


def test_activity_features_are_shares() -> None:
    rng = np.random.default_rng(0)
    how = rng.poisson(2.0, size=(5, 168)).astype(float)
    how[4] = 0
    names, values = activity_features(how)
    assert len(names) == values.shape[1] == 24 + 7 + 2
    np.testing.assert_allclose(values[:4, :24].sum(axis=1), 1.0)
    np.testing.assert_allclose(values[:4, 24:31].sum(axis=1), 1.0)
    assert not values[4, :32].any()
    with pytest.raises(ValueError):
        activity_features(np.zeros((3, 24)))


def test_profile_cosine() -> None:
    prof = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(
        profile_cosine(prof, np.array([0, 0, 0]), np.array([1, 2, 3])), [1.0, 0.0, 0.0]
    )
