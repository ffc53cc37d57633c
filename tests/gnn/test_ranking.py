"""Ranking at the top of the list: hits@k, candidates, calibration on a held-out split, and
the honest fallback to a baseline when the learned model does not beat it."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from gnn.calibration import expected_calibration_error, fit_platt
from gnn.candidates import candidate_keys, coverage, walk_pair_keys
from gnn.data import NodeFeatures, build_view, link_graph
from gnn.metrics import ranked_hits, ranked_list, top_k_share, weighted_average_precision
from gnn.predict import predict_links
from gnn.ranking import RankingSet, paired_hits_p, ranking_metrics, ranking_set
from gnn.scorers import BASELINES, katz_scores, ppr_matrix, ppr_scores
from gnn.splits import random_split
from gnn.synthetic import planted_hidden_ties
from gnn.train import (
    TrainConfig,
    baseline_signal,
    baseline_signals,
    train_link_model,
    view_baselines,
)
from tests.gnn.conftest import random_edges


def test_hits_count_ties_in_the_top_k_with_equal_scores_shared() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 4, 40).astype(float)  # many equal scores
    labels = rng.random(40) < 0.3
    got = ranked_hits(scores, labels, ks=(1, 5, 10, 40))
    draws = []
    for _ in range(4000):  # the expectation over random orders of equal scores
        order = np.lexsort((rng.random(40), -scores))
        draws.append([labels[order][:k].sum() for k in (1, 5, 10, 40)])
    np.testing.assert_allclose(list(got.values()), np.mean(draws, axis=0), atol=0.08)
    # a negative standing for 3 candidates takes 3 places
    weighted = ranked_hits(
        np.array([3.0, 2.0, 1.0]),
        np.array([False, False, True]),
        ks=(3, 4, 5),
        weights=np.array([1.0, 3.0, 1.0]),
    )
    assert list(weighted.values()) == [0.0, 0.0, 1.0]


@pytest.mark.parametrize("weighted", [False, True])
def test_top_k_shares_of_the_positives_sum_to_hits_at_k(weighted: bool) -> None:
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 8, 500).astype(float)  # equal scores straddle every k
    labels = rng.random(500) < 0.2
    weights = np.where(labels, 1.0, 3.0) if weighted else None
    hits = ranked_hits(scores, labels, ks=(20, 50, 100), weights=weights)
    for k in (20, 50, 100):
        share = top_k_share(scores, k, weights)
        assert ((share >= 0) & (share <= 1)).all()
        assert share[labels].sum() == pytest.approx(hits[f"hits@{k}"])
        w = np.ones(500) if weights is None else weights
        assert (share * w).sum() == pytest.approx(k)  # the top k holds k places


def _ranking_set(labels: np.ndarray) -> RankingSet:
    return RankingSet(
        view=None,  # type: ignore[arg-type]  # the paired test reads labels and weights only
        pairs=np.zeros((labels.size, 2), dtype=np.int64),
        labels=labels,
        weights=np.ones(labels.size),
        n_candidates=labels.size,
        n_positives=int(labels.sum()),
        coverage=1.0,
    )


def test_paired_test_separates_a_real_lead_from_chance() -> None:
    """Two lists that find the positives at random are equally good: p <= a in at most a
    share a of draws; a list that finds every positive the other finds and ten more gets
    p < 0.01, and the reverse comparison p > 0.99."""
    rng = np.random.default_rng(6)
    labels = np.r_[np.ones(60, dtype=bool), np.zeros(2000, dtype=bool)]
    rs = _ranking_set(labels)
    null_p = [
        paired_hits_p(rng.random(labels.size), rng.random(labels.size), rs, 50) for _ in range(400)
    ]
    for a in (0.05, 0.2, 0.5):  # valid at every level (conservative: the test is discrete)
        assert np.mean(np.array(null_p) <= a) <= a + 2 * np.sqrt(a * (1 - a) / 400)
    other = rng.random(labels.size)
    other[:5] += 2  # finds 5 positives at its top
    better = other.copy()
    better[5:15] += 2  # finds those 5 and 10 more
    hits = [ranked_hits(s, labels, ks=(50,))["hits@50"] for s in (better, other)]
    assert hits[0] >= hits[1] + 8
    assert paired_hits_p(better, other, rs, 50) < 0.01
    assert paired_hits_p(other, better, rs, 50) > 0.99


@pytest.mark.parametrize("positives_first", [True, False])
def test_ranked_list_is_the_stable_sort(positives_first: bool) -> None:
    """The list built once (positives first and weights alike per class: merged from two
    sorts; otherwise a stable argsort) holds the rows of a stable sort of the scores, best
    first, equal scores in their given order; hits and AP read from it equal their own."""
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 6, 300).astype(float)  # many equal scores across the classes
    scores[:5] = -0.0
    labels = np.arange(300) < 60 if positives_first else rng.random(300) < 0.2
    weights = np.where(labels, 1.0, 2.5)
    order = np.argsort(-scores, kind="stable")
    s, y, w = ranked_list(scores, labels, weights)
    np.testing.assert_array_equal(s, scores[order])
    np.testing.assert_array_equal(y, labels[order])
    np.testing.assert_array_equal(w, weights[order])
    ranked = (s, y, w)
    assert ranked_hits(scores, labels, weights=weights, ranked=ranked) == ranked_hits(
        scores, labels, weights=weights
    )
    assert weighted_average_precision(
        scores, labels, weights, ranked=ranked
    ) == weighted_average_precision(scores, labels, weights)


def test_katz_and_ppr_match_networkx() -> None:
    g = nx.gnp_random_graph(30, 0.12, seed=3)
    adj = nx.to_scipy_sparse_array(g, format="csr", dtype=float)
    import scipy.sparse as sp

    adj = sp.csr_matrix(adj)
    u, v = np.array([0, 4, 7]), np.array([9, 20, 25])
    dense = adj.toarray()
    katz = sum(0.05**k * np.linalg.matrix_power(dense, k) for k in range(1, 5))
    np.testing.assert_allclose(katz_scores(adj, u, v), katz[u, v])
    ppr = {s: nx.pagerank(g, alpha=0.85, personalization={s: 1}) for s in range(30)}
    expect = [ppr[a][b] + ppr[b][a] for a, b in zip(u, v, strict=True)]
    np.testing.assert_allclose(ppr_scores(adj, u, v, iterations=200), expect, atol=1e-5)
    whole = ppr_matrix(adj, iterations=200)
    np.testing.assert_allclose(whole[v, u] + whole[u, v], expect, atol=1e-5)
    # float32 steps: within a few 1e-8 of the same steps in float64
    assert whole.dtype == np.float32
    np.testing.assert_allclose(
        whole[v, u] + whole[u, v], ppr_scores(adj, u, v, iterations=200), atol=1e-7
    )


def test_stratified_sample_keeps_every_baselines_head_exact() -> None:
    """Sampled with the baselines as priors, each baseline's list is exact down to ``head``
    places (its hits@k equal the full list's wherever the k-th place scores above its
    ``head``-th best negative: equal scores across that line are estimated), and the weights
    still add up to the full candidate count."""
    pg = planted_hidden_ties(seed=2, n_nodes=400, within_degree=6.0)
    g = link_graph(pg.edges, nodes=pg.node_ids)
    split = random_split(g, seed=0)
    view = build_view(g, NodeFeatures.empty(g.n_nodes), split.val_records)

    def sample(eval_candidates: int, head: int) -> RankingSet:
        return ranking_set(
            view,
            split.val_pos,
            exclude_keys=split.known_keys,
            max_candidates=2_000_000,
            eval_candidates=eval_candidates,
            rng=np.random.default_rng(0),
            priors=lambda pairs: baseline_signals(view, pairs),
            head=head,
        )

    head = 150
    full, sampled = sample(10**9, 0), sample(3_000, head)
    n_neg = int((~full.labels).sum())
    assert n_neg > 20_000 and sampled.pairs.shape[0] <= 3_000 + full.n_positives
    assert sampled.weights.sum() == pytest.approx(full.weights.sum())
    assert set(sampled.priors) == set(full.priors) == set(view_baselines(view))
    checked = 0
    for name, score in full.priors.items():
        exact = ranking_metrics(score, full)
        kept = ranking_metrics(sampled.priors[name], sampled)
        line = np.sort(score[~full.labels])[::-1][head - 1]
        at_place = np.sort(score)[::-1]
        for k in (20, 50, 100):
            if at_place[k - 1] > line:
                assert kept[f"hits@{k}"] == pytest.approx(exact[f"hits@{k}"]), (name, k)
                checked += exact[f"hits@{k}"] > 0
    assert checked >= 5


@pytest.mark.parametrize("dense_nodes", [0, 1_000_000], ids=["sparse-rows", "dense-matrices"])
def test_candidates_reach_three_hops_and_no_further(
    monkeypatch: pytest.MonkeyPatch, dense_nodes: int
) -> None:
    monkeypatch.setattr("gnn.features._DENSE_NODES", dense_nodes)
    g = link_graph(random_edges(1, n=80, p=0.04))
    view = build_view(g, NodeFeatures.empty(g.n_nodes), np.ones(g.n_records, dtype=bool))
    keys = candidate_keys(view.adj, exclude_keys=view.pair_keys, per_node=10**6, all_pairs_below=0)
    dense = view.adj.toarray()
    reach = (dense @ dense + dense @ dense @ dense) > 0
    n = g.n_nodes
    a, b = np.triu_indices(n, k=1)
    expect = a * n + b
    expect = np.setdiff1d(expect[reach[a, b]], view.pair_keys)
    np.testing.assert_array_equal(keys, expect)
    few = candidate_keys(view.adj, exclude_keys=view.pair_keys, per_node=3, all_pairs_below=0)
    assert few.size < keys.size and coverage(keys, few) == 1.0
    # each actor's 3 best by truncated Katz, equal scores broken by the lower actor number
    katz = 0.05**2 * (dense @ dense) + 0.05**3 * (dense @ dense @ dense)
    np.fill_diagonal(katz, 0.0)
    katz[dense > 0] = 0.0
    best = set()
    for row in np.flatnonzero(dense.sum(axis=1) > 0):
        order = sorted((c for c in range(n) if katz[row, c] > 0), key=lambda c: (-katz[row, c], c))
        best.update(min(row, c) * n + max(row, c) for c in order[:3])
    np.testing.assert_array_equal(few, np.setdiff1d(sorted(best), view.pair_keys))
    # the cheap draw for training negatives: 2-3 step walk ends, within the same reach
    drawn = walk_pair_keys(view.adj, 200, exclude_keys=view.pair_keys, rng=np.random.default_rng(0))
    assert drawn.size == 200 and np.isin(drawn, expect).all()
    assert not np.isin(drawn, view.pair_keys).any() and (drawn // n < drawn % n).all()


def test_platt_calibration_holds_on_a_held_out_split() -> None:
    rng = np.random.default_rng(0)

    def draw(size: int) -> tuple[np.ndarray, np.ndarray]:
        s = rng.normal(0, 2, size)
        return s, rng.random(size) < 1 / (1 + np.exp(-(1.5 * s - 4)))

    fit_s, fit_y = draw(20_000)
    cal = fit_platt(fit_s, fit_y)
    test_s, test_y = draw(20_000)
    assert expected_calibration_error(cal.apply(test_s), test_y) < 0.01
    raw = 1 / (1 + np.exp(-test_s))  # the uncalibrated sigmoid overstates every tie
    assert expected_calibration_error(raw, test_y) > 0.1
    assert cal.slope == pytest.approx(1.5, rel=0.1) and cal.intercept == pytest.approx(-4, rel=0.1)


def test_trained_scores_are_calibrated_on_test() -> None:
    """Fitted on validation, checked on the test split's candidates, on a graph whose ties
    can be predicted (disjoint cliques): the scores spread (a constant at the base rate would
    have an ECE of 0 too, so the test also asks for a high-score bin that holds)."""
    edges = _cliques().rename(columns={"source": "src", "target": "dst"})
    g = link_graph(edges)
    split = random_split(g, seed=0)
    r = train_link_model(
        g, NodeFeatures.empty(g.n_nodes), split, seed=0, config=TrainConfig(epochs=20)
    )
    report = r.calibration_report
    assert report["fitted_on"] == "validation candidates"
    assert report["test_ece"] <= 0.05
    curve = report["test_reliability"]
    assert sum(row["pairs"] for row in curve) > 0
    high = [row for row in curve if row["mean_predicted"] >= 0.5]
    assert high and sum(row["pairs"] for row in high) >= 5
    for row in high:  # what is scored high is tied about as often as its score says
        assert abs(row["observed_rate"] - row["mean_predicted"]) <= 0.25
    assert {"hits@20", "hits@50", "ap_candidates"} <= set(r.metrics["test_ranking"]["katz"])


def _cliques(n_cliques: int = 8, size: int = 7) -> pd.DataFrame:
    """Disjoint cliques: common neighbours rank every hidden tie first, nothing can do better."""
    rows = [
        (f"c{c}m{i}", f"c{c}m{j}", 1)
        for c in range(n_cliques)
        for i, j in combinations(range(size), 2)
    ]
    return pd.DataFrame(rows, columns=["source", "target", "weight"])


def test_fallback_ranks_by_the_baseline_that_the_model_does_not_beat() -> None:
    edges = _cliques().rename(columns={"source": "src", "target": "dst"})
    g = link_graph(edges)
    f = NodeFeatures.empty(g.n_nodes)
    r = train_link_model(g, f, random_split(g, seed=0), seed=0, config=TrainConfig(epochs=5))
    assert r.falls_back and r.ranked_by in BASELINES
    assert r.selection["learned_beats_baseline"] is False
    top = predict_links(
        r.model, g, f, top_k=10, seed=0, ranked_by=r.ranked_by, calibration=r.calibration
    )
    view = build_view(g, f, np.ones(g.n_records, dtype=bool))
    ids = pd.Index(g.node_ids.astype(str))
    pairs = np.stack([ids.get_indexer(top["a"]), ids.get_indexer(top["b"])], axis=1)
    expect = baseline_signal(r.ranked_by, view, pairs)
    assert (np.diff(expect) <= 1e-12).all()  # ordered by the baseline
    assert all(e["ranked_by"] == r.ranked_by for e in top["evidence"])


def test_cli_says_so_in_one_line_and_names_the_baseline(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from graphkit.cli import predict, show
    from graphkit.ingest import ingest_file
    from graphkit.store import CaseStore

    _cliques().to_csv(tmp_path / "ties.csv", index=False)
    case = tmp_path / "case"
    store = CaseStore.init(case)
    ingest_file(store, tmp_path / "ties.csv", kind="contacts", source_name="ties")
    app = typer.Typer()
    predict.register(app)
    show.register(app)  # two commands: the app is a group, as in `graphkit`
    res = CliRunner().invoke(app, ["predict-links", str(case), "--top", "5", "--epochs", "5"])
    assert res.exit_code == 0, res.output
    said = [line for line in res.output.splitlines() if "does not beat" in line]
    assert len(said) == 1 and "ranked by" in said[0]
    store = CaseStore.open(case)
    entry = store.manifest["models"]["link_prediction"]
    baseline = entry["version"].split("/")[1]
    assert entry["version"].startswith("heuristic-link/") and baseline in BASELINES
    card = json.loads((case / entry["card"]).read_text())
    assert card["ranking"]["ranked_by"] == baseline and card["ranking"]["falls_back_to_baseline"]
    with store.connect() as con:
        versions = con.execute("SELECT DISTINCT model_version FROM rel_predicted_link").fetchall()
    assert versions == [(entry["version"],)]


def test_personalised_pagerank_is_a_baseline_only_where_its_matrix_is_kept() -> None:
    """Above 5,000 actors every pair's PPR is a power iteration from both ends: training on
    100,000 ties took 167 s with it and 32 s without (docs/gnn.md, "Training time"). It is
    left out of the baselines, the lists' priors and the metrics there; Katz stays."""
    for n, kept in ((4_000, True), (6_000, False)):
        ring = pd.DataFrame({"src": np.arange(n), "dst": (np.arange(n) + 1) % n}).astype(str)
        g = link_graph(ring)
        view = build_view(g, NodeFeatures.empty(g.n_nodes), np.ones(g.n_records, dtype=bool))
        names = view_baselines(view)
        assert ("ppr" in names) == kept and "katz" in names
        pairs = np.array([[0, 2], [5, 9]])
        assert ("ppr" in baseline_signals(view, pairs)) == kept
