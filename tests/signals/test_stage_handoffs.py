"""Hand-offs of a case: stored as SAME_USER_AS hypotheses, reviewed decisions kept."""

from __future__ import annotations

from pathlib import Path

from graphkit.signals.evaluate import evaluate_handoffs
from graphkit.signals.stage import (
    detect_blackouts_in_case,
    detect_handoffs_in_case,
    detect_signals_in_case,
)
from graphkit.signals.views import blackouts_view, handoffs_view

from .sim import SimCase, simulate, write_truth
from .test_stage_blackouts import SMALL, ingest_sim


def test_handoffs_are_stored_as_hypotheses_and_reviews_kept(tmp_path: Path) -> None:
    case: SimCase = simulate(SMALL)
    store = ingest_sim(case, tmp_path)
    detect_blackouts_in_case(store)  # silences that came back are stops as well
    result = detect_handoffs_in_case(store, use_imei=False)
    assert store.stage("handoffs")["settings"]["silences"] is True  # type: ignore[index]
    rows = handoffs_view(store)
    # every candidate is stored; the view lists the joint matching's choices, one per old
    # number, with the other candidates inside
    with store.connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM rel_same_user_as").fetchone()
    assert stored is not None and stored[0] == len(result)
    assert len(rows) == int(result["assigned"].sum()) > 0
    assert len(rows) + sum(len(r["alternatives"]) for r in rows) <= len(result)
    assert {r["status"] for r in rows} == {"hypothesis"}
    top = {r["old"]: r["new"] for r in rows if r["rank"] == 1}
    truth = dict(zip(case.handoffs["old"], case.handoffs["new"], strict=True))
    hits = sum(top.get(old) == new for old, new in truth.items())
    assert hits >= 0.9 * len(truth)
    assert rows[0]["evidence"]["model_version"].startswith("handoff-")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "UPDATE rel_same_user_as SET status = 'confirmed', decided_by = 'analyst', "
            "decided_at = now() WHERE src = ? AND dst = ?",
            [rows[0]["old"], rows[0]["new"]],
        )
    detect_handoffs_in_case(store, use_imei=False)  # re-run: the decision survives, once
    again = handoffs_view(store)
    assert len(again) == len(rows)
    decided = [r for r in again if r["status"] == "confirmed"]
    assert [(r["old"], r["new"], r["decided_by"]) for r in decided] == [
        (rows[0]["old"], rows[0]["new"], "analyst")
    ]
    assert store.stage("handoffs")["settings"]["use_imei"] is False  # type: ignore[index]
    evaluation = evaluate_handoffs(store, write_truth(case, tmp_path / "truth", days=SMALL.days))
    assert evaluation is not None and evaluation["passed"]
    assert evaluation["metrics"]["top1_accuracy"] >= 0.9
    assert evaluation["metrics"]["assigned_precision"] >= 0.9
    assert evaluation["metrics"]["use_imei"] is False


def test_signals_in_order_store_both_and_explain_the_swaps(tmp_path: Path) -> None:
    case: SimCase = simulate(SMALL)
    store = ingest_sim(case, tmp_path)
    counts = detect_signals_in_case(store)
    blackouts = blackouts_view(store)
    assert counts["blackouts"] == len(blackouts) > 0
    with store.connect(read_only=True) as con:
        stored = con.execute("SELECT count(*) FROM rel_same_user_as").fetchone()
    assert stored is not None and counts["handoff_candidates"] == stored[0] > 0
    summary = (store.stage("handoffs") or {})["summary"]
    assert len(handoffs_view(store)) == summary["assigned"] > 0
    stage = store.stage("blackouts")
    assert stage is not None and stage["settings"]["explain_handoffs"] is True
    explained = {
        r["id"]: r["evidence"]["explained_by_handoff"]["new"]
        for r in blackouts
        if r["kind"] == "phone" and "explained_by_handoff" in r["evidence"]
    }
    assert stage["summary"]["explained_by_handoff"] == len(explained)
    truth = dict(zip(case.handoffs["old"], case.handoffs["new"], strict=True))
    assert len(explained) >= 0.9 * len(truth)
    assert all(truth.get(old) == new for old, new in explained.items())
    # the same hand-offs as the stage run on its own after the blackouts
    alone = detect_handoffs_in_case(store)
    assert len(alone) == counts["handoff_candidates"]
    only = detect_signals_in_case(store, blackouts=False)
    assert only == {
        "handoffs_chosen": int(alone["assigned"].sum()),
        "handoff_candidates": len(alone),
    }
    assert 0 < only["handoffs_chosen"] < len(alone)  # runners-up are candidates, not choices
    assert detect_signals_in_case(store, blackouts=False, handoffs=False) == {}
