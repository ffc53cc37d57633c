"""Identifiers: UK mobile and landline numbers, IMEIs (Luhn-valid), IMSIs.

Numbers are drawn at random and kept only where ``phonenumbers`` says they are valid, so the
truth's E.164 strings equal what ingest normalises them to.
"""

from __future__ import annotations

import numpy as np

__all__ = ["imeis", "imsis", "landline_numbers", "mobile_numbers", "phone_variants"]

_TACS = np.array(
    [35332510, 35875609, 35391110, 35290611, 86754603, 35925406, 35674108, 35160912], np.int64
)


def _valid_unique(rng: np.random.Generator, prefix: str, digits: int, n: int) -> np.ndarray:
    """Distinct valid numbers ``prefix`` + ``digits`` random digits, in draw order.

    UK numbering plans decide validity on the leading digits for a fixed length, so validity
    is checked once per five-digit block with ``phonenumbers`` and cached."""
    import phonenumbers

    block_digits = 5 - (len(prefix) - 3)  # national digits in a block beyond the prefix
    valid_block: dict[int, bool] = {}
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < n:
        batch = rng.integers(0, 10**digits, size=int((n - len(found)) * 1.2) + 16)
        for value in batch:
            block = int(value) // 10 ** (digits - block_digits)
            if block not in valid_block:
                sample = f"{prefix}{int(value):0{digits}d}"
                valid_block[block] = phonenumbers.is_valid_number(phonenumbers.parse(sample))
            number = f"{prefix}{int(value):0{digits}d}"
            if not valid_block[block] or number in seen:
                continue
            seen.add(number)
            found.append(number)
            if len(found) == n:
                break
    return np.array(found, dtype=object)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid UK mobile numbers in E.164 (+447...)."""
    return _valid_unique(rng, "+447", 9, n)


def landline_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid Manchester landline numbers in E.164 (+44161...)."""
    return _valid_unique(rng, "+44161", 7, n)


def phone_variants(e164: np.ndarray) -> np.ndarray:
    """Six written forms of each UK number, shape (n, 6):
    ``+44 7700 900123``, ``07700 900123``, ``07700900123``, ``0044 7700 900123``,
    ``447700900123``, ``+447700900123``."""
    out = np.empty((len(e164), 6), dtype=object)
    for i, number in enumerate(e164):
        national = str(number)[3:]
        head, tail = (
            (national[:4], national[4:]) if national[0] == "7" else (national[:3], national[3:])
        )
        out[i] = (
            f"+44 {head} {tail}",
            f"0{head} {tail}",
            f"0{national}",
            f"0044 {head} {tail}",
            f"44{national}",
            f"+44{national}",
        )
    return out


def imeis(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct 15-digit IMEIs: a type allocation code, a serial and the Luhn digit."""
    serial = rng.choice(1_000_000, size=n, replace=n > 1_000_000)
    body = _TACS[rng.integers(0, _TACS.size, n)] * 1_000_000 + serial
    digits = (
        body[:, None] // 10 ** np.arange(13, -1, -1)
    ) % 10  # 14 digits, most significant first
    doubled = digits[:, 1::2] * 2  # Luhn doubles every second digit from the right of the body
    total = digits[:, 0::2].sum(axis=1) + (doubled // 10 + doubled % 10).sum(axis=1)
    check = (10 - total % 10) % 10
    return np.char.mod("%015d", body * 10 + check).astype(object)


def imsis(rng: np.random.Generator, mnc: np.ndarray) -> np.ndarray:
    """IMSIs under MCC 234 (UK) with the given two-digit network codes."""
    tail = rng.choice(10**10, size=len(mnc), replace=False)
    return np.char.add(np.char.mod("234%02d", mnc), np.char.mod("%010d", tail)).astype(object)
