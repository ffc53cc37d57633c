"""Clustering: oracle against networkx, and must-link / cannot-link properties."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from resolution.cluster import cluster_records


def _pairs(edges: list[tuple[int, int, float]]) -> pd.DataFrame:
    rows = [(f"r{min(a, b):03d}", f"r{max(a, b):03d}", p) for a, b, p in edges if a != b]
    return pd.DataFrame(rows, columns=["id_l", "id_r", "match_probability"])


def _groups(labels: pd.Series) -> set[frozenset[str]]:
    return {frozenset(g.index) for _, g in labels.groupby(labels)}


edges_strategy = st.lists(
    st.tuples(st.integers(0, 29), st.integers(0, 29), st.floats(0.0, 1.0)), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(edges_strategy, st.floats(0.05, 0.95))
def test_components_match_networkx(edges: list[tuple[int, int, float]], threshold: float) -> None:
    ids = [f"r{i:03d}" for i in range(30)]
    pairs = _pairs(edges)
    labels = cluster_records(ids, pairs, threshold_probability=threshold)
    g = nx.Graph()
    g.add_nodes_from(ids)
    kept = pairs[pairs["match_probability"] >= threshold]
    g.add_edges_from(zip(kept["id_l"], kept["id_r"], strict=True))
    assert _groups(labels) == {frozenset(c) for c in nx.connected_components(g)}
    # labels are numbered by first appearance
    firsts = labels.drop_duplicates()
    assert list(firsts) == list(range(len(firsts)))


@settings(max_examples=60, deadline=None)
@given(
    edges_strategy,
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=8),
    st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=4),
)
def test_cannot_link_never_together_must_link_together(
    edges: list[tuple[int, int, float]],
    cannot: list[tuple[int, int]],
    must: list[tuple[int, int]],
) -> None:
    ids = [f"r{i:03d}" for i in range(30)]
    cannot_ids = [(f"r{a:03d}", f"r{b:03d}") for a, b in cannot if a != b]
    must_ids = [(f"r{a:03d}", f"r{b:03d}") for a, b in must if a != b]
    labels = cluster_records(
        ids, _pairs(edges), threshold_probability=0.5, must_link=must_ids, cannot_link=cannot_ids
    )
    for a, b in cannot_ids:
        assert labels[a] != labels[b]
    canon_cannot = {tuple(sorted(p)) for p in cannot_ids}
    # a must-link holds unless it contradicts a cannot-link through the must-link graph
    g = nx.Graph()
    g.add_edges_from(p for p in must_ids if tuple(sorted(p)) not in canon_cannot)
    for comp in nx.connected_components(g):
        if not any(a in comp and b in comp for a, b in canon_cannot):
            assert len({labels[x] for x in comp}) == 1


def test_cannot_link_cuts_weakest_chain_link() -> None:
    # a - b - c chain; a and c must never be together: the weaker link (b - c) is refused
    pairs = _pairs([(0, 1, 0.99), (1, 2, 0.95)])
    ids = ["r000", "r001", "r002", "r003"]
    labels = cluster_records(ids, pairs, threshold_probability=0.9, cannot_link=[("r002", "r000")])
    assert labels["r000"] == labels["r001"] != labels["r002"]
    assert labels["r003"] not in {labels["r000"], labels["r002"]}


def test_ids_without_pairs_are_singletons() -> None:
    labels = cluster_records(["x", "y"], _pairs([]), threshold_probability=0.5)
    assert labels.to_dict() == {"x": 0, "y": 1}
    assert labels.dtype == np.int64
