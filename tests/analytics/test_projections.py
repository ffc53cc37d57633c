"""Projections built from edge arrays equal collapse()'s graphs; arrays follow edge order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.brokers import removal_effects
from graphkit.analytics.graph import collapse, from_edges, normalise_layers
from graphkit.analytics.projections import edge_arrays, project, projection_of


def _multi(seed: int, n: int = 50, m: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "src": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "dst": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "weight": rng.random(m) * 3,
            "layer": rng.choice(["calls", "sms", "contact:meeting"], m),
        }
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("directed", [True, False])
def test_project_equals_collapse(seed: int, directed: bool) -> None:
    g = normalise_layers(from_edges(_multi(seed)))
    src, dst = edge_arrays(g)
    assert list(zip(src.tolist(), dst.tolist(), strict=True)) == g.get_edgelist()
    p = project(
        g.vcount(), src, dst, np.asarray(g.es["weight"]), directed=directed, names=g.vs["name"]
    )
    want = collapse(g, directed=directed)
    assert p.graph.get_edgelist() == want.get_edgelist()
    assert p.graph.es["weight"] == want.es["weight"]  # same sums, bit for bit
    assert p.graph.vs["name"] == want.vs["name"] and p.directed == directed
    assert list(zip(p.src.tolist(), p.dst.tolist(), strict=True)) == want.get_edgelist()
    again = projection_of(g, directed=directed)
    np.testing.assert_array_equal(again.src, p.src)
    np.testing.assert_array_equal(again.weight, p.weight)


def test_adjacency_is_symmetric_when_undirected() -> None:
    g = from_edges(_multi(4))
    u = projection_of(g, directed=False)
    a = u.adjacency(weighted=True)
    assert (a != a.T).nnz == 0
    assert a.sum() == pytest.approx(2 * u.weight.sum())
    d = projection_of(g)
    assert d.adjacency().sum() == d.graph.ecount()


def test_removal_keeps_edge_order() -> None:
    # removal_effects maps spanning-tree edge ids to arrays after deleting edges: the order
    # of the remaining edges must be kept (checked against a fresh graph without them)
    g = from_edges(_multi(5, n=40, m=60))
    u = projection_of(g, directed=False)
    gone = [3, 7]
    cut = np.isin(u.src, gone) | np.isin(u.dst, gone)
    h = u.graph.copy()
    h.delete_edges(np.flatnonzero(cut).tolist())
    assert h.get_edgelist() == list(zip(u.src[~cut].tolist(), u.dst[~cut].tolist(), strict=True))
    by_graph = removal_effects(u.graph, removed=gone)
    by_arrays = removal_effects(u, removed=gone)
    pd.testing.assert_frame_equal(by_graph, by_arrays)
