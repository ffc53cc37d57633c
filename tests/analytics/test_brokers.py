"""Brokerage roles, bridging and key players against brute force / networkx."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from graphkit.analytics.brokers import (
    ROLES,
    bridging,
    brokerage_roles,
    fragmentation,
    key_players,
)
from graphkit.analytics.graph import collapse, from_edges


def _random_graph(n: int, m: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    e = pd.DataFrame(
        {
            "src": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "dst": [f"v{i:02d}" for i in rng.integers(0, n, m)],
            "weight": rng.integers(1, 4, m).astype(float),
        }
    )
    return e, rng.integers(0, 3, n)


def _brute_brokerage(adj: set[tuple[int, int]], groups: np.ndarray, n: int) -> np.ndarray:
    counts = np.zeros((n, len(ROLES)), dtype=np.int64)
    for a, b, c in itertools.permutations(range(n), 3):
        if (a, b) in adj and (b, c) in adj and (a, c) not in adj:
            ga, gb, gc = groups[a], groups[b], groups[c]
            if ga == gb == gc:
                role = "coordinator"
            elif ga == gc:
                role = "itinerant"
            elif ga == gb:
                role = "representative"
            elif gb == gc:
                role = "gatekeeper"
            else:
                role = "liaison"
            counts[b, ROLES.index(role)] += 1
    return counts


@pytest.mark.parametrize("seed", range(4))
def test_brokerage_matches_brute_force(seed: int) -> None:
    e, groups_by_name = _random_graph(18, 70, seed)
    g = from_edges(e)
    n = g.vcount()
    groups = np.array([groups_by_name[int(v[1:])] for v in g.vs["name"]])
    adj = set(g.get_edgelist())
    want = _brute_brokerage(adj, groups, n)
    got = brokerage_roles(g, groups)
    assert got[list(ROLES)].to_numpy().tolist() == want.tolist()
    some = brokerage_roles(g, groups, vertices=[3, 1])
    assert some[list(ROLES)].to_numpy().tolist() == want[[3, 1]].tolist()


def test_gatekeeper_example() -> None:
    # outsider x talks to the gatekeeper k, who relays to its own group members m1, m2
    e = pd.DataFrame({"src": ["x", "k", "k"], "dst": ["k", "m1", "m2"]})
    g = from_edges(e)
    names = g.vs["name"]
    groups = np.array([0 if v != "x" else 1 for v in names])
    table = brokerage_roles(g, groups)
    row = table.iloc[names.index("k")]
    assert row["gatekeeper"] == 2 and row["brokerage"] == 2
    assert row["broker_role"] == "gatekeeper"
    assert table.iloc[names.index("x")]["broker_role"] == "none"


def test_bridging_brute_force() -> None:
    e, groups_by_name = _random_graph(15, 40, 7)
    g = from_edges(e)
    groups = np.array([groups_by_name[int(v[1:])] for v in g.vs["name"]])
    got = bridging(g, groups)
    u = collapse(g, directed=False)
    for v in range(u.vcount()):
        ws: dict[int, float] = {}
        for eid in u.incident(v):
            edge = u.es[eid]
            other = edge.target if edge.source == v else edge.source
            ws[groups[other]] = ws.get(groups[other], 0.0) + edge["weight"]
        total = sum(ws.values())
        if total == 0:
            assert np.isnan(got.at[v, "participation"])
            continue
        assert got.at[v, "participation"] == pytest.approx(
            1 - sum((x / total) ** 2 for x in ws.values())
        )
        assert got.at[v, "communities_reached"] == len([k for k in ws if k != groups[v]])


def _nx_fragmentation(ref: nx.Graph) -> float:
    n = ref.number_of_nodes()
    sizes = [len(c) for c in nx.connected_components(ref)]
    return 1 - sum(s * (s - 1) for s in sizes) / (n * (n - 1))


@pytest.mark.parametrize(
    ("seed", "n", "m"),
    [(0, 25, 30), (1, 25, 30), (2, 40, 45), (3, 40, 60), (4, 30, 28), (5, 12, 30)],
)
def test_key_players_match_networkx(seed: int, n: int, m: int) -> None:
    e, _ = _random_graph(n, m, seed)
    g = from_edges(e)
    u = collapse(g, directed=False)
    ref = nx.Graph()
    ref.add_nodes_from(range(u.vcount()))
    ref.add_edges_from(u.get_edgelist())
    candidates = list(range(u.vcount()))
    kp = key_players(g, candidates, set_size=3)
    assert kp.single["pieces"].max() >= 1
    assert kp.base == pytest.approx(_nx_fragmentation(ref))
    for row in kp.single.itertuples():
        h = ref.copy()
        h.remove_node(row.vertex)
        assert row.fragmentation_after == pytest.approx(_nx_fragmentation(h))
        own = nx.node_connected_component(ref, row.vertex) - {row.vertex}
        parts = [len(c) for c in nx.connected_components(h.subgraph(own))]
        assert row.pieces == len(parts)
        assert row.largest_piece == max(parts, default=0)
    # greedy: each step the best addition (brute force over all candidates)
    chosen: list[int] = []
    for step in range(3):
        best = max(
            (v for v in candidates if v not in chosen),
            key=lambda v: (_nx_fragmentation(ref.subgraph(set(ref) - {*chosen, v})), -v),
        )
        chosen.append(best)
        assert kp.greedy_fragmentation[step] == pytest.approx(
            _nx_fragmentation(ref.subgraph(set(ref) - set(chosen)))
        )
    assert list(kp.greedy_set) == chosen


def test_fragmentation_extremes() -> None:
    assert fragmentation(np.array([5]), 5) == 0.0
    assert fragmentation(np.ones(4), 4) == 1.0


@pytest.mark.parametrize("seed", range(3))
def test_brokerage_in_small_chunks(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # the closed-pair walk is chunked on large graphs: tiny chunks must give the same counts
    import graphkit.analytics.brokers as brokers

    e, groups_by_name = _random_graph(25, 140, seed + 10)
    g = from_edges(e)
    groups = np.array([groups_by_name[int(v[1:])] for v in g.vs["name"]])
    want = _brute_brokerage(set(g.get_edgelist()), groups, g.vcount())
    monkeypatch.setattr(brokers, "_CHUNK", 5)
    got = brokerage_roles(g, groups, vertices=[4, 0, 4, 9])
    assert got[list(ROLES)].to_numpy().tolist() == want[[4, 0, 4, 9]].tolist()
    assert got["brokerage"].sum() > 0
