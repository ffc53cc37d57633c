"""Ingest of every kind, every file format and the Montagna files as they are."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphkit.errors import InputError, MappingError
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def _rows(store: CaseStore, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    with store.connect() as con:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


CDR_MAPPING = """
kind = "cdr"
timezone = "Europe/London"
default_region = "GB"
[columns]
caller = "From"
callee = "To"
start = "Datetime"
duration_s = "Duration(seconds)"
cell_id = "Cell Tower"
[formats]
start = "%Y%m%d %H%M"
"""


def test_cdr_with_mapping_normalises_phones_times_and_flags_raw_ids(
    store: CaseStore, tmp_path: Path
) -> None:
    csv = _write(
        tmp_path / "opA.csv",
        "From;To;Datetime;Duration(seconds);Cell Tower;Type\n"
        "+44 7400 123456;0044 7400 654321;20240701 1200;61;C1;Voice\n"
        "07400 123456;200;20240115 0930;0;C2;SMS\n",
    )
    mapping = _write(tmp_path / "opA.toml", CDR_MAPPING)
    result = ingest_file(store, csv, kind="cdr", mapping_path=mapping)
    assert (result.rows_read, result.accepted, result.rejected) == (2, 2, 0)
    rows = _rows(store, "SELECT * FROM src_cdr ORDER BY row_number")
    first, second = rows
    assert first["caller"] == "+447400123456" and first["caller_valid"] is True
    assert first["callee"] == "+447400654321"
    assert first["caller_raw"] == "+44 7400 123456"
    # 12:00 London summer time is 11:00 UTC; January is GMT
    assert first["start"] == datetime(2024, 7, 1, 11, 0, tzinfo=UTC)
    assert second["start"] == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    assert first["duration_s"] == 61 and first["cell_id"] == "C1"
    assert (first["event_type"], second["event_type"]) == ("call", "sms")
    assert second["callee"] == "200" and second["callee_valid"] is False
    assert [r["record_id"] for r in rows] == ["1", "2"]
    src = store.manifest["sources"]["opA"]
    assert src["lines"] == 3 and len(src["sha256"]) == 64 and src["status"] == "ingested"


def test_cdr_without_mapping_recognises_common_names(store: CaseStore, tmp_path: Path) -> None:
    csv = _write(
        tmp_path / "calls.csv",
        "a_party,b_party,start_time,call_duration,imei\n"
        "07400123456,07400654321,2024-03-01T10:00:00Z,0:01:30,49-015420-323751-8\n"
        "07400123456,07400654321,2024-03-01 10:05:00,45,490154203237519\n",
    )
    ingest_file(store, csv, kind="cdr")
    rows = _rows(
        store, "SELECT duration_s, start, imei, imei_valid FROM src_cdr ORDER BY row_number"
    )
    assert [r["duration_s"] for r in rows] == [90, 45]
    assert rows[0]["start"] == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert (rows[0]["imei"], rows[0]["imei_valid"]) == ("490154203237518", True)
    assert rows[1]["imei_valid"] is False


def test_missing_required_fields_are_named_with_columns_seen(
    store: CaseStore, tmp_path: Path
) -> None:
    csv = _write(tmp_path / "x.csv", "who,when\n1,2\n")
    with pytest.raises(
        MappingError, match=r"caller, callee, start not found; columns seen: who, when"
    ):
        ingest_file(store, csv, kind="cdr")


def test_every_kind_ingests(store: CaseStore, tmp_path: Path) -> None:
    files = {
        "subscribers": "msisdn,first_name,last_name,dob,address,operator,activated\n"
        "07400123456,Anna,Rossi,03/04/1980,1 High St,OpA,2023-01-01\n"
        "07400654321,Bob,,1975,,OpB,\n",
        "persons": "record_id,full_name,aliases,dob,phones,accounts\n"
        "P1,Giovanni Rossi,Gianni;Il Nano,1970-05,07400 123456|+39 347 123 4567,"
        "GB82 WEST 1234 5698 7654 32\n"
        "P2,,,,, \n",
        "accounts": "iban,holder_name,bank,opened\n"
        "GB82 WEST 1234 5698 7654 32,A Rossi,Westbank,2020-02-02\n"
        "12345678,B Smith,Local,\n",
        "transactions": "from_account,to_account,date,amount,currency\n"
        'GB82WEST12345698765432,12345678,2024-05-01 10:00:00,"1,250.50",GBP\n',
        "towers": "cell_id,latitude,longitude,azimuth\nC1,51.5,-0.12,120\nC2,95,0,0\n",
        "contacts": "source,target,weight,relation\nN1,N2,3,meeting\n07400123456,N2,,\n",
    }
    counts = {}
    for kind, text in files.items():
        r = ingest_file(store, _write(tmp_path / f"{kind}.csv", text), kind=kind)
        counts[kind] = (r.rows_read, r.accepted, r.rejected)
    assert counts == {
        "subscribers": (2, 2, 0),
        "persons": (2, 1, 1),  # P2 has no name and no id number
        "accounts": (2, 2, 0),
        "transactions": (1, 1, 0),
        "towers": (2, 1, 1),  # latitude 95 is out of range
        "contacts": (2, 2, 0),
    }
    sub = _rows(store, "SELECT * FROM src_subscribers ORDER BY row_number")
    assert sub[0]["dob"] == "1980-04-03" and sub[1]["dob"] == "1975"
    person = _rows(store, "SELECT * FROM src_persons")[0]
    assert person["record_id"] == "P1"
    assert person["aliases"] == ["Gianni", "Il Nano"]
    assert person["phones"] == ["+447400123456", "+393471234567"]
    assert person["accounts"] == ["GB82WEST12345698765432"]
    assert person["dob"] == "1970-05"
    acc = _rows(store, "SELECT account_id, account_id_valid FROM src_accounts ORDER BY row_number")
    assert acc == [
        {"account_id": "GB82WEST12345698765432", "account_id_valid": True},
        {"account_id": "12345678", "account_id_valid": False},
    ]
    assert _rows(store, "SELECT amount FROM src_transactions") == [{"amount": 1250.5}]
    rej = _rows(store, "SELECT source_name, error_type, column_name FROM rejects ORDER BY 1")
    assert {(r["source_name"], r["error_type"]) for r in rej} == {
        ("persons", "missing_identity"),
        ("towers", "out_of_range"),
    }
    contacts = _rows(store, "SELECT source, target, weight, kind FROM src_contacts ORDER BY 1")
    assert contacts[0] == {"source": "+447400123456", "target": "N2", "weight": None, "kind": None}


def test_montagna_files_as_they_are(store: CaseStore, montagna_dir: Path) -> None:
    """UTF-8 BOM, bare CR line endings in sightings.csv, i/j column names."""
    expected = {"phone": 150, "meetings": 289, "kinship": 24, "sightings": 41}
    for name, n in expected.items():
        r = ingest_file(store, montagna_dir / f"{name}.csv", kind="contacts")
        assert (r.rows_read, r.accepted, r.rejected) == (n, n, 0), name
    first = _rows(
        store,
        "SELECT source, target, weight FROM src_contacts WHERE source_name = ? AND row_number = 1",
        ["sightings"],
    )
    assert first == [{"source": "N5", "target": "N11", "weight": 1.0}]
    kin = _rows(
        store,
        "SELECT kind FROM src_contacts WHERE source_name = 'kinship' ORDER BY row_number LIMIT 1",
    )
    assert kin == [{"kind": "uncle-nephew"}]
    phone = _rows(
        store,
        "SELECT source FROM src_contacts WHERE source_name='phone' ORDER BY row_number LIMIT 1",
    )
    assert phone == [{"source": "N14"}]  # the BOM did not leak into the first column


@pytest.mark.parametrize(
    ("encoding", "newline", "delimiter"),
    [
        ("utf-8-sig", "\n", ","),
        ("utf-8", "\r\n", ";"),
        ("latin-1", "\r", "|"),
        ("utf-8", "\r", "\t"),
    ],
)
def test_csv_dialects(
    store: CaseStore, tmp_path: Path, encoding: str, newline: str, delimiter: str
) -> None:
    lines = [
        ["msisdn", "full_name", "address"],
        ["07400123456", "José Müller", "1 Rue de l'Église"],
        ["07400654321", "Zoë Brontë", "2 Straße"],
    ]
    text = newline.join(delimiter.join(row) for row in lines) + newline
    path = tmp_path / "subs.csv"
    path.write_bytes(text.encode(encoding))
    r = ingest_file(store, path, kind="subscribers")
    assert (r.rows_read, r.accepted, r.rejected) == (2, 2, 0)
    names = [
        x["full_name"]
        for x in _rows(store, "SELECT full_name FROM src_subscribers ORDER BY row_number")
    ]
    assert names == ["José Müller", "Zoë Brontë"]


def test_parquet_and_jsonl(store: CaseStore, tmp_path: Path) -> None:
    table = pa.table(
        {
            "caller": ["07400123456", "07400123456"],
            "callee": ["07400654321", "200"],
            "start": pa.array(
                [datetime(2024, 1, 1, 8, 0, tzinfo=UTC), datetime(2024, 1, 1, 9, 0, tzinfo=UTC)]
            ),
            "duration": [10, 20],
        }
    )
    pq.write_table(table, tmp_path / "cdr.parquet")
    r = ingest_file(store, tmp_path / "cdr.parquet", kind="cdr")
    assert (r.rows_read, r.accepted) == (2, 2)
    starts = _rows(store, "SELECT start FROM src_cdr ORDER BY row_number")
    assert starts[1]["start"] == datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

    jsonl = tmp_path / "persons.jsonl"
    jsonl.write_text(
        json.dumps({"full_name": "Anna Rossi", "aliases": ["Annie", "La Rossa"]})
        + "\n"
        + '{"full_name": "broken",\n'
        + json.dumps({"first_name": "Bob", "id_number": "X1"})
        + "\n"
        + "[1, 2]\n",
        encoding="utf-8",
    )
    r = ingest_file(store, jsonl, kind="persons")
    assert (r.rows_read, r.accepted, r.rejected) == (4, 2, 2)
    rows = _rows(store, "SELECT row_number, aliases, first_name FROM src_persons ORDER BY 1")
    assert [x["row_number"] for x in rows] == [1, 3]
    assert rows[0]["aliases"] == ["Annie", "La Rossa"]
    rej = _rows(store, "SELECT row_number, error_type FROM rejects ORDER BY 1")
    assert rej == [
        {"row_number": 2, "error_type": "invalid_json"},
        {"row_number": 4, "error_type": "invalid_json"},
    ]


def test_reingest_same_file_is_noop_and_replace_replaces(store: CaseStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", "cell_id,lat,lon\nC1,1,2\n")
    first = ingest_file(store, path, kind="towers")
    again = ingest_file(store, path, kind="towers")
    assert not first.skipped and again.skipped
    _write(path, "cell_id,lat,lon\nC1,1,2\nC2,3,4\n")
    with pytest.raises(InputError, match="already exists"):
        ingest_file(store, path, kind="towers")
    replaced = ingest_file(store, path, kind="towers", replace=True)
    assert replaced.replaced and replaced.accepted == 2
    assert _rows(store, "SELECT count(*) AS n FROM src_towers") == [{"n": 2}]


def test_not_a_table_fails_with_one_line(store: CaseStore, tmp_path: Path) -> None:
    png = tmp_path / "photo.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError) as err:
        ingest_file(store, png, kind="cdr")
    assert "\n" not in str(err.value)
    empty = _write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError):
        ingest_file(store, empty, kind="cdr")
    with pytest.raises(InputError, match="not found"):
        ingest_file(store, tmp_path / "nope.csv", kind="cdr")


def test_duplicates_and_record_ids(store: CaseStore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.csv",
        "id,caller,callee,start\n"
        "r1,07400123456,200,2024-01-01 10:00:00\n"
        "r1,07400123456,200,2024-01-01 10:00:00\n"
        "r2,07400123456,201,2024-01-01 11:00:00\n",
    )
    r = ingest_file(store, path, kind="cdr")
    assert (r.accepted, r.duplicates, r.duplicate_record_ids) == (3, 1, 1)
    flags = _rows(store, "SELECT record_id, is_duplicate FROM src_cdr ORDER BY row_number")
    assert [f["is_duplicate"] for f in flags] == [False, True, False]
