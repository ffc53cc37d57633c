"""Consensus communities in worker processes give exactly the sequential result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphkit.analytics.communities import consensus_communities
from graphkit.analytics.graph import collapse, from_edges

from .planted import planted_edges


def test_workers_give_the_sequential_result() -> None:
    edges = planted_edges(600, 2400, groups=12, p_within=0.55, seed=3)[["src", "dst"]]
    u = collapse(from_edges(edges), directed=False)
    one = consensus_communities(u, seed=11, n_runs=5)
    two = consensus_communities(u, seed=11, n_runs=5, workers=2)
    assert one.rounds >= 1 and one.n_communities > 1  # the consensus rounds ran too
    np.testing.assert_array_equal(one.membership, two.membership)
    np.testing.assert_array_equal(one.confidence, two.confidence)
    assert (one.rounds, one.converged, one.modularity) == (
        two.rounds,
        two.converged,
        two.modularity,
    )


def test_workers_give_the_sequential_result_multiplex() -> None:
    from graphkit.analytics.graph import normalise_layers

    calls = planted_edges(400, 1600, groups=8, p_within=0.6, seed=5).assign(layer="calls")
    money = planted_edges(400, 500, groups=8, p_within=0.6, seed=5).assign(layer="money")
    g = normalise_layers(from_edges(pd.concat([calls, money], ignore_index=True)))
    one = consensus_communities(g, seed=4, n_runs=4)
    two = consensus_communities(g, seed=4, n_runs=4, workers=2)
    assert one.method == "leiden-multiplex-consensus" and one.n_communities > 1
    np.testing.assert_array_equal(one.membership, two.membership)
    np.testing.assert_array_equal(one.confidence, two.confidence)
    assert (one.rounds, one.modularity) == (two.rounds, two.modularity)
