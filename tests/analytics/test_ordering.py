"""The hierarchy (ordering) test: layering is found, volume alone is not, the null keeps what
it should, and the p-values are valid."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from graphkit.analytics.ordering import NULLS, _Rewiring, ordering_test
from graphkit.analytics.springrank import springrank_energy, springrank_matrix


def _matrix(rows: list[tuple[int, int, float]], n: int) -> sparse.csr_matrix:
    i, j, w = zip(*rows, strict=True)
    return sparse.csr_matrix((w, (i, j)), shape=(n, n))


def _tree(rng: np.random.Generator, offset: int = 0) -> list[tuple[int, int, float]]:
    """A boss over 4 lieutenants over 4 soldiers each; contacts lean 80/20 down the tree,
    soldiers of a crew talk evenly among themselves."""
    rows: list[tuple[int, int, float]] = []
    boss, lts = offset, [offset + 1 + k for k in range(4)]
    soldier = offset + 5

    def tie(a: int, b: int, calls: int, lean: float) -> None:
        down = rng.binomial(calls, lean)
        if down:
            rows.append((a, b, float(down)))
        if calls - down:
            rows.append((b, a, float(calls - down)))

    for lt in lts:
        tie(boss, lt, 12, 0.8)
        crew = list(range(soldier, soldier + 4))
        soldier += 4
        for s in crew:
            tie(lt, s, 12, 0.8)
        for a in crew:
            for b in crew:
                if a < b:
                    tie(a, b, 4, 0.5)
    return rows


def test_a_layered_group_is_stated_and_a_busy_caller_is_not() -> None:
    rng = np.random.default_rng(0)
    rows = _tree(rng)  # group 0: vertices 0..20
    # group 1: one member calls the 20 others, who never call back: a star fits any
    # directions perfectly (callers above the hub, callees below), so a busy caller alone
    # is never an ordering, under either null
    rows += [(21, 22 + k, 5.0) for k in range(20)]
    groups = np.r_[np.zeros(21, int), np.ones(21, int)]
    for null in NULLS:
        result = ordering_test(_matrix(rows, 42), groups, seed=1, null=null)
        t = result.table
        assert not t.loc[1, "stated"] and t.loc[1, "p_value"] == 1.0
        assert null in result.test
    t = ordering_test(_matrix(rows, 42), groups, seed=1).table
    assert bool(t.loc[0, "stated"]) and t.loc[0, "q_value"] <= 0.01
    assert t.loc[0, "downward_share"] - t.loc[0, "null_downward_share"] >= 0.02


def test_one_sided_ties_pointing_anywhere_are_not_an_ordering() -> None:
    """Every tie strongly one-sided (9 to 1), its direction drawn at random: the older null
    (even splits on fixed pairs) called this a hierarchy; this one must not."""
    rng = np.random.default_rng(3)
    n, rows = 30, []
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < 0.3:
                hi, lo = (a, b) if rng.random() < 0.5 else (b, a)
                rows += [(hi, lo, 9.0), (lo, hi, 1.0)]
    for null in NULLS:
        result = ordering_test(_matrix(rows, n), np.zeros(n, int), seed=0, null=null)
        assert not result.table.loc[0, "stated"]
        assert result.table.loc[0, "p_value"] > 0.05


@pytest.mark.parametrize("null", NULLS)
def test_the_null_keeps_degrees_and_tie_weights(null: str) -> None:
    rng = np.random.default_rng(5)
    rows = _tree(rng) + _tree(rng, offset=21)
    a = _matrix(rows, 42).tocoo()
    groups = np.repeat([0, 1], 21)
    rewiring = _Rewiring(a.row, a.col, a.data, groups, null)
    ends = np.bincount(rewiring.lead, minlength=42) + np.bincount(rewiring.follow, minlength=42)
    pairs = sorted(zip(rewiring.w_lf, rewiring.w_fl, strict=True))
    for seed in range(5):
        s, d, w = rewiring.draw(np.array([True, True]), np.random.default_rng(seed))
        half = len(s) // 2
        lead, follow = s[:half], d[:half]
        degree = np.bincount(lead, minlength=42) + np.bincount(follow, minlength=42)
        assert np.array_equal(degree, ends)  # every member keeps its number of ties
        assert np.all(groups[lead] == groups[follow])  # rewired inside the group only
        assert sorted(zip(w[:half], w[half:], strict=True)) == pairs  # volume, one-sidedness
        fixed = ~rewiring.balanced
        leads = np.bincount(lead[fixed], minlength=42)
        if null == "lead-degree":
            assert np.array_equal(leads, np.bincount(rewiring.lead[fixed], minlength=42))
        else:  # the same pairs, leaning either way
            assert {frozenset(p) for p in zip(lead, follow, strict=True)} == {
                frozenset(p) for p in zip(rewiring.lead, rewiring.follow, strict=True)
            }


def test_observed_energy_is_springrank_energy_per_unit_weight() -> None:
    rng = np.random.default_rng(7)
    rows = _tree(rng)
    a = _matrix(rows, 21)
    groups = np.zeros(21, int)
    s = springrank_matrix(a)
    want = springrank_energy(a, s, groups)[0] / a.sum()
    got = ordering_test(a, groups, seed=0, max_draws=5).table.loc[0, "energy"]
    assert got == pytest.approx(want, rel=1e-9)


def test_p_values_are_valid_under_the_null() -> None:
    """Groups drawn from the null itself (trees whose ties lean at random): at most about alpha
    of them reach p <= alpha, and the sequential stop keeps draws low where there is nothing."""
    rng = np.random.default_rng(11)
    rows = []
    n_groups = 40
    for g in range(n_groups):
        rows += _tree(rng, offset=21 * g)
    a = _matrix(rows, 21 * n_groups).tocoo()
    groups = np.repeat(np.arange(n_groups), 21)
    s, d, w = _Rewiring(a.row, a.col, a.data, groups).draw(np.ones(n_groups, bool), rng)
    rewired = sparse.csr_matrix((w, (s, d)), shape=a.shape)
    t = ordering_test(rewired, groups, seed=2, max_draws=199).table
    assert (t["p_value"] <= 0.05).sum() <= 5  # expected 2 of 40; 5 or more has p < 0.05
    assert t["stated"].sum() <= 1
    assert t["draws"].median() < 60


def test_same_answer_whichever_end_is_read_as_higher() -> None:
    rng = np.random.default_rng(4)
    a = _matrix(_tree(rng), 21)
    groups = np.zeros(21, int)
    up = ordering_test(a, groups, seed=0).table
    down = ordering_test(a.T.tocsr(), groups, seed=0).table
    assert up.loc[0, "stated"] == down.loc[0, "stated"]
    assert up.loc[0, "energy"] == pytest.approx(down.loc[0, "energy"])


def test_one_factorisation_per_set_of_drawing_communities_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tie-lean null keeps A + A^T, so the factorised system is reused between draws
    (that of a superset of the drawing communities, the system being block-diagonal by
    community): the table is exactly that of a graph rebuilt and fitted from scratch per draw,
    for far fewer factorisations (the null means to the last digits, summed in another order)."""
    import pandas as pd

    from graphkit.analytics import ordering

    rng = np.random.default_rng(5)
    n, groups = 240, np.repeat(np.arange(12), 20)
    src = rng.integers(0, n, 3000)
    dst = np.where(rng.random(3000) < 0.8, groups[src] * 20 + rng.integers(0, 20, 3000), src)
    lean = (src % 20 < dst % 20) & (groups[src] < 4)  # four ordered communities, eight not
    a, b = np.where(lean, src, dst), np.where(lean, dst, src)
    adjacency = sparse.csr_matrix((rng.integers(1, 4, 3000).astype(float), (a, b)), (n, n))
    built = []
    solver_class = ordering.SpringSolver

    def counted(*args: object, **kwargs: object) -> object:
        built.append(1)
        return solver_class(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ordering, "SpringSolver", counted)
    reused = ordering_test(adjacency, groups, seed=3, max_draws=199)
    factorisations = len(built)
    fit = ordering._fit
    monkeypatch.setattr(ordering, "_fit", lambda *args: fit(*args[:5]))  # never reuse
    monkeypatch.setattr(ordering, "_draw_tie_lean", ordering._draw_rewired)  # rebuilt per draw
    fresh = ordering_test(adjacency, groups, seed=3, max_draws=199)
    # the same draws and decisions; the null means summed in another order (last digits)
    exact = ["tested", "energy", "downward_share", "draws", "p_value", "q_value", "stated"]
    pd.testing.assert_frame_equal(reused.table[exact], fresh.table[exact], check_exact=True)
    pd.testing.assert_frame_equal(reused.table, fresh.table, check_exact=False, rtol=1e-12)
    draws = int(reused.table["draws"].max())
    assert reused.table["stated"].sum() >= 1 and draws == 199
    assert factorisations < draws / 4 and len(built) - factorisations == draws + 1
