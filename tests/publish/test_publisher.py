"""Publishing through a recording runner: batches, parameters, metadata, idempotency keys."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import duckdb
import pytest

from graphkit.errors import GraphkitError, InputError
from graphkit.model import NODES, RELATIONSHIPS
from graphkit.publish.properties import ANALYSIS_PROPERTIES, MERGE_DISCRIMINATORS
from graphkit.publish.publisher import publish_case
from graphkit.publish.runner import Call, RecordingRunner, Result
from graphkit.publish.source import plan_writes
from graphkit.publish.statements import all_statements, node_write, relationship_writes
from graphkit.views import format_number

GENERATED = {s.text: s for s in all_statements()}


def _writes(runner: RecordingRunner, text: str) -> list[Call]:
    return [c for c in runner.calls if c.statement == text]


def _rows(runner: RecordingRunner, text: str) -> list[dict[str, Any]]:
    return [row for c in _writes(runner, text) for row in c.parameters["rows"]]


def test_every_row_of_every_table_is_sent_once_in_batches(recorded, con) -> None:
    for n in NODES:
        calls = _writes(recorded, node_write(n).text)
        sizes = [len(c.parameters["rows"]) for c in calls]
        assert all(s == 40 for s in sizes[:-1]) and 0 < sizes[-1] <= 40
        keys = [r["key"] for c in calls for r in c.parameters["rows"]]
        table = con.execute(f'SELECT "{n.key}" FROM {n.table} ORDER BY 1').fetchall()
        assert keys == [t[0] for t in table]
    for r in RELATIONSHIPS:
        sent = sum(len(_rows(recorded, w.text)) for w in relationship_writes(r))
        assert sent == con.execute(f"SELECT count(*) FROM {r.table}").fetchall()[0][0], r.type


def test_only_generated_statements_and_parameters_are_sent(recorded) -> None:
    assert recorded.calls
    for c in recorded.calls:
        assert c.statement in GENERATED
        assert set(c.parameters) <= {"rows", "case_id", "run_id", "limit"}
        if "$case_id" in c.statement:
            assert c.parameters["case_id"] == "case-1"
            assert c.parameters["run_id"] == "run-1"


def test_every_transaction_carries_metadata(recorded) -> None:
    for c in recorded.calls:
        assert c.metadata == {
            "case": "case-1",
            "actor": "tester",
            "purpose": "unit test",
            "run": "run-1",
            "step": GENERATED[c.statement].name,
        }


def test_merge_keys_are_unique_and_every_end_exists(recorded) -> None:
    published: dict[str, set[str]] = {}
    for n in NODES:
        keys = [r["key"] for r in _rows(recorded, node_write(n).text)]
        assert len(keys) == len(set(keys)), n.label
        published[n.label] = set(keys)
    assert published["Person"].isdisjoint(published["Phone"])
    for r in RELATIONSHIPS:
        disc = MERGE_DISCRIMINATORS.get(r.type, ())
        for w in relationship_writes(r):
            rows = _rows(recorded, w.text)
            start, end = w.name.split("__")[1:] if "__" in w.name else (r.start, r.end)
            start, end = start.capitalize(), end.capitalize()
            merge_keys = Counter((x["src"], x["dst"], *(x["props"][d] for d in disc)) for x in rows)
            assert max(merge_keys.values(), default=1) == 1, w.name
            for x in rows:
                assert x["src"] in published[start] and x["dst"] in published[end], w.name
                assert all(x["props"][d] is not None for d in disc)


def test_actor_ends_resolve_to_person_or_phone(recorded, con) -> None:
    persons = {r[0] for r in con.execute("SELECT person_id FROM node_person").fetchall()}
    contact = {w.name: _rows(recorded, w.text) for w in relationship_writes(RELATIONSHIPS[6])}
    assert all(len(v) > 0 for v in contact.values()), "fixture covers all four end pairs"
    for x in contact["write/rel_contact__phone__person"]:
        assert x["src"] not in persons and x["dst"] in persons


def test_analysis_properties_and_hypotheses(recorded, con) -> None:
    person = {r["key"]: r["props"] for r in _rows(recorded, node_write(NODES[0]).text)}
    row = con.execute(
        "SELECT actor_id, community, pagerank FROM analytics_actor WHERE kind = 'person' LIMIT 1"
    ).fetchall()[0]
    assert person[row[0]]["community"] == row[1]
    assert person[row[0]]["pagerank"] == pytest.approx(row[2])
    declared = {p.name for p in ANALYSIS_PROPERTIES}
    assert "not_published" not in person[row[0]]
    assert {"community", "pagerank", "leadership", "broker_role"} <= declared
    dark = [p for p in person.values() if p.get("blackout_count")]
    phones = [r["props"] for r in _rows(recorded, node_write(NODES[1]).text)]
    dark += [p for p in phones if p.get("blackout_count")]
    assert len(dark) == 4
    for p in dark:
        n = p["blackout_count"]
        assert len(p["blackout_starts"]) == len(p["blackout_ends"]) == len(p["blackout_ended"]) == n
        assert p["went_dark"] == (not all(p["blackout_ended"]))
    assert sum(p["went_dark"] for p in dark) == 1
    same_user = _rows(recorded, relationship_writes(RELATIONSHIPS[9])[0].text)
    props = same_user[0]["props"]
    assert props["status"] == "hypothesis" and props["score"] == pytest.approx(0.91)
    assert json.loads(props["evidence"])["shared_contacts"] == 5
    assert props["score_text"] == format_number(props["score"]) == "0.91"  # Browser captions


def test_property_values_are_neo4j_storable(recorded) -> None:
    for c in recorded.calls:
        for row in c.parameters.get("rows", []):
            for value in row["props"].values():
                assert not isinstance(value, dict)
                if isinstance(value, list):
                    assert None not in value
                    assert len({type(v) for v in value}) <= 1


def test_connected_via_hours_come_from_the_cdr(recorded, con) -> None:
    rows = _rows(recorded, relationship_writes(RELATIONSHIPS[5])[0].text)
    by_pair = {(r["src"], r["dst"]): r["props"]["hours"] for r in rows}
    want = con.execute(
        """SELECT caller, cell_id, count(DISTINCT date_trunc('hour', "start")) FROM src_cdr
        GROUP BY 1, 2"""
    ).fetchall()
    assert len(want) == len(by_pair)
    for caller, cell, n in want:
        hours = by_pair[(caller, cell)]  # epoch milliseconds, turned into DateTime by Neo4j
        assert len(hours) == n and hours == sorted(hours)
        assert all(isinstance(h, int) and h % 3_600_000 == 0 for h in hours)


def test_timestamps_travel_as_epoch_milliseconds(recorded, con) -> None:
    first = con.execute("SELECT epoch_ms(min(first_seen)) FROM node_phone").fetchall()[0][0]
    phones = [r["props"] for r in _rows(recorded, node_write(NODES[1]).text)]
    assert min(p["first_seen"] for p in phones if p["first_seen"] is not None) == first
    text = node_write(NODES[1]).text
    assert "n.first_seen = CASE WHEN row.props.first_seen IS NULL" in text
    assert (
        "n.blackout_starts = [x IN row.props.blackout_starts | datetime.fromepochmillis(x)]" in text
    )


def test_missing_discriminator_is_published_as_empty_text(recorded) -> None:
    rows = _rows(recorded, relationship_writes(RELATIONSHIPS[3])[0].text)
    assert sorted({r["props"]["currency"] for r in rows}) == ["", "EUR"]


class _Server(RecordingRunner):
    """Answers stale deletes as a server would: `pending` items, at most $limit per call."""

    def __init__(self, pending: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.pending = pending

    def run(self, statement, parameters, metadata, *, write=True):  # type: ignore[no-untyped-def]
        super().run(statement, parameters, metadata, write=write)
        if "DETACH DELETE" in statement and "Phone" in statement:
            deleted = min(self.pending, parameters["limit"])
            self.pending -= deleted
            return Result([{"deleted": deleted}], {"nodes_deleted": deleted})
        return Result()


def test_stale_items_are_deleted_in_batches_until_none_is_left(con) -> None:
    server = _Server(pending=25)
    summary = publish_case(
        con, server, case_id="c", actor="a", purpose="p", run_id="r", delete_batch=10
    )
    step = next(s for s in summary.steps if s.name == "write/stale_node_phone")
    assert (step.rows, step.transactions, server.pending) == (25, 3, 0)
    assert summary.totals()["nodes_deleted"] == 25


def test_a_failed_run_deletes_nothing(con) -> None:
    runner = RecordingRunner(fail_after=80)
    with pytest.raises(GraphkitError):
        publish_case(con, runner, case_id="c", actor="a", purpose="p", batch_rows=40)
    assert len(runner.calls) == 80
    assert not any("DELETE" in c.statement for c in runner.calls)


def test_rows_naming_a_missing_end_node_are_counted_not_sent(tmp_path, case_db) -> None:
    copy = tmp_path / "case.duckdb"
    copy.write_bytes(case_db.read_bytes())
    c = duckdb.connect(str(copy))
    c.execute("INSERT INTO rel_uses VALUES ('P-nobody', '+390000', NULL, NULL, [])")
    c.execute("SET TimeZone = 'UTC'")
    steps = {s.statement.name: s for s in plan_writes(c)}
    assert steps["write/rel_uses"].skipped == 1
    runner = RecordingRunner()
    summary = publish_case(c, runner, case_id="c", actor="a", purpose="p", run_id="r")
    assert summary.totals()["skipped"] == 1
    uses = _rows(runner, relationship_writes(RELATIONSHIPS[0])[0].text)
    assert len(uses) == 104 and "P-nobody" not in {r["src"] for r in uses}
    c.close()


def test_rows_repeating_a_merge_key_are_counted(tmp_path, case_db) -> None:
    copy = tmp_path / "case.duckdb"
    copy.write_bytes(case_db.read_bytes())
    c = duckdb.connect(str(copy))
    c.execute("INSERT INTO rel_transferred SELECT * FROM rel_transferred LIMIT 2")
    c.execute("INSERT INTO rel_called SELECT * FROM rel_called LIMIT 1")
    summary = publish_case(c, RecordingRunner(), case_id="c", actor="a", purpose="p", run_id="r")
    merged = {s.name: s.merged for s in summary.steps if s.merged}
    assert merged == {"write/rel_transferred": 2, "write/rel_called": 1}
    assert summary.totals()["merged"] == 3
    c.close()


def test_bad_options_are_input_errors(con) -> None:
    with pytest.raises(InputError):
        publish_case(con, RecordingRunner(), case_id="c", actor="a", purpose="p", batch_rows=0)
    with pytest.raises(InputError):
        publish_case(con, RecordingRunner(), case_id="", actor="a", purpose="p")


def test_a_case_without_analysis_tables_publishes_the_model_tables(tmp_path) -> None:
    from graphkit.model import node_ddl, relationship_ddl

    c = duckdb.connect(str(tmp_path / "empty.duckdb"))
    for n in NODES:
        c.execute(node_ddl(n))
    for r in RELATIONSHIPS:
        c.execute(relationship_ddl(r))
    c.execute("INSERT INTO node_phone (msisdn) VALUES ('+3912345')")
    runner = RecordingRunner()
    summary = publish_case(c, runner, case_id="c", actor="a", purpose="p", run_id="r")
    assert summary.totals()["rows"] == 1
    rows = _rows(runner, node_write(NODES[1]).text)
    assert rows[0]["props"]["msisdn"] == "+3912345"
    assert "community" not in rows[0]["props"]
    c.close()
