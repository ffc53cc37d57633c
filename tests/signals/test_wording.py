"""Plain-language explanations of blackout and hand-off rows say what their evidence holds."""

from __future__ import annotations

from datetime import UTC, datetime

from graphkit.signals.wording import blackout_explanation, handoff_explanation

_START = datetime(2024, 1, 27, 0, 42, tzinfo=UTC)
_END = datetime(2024, 2, 1, 5, 54, tzinfo=UTC)


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
    assert "never came back" in text and "p=1.2e-40, q=3e-38" in text
    assert "hand-off to +447243398659 (score 0.998, first event 2024-01-28 12:25 UTC)" in text
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
        "evidence": {"handoffs": [{"old": "+447990357096", "new": "+447462647310"}]},
    }
    text = blackout_explanation(row)
    assert "P8dda21e21f971348 (numbers joined by hand-off +447990357096 -> +447462647310)" in text
    assert "activity resumed" in text


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
    assert "p=6.3e-214" in text and "p=2.6e-34" in text
    assert "never came back: P1, P2, P3 and 2 more" in text
    assert "also silent then: P90" in text


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
    assert text.endswith("score 1-1.0e-05, rank 1, chosen in the joint matching; hypothesis")
    silent = {**row, "assigned": False, "evidence": {**row["evidence"], "stop": "silent"}}
    assert "went silent after" in handoff_explanation(silent)
    assert "not chosen" in handoff_explanation(silent)
