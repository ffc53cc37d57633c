"""What commands say: truth ids labelled as truth in `evaluate`'s tables, not as case ids;
`simulate` into a folder that is not empty names the option that replaces it."""

from __future__ import annotations

from pathlib import Path

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


def test_simulate_into_a_folder_that_is_not_empty_names_the_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from graphkit.cli.app import app

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    args = ["simulate", str(tmp_path), "--people", "100", "--days", "14", "--groups", "1"]
    done = CliRunner().invoke(app, args)
    said = str(done.exception)  # main() prints it on one line and exits 2
    assert done.exit_code != 0 and "is not empty" in said and "--overwrite" in said
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (tmp_path / "sources").exists()
