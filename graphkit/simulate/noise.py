"""Record noise: typos, nicknames, transliterations, swapped names, partial or missing dates of
birth, address variants. Each kind picks an exact number of records (``round(rate x n)``);
name noises are exclusive (a record gets at most one), so each can be checked on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate import names as vocab
from graphkit.simulate.spec import NoiseSpec

__all__ = ["NAME_NOISES", "Identity", "NoiseLedger", "NoisyRecord", "apply_noise", "typo"]

_TRANSLIT = {name: group for group in vocab.TRANSLITERATIONS for name in group}
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
NAME_NOISES = ("transliteration", "nickname", "name_typo", "swapped_name_order")


@dataclass(frozen=True, slots=True)
class Identity:
    """What a record says about someone before noise; ``identity_id`` is a person id (P...) or
    a fake identity (F...); empty names mean an unregistered subscriber."""

    identity_id: str
    first_name: str
    last_name: str
    dob: str  # ISO date or ""
    address: str
    postcode: str
    id_number: str


@dataclass(frozen=True, slots=True)
class NoisyRecord:
    first_name: str
    last_name: str
    dob: str  # ISO, "YYYY", "YYYY-MM" or ""
    address: str
    postcode: str
    noise: tuple[str, ...]


def typo(rng: np.random.Generator, word: str) -> str:
    """One insertion, deletion, substitution or transposition (never the first letter)."""
    for _ in range(20):
        i = int(rng.integers(1, max(2, len(word))))
        op = int(rng.integers(0, 4))
        c = _LETTERS[int(rng.integers(0, 26))]
        if op == 0:
            out = word[:i] + c + word[i:]
        elif op == 1 and len(word) > 3:
            out = word[:i] + word[i + 1 :]
        elif op == 2:
            out = word[:i] + c + word[i + 1 :]
        else:
            out = word[: i - 1] + word[i : i + 1] + word[i - 1 : i] + word[i + 1 :]
        if out.lower() != word.lower() and len(out) > 1:
            return out
    return word + "e"


def _choose(rng: np.random.Generator, rate: float, base: int, eligible: np.ndarray) -> np.ndarray:
    k = min(round(rate * base), eligible.size)
    return rng.choice(eligible, size=k, replace=False) if k else eligible[:0]


def _address_variant(rng: np.random.Generator, address: str, postcode: str) -> tuple[str, str]:
    kind = int(rng.integers(0, 4))
    if kind == 0:
        words = address.split(" ")
        words[-1] = vocab.STREET_ALIASES.get(words[-1], words[-1])
        return " ".join(words), postcode
    if kind == 1:
        return f"Flat {int(rng.integers(1, 12))}, {address}", postcode
    if kind == 2:
        return address.upper(), postcode.replace(" ", "")
    return address, ""


def apply_noise(
    identities: list[Identity], noise: NoiseSpec, rng: np.random.Generator
) -> list[NoisyRecord]:
    """Noisy copies of ``identities`` (same order). Rates are shares of the records that hold
    the field: name noises of named records, dob noises of records with a date of birth,
    address variants of records with an address; unregistered identities stay empty."""
    n = len(identities)
    first = [i.first_name for i in identities]
    last = [i.last_name for i in identities]
    dob = [i.dob for i in identities]
    address = [i.address for i in identities]
    postcode = [i.postcode for i in identities]
    tags: list[list[str]] = [[] for _ in range(n)]
    named = np.array([bool(f) for f in first], dtype=bool)
    free = named.copy()

    def pick(rate: float, ok: np.ndarray) -> np.ndarray:
        chosen = _choose(rng, rate, int(named.sum()), np.flatnonzero(free & ok))
        free[chosen] = False
        return np.sort(chosen)

    has_nick = np.array([f in vocab.NICKNAMES for f in first], dtype=bool)
    has_translit = np.array(
        [f in _TRANSLIT or s in _TRANSLIT for f, s in zip(first, last, strict=True)]
    )
    for i in pick(noise.transliteration, has_translit):
        field = first if first[i] in _TRANSLIT else last
        options = [x for x in _TRANSLIT[field[i]] if x != field[i]]
        field[i] = options[int(rng.integers(0, len(options)))]
        tags[i].append("transliteration")
    for i in pick(noise.nickname, has_nick):
        nicks = vocab.NICKNAMES[first[i]]
        first[i] = nicks[int(rng.integers(0, len(nicks)))]
        tags[i].append("nickname")
    for i in pick(noise.name_typo, np.ones(n, dtype=bool)):
        if rng.random() < 0.5:
            first[i] = typo(rng, first[i])
        else:
            last[i] = typo(rng, last[i])
        tags[i].append("name_typo")
    for i in pick(noise.swapped_name_order, np.ones(n, dtype=bool)):
        first[i], last[i] = last[i], first[i]
        tags[i].append("swapped_name_order")

    has_dob = np.array([bool(d) for d in dob], dtype=bool)
    base = int(has_dob.sum())
    missing = _choose(rng, noise.dob_missing, base, np.flatnonzero(has_dob))
    rest = np.setdiff1d(np.flatnonzero(has_dob), missing)
    partial = _choose(rng, noise.dob_partial, base, rest)
    for i in missing:
        dob[i] = ""
        tags[i].append("dob_missing")
    for i in partial:
        dob[i] = dob[i][:4] if rng.random() < 0.5 else dob[i][:7]
        tags[i].append("dob_partial")
    has_address = np.array([bool(a) for a in address], dtype=bool)
    eligible = np.flatnonzero(has_address)
    for i in _choose(rng, noise.address_variant, eligible.size, eligible):
        address[i], postcode[i] = _address_variant(rng, address[i], postcode[i])
        tags[i].append("address_variant")
    return [
        NoisyRecord(first[i], last[i], dob[i], address[i], postcode[i], tuple(tags[i]))
        for i in range(n)
    ]


class NoiseLedger:
    """Counts of planted noise per source and kind, with the base each rate is a share of."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], list[int]] = {}

    def count(self, source: str, kind: str, planted: int, base: int) -> None:
        entry = self.counts.setdefault((source, kind), [0, 0])
        entry[0] += planted
        entry[1] += base

    def add(self, source: str, identities: list[Identity], records: list[NoisyRecord]) -> None:
        named = sum(1 for i in identities if i.first_name)
        with_dob = sum(1 for i in identities if i.dob)
        with_address = sum(1 for i in identities if i.address)
        bases = dict.fromkeys(NAME_NOISES, named)
        bases |= {"dob_missing": with_dob, "dob_partial": with_dob}
        bases["address_variant"] = with_address
        for kind, base in bases.items():
            planted = sum(1 for r in records if kind in r.noise)
            self.count(source, kind, planted, base)
