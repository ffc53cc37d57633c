"""Normalisation of identifiers: phone numbers, IBANs, IMEIs.

Each function maps one raw value to ``(normalised, valid)``. Invalid values are returned
verbatim (stripped) with ``valid=False``: outputs keep the identifiers the user gave. The ingest
pipeline calls these on the *distinct* values of a column only, then joins the result back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import phonenumbers
from phonenumbers.phonemetadata import PhoneMetadata
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

__all__ = [
    "luhn_valid",
    "normalise_iban",
    "normalise_imei",
    "normalise_phone",
    "normalise_values",
]

_PHONE_CHARS = re.compile(r"^[+\d(][\d\s().\-/]*$")
_IMEI_SEP = re.compile(r"[\s\-/.]")


def normalise_phone(raw: str, *, default_region: str = "GB") -> tuple[str, bool]:
    """E.164 for a valid number (``+44 7700 900123``, ``0044...``, ``07...``), else verbatim.

    Short codes, names and other non-numbers ("200", "N14") come back unchanged and invalid.
    """
    value = raw.strip()
    if not value or not _PHONE_CHARS.match(value):
        return value, False
    candidate = value
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return value, False
    if not phonenumbers.is_valid_number(parsed):
        return value, False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), True


def normalise_iban(raw: str) -> tuple[str, bool]:
    """Compact upper-case IBAN when valid (checksum, length, country), else verbatim."""
    value = raw.strip()
    if not value:
        return value, False
    try:
        return str(IBAN(value).compact), True
    except (SchwiftyException, ValueError):
        return value, False


def luhn_valid(digits: str) -> bool:
    """Luhn check digit test (ISO/IEC 7812), as used by IMEIs."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalise_imei(raw: str) -> tuple[str, bool]:
    """Digits of an IMEI with separators removed; valid = 15 digits with a correct check digit.

    A 14-digit IMEI (no check digit) or a 16-digit IMEISV is kept as given and invalid.
    """
    value = raw.strip()
    digits = _IMEI_SEP.sub("", value)
    if not digits.isdigit():
        return value, False
    return digits, len(digits) == 15 and luhn_valid(digits)


_SEPARATORS = re.compile(r"[\s\-./]")


def _phone_key_maker(default_region: str) -> Callable[[str], str]:
    """A cheap canonical key so that one number written many ways is parsed once.

    Separators are dropped, a leading 00 becomes +, and where the region's trunk prefix is a
    plain prefix (GB, DE, FR: "0") a national number gets the country code instead. Only valid
    results are taken from the key; anything else is parsed again from the raw value, so the
    key never changes an outcome.
    """
    meta = PhoneMetadata.metadata_for_region(default_region.upper())
    trunk = meta.national_prefix if meta is not None else None
    parsing = meta.national_prefix_for_parsing if meta is not None else None
    simple_trunk = bool(trunk) and (parsing is None or parsing.split("|")[0] == trunk)
    country = f"+{meta.country_code}" if meta is not None else ""

    def key(raw: str) -> str:
        k = _SEPARATORS.sub("", raw.strip())
        if k.startswith("00"):
            return "+" + k[2:]
        if simple_trunk and trunk and k.startswith(trunk) and k[len(trunk) :].isdigit():
            return country + k[len(trunk) :]
        return k

    return key


def _normalise_phones(values: Iterable[str], default_region: str) -> list[tuple[str, str, bool]]:
    key = _phone_key_maker(default_region)
    by_key: dict[str, tuple[str, bool]] = {}
    out = []
    for raw in values:
        if not _PHONE_CHARS.match(raw.strip()):  # not number-shaped: kept verbatim, invalid
            out.append((raw, raw.strip(), False))
            continue
        k = key(raw)
        if k not in by_key:
            by_key[k] = normalise_phone(k, default_region=default_region)
        norm, valid = by_key[k]
        if not valid:
            norm, valid = normalise_phone(raw, default_region=default_region)
        out.append((raw, norm, valid))
    return out


def normalise_values(
    kind: str, values: Iterable[str], *, default_region: str = "GB"
) -> list[tuple[str, str, bool]]:
    """(raw, normalised, valid) for each distinct raw value; ``kind`` is phone, account or imei."""
    if kind == "phone":
        return _normalise_phones(values, default_region)
    out = []
    for raw in values:
        if kind == "account":
            norm, valid = normalise_iban(raw)
        elif kind == "imei":
            norm, valid = normalise_imei(raw)
        else:
            raise ValueError(f"no identifier normaliser for {kind!r}")
        out.append((raw, norm, valid))
    return out
