"""`graphkit evaluate`'s tables: truth ids are labelled as truth, not shown as case ids."""

from __future__ import annotations

from graphkit.cli._common import console, render
from graphkit.cli.evaluate import truth_labelled


def test_truth_ids_are_said_to_be_truth_ids() -> None:
    rows = [
        {"group": "G1", "boss": "P000102", "boss_name": "Samuel Wilkinson", "boss_first": True},
        {"group": "G2", "boss": None, "boss_name": None, "boss_first": False},
    ]
    shown = truth_labelled(rows)
    assert shown[0]["boss"] == "Samuel Wilkinson (truth P000102)" and shown[1]["boss"] is None
    assert rows[0]["boss"] == "P000102"  # the input (and --json) keep the plain id
    with console.capture() as captured:
        render(shown, json_output=False, title="analyze", columns=["group", "boss", "boss_first"])
    text = captured.get()
    assert "Samuel Wilkinson (truth P000102)" in text
    assert "(P000102)" not in text
