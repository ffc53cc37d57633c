"""Against a real Neo4j (set NEO4J_URI, and NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE).

Each test publishes under its own case id and removes it afterwards, so a shared database is
left as it was. Start one with `docker compose -f docker/compose.yaml up -d neo4j`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from graphkit.errors import GraphkitError
from graphkit.model import NODES, RELATIONSHIPS
from graphkit.publish.properties import RUN_KEY
from graphkit.publish.publisher import PublishSummary, publish_case
from graphkit.publish.queries import bind_parameters, list_queries, run_query
from graphkit.publish.runner import Neo4jRunner, Result, plain_value

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(
        not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: no Neo4j server to test"
    ),
]

KEYS = [n.key for n in NODES]


@pytest.fixture(scope="module")
def server() -> Iterator[Neo4jRunner]:
    runner = Neo4jRunner(
        os.environ["NEO4J_URI"],
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD"),
        database=os.environ.get("NEO4J_DATABASE"),
    )
    runner.verify()
    yield runner
    runner.close()


def _wipe(server: Neo4jRunner, case_id: str) -> None:
    while True:
        result = server.run(
            "MATCH (n) WHERE n.case_id = $case_id WITH n LIMIT 5000 DETACH DELETE n "
            "RETURN count(*) AS deleted",
            {"case_id": case_id},
            {"purpose": "test clean-up"},
        )
        if result.records[0]["deleted"] < 5000:
            return


@pytest.fixture
def case_ids(server: Neo4jRunner) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for case_id in made:
        _wipe(server, case_id)


def _new_case(case_ids: list[str]) -> str:
    case_ids.append("test-" + uuid.uuid4().hex[:10])
    return case_ids[-1]


def _publish(db: Path, runner: Any, case_id: str, **kw: Any) -> PublishSummary:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    try:
        return publish_case(
            con, runner, case_id=case_id, actor="pytest", purpose="integration test", **kw
        )
    finally:
        con.close()


def snapshot(server: Neo4jRunner, case_id: str) -> tuple[list[Any], list[Any]]:
    """The case's graph without run ids, canonically ordered: nodes, relationships."""
    nodes = server.run(
        "MATCH (n) WHERE n.case_id = $case_id RETURN labels(n) AS labels, properties(n) AS p",
        {"case_id": case_id},
        {},
        write=False,
    ).records
    rels = server.run(
        "MATCH (a)-[r]->(b) WHERE r.case_id = $case_id "
        "RETURN type(r) AS type, [k IN $keys WHERE a[k] IS NOT NULL | a[k]][0] AS a, "
        "[k IN $keys WHERE b[k] IS NOT NULL | b[k]][0] AS b, properties(r) AS p",
        {"case_id": case_id, "keys": KEYS},
        {},
        write=False,
    ).records

    def clean(props: dict[str, Any]) -> str:
        return repr(
            sorted((k, plain_value(v)) for k, v in props.items() if k not in (RUN_KEY, "case_id"))
        )

    return (
        sorted((r["labels"], clean(r["p"])) for r in nodes),
        sorted((r["type"], r["a"], r["b"], clean(r["p"])) for r in rels),
    )


def test_publishing_twice_creates_nothing_the_second_time(server, case_db, case_ids) -> None:
    case_id = _new_case(case_ids)
    first = _publish(case_db, server, case_id, batch_rows=100).totals()
    before = snapshot(server, case_id)
    second = _publish(case_db, server, case_id, batch_rows=100).totals()
    assert first["nodes_created"] == len(before[0])
    assert first["relationships_created"] == len(before[1]) == first["rows"] - len(before[0])
    assert second["nodes_created"] == 0 and second["relationships_created"] == 0
    assert second["nodes_deleted"] == 0 and second["relationships_deleted"] == 0
    assert snapshot(server, case_id) == before


class _Crash:
    """Delegates to the server and fails after ``after`` calls, like a killed process."""

    def __init__(self, server: Neo4jRunner, after: int) -> None:
        self.server, self.after, self.calls = server, after, 0

    def run(
        self,
        statement: str,
        parameters: dict[str, Any],
        metadata: dict[str, Any],
        *,
        write: bool = True,
    ) -> Result:
        self.calls += 1
        if self.calls > self.after:
            raise GraphkitError("killed")
        return self.server.run(statement, parameters, metadata, write=write)


def test_a_crash_mid_publish_then_a_rerun_gives_the_same_graph(server, case_db, case_ids) -> None:
    clean_case, case_id = _new_case(case_ids), _new_case(case_ids)
    _publish(case_db, server, clean_case, batch_rows=50)
    want = snapshot(server, clean_case)
    _publish(case_db, server, case_id, batch_rows=50)
    with pytest.raises(GraphkitError, match="killed"):
        _publish(case_db, _Crash(server, after=70), case_id, batch_rows=50)
    _publish(case_db, server, case_id, batch_rows=50)
    assert snapshot(server, case_id) == want
    for n in NODES:
        dup = server.run(
            f"MATCH (n:{n.label}) WHERE n.case_id = $case_id WITH n.{n.key} AS k, count(*) AS c "
            "WHERE c > 1 RETURN count(*) AS duplicates",
            {"case_id": case_id},
            {},
            write=False,
        )
        assert dup.records[0]["duplicates"] == 0, n.label
    dup = server.run(
        "MATCH (a)-[r]->(b) WHERE r.case_id = $case_id "
        "WITH a, b, type(r) AS t, r.currency AS currency, r.kind AS kind, count(*) AS c "
        "WHERE c > 1 RETURN count(*) AS duplicates",
        {"case_id": case_id},
        {},
        write=False,
    )
    assert dup.records[0]["duplicates"] == 0
    nodes, _ = want
    assert Counter(lbl[0] for lbl, _ in nodes)["Person"] == 104


def test_items_gone_from_the_case_are_removed(server, case_db, case_ids, tmp_path) -> None:
    case_id, fresh = _new_case(case_ids), _new_case(case_ids)
    _publish(case_db, server, case_id)
    smaller = tmp_path / "smaller.duckdb"
    smaller.write_bytes(case_db.read_bytes())
    con = duckdb.connect(str(smaller))
    for table, column in (
        ("rel_uses", "src"),
        ("rel_holds", "src"),
        ("rel_resolved_from", "src"),
        ("rel_contact", "src"),
        ("rel_contact", "dst"),
        ("rel_member_of", "src"),
        ("rel_predicted_link", "src"),
        ("rel_predicted_link", "dst"),
        ("node_person", "person_id"),
    ):
        con.execute(f"DELETE FROM {table} WHERE {column} = 'P-N3'")
    con.close()
    summary = _publish(smaller, server, case_id).totals()
    assert summary["nodes_deleted"] == 1
    _publish(smaller, server, fresh)
    assert snapshot(server, case_id) == snapshot(server, fresh)


def _example_parameters(db: Path) -> dict[str, str]:
    """Values for the library's parameters that exist in the case."""
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")

    def one(sql: str) -> Any:
        return con.execute(sql).fetchall()[0][0]

    values = {
        "actor_id": one(
            "SELECT src FROM rel_contact WHERE src LIKE 'P-%' GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 1"
        ),
        "text": "montagna",  # lower case: the search ignores case
        "community_id": one(
            "SELECT community FROM analytics_actor GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ),
        "account_id": one("SELECT src FROM rel_transferred ORDER BY amount DESC LIMIT 1"),
        "cell_id": one(
            "SELECT dst FROM rel_connected_via GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ),
        "from": "2024-03-01T00:00:00Z",
        "to": "2024-04-15T00:00:00Z",
        "status": "hypothesis",
    }
    pair = con.execute(
        "SELECT a.src, b.src FROM rel_called a JOIN rel_called b ON a.dst = b.dst "
        "AND a.src < b.src ORDER BY 1, 2 LIMIT 1"
    ).fetchall()[0]
    values["msisdns"] = ",".join(pair)
    values["msisdn"] = one(
        """SELECT a.caller FROM src_cdr a JOIN src_cdr b ON a.cell_id = b.cell_id
        AND date_trunc('hour', a."start") = date_trunc('hour', b."start") AND a.caller <> b.caller
        ORDER BY 1 LIMIT 1"""
    )
    ends = con.execute(
        "SELECT src, dst FROM rel_contact WHERE src LIKE 'P-%' AND dst LIKE 'P-%' "
        "AND src <> dst ORDER BY 1, 2 LIMIT 1"
    ).fetchall()[0]
    values["from_id"], values["to_id"] = ends
    values["targets"] = ",".join(ends)
    # two scenes (a cell and the whole hour of a record there) at which one phone was seen
    seen = con.execute(
        """SELECT caller, cell_id, date_trunc('hour', "start") FROM src_cdr
        WHERE caller IS NOT NULL AND cell_id IS NOT NULL ORDER BY 1, 3, 2"""
    ).fetchall()
    first: dict[str, tuple[str, Any]] = {}
    for phone, cell, hour in seen:
        if phone in first and first[phone][0] != cell:
            values["scenes"] = json.dumps(
                [
                    {"name": f"S{i}", "cells": [c], "start": h.isoformat(),
                     "end": (h + timedelta(hours=1, seconds=-1)).isoformat()}
                    for i, (c, h) in enumerate([first[phone], (cell, hour)], start=1)
                ]
            )  # fmt: skip
            break
        first.setdefault(phone, (cell, hour))
    con.close()
    return values


def test_every_library_query_returns_rows(server, case_db, case_ids) -> None:
    case_id = _new_case(case_ids)
    _publish(case_db, server, case_id)
    values = _example_parameters(case_db)
    for q in list_queries():
        raw = {p.name: values[p.name] for p in q.params if p.required and p.name != "case_id"}
        params = bind_parameters(q, raw, case_id=case_id)
        rows = run_query(server, q, params, metadata={"case": case_id, "actor": "pytest"})
        assert rows, f"{q.name} returned no rows for {raw}"


def test_find_actor_by_words_in_any_case_and_by_phone_in_any_format(
    server, case_db, case_ids
) -> None:
    case_id = _new_case(case_ids)
    _publish(case_db, server, case_id)
    con = duckdb.connect(str(case_db), read_only=True)
    person, name, phone = con.execute(
        "SELECT p.person_id, p.full_name, u.dst FROM node_person p "
        "JOIN rel_uses u ON u.src = p.person_id WHERE p.full_name LIKE '% %' "
        "AND u.dst LIKE '+%' ORDER BY 1 LIMIT 1"
    ).fetchall()[0]
    con.close()
    query = next(q for q in list_queries() if q.name == "find_actor")
    first, *rest = name.split()
    typed = {
        "words in another order, cut short, in another case": f"{rest[-1][:4].upper()} {first}",
        "the phone as dialled at home, with spaces": "0 " + phone[-10:-6] + " " + phone[-6:],
    }
    for why, text in typed.items():
        params = bind_parameters(query, {"text": text}, case_id=case_id)
        rows = run_query(server, query, params, metadata={"case": case_id, "actor": "pytest"})
        assert person in [r["actor_id"] for r in rows], (why, text)


def test_schema_is_in_place(server, case_db, case_ids) -> None:
    _publish(case_db, server, _new_case(case_ids))
    names = {
        r["name"] for r in server.run("SHOW CONSTRAINTS YIELD name", {}, {}, write=False).records
    }
    assert {f"{n.label.lower()}_key" for n in NODES} <= names
    indexes = {
        r["name"] for r in server.run("SHOW INDEXES YIELD name", {}, {}, write=False).records
    }
    assert {f"{r.type.lower()}_run" for r in RELATIONSHIPS} <= indexes


def test_browser_hypothesis_queries_match_the_case(server, case_db, case_ids) -> None:
    """meetings and device_swaps give in Neo4j what colocate and devices stored in the case."""
    case_id = _new_case(case_ids)
    _publish(case_db, server, case_id)
    queries = {q.name: q for q in list_queries()}
    con = duckdb.connect(str(case_db), read_only=True)
    stored_met = con.execute("SELECT src, dst, score FROM rel_co_located_with").fetchall()
    stored_moved = con.execute("SELECT src, dst, score FROM rel_moved_to_handset").fetchall()
    con.close()
    meta = {"case": case_id, "actor": "pytest"}
    met = run_query(
        server,
        queries["meetings"],
        bind_parameters(queries["meetings"], {}, case_id=case_id),
        metadata=meta,
    )
    assert sorted((r["phone_a"], r["phone_b"], r["score"]) for r in met) == sorted(stored_met)
    swaps = run_query(
        server,
        queries["device_swaps"],
        bind_parameters(queries["device_swaps"], {}, case_id=case_id),
        metadata=meta,
    )
    assert sorted(
        (r["phone"], r["imei"], r["score"]) for r in swaps if r["kind"] == "MOVED_TO_HANDSET"
    ) == sorted(stored_moved)
