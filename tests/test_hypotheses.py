"""Reviewing hypotheses: ids, decisions through `graphkit review`, and their effect on the build."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from graphkit.cli.app import app
from graphkit.errors import InputError
from graphkit.hypotheses import decide_hypothesis, hypothesis_id, id_sql
from graphkit.store import CaseStore

from .signals.sim import simulate
from .signals.test_stage_blackouts import SMALL, ingest_sim

runner = CliRunner()


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_ids_in_python_and_sql_agree(a: str, b: str) -> None:
    con = duckdb.connect()
    for prefix in ("H", "L"):
        row = con.execute(f"SELECT {id_sql(prefix, '$a', '$b')}", {"a": a, "b": b}).fetchone()
        assert row is not None and row[0] == hypothesis_id(prefix, a, b)
        assert len(row[0]) == 13 and row[0][0] == prefix
    assert hypothesis_id("L", a, b) == hypothesis_id("L", b, a)  # a tie has no direction
    if a != b:
        assert hypothesis_id("H", a, b) != hypothesis_id("H", b, a)  # a hand-off has one


def _json(*args: str) -> list[dict[str, object]]:
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert isinstance(out, list)
    return out


def _actor_of(case: Path, phone: str) -> tuple[str, list[str]]:
    with CaseStore.open(case).connect(read_only=True) as con:
        row = con.execute(
            "SELECT actor_id, phones FROM actor WHERE list_contains(phones, ?)", [phone]
        ).fetchone()
    assert row is not None, phone
    return str(row[0]), list(row[1])


def _report_intro(case: Path) -> str:
    """The report's opening paragraph on hypotheses: what the actor graph used."""
    from graphkit.report.blocks import Para
    from graphkit.report.collect import collect
    from graphkit.report.sections_hypotheses import hypotheses_section

    first = hypotheses_section(collect(CaseStore.open(case))).blocks[0]
    assert isinstance(first, Para)
    return first.text


def test_review_handoffs_then_build_merges_the_numbers(tmp_path: Path) -> None:
    store = ingest_sim(simulate(SMALL), tmp_path)
    case = str(store.path)
    _json("build", case)
    _json("analyze", case, "--only", "handoffs")
    pending = _json("review", case, "--queue", "handoffs", "--limit", "3")
    assert 0 < len(pending) <= 3
    # the queue is every pending hand-off, not those among the view's first rows: one per
    # old number, the joint matching's choice (the other candidates are inside each item)
    every = _json("show", case, "handoffs", "--limit", "0")
    queued = _json("review", case, "--queue", "handoffs", "--limit", "0")
    assert {r["id"] for r in queued} == {r["id"] for r in every if r["status"] == "hypothesis"}
    stage = CaseStore.open(store.path).stage("handoffs") or {}
    assert len(queued) == stage["summary"]["assigned"] > 5
    assert stage["summary"]["candidates"] > 25  # more candidates than the view's default rows
    assert all(r["status"] == "hypothesis" and r["explanation"] for r in pending)
    top, other = pending[0], pending[1]
    assert top["id"] == hypothesis_id("H", str(top["old"]), str(top["new"]))
    old, new = str(top["old"]), str(top["new"])
    assert _actor_of(store.path, old)[0] != _actor_of(store.path, new)[0]

    res = runner.invoke(app, ["review", case, "--accept", str(top["id"]), "--note", "same IMEI"])
    assert res.exit_code == 0, res.output
    assert "confirmed" in res.output and "graphkit build" in res.output
    decided = _json("review", case, "--reject", str(other["id"]))[0]
    assert decided["status"] == "rejected" and decided["previous_status"] == "hypothesis"

    rows = {r["id"]: r for r in _json("show", case, "handoffs")}
    assert rows[top["id"]]["status"] == "confirmed" and rows[top["id"]]["decided_by"]
    assert rows[other["id"]]["status"] == "rejected"
    still = _json("review", case, "--queue", "handoffs", "--limit", "1000")
    assert {top["id"], other["id"]}.isdisjoint(r["id"] for r in still)
    assert _json("review", case, "--id", str(top["id"]))[0]["status"] == "confirmed"
    audit = [e for e in CaseStore.open(store.path).audit.entries() if e["command"] == "review"]
    alterations = [e for e in audit if e["operation"] == "alteration" and e["outcome"] != "started"]
    assert [e["inputs"]["review_id"] for e in alterations] == [top["id"], other["id"]]
    assert alterations[0]["detail"]["note"] == "same IMEI"

    summary = _json("build", case)
    assert summary  # the table counts
    actor, phones = _actor_of(store.path, old)
    assert _actor_of(store.path, new)[0] == actor and {old, new} <= set(phones)
    rejected = [_actor_of(store.path, str(other[end]))[0] for end in ("old", "new")]
    assert rejected[0] != rejected[1]
    assert "used 1 confirmed hand-off(s)" in _report_intro(store.path)
    res = runner.invoke(app, ["build", case, "--no-confirmed-handoffs"])
    assert res.exit_code == 0, res.output
    assert _actor_of(store.path, old)[0] != _actor_of(store.path, new)[0]
    assert "built without confirmed hand-offs" in _report_intro(store.path)
    _json("build", case)
    # a re-run of the detector keeps both decisions
    _json("analyze", case, "--only", "handoffs")
    again = {r["id"]: r["status"] for r in _json("show", case, "handoffs")}
    assert again[str(top["id"])] == "confirmed" and again[str(other["id"])] == "rejected"


def test_bad_ids_are_one_line_errors(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    with pytest.raises(InputError, match="not a hypothesis id"):
        decide_hypothesis(store, "Hxyz", decision="accept", actor="a")
    with pytest.raises(InputError, match="accept or reject"):
        decide_hypothesis(store, "H" + "0" * 12, decision="maybe", actor="a")
    res = runner.invoke(app, ["review", str(store.path), "--accept", "H" + "0" * 12])
    assert res.exit_code != 0
    message = str(res.exception)
    assert message.startswith("no hand-off 'H000000000000' in this case") and "\n" not in message
