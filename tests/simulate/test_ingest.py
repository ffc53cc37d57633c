"""The generated files ingest through graphkit.ingest with their own mappings: the planted
malformed rows, and nothing else, land in rejects; identifiers normalise to the truth's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.ingest import ingest_file
from graphkit.runfile import load_case_file
from graphkit.store import CaseStore
from tests.simulate.conftest import ParsedCdr

ERROR_OF_DEFECT = {
    "truncated": "missing_columns",
    "bad_date": "bad_timestamp",
    "no_caller": "missing_value",
}


@pytest.fixture(scope="module")
def ingested(small_case: Path, tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    case_file = load_case_file(small_case / "case.toml")
    store = CaseStore.init(tmp_path_factory.mktemp("ingest") / "case", name=case_file.name)
    for src in case_file.sources:
        ingest_file(store, src.file, kind=src.kind, mapping_path=src.mapping, source_name=src.name)
    return store


def _query(store: CaseStore, sql: str) -> pd.DataFrame:
    with store.connect() as con:
        return con.execute(sql).df()


def test_rejects_are_exactly_the_planted_rows(
    ingested: CaseStore, truth: dict[str, pd.DataFrame]
) -> None:
    rejects = _query(ingested, "SELECT source_name, row_number, error_type FROM rejects")
    got = {(r.source_name, int(r.row_number)): r.error_type for r in rejects.itertuples()}
    planted = {
        (r.source, int(r.row_number)): ERROR_OF_DEFECT[r.defect]
        for r in truth["malformed"].itertuples()
    }
    assert got == planted
    sources = truth["sources"].set_index("source")
    for name, s in ingested.manifest["sources"].items():
        assert s["rows_read"] == int(sources.loc[name, "rows"]), name
        assert s["rejected"] == int(sources.loc[name, "malformed"]), name
        assert s["duplicates"] == int(sources.loc[name, "duplicates"]), name
        assert s["accepted"] + s["rejected"] == s["rows_read"]


def test_identifiers_normalise_to_the_truth(
    ingested: CaseStore, truth: dict[str, pd.DataFrame]
) -> None:
    numbers = set(truth["phones"]["msisdn"])
    cdr = _query(
        ingested,
        "SELECT caller, callee, caller_valid, callee_valid, imei_valid, imei FROM src_cdr",
    )
    assert cdr["caller_valid"].all() and cdr["callee_valid"].all()
    assert set(cdr["caller"]) | set(cdr["callee"]) <= numbers
    assert cdr.loc[cdr["imei"].notna(), "imei_valid"].all()
    subs = _query(ingested, "SELECT msisdn, msisdn_valid FROM src_subscribers")
    assert subs["msisdn_valid"].all() and set(subs["msisdn"]) == numbers
    accounts = _query(ingested, "SELECT account_id, account_id_valid FROM src_accounts")
    assert accounts["account_id_valid"].all()
    assert set(accounts["account_id"]) == set(truth["accounts"]["account_id"])
    persons = _query(ingested, "SELECT unnest(phones) AS phone FROM src_persons")
    assert set(persons["phone"]) <= numbers


def test_times_and_dates_survive_ingest(ingested: CaseStore, parsed_cdr: ParsedCdr) -> None:
    cdr = _query(ingested, "SELECT source_name, record_id, start FROM src_cdr")
    ours = parsed_cdr.events
    merged = ours.rename(columns={"source": "source_name"}).merge(
        cdr.drop_duplicates(["source_name", "record_id"]), on=["source_name", "record_id"]
    )
    assert len(merged) == len(ours)
    assert (pd.to_datetime(merged["start"], utc=True) == merged["time"]).all()
    dobs = _query(ingested, "SELECT dob FROM src_subscribers WHERE dob IS NOT NULL")
    assert dobs["dob"].str.match(r"^\d{4}(-\d{2}(-\d{2})?)?$").all()
