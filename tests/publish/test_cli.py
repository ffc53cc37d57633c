"""The publish, export-neo4j-import and query commands, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graphkit.cli.publish import register
from graphkit.errors import InputError
from graphkit.store import CaseStore
from tests.publish.casedb import build_case_db


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def case_dir(tmp_path: Path, montagna_dir: Path) -> Path:
    store = CaseStore.init(tmp_path / "case")
    build_case_db(store.db_path, montagna_dir)
    return store.path


def test_dry_run_prints_statements_and_row_counts(app, case_dir: Path) -> None:
    result = CliRunner().invoke(app, ["publish", str(case_dir), "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)[0]
    store = CaseStore.open(case_dir)
    assert out["dry_run"] is True and out["case_id"] == store.case_id
    steps = {s["step"]: s for s in out["steps"]}
    assert steps["write/node_person"]["rows"] == 104
    assert "MERGE (n:Person" in out["statements"]["write/node_person"]
    assert out["totals"]["rows"] == sum(s["rows"] for s in out["steps"])
    (entry,) = [
        e for e in store.audit.entries() if e["command"] == "publish" and e["outcome"] != "started"
    ]
    assert entry["operation"] == "consultation" and entry["outcome"] == "success"
    assert store.stage("publish") is None  # a dry run publishes nothing


def test_dry_run_as_a_table(app, case_dir: Path) -> None:
    result = CliRunner().invoke(app, ["publish", str(case_dir), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "UNWIND $rows AS row" in result.stdout
    assert "would write" in result.stdout and ":param case_id =>" in result.stdout


def test_publish_needs_a_uri(app, case_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    result = CliRunner().invoke(app, ["publish", str(case_dir)])
    assert isinstance(result.exception, InputError)
    assert "--uri" in str(result.exception)


def test_unreachable_server_is_audited_as_nothing(app, case_dir: Path) -> None:
    result = CliRunner().invoke(app, ["publish", str(case_dir), "--uri", "bolt://127.0.0.1:1"])
    assert "not reachable" in str(result.exception)
    assert not [e for e in CaseStore.open(case_dir).audit.entries() if e["command"] == "publish"]


def test_export_neo4j_import(app, case_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "import"
    args = ["export-neo4j-import", str(case_dir), str(out), "--json"]
    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, InputError) and "purpose" in str(refused.exception)
    args += ["--purpose", "bulk load", "--recipient", "graph team"]
    inside = CliRunner().invoke(app, [*args[:2], str(case_dir / "import"), *args[3:]])
    assert isinstance(inside.exception, InputError) and "inside the case" in str(inside.exception)
    assert not (case_dir / "import").exists()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)[0]
    assert data["command"][:4] == ["neo4j-admin", "database", "import", "full"]
    assert {f["file"] for f in data["files"]} == {p.name for p in out.glob("*.csv")}
    (entry,) = [
        e
        for e in CaseStore.open(case_dir).audit.entries()
        if e["command"] == "export-neo4j-import" and e["outcome"] == "success"
    ]
    assert entry["operation"] == "disclosure"
    assert (entry["detail"]["purpose"], entry["detail"]["recipient"]) == ("bulk load", "graph team")
    assert not list(out.glob(".*.partial"))
    assert set(entry["outputs"]) == {f["file"] for f in data["files"]} | {"schema.cypher"}


def test_query_list_and_errors(app, case_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
    result = CliRunner().invoke(app, ["query", "--list", "--json"])
    assert result.exit_code == 0
    names = {q["query"] for q in json.loads(result.stdout)}
    assert {"money_trail", "tower_dump", "review_queue"} <= names
    result = CliRunner().invoke(app, ["query", str(case_dir), "money_trail"])
    assert "needs parameter account_id" in str(result.exception)
    result = CliRunner().invoke(app, ["query", str(case_dir), "money_trail", "-p", "hops"])
    assert "name=value" in str(result.exception)
    result = CliRunner().invoke(app, ["query", str(case_dir), "money_trail", "-p", "account_id=x"])
    assert "--uri" in str(result.exception)
