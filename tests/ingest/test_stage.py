"""The one-pass staging: raw-value lookups, rejects from the rows left out, duplicates, counts."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from graphkit.ingest import ingest_file
from graphkit.ingest.stage import count_lines, hash_and_count_lines
from graphkit.ingest.staging import find_duplicates
from graphkit.store import CaseStore

MAPPING = """
kind = "cdr"
timezone = "Europe/London"
default_region = "GB"
[columns]
caller = "From"
callee = "To"
start = "When"
duration_s = "Secs"
imei = "IMEI"
event_type = "Type"
record_id = "Ref"
[formats]
start = "%Y%m%d %H%M"
"""


def _rows(store: CaseStore, sql: str) -> list[dict[str, Any]]:
    with store.connect() as con:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _ingest(tmp_path: Path, text: str, mapping: str = MAPPING) -> tuple[CaseStore, Any]:
    store = CaseStore.init(tmp_path / "case")
    csv = tmp_path / "calls.csv"
    csv.write_text(text, encoding="utf-8")
    (tmp_path / "calls.toml").write_text(mapping, encoding="utf-8")
    return store, ingest_file(store, csv, kind="cdr", mapping_path=tmp_path / "calls.toml")


def test_padded_values_are_looked_up_by_raw_value_and_kept_trimmed(tmp_path: Path) -> None:
    store, result = _ingest(
        tmp_path,
        "From,To,When,Secs,IMEI,Type,Ref\n"
        '" 07400 123456 ",200,20240701 1200,5," 49-015420-323751-8",  SMS ,R1\n'
        "07400 123456,  ,20240701 1201,6,abc,Voice,R2\n"
        '"  ",07400123456,20240701 1202,7,,MOC ,R3\n',
    )
    assert (result.rows_read, result.accepted, result.rejected) == (3, 1, 2)
    [row] = _rows(store, "SELECT * FROM src_cdr")
    assert (row["caller"], row["caller_raw"], row["caller_valid"]) == (
        "+447400123456",
        "07400 123456",
        True,
    )
    assert (row["callee"], row["callee_raw"], row["callee_valid"]) == ("200", "200", False)
    assert (row["imei"], row["imei_valid"]) == ("490154203237518", True)
    assert row["event_type"] == "sms" and row["record_id"] == "R1"
    rejects = _rows(
        store, "SELECT row_number, column_name, error_type FROM rejects ORDER BY row_number"
    )
    # a blank callee and a blank caller are missing values, named by their source column
    assert rejects == [
        {"row_number": 2, "column_name": "To", "error_type": "missing_value"},
        {"row_number": 3, "column_name": "From", "error_type": "missing_value"},
    ]


def test_duplicates_counted_among_accepted_rows_only(tmp_path: Path) -> None:
    line_ok = "07400123456,07400654321,20240701 1200,5,,Voice,R1\n"
    line_bad = "07400123456,07400654321,20240701 1200,-5,,Voice,R2\n"
    store, result = _ingest(
        tmp_path,
        "From,To,When,Secs,IMEI,Type,Ref\n" + line_ok + line_bad + line_ok + line_bad + line_ok,
    )
    assert (result.rows_read, result.accepted, result.rejected) == (5, 3, 2)
    assert result.duplicates == 2  # rows 3 and 5; row 4 repeats row 2 but is rejected
    assert result.duplicate_record_ids == 3  # R1 x3, R2 x2 among the 5 rows read
    flags = _rows(store, "SELECT row_number, is_duplicate FROM src_cdr ORDER BY row_number")
    assert [(r["row_number"], r["is_duplicate"]) for r in flags] == [
        (1, False),
        (3, True),
        (5, True),
    ]
    errors = _rows(store, "SELECT row_number, error_type FROM rejects ORDER BY row_number")
    assert [(r["row_number"], r["error_type"]) for r in errors] == [
        (2, "negative_duration"),
        (4, "negative_duration"),
    ]


def test_constant_identifier_goes_through_the_lookup(tmp_path: Path) -> None:
    mapping = MAPPING.replace('callee = "To"\n', "").replace(
        "[formats]", '[constants]\ncallee = " 0044 7400 654321 "\n[formats]'
    )
    store, result = _ingest(
        tmp_path,
        "From,When,Secs,IMEI,Type,Ref\n07400123456,20240701 1200,5,,text,R1\n",
        mapping,
    )
    assert result.accepted == 1
    [row] = _rows(store, "SELECT callee, callee_raw, callee_valid, event_type FROM src_cdr")
    assert row == {
        "callee": "+447400654321",
        "callee_raw": "0044 7400 654321",
        "callee_valid": True,
        "event_type": "sms",
    }


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 7))
def test_hash_and_count_lines_match_an_oracle(data: bytes, chunk_log2: int) -> None:
    data = data.replace(b"a", b"\r").replace(b"b", b"\n")  # plenty of line endings
    # gzip's magic number makes a file gzip: its lines are counted in the text, and a damaged
    # one is refused (tests/hotspots/test_ingest_incidents.py)
    assume(not data.startswith(b"\x1f\x8b"))
    endings = len(re.findall(rb"\r\n|\r|\n", data))
    expected = endings + (1 if data and not data.endswith((b"\r", b"\n")) else 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.bin"
        path.write_bytes(data)
        digest, lines = hash_and_count_lines(path, chunk_bytes=1 << chunk_log2)
        assert digest == hashlib.sha256(data).hexdigest()
        assert lines == expected == count_lines(path, chunk_bytes=1 << chunk_log2)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", " a", None]), st.sampled_from(["1", "2", None])),
        min_size=1,
        max_size=40,
    )
)
def test_later_copies_of_exact_duplicates_match_an_oracle(
    rows: list[tuple[str | None, ...]],
) -> None:
    con = duckdb.connect()
    con.execute('CREATE TABLE raw (_row BIGINT, "x" VARCHAR, "y" VARCHAR)')
    con.executemany("INSERT INTO raw VALUES (?, ?, ?)", [(i + 1, *r) for i, r in enumerate(rows)])
    n = find_duplicates(con, "raw", ["x", "y"])
    found = sorted(r[0] for r in con.execute("SELECT _row FROM _dup").fetchall())
    expected = [i + 1 for i, r in enumerate(rows) if r in rows[:i]]
    assert found == expected and n == len(expected)
