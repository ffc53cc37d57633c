"""`analyze` on a case built from the Montagna contacts: tables, views, CLI, determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from graphkit.analytics.measures import AnalysisSpec, analyze_edges
from graphkit.build import build_graph
from graphkit.errors import CaseError, InputError
from graphkit.ingest import ingest_file
from graphkit.pipeline import analyze
from graphkit.store import CaseStore
from graphkit.views import get_view

from .planted import planted_edges


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory, montagna_dir: Path) -> CaseStore:
    store = CaseStore.init(tmp_path_factory.mktemp("montagna") / "case")
    for name in ("phone", "meetings", "kinship", "sightings"):
        ingest_file(
            store, montagna_dir / f"{name}.csv", kind="contacts", source_name=f"montagna_{name}"
        )
    build_graph(store)
    analyze(store, seed=3)
    return store


def test_tables_and_manifest(case: CaseStore) -> None:
    with case.connect() as con:
        n_actor = con.execute("SELECT count(*) FROM actor").fetchone()
        n_result = con.execute("SELECT count(*) FROM analytics_actor").fetchone()
        assert n_actor == n_result == (154,)
        members = con.execute("SELECT count(*), min(confidence) FROM rel_member_of").fetchone()
        assert members is not None and members[0] == 154 and 0 < members[1] <= 1
        sizes = con.execute("SELECT sum(size) FROM node_community").fetchone()
        assert sizes == (154,)
        ev = con.execute(
            "SELECT evidence->>'$.pagerank_rank' FROM analytics_actor "
            "ORDER BY pagerank DESC LIMIT 1"
        ).fetchone()
        assert ev == ("1",)
    stage = case.stage("analyze")
    assert stage is not None and stage["settings"]["seed"] == 3
    assert stage["summary"]["directed_layers"] == ["contact:montagna_phone"]
    assert "contact:other" in stage["summary"]["layers"]  # kinship relations pooled


def test_same_seed_same_results(case: CaseStore) -> None:
    with case.connect() as con:
        before = con.execute(
            "SELECT * EXCLUDE (evidence) FROM analytics_actor ORDER BY actor_id"
        ).df()
    analyze(case, seed=3)
    with case.connect() as con:
        after = con.execute(
            "SELECT * EXCLUDE (evidence) FROM analytics_actor ORDER BY actor_id"
        ).df()
    pd.testing.assert_frame_equal(before, after)


def test_views(case: CaseStore) -> None:
    import graphkit.analytics.views  # noqa: F401  (registers the views)

    leaders = get_view("leaders")(case, limit=5)
    assert len(leaders) == 5
    # the summary counts actors alone apart from communities of two or more
    (summary,) = get_view("summary")(case, limit=None)
    with case.connect() as con:
        sizes = [n for (n,) in con.execute("SELECT size FROM analytics_community").fetchall()]
    assert summary["communities_of_2_plus"] == sum(1 for n in sizes if n >= 2)
    assert summary["actors_alone"] == sum(1 for n in sizes if n == 1)
    assert summary["communities_of_2_plus"] + summary["actors_alone"] == summary["communities"]
    assert leaders[0]["leadership"] >= leaders[-1]["leadership"]
    assert "ranks above" in leaders[0]["explanation"] or "PageRank" in leaders[0]["explanation"]
    actors = get_view("actors")(case, limit=None)
    assert len(actors) == 154
    assert {
        "actor_id",
        "phones",
        "community",
        "pagerank",
        "betweenness",
        "leadership",
        "level",
        "superior",
        "broker_role",
    } <= set(actors[0])
    brokers = get_view("brokers")(case, limit=3)
    assert brokers and all(b["brokerage"] > 0 for b in brokers)
    comms = get_view("communities")(case, limit=None)
    assert sum(c["size"] for c in comms) == 154
    summary = get_view("summary")(case, limit=None)
    assert summary[0]["seed"] == 3 and summary[0]["betweenness_exact"] is True


def test_cli(case: CaseStore, tmp_path: Path) -> None:
    from graphkit.cli import analyze as analyze_cli
    from graphkit.cli import build as build_cli

    app = typer.Typer()
    build_cli.register(app)
    analyze_cli.register(app)
    runner = CliRunner()
    r = runner.invoke(app, ["build", str(case.path), "--json"])
    assert r.exit_code == 0, r.output
    assert {"table": "actor", "rows": 154} in json.loads(r.stdout)
    r = runner.invoke(app, ["analyze", str(case.path), "--only", "centrality", "--json"])
    assert r.exit_code == 0, r.output
    rows = {x["measure"]: x["value"] for x in json.loads(r.stdout)}
    assert rows["parts"] == ["centrality"]
    r = runner.invoke(app, ["analyze", str(case.path), "--only", "nonsense"])
    assert isinstance(r.exception, InputError)
    r = runner.invoke(app, ["analyze", str(case.path), "--blackout-fdr", "1.5"])
    assert isinstance(r.exception, InputError) and "--blackout-fdr" in str(r.exception)
    log = case.audit.path.read_text(encoding="utf-8").splitlines()
    assert json.loads(log[-1])["command"] == "analyze"
    assert json.loads(log[-1])["outcome"] == "failure"
    analyze(case, seed=3)  # leave the full results for the other tests


def test_analyze_needs_build(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "empty")
    with pytest.raises(CaseError, match="graphkit build"):
        analyze(store)
    build_graph(store)  # nothing ingested: an empty actor graph
    with pytest.raises(CaseError, match="empty"):
        analyze(store)


def test_isolated_actors_only() -> None:
    edges = pd.DataFrame({"src": [], "dst": [], "weight": [], "layer": []})
    result = analyze_edges(edges, actors=["a", "b", "c"], seed=0)
    assert result.actors["community"].tolist() == [0, 1, 2]
    assert (result.actors["broker_role"] == "none").all()
    assert result.communities["size"].tolist() == [1, 1, 1]


def test_only_runs_prerequisites() -> None:
    edges = pd.DataFrame(
        {"src": ["a", "b", "c"], "dst": ["b", "c", "a"], "weight": 1.0, "layer": "calls"}
    )
    result = analyze_edges(edges, actors=["a", "b", "c", "d"], seed=0, only=["hierarchy"])
    assert {"community", "pagerank", "leadership"} <= set(result.actors.columns)
    assert "broker_role" not in result.actors.columns
    with pytest.raises(ValueError):
        analyze_edges(edges, actors=["a"], seed=0, only=["bogus"])


def test_workers_do_not_change_results() -> None:
    edges = planted_edges(300, 1500, groups=6, p_within=0.6, seed=2, prefix="a")
    edges["layer"] = "calls"
    ids = sorted(set(edges["src"]) | set(edges["dst"]))
    spec = AnalysisSpec(n_runs=4, hierarchy_null_draws=19)
    one = analyze_edges(edges, actors=ids, seed=1, spec=spec)
    two = analyze_edges(edges, actors=ids, seed=1, spec=replace(spec, workers=2))
    pd.testing.assert_frame_equal(one.actors, two.actors)
    pd.testing.assert_frame_equal(one.communities, two.communities)
    parts = two.summary["seconds_by_part"]["wall"]
    # centrality beside the consensus, the hierarchy beside its rest (it needs only PageRank)
    assert "communities (centrality beside)" in parts and "hierarchy (centrality beside)" in parts
    assert "key_players" in parts and "key_players (beside hierarchy)" not in parts
    assert one.summary["modularity"] == two.summary["modularity"]


def test_ties_are_read_as_codes_and_analysed_as_their_ids(case: CaseStore) -> None:
    """load_actor_graph reads the ties as categorical codes (no Python string per end); the
    analysis of them equals that of the same ties as plain strings. A tie whose end is no
    actor (a case built by other tools) falls back to the strings."""
    from graphkit.analytics.stage import load_actor_graph

    actors, edges = load_actor_graph(case)
    assert all(isinstance(edges[c].dtype, pd.CategoricalDtype) for c in ("src", "dst", "layer"))
    plain = edges.astype({"src": str, "dst": str, "layer": str})
    spec = AnalysisSpec(n_runs=3, hierarchy_null_draws=39)
    ids = actors["actor_id"].tolist()
    coded = analyze_edges(edges, actors=ids, seed=1, spec=spec)
    strings = analyze_edges(plain, actors=ids, seed=1, spec=spec)
    pd.testing.assert_frame_equal(
        coded.actors.drop(columns=["evidence"]), strings.actors.drop(columns=["evidence"])
    )
    assert coded.summary["layers"] == strings.summary["layers"]
    assert coded.summary["directed_layers"] == strings.summary["directed_layers"]


def test_a_tie_to_no_actor_is_read_as_text(tmp_path: Path) -> None:
    from graphkit.analytics.stage import load_actor_graph

    store = CaseStore.init(tmp_path / "case")
    with store.operation("test: actor graph", operation="combination") as op:
        op.con.execute(
            "CREATE TABLE actor AS SELECT * FROM (VALUES ('a', 'person', ['+1']), "
            "('b', 'person', ['+2'])) t(actor_id, kind, phones)"
        )
        op.con.execute(
            "CREATE TABLE actor_edge AS SELECT * FROM (VALUES ('a', 'b', 'calls', 2.0), "
            "('a', 'x', 'calls', 1.0)) t(src, dst, layer, weight)"
        )
    _actors, edges = load_actor_graph(store)
    assert edges["dst"].tolist() == ["b", "x"] and edges["src"].dtype == object
