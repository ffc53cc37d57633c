"""Communities: canonical labels, determinism, consensus and confidence."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.analytics.communities import (
    canonical_labels,
    consensus_communities,
    leiden,
    leiden_multiplex,
    membership_confidence,
)
from graphkit.analytics.graph import collapse, from_edges
from graphkit.analytics.settings import AnalysisSpec
from graphkit.settings import SettingsError


def _planted(n_groups: int, size: int, p_in: float, p_out: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i, j in itertools.permutations(range(n_groups * size), 2):
        p = p_in if i // size == j // size else p_out
        if rng.random() < p:
            rows.append((f"v{i:03d}", f"v{j:03d}", float(rng.integers(1, 4))))
    return pd.DataFrame(rows, columns=["src", "dst", "weight"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=40))
def test_canonical_labels_is_a_relabelling(labels: list[int]) -> None:
    m = np.asarray(labels)
    c = canonical_labels(m)
    # same partition
    for i, j in itertools.combinations(range(len(m)), 2):
        assert (m[i] == m[j]) == (c[i] == c[j])
    sizes = np.bincount(c)
    assert list(sizes) == sorted(sizes, reverse=True)
    assert np.array_equal(canonical_labels(c), c)


def test_leiden_recovers_planted_groups_and_is_deterministic() -> None:
    g = from_edges(_planted(4, 12, 0.6, 0.02, seed=1))
    m1 = leiden(g, seed=3)
    assert np.array_equal(m1, leiden(g, seed=3))
    truth = np.arange(48) // 12
    for i, j in itertools.combinations(range(48), 2):
        assert (m1[i] == m1[j]) == (truth[i] == truth[j])
    # modularity agrees with networkx on the undirected projection
    u = collapse(g, directed=False)
    ref = nx.Graph()
    ref.add_nodes_from(range(u.vcount()))
    ref.add_weighted_edges_from((e.source, e.target, e["weight"]) for e in u.es)
    parts = [set(np.flatnonzero(m1 == k)) for k in range(m1.max() + 1)]
    assert u.modularity(m1.tolist(), weights="weight") == pytest.approx(
        nx.community.modularity(ref, parts, weight="weight")
    )


def test_multiplex_weighs_each_layer() -> None:
    # Two 6-cliques A and B in both layers; actor "x" has two ties into A on layer "a" and
    # three ties into B on layer "b". Equal layer weights put x with B; with layer "b"
    # down-weighted x goes to A.
    rows = []
    for layer in ("a", "b"):
        for block in ("A", "B"):
            for i, j in itertools.combinations(range(6), 2):
                rows.append((f"{block}{i}", f"{block}{j}", 1.0, layer))
    rows += [("x", "A0", 1.0, "a"), ("x", "A1", 1.0, "a")]
    rows += [("x", f"B{i}", 1.0, "b") for i in range(3)]
    g = from_edges(pd.DataFrame(rows, columns=["src", "dst", "weight", "layer"]))
    names = g.vs["name"]
    x, a0, b0 = names.index("x"), names.index("A0"), names.index("B0")
    m = leiden_multiplex(g, seed=1)
    assert m[x] == m[b0] != m[a0]
    m = leiden_multiplex(g, seed=1, layer_weights={"b": 0.1})
    assert m[x] == m[a0] != m[b0]


def test_multiplex_passes_two_by_default_or_until_stable() -> None:
    """Two optimiser passes per run (the default) or until no pass improves (-1): both
    recover planted groups laid over two layers, each deterministic for its seed."""
    edges = _planted(3, 10, 0.5, 0.05, seed=5)
    layered = pd.concat(
        [edges.assign(layer="calls"), edges.sample(frac=0.5, random_state=1).assign(layer="sms")]
    )
    g = from_edges(layered)
    truth = np.array([int(name[1:]) // 10 for name in g.vs["name"]])
    for passes in (2, -1):
        m = leiden_multiplex(g, seed=3, n_iterations=passes)
        assert np.array_equal(m, leiden_multiplex(g, seed=3, n_iterations=passes))
        assert np.array_equal(canonical_labels(truth), canonical_labels(m))
    two = consensus_communities(g, seed=11, n_runs=4)
    stable = consensus_communities(g, seed=11, n_runs=4, multiplex_iterations=-1)
    assert two.method == stable.method == "leiden-multiplex-consensus"
    assert np.array_equal(two.membership, stable.membership)
    with pytest.raises(SettingsError, match="multiplex_iterations"):
        AnalysisSpec(multiplex_iterations=0)


def test_consensus_is_deterministic_with_confidence() -> None:
    g = from_edges(_planted(3, 10, 0.5, 0.05, seed=4))
    a = consensus_communities(g, seed=11, n_runs=6)
    b = consensus_communities(g, seed=11, n_runs=6)
    assert np.array_equal(a.membership, b.membership)
    assert np.array_equal(a.confidence, b.confidence)
    assert a.converged
    assert a.n_communities == 3
    assert np.all((a.confidence >= 0) & (a.confidence <= 1))
    assert a.confidence.mean() > 0.9
    assert a.modularity > 0.3


def test_membership_confidence_brute_force() -> None:
    rng = np.random.default_rng(5)
    consensus = canonical_labels(rng.integers(0, 4, size=30))
    runs = np.vstack([rng.integers(0, 5, size=30) for _ in range(7)])
    got = membership_confidence(runs, consensus)
    want = np.zeros(30)
    for run in runs:
        for v in range(30):
            # the consensus community the run's community overlaps most (ties: lowest id)
            members = run == run[v]
            overlap = np.bincount(consensus[members], minlength=consensus.max() + 1)
            want[v] += int(np.argmax(overlap)) == consensus[v]
    assert np.allclose(got, want / len(runs))
