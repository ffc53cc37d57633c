"""Candidate pairs and ranked predictions."""

from __future__ import annotations

import numpy as np

from gnn.data import NodeFeatures, build_view, link_graph
from gnn.predict import candidate_pairs, predict_links
from gnn.splits import random_split
from gnn.synthetic import planted_hidden_ties
from gnn.train import TrainConfig, train_link_model


def test_candidates_and_ranking() -> None:
    pg = planted_hidden_ties(seed=0, n_nodes=200)
    g = link_graph(pg.edges, nodes=pg.node_ids)
    f = NodeFeatures.from_activity(pg.hour_of_week)
    view = build_view(g, f, np.ones(g.n_records, dtype=bool))
    cfg = TrainConfig(epochs=5, variants=("gnn",))
    model = train_link_model(g, f, random_split(g, seed=0), seed=0, config=cfg).model
    active = np.flatnonzero(np.diff(view.adj.indptr) > 0)
    every = candidate_pairs(view)
    assert len(every) == active.size * (active.size - 1) // 2 - view.pair_keys.size
    capped = candidate_pairs(view, max_pairs=2000)
    keys = capped[:, 0] * g.n_nodes + capped[:, 1]
    assert (capped[:, 0] < capped[:, 1]).all() and not np.isin(keys, view.pair_keys).any()
    assert len(capped) < len(every)
    adj = view.adj.toarray()
    two, three = adj @ adj, adj @ adj @ adj
    reach = (two[capped[:, 0], capped[:, 1]] > 0) | (three[capped[:, 0], capped[:, 1]] > 0)
    assert reach.all()  # every capped candidate is within 3 hops
    assert (two[capped[:, 0], capped[:, 1]] == 0).any()  # and some are 3 hops apart
    top = predict_links(model, g, f, top_k=7, seed=0, config=cfg)
    assert len(top) == 7 and (top["a"] < top["b"]).all()
    assert top["score"].is_monotonic_decreasing and top["score"].between(0, 1).all()
    again = predict_links(model, g, f, top_k=7, seed=0, config=cfg)
    assert top[["a", "b", "score"]].equals(again[["a", "b", "score"]])
    # pairs joined as one user's two numbers (a likely hand-off) are never suggested as ties
    index = {str(n): i for i, n in enumerate(g.node_ids)}
    first = np.array([[index[str(top["b"].iloc[0])], index[str(top["a"].iloc[0])]]])
    without = predict_links(model, g, f, top_k=7, seed=0, config=cfg, exclude_pairs=first)
    pairs = set(zip(without["a"], without["b"], strict=True))
    assert (top["a"].iloc[0], top["b"].iloc[0]) not in pairs
    assert (
        list(zip(without["a"], without["b"], strict=True))[:6]
        == list(zip(top["a"], top["b"], strict=True))[1:7]
    )


def test_explanation_names_the_side_evidence_and_stays_a_hypothesis() -> None:
    from gnn.views import link_explanation

    row = {
        "score": 0.21,
        "status": "hypothesis",
        "evidence": {
            "shortest_path_hops": None,
            "colocation_days": 3,
            "shared_money_counterparties": 1,
        },
    }
    text = link_explanation(row)
    assert "seen together on one cell on 3 day(s)" in text
    assert "1 shared money counterparty" in text
    assert text.endswith("score 0.21, not reviewed")  # a sentence, not the column's value
    decided = link_explanation({**row, "status": "confirmed", "decided_by": "dc.jones"})
    assert decided.endswith("score 0.21, confirmed by dc.jones")
    quiet = link_explanation({**row, "evidence": {"shortest_path_hops": 2, "paths": []}})
    assert "together" not in quiet and "money" not in quiet


def test_explanation_names_the_index_below_a_side_signal() -> None:
    """A list ranked by a side signal says which path index orders the pairs without it:
    the one its evidence names, Katz for lists stored before the evidence named it."""
    from gnn.views import link_explanation

    ev = {"shortest_path_hops": 2, "paths": [], "colocation_days": 2, "ranked_by": "colocation"}
    now = link_explanation(
        {"score": 0.05, "status": "hypothesis", "evidence": {**ev, "then_by": "ppr"}}
    )
    assert "ranked by colocation, then personalised PageRank where there is none" in now
    before = link_explanation({"score": 0.05, "status": "hypothesis", "evidence": ev})
    assert "ranked by colocation, then Katz where there is none" in before
    katz = link_explanation(
        {"score": 0.05, "status": "hypothesis", "evidence": {**ev, "ranked_by": "katz"}}
    )
    assert "ranked by katz (" in katz and "then" not in katz


def test_the_top_rows_are_the_full_sort_s_first_rows() -> None:
    from gnn.predict import _top_order

    rng = np.random.default_rng(3)
    pairs = np.sort(rng.integers(0, 40, (5_000, 2)), axis=1)
    # few distinct scores, so the cut falls through ties the pair ids must break
    signal = rng.integers(0, 30, 5_000).astype(np.float64)
    signal[:3] = np.nan
    for k in (1, 7, 160, 4_996, 4_997, 4_998, 5_000, 6_000):
        full = np.lexsort((pairs[:, 1], pairs[:, 0], -signal))[:k]
        assert np.array_equal(_top_order(signal, pairs, k), full), k
    few = np.full(10, np.nan)
    few[[2, 5]] = [1.0, 3.0]
    assert np.array_equal(
        _top_order(few, pairs[:10], 4), np.lexsort((pairs[:10, 1], pairs[:10, 0], -few))[:4]
    )
