"""Leak-free features: what a view shows is what it would be had the hidden ties never been."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gnn.data import NodeFeatures, build_view, link_graph
from gnn.splits import random_split
from gnn.view_activity import pair_activity


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
