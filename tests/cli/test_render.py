"""How `graphkit show` lays results out for people (tables) and scripts (JSON)."""

from __future__ import annotations

import json
from unittest.mock import patch

import pytest
from rich.console import Console

from graphkit.cli._common import console, render
from graphkit.views import format_number


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


def test_a_measure_not_computed_is_null_in_json_and_blank_in_a_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """NaN (a q-value of a community that was not tested) is no JSON: strict readers
    (JavaScript's JSON.parse, jq) refuse the whole document. It is written as null, nested
    values too, and left blank in a table."""
    nan = float("nan")
    import numpy as np
    import pandas as pd

    rows = [
        {
            "community": "C13",
            "q_value": nan,
            "evidence": {"effect": nan, "runs": [1.0, nan]},
            "other": [np.float32("nan"), pd.NA, np.int64(3)],
        }
    ]
    render(rows, json_output=True, title="communities")

    def refuse(word: str) -> None:
        raise AssertionError(f"{word} in JSON")

    (row,) = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert row["q_value"] is None and row["evidence"] == {"effect": None, "runs": [1.0, None]}
    assert row["other"] == [None, None, 3]  # numpy and pandas missing values too
    with console.capture() as cap:
        render([{"community": "C13", "q_value": nan}], json_output=False, title="communities")
    assert "nan" not in cap.get().lower() and "C13" in cap.get()


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


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.9996, "0.9996"),
        (0.99951, "0.9995"),
        (0.999, "0.999"),
        (0.99999999624, "1-3.8e-09"),
        (1.0, "1"),
        (0.5, "0.5"),
        (0.123456, "0.123"),
        (8.094428453318024e-08, "8.09e-08"),
        (0.00498, "0.00498"),
        (0.0005, "5.00e-04"),
        (1621.7260402746153, "1622"),
        (143.15, "143"),
        (12.345, "12.3"),
        (0.0, "0"),
        (-0.9996, "-0.9996"),
    ],
)
def test_numbers_have_three_significant_digits_and_scientific_when_small(
    value: float, shown: str
) -> None:
    assert format_number(value) == shown


def test_a_value_below_one_never_reads_as_one() -> None:
    values = [1 - 10.0**-k for k in range(1, 17)] + [1 - k * 1e-5 for k in range(1, 200)]
    for v in values:
        if v >= 1:
            continue
        text = format_number(v)
        assert text != "1" and not text.startswith("1.0"), (v, text)
        if not text.startswith("1-"):
            assert float(text) < 1, (v, text)
        else:
            assert 0 < float(text.removeprefix("1-")) <= 1e-4


def test_tables_never_print_1_for_0_9996_and_say_what_the_limit_left_out() -> None:
    with console.capture() as cap:
        render([{"id": "H1", "score": 0.9996}], json_output=False, title="handoffs", not_shown=233)
    out = cap.get()
    assert "0.9996" in out and "│ 1 " not in out
    assert "… 233 more not shown (--limit 0 shows all)" in out


def test_actors_are_shown_by_name_beside_a_short_id_and_phones_beside_their_holder() -> None:
    row = {
        "actor_id": "Pd83a41d2f48f74fb",
        "name": "Matthew Ward",
        "phones": ["+447243392978"],
        "superior": "+447207676311",
        "superior_name": "+447207676311",
        "superior_phones": ["+447207676311"],
        "old": "+447243392978",
        "old_name": "Matthew Ward",
        "old_phones": ["+447243392978"],
        "old_actor": "Pd83a41d2f48f74fb",
        "members": ["Pd83a41d2f48f74fb", "N47"],
        "members_names": ["Matthew Ward", "N47"],
        "members_phones": [["+447243392978"], []],
    }
    with console.capture() as cap:
        render([row, row], json_output=False, title="leaders")
    out = cap.get()
    assert "Matthew Ward (Pd83a41d…)" in out and "Matthew Ward (+447243392978)" in out
    assert "Matthew Ward (Pd83a41d…), N47" in out
    header = out.splitlines()[2]
    for helper in ("name", "superior_name", "old_actor", "members_names", "members_phones"):
        assert f" {helper} " not in header
    assert " phones " in header  # the row's own actor keeps its phones


def test_scores_read_the_same_in_neo4j_captions() -> None:
    """score_text_sql (what publish writes for Browser captions) equals format_number on
    scores across [0, 1]: uniform draws, values just below 1 and small ones."""
    import duckdb
    import numpy as np
    import pandas as pd

    from graphkit.views import format_number, score_text_sql

    rng = np.random.default_rng(0)
    values = [0.0, 1.0, 0.5, 0.99995, 0.9999, 0.99962, 0.0009, 0.001, 1.23e-5]
    values += [*rng.random(1000), *(1 - rng.random(300) * 1e-3), *(rng.random(300) * 1e-2)]
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"v": [float(v) for v in values]}))
    rows = con.execute(f"SELECT v, {score_text_sql('v')} FROM t").fetchall()
    assert [s for _, s in rows] == [format_number(v) for v, _ in rows]
    assert dict(rows)[0.99995] == "1-5.0e-05"


def test_a_wide_table_fits_the_terminal_keeps_ids_whole_and_names_what_it_left_out() -> None:
    rows = [
        {
            "actor_id": f"P{i}3c67e49820c002a",
            "name": f"Person Number{i}",
            "phones": ["+447700900123", "+447700900456"],
            **{f"measure_{k}": 0.123 * (k + 1) for k in range(12)},
        }
        for i in range(3)
    ]
    narrow = Console(width=100, record=True)
    with patch("graphkit.cli._common.console", narrow), narrow.capture() as cap:
        render(rows, json_output=False, title="leaders")
    out = cap.get()
    assert max(len(line) for line in out.splitlines()) <= 100
    for i in range(3):
        assert f"Person Number{i} (P{i}3c67e4…)" in out  # on one line, not folded
    assert "+447700900123, +447700900456" in out
    header = next(line for line in out.splitlines() if "┃" in line)
    shown = [k for k in range(12) if f" measure_{k} " in header]
    left = out.split("not shown: ", 1)[1].split(" (use --json)", 1)[0].split(", ")
    assert shown and left and {f"measure_{k}" for k in shown}.isdisjoint(left)
    assert len(shown) + len(left) == 12


@pytest.mark.parametrize(("columns", "width"), [("100", 100), ("", 160), ("x", 160)])
def test_piped_output_takes_its_width_from_columns(columns: str, width: int) -> None:
    """Piped output is 160 columns wide unless the user sets COLUMNS (the reviewer's
    `COLUMNS=100 graphkit show ... | less` stayed at 160)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TERMINAL_WIDTH")}
    if columns:
        env["COLUMNS"] = columns
    out = subprocess.run(
        [sys.executable, "-c", "from graphkit.cli._common import console; print(console.width)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert int(out) == width


@pytest.mark.parametrize("width", [80, 140])
def test_an_explanation_without_room_beside_long_names_follows_the_table(width: int) -> None:
    """Names kept whole ("X, registered as Y (+44...)") leave a narrow terminal no room for
    the explanation: it follows the table in full, never left out or folded a few words a
    line."""
    text = "stopped after 2024-01-21 22:06 UTC; the new number started 22.7 h later; " * 3
    rows = [
        {
            "id": "Hfc74b9e83a3b",
            "old": "+447953241440",
            "old_name": "Priya Nowak, registered as Ellie Carter",
            "new": "+447143489777",
            "new_name": "Priya Nowak",
            "score": 0.99,
            "explanation": text.strip(),
        }
    ]
    term = Console(width=width, record=True)
    with patch("graphkit.cli._common.console", term), term.capture() as cap:
        render(rows, json_output=False, title="pending handoffs")
    out = cap.get()
    assert max(len(line) for line in out.splitlines()) <= width
    assert "explanation" not in out.split("\n", 3)[2]  # not a column of the table
    after = " ".join(out.split("┘", 1)[1].split())
    if after.startswith("not shown:"):  # at 80 columns the score is left out too (said so)
        after = after.split(" (use --json) ", 1)[1]
    assert after.startswith("Hfc74b9e83a3b: stopped after") and text.split(";")[1] in after
    wide = Console(width=400, record=True)
    with patch("graphkit.cli._common.console", wide), wide.capture() as cap:
        render(rows, json_output=False, title="pending handoffs")
    assert "┃ explanation" in cap.get()  # room enough: beside the names
