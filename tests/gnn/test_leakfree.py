"""Leak-free features: what a view shows is what it would be had the hidden ties never been."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gnn.colocation import colocation
from gnn.data import NodeFeatures, build_view, link_graph
from gnn.splits import random_split
from gnn.view_activity import pair_activity
from gnn.views import link_explanation


def _events(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_actors, n_events = 30, 1500
    a = rng.integers(0, n_actors, n_events)
    b = (a + rng.integers(1, 4, n_events)) % n_actors  # each actor calls a few near ids
    calls = pd.DataFrame(
        {
            "a": [f"n{i:02d}" for i in a],
            "b": [f"n{i:02d}" for i in b],
            "how": rng.integers(0, 168, n_events),
        }
    )
    calls.loc[::50, "b"] = "+440000"  # a number that is no actor: background activity
    return calls.groupby(["a", "b", "how"]).size().rename("n").reset_index()


def _edges(events: pd.DataFrame) -> pd.DataFrame:
    tied = events[events["b"].str.startswith("n")]
    return (
        tied.groupby(["a", "b"])["n"]
        .sum()
        .rename("weight")
        .reset_index()
        .rename(columns={"a": "src", "b": "dst"})
    )


def test_hiding_ties_equals_never_having_seen_them() -> None:
    events = _events(0)
    graph = link_graph(_edges(events))
    features = NodeFeatures.from_pair_activity(pair_activity(events, graph.node_ids))
    split = random_split(graph, seed=3)
    view = build_view(graph, features, split.test_records)
    full = build_view(graph, features, np.ones(graph.n_records, dtype=bool))
    # the same data without the held-out ties (their events removed at the source)
    n = graph.n_nodes
    ids = graph.node_ids
    held = {(ids[a], ids[b]) for a, b in split.test_pos}
    keep = [
        (min(x, y), max(x, y)) not in held for x, y in zip(events["a"], events["b"], strict=True)
    ]
    clean_events = events[keep]
    clean_graph = link_graph(_edges(clean_events), nodes=ids)
    clean_features = NodeFeatures.from_pair_activity(pair_activity(clean_events, ids))
    clean = build_view(clean_graph, clean_features, np.ones(clean_graph.n_records, dtype=bool))
    assert view.x_names == clean.x_names
    np.testing.assert_allclose(view.x, clean.x, rtol=1e-6, atol=1e-6)
    pairs = np.array([[0, 5], [1, 7], *split.test_pos[:5]])
    np.testing.assert_allclose(
        view.pair_x(pairs[:, 0], pairs[:, 1]), clean.pair_x(pairs[:, 0], pairs[:, 1]), atol=1e-9
    )
    # and hiding them changes what the model sees at their ends: rhythm, volume, degree
    ends = np.unique(split.test_pos)
    for name in ("log_events", "log_degree", "hour_share_12"):
        col = view.x_names.index(name)
        if name != "hour_share_12":
            assert (view.x[ends, col] < full.x[ends, col]).all(), name
    changed = np.abs(view.x - full.x).max(axis=1) > 0
    assert changed[ends].all()
    # one tie hidden: its two ends change, and nothing beyond their contacts
    a, b = split.test_pos[0]
    one = build_view(graph, features, ~((graph.u == a) & (graph.v == b)))
    moved = np.flatnonzero(np.abs(one.x - full.x).max(axis=1) > 0)
    near = np.unique(np.r_[a, b, full.adj[[a, b]].indices])
    assert {a, b} <= set(moved) and set(moved) <= set(near) and n > near.size


def _sightings(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CDR events with the caller's cell and time (few cells, three days: many co-present
    sightings) and a money layer of transfers between the same actors."""
    rng = np.random.default_rng(seed)
    n_actors, n_events = 30, 1200
    a = rng.integers(0, n_actors, n_events)
    b = (a + rng.integers(1, 4, n_events)) % n_actors
    events = pd.DataFrame(
        {
            "a": [f"n{i:02d}" for i in a],
            "b": [f"n{i:02d}" for i in b],
            "cell": rng.choice(["c1", "c2", "c3", "c4", "c5", "c6"], n_events),
            "t": rng.integers(0, 3 * 86_400, n_events),
        }
    )
    events.loc[::40, "b"] = "+440000"  # a number that is no actor: a sighting with no tie
    x = rng.integers(0, n_actors, 60)
    y = (x + rng.integers(1, 9, 60)) % n_actors
    money = pd.DataFrame({"src": [f"n{i:02d}" for i in x], "dst": [f"n{i:02d}" for i in y]})
    return events, money.assign(layer="money")


def _sighting_graph(events: pd.DataFrame, money: pd.DataFrame, ids: object = None) -> object:
    tied = events[events["b"].str.startswith("n")]
    calls = tied.rename(columns={"a": "src", "b": "dst"})[["src", "dst"]].assign(layer="calls")
    return link_graph(pd.concat([calls, money], ignore_index=True), nodes=ids)


def _side_features(events: pd.DataFrame, ids: np.ndarray) -> NodeFeatures:
    return NodeFeatures.empty(ids.size).with_colocation(colocation(events, ids))


def test_colocation_and_shared_money_are_per_view() -> None:
    events, money = _sightings(1)
    graph = _sighting_graph(events, money)
    features = _side_features(events, graph.node_ids)
    split = random_split(graph, seed=2)
    view = build_view(graph, features, split.test_records)
    full = build_view(graph, features, np.ones(graph.n_records, dtype=bool))
    assert set(view.side) == {"colocation", "shared_money"}
    # the same data without the held-out ties: their calls (and so their sightings) and
    # their transfers removed at the source
    ids = graph.node_ids
    held = {(ids[a], ids[b]) for a, b in split.test_pos}

    def kept(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
        pairs = zip(frame[x], frame[y], strict=True)
        return frame[[(min(p, q), max(p, q)) not in held for p, q in pairs]]

    clean_events, clean_money = kept(events, "a", "b"), kept(money, "src", "dst")
    clean_graph = _sighting_graph(clean_events, clean_money, ids)
    clean = build_view(
        clean_graph,
        _side_features(clean_events, ids),
        np.ones(clean_graph.n_records, dtype=bool),
    )
    for name in ("colocation", "shared_money"):
        np.testing.assert_array_equal(view.side[name][0], clean.side[name][0], err_msg=name)
        np.testing.assert_array_equal(view.side[name][1], clean.side[name][1], err_msg=name)
    n = graph.n_nodes
    pairs = np.array([(k // n, k % n) for k in full.side["colocation"][0][:40]])
    pairs = np.vstack([pairs, split.test_pos])
    np.testing.assert_allclose(
        view.pair_x(pairs[:, 0], pairs[:, 1]), clean.pair_x(pairs[:, 0], pairs[:, 1]), atol=1e-9
    )
    # hiding the ties changes what the model sees: other days together (fewer sightings, and
    # the busiest cells may move), fewer shared counterparties
    u, v = pairs[:, 0], pairs[:, 1]
    assert (view.side_score("colocation", u, v) != full.side_score("colocation", u, v)).any()
    shown, everything = view.side_score("shared_money", u, v), full.side_score("shared_money", u, v)
    assert (shown <= everything).all() and (shown < everything).any()
    # every pair with a side signal between two actors with a visible tie is a candidate
    active = np.diff(view.adj.indptr) > 0
    keys = view.side["colocation"][0]
    both = keys[active[keys // n] & active[keys % n]]
    assert both.size and np.isin(both, view.side_keys()).all()


def test_colocation_counts_days_away_from_home_cells() -> None:
    # x and y meet on two days at c9 (and once 30 min and 1 s apart: not together); both
    # live on c1, x works on c2 and y on c3 (their two busiest cells); z shares only c1
    rows = [("x", "c1", d * 86_400 + h * 3600) for d in range(3) for h in range(8)]
    rows += [("y", "c1", d * 86_400 + h * 3600 + 60) for d in range(3) for h in range(8)]
    rows += [("z", "c1", d * 86_400 + 120) for d in range(3)]
    rows += [("x", "c2", 70_000 + k * 86_400) for k in range(5)]  # x works on c2, y on c3
    rows += [("y", "c3", 70_000 + k * 86_400) for k in range(5)]
    rows += [("x", "c9", d * 86_400 + 50_000) for d in (0, 2)]
    rows += [("y", "c9", d * 86_400 + 50_900) for d in (0, 2)]
    rows += [("x", "c9", 86_400 + 50_000), ("y", "c9", 86_400 + 50_000 + 1801)]  # 30 min apart
    events = pd.DataFrame(rows, columns=["a", "cell", "t"]).assign(b=None)
    ids = np.array(["x", "y", "z"], dtype=object)
    days = colocation(events, ids).days().toarray()
    np.testing.assert_array_equal(days, [[0, 2, 0], [2, 0, 0], [0, 0, 0]])


@pytest.mark.parametrize("ppr_kept", [True, False])
def test_a_side_signal_ranks_its_pairs_first_and_the_rest_by_a_path_index(
    ppr_kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs with the signal first, by its count; the others below, by personalised
    PageRank where its matrix is kept (small views), by Katz beyond."""
    import gnn.train
    from gnn.train import baseline_signal

    if not ppr_kept:
        monkeypatch.setattr(gnn.train, "_PPR_DENSE_MAX", 0)
    events, money = _sightings(1)
    graph = _sighting_graph(events, money)
    view = build_view(
        graph, _side_features(events, graph.node_ids), np.ones(graph.n_records, dtype=bool)
    )
    assert gnn.train.ppr_is_kept(view) == ppr_kept
    n = graph.n_nodes
    pairs = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    for name in ("colocation", "shared_money"):
        count = view.side_score(name, pairs[:, 0], pairs[:, 1])
        signal = baseline_signal(name, view, pairs)
        has = count > 0
        assert has.any() and (~has).any()
        # every pair with the signal above every pair without; among them, by the count
        assert signal[has].min() > signal[~has].max()
        order = np.argsort(-signal[has], kind="stable")
        assert (np.diff(count[has][order]) <= 0).all()
        # among the pairs without it, by the path index (not all tied, as a count of 0
        # would leave them)
        _ordered_by_the_path_index(view, pairs[~has], signal[~has], ppr_kept=ppr_kept)
    # the stored list's evidence names the index, for the explanation
    from gnn.predict import predict_links

    top = predict_links(
        None,
        graph,
        _side_features(events, graph.node_ids),
        top_k=40,
        seed=0,
        ranked_by="colocation",
    )  # type: ignore[arg-type]
    assert {e["then_by"] for e in top["evidence"]} == {"ppr" if ppr_kept else "katz"}


def _ordered_by_the_path_index(
    view: object, pairs: np.ndarray, signal: np.ndarray, *, ppr_kept: bool
) -> None:
    """``signal`` orders ``pairs`` as personalised PageRank does where its matrix is kept,
    as Katz does beyond, and does not leave them all tied."""
    from gnn.scorers import ppr_matrix, score_pairs_by

    u, v = pairs[:, 0], pairs[:, 1]
    if ppr_kept:
        mat = ppr_matrix(view.adj)  # type: ignore[attr-defined]
        index = mat[v, u].astype(np.float64) + mat[u, v]
    else:
        index = score_pairs_by("katz", view.adj, u, v)  # type: ignore[attr-defined]
    assert (np.argsort(signal, kind="stable") == np.argsort(index, kind="stable")).all()
    assert np.unique(signal).size > 1


@pytest.mark.parametrize("ppr_kept", [True, False])
@pytest.mark.parametrize("name", ["adamic_adar", "resource_allocation", "common_neighbours"])
def test_an_index_of_shared_neighbours_ranks_the_pairs_sharing_none_by_a_path_index(
    name: str, ppr_kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pairs whose ends share a neighbour by the index, as before; those sharing none,
    which the index leaves tied at 0, below every one of them and by the path index: the top
    of the list does not move, the rest is no longer in pair order."""
    import gnn.train
    from gnn.features import heuristic_scores
    from gnn.predict import predict_links
    from gnn.train import baseline_signal, baseline_signals

    if not ppr_kept:
        monkeypatch.setattr(gnn.train, "_PPR_DENSE_MAX", 0)
    events, money = _sightings(1)
    graph = _sighting_graph(events, money)
    features = _side_features(events, graph.node_ids)
    view = build_view(graph, features, np.ones(graph.n_records, dtype=bool))
    n = graph.n_nodes
    pairs = np.array([(a, b) for a in range(n) for b in range(a + 1, n)])
    index = heuristic_scores(view.adj, pairs[:, 0], pairs[:, 1])[name]
    signal = baseline_signal(name, view, pairs)
    np.testing.assert_array_equal(signal, baseline_signals(view, pairs)[name])
    shares = index > 0
    assert shares.any() and (~shares).any()
    assert signal[shares].min() > signal[~shares].max()
    np.testing.assert_allclose(signal[shares], np.log(index[shares] + 1e-9))
    _ordered_by_the_path_index(view, pairs[~shares], signal[~shares], ppr_kept=ppr_kept)
    # the stored list's evidence names the index, and its explanation says where it orders
    top = predict_links(None, graph, features, top_k=n * (n - 1) // 2, seed=0, ranked_by=name)  # type: ignore[arg-type]
    then = "ppr" if ppr_kept else "katz"
    assert {e["then_by"] for e in top["evidence"]} == {then}
    row = {"score": 0.01, "status": "hypothesis", "evidence": top["evidence"].iloc[-1]}
    assert "where the two share no contact" in link_explanation(row)
