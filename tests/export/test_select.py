"""Selection: communities, actors widened by hops (networkx oracle), time windows (brute force)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from graphkit.errors import CaseError, InputError
from graphkit.export import Selection, select_subgraph
from graphkit.store import CaseStore


@pytest.fixture(scope="module")
def store(sim_case_dir: Path) -> CaseStore:
    return CaseStore.open(sim_case_dir)


def _frame(store: CaseStore, sql: str) -> pd.DataFrame:
    with store.connect(read_only=True) as con:
        return con.execute(sql).df()


def test_community_is_its_members_and_their_ties(store: CaseStore) -> None:
    members = set(
        _frame(
            store, "SELECT actor_id FROM analytics_actor WHERE community::VARCHAR IN ('1', 'C1')"
        )["actor_id"]
    )
    sub = select_subgraph(store, Selection(community="C1"))
    assert set(sub.nodes["id"]) == members
    edges = _frame(store, "SELECT src, dst, layer FROM actor_edge")
    inside = edges[edges["src"].isin(members) & edges["dst"].isin(members)]
    assert len(sub.edges) == len(inside) > 0
    assert not sub.edges["hypothesis"].any()
    assert set(sub.nodes["community"]) == {"C1"}


@pytest.mark.parametrize("hops", [0, 1, 2])
def test_actors_widened_by_hops_match_networkx_ego_graph(store: CaseStore, hops: int) -> None:
    edges = _frame(store, "SELECT src, dst FROM actor_edge")
    g = nx.Graph()
    g.add_edges_from(edges.itertuples(index=False))
    seeds = list(
        _frame(store, "SELECT actor_id FROM analytics_actor ORDER BY pagerank DESC LIMIT 2")[
            "actor_id"
        ]
    )
    expected: set[str] = set()
    for s in seeds:
        expected |= set(nx.ego_graph(g, s, radius=hops).nodes)
    sub = select_subgraph(store, Selection(actors=tuple(seeds), hops=hops))
    assert set(sub.nodes["id"]) == expected


def test_time_window_recounts_calls_from_events(store: CaseStore) -> None:
    cdr = _frame(
        store, "SELECT caller, callee, start, event_type FROM src_cdr WHERE NOT is_duplicate"
    )
    lo, hi = cdr["start"].min(), cdr["start"].max()
    start = (lo + (hi - lo) / 3).to_pydatetime()
    end = (lo + 2 * (hi - lo) / 3).to_pydatetime()
    sub = select_subgraph(store, Selection(start=start, end=end))
    inside = cdr[(cdr["start"] >= start) & (cdr["start"] <= end)]
    calls = inside[inside["event_type"].fillna("call") == "call"]
    calls = calls[calls["caller"] != calls["callee"]]
    counted = calls.groupby(["caller", "callee"]).size()
    got = sub.edges[sub.edges["layer"] == "calls"].set_index(["src", "dst"])["count"]
    # actors are phones in this case (no resolution ran), so pairs compare directly
    assert got.sort_index().astype(int).to_dict() == counted.sort_index().to_dict()
    assert (pd.to_datetime(sub.edges["first"], utc=True) >= start).all()
    assert (pd.to_datetime(sub.edges["last"], utc=True) <= end).all()
    assert any("re-counted" in n for n in sub.notes)
    assert set(sub.nodes["id"]) == set(sub.edges["src"]) | set(sub.edges["dst"])


def test_hypotheses_only_on_request_and_only_between_selected(sim_case: CaseStore) -> None:
    store = sim_case  # a private copy: this test marks a hypothesis rejected
    everyone = select_subgraph(store, Selection(include_hypotheses=True))
    hyp = everyone.edges[everyone.edges["hypothesis"]]
    assert set(hyp["layer"]) == {"same_user_as", "predicted_link"}
    assert (hyp["status"] == "hypothesis").all() and hyp["score"].between(0, 1).all()
    assert not select_subgraph(store, Selection()).edges["hypothesis"].any()
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "UPDATE rel_predicted_link SET status = 'rejected' WHERE score = "
            "(SELECT max(score) FROM rel_predicted_link)"
        )
    kept = select_subgraph(store, Selection(include_hypotheses=True)).hypotheses
    assert kept == len(hyp) - 1  # a rejected hypothesis is not disclosed
    a = hyp.iloc[0]["src"]
    alone = select_subgraph(store, Selection(actors=(a,), hops=0, include_hypotheses=True))
    assert list(alone.nodes["id"]) == [a] and alone.edges.empty


def test_bad_selections_are_user_errors(store: CaseStore, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown actor"):
        select_subgraph(store, Selection(actors=("+440000000000",)))
    with pytest.raises(InputError, match="no community"):
        select_subgraph(store, Selection(community="C999"))
    with pytest.raises(InputError, match="not both"):
        Selection(actors=("x",), community="C1")
    with pytest.raises(InputError, match="before"):
        Selection(start=datetime(2024, 2, 1, tzinfo=UTC), end=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(CaseError, match="graphkit build"):
        select_subgraph(CaseStore.init(tmp_path / "empty"), Selection())
