"""SpringRank against a dense solve; levels, superiors, significance, leadership."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.stats import rankdata

from graphkit.analytics.graph import from_edges
from graphkit.analytics.hierarchy import (
    hierarchy_analysis,
    hierarchy_table,
    leadership_score,
    within_group_percentile,
)
from graphkit.analytics.springrank import fit_beta, springrank_matrix


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


def _ladder(rungs: int = 6, calls: int = 6) -> pd.DataFrame:
    """A strict chain boss -> r1 -> ... (each rung calls the next), plus a few calls back."""
    names = ["boss", *[f"r{k}" for k in range(1, rungs)]]
    rows = [(a, b, float(calls)) for a, b in itertools.pairwise(names)]
    rows += [(b, a, 1.0) for a, b in itertools.pairwise(names)]
    rows += [(a, c, 2.0) for a, c in zip(names, names[2:], strict=False)]  # skips a rung
    return pd.DataFrame(rows, columns=["src", "dst", "weight"])


def test_chain_has_levels_and_superiors_only_when_stated() -> None:
    g = from_edges(_ladder())
    names = g.vs["name"]
    groups = np.zeros(g.vcount(), dtype=np.int64)
    table, test = hierarchy_analysis(g, groups, np.ones(g.vcount()), seed=0)
    assert bool(test.table.loc[0, "stated"])
    level = dict(zip(names, table["level"], strict=True))
    assert level["boss"] == 0 and level["r1"] >= 1 and level["r5"] > level["r3"] > level["r1"]
    sup = dict(zip(names, table["superior"], strict=True))
    assert names[sup["r2"]] == "r1" and sup["boss"] == -1
    # two ties cannot carry a test: springs are fitted, nothing is stated, no levels drawn
    e = pd.DataFrame({"src": ["boss", "mid"], "dst": ["mid", "low"], "weight": [3.0, 3.0]})
    small = from_edges(e)
    t2, test2 = hierarchy_analysis(small, np.zeros(3, dtype=np.int64), np.ones(3), seed=0)
    s = dict(zip(small.vs["name"], t2["springrank"], strict=True))
    assert s["boss"] - s["mid"] == pytest.approx(1.0)
    assert not test2.table.loc[0, "tested"] and not t2["hierarchy_stated"].any()
    assert set(t2["level"]) == {-1} and set(t2["superior"]) == {-1}


def test_a_member_without_directed_contacts_gets_no_level() -> None:
    """A stated chain draws levels only for members the ordering can place: "friend" shares
    the community through meetings alone (no calls inside it), so no level or superior."""
    edges = pd.concat(
        [
            _ladder().assign(layer="calls"),
            pd.DataFrame(
                [("friend", "boss", 5.0, "meetings"), ("friend", "r3", 5.0, "meetings")],
                columns=["src", "dst", "weight", "layer"],
            ),
        ]
    )
    g = from_edges(edges)
    names = g.vs["name"]
    groups = np.zeros(g.vcount(), dtype=np.int64)
    table, test = hierarchy_analysis(g, groups, np.ones(g.vcount()), seed=0, directed=["calls"])
    assert bool(test.table.loc[0, "stated"])
    level = dict(zip(names, table["level"], strict=True))
    sup = dict(zip(names, table["superior"], strict=True))
    assert level["friend"] == -1 and sup["friend"] == -1
    assert level["boss"] == 0 and all(level[f"r{k}"] >= 1 for k in range(1, 6))
    row = table.iloc[names.index("friend")]
    assert row["weight_out_in_community"] == 0 and row["weight_in_in_community"] == 0
    # its leadership is its prominence alone: the ordering gives it no rank term
    pagerank = np.arange(1.0, g.vcount() + 1.0)
    ranked, _test = hierarchy_analysis(g, groups, pagerank, seed=0, directed=["calls"])
    alone = leadership_score(pagerank, np.ones(g.vcount()), np.zeros(g.vcount(), dtype=bool))
    friend = names.index("friend")
    assert ranked["leadership"][friend] == pytest.approx(alone[friend])
    boss = names.index("boss")
    assert ranked["leadership"][boss] != pytest.approx(alone[boss])  # placed: rank term used


def test_superior_prefers_the_heavier_tie_above() -> None:
    edges = pd.concat(
        [
            _ladder(),
            pd.DataFrame([("r1", "x", 6.0), ("boss", "x", 1.0)], columns=["src", "dst", "weight"]),
        ]
    )
    g = from_edges(edges)
    names = g.vs["name"]
    table = hierarchy_table(g, np.zeros(g.vcount(), dtype=np.int64), np.ones(g.vcount()), seed=0)
    assert table["hierarchy_stated"].all()
    assert names[table["superior"][names.index("x")]] == "r1"


def test_fit_beta_is_the_likelihood_maximum() -> None:
    a = _random_adjacency(25, 80, 1)
    s = springrank_matrix(a)
    beta = fit_beta(a, s)
    coo = a.tocoo()
    diff = s[coo.row] - s[coo.col]
    grid = np.linspace(0.01, 10, 4000)
    ll = [-np.sum(coo.data * np.logaddexp(0, -2 * b * diff)) for b in grid]
    assert beta == pytest.approx(grid[int(np.argmax(ll))], abs=0.01)


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


def test_rank_direction_flips_the_chain() -> None:
    g = from_edges(_ladder())
    names = g.vs["name"]
    groups = np.zeros(g.vcount(), dtype=np.int64)
    caller = hierarchy_table(g, groups, np.ones(g.vcount()), seed=0)
    callee = hierarchy_table(g, groups, np.ones(g.vcount()), seed=0, rank_direction="callee")
    assert callee["springrank"].to_numpy() == pytest.approx(-caller["springrank"].to_numpy())
    assert dict(zip(names, callee["level"], strict=True))["r5"] == 0
    # the evidence keeps the observed direction either way, and so does the test
    assert callee["weight_out_in_community"].tolist() == caller["weight_out_in_community"].tolist()
    assert callee["hierarchy_p_value"].tolist() == caller["hierarchy_p_value"].tolist()
    assert callee["hierarchy_stated"].tolist() == caller["hierarchy_stated"].tolist()
    with pytest.raises(ValueError):
        hierarchy_table(g, groups, np.ones(g.vcount()), seed=0, rank_direction="up")


def test_money_does_not_enter_the_ordering() -> None:
    """Orders travel as calls and messages; money runs up a chain as tribute as often as down
    it as wages, so a money layer leaves the ordering test and the ranks as the calls make
    them (on the demo case, reading it left 3 of 4 planted hierarchies unstated)."""
    from graphkit.analytics.measures import analyze_edges
    from graphkit.analytics.settings import AnalysisSpec

    names = ["boss", *[f"r{k}" for k in range(1, 10)]]
    pairs = list(itertools.combinations(names, 2))  # (higher, lower): one tight group
    calls = pd.DataFrame(
        [(h, lo, 4.0) for h, lo in pairs] + [(lo, h, 1.0) for h, lo in pairs],
        columns=["src", "dst", "weight"],
    ).assign(layer="calls")
    # tribute: every member pays every member above, heavily
    tribute = pd.DataFrame(
        [(lo, h, 20.0) for h, lo in pairs], columns=["src", "dst", "weight"]
    ).assign(layer="money")
    spec = AnalysisSpec(n_runs=2, hierarchy_null_draws=99)

    def ranks(edges: pd.DataFrame) -> pd.DataFrame:
        result = analyze_edges(edges, actors=names, seed=0, spec=spec, only=["hierarchy"])
        return result.actors.set_index("actor_id").loc[names]

    alone, with_money = ranks(calls), ranks(pd.concat([calls, tribute], ignore_index=True))
    assert alone["hierarchy_stated"].all() and with_money["hierarchy_stated"].all()
    assert with_money["springrank"].to_numpy() == pytest.approx(alone["springrank"].to_numpy())
    assert with_money["level"].tolist() == alone["level"].tolist()
    assert with_money.loc["boss", "level"] == 0


def test_the_words_say_which_condition_of_a_chain_of_command_failed() -> None:
    """A "no clear ordering" beside a q-value that passes names the effect that did not."""
    from graphkit.analytics.explanations import OrderingGate, _level_words, _ordering_words

    gate = OrderingGate(effect=np.zeros(0), fdr=0.05, min_effect=0.01)
    assert _ordering_words(0.0028, 0.0098, gate) == (
        "ordering test q=0.0028 <= 0.05, downward excess 0.0098 < 0.01 required"
    )
    assert _ordering_words(0.0028, 0.0115, gate).endswith("0.0115 >= 0.01 required")
    assert _ordering_words(0.07, 0.02, gate) == "ordering test q=0.07 > 0.05"
    assert _ordering_words(float("nan"), None, gate) == "ordering test: untested"
    # on the top level the contact ranked above is a peer there, not a superior a level up
    assert _level_words(0, "Kwame Popescu") == (
        "level 0 (the top level), ranked just below Kwame Popescu on it"
    )
    assert _level_words(2, "Sophie Fletcher") == "level 2, most likely superior Sophie Fletcher"
    assert _level_words(1, None) == "level 1"


def test_rests_on_names_the_rank_only_for_a_placed_member() -> None:
    from graphkit.analytics.views import _basis

    placed = {"relay_tier": 0, "ordering_stated": True, "level": 2}
    unplaced = {"relay_tier": 0, "ordering_stated": True, "level": None}
    assert _basis(placed, "caller").startswith("prominence and rank in a stated ordering")
    said = _basis(unplaced, "caller")
    assert said.startswith("prominence alone") and "does not place it" in said
