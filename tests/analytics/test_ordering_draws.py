"""The tie-lean null's fast draws (pair arrays, a reused factorisation of a superset of the
active communities) give what the by-definition draws give: each draw rebuilt as a graph and
fitted again (:func:`graphkit.analytics.ordering._draw_rewired`)."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.analytics.ordering import (
    _draw_rewired,
    _draw_tie_lean,
    _fit,
    _per_group,
    _Rewiring,
)


def _community_graph(seed: int, n_groups: int) -> tuple[np.ndarray, ...]:
    """Directed weighted ties inside groups of 3-40 members; some groups layered (ties lean
    down a random order), the others not, so that groups stop drawing at different times."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 40, size=n_groups)
    groups = np.repeat(np.arange(n_groups), sizes)
    start = np.r_[0, np.cumsum(sizes)[:-1]]
    src, dst, w = [], [], []
    for c, (lo, size) in enumerate(zip(start, sizes, strict=True)):
        m = int(size * rng.uniform(1.0, 4.0))
        a = lo + rng.integers(0, size, m)
        b = lo + rng.integers(0, size, m)
        lean = 0.9 if c % 3 == 0 else 0.5
        down = rng.random(m) < lean
        src += list(np.where(down, np.minimum(a, b), np.maximum(a, b)))
        dst += list(np.where(down, np.maximum(a, b), np.minimum(a, b)))
        w += list(rng.geometric(0.4, m).astype(float))
    s, d, wt = np.asarray(src), np.asarray(dst), np.asarray(w)
    keep = s != d
    return s[keep], d[keep], wt[keep], groups


@pytest.mark.parametrize(("seed", "alpha"), [(0, 0.0), (1, 0.0), (2, 0.5)])
def test_fast_tie_lean_draws_equal_the_rebuilt_ones(seed: int, alpha: float) -> None:
    src, dst, w, groups = _community_graph(seed, 60)
    n, k = len(groups), int(groups.max()) + 1
    scores, i, j, wc, _ = _fit(src, dst, w, n, alpha)
    energy, _ = _per_group(scores, i, j, wc, groups, k)
    out = []
    for draw in (_draw_rewired, _draw_tie_lean):
        tallies = (np.zeros(k, np.int64), np.zeros(k, np.int64), np.zeros(k), np.zeros(k))
        active = np.ones(k, dtype=bool)
        draw(
            _Rewiring(i, j, wc, groups, "tie-lean"),
            groups,
            energy,
            active,
            np.random.default_rng(seed),
            max_draws=300,
            stop_after=5,
            alpha=alpha,
            tallies=tallies,
        )
        out.append((tallies, active))
    (old, old_active), (new, new_active) = out
    np.testing.assert_array_equal(old[0], new[0])  # draws per community
    np.testing.assert_array_equal(old[1], new[1])  # draws fitting at least as well
    np.testing.assert_allclose(old[2], new[2], rtol=1e-9, atol=1e-12)  # null energy sums
    np.testing.assert_allclose(old[3], new[3], rtol=1e-9, atol=1e-12)  # null downward shares
    np.testing.assert_array_equal(old_active, new_active)
    # the test is not vacuous: communities stopped at different draws, some drew to the end
    assert len(np.unique(old[0])) > 3 and (old[0] == 300).any()


def test_rewiring_keeps_its_pairs_on_large_graphs() -> None:
    """Pairs of vertices beyond 46,340 with scipy's int32 indices (their key overflowed int32)."""
    n = 100_000
    i = np.array([70_000, 99_999, 50_001], dtype=np.int32)
    j = np.array([99_999, 70_000, 99_998], dtype=np.int32)
    w = np.array([3.0, 1.0, 2.0])
    groups = np.zeros(n, dtype=np.int64)
    r = _Rewiring(i, j, w, groups, "tie-lean")
    columns = (r.lead.tolist(), r.follow.tolist(), r.w_lf.tolist(), r.w_fl.tolist())
    pairs = sorted(zip(*columns, strict=True))
    assert pairs == [(50_001, 99_998, 2.0, 0.0), (70_000, 99_999, 3.0, 1.0)]
