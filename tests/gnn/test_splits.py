"""Splits hide what they ask for, never offer a true tie as a negative, and are seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gnn.data import link_graph
from gnn.datasets import montagna_layers
from gnn.features import adjacency
from gnn.splits import (
    active_nodes,
    cross_layer_split,
    hidden_tie_split,
    pair_keys,
    random_split,
    sample_negatives,
    temporal_split,
)
from gnn.synthetic import planted_hidden_ties
from graphkit.errors import InputError


def _visible_keys(g, records):  # type: ignore[no-untyped-def]
    return set((g.u[records] * g.n_nodes + g.v[records]).tolist())


def _check_split(g, sp) -> None:  # type: ignore[no-untyped-def]
    n = g.n_nodes
    for recs, pos, neg in (
        (sp.val_records, sp.val_pos, sp.val_neg),
        (sp.test_records, sp.test_pos, sp.test_neg),
    ):
        tgt = recs & g.layer_mask(sp.target_layers)
        visible = set((g.u[tgt] * n + g.v[tgt]).tolist())
        assert not visible & set(pair_keys(n, pos).tolist())  # asked ties are hidden
        assert not set(pair_keys(n, neg).tolist()) & set(sp.known_keys.tolist())
        act = active_nodes(g, recs)
        assert act[pos].all() and act[neg].all()  # only visible actors are asked about
        assert (neg[:, 0] < neg[:, 1]).all() and (pos[:, 0] < pos[:, 1]).all()


def test_random_split_on_montagna(montagna_dir) -> None:  # type: ignore[no-untyped-def]
    g = link_graph(montagna_layers(montagna_dir, layers=("meetings",)))
    sp = random_split(g, seed=3)
    _check_split(g, sp)
    all_keys = set((g.u * g.n_nodes + g.v).tolist())
    assert not set(pair_keys(g.n_nodes, sp.test_neg).tolist()) & all_keys
    again = random_split(g, seed=3)
    assert np.array_equal(sp.test_pos, again.test_pos) and np.array_equal(sp.val_neg, again.val_neg)
    assert not np.array_equal(sp.test_pos, random_split(g, seed=4).test_pos)


def test_cross_layer_split_shows_only_source_layer(montagna_dir) -> None:  # type: ignore[no-untyped-def]
    g = link_graph(montagna_layers(montagna_dir))
    sp = cross_layer_split(g, seed=0, source_layers=("phone",), target_layers=("meetings",))
    assert (g.layer[sp.test_records] == g.layers.index("phone")).all()
    _check_split(g, sp)
    meeting_keys = set((g.u * g.n_nodes + g.v)[g.layer_mask(("meetings",))].tolist())
    assert set(pair_keys(g.n_nodes, sp.test_pos).tolist()) <= meeting_keys
    with pytest.raises(InputError):
        cross_layer_split(g, seed=0, source_layers=("phone",), target_layers=("phone",))


def test_temporal_split_asks_for_later_ties() -> None:
    pg = planted_hidden_ties(seed=1, n_nodes=200)
    g = link_graph(pg.edges)
    sp = temporal_split(g, seed=0)
    _check_split(g, sp)
    t_test = sp.settings["t_test_s"]
    assert (g.first_s[sp.test_records] <= t_test).all()
    first = pd.Series(g.first_s, index=g.u * g.n_nodes + g.v).groupby(level=0).min()
    assert (first.loc[pair_keys(g.n_nodes, sp.test_pos)] > t_test).all()
    assert (first.loc[pair_keys(g.n_nodes, sp.train_pos)] <= sp.settings["t_val_s"]).all()


def test_hidden_tie_split_targets_the_planted_ties() -> None:
    pg = planted_hidden_ties(seed=2, n_nodes=200)
    g = link_graph(pg.edges, nodes=pg.node_ids)
    hp = np.stack(
        [np.searchsorted(g.node_ids, pg.hidden.a), np.searchsorted(g.node_ids, pg.hidden.b)], 1
    )
    sp = hidden_tie_split(g, hp, seed=0)
    _check_split(g, sp)
    assert sp.test_records.all()
    assert set(pair_keys(g.n_nodes, sp.test_pos).tolist()) <= set(pair_keys(g.n_nodes, hp).tolist())


def test_hard_negatives_are_two_hop_non_edges() -> None:
    pg = planted_hidden_ties(seed=0, n_nodes=200)
    g = link_graph(pg.edges)
    adj = adjacency(g.n_nodes, g.u, g.v)
    edges = np.unique(g.u * g.n_nodes + g.v)
    neg = sample_negatives(
        adj, 100, exclude_keys=edges, hard_fraction=1.0, rng=np.random.default_rng(0)
    )
    assert len(neg) > 50
    two = (adj @ adj).toarray()
    assert (two[neg[:, 0], neg[:, 1]] > 0).all()
    assert not set(pair_keys(g.n_nodes, neg).tolist()) & set(edges.tolist())
