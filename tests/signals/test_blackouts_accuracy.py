"""Blackout precision and recall on a simulated case at realistic scale (planted truth).

The case (tests/signals/sim.py, seed 20, never used while developing the method):
about 2,000 people over 42 days, ~380k events, 40 individual blackouts (a fifth never
resume) on people making three or more calls a day, six coordinated group blackouts, six
group-wide hand-offs, natural churn and day-to-day over-dispersion.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.signals.blackouts import detect_blackouts
from graphkit.signals.evaluate import score_blackouts

from .sim import SimCase, SimConfig, blackout_scores, group_scores, simulate, write_truth


@pytest.fixture(scope="module")
def case() -> SimCase:
    return simulate(SimConfig(seed=20))


def test_blackout_precision_and_recall_at_least_0_90(case: SimCase, tmp_path: Path) -> None:
    assert len(case.events) > 300_000
    result = detect_blackouts(
        case.events,
        phone_to_actor=case.phone_to_person,
        actor_to_community=case.person_to_community,
    )
    phones = blackout_scores(result, case)
    assert phones["planted"] >= 60
    assert phones["precision"] >= 0.90, phones
    assert phones["recall"] >= 0.90, phones
    groups = group_scores(result, case)
    assert groups["planted"] == 6
    assert groups["recall"] >= 0.90, groups
    assert groups["precision"] >= 0.90, groups
    assert set(result["kind"]) <= {"phone", "actor", "group"}
    assert (result["q_value"] <= 0.05).all()
    # actors (persons, phones collapsed), scored by the evaluator `graphkit evaluate` runs
    truth = write_truth(case, tmp_path / "truth", days=42)
    planted = pd.read_csv(truth / "blackouts.csv", dtype=str, keep_default_na=False)
    phones = pd.read_csv(truth / "phones.csv", dtype=str, keep_default_na=False)
    for frame, columns in ((planted, ("start", "end")), (phones, ("valid_to",))):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column], utc=True)
    owned: dict[str, list[str]] = {}
    for phone, person in case.phone_to_person.items():
        owned.setdefault(person, []).append(phone)
    end = pd.Timestamp("2026-01-05", tz="UTC") + pd.Timedelta(days=42)
    metrics = score_blackouts(result, planted, phones, data_end=end, actor_phones=owned)
    assert metrics["actor_precision"] >= 0.90, metrics
    assert metrics["actor_recall"] >= 0.90, metrics
    assert metrics["group_precision"] >= 0.90 and metrics["group_recall"] >= 0.90, metrics
