"""The consensus's first round stops early only when its runs already agree, whatever the
number of worker processes."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.analytics import communities
from graphkit.analytics.communities import consensus_communities
from graphkit.analytics.graph import collapse, from_edges

from .planted import planted_edges


def _graph(p_within: float, seed: int) -> object:
    edges = planted_edges(600, 3000, groups=12, p_within=p_within, seed=seed)[["src", "dst"]]
    return collapse(from_edges(edges), directed=False)


def _split_share(runs: np.ndarray, pairs: np.ndarray) -> float:
    together = np.stack([r[pairs[:, 0]] == r[pairs[:, 1]] for r in runs])
    return float(np.mean(together.any(axis=0) & ~together.all(axis=0)))


def test_clear_groups_stop_after_three_runs_with_the_full_result() -> None:
    u = _graph(0.95, seed=3)
    full = consensus_communities(u, seed=11, n_runs=10)
    early = consensus_communities(u, seed=11, n_runs=10, stop_disagreement=0.01)
    assert full.n_runs == 10 and early.n_runs == 3
    np.testing.assert_array_equal(full.membership, early.membership)
    assert early.n_communities == 12


def test_runs_that_disagree_go_on_until_they_agree_or_all_are_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    u = _graph(0.3, seed=5)  # weak groups: Leiden's runs differ
    made: list[np.ndarray] = []
    until_agreed = communities._runs_until_agreed

    def kept(*args: object, **kwargs: object) -> np.ndarray:
        runs = until_agreed(*args, **kwargs)  # type: ignore[arg-type]
        if not made:  # the first round's runs
            made.append(runs)
        return runs

    monkeypatch.setattr(communities, "_runs_until_agreed", kept)
    tolerance = 0.05
    c = consensus_communities(u, seed=2, n_runs=10, stop_disagreement=tolerance)
    (runs,) = made
    pairs = np.asarray(u.get_edgelist())
    assert c.n_runs == len(runs) and len(runs) in (5, 7, 9, 10)
    # stopped at the first batch whose runs agree on all but the tolerated share
    assert _split_share(runs, pairs) <= tolerance or len(runs) == 10
    for r in range(3, len(runs), 2):
        assert _split_share(runs[:r], pairs) > tolerance
    # when it never stops early, it is the full consensus (the same seeds in the same order)
    full = consensus_communities(u, seed=2, n_runs=10)
    never = consensus_communities(u, seed=2, n_runs=10, stop_disagreement=1e-9)
    assert never.n_runs == full.n_runs == 10
    np.testing.assert_array_equal(full.membership, never.membership)
    np.testing.assert_array_equal(full.confidence, never.confidence)


def test_early_stop_does_not_depend_on_workers() -> None:
    u = _graph(0.4, seed=7)
    one = consensus_communities(u, seed=5, n_runs=8, stop_disagreement=0.05)
    two = consensus_communities(u, seed=5, n_runs=8, stop_disagreement=0.05, workers=2)
    assert one.n_runs == two.n_runs
    np.testing.assert_array_equal(one.membership, two.membership)
    np.testing.assert_array_equal(one.confidence, two.confidence)
    assert (one.rounds, one.modularity) == (two.rounds, two.modularity)


def test_the_explanation_says_how_many_runs_the_confidence_is_over() -> None:
    from graphkit.analytics.measures import AnalysisSpec, analyze_edges

    edges = planted_edges(300, 1500, groups=6, p_within=0.95, seed=3).assign(layer="calls")
    actors = sorted(set(edges["src"]) | set(edges["dst"]))
    result = analyze_edges(
        edges, actors=actors, seed=1, spec=AnalysisSpec(workers=1), only=["communities"]
    )
    made = result.summary["consensus_runs"]
    assert isinstance(made, int) and 3 <= made <= 10
    said = result.actors["explanation"].iloc[0]
    assert f"of {made} runs)" in said
