"""police.uk files ingest as they are: gzip read directly, columns recognised, rows without
coordinates rejected with their reason (counted against a plain read of the file)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from graphkit.errors import InputError
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore
from tests.hotspots.conftest import police_file


def _plain_counts(path: Path) -> tuple[int, int]:
    """(rows, rows with no longitude or latitude) by the csv module."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = sum(1 for r in rows if not r["Longitude"].strip() or not r["Latitude"].strip())
    return len(rows), missing


def test_police_file_ingests_without_mapping(police_case: CaseStore) -> None:
    path = police_file("2018-07")
    rows, missing = _plain_counts(path)
    source = police_case.manifest["sources"]["2018-07-west-yorkshire-street"]
    assert source["rows_read"] == rows == source["accepted"] + source["rejected"]
    assert source["lines"] == rows + 1  # counted in the text, not the compressed bytes
    with police_case.connect() as con:
        reasons = dict(
            con.execute(
                "SELECT error_type, count(*) FROM rejects "
                "WHERE source_name = '2018-07-west-yorkshire-street' GROUP BY 1"
            ).fetchall()
        )
        detail = con.execute(
            "SELECT any_value(detail) FROM rejects WHERE error_type = 'missing_coordinates'"
        ).fetchone()
        first = con.execute(
            "SELECT month, crime_type, location, area_code FROM src_incidents "
            "WHERE source_name = '2018-07-west-yorkshire-street' AND row_number = 1"
        ).fetchone()
    assert reasons == {"missing_coordinates": missing}
    assert detail is not None and "no coordinates" in detail[0]
    assert first == ("2018-07", "Vehicle crime", "On or near Ash Mount", "E01007329")


def test_easting_northing_and_time(tmp_path: Path) -> None:
    text = (
        "id,occurred,easting,northing,offence\n"
        "a,2024-03-01T10:00:00Z,430000,433500,Burglary\n"
        "b,,430010,433510,Burglary\n"
        "c,2024-03-02T11:00:00Z,,,Robbery\n"
    )
    path = tmp_path / "grid.csv"
    path.write_text(text, encoding="utf-8")
    store = CaseStore.init(tmp_path / "case")
    result = ingest_file(store, path, kind="incidents")
    assert (result.accepted, result.rejected) == (1, 2)
    with store.connect() as con:
        errors = sorted(r[0] for r in con.execute("SELECT error_type FROM rejects").fetchall())
    assert errors == ["missing_coordinates", "missing_time"]


def test_damaged_gzip_is_one_line(tmp_path: Path) -> None:
    whole = police_file("2016-07").read_bytes()
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    store = CaseStore.init(tmp_path / "case")
    with pytest.raises(InputError, match="damaged gzip") as exc:
        ingest_file(store, path, kind="incidents")
    assert "\n" not in str(exc.value)


def test_gzip_of_other_text_reads_the_same(tmp_path: Path) -> None:
    text = "occurred,lon,lat\n2024-01-01T00:00:00Z,-1.5,53.8\n2024-01-02T00:00:00Z,-1.6,53.7\n"
    plain, packed = tmp_path / "a.csv", tmp_path / "b.csv.gz"
    plain.write_text(text, encoding="utf-8")
    with gzip.open(packed, "wb") as fh:
        fh.write(text.encode())
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, plain, kind="incidents")
    ingest_file(store, packed, kind="incidents")
    with store.connect() as con:
        got = con.execute(
            "SELECT source_name, list(lon ORDER BY row_number) FROM src_incidents GROUP BY 1 "
            "ORDER BY 1"
        ).fetchall()
    assert got == [("a", [-1.5, -1.6]), ("b", [-1.5, -1.6])]
