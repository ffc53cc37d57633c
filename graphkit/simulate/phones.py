"""Identifiers: UK mobile and landline numbers, IMEIs (Luhn-valid), IMSIs, GB IBANs.

Numbers are drawn at random and kept only where ``phonenumbers`` says they are valid, so the
truth's E.164 strings equal what ingest normalises them to.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "gb_ibans",
    "imeis",
    "imsis",
    "landline_numbers",
    "mobile_numbers",
    "phone_variants",
]

_TACS = np.array(
    [35332510, 35875609, 35391110, 35290611, 86754603, 35925406, 35674108, 35160912], np.int64
)


def _valid_unique(
    rng: np.random.Generator, prefix: str, digits: int, n: int, *, block_digits: int
) -> np.ndarray:
    """Distinct valid numbers ``prefix`` + ``digits`` random digits, in draw order.

    Numbers come from allocated blocks (the first ``block_digits`` random digits), as real
    numbers do. Each block is checked with ``phonenumbers`` (three samples) against the GB plan
    only: its patterns are decided by the leading six national digits at most, so a block of
    five digits after +447 (or three after +44161) holds only valid numbers. Blocks starting 0
    or 6 are skipped: after +447 they hold personal numbers and pagers. The tests check every
    number."""
    import phonenumbers

    tail = 10 ** (digits - block_digits)
    n_blocks = int(np.clip(n // 200, 20, 2000))
    blocks: list[int] = []
    first_digit = 10 ** (block_digits - 1)
    for block in rng.permutation(10**block_digits).tolist():
        if block // first_digit in (0, 6):
            continue
        samples = block * tail + rng.integers(0, tail, 3)
        if all(
            phonenumbers.is_valid_number_for_region(
                phonenumbers.parse(f"{prefix}{int(v):0{digits}d}"), "GB"
            )
            for v in samples
        ):
            blocks.append(block)
            if len(blocks) == n_blocks:
                break
    found: list[str] = []
    seen: set[str] = set()
    while len(found) < n:
        k = int((n - len(found)) * 1.1) + 16
        values = np.asarray(blocks)[rng.integers(0, len(blocks), k)] * tail + rng.integers(
            0, tail, k
        )
        for value in values.tolist():
            number = f"{prefix}{value:0{digits}d}"
            if number not in seen:
                seen.add(number)
                found.append(number)
                if len(found) == n:
                    break
    return np.array(found, dtype=object)


def mobile_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid UK mobile numbers in E.164 (+447...)."""
    return _valid_unique(rng, "+447", 9, n, block_digits=5)


def landline_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct valid Manchester landline numbers in E.164 (+44161...)."""
    return _valid_unique(rng, "+44161", 7, n, block_digits=3)


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


def gb_ibans(rng: np.random.Generator, bank_codes: list[str], n: int) -> list[str]:
    """``n`` distinct GB IBANs (bank code, six-digit sort code, eight-digit account).

    The ISO 13616 mod-97 check digits are computed here rather than with
    ``schwifty.IBAN.generate``, which costs about 250 us an IBAN in registry lookups; the
    tests validate every generated IBAN with schwifty."""
    bank = rng.integers(0, len(bank_codes), n)
    sort_code = rng.integers(100_000, 1_000_000, n)
    account = rng.choice(100_000_000, size=n, replace=False)
    out = []
    for b, s, a in zip(bank.tolist(), sort_code.tolist(), account.tolist(), strict=True):
        bban = f"{bank_codes[b]}{s:06d}{a:08d}"
        numeric = "".join(str(int(ch, 36)) for ch in bban + "GB00")
        out.append(f"GB{98 - int(numeric) % 97:02d}{bban}")
    return out
