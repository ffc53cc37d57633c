"""Blackouts of a case: read from ingested call records, stored, shown by the view."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.errors import CaseError
from graphkit.ingest import ingest_file
from graphkit.ingest.call_records import load_cdr_events
from graphkit.signals.evaluate import evaluate_blackouts
from graphkit.signals.stage import BLACKOUT_FDR, detect_blackouts_in_case
from graphkit.signals.views import blackouts_view
from graphkit.store import CaseStore

from .sim import SimCase, SimConfig, blackout_scores, simulate, write_truth

SMALL = SimConfig(
    n_people=300,
    days=28,
    n_groups=8,
    n_individual_blackouts=8,
    n_group_blackouts=2,
    n_handoff_groups=2,
    decoys_per_handoff_group=2,
    seed=5,
)


@pytest.fixture(scope="module")
def small_case() -> SimCase:
    return simulate(SMALL)


def ingest_sim(case: SimCase, tmp_path: Path) -> CaseStore:
    """A case with the simulated events ingested as a CDR source (ISO times, UTC)."""
    store = CaseStore.init(tmp_path / "case")
    frame = case.events.copy()
    frame["start"] = frame["start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp_path / "cdr.csv"
    frame.to_csv(path, index=False)
    ingest_file(store, path, kind="cdr")
    return store


def test_blackouts_of_a_case_are_stored_and_shown(small_case: SimCase, tmp_path: Path) -> None:
    store = ingest_sim(small_case, tmp_path)
    events = load_cdr_events(store)
    assert len(events) == len(small_case.events)
    result = detect_blackouts_in_case(store)
    assert (result["kind"] == "phone").sum() > 0
    rows = blackouts_view(store)
    assert len(rows) == len(result)
    first = rows[0]
    assert set(first) >= {"kind", "id", "members", "start", "end", "p_value", "q_value", "ended"}
    assert isinstance(first["evidence"], dict) and "expected_events" in first["evidence"]
    planted = set(small_case.silences["phone"])
    assert {r["id"] for r in rows} & planted
    stage = store.stage("blackouts")
    assert stage is not None and stage["summary"]["phone"] == (result["kind"] == "phone").sum()
    assert blackouts_view(store, limit=2) == rows[:2]
    from graphkit.views import get_view  # the module registers its views on import

    assert get_view("blackouts").fn is blackouts_view
    # reported at the case-level false discovery rate; a looser level adds rows, drops none
    assert stage["settings"]["q_threshold"] == BLACKOUT_FDR
    assert (result["q_value"] <= BLACKOUT_FDR).all()
    looser = detect_blackouts_in_case(store, q_threshold=0.05, events=events)
    key = ["kind", "id", "start"]
    assert len(looser) >= len(result)
    assert len(result[key].merge(looser[key])) == len(result)


def test_actors_and_communities_of_the_case_are_used(small_case: SimCase, tmp_path: Path) -> None:
    store = ingest_sim(small_case, tmp_path)
    truth = write_truth(small_case, tmp_path / "truth", days=SMALL.days)
    assert evaluate_blackouts(store, truth) is None  # the stage has not run
    owners = pd.DataFrame(
        {
            "phone": list(small_case.phone_to_person),
            "actor": list(small_case.phone_to_person.values()),
        }
    )
    with (
        store.operation("test fixture", operation="alteration"),
        store.connect() as con,
    ):  # what `build` and `analyze` leave in a case
        con.register("owners", owners)
        con.execute(
            "CREATE TABLE actor AS SELECT actor AS actor_id, 'person' AS kind, "
            "list(phone ORDER BY phone) AS phones FROM owners GROUP BY actor"
        )
        for person, community in small_case.person_to_community.items():
            con.execute("INSERT INTO rel_member_of VALUES (?, ?, 1.0)", [person, community])
    result = detect_blackouts_in_case(store)
    groups = result[result["kind"] == "group"]
    planted = set(small_case.group_blackouts["community"])
    assert planted <= set(groups["id"])
    assert all(m.startswith("P") for ms in groups["members"] for m in ms)
    assert store.stage("blackouts")["settings"]["communities"] is True  # type: ignore[index]
    evaluation = evaluate_blackouts(store, truth)
    assert evaluation is not None
    metrics = evaluation["metrics"]
    # the evaluator, reading the case and the truth files, agrees with the test's own scoring
    oracle = blackout_scores(result, small_case)
    assert metrics["precision"] == pytest.approx(oracle["precision"])
    assert metrics["recall"] == pytest.approx(oracle["recall"])
    assert metrics["phone_rows"] == oracle["detected"] and metrics["planted"] == oracle["planted"]
    assert metrics["group_blackouts_planted"] == 2 and metrics["group_recall"] == 1.0
    judged = evaluation["judged"]
    assert {"precision", "recall", "actor_precision", "group_precision", "group_recall"} <= set(
        judged
    )
    assert evaluation["passed"] == all(metrics[k] >= 0.9 for k in judged)
    # (actor rows on a case this small carry the 5-15% false discoveries of short baselines,
    # docs/signals.md; their 0.90 target is checked at scale in test_blackouts_accuracy)
    assert metrics["group_precision"] >= 0.9 and metrics["group_member_precision"] >= 0.9


def test_a_case_without_call_records_is_a_clear_error(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "empty")
    with pytest.raises(CaseError, match="cdr"):
        detect_blackouts_in_case(store)
    assert blackouts_view(store) == []


def test_an_event_recorded_by_both_operators_counts_once(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "two")
    header = "caller,callee,start,event_type,cell_id\n"
    shared = "+447700900001,+447700900002,2026-03-02T10:00:00Z,call,A1\n"
    (tmp_path / "opA.csv").write_text(
        header + shared + "+447700900001,+447700900003,2026-03-02T11:00:00Z,sms,A1\n"
    )
    (tmp_path / "opB.csv").write_text(
        header
        + shared.replace(",A1", ",B7")
        + "+447700900002,+447700900001,2026-03-02T12:00:00Z,call,B7\n"
    )
    ingest_file(store, tmp_path / "opA.csv", kind="cdr")
    ingest_file(store, tmp_path / "opB.csv", kind="cdr")
    events = load_cdr_events(store)
    assert len(events) == 3
    first = events[events["start"] == pd.Timestamp("2026-03-02T10:00:00Z")]
    assert list(first["cell_id"]) == ["A1"]  # the first source's row, deterministically


def test_a_persons_silence_is_judged_on_the_phones_they_carry(tmp_path: Path) -> None:
    from graphkit.signals.stage import _phone_to_actor

    store = CaseStore.init(tmp_path / "case")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "CREATE TABLE actor AS SELECT * FROM (VALUES "
            "('A', 'person', ['+447700900123', '+441614960000']), "  # mobile + household line
            "('B', 'person', ['+441614960111']), "  # a fixed line only: the household's
            "('C', 'person', ['07700 900999']), "  # not E.164: kept as it is
            "('+447700900555', 'phone', ['+447700900555'])"  # attributed to no one
            ") AS t(actor_id, kind, phones)"
        )
        owners = _phone_to_actor(con, store)
    assert owners == {"+447700900123": "A", "07700 900999": "C"}
