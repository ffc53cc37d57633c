"""The CSV formula guard: formulas (fullwidth forms included) are neutralised, numbers are not."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphkit.export.files import neutralise_cell
from graphkit.export.formats import _csv

NEUTRALISED = [
    "=SUM(A1:A9)",
    "＝SUM(A1:A9)",  # fullwidth equals sign
    "＋1+cmd|' /C calc'!A0",  # fullwidth plus
    "－2+3",  # fullwidth hyphen-minus
    "＠SUM(A1)",  # fullwidth commercial at
    "﹦1+1",  # small equals sign (compatibility form)
    "@SUM(A1)",
    "+1+cmd|' /C calc'!A0",
    "-cmd|' /C calc'!A0",
    "-2+3",
    "+",
    "-",
    "+44 7700 900123 =1",
    "\t=1+1",
    "\r=1+1",
    "\tplain text after a tab",
    "  =1+1",
    "\u3000=1+1",  # ideographic space, then a formula
    '=HYPERLINK("http://x","y")',
    "=cmd|'/c notepad'!'A1'",
    "-1e10",
    "+0x1F",
    "+447700900123; =1+1",  # a list whose second item is a formula
    "+447700900123;+1",  # not the exports' list separator
    "+447700900123; SUM(A1)",
]

UNCHANGED = [
    "+447700900123",
    "+44 7700 900123",
    "+44 7700.900.123",
    "+447700900123; +447700900124",  # an actor's phones as the exports join them
    "-5; 7",
    "-5",
    "+5",
    "-0.25",
    "12345",
    "447700900123",
    "Anna Rossi",
    "O'Brien",
    "a=b",
    "x-ray",
    "",
    " leading space",
    "e-mail@example.org",
]


@pytest.mark.parametrize("cell", NEUTRALISED)
def test_formulas_are_neutralised(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", UNCHANGED)
def test_numbers_phones_and_text_are_unchanged(cell: str) -> None:
    assert neutralise_cell(cell) == cell


_PLAIN = r"[+-]?[0-9][0-9 .]*"
_PLAIN_LIST = rf"{_PLAIN}(; {_PLAIN})*"  # an actor's phones, as the exports join them


def _danger(cell: str) -> bool:
    """The rule, restated: NFKC, then a tab/CR first, or (after leading whitespace) = or @,
    or + / - that does not start a plain number."""
    folded = unicodedata.normalize("NFKC", cell)
    if folded.startswith(("\t", "\r")):
        return True
    head = folded.lstrip()
    if head.startswith(("\t", "\r", "=", "@")):
        return True
    return head.startswith(("+", "-")) and not re.fullmatch(_PLAIN_LIST, head.rstrip())


_alphabet = st.sampled_from(list("=+-@\t\r ＝＋－＠\u3000﹦﹢﹣0123456789.aZ|'(!;"))


@given(st.one_of(st.text(), st.text(alphabet=_alphabet, max_size=8)))
def test_guard_property(text: str) -> None:
    cell = neutralise_cell(text)
    assert cell == ("'" + text if _danger(text) else text)
    # what a spreadsheet sees never starts a formula, unless it is a plain signed number
    seen = unicodedata.normalize("NFKC", cell).lstrip()
    if seen.startswith(("=", "@", "+", "-")):
        assert re.fullmatch(_PLAIN_LIST, seen.rstrip()) and cell == text


def test_csv_round_trip_keeps_phones_and_neutralises_formulas() -> None:
    rows: list[dict[str, Any]] = [
        {"id": "p1", "phone": "+447700900123", "name": "＝SUM(A1)", "n": -5},
        {"id": "p2", "phone": "-5", "name": "-cmd|' /C calc'!A0", "n": 3},
        {"id": "p3", "phone": "+44 7700 900123", "name": "Anna", "n": None},
    ]
    data = _csv(rows, ["id", "phone", "name", "n"]).decode("utf-8")
    got = list(csv.DictReader(io.StringIO(data, newline="")))
    assert [r["phone"] for r in got] == ["+447700900123", "-5", "+44 7700 900123"]
    assert [r["name"] for r in got] == ["'＝SUM(A1)", "'-cmd|' /C calc'!A0", "Anna"]
    assert [r["n"] for r in got] == ["-5", "3", ""]
