"""How `graphkit show` lays results out for people (tables) and scripts (JSON)."""

from __future__ import annotations

import json

import pytest

from graphkit.cli._common import console, render


def _rows(n_cols: int) -> list[dict[str, object]]:
    extra = {f"measure_{i}": i * 1.5 for i in range(n_cols)}
    return [
        {
            "actor_id": "N47",
            **extra,
            "explanation": "ranks above 27 of 38 other members",
            "evidence": {"members_below": 27},
        }
    ]


def test_json_keeps_everything(capsys: pytest.CaptureFixture[str]) -> None:
    render(_rows(2), json_output=True, title="leaders")
    (row,) = json.loads(capsys.readouterr().out)
    assert row["evidence"] == {"members_below": 27}
    assert row["explanation"].startswith("ranks above")


def test_table_hides_nested_evidence_and_says_so() -> None:
    with console.capture() as cap:
        render(_rows(2), json_output=False, title="leaders")
    out = cap.get()
    assert "members_below" not in out
    assert "not shown: evidence (use --json)" in out
    assert "ranks above 27 of 38 other members" in out


def test_wide_table_puts_explanations_below_keyed_by_first_column() -> None:
    with console.capture() as cap:
        render(_rows(12), json_output=False, title="brokers")
    out = cap.get()
    table, _, after = out.partition("not shown: evidence (use --json)")
    assert "ranks above" not in table
    assert "N47: ranks above 27 of 38 other members" in after


def test_nested_values_stay_when_there_is_no_explanation() -> None:
    with console.capture() as cap:
        render([{"source": "cdr", "counts": {"rows": 3}}], json_output=False, title="sources")
    assert '"rows": 3' in cap.get()


def test_lists_of_records_are_hidden_like_evidence_but_plain_lists_stay() -> None:
    rows = [
        {
            "phone": "+447700900123",
            "persons": [{"person_id": "P1", "records": ["opA:7"]}],
            "phones": ["+447700900123", "+447700900456"],
            "explanation": "used by 2 resolved persons",
        }
    ]
    with console.capture() as cap:
        render(rows, json_output=False, title="shared-phones")
    out = cap.get()
    assert "not shown: persons (use --json)" in out
    assert "opA:7" not in out and "+447700900456" in out


def test_one_record_with_many_fields_is_shown_one_field_per_line() -> None:
    row = {f"setting_{i}": i for i in range(15)} | {"seconds_by_part": {"graph": 0.5}}
    with console.capture() as cap:
        render([row], json_output=False, title="summary")
    lines = cap.get().splitlines()
    assert any("setting_14" in line and line.rstrip(" │").endswith("14") for line in lines)
    assert any('"graph": 0.5' in line for line in lines)
