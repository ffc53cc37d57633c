"""Comparison SQL shortcuts give the results of the SQL they stand in front of, and the
blocking-rule pair counts equal a count of the pairs themselves (issue 21: resolution at 1M
records)."""

from __future__ import annotations

import itertools

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from resolution.comparisons import block_pair_counts, halves_agree_sql

# a small alphabet, so that random pairs are often a few edits apart; one accented letter
_TEXT = st.text(alphabet="abcdé 1-", max_size=9)


@st.composite
def _near_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """A string and a copy with at most one random edit (or an unrelated string)."""
    a = draw(_TEXT)
    kind = draw(st.sampled_from(["same", "sub", "ins", "del", "swap", "other"]))
    i = draw(st.integers(0, max(len(a) - 1, 0)))
    c = draw(st.sampled_from("abcdé 1-"))
    if kind == "sub" and a:
        return a, a[:i] + c + a[i + 1 :]
    if kind == "ins":
        return a, a[:i] + c + a[i:]
    if kind == "del" and a:
        return a, a[:i] + a[i + 1 :]
    if kind == "swap" and len(a) > 1:
        i = min(i, len(a) - 2)
        return a, a[:i] + a[i + 1] + a[i] + a[i + 2 :]
    if kind == "other":
        return a, draw(_TEXT)
    return a, a


@settings(max_examples=60, deadline=None)
@given(st.lists(_near_pairs(), min_size=1, max_size=40))
def test_halves_test_never_changes_a_within_one_edit_level(pairs: list[tuple[str, str]]) -> None:
    frame = pd.DataFrame(pairs, columns=["x_l", "x_r"])
    con = duckdb.connect()
    con.register("p", frame)
    plain = "damerau_levenshtein(x_l, x_r) <= 1"
    rows = con.execute(f"SELECT {plain}, {halves_agree_sql('x')} AND {plain} FROM p").fetchall()
    assert [with_test for _, with_test in rows] == [alone for alone, _ in rows]


def test_halves_test_passes_every_pair_one_edit_apart_exhaustively() -> None:
    """All strings up to length 5 over two letters, against every one-edit variant."""
    con = duckdb.connect()
    words = ["".join(w) for n in range(6) for w in itertools.product("ab", repeat=n)]
    pairs = [(a, b) for a in words for b in words if abs(len(a) - len(b)) <= 1]
    con.register("p", pd.DataFrame(pairs, columns=["x_l", "x_r"]))
    missed = con.execute(
        f"SELECT count(*) FROM p WHERE damerau_levenshtein(x_l, x_r) <= 1"
        f" AND NOT {halves_agree_sql('x')}"
    ).fetchone()
    pruned = con.execute(f"SELECT count(*) FROM p WHERE NOT {halves_agree_sql('x')}").fetchone()
    assert missed == (0,)
    assert pruned is not None and pruned[0] > len(pairs) // 4  # and it does spare work


def test_block_pair_counts_equal_the_pairs_formed() -> None:
    std = pd.DataFrame(
        {
            "given": ["ann", "ann", "ann", "bob", None, "bob"],
            "surname": ["lee", "lee", "lea", "lee", "lee", "lee"],
            "name_tokens": [["ann", "lee"], ["ann", "lee"], ["ann"], None, ["lee"], []],
        }
    )
    counts = block_pair_counts(
        std, [("given", "surname"), ("substr(surname, 1, 1)",), ("name_tokens",)]
    )
    # given + surname: {0, 1}, {3, 5}; the initial l: all six; tokens, once per shared
    # token: ann {0, 1, 2} -> 3 pairs, lee {0, 1, 4} -> 3 pairs
    assert counts == [2, 15, 6]
    # two list columns in one rule would need their cross product, not DuckDB's zip: refused
    with pytest.raises(ValueError, match="one list column"):
        block_pair_counts(std.assign(phones=[["1"]] * 6), [("name_tokens", "phones")])
