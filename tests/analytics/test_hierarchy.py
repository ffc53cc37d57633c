"""SpringRank against a dense solve; levels, superiors, significance, leadership."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.stats import rankdata

from graphkit.analytics.graph import from_edges
from graphkit.analytics.hierarchy import (
    hierarchy_table,
    leadership_score,
    within_group_percentile,
)
from graphkit.analytics.springrank import fit_beta, hierarchy_significance, springrank_matrix


def _random_adjacency(n: int, m: int, seed: int) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = i != j
    w = rng.integers(1, 4, m).astype(float)
    return sparse.csr_matrix((w[keep], (i[keep], j[keep])), shape=(n, n))


def _dense_springrank(a: np.ndarray, alpha: float) -> np.ndarray:
    k_out, k_in = a.sum(axis=1), a.sum(axis=0)
    lap = np.diag(k_out + k_in) - (a + a.T) + alpha * np.eye(len(a))
    rhs = k_out - k_in
    # alpha = 0: minimum-norm solution = every component centred on 0
    return np.linalg.lstsq(lap, rhs, rcond=None)[0] if alpha == 0 else np.linalg.solve(lap, rhs)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_springrank_matches_dense_solve(seed: int, alpha: float) -> None:
    a = _random_adjacency(30, 45, seed)  # sparse: several components
    got = springrank_matrix(a, alpha=alpha)
    assert got == pytest.approx(_dense_springrank(a.toarray(), alpha), abs=1e-8)


def test_springrank_large_path_uses_cg_and_agrees() -> None:
    import graphkit.analytics.springrank as h

    a = _random_adjacency(400, 1600, 3)
    direct = springrank_matrix(a)
    old = h._DIRECT_SOLVE_MAX
    h._DIRECT_SOLVE_MAX = 10
    try:
        iterative = springrank_matrix(a)
    finally:
        h._DIRECT_SOLVE_MAX = old
    assert iterative == pytest.approx(direct, abs=1e-5)


def test_chain_has_unit_spacing_and_levels() -> None:
    e = pd.DataFrame({"src": ["boss", "mid"], "dst": ["mid", "low"], "weight": [3.0, 3.0]})
    g = from_edges(e)
    names = g.vs["name"]
    table = hierarchy_table(g, np.zeros(3, dtype=np.int64), np.ones(3), seed=0, n_null=20)
    s = dict(zip(names, table["springrank"], strict=True))
    assert s["boss"] - s["mid"] == pytest.approx(1.0)
    assert s["mid"] - s["low"] == pytest.approx(1.0)
    level = dict(zip(names, table["level"], strict=True))
    assert level == {"boss": 0, "mid": 1, "low": 2}
    sup = dict(zip(names, table["superior"], strict=True))
    assert names[sup["low"]] == "mid" and names[sup["mid"]] == "boss" and sup["boss"] == -1


def test_superior_prefers_the_heavier_tie_above() -> None:
    rows = [("boss", f"m{i}", 4.0) for i in range(5)] + [("m0", "m1", 1.0)]
    g = from_edges(pd.DataFrame(rows, columns=["src", "dst", "weight"]))
    names = g.vs["name"]
    table = hierarchy_table(
        g, np.zeros(g.vcount(), dtype=np.int64), np.ones(g.vcount()), seed=0, n_null=20
    )
    for i in range(5):
        assert names[table["superior"][names.index(f"m{i}")]] == "boss"


def test_fit_beta_is_the_likelihood_maximum() -> None:
    a = _random_adjacency(25, 80, 1)
    s = springrank_matrix(a)
    beta = fit_beta(a, s)
    coo = a.tocoo()
    diff = s[coo.row] - s[coo.col]
    grid = np.linspace(0.01, 10, 4000)
    ll = [-np.sum(coo.data * np.logaddexp(0, -2 * b * diff)) for b in grid]
    assert beta == pytest.approx(grid[int(np.argmax(ll))], abs=0.01)


def test_significance_separates_hierarchy_from_noise() -> None:
    rng = np.random.default_rng(0)
    n = 20
    rows, cols, w = [], [], []
    for i in range(n):  # group 0: strict order, i above j when i < j
        for j in range(i + 1, n):
            if rng.random() < 0.4:
                rows.append(i), cols.append(j), w.append(1.0)
    for i in range(n, 2 * n):  # group 1: balanced two-way traffic
        for j in range(i + 1, 2 * n):
            if rng.random() < 0.4:
                rows += [i, j]
                cols += [j, i]
                w += [1.0, 1.0]
    a = sparse.csr_matrix((w, (rows, cols)), shape=(2 * n, 2 * n))
    groups = np.repeat([0, 1], n)
    p = hierarchy_significance(a, groups, seed=1, n_null=99)
    assert p[0] <= 0.02
    assert p[1] > 0.5


def test_within_group_percentile_brute_force() -> None:
    rng = np.random.default_rng(2)
    values = rng.integers(0, 5, 50).astype(float)
    groups = rng.integers(0, 4, 50)
    got = within_group_percentile(values, groups)
    for k in range(4):
        idx = np.flatnonzero(groups == k)
        want = (rankdata(values[idx]) - 0.5) / len(idx)
        assert got[idx] == pytest.approx(want)


def test_leadership_uses_rank_only_where_significant() -> None:
    pr = np.array([0.1, 0.2, 0.3, 0.4])
    rank = np.array([0.9, 0.1, 0.9, 0.1])
    score = leadership_score(pr, rank, np.array([True, True, False, False]))
    pr_pct = (np.arange(4) + 0.5) / 4
    assert score[:2] == pytest.approx(np.sqrt(pr_pct[:2] * rank[:2]))
    assert score[2:] == pytest.approx(pr_pct[2:])
