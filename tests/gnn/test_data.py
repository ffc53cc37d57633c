"""The prohibited-attribute guard, the edge collapse and the views."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gnn.data import (
    PROHIBITED_ATTRIBUTES,
    NodeFeatures,
    build_view,
    check_feature_names,
    link_graph,
    to_pyg,
)
from graphkit.errors import InputError


@pytest.mark.parametrize(
    "name",
    [
        "full_name",
        "dob",
        "src_address_len",
        "first-name",
        "Postcode",
        "dob_year",
        "email",
        "id_number_hash",
        "holder_name",
        "aliases_count",
    ],
)
def test_guard_refuses_identity_attributes(name: str) -> None:
    with pytest.raises(InputError, match="identity attribute"):
        check_feature_names(["log_degree", name])


def test_guard_accepts_behavioural_features() -> None:
    check_feature_names(["log_degree", "hour_share_03", "pagerank", "community_size", "recency"])


def test_every_prohibited_attribute_is_refused() -> None:
    for name in sorted(PROHIBITED_ATTRIBUTES):
        with pytest.raises(InputError):
            NodeFeatures((name,), np.zeros((2, 1)))


def test_from_frame_refuses_identity_columns_even_when_not_numeric() -> None:
    ids = np.array(["a", "b"], dtype=object)
    frame = pd.DataFrame({"pagerank": [0.1, 0.2], "full_name": ["X", "Y"]}, index=["a", "b"])
    with pytest.raises(InputError, match="full_name"):
        NodeFeatures.from_frame(frame, ids)
    ok = NodeFeatures.from_frame(frame[["pagerank"]], ids)
    assert ok.names == ("pagerank",)


def test_view_and_pyg_data_carry_no_identity_feature() -> None:
    edges = pd.DataFrame({"src": ["a", "b", "c"], "dst": ["b", "c", "a"]})
    g = link_graph(edges)
    how = np.ones((3, 168))
    view = build_view(g, NodeFeatures.from_activity(how), np.ones(g.n_records, dtype=bool))
    data = to_pyg(view)
    assert data.x.shape == (3, len(view.x_names))
    names = set(view.x_names) | set(view.pair_names) | set(view.edge_attr_names)
    for name in names:
        check_feature_names([name])


def test_link_graph_collapses_directions_and_layers() -> None:
    edges = pd.DataFrame(
        {
            "src": ["b", "a", "a", "c", "c"],
            "dst": ["a", "b", "b", "c", "a"],
            "layer": ["calls", "calls", "sms", "calls", "calls"],
            "weight": [2, 3, 1, 9, 1],
            "first": pd.to_datetime(
                ["2024-01-02", "2024-01-01", "2024-01-05", "2024-01-01", "2024-01-03"], utc=True
            ),
        },
    )
    g = link_graph(edges, nodes=["z"])
    assert list(g.node_ids) == ["a", "b", "c", "z"]
    assert g.layers == ("calls", "sms")
    recs = {
        (int(u), int(v), g.layers[int(la)]): w
        for u, v, la, w in zip(g.u, g.v, g.layer, g.weight, strict=True)
    }
    assert recs == {(0, 1, "calls"): 5.0, (0, 1, "sms"): 1.0, (0, 2, "calls"): 1.0}
    first_ab = g.first_s[(g.u == 0) & (g.v == 1) & (g.layer == 0)][0]
    assert first_ab == pd.Timestamp("2024-01-01", tz="UTC").timestamp()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text("abcde", min_size=1, max_size=2), st.text("abcde", min_size=1, max_size=2)
        ),
        min_size=1,
        max_size=30,
    )
)
def test_link_graph_pairs_are_canonical_and_unique(pairs: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(pairs, columns=["src", "dst"])
    g = link_graph(frame)
    assert (g.u < g.v).all()
    keys = g.u * g.n_nodes + g.v
    assert np.unique(keys).size == keys.size
    expected = {tuple(sorted(p)) for p in pairs if p[0] != p[1]}
    got = {(g.node_ids[u], g.node_ids[v]) for u, v in zip(g.u, g.v, strict=True)}
    assert got == expected
    assert list(g.node_ids) == sorted(g.node_ids)


def test_view_recency_stops_at_the_cut() -> None:
    day = 86_400.0
    edges = pd.DataFrame(
        {"src": ["a", "b"], "dst": ["b", "c"], "first": [0.0, 0.0], "last": [10 * day, 40 * day]}
    )
    g = link_graph(edges)
    every = np.ones(g.n_records, dtype=bool)
    free = build_view(g, NodeFeatures.empty(3), every)
    capped = build_view(g, NodeFeatures.empty(3), every, until_s=10 * day)
    rec = free.edge_attr_names.index("recency")
    assert free.edge_attr[0, rec] == pytest.approx(np.exp(-1.0))  # 30 days before the latest
    assert capped.edge_attr[:2, rec] == pytest.approx([1.0, 1.0])  # both active at the cut
