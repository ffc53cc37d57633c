from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from graphkit.ingest.identifiers import (
    luhn_valid,
    normalise_iban,
    normalise_imei,
    normalise_phone,
    normalise_values,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7400 123456", "+447400123456"),
        ("0044 7400 123456", "+447400123456"),
        ("07400 123456", "+447400123456"),
        ("07400123456", "+447400123456"),
        ("(07400) 123-456", "+447400123456"),
        ("+447400123456", "+447400123456"),
        ("+39 347 123 4567", "+393471234567"),
        ("0039 347 1234567", "+393471234567"),
    ],
)
def test_phone_formats_normalise_to_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw, default_region="GB") == (expected, True)


@pytest.mark.parametrize("raw", ["200", "N14", "123", "unknown", "+44 12", "07700 900123"])
def test_non_numbers_are_kept_verbatim_and_flagged(raw: str) -> None:
    assert normalise_phone(raw, default_region="GB") == (raw, False)


def test_region_decides_national_numbers() -> None:
    assert normalise_phone("347 123 4567", default_region="IT") == ("+393471234567", True)
    assert normalise_phone("(202) 555-0143", default_region="US") == ("+12025550143", True)


@given(st.text(max_size=30))
def test_phone_normalisation_never_fails_and_keeps_invalid_input(raw: str) -> None:
    norm, valid = normalise_phone(raw, default_region="GB")
    if valid:
        assert norm.startswith("+") and norm[1:].isdigit()
    else:
        assert norm == raw.strip()


def test_iban() -> None:
    assert normalise_iban("GB82 WEST 1234 5698 7654 32") == ("GB82WEST12345698765432", True)
    assert normalise_iban("gb82west12345698765432") == ("GB82WEST12345698765432", True)
    assert normalise_iban("GB82WEST12345698765433") == ("GB82WEST12345698765433", False)
    assert normalise_iban("12345678") == ("12345678", False)


def test_imei_luhn() -> None:
    assert luhn_valid("490154203237518")
    assert not luhn_valid("490154203237519")
    assert normalise_imei("49-015420-323751-8") == ("490154203237518", True)
    assert normalise_imei("49015420323751") == ("49015420323751", False)  # 14 digits
    assert normalise_imei("not an imei") == ("not an imei", False)


@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "+44 7400 123456",
                    "0044 7400 123456",
                    "07400-123-456",
                    "200",
                    "0 7400 123456",
                    "00",
                    "0",
                    "+",
                    "01632 960123",
                    "N14",
                    "+39 347 123 4567",
                    "(07400) 123456",
                    "1800201234",
                ]
            ),
            st.text("0123456789 +-().", max_size=16),
        ),
        max_size=20,
    ),
    st.sampled_from(["GB", "IT", "US", "DE"]),
)
@example([".201000"], "DE")  # separators must not turn a non-number into a number
def test_batch_normalisation_equals_one_by_one(values: list[str], region: str) -> None:
    """The canonical-key cache never changes an outcome."""
    batch = normalise_values("phone", values, default_region=region)
    single = [(v, *normalise_phone(v, default_region=region)) for v in values]
    assert batch == single
