"""Actor-graph construction: stable vertex order, aggregation, projections."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.analytics.graph import (
    collapse,
    directed_layers,
    from_edges,
    layer_graphs,
    normalise_layers,
    vertex_ids,
)
from graphkit.errors import InputError


def _edges() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": ["b", "a", "a", "c", "a", "b", "c"],
            "dst": ["a", "b", "b", "a", "c", "a", "c"],
            "weight": [1.0, 2.0, 3.0, 1.0, 5.0, 4.0, 9.0],
            "layer": ["calls", "calls", "calls", "money", "meet", "meet", "calls"],
        }
    )


def test_vertices_sorted_and_parallel_edges_summed() -> None:
    g = from_edges(_edges(), nodes=["z"])
    assert vertex_ids(g) == ["a", "b", "c", "z"]
    got = {
        (g.vs[e.source]["name"], g.vs[e.target]["name"], e["layer"]): (e["weight"], e["count"])
        for e in g.es
    }
    assert got[("a", "b", "calls")] == (5.0, 2)
    assert got[("b", "a", "calls")] == (1.0, 1)
    assert ("c", "c", "calls") not in got  # self-loop dropped
    assert g.ecount() == 5


def test_collapse_matches_networkx_sum() -> None:
    e = _edges()
    g = from_edges(e)
    u = collapse(g, directed=False)
    ref = nx.Graph()
    for s, d, w in zip(e.src, e.dst, e.weight, strict=True):
        if s == d:
            continue
        old = ref.get_edge_data(s, d, {"weight": 0.0})["weight"]
        ref.add_edge(s, d, weight=old + w)
    got = {
        tuple(sorted((u.vs[x.source]["name"], u.vs[x.target]["name"]))): x["weight"] for x in u.es
    }
    want = {tuple(sorted((s, d))): a["weight"] for s, d, a in ref.edges(data=True)}
    assert got == want
    only_calls = collapse(g, layers_kept=["calls"])
    assert sum(only_calls.es["weight"]) == pytest.approx(6.0)
    assert set(layer_graphs(g)) == {"calls", "meet", "money"}


def test_normalise_and_directed_layers() -> None:
    sym = pd.DataFrame(
        {
            "src": ["a", "b", "a"],
            "dst": ["b", "a", "c"],
            "weight": [2.0, 2.0, 1.0],
            "layer": ["meet", "meet", "calls"],
        }
    )
    g = from_edges(sym)
    assert directed_layers(g) == ["calls"]
    n = normalise_layers(g)
    per_layer: dict[str, float] = {}
    for e in n.es:
        per_layer[e["layer"]] = per_layer.get(e["layer"], 0.0) + e["weight"]
    assert per_layer == pytest.approx({"meet": 1.0, "calls": 1.0})
    assert sorted(g.es["weight"]) == [1.0, 2.0, 2.0]  # input graph not mutated


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(InputError):
        from_edges(pd.DataFrame({"src": ["a"]}))
    with pytest.raises(InputError):
        from_edges(pd.DataFrame({"src": ["a"], "dst": ["b"], "weight": [-1.0]}))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.sampled_from("abcdef"), st.integers(1, 5)),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 2**16),
)
def test_row_order_does_not_change_the_graph(rows: list[tuple[str, str, int]], seed: int) -> None:
    frame = pd.DataFrame(rows, columns=["src", "dst", "weight"])
    shuffled = frame.sample(frac=1.0, random_state=np.random.RandomState(seed))
    g1, g2 = from_edges(frame), from_edges(shuffled)
    assert vertex_ids(g1) == vertex_ids(g2)
    assert g1.get_edgelist() == g2.get_edgelist()
    assert g1.es["weight"] == pytest.approx(g2.es["weight"])


def test_single_layer_projection_shortcut_agrees() -> None:
    e = _edges().assign(layer="calls")
    g = from_edges(e)
    fast = collapse(g, directed=True)  # one layer: copied, bookkeeping dropped
    slow = collapse(g, directed=True, layer_weights={"calls": 1.0})  # general path
    assert fast.get_edgelist() == slow.get_edgelist()
    assert fast.es["weight"] == pytest.approx(slow.es["weight"])
    assert "layer" not in fast.es.attributes() and "layer" in g.es.attributes()
    assert collapse(fast, directed=True) is fast


def _same_graph(g1, g2) -> None:  # type: ignore[no-untyped-def]
    assert vertex_ids(g1) == vertex_ids(g2)
    assert g1.get_edgelist() == g2.get_edgelist()
    for attr in ("weight", "layer", "count"):
        assert g1.es[attr] == g2.es[attr]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["b", "a", "é", "Z", "a1", "10"]),
            st.sampled_from(["b", "a", "é", "Z", "a1", "10"]),
            st.integers(1, 5),
            st.sampled_from(["calls", "money", "contact:meet"]),
        ),
        max_size=30,
    ),
    st.lists(st.sampled_from(["a", "q", "Z", "zz"]), max_size=3),
)
def test_ends_read_as_codes_give_the_graph_the_strings_give(
    rows: list[tuple[str, str, int, str]], nodes: list[str]
) -> None:
    """A case's ties are read as categorical codes (load_actor_graph); the graph, its vertex
    order and its edges' attributes are those of the same ties as strings, with unused
    categories, extra nodes (in the categories or not) and self-loops."""
    frame = pd.DataFrame(rows, columns=["src", "dst", "weight", "layer"]).astype({"weight": float})
    ids = pd.Index(sorted({"a", "b", "é", "Z", "a1", "10", "unused", "q"}))
    coded = frame.assign(
        src=pd.Categorical(frame["src"], categories=ids),
        dst=pd.Categorical(frame["dst"], categories=ids),
        layer=pd.Categorical(frame["layer"], categories=["money", "calls", "contact:meet", "x"]),
    )
    _same_graph(from_edges(coded, nodes=nodes), from_edges(frame, nodes=nodes))
    _same_graph(from_edges(coded), from_edges(frame))
