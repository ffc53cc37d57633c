"""The in-community adjacency read from edge arrays equals the collapse()-based one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.graph import collapse, edge_table, from_edges, graph_of
from graphkit.analytics.hierarchy import _in_group_adjacency
from graphkit.analytics.springrank import _adjacency


@pytest.mark.parametrize("seed", range(4))
def test_matches_collapse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 60, 400
    e = pd.DataFrame(
        {
            "src": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "dst": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "weight": rng.random(m) * 4,
            "layer": rng.choice(["calls", "sms", "contact:meeting"], m),
        }
    )
    g = from_edges(e)
    table = edge_table(e)  # the arrays the graph is built from, kept by analyze_edges
    assert graph_of(table).get_edgelist() == g.get_edgelist()
    groups = rng.integers(0, 4, g.vcount())
    for layers in (["calls"], ["calls", "sms"], ["nothing"]):
        got = _in_group_adjacency(g, groups, layers).toarray()
        want = _adjacency(collapse(g, directed=True, layers_kept=layers)).toarray()
        want[groups[:, None] != groups[None, :]] = 0.0
        np.testing.assert_array_equal(got, want)
        assert got.sum() > 0 or layers == ["nothing"]
        np.testing.assert_array_equal(_in_group_adjacency(g, groups, layers, table).toarray(), want)
    assert _in_group_adjacency(g, groups, []).nnz == 0
