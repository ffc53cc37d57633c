"""End to end on a simulated case: hand-offs detected, the true ones confirmed by a reviewer,
the actor graph built with and without them."""

from __future__ import annotations

from pathlib import Path

from graphkit.build import build_graph
from graphkit.hypotheses import decide_hypothesis
from graphkit.signals.stage import detect_handoffs_in_case
from graphkit.signals.views import handoffs_view

from ..signals.sim import simulate
from ..signals.test_stage_blackouts import SMALL, ingest_sim


def test_confirmed_true_handoffs_join_old_and_new_numbers(tmp_path: Path) -> None:
    case = simulate(SMALL)
    store = ingest_sim(case, tmp_path)
    detect_handoffs_in_case(store, use_imei=False)
    truth = set(zip(case.handoffs["old"], case.handoffs["new"], strict=True))
    found = [(r["old"], r["new"]) for r in handoffs_view(store) if (r["old"], r["new"]) in truth]
    assert len(found) >= 0.9 * len(truth)
    # the reviewer confirms the true candidates and rejects every other one
    for row in handoffs_view(store):
        true = (row["old"], row["new"]) in truth
        decide_hypothesis(store, row["id"], decision="accept" if true else "reject", actor="a")
    without = build_graph(store, confirmed_handoffs=False)
    with store.connect() as con:
        row = con.execute("SELECT sum(weight) FROM actor_edge WHERE layer = 'calls'").fetchone()
        before_calls = row[0] if row else None
    summary = build_graph(store)
    assert summary["confirmed_same_user_as"] == len(found)
    assert summary["handoff_conflicts"] == 0  # no persons in this case
    assert summary["tables"]["actor"] == without["tables"]["actor"] - len(found)
    with store.connect() as con:
        actor_of = dict(
            con.execute(
                "SELECT unnest(phones), actor_id FROM actor WHERE kind = 'phone'"
            ).fetchall()
        )
        for old, new in found:
            assert actor_of[old] == actor_of[new] == min(old, new)
        # ties between the two numbers of a hand-off became self-ties and were dropped; all
        # other calls are kept, summed onto the joined actor
        total = "SELECT sum(weight) FROM actor_edge WHERE layer = 'calls'"
        after = con.execute(total).fetchone()
        pairs = ", ".join("(?, ?)" for _ in found)
        between = con.execute(
            f"SELECT coalesce(sum(c.calls), 0) FROM rel_called c JOIN (VALUES {pairs}) AS "
            "p(a, b) ON (c.src = p.a AND c.dst = p.b) OR (c.src = p.b AND c.dst = p.a)",
            [x for p in found for x in p],
        ).fetchone()
    assert after is not None and between is not None
    assert after[0] == before_calls - between[0]
