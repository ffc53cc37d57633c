"""Standardisation: names, nicknames, titles, dates of birth, addresses, errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.errors import InputError
from resolution.standardise import STANDARD_COLUMNS, standardise


def _one(**fields: object) -> pd.Series:
    return standardise(pd.DataFrame([{"unique_id": "r1", **fields}])).iloc[0]


def test_names_case_accents_titles_nicknames() -> None:
    row = _one(first_name="  Dr. BILL ", last_name="Ñúñez-García")
    assert row["given"] == "william"
    assert row["surname"] == "nunez garcia"
    assert row["name_concat"] == "william nunez garcia"
    assert row["given_ph"] and row["surname_ph"]


def test_italian_hypocorism_and_comma_full_name() -> None:
    row = _one(full_name="Rossi, Totò")
    assert (row["given"], row["surname"]) == ("salvatore", "rossi")


def test_full_name_with_title_and_ordinal() -> None:
    row = _one(full_name="thomas clifford, 1st baron clifford of chudleigh")
    assert row["given"] == "thomas"
    assert row["surname"] == "chudleigh"
    assert list(row["name_tokens"]) == ["chudleigh", "clifford", "thomas"]


def test_name_tokens_ignore_order() -> None:
    a = _one(first_name="Mario", last_name="Rossi")
    b = _one(full_name="Rossi Mario")
    assert list(a["name_tokens"]) == list(b["name_tokens"]) == ["mario", "rossi"]


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("1971-06-24", "1971-06-24"),
        ("19710624", "1971-06-24"),
        ("24/06/1971", "1971-06-24"),
        ("06/24/1971", "1971-06-24"),  # month first: recognised because 24 > 12
        ("24.06.1971", "1971-06-24"),
        ("1971/6/4", "1971-06-04"),
        ("1971-06", "1971-06"),
        ("1971", "1971"),
        ("19711324", "1971"),  # month 13: year only
        ("19710640", "1971-06"),  # day 40: year and month
        ("not a date", None),
        (None, None),
    ],
)
def test_dob_formats(raw: str | None, iso: str | None) -> None:
    row = _one(first_name="a", dob=raw)
    assert (row["dob"] if pd.notna(row["dob"]) else None) == iso


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_dob_round_trip_over_formats(day: dt.date) -> None:
    formats = [day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%d/%m/%Y")]
    frame = pd.DataFrame({"unique_id": ["a", "b", "c"], "first_name": "x", "dob": formats})
    assert set(standardise(frame)["dob"]) == {day.isoformat()}


def test_postcode_address_ids_and_lists() -> None:
    row = _one(
        first_name="a",
        postcode=" TQ13  8DF",
        address="12 Pinkerton Street",
        id_number="ab-123 456",
        email=" Mario.Rossi@Example.org ",
        phones=["+393331234567", "+393331234567", None],
    )
    assert row["postcode"] == "tq13 8df"
    assert row["postcode_area"] == "tq13"
    assert row["address"] == "12 pinkerton st"
    assert row["id_number"] == "AB123456"
    assert row["email_user"] == "mario.rossi"
    assert list(row["phones"]) == ["+393331234567"]


def test_output_columns_and_order_and_no_mutation() -> None:
    frame = pd.DataFrame({"unique_id": ["b", "a", "c"], "first_name": ["x", "y", "z"]})
    before = frame.copy()
    out = standardise(frame)
    assert list(out.columns) == list(STANDARD_COLUMNS)
    assert list(out["unique_id"]) == ["b", "a", "c"]
    pd.testing.assert_frame_equal(frame, before)


def test_bad_ids_raise_input_error() -> None:
    with pytest.raises(InputError, match="unique_id column"):
        standardise(pd.DataFrame({"first_name": ["x"]}))
    with pytest.raises(InputError, match="duplicate unique_id"):
        standardise(pd.DataFrame({"unique_id": ["a", "a"], "first_name": ["x", "y"]}))
