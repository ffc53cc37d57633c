"""`build_graph` on a small case ingested through the real ingest pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.build import build_graph
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore

CDR = """caller,callee,start,duration_s,event_type,cell_id,imei
+447700900001,+447700900002,2024-01-01T10:00:00Z,60,call,C1,490154203237518
+447700900001,+447700900002,2024-01-01T11:00:00Z,30,call,C1,490154203237518
+447700900001,+447700900002,2024-01-01T11:00:00Z,30,call,C1,490154203237518
+447700900001,+447700900002,2024-01-02T09:00:00Z,0,sms,C2,490154203237518
+447700900002,+447700900001,2024-01-03T12:00:00Z,45,,C2,
+447700900003,+447700900001,2024-01-04T12:00:00Z,10,call,C3,
"""
CONTACTS = """source,target,weight,kind
+447700900003,S1,2,meeting
S1,S2,1,meeting
S1,S2,1,meeting2
"""
TOWERS = """cell_id,lat,lon
C1,51.5,-0.1
"""


@pytest.fixture()
def store(tmp_path: Path) -> CaseStore:
    s = CaseStore.init(tmp_path / "case")
    for name, text, kind in (
        ("cdr.csv", CDR, "cdr"),
        ("contacts.csv", CONTACTS, "contacts"),
        ("towers.csv", TOWERS, "towers"),
    ):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        ingest_file(s, path, kind=kind)
    return s


def test_knowledge_graph_tables(store: CaseStore) -> None:
    summary = build_graph(store)
    assert summary["persons_used"] is False
    with store.connect() as con:
        called = con.execute(
            "SELECT src, dst, calls, sms, seconds, first, last FROM rel_called ORDER BY src, dst"
        ).fetchall()
        assert [(r[0][-1], r[1][-1], r[2], r[3], r[4]) for r in called] == [
            ("1", "2", 2, 1, 90),  # exact duplicate row left out; sms counted apart
            ("2", "1", 1, 0, 45),  # missing event type counts as a call
            ("3", "1", 1, 0, 10),
        ]
        assert called[0][5].isoformat().startswith("2024-01-01T10:00:00")
        profile = con.execute(
            "SELECT events, hour_of_week FROM node_phone WHERE msisdn = '+447700900001'"
        ).fetchone()
        assert profile is not None and profile[0] == 5
        assert len(profile[1]) == 168 and profile[1][10] == 1.0  # Monday 10h UTC
        assert sum(profile[1]) == 5
        device = con.execute("SELECT src, dst FROM rel_used_device").fetchall()
        assert device == [("+447700900001", "490154203237518")]
        assert con.execute("SELECT count(*) FROM node_device").fetchone() == (1,)
        via = con.execute(
            "SELECT right(src, 1), dst, events FROM rel_connected_via ORDER BY ALL"
        ).fetchall()
        assert via == [("1", "C1", 2), ("1", "C2", 1), ("2", "C2", 1), ("3", "C3", 1)]
        assert con.execute("SELECT lat FROM node_cell WHERE cell_id = 'C1'").fetchone() == (51.5,)
        contact = con.execute(
            "SELECT src, dst, weight, kind, len(source_records) FROM rel_contact ORDER BY ALL"
        ).fetchall()
        assert ("+447700900003", "S1", 2.0, "meeting", 1) in contact
        assert len(contact) == 3


def test_actor_graph(store: CaseStore) -> None:
    build_graph(store)
    with store.connect() as con:
        actors = dict(con.execute("SELECT actor_id, kind FROM actor").fetchall())
        assert actors == {
            "+447700900001": "phone",
            "+447700900002": "phone",
            "+447700900003": "phone",
            "S1": "other",
            "S2": "other",
        }
        edges = con.execute(
            "SELECT src, dst, layer, weight, count FROM actor_edge ORDER BY ALL"
        ).fetchall()
        assert ("+447700900001", "+447700900002", "calls", 2.0, 2) in edges
        assert ("+447700900001", "+447700900002", "sms", 1.0, 1) in edges
        assert ("S1", "S2", "contact:meeting", 1.0, 1) in edges
        assert ("S1", "S2", "contact:meeting2", 1.0, 1) in edges


def test_persons_replace_their_phones(store: CaseStore) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute("INSERT INTO node_person (person_id, full_name) VALUES ('P1', 'A B')")
        con.execute(
            "INSERT INTO rel_uses (src, dst) VALUES ('P1', '+447700900001'), "
            "('P1', '+447700900003')"
        )
    summary = build_graph(store)
    assert summary["persons_used"] is True
    with store.connect() as con:
        actors = {r[0]: (r[1], r[2]) for r in con.execute("SELECT * FROM actor").fetchall()}
        assert actors["P1"] == ("person", ["+447700900001", "+447700900003"])
        assert "+447700900001" not in actors
        edges = con.execute(
            "SELECT src, dst, layer, weight FROM actor_edge ORDER BY ALL"
        ).fetchall()
        # calls 3 -> 1 became a self-tie of P1 and were dropped; 2 -> 1 now reaches P1
        assert ("+447700900002", "P1", "calls", 1.0) in edges
        assert all(s != d for s, d, _, _ in edges)
        assert ("P1", "S1", "contact:meeting", 2.0) in edges


def _snapshot(store: CaseStore, tables: list[str]) -> dict[str, object]:
    """Every row of ``tables`` (sorted) and their declared columns and constraints."""
    with store.connect(read_only=True) as con:
        rows = {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
        ddl = con.execute(
            "SELECT table_name, sql FROM duckdb_tables() WHERE table_name IN "
            f"({', '.join('?' for _ in tables)}) ORDER BY table_name",
            tables,
        ).fetchall()
    return {"rows": rows, "ddl": ddl}


def test_rebuild_is_idempotent(store: CaseStore) -> None:
    from graphkit.build import ACTOR_TABLES, KNOWLEDGE_TABLES

    declared = _snapshot(store, list(KNOWLEDGE_TABLES))["ddl"]  # as CaseStore.init made them
    assert any("PRIMARY KEY" in str(sql) for _, sql in declared)  # type: ignore[union-attr]
    first = build_graph(store)["tables"]
    tables = sorted(first)
    before = _snapshot(store, tables)
    # the knowledge tables are dropped and created again from the model: same columns and
    # primary keys as declared, and a rebuild gives the same rows
    assert _snapshot(store, list(KNOWLEDGE_TABLES))["ddl"] == declared
    assert set(tables) == set(KNOWLEDGE_TABLES) | set(ACTOR_TABLES)
    assert build_graph(store)["tables"] == first
    assert _snapshot(store, tables) == before
