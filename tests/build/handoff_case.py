"""A tiny case for confirmed hand-offs: five numbers ingested from a CDR, persons and
SAME_USER_AS rows written straight into the knowledge tables (as resolution and review do)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from graphkit.ingest import ingest_file
from graphkit.store import CaseStore


def num(i: int) -> str:
    """The E.164 number of phone ``i`` of the case."""
    return f"+4477009000{i:02d}"


# 1 and 2 call the contact 9 (2 + 1 calls) and each other (3 calls); 3 calls 9 once and gets
# an sms back; 4 calls 3 once.
CDR = "caller,callee,start,duration_s,event_type\n" + "".join(
    f"{num(a)},{num(b)},2024-01-0{day}T1{hour}:00:00Z,{secs},{kind}\n"
    for a, b, day, hour, secs, kind in (
        (1, 9, 1, 0, 60, "call"),
        (1, 9, 1, 1, 30, "call"),
        (2, 9, 2, 0, 20, "call"),
        (1, 2, 2, 1, 10, "call"),
        (1, 2, 2, 2, 10, "call"),
        (2, 1, 2, 3, 10, "call"),
        (3, 9, 3, 0, 40, "call"),
        (9, 3, 3, 1, 0, "sms"),
        (4, 3, 4, 0, 50, "call"),
    )
)


def make_case(tmp_path: Path) -> CaseStore:
    store = CaseStore.init(tmp_path / "case")
    path = tmp_path / "cdr.csv"
    path.write_text(CDR, encoding="utf-8")
    ingest_file(store, path, kind="cdr")
    return store


def set_uses(con: duckdb.DuckDBPyConnection, uses: Iterable[tuple[str, int]]) -> None:
    """Replace the persons of the case: ``(person_id, phone)`` pairs."""
    uses = list(uses)
    con.execute("DELETE FROM rel_uses")
    con.execute("DELETE FROM node_person")
    for person in sorted({p for p, _ in uses}):
        con.execute(
            "INSERT INTO node_person (person_id, full_name) VALUES (?, ?)", [person, person]
        )
    for person, phone in uses:
        con.execute("INSERT INTO rel_uses (src, dst) VALUES (?, ?)", [person, num(phone)])


def set_handoffs(con: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[int, int, str]]) -> None:
    """Replace the SAME_USER_AS rows: ``(old, new, status)``."""
    con.execute("DELETE FROM rel_same_user_as")
    for old, new, status in pairs:
        con.execute(
            "INSERT INTO rel_same_user_as (src, dst, score, threshold, model_version, evidence, "
            "status, decided_by, decided_at) VALUES (?, ?, 0.9, 0.5, 'handoff-test', '{}', ?, "
            "CASE WHEN ? = 'hypothesis' THEN NULL ELSE 'analyst' END, "
            "CASE WHEN ? = 'hypothesis' THEN NULL ELSE now() END)",
            [num(old), num(new), status, status, status],
        )


def actors(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, list[str]]]:
    """``actor_id -> (kind, phones)`` of the built actor graph."""
    rows = con.execute("SELECT actor_id, kind, phones FROM actor").fetchall()
    return {a: (k, list(p)) for a, k, p in rows}


def edges(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple[float, int]]:
    """``(src, dst, layer) -> (weight, count)`` of the built actor graph."""
    rows = con.execute("SELECT src, dst, layer, weight, count FROM actor_edge").fetchall()
    return {(s, d, layer): (w, n) for s, d, layer, w, n in rows}
