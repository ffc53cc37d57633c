"""Identifiers: valid UK numbers whose written forms all normalise back, Luhn-valid IMEIs,
valid IBANs (checked with the libraries and a brute-force Luhn oracle)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from schwifty import IBAN

from graphkit.simulate.phones import imeis, landline_numbers, mobile_numbers, phone_variants


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_numbers_are_valid_and_every_written_form_normalises_back(seed: int) -> None:
    rng = np.random.default_rng(seed)
    numbers = np.concatenate([mobile_numbers(rng, 20), landline_numbers(rng, 5)])
    assert len(set(numbers)) == 25
    for number, forms in zip(numbers, phone_variants(numbers), strict=True):
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))
        for form in forms:
            parsed = phonenumbers.parse(form, "GB")
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 200))
def test_imeis_pass_the_luhn_check(seed: int, n: int) -> None:
    values = imeis(np.random.default_rng(seed), n)
    assert len(set(values)) == n
    assert all(len(v) == 15 and v.isdigit() and _luhn_ok(v) for v in values)


def test_generated_case_identifiers(small_case: Path, truth: dict[str, pd.DataFrame]) -> None:
    for number in truth["phones"]["msisdn"].unique():
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number
    for iban in truth["accounts"]["account_id"]:
        assert IBAN(iban).country_code == "GB"
    imei = pd.concat([truth["swaps"]["old_imei"], truth["swaps"]["new_imei"]])
    assert all(_luhn_ok(v) for v in imei)
    towers = pd.read_csv(small_case / "sources" / "towers.csv")
    assert towers["cell_id"].is_unique
    assert towers["latitude"].between(53.3, 53.7).all()
    assert towers["longitude"].between(-2.6, -1.9).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 300))
def test_ibans_are_valid_for_schwifty(seed: int, n: int) -> None:
    from graphkit.simulate.names import BANKS
    from graphkit.simulate.phones import gb_ibans

    values = gb_ibans(np.random.default_rng(seed), [code for code, _ in BANKS], n)
    assert len(set(values)) == n
    for value in values:
        iban = IBAN(value)  # raises on a wrong check digit
        assert iban.country_code == "GB" and iban.bank_code in dict(BANKS)
