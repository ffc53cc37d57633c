"""The significance test's energies (ground-state identity) against the pair-sum definition."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from graphkit.analytics.springrank import (
    SpringSolver,
    hierarchy_significance,
    springrank_energy,
    springrank_matrix,
)


def _brute_p_values(
    a: sparse.csr_matrix, groups: np.ndarray, *, seed: int, n_null: int
) -> np.ndarray:
    """The test as defined: re-draw directions, re-fit, sum (s_i - s_j - 1)^2 over edges."""
    k = int(groups.max()) + 1
    observed = springrank_energy(a, springrank_matrix(a), groups)
    upper = sparse.triu(a + a.T, k=1).tocoo()
    i, j, total = upper.row, upper.col, upper.data
    units = np.maximum(np.rint(total), 1).astype(np.int64)
    rng = np.random.default_rng(seed)
    at_most = np.zeros(k)
    for start in range(0, n_null, 16):
        m = min(16, n_null - start)
        draws = rng.binomial(units[:, None], 0.5, size=(len(total), m))
        for col in range(m):
            fwd = total * draws[:, col] / units
            null = sparse.csr_matrix(
                (np.r_[fwd, total - fwd], (np.r_[i, j], np.r_[j, i])), shape=a.shape
            )
            energy = springrank_energy(null, springrank_matrix(null), groups)
            at_most += energy <= observed + 1e-9
    p = (at_most + 1.0) / (n_null + 1.0)
    p[np.bincount(groups[i], minlength=k) == 0] = 1.0
    return p


@pytest.mark.parametrize("seed", range(5))
def test_p_values_match_the_definition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 40, 160
    groups = rng.integers(0, 3, n)
    r, c = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = (groups[r] == groups[c]) & (r != c)
    w = rng.integers(1, 5, m).astype(float) if seed % 2 else rng.random(m) * 3
    # a planted order in group 0 so that some p-values are small
    w = np.where((groups[r] == 0) & (r < c), w * 4, w)
    a = sparse.csr_matrix((w[keep], (r[keep], c[keep])), shape=(n, n))
    got = hierarchy_significance(a, groups, seed=seed, n_null=31)
    want = _brute_p_values(a, groups, seed=seed, n_null=31)
    np.testing.assert_array_equal(got, want)
    assert got.min() < 0.5


def test_identity_energy_equals_pair_energy() -> None:
    rng = np.random.default_rng(9)
    n = 50
    a = sparse.random(n, n, density=0.1, random_state=9, format="csr") * 5
    a.setdiag(0)
    a.eliminate_zeros()
    groups = rng.integers(0, 2, n)
    inside = sparse.csr_matrix(a.multiply(groups[:, None] == groups[None, :]))
    s = SpringSolver(inside + inside.T).solve(
        np.asarray(inside.sum(axis=1)).ravel() - np.asarray(inside.sum(axis=0)).ravel()
    )
    pair = springrank_energy(inside, s, groups)
    b = np.asarray(inside.sum(axis=1)).ravel() - np.asarray(inside.sum(axis=0)).ravel()
    w = np.bincount(groups, weights=np.asarray(inside.sum(axis=1)).ravel(), minlength=2)
    identity = 0.5 * (w - np.bincount(groups, weights=s * b, minlength=2))
    np.testing.assert_allclose(identity, pair, rtol=1e-9, atol=1e-9)
