"""The `resolve` and `review` commands and the `persons` / `review` views, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

import resolution.views  # noqa: F401  (registers the views)
from graphkit.cli import resolve as resolve_cli
from graphkit.cli import show as show_cli
from graphkit.store import CaseStore
from tests.resolution.conftest import new_case

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    resolve_cli.register(app)
    show_cli.register(app)
    return app


def test_resolve_show_review_cycle(
    tmp_path: Path, fake_sources: dict[str, Path], trained_model: Path
) -> None:
    case = tmp_path / "case"
    new_case(case, fake_sources, ("persons", "subs"))
    app = _app()
    res = runner.invoke(app, ["resolve", str(case), "--model", str(trained_model), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)[0]
    assert summary["records"] > summary["persons"] > 0

    res = runner.invoke(app, ["show", str(case), "persons", "--json", "--limit", "5"])
    assert res.exit_code == 0, res.output
    persons = json.loads(res.output)
    assert len(persons) == 5
    first = persons[0]
    assert set(first) >= {"person_id", "records", "names", "dob", "phones", "accounts"}
    assert {"source", "record_id"} <= set(first["records"][0])
    assert len(first["records"]) >= len(persons[-1]["records"])

    res = runner.invoke(app, ["show", str(case), "review", "--json"])
    queue = json.loads(res.output)
    assert len(queue) == summary["review_pending"]
    rid = queue[0]["review_id"]

    res = runner.invoke(app, ["review", str(case), "--limit", "1"])
    assert res.exit_code == 0, res.output
    assert rid in res.output and "prior" in res.output and "final" in res.output

    res = runner.invoke(app, ["review", str(case), "--limit", "1", "--json"])
    item = json.loads(res.output)[0]
    steps = item["waterfall"]
    assert abs(steps[-1]["weight"] - steps[-2]["total"]) < 1e-6, "the waterfall adds up"

    res = runner.invoke(app, ["review", str(case), "--reject", rid, "--note", "different dob"])
    assert res.exit_code == 0, res.output
    entries = CaseStore.open(case).audit.entries()
    decision = [e for e in entries if e["operation"] == "alteration"]
    assert decision and decision[-1]["command"] == "review"
    assert decision[-1]["outcome"] == "success"

    res = runner.invoke(app, ["show", str(case), "review", "--json"])
    status = {q["review_id"]: q["status"] for q in json.loads(res.output)}
    assert status[rid] == "rejected"
    res = runner.invoke(app, ["review", str(case), "--id", rid, "--json"])
    shown = json.loads(res.output)
    assert [i["review_id"] for i in shown] == [rid] and shown[0]["status"] == "rejected"


def test_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    from graphkit.errors import GraphkitError

    app = _app()
    res = runner.invoke(app, ["resolve", str(tmp_path / "nocase")])
    assert isinstance(res.exception, GraphkitError)
    case = tmp_path / "c"
    CaseStore.init(case)
    res = runner.invoke(app, ["resolve", str(case), "--threshold", "0.2"])
    assert isinstance(res.exception, GraphkitError)
    assert str(res.exception).startswith("--threshold: must lie inside the review band")


def test_a_hostile_model_is_refused_and_recorded_nowhere(
    tmp_path: Path, fake_sources: dict[str, Path], trained_model: Path
) -> None:
    """`resolve --model` with SQL smuggled into a blocking rule: one line, exit 2; the case's
    manifest names no model, the audit log has the failure, nothing of /etc/passwd leaks."""
    import subprocess
    import sys

    case = tmp_path / "case"
    new_case(case, fake_sources, ("persons", "subs"))
    model = json.loads(trained_model.read_text(encoding="utf-8"))
    rule = model["blocking_rules_to_generate_predictions"][0]
    rule["blocking_rule"] = (
        "l.surname = r.surname OR (SELECT count(*) FROM read_text('/etc/passwd')) > 0"
    )
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(model), encoding="utf-8")
    before = CaseStore.open(case).manifest
    done = subprocess.run(
        [sys.executable, "-m", "graphkit", "resolve", str(case), "--model", str(evil)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "root:" not in done.stderr
    store = CaseStore.open(case)
    assert store.manifest["models"] == before["models"] == {}
    assert store.stage("resolve") is None
    last = store.audit.entries()[-1]
    assert (last["command"], last["outcome"]) == ("resolve", "failure")
    assert "root:" not in json.dumps(last)
    assert store.audit.verify().ok
