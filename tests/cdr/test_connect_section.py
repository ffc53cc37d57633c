"""The report's connecting-network section (graphkit/report/sections_connect.py) on a
hand-built actor graph whose answer is known, checked against a brute-force search."""

from __future__ import annotations

import dataclasses
from itertools import combinations

import networkx as nx
import pandas as pd

from graphkit.report.blocks import Para, Stats, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.sections_connect import connecting_network_sections, top_actors
from graphkit.report.text import label_of

#: B1 leads, then B2, B3, B4; B1-X-B2 and B2-Y-B3 join them in two ties; B1 and B3 are four
#: ties apart (B1-X-B2-Y-B3), beyond two; B4 is tied to none of them; B1-Z-W-B2 is a longer
#: way round that the network must not need.
EDGES = [
    ("B1", "X"),
    ("X", "B2"),
    ("B2", "Y"),
    ("Y", "B3"),
    ("B1", "Z"),
    ("Z", "W"),
    ("W", "B2"),
    ("B4", "Q"),
    ("B3", "R"),
]
LEADERSHIP = {"B1": 0.9, "B2": 0.8, "B3": 0.7, "B4": 0.6, "X": 0.1, "Y": 0.1, "Z": 0.05}


def _facts() -> CaseFacts:
    """A CaseFacts with only the actor graph filled in (every other part empty)."""
    empty: dict[str, object] = {}
    for f in dataclasses.fields(CaseFacts):
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
            continue
        kind = str(f.type)
        empty[f.name] = (
            pd.DataFrame()
            if "DataFrame" in kind
            else {}
            if kind.startswith("dict")
            else []
            if kind.startswith("list")
            else (None, None)
            if kind.startswith("tuple")
            else ""
        )
    nodes = sorted({n for e in EDGES for n in e})
    actors = pd.DataFrame(
        {
            "actor_id": nodes,
            "kind": "person",
            "phones": [[f"+4477009{i:05d}"] for i in range(len(nodes))],
            "name": [f"Person {n}" for n in nodes],
            "leadership": [LEADERSHIP.get(n) for n in nodes],
            "community": [1.0 if n in ("B1", "X", "B2", "Z", "W") else 2.0 for n in nodes],
        }
    )
    ties = pd.DataFrame({"a": [min(e) for e in EDGES], "b": [max(e) for e in EDGES], "weight": 1.0})
    return CaseFacts(**{**empty, "actors": actors, "ties": ties})  # type: ignore[arg-type]


def test_targets_are_the_top_actors_by_leadership() -> None:
    assert top_actors(_facts()) == ["B1", "B2", "B3", "B4"]
    assert top_actors(_facts(), 2) == ["B1", "B2"]


def test_pairs_and_actors_between_match_a_brute_force_search() -> None:
    facts = _facts()
    (section,) = connecting_network_sections(facts, targets=["B1", "B2", "B3"], max_steps=2)
    tables = [b for b in section.blocks if isinstance(b, Table)]
    pairs = {(r[0], r[1]): r[2] for r in tables[0].rows}
    # actors are written as name, id and phones: "Person B1 (B1; +447700900000)"
    name = {r["actor_id"]: label_of(r) for r in facts.actors.to_dict("records")}
    assert name["B1"] == "Person B1 (B1; +447700900000)"
    assert pairs == {
        (name["B1"], name["B2"]): "2",
        (name["B1"], name["B3"]): "not within 2",
        (name["B2"], name["B3"]): "2",
    }
    between = {r[0]: (r[1], r[2]) for r in tables[1].rows}
    assert between == {name["X"]: ("1", "1"), name["Y"]: ("1", "2")}
    # brute force: the smallest set of non-targets keeping every pair's distance within 2
    graph = nx.Graph(EDGES)
    targets = ["B1", "B2", "B3"]

    def steps(nodes: set[str]) -> dict[tuple[str, str], int]:
        sub = graph.subgraph(nodes)
        out = {}
        for a, b in combinations(targets, 2):
            try:
                d = nx.shortest_path_length(sub, a, b)
            except nx.NetworkXNoPath:
                continue
            if d <= 2:
                out[(a, b)] = d
        return out

    full = steps(set(graph))
    others = sorted(set(graph) - set(targets))
    best = min(
        (
            set(c)
            for k in range(len(others) + 1)
            for c in combinations(others, k)
            if steps(set(targets) | set(c)) == full
        ),
        key=len,
    )
    assert {n.split(" (")[1].split(";")[0].rstrip(")") for n in between} == best == {"X", "Y"}
    stats = next(b for b in section.blocks if isinstance(b, Stats))
    assert dict(stats.items) == {"targets": "3", "pairs joined": "2 of 3", "actors between": "2"}
    hint = [b for b in section.blocks if isinstance(b, Para)][-1].text
    assert "--actors B1,B2,B3,X,Y --hops 0" in hint and "graphkit connect CASE B1 B2 B3" in hint


def test_default_targets_and_nothing_without_a_graph() -> None:
    (section,) = connecting_network_sections(_facts())  # three ties: B1 to B3 is four
    pairs = {(r[0].split()[1], r[1].split()[1]): r[2] for r in section.blocks[2].rows}  # type: ignore[union-attr]
    assert pairs[("B1", "B3")] == "not within 3" and pairs[("B1", "B2")] == "2"
    assert "the 4 actors ranked highest by leadership score" in section.blocks[0].text  # type: ignore[union-attr]
    facts = dataclasses.replace(_facts(), ties=pd.DataFrame())
    assert connecting_network_sections(facts) == []
    assert connecting_network_sections(_facts(), targets=["B1"]) == []
