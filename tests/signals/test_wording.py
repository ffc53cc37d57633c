"""Plain-language explanations of blackout and hand-off rows say what their evidence holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphkit.signals.wording import (
    blackout_explanation,
    came_back,
    handoff_explanation,
    with_handoff_reviews,
)
from graphkit.views import format_number

_START = datetime(2024, 1, 27, 0, 42, tzinfo=UTC)
_END = datetime(2024, 2, 1, 5, 54, tzinfo=UTC)
_HID = "Hb8bcc455aa53"
_SCORE = 1 - 2.6e-05  # rounds to 1 at four decimals


def _item(**extra: Any) -> dict[str, Any]:
    return {
        "id": _HID,
        "old": "+447374253179",
        "new": "+447265155206",
        "score": _SCORE,
        "new_first_event": "2024-01-21T10:24:00+00:00",
        **extra,
    }


def _confirmed(status: str = "confirmed") -> dict[tuple[str, str], dict[str, Any]]:
    return {
        ("+447374253179", "+447265155206"): {
            "id": _HID,
            "status": status,
            "decided_by": "root",
            "score": _SCORE,
        },
        ("+447990357096", "+447462647310"): {
            "id": _HID,
            "status": status,
            "decided_by": "root",
            "score": _SCORE,
        },
    }


def _explained_phone_row(**extra: Any) -> dict[str, Any]:
    return {
        "kind": "phone",
        "id": "+447374253179",
        "start": _START,
        "end": _END,
        "duration_h": 421.4,
        "expected_events": 104.9,
        "p_value": 4.0599863247237673e-17,
        "q_value": 1.4004103707086666e-13,
        "ended": False,
        "evidence": {"explained_by_handoff": _item(**extra)},
    }


def test_a_phone_row_names_its_window_rhythm_and_successor() -> None:
    row = {
        "kind": "phone",
        "id": "+447132734741",
        "start": _START,
        "end": _END,
        "duration_h": 125.2,
        "expected_events": 128.43,
        "p_value": 1.2e-40,
        "q_value": 3.0e-38,
        "ended": False,
        "evidence": {
            "baseline_events_per_day": 8.77,
            "events_7d_before": 90,
            "events_7d_after": 0,
            "also_silent_count": 119,
            "explained_by_handoff": {
                "new": "+447243398659",
                "score": 0.998,
                "new_first_event": "2024-01-28T12:25:00+00:00",
            },
        },
    }
    text = blackout_explanation(row)
    assert text.startswith("+447132734741 was silent for 125 h, from 2024-01-27 00:42 UTC")
    assert "to 2024-02-01 05:54 UTC" in text
    assert "8.77 events a day" in text and "expects 128.4 events" in text
    assert "90 events in the 7 days before, 0 after" in text
    assert "never came back" in text and "p=1.20e-40, q=3.00e-38" in text
    assert "hand-off to +447243398659 (hypothesis id unknown, score 0.998, not reviewed; " in text
    assert "first event 2024-01-28 12:25 UTC" in text
    assert "119 others silent" in text


def test_an_actor_row_names_the_numbers_joined_by_hand_off() -> None:
    row = {
        "kind": "actor",
        "id": "P8dda21e21f971348",
        "start": _START,
        "end": _END,
        "duration_h": 125.0,
        "expected_events": 30.0,
        "p_value": 1e-9,
        "q_value": 1e-7,
        "ended": True,
        "evidence": {
            "handoffs": [
                {"id": _HID, "old": "+447990357096", "new": "+447462647310", "score": _SCORE}
            ]
        },
    }
    text = blackout_explanation(row)
    assert (
        "P8dda21e21f971348 (numbers joined by hand-off +447990357096 -> +447462647310, "
        f"{_HID} (hypothesis, score 1-2.6e-05, not reviewed))"
    ) in text
    assert "activity resumed" in text
    reviewed = {**row, "evidence": with_handoff_reviews(row["evidence"], _confirmed())}
    assert f"+447462647310, {_HID} (confirmed by root, score 1-2.6e-05))" in (
        blackout_explanation(reviewed)
    )


def test_a_group_row_gives_both_tests_and_who_never_came_back() -> None:
    members = [f"P{i}" for i in range(18)]
    row = {
        "kind": "group",
        "id": "C9",
        "members": members,
        "start": _START,
        "end": _END,
        "duration_h": 125.2,
        "p_value": 2.6e-34,
        "q_value": 3.6e-33,
        "ended": False,
        "evidence": {
            "community": "C9",
            "community_members_tested": 37,
            "start_spread_h": 4.09,
            "p_value_silence": 6.35e-214,
            "p_value_alignment": 2.56e-34,
            "never_came_back": ["P1", "P2", "P3", "P4", "P5"],
            "also_silent": ["P90"],
        },
    }
    text = blackout_explanation(row)
    assert text.startswith("18 members of community C9 went silent for 125 h")
    assert "within 4.1 h of one another (37 members tested)" in text
    assert "p=6.35e-214" in text and "p=2.56e-34" in text
    assert "never came back: P1, P2, P3 and 2 more" in text
    assert "also silent then: P90" in text
    assert "hand-off" not in text
    joined = {**row, "evidence": {**row["evidence"], "handoffs": [_item()]}}
    assert text + (
        f"; members' numbers joined by hand-off +447374253179 -> +447265155206, {_HID} "
        "(hypothesis, score 1-2.6e-05, not reviewed)"
    ) == blackout_explanation(joined)


def test_a_hand_off_row_gives_timing_overlaps_handset_and_choice() -> None:
    row = {
        "old": "+447132734741",
        "new": "+447243398659",
        "score": 0.99999,
        "rank": 1,
        "assigned": True,
        "status": "hypothesis",
        "evidence": {
            "stop": "ended",
            "old_last_event": "2024-01-27T22:46:00+00:00",
            "gap_hours": 13.7,
            "gap_active_hours": 2.3,
            "contacts_overlap": 0.88,
            "shared_contacts": [f"+4477159616{i:02d}" for i in range(10)],
            "cells_overlap": 0.884,
            "rhythm_similarity": 0.357,
            "activity_ratio": 0.99,
            "shared_imei": ["358756097764612"],
        },
    }
    text = handoff_explanation(row)
    assert text.startswith("+447132734741 stopped after 2024-01-27 22:46 UTC; +447243398659")
    assert "started 13.7 h later (2.3 active hours of the old number)" in text
    # the evidence lists only the heaviest shared contacts: no "and N more" from a cut list
    assert "+447715961602)" in text and "more" not in text
    assert "cell overlap 0.88" in text and "same handset (IMEI 358756097764612)" in text
    assert "rhythm similarity 0.36" in text
    # the measure is floored at 0: 0 says "no more alike than anyone", not a small similarity
    flat = handoff_explanation({**row, "evidence": {**row["evidence"], "rhythm_similarity": 0.0}})
    assert "no rhythm similarity (hours of use no more alike than the population's)" in flat
    assert "rhythm similarity 0" not in flat
    assert text.endswith("score 1-1.0e-05, rank 1, chosen in the joint matching; not reviewed")
    decided = {**row, "status": "rejected", "decided_by": "analyst"}
    assert handoff_explanation(decided).endswith("; rejected by analyst")
    listed = {
        **row,
        "alternatives": [
            {"id": "H000000000001", "new": "+447700900001", "score": 0.981, "status": "hypothesis"},
            {"id": "H000000000002", "new": "+447700900002", "score": 0.2, "status": "rejected"},
        ],
    }
    assert (
        "chosen in the joint matching; other candidates: +447700900001, score 0.981 "
        "(H000000000001); +447700900002, score 0.2 (H000000000002, rejected); not reviewed"
    ) in handoff_explanation(listed)
    alone = handoff_explanation({**row, "alternatives": []})
    assert alone.endswith("chosen in the joint matching; no other candidate; not reviewed")
    same = handoff_explanation(row, owners=("P1", "P1"))
    assert same.endswith("; both numbers already belong to P1: the records agree; not reviewed")
    two = handoff_explanation(row, owners=("P1", "P2"))
    assert "the records give the old number to P1 and the new one to P2" in two
    silent = {**row, "assigned": False, "evidence": {**row["evidence"], "stop": "silent"}}
    assert "went silent after" in handoff_explanation(silent)
    assert "not chosen" in handoff_explanation(silent)
    # a successor already in use before the old number stopped: not "started -25.0 h later"
    early = {**row, "evidence": {**row["evidence"], "gap_hours": -25.0, "gap_active_hours": -9}}
    said = handoff_explanation(early)
    assert "had started 25.0 h before (both numbers in use at once)" in said
    assert "-25" not in said and "later" not in said


def test_a_next_candidate_says_so_and_its_alternatives_their_standing() -> None:
    row = {
        "old": "+447132734741",
        "new": "+447243398659",
        "score": 0.8269,
        "rank": 2,
        "assigned": False,
        "standing": "next",
        "status": "hypothesis",
        "evidence": {"gap_hours": 4.0, "gap_active_hours": 1.0},
        "alternatives": [
            {
                "id": "H000000000001",
                "new": "+447700900001",
                "score": 0.999,
                "status": "rejected",
                "note": "rejected by Jane Doe",
            },
            {
                "id": "H000000000002",
                "new": "+447700900002",
                "score": 0.7,
                "status": "hypothesis",
                "note": "the joint matching's choice for +447700900003",
            },
            {"id": "H000000000003", "new": "+447700900004", "score": 0.1, "status": "hypothesis"},
        ],
    }
    text = handoff_explanation(row)
    assert (
        "score 0.827, rank 2, the next candidate (the joint matching's choice was ruled out)"
        in (text)
    )
    assert "not chosen" not in text
    assert (
        "other candidates: +447700900001, score 0.999 (H000000000001, rejected by Jane Doe); "
        "+447700900002, score 0.7 (H000000000002, the joint matching's choice for "
        "+447700900003); +447700900004, score 0.1 (H000000000003); not reviewed"
    ) in text


def test_an_unreviewed_hand_off_is_a_likely_explanation_with_its_id_and_score() -> None:
    row = _explained_phone_row()
    text = blackout_explanation(row)
    assert (
        f"; likely explained by a hand-off to +447265155206 (hypothesis {_HID}, score "
        "1-2.6e-05, not reviewed; first event 2024-01-21 10:24 UTC): the user may have gone "
        "on with the new number"
    ) in text
    assert "score 1," not in text and "score 1 " not in text
    assert "went on" not in text and "on on" not in text
    assert came_back(row) == f"likely moved to +447265155206 (hand-off {_HID}, score 1-2.6e-05)"
    named = came_back(row, new_user="Catherine Jones")
    assert named == (
        f"likely moved to +447265155206 (Catherine Jones; hand-off {_HID}, score 1-2.6e-05)"
    )
    # without a review record the hand-off is kept as the row has it
    assert with_handoff_reviews(row["evidence"], {})["explained_by_handoff"] == _item()


def test_a_confirmed_hand_off_is_stated_with_its_reviewer() -> None:
    row = _explained_phone_row()
    row["evidence"] = with_handoff_reviews(row["evidence"], _confirmed())
    text = blackout_explanation(row)
    assert (
        f"; explained by a hand-off to +447265155206 confirmed by root ({_HID}, score "
        "1-2.6e-05; first event 2024-01-21 10:24 UTC): the user went on with the new number"
    ) in text
    assert "likely" not in text and "hypothesis" not in text
    assert came_back(row) == f"moved to +447265155206 (confirmed hand-off {_HID})"
    assert came_back({**row, "ended": True}).startswith("yes; moved to +447265155206")


def test_a_rejected_hand_off_explains_nothing() -> None:
    row = _explained_phone_row()
    row["evidence"] = with_handoff_reviews(row["evidence"], _confirmed("rejected"))
    text = blackout_explanation(row)
    assert "was rejected by root: it does not explain this silence" in text
    assert "user" not in text
    assert came_back(row) == f"no; hand-off {_HID} to +447265155206 (rejected by root)"


def test_rows_without_a_hand_off_say_yes_or_no() -> None:
    row = {**_explained_phone_row(), "evidence": {}}
    assert came_back(row) == "no" and came_back({**row, "ended": True}) == "yes"


def test_p_and_q_values_are_written_as_tables_write_them() -> None:
    row = _explained_phone_row()
    text = blackout_explanation(row)
    p, q = format_number(row["p_value"]), format_number(row["q_value"])
    assert (p, q) == ("4.06e-17", "1.40e-13")
    assert f"p={p}, q={q}" in text
    assert "q=5.00e-13" in blackout_explanation({**row, "q_value": 5e-13})


def test_a_row_joining_many_hand_offs_names_three_and_counts_the_rest() -> None:
    """A group row joined 14 members' numbers and named every hand-off inline (a paragraph
    per row); it names three, counts the rest and says where they all are."""
    from graphkit.signals.wording import _joined

    handoffs = [
        {
            "old": f"+4470000000{i:02d}",
            "new": f"+4471000000{i:02d}",
            "id": f"H{i:012x}",
            "status": "confirmed" if i == 4 else "hypothesis",
            "score": 0.99,
        }
        for i in range(5)
    ]
    text = _joined(handoffs)
    assert text.count(" -> ") == 3 and "H000000000000" in text and "H000000000003" not in text
    assert text.endswith(
        "; and 2 more (1 of them not reviewed; each in the row's evidence, `--json`)"
    )
    assert "more" not in _joined(handoffs[:3])
