"""Person details and identity documents: recognition, normalisation, rejects (issue 23)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphkit.codes import clean_code, country_keys
from graphkit.errors import MappingError
from graphkit.ingest import ingest_file
from graphkit.ingest.mapping import load_mapping
from graphkit.store import CaseStore


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case")


def _rows(store: CaseStore, sql: str) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rejects(store: CaseStore) -> dict[int, tuple[str, str]]:
    rows = _rows(store, "SELECT row_number, column_name, error_type FROM rejects")
    return {r["row_number"]: (r["column_name"], r["error_type"]) for r in rows}


def test_column_names_recognised_and_values_normalised(store: CaseStore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "police.csv",
        [
            "Surname,Forename,Gender,Place of Birth,Country of Birth,Nationality,Occupation,"
            "Passport No,Passport Issuing Country,ID Card Number,National ID Country,"
            "Driving Licence Number,Licence Country",
            "Rossi,Mario,M,Palermo,Italy,Italian,builder,ya 1234567,ITA,ca-00000aa,IT,,",
            "Smith,Jo,female,Leeds,UK,British,nurse,123 456 789,826,,,SMITH 801017 J99AB,GB",
            "Ng,Al,2,Hanoi,Viet Nam,VNM,,N/A,,,,,",
            "Roe,Sam,U,,,côte d'ivoire,,,,,,,",
            "Doe,Kim,,,,,,,,,,,",
        ],
    )
    r = ingest_file(store, path, kind="persons")
    assert (r.accepted, r.rejected) == (5, 0)
    rows = _rows(
        store,
        "SELECT sex, sex_raw, birth_place, birth_country, nationality, occupation, "
        "passport_number, passport_country, national_id, national_id_country, "
        "driving_licence, driving_licence_country FROM src_persons ORDER BY row_number",
    )
    assert [r["sex"] for r in rows] == ["M", "F", "F", None, None]
    assert rows[3]["sex_raw"] == "U"  # "not known": no value, not an error
    assert [r["birth_country"] for r in rows] == ["IT", "GB", "VN", None, None]
    assert [r["nationality"] for r in rows] == ["IT", "GB", "VN", "CI", None]
    assert rows[0]["birth_place"] == "Palermo" and rows[1]["occupation"] == "nurse"
    assert [r["passport_number"] for r in rows] == ["YA1234567", "123456789", None, None, None]
    assert [r["passport_country"] for r in rows[:2]] == ["IT", "GB"]
    assert rows[0]["national_id"] == "CA00000AA" and rows[0]["national_id_country"] == "IT"
    assert rows[1]["driving_licence"] == "SMITH801017J99AB"
    assert rows[1]["driving_licence_country"] == "GB"


def test_bad_values_are_rejected_with_reasons(store: CaseStore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "persons.csv",
        [
            "last_name,sex,nationality,birth_country,passport_number,driving_licence",
            "Good,m,GB,IT,AB123456,",
            "SexCode,t2227949966,,,,",
            "Both,female | male,,,,",
            "Nation,F,Narnia,,,",
            "Birth,F,,Atlantis,,",
            "Short,F,,,12,",
            "Odd,F,,,,AB#123456",
        ],
    )
    r = ingest_file(store, path, kind="persons")
    assert (r.rows_read, r.accepted, r.rejected) == (7, 1, 6)
    assert _rejects(store) == {
        2: ("sex", "bad_sex"),
        3: ("sex", "bad_sex"),
        4: ("nationality", "unknown_country"),
        5: ("birth_country", "unknown_country"),
        6: ("passport_number", "bad_document_number"),
        7: ("driving_licence", "bad_document_number"),
    }
    detail = _rows(store, "SELECT detail FROM rejects WHERE row_number = 4")[0]["detail"]
    assert detail.startswith("not an ISO 3166 country") and detail.endswith(": Narnia")


def test_subscribers_and_accounts_take_person_details(store: CaseStore, tmp_path: Path) -> None:
    subs = _write(
        tmp_path / "subs.csv",
        ["msisdn,full_name,sex,nationality,passport", "07700900123,Ann Lee,F,IE,P1234567"],
    )
    accts = _write(
        tmp_path / "accts.csv",
        [
            "iban,holder,sex,citizenship,occupation,id_card",
            "GB82WEST12345698765432,Bo Chan,1,CN,trader,X9876543",
        ],
    )
    ingest_file(store, subs, kind="subscribers")
    ingest_file(store, accts, kind="accounts")
    sub = _rows(store, "SELECT sex, nationality, passport_number FROM src_subscribers")[0]
    assert sub == {"sex": "F", "nationality": "IE", "passport_number": "P1234567"}
    acc = _rows(store, "SELECT sex, nationality, occupation, national_id FROM src_accounts")[0]
    assert acc == {
        "sex": "M",
        "nationality": "CN",
        "occupation": "trader",
        "national_id": "X9876543",
    }


def test_a_document_or_an_email_is_identity_enough(store: CaseStore, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "p.csv",
        ["first_name,passport_number,email,sex", ",AB123456,,M", ",,a@b.example,F", ",,,M"],
    )
    r = ingest_file(store, path, kind="persons")
    assert (r.accepted, r.rejected) == (2, 1)
    assert _rejects(store)[3][1] == "missing_identity"


def test_earliest_date_lets_historical_births_in(store: CaseStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "h.csv", ["last_name,dob", "Clifford,1630-08-01", "Late,1950"])
    r = ingest_file(store, path, kind="persons", source_name="default")
    assert (r.accepted, r.rejected) == (1, 1)
    mapping = _write(tmp_path / "m.toml", ['kind = "persons"', 'earliest_date = "1500"'])
    again = _write(tmp_path / "h2.csv", ["last_name,dob", "Clifford,1630-08-01", "Late,1950", "X,"])
    r = ingest_file(store, again, kind="persons", mapping_path=mapping, source_name="old")
    assert (r.accepted, r.rejected) == (3, 0)
    dobs = _rows(store, "SELECT dob FROM src_persons WHERE source_name = 'old' ORDER BY 1")
    assert [d["dob"] for d in dobs] == ["1630-08-01", "1950", None]
    bad = _write(tmp_path / "bad.toml", ['kind = "persons"', 'earliest_date = "16th century"'])
    with pytest.raises(MappingError, match="earliest_date"):
        load_mapping(bad, kind="persons")


def test_country_table_covers_codes_names_and_demonyms() -> None:
    table = dict(zip(*country_keys(), strict=True))
    for spelling, code in {
        "DE": "DE",
        "deu": "DE",
        "276": "DE",
        "Germany": "DE",
        "German": "DE",
        "Korea, Republic of": "KR",
        "Republic of Korea": "KR",
        "United States of America": "US",
        "Türkiye": "TR",
    }.items():
        assert table[clean_code(spelling)] == code, spelling


def test_old_case_gains_the_new_columns(store: CaseStore, tmp_path: Path) -> None:
    """A case whose src_persons predates the new fields is migrated by its next ingest."""
    first = _write(tmp_path / "first.csv", ["last_name", "Bianchi"])
    ingest_file(store, first, kind="persons")
    with store.operation("test-old-schema", operation="alteration") as op:
        for col in ("sex", "sex_raw", "passport_number", "passport_number_raw"):
            op.con.execute(f"ALTER TABLE src_persons DROP COLUMN {col}")
    path = _write(tmp_path / "p.csv", ["last_name,sex,passport", "Rossi,M,YA1234567"])
    ingest_file(store, path, kind="persons")
    rows = _rows(store, "SELECT sex, passport_number FROM src_persons ORDER BY source_name")
    assert rows == [
        {"sex": None, "passport_number": None},
        {"sex": "M", "passport_number": "YA1234567"},
    ]
