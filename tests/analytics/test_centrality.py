"""Centrality against networkx oracles; sampled betweenness within its stated error."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.centrality import (
    betweenness,
    centrality_table,
    pivots_needed,
    sampling_error,
)
from graphkit.analytics.graph import from_edges


def _random_edges(n: int, m: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, size=m)
    dst = rng.integers(0, n, size=m)
    w = rng.integers(1, 6, size=m).astype(float)
    return pd.DataFrame(
        {"src": [f"n{i:03d}" for i in src], "dst": [f"n{i:03d}" for i in dst], "weight": w}
    )


def _nx_digraph(e: pd.DataFrame) -> nx.DiGraph:
    ref = nx.DiGraph()
    for s, d, w in zip(e.src, e.dst, e.weight, strict=True):
        if s == d:
            continue
        old = ref.get_edge_data(s, d, {"weight": 0.0})["weight"]
        ref.add_edge(s, d, weight=old + w)
    return ref


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_table_matches_networkx(seed: int) -> None:
    e = _random_edges(40, 120, seed)
    g = from_edges(e)
    table, between = centrality_table(g, seed=seed)
    ref = _nx_digraph(e)
    und = nx.Graph()
    for s, d, a in ref.edges(data=True):
        old = und.get_edge_data(s, d, {"weight": 0.0})["weight"]
        und.add_edge(s, d, weight=old + a["weight"])
    t = table.set_index("actor_id")
    for v in ref.nodes:
        assert t.at[v, "degree_in"] == ref.in_degree(v)
        assert t.at[v, "degree_out"] == ref.out_degree(v)
        assert t.at[v, "strength_in"] == pytest.approx(ref.in_degree(v, weight="weight"))
        assert t.at[v, "degree"] == und.degree(v)
    pr = nx.pagerank(ref, weight="weight", alpha=0.85, tol=1e-12)
    assert t.loc[list(pr), "pagerank"].to_numpy() == pytest.approx(list(pr.values()), abs=1e-6)
    bc = nx.betweenness_centrality(ref, normalized=False)
    assert between.exact
    assert t.loc[list(bc), "betweenness"].to_numpy() == pytest.approx(list(bc.values()))
    core = nx.core_number(und)
    assert t.loc[list(core), "coreness"].tolist() == list(core.values())
    cons = nx.constraint(und, weight="weight")
    assert t.loc[list(cons), "constraint"].to_numpy() == pytest.approx(list(cons.values()))
    cuts = set(nx.articulation_points(und))
    assert set(t.index[t["articulation"]]) == cuts


def test_sampled_betweenness_within_stated_error() -> None:
    e = _random_edges(300, 1200, seed=9)
    g = from_edges(e)
    exact = betweenness(g, seed=0)
    assert exact.exact
    for seed in range(3):
        est = betweenness(g, seed=seed, exact_max_vertices=10, max_pivots=60, delta=0.1)
        assert not est.exact and est.pivots == 60
        assert est.epsilon == pytest.approx(sampling_error(g.vcount(), pivots=60, delta=0.1))
        err = np.abs(est.values - exact.values).max()
        assert err <= est.error_bound
        # the estimate is informative, not just within a loose bound
        assert np.corrcoef(est.values, exact.values)[0, 1] > 0.8
    full = betweenness(g, seed=1, exact_max_vertices=10, max_pivots=g.vcount())
    assert full.values == pytest.approx(exact.values)


def test_pivot_formula_round_trips() -> None:
    k = pivots_needed(10_000, epsilon=0.05, delta=0.1)
    assert sampling_error(10_000, pivots=k, delta=0.1) <= 0.05
    assert sampling_error(10_000, pivots=k - 1, delta=0.1) > 0.05
    with pytest.raises(ValueError):
        pivots_needed(10, epsilon=0.0, delta=0.1)


def test_isolates_and_empty() -> None:
    g = from_edges(pd.DataFrame({"src": ["a"], "dst": ["b"]}), nodes=["c"])
    table, _ = centrality_table(g, seed=0)
    row = table.set_index("actor_id").loc["c"]
    assert row["degree"] == 0 and np.isnan(row["constraint"]) and not row["articulation"]
