"""SpringRank's ground-state energy identity against the pair-sum definition."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from graphkit.analytics.springrank import (
    SpringSolver,
    springrank_energy,
)


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
