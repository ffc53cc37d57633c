"""A phone whose silence a hand-off explains is shown as moved, not as a silent person: in
`show blackouts`, the actor card and the report, a hand-off nobody reviewed as "likely" with
its review id and score (never rounded to 1), a confirmed one as moved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from graphkit.cli._common import console
from graphkit.cli.app import app
from graphkit.hypotheses import decide_hypothesis
from graphkit.report.stage import write_report
from graphkit.store import CaseStore
from graphkit.views import get_view

_SCORE = 1 - 2.6e-05  # rounds to 1 at four decimals


def _explained(store: CaseStore) -> dict[str, Any]:
    rows = get_view("blackouts")(store, limit=None)
    found = [r for r in rows if "explained_by_handoff" in r["evidence"]]
    assert found, "the simulated case has a phone silence explained by a hand-off"
    return dict(found[0])


def _set_score(store: CaseStore, old: str, new: str, score: float) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "UPDATE rel_same_user_as SET score = ? WHERE src = ? AND dst = ?", [score, old, new]
        )


def _report_row(store: CaseStore, path: Path, phone: str) -> str:
    text = write_report(store, out=path, fmt="md").path.read_text(encoding="utf-8")
    table = text[text.index("| kind | who | from |") :]
    return next(
        line
        for line in table.splitlines()
        if line.startswith("| phone | ") and phone in line.split(" | ")[1]
    )


def test_an_unreviewed_hand_off_is_likely_with_its_id_and_score(
    report_case: CaseStore, tmp_path: Path
) -> None:
    row = _explained(report_case)
    handoff = row["evidence"]["explained_by_handoff"]
    old, new, hid = row["id"], handoff["new"], handoff["id"]
    _set_score(report_case, old, new, _SCORE)
    row = _explained(report_case)
    handoff = row["evidence"]["explained_by_handoff"]
    assert handoff["status"] == "hypothesis" and handoff["score"] == _SCORE
    assert row["came_back"].startswith(f"likely moved to {new}")
    assert f"hand-off {hid}, score 1-2.6e-05)" in row["came_back"]
    assert f"(hypothesis {hid}, score 1-2.6e-05, not reviewed;" in row["explanation"]
    assert "may have gone on with the new number" in row["explanation"]
    # the actor card of the old number's user, as a table reads it and as JSON
    card = get_view("actor")(report_case, query=old)[0]
    shown = next(b for b in card["blackouts"] if b["id"] == old and b["kind"] == "phone")
    assert "score 1-2.6e-05" in shown["explanation"] and "score 1," not in shown["explanation"]
    assert "1-2.6e-05" in shown["came_back"]
    assert json.loads(json.dumps(row, default=str))["evidence"]["explained_by_handoff"][
        "score"
    ] == (_SCORE)
    # the report: not "no", and the table's q-value at three digits
    line = _report_row(report_case, tmp_path / "r.md", old)
    assert f"| likely moved to {new}" in line and f"hand-off {hid}, score 1-2.6e-05) |" in line
    assert not line.endswith("| no |")


def test_a_confirmed_hand_offs_old_number_is_shown_as_moved(
    report_case: CaseStore, tmp_path: Path
) -> None:
    row = _explained(report_case)
    old, hid = row["id"], row["evidence"]["explained_by_handoff"]["id"]
    new = row["evidence"]["explained_by_handoff"]["new"]
    decide_hypothesis(report_case, hid, decision="accept", actor="analyst1")
    row = _explained(report_case)
    assert row["came_back"].startswith(f"moved to {new} (")
    assert row["came_back"].endswith(f"confirmed hand-off {hid})")
    assert f"confirmed by analyst1 ({hid}," in row["explanation"]
    assert "the user went on with the new number" in row["explanation"]
    line = _report_row(report_case, tmp_path / "r.md", old)
    assert f"| moved to {new}" in line and f"confirmed hand-off {hid}) |" in line


def test_actors_joined_by_an_unreviewed_hand_off_say_so(report_case: CaseStore) -> None:
    rows = get_view("blackouts")(report_case, limit=None)
    joined = [r for r in rows if r["kind"] != "phone" and r["evidence"].get("handoffs")]
    assert joined
    for r in joined:
        for h in r["evidence"]["handoffs"]:
            assert h["id"] in r["explanation"]
            if h["status"] == "hypothesis":
                assert f"{h['id']} (hypothesis, score " in r["explanation"]


def test_show_blackouts_says_came_back_in_words_and_json_keeps_ended(
    report_case: CaseStore,
) -> None:
    case = str(report_case.path)
    width = console.width
    console.width = 400  # every column fits: the test reads which ones the table has
    try:
        table = CliRunner().invoke(app, ["show", case, "blackouts", "--limit", "0"])
    finally:
        console.width = width
    assert table.exit_code == 0, table.output
    header = next(line for line in table.stdout.splitlines() if "kind" in line and "id" in line)
    assert "came_back" in header and "ended" not in header
    assert "likely moved to" in table.stdout
    out = CliRunner().invoke(app, ["show", case, "blackouts", "--json"])
    rows = json.loads(out.stdout)
    assert all(isinstance(r["ended"], bool) and r["came_back"] for r in rows)


def test_a_rejected_hand_off_neither_explains_nor_joins_on_the_next_run(
    report_case: CaseStore,
) -> None:
    """A reviewer's rejection holds when blackouts are computed again: the old number's
    silence is no longer explained by that hand-off, and no actor or group row joins its two
    numbers (the detector still proposes it; the review overrides)."""
    from graphkit.signals.stage import detect_blackouts_in_case

    row = _explained(report_case)
    handoff = row["evidence"]["explained_by_handoff"]
    old, new, hid = row["id"], handoff["new"], handoff["id"]
    decide_hypothesis(report_case, hid, decision="reject", actor="reviewer")
    detect_blackouts_in_case(report_case)
    rows = get_view("blackouts")(report_case, limit=None)
    for r in rows:
        explained = r["evidence"].get("explained_by_handoff") or {}
        assert (explained.get("old"), explained.get("new")) != (old, new)
        joined = [(h.get("old"), h.get("new")) for h in r["evidence"].get("handoffs") or []]
        assert (old, new) not in joined
