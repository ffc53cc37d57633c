"""Neighbour sampling respects the graph and the fanout; metrics agree with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from gnn.metrics import auc, average_precision, average_ranks, hits_at_k
from gnn.sampling import csr_by_target, sample_subgraph


def test_sampled_edges_exist_and_fanout_holds() -> None:
    rng = np.random.default_rng(0)
    n = 300
    src = rng.integers(0, n, 3000)
    dst = rng.integers(0, n, 3000)
    ei = np.vstack([src, dst])
    csr = csr_by_target(ei, n)
    seeds = np.array([1, 5, 7, 7, 100])
    sub = sample_subgraph(csr, seeds, (4, 3), np.random.default_rng(1))
    assert list(sub.nodes[: sub.n_seeds]) == sorted(set(seeds.tolist()))
    real = set(zip(src.tolist(), dst.tolist(), strict=True))
    g_src, g_dst = sub.nodes[sub.edge_index[0]], sub.nodes[sub.edge_index[1]]
    assert set(zip(g_src.tolist(), g_dst.tolist(), strict=True)) <= real
    np.testing.assert_array_equal(ei[0][sub.edge_ids], g_src)
    for s in sub.nodes[: sub.n_seeds]:
        into = np.flatnonzero(g_dst == s)
        indeg = int((dst == s).sum())
        assert len(into) == (indeg if indeg <= 4 else len(set(sub.edge_ids[into].tolist())))
        assert len(into) <= max(4, indeg if indeg <= 4 else 4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    pos = rng.integers(0, 5, 40).astype(float)  # many ties on purpose
    neg = rng.integers(0, 4, 200).astype(float)
    y = np.r_[np.ones(40), np.zeros(200)]
    s = np.r_[pos, neg]
    assert auc(pos, neg) == pytest.approx(roc_auc_score(y, s))
    assert average_precision(pos, neg) == pytest.approx(average_precision_score(y, s))


def test_hits_at_k() -> None:
    neg = np.arange(100, dtype=float)  # 20th best negative is 80
    assert hits_at_k(np.array([81.0, 80.0, 99.5, 10.0]), neg, k=20) == 0.5


def test_average_ranks_are_scipy_s_rankdata() -> None:
    from scipy.stats import rankdata

    rng = np.random.default_rng(11)
    for values in (
        rng.normal(size=500),
        rng.integers(0, 7, 500).astype(float),  # many ties
        np.array([3.0]),
        np.array([]),
        np.array([1.0, np.nan, 2.0]),
        np.array([-0.0, 0.0, np.inf, -np.inf, 0.0]),
    ):
        ours, theirs = average_ranks(values), rankdata(values)
        assert np.array_equal(ours, theirs, equal_nan=True), values
