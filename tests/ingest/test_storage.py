"""Encoded staging: views equal the plain layout, shared dictionary, clashes, old cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from graphkit.ingest import ingest_file
from graphkit.ingest.identifiers import normalise_values
from graphkit.ingest.kinds import KINDS, PROVENANCE_COLUMNS
from graphkit.ingest.storage import IDENT_TABLE
from graphkit.store import CaseStore

MORE = "07400123456,07400654321,2024-07-02 12:00:00,9,,C3\n"
CDR = (
    "caller,callee,start,duration,imei,cell\n"
    "07400 123456,200,2024-07-01 12:00:00,5, 490154203237518 ,C1\n"
    "+44 7400 654321,07400123456,2024-07-01 12:01:00,6,,C2\n"
    " 0044 7400 123456 ,N14,2024-07-01 12:02:00,7,12,\n"
)


def _rows(store: CaseStore, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        return con.execute(sql, params or []).fetchall()


def _table_type(store: CaseStore, name: str) -> str | None:
    rows = _rows(
        store, "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
    )
    return str(rows[0][0]) if rows else None


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_encoded_views_have_the_plain_columns_and_types(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, _write(tmp_path / "c.csv", CDR), kind="cdr")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        for spec in KINDS.values():
            plain = ", ".join(f'"{c}" {t}' for c, t in [*PROVENANCE_COLUMNS, *spec.field_columns()])
            con.execute(f"CREATE TEMP TABLE _plain ({plain})")
            expected = con.execute("DESCRIBE _plain").fetchall()
            con.execute("DROP TABLE _plain")
            assert con.execute(f"DESCRIBE {spec.table}").fetchall() == expected, spec.name
    for spec in KINDS.values():
        expected_type = "VIEW" if spec.encoded else "BASE TABLE"
        assert _table_type(store, spec.table) == expected_type
    assert _table_type(store, "ingest_cdr") == "BASE TABLE"
    # identifiers are stored as references, the row number as NULL record_id
    stored = _rows(store, "SELECT record_id, caller_ref FROM ingest_cdr ORDER BY row_number")
    assert [r[0] for r in stored] == [None, None, None]
    assert all(isinstance(r[1], int) for r in stored)
    view = _rows(
        store,
        "SELECT record_id, caller, caller_raw, caller_valid, callee, callee_valid, imei, "
        "imei_valid, cell_id FROM src_cdr ORDER BY row_number",
    )
    assert view == [
        ("1", "+447400123456", "07400 123456", True, "200", False, "490154203237518", True, "C1"),
        ("2", "+447400654321", "+44 7400 654321", True, "+447400123456", True, None, None, "C2"),
        ("3", "+447400123456", "0044 7400 123456", True, "N14", False, "12", False, None),
    ]


def test_dictionary_is_shared_by_sources_and_keyed_by_region(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, _write(tmp_path / "a.csv", CDR), kind="cdr")
    n_first = _rows(store, f"SELECT count(*) FROM {IDENT_TABLE}")[0][0]
    # the same spellings again under another name: no new entries, same values
    ingest_file(
        store,
        _write(tmp_path / "b.csv", CDR + "07400123456,200,2024-07-01 13:00:00,1,,\n"),
        kind="cdr",
    )
    assert _rows(store, f"SELECT count(*) FROM {IDENT_TABLE}")[0][0] == n_first
    a = _rows(
        store, "SELECT * EXCLUDE (source_name) FROM src_cdr WHERE source_name = 'a' ORDER BY 1"
    )
    b = _rows(
        store, "SELECT * EXCLUDE (source_name) FROM src_cdr WHERE source_name = 'b' ORDER BY 1"
    )
    assert b[:3] == a
    # in Italy "07400 123456" is not a British mobile: its own domain, its own value
    toml = _write(tmp_path / "it.toml", 'kind = "cdr"\ndefault_region = "IT"\n')
    it_csv = _write(tmp_path / "it.csv", CDR + "3471234567,200,2024-07-01 14:00:00,1,,\n")
    ingest_file(store, it_csv, kind="cdr", mapping_path=toml)
    it = _rows(
        store,
        "SELECT caller, caller_valid FROM src_cdr WHERE source_name = 'it' ORDER BY row_number",
    )
    expected = normalise_values("phone", ["07400 123456"], default_region="IT")[0]
    assert it[0] == (expected[1], expected[2])
    domains = {r[0] for r in _rows(store, f"SELECT DISTINCT domain FROM {IDENT_TABLE}")}
    assert domains == {"phone:GB", "phone:IT", "imei"}
    refs = _rows(store, f"SELECT count(*) - count(DISTINCT ref) FROM {IDENT_TABLE}")
    assert refs == [(0,)]


def test_a_reference_taken_by_another_spelling_is_salted(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, _write(tmp_path / "t.csv", "cell_id,lat,lon\nC1,1,2\n"), kind="towers")
    with (
        store.operation("test fixture", operation="alteration"),
        store.connect() as con,
    ):  # an entry already holds the reference of "07400 123456"
        con.execute(
            f"INSERT INTO {IDENT_TABLE} VALUES "
            "(hash('phone:GB', '07400 123456'), 'phone:GB', 'other', 'other', 'other', false)"
        )
    ingest_file(store, _write(tmp_path / "c.csv", CDR), kind="cdr")
    first = _rows(
        store, "SELECT caller, caller_raw, caller_valid FROM src_cdr WHERE row_number = 1"
    )
    assert first == [("+447400123456", "07400 123456", True)]
    assert _rows(store, f"SELECT count(*) - count(DISTINCT ref) FROM {IDENT_TABLE}") == [(0,)]
    salted = _rows(store, f"SELECT count(*) FROM {IDENT_TABLE} WHERE raw = '07400 123456'")
    assert salted == [(1,)]


def test_replace_keeps_the_dictionary_and_replaces_the_rows(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    path = _write(tmp_path / "c.csv", CDR)
    ingest_file(store, path, kind="cdr")
    _write(path, CDR.replace("C1", "C9"))
    result = ingest_file(store, path, kind="cdr", replace=True)
    assert result.replaced and result.accepted == 3
    assert _rows(store, "SELECT count(*), min(cell_id) FROM src_cdr") == [(3, "C2")]
    assert _rows(store, "SELECT count(*) FROM ingest_cdr") == [(3,)]


def _old_case(tmp_path: Path) -> CaseStore:
    """A case as the plain layout wrote it: src_cdr a table with text identifier columns."""
    store = CaseStore.init(tmp_path / "old")
    ingest_file(store, _write(tmp_path / "old.csv", CDR), kind="cdr", source_name="old")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute("CREATE TABLE _plain AS SELECT * FROM src_cdr")
        con.execute("DROP VIEW src_cdr")
        con.execute("DROP TABLE ingest_cdr")
        con.execute(f"DELETE FROM {IDENT_TABLE}")
        con.execute("ALTER TABLE _plain RENAME TO src_cdr")
    return store


def test_an_old_case_reads_as_before_and_migrates_on_the_next_ingest(tmp_path: Path) -> None:
    store = _old_case(tmp_path)
    assert _table_type(store, "src_cdr") == "BASE TABLE"
    before = _rows(store, "SELECT * FROM src_cdr ORDER BY row_number")
    ingest_file(store, _write(tmp_path / "new.csv", CDR + MORE), kind="cdr", source_name="new")
    assert _table_type(store, "src_cdr") == "VIEW"
    after = _rows(store, "SELECT * FROM src_cdr WHERE source_name = 'old' ORDER BY row_number")
    assert after == before
    new = _rows(
        store,
        "SELECT * EXCLUDE (source_name) FROM src_cdr WHERE source_name = 'new' ORDER BY row_number",
    )
    assert new[:3] == [r[1:] for r in before]
    legacy = _rows(store, f"SELECT count(*) FROM {IDENT_TABLE} WHERE domain = 'legacy'")
    assert legacy[0][0] > 0


def test_migration_is_atomic(tmp_path: Path) -> None:
    store = _old_case(tmp_path)
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        before = con.execute("SELECT * FROM src_cdr ORDER BY row_number").fetchall()
        # a storage table of the wrong shape makes the migration fail halfway
        con.execute("CREATE TABLE ingest_cdr (x INTEGER)")
    with pytest.raises(duckdb.Error):
        ingest_file(store, _write(tmp_path / "new.csv", CDR + MORE), kind="cdr", source_name="new")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        assert con.execute("SELECT * FROM src_cdr ORDER BY row_number").fetchall() == before
        assert con.execute(f"SELECT count(*) FROM {IDENT_TABLE}").fetchone() == (0,)
