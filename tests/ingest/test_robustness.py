"""Ingest robustness (issue 15, item 7): faults that used to lose or corrupt a whole file are
per-row rejects with a reason, or are read correctly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from graphkit.errors import InputError, MappingError
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore

CDR_HEADER = "caller,callee,start,duration_s,cell_id"
ROW = "07400111222,07400333444,2024-01-01 10:00:00,{d},C1"


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def _rows(store: CaseStore, sql: str) -> list[dict[str, Any]]:
    with store.connect() as con:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _rejects(store: CaseStore) -> list[tuple[int, str, str]]:
    rows = _rows(store, "SELECT row_number, column_name, error_type FROM rejects ORDER BY 1")
    return [(r["row_number"], r["column_name"], r["error_type"]) for r in rows]


def _details(store: CaseStore) -> dict[int, str]:
    rows = _rows(store, "SELECT row_number, detail FROM rejects")
    return {r["row_number"]: r["detail"] for r in rows}


def test_mixed_line_endings_and_quoted_cr_parse(store: CaseStore, tmp_path: Path) -> None:
    lf = (CDR_HEADER + "\n" + "\n".join(ROW.format(d=i) for i in range(5)) + "\n").encode()
    # one CRLF line in an LF file, and a quoted CR inside a field
    lines = lf.split(b"\n")
    lines[2] += b"\r"
    lines[4] = b'07400111222,07400333444,2024-01-01 10:00:00,3,"C\rR"'
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(lines))
    result = ingest_file(store, path, kind="cdr")
    assert (result.rows_read, result.accepted, result.rejected) == (5, 5, 0)
    cdr = _rows(store, "SELECT row_number, duration_s, cell_id FROM src_cdr ORDER BY 1")
    assert [r["duration_s"] for r in cdr] == [0, 1, 2, 3, 4]
    assert cdr[3]["cell_id"] == "C\rR" and cdr[1]["cell_id"] == "C1"

    # the reverse: a CRLF file with one LF line
    crlf = lf.replace(b"\n", b"\r\n").replace(
        b"2024-01-01 10:00:00,2,C1\r\n", b"2024-01-01 10:00:00,2,C1\n"
    )
    path2 = tmp_path / "mixed2.csv"
    path2.write_bytes(crlf)
    result = ingest_file(store, path2, kind="cdr")
    assert (result.rows_read, result.accepted, result.rejected) == (5, 5, 0)


def test_non_finite_and_out_of_range_numbers_are_row_rejects(
    store: CaseStore, tmp_path: Path
) -> None:
    durations = ["10", "1e19", "inf", "NaN", "-inf", "99999999999:00:00", "1e400", "20"]
    path = tmp_path / "cdr.csv"
    path.write_text(CDR_HEADER + "\n" + "\n".join(ROW.format(d=d) for d in durations) + "\n")
    result = ingest_file(store, path, kind="cdr")
    assert (result.rows_read, result.accepted, result.rejected) == (8, 2, 6)
    assert _rejects(store) == [
        (2, "duration_s", "out_of_range"),
        (3, "duration_s", "non_finite_number"),
        (4, "duration_s", "non_finite_number"),
        (5, "duration_s", "non_finite_number"),
        (6, "duration_s", "bad_duration"),
        (7, "duration_s", "non_finite_number"),
    ]
    assert _details(store)[3] == "not a finite number: inf"
    assert _details(store)[2].endswith(": 1e19")

    tx = tmp_path / "tx.csv"
    tx.write_text(
        "from_account,to_account,timestamp,amount\n"
        "A1,A2,2024-01-01 10:00:00,12.50\n"
        "A1,A2,2024-01-01 10:00:00,inf\n"
        "A1,A2,2024-01-01 10:00:00,1e300\n"
        "A1,A2,2024-01-01 10:00:00,nan\n"
    )
    result = ingest_file(store, tx, kind="transactions")
    assert (result.rows_read, result.accepted, result.rejected) == (4, 1, 3)
    rej = _rows(store, "SELECT row_number, error_type FROM rejects WHERE kind = 'transactions'")
    assert {(r["row_number"], r["error_type"]) for r in rej} == {
        (2, "non_finite_number"),
        (3, "out_of_range"),
        (4, "non_finite_number"),
    }

    towers = tmp_path / "towers.csv"
    towers.write_text("cell_id,lat,lon\nC1,51.5,-0.1\nC2,NaN,0\nC3,51,inf\nC4,91,0\n")
    result = ingest_file(store, towers, kind="towers")
    assert (result.rows_read, result.accepted, result.rejected) == (4, 1, 3)
    rej = _rows(
        store, "SELECT row_number, column_name, error_type FROM rejects WHERE kind = 'towers'"
    )
    assert {(r["row_number"], r["column_name"], r["error_type"]) for r in rej} == {
        (2, "lat", "non_finite_number"),
        (3, "lon", "non_finite_number"),
        (4, "lat", "out_of_range"),
    }


def test_implausible_dates_and_offsets_are_row_rejects(store: CaseStore, tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(
        "from_account,to_account,timestamp,amount\n"
        "A1,A2,2024-01-01T10:00:00+01:00,5\n"
        "A1,A2,0001-01-01 10:00:00,5\n"
        "A1,A2,2024-01-01T10:00:00+25:00,5\n"
        "A1,A2,2024-01-01T10:00:00-14:00,5\n"
        "A1,A2,2999-01-01 10:00:00,5\n"
        "A1,A2,1899-12-31 23:59:59,5\n"
    )
    result = ingest_file(store, path, kind="transactions")
    assert (result.rows_read, result.accepted, result.rejected) == (6, 2, 4)
    assert _rejects(store) == [
        (2, "timestamp", "implausible_date"),
        (3, "timestamp", "bad_utc_offset"),
        (5, "timestamp", "implausible_date"),
        (6, "timestamp", "implausible_date"),
    ]
    assert "+-14:00" in _details(store)[3]
    got = _rows(store, "SELECT row_number, timestamp FROM src_transactions ORDER BY 1")
    assert [r["timestamp"] for r in got] == [
        datetime(2024, 1, 1, 9, 0, tzinfo=UTC),
        datetime(2024, 1, 2, 0, 0, tzinfo=UTC),
    ]

    subs = tmp_path / "subs.csv"
    subs.write_text(
        "msisdn,full_name,dob\n"
        "07400111222,Ann Lee,1980-04\n"
        "07400111223,Bob Ray,1850-01-01\n"
        "07400111224,Cy Dee,2999\n"
        "07400111225,Di Fox,12/03/1975\n"
    )
    result = ingest_file(store, subs, kind="subscribers")
    assert (result.rows_read, result.accepted, result.rejected) == (4, 2, 2)
    rej = _rows(
        store, "SELECT row_number, column_name, error_type FROM rejects WHERE kind = 'subscribers'"
    )
    assert {(r["row_number"], r["column_name"], r["error_type"]) for r in rej} == {
        (2, "dob", "implausible_date"),
        (3, "dob", "implausible_date"),
    }
    dobs = _rows(store, "SELECT dob FROM src_subscribers ORDER BY row_number")
    assert [r["dob"] for r in dobs] == ["1980-04", "1975-03-12"]  # partial dates kept


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_decoded(store: CaseStore, tmp_path: Path, codec: str) -> None:
    text = CDR_HEADER + "\n" + ROW.format(d=7) + "\n" + ROW.format(d=8).replace("C1", "Zoë") + "\n"
    bom = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
    path = tmp_path / "wide.csv"
    path.write_bytes(bom + text.encode(codec))
    result = ingest_file(store, path, kind="cdr")
    assert (result.rows_read, result.accepted, result.rejected) == (2, 2, 0)
    got = _rows(store, "SELECT caller, duration_s, cell_id FROM src_cdr ORDER BY row_number")
    assert got == [
        {"caller": "+447400111222", "duration_s": 7, "cell_id": "C1"},
        {"caller": "+447400111222", "duration_s": 8, "cell_id": "Zoë"},
    ]
    assert not list((tmp_path / "case").glob(".ingest-*"))  # the UTF-8 copy is gone


def test_bom_against_a_declared_encoding_is_refused_in_one_line(
    store: CaseStore, tmp_path: Path
) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes((CDR_HEADER + "\n" + ROW.format(d=7) + "\n").encode("utf-16"))
    mapping = tmp_path / "m.toml"
    mapping.write_text('[read]\nencoding = "latin-1"\n')
    with pytest.raises(InputError) as exc:
        ingest_file(store, path, kind="cdr", mapping_path=mapping)
    assert "\n" not in str(exc.value) and "[read] encoding" in str(exc.value)
    assert "UTF-16 LE" in str(exc.value)


def test_nonexistent_local_times_are_rejected_and_ambiguous_ones_counted(
    store: CaseStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cdr.csv"
    starts = [
        "2024-03-31 00:30:00",  # GMT
        "2024-03-31 01:30:00",  # does not exist: clocks go 01:00 -> 02:00
        "2024-03-31 02:30:00",  # BST
        "2024-10-27 01:30:00",  # occurs twice: read as the second (GMT)
        "2024-07-01 12:00:00",
    ]
    path.write_text(
        CDR_HEADER + "\n" + "\n".join(f"07400111222,07400333444,{s},5,C1" for s in starts) + "\n"
    )
    mapping = tmp_path / "m.toml"
    mapping.write_text('timezone = "Europe/London"\n')
    with caplog.at_level(logging.WARNING):
        result = ingest_file(store, path, kind="cdr", mapping_path=mapping)
    assert (result.rows_read, result.accepted, result.rejected) == (5, 4, 1)
    assert _rejects(store) == [(2, "start", "nonexistent_local_time")]
    got = _rows(store, "SELECT row_number, start FROM src_cdr ORDER BY 1")
    assert [r["start"] for r in got] == [
        datetime(2024, 3, 31, 0, 30, tzinfo=UTC),
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
        datetime(2024, 10, 27, 1, 30, tzinfo=UTC),
        datetime(2024, 7, 1, 11, 0, tzinfo=UTC),
    ]
    assert any("1 start value(s)" in r.getMessage() for r in caplog.records)
    assert result.ambiguous_times == {"start": 1}
    assert store.manifest["sources"]["cdr"]["ambiguous_times"] == {"start": 1}


def test_user_errors_are_one_line(store: CaseStore, tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text('"who\ncalls",when\n07400111222,2024-01-01 10:00:00\n')
    with pytest.raises(MappingError) as exc:
        ingest_file(store, path, kind="cdr")
    assert "\n" not in str(exc.value) and "who\\ncalls" in str(exc.value)

    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"a,b\n\x00\x01\x02\x00,1\n")
    with pytest.raises(InputError) as exc2:
        ingest_file(store, binary, kind="cdr")
    assert "\n" not in str(exc2.value) and "[read] encoding" in str(exc2.value)
