"""The report's claims in words are made only on a test that passed, and name it."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from graphkit.analytics.chain_claim import named_leader
from graphkit.report.sections import _lead_role, _ordering_sentence


def test_leader_only_on_a_relay_chain_or_the_top_of_a_stated_ordering() -> None:
    head = pd.Series({"relay_tier": 2, "level": None, "relay_confirmed": True})
    top = pd.Series({"relay_tier": 0, "level": 0})
    assert _lead_role(head, stated=False) == "leader (heads a relay chain)"
    # a relay tier in a community whose relayed-orders test did not pass is a pattern only
    pattern = pd.Series({"relay_tier": 2, "level": None, "relay_confirmed": False})
    assert _lead_role(pattern, stated=False).startswith("first by leadership, on an untested")
    assert _lead_role(top, stated=True) == "leader (top of the stated ordering)"
    assert _lead_role(top, stated=False).startswith("most prominent")
    assert _lead_role(pd.Series({"relay_tier": 0, "level": 2}), stated=True).startswith(
        "most prominent"
    )
    middle = pd.Series({"relay_tier": 1, "level": 2})  # a middle link's pattern, untested
    assert _lead_role(middle, stated=True).startswith("first by leadership, on an untested")
    # the community's first member is its leader only where the same rule holds
    assert named_leader(relay_tier=2, relay_confirmed=True, ordering_stated=False, level=None)
    assert not named_leader(relay_tier=2, relay_confirmed=False, ordering_stated=True, level=3)
    assert not named_leader(relay_tier=0, relay_confirmed=None, ordering_stated=False, level=0)


def test_ordering_sentence_states_a_chain_only_when_the_test_passed() -> None:
    base = {"downward_share": 0.61, "expected_downward_share": 0.58, "hierarchy_q_value": 0.012}
    stated = _ordering_sentence(SimpleNamespace(**base, hierarchy_stated=True))
    assert stated.startswith("Chain of command") and "ordering test, q = 0.012" in stated
    not_stated = _ordering_sentence(
        SimpleNamespace(**{**base, "hierarchy_q_value": 0.2}, hierarchy_stated=False)
    )
    assert not_stated.startswith("No clear ordering") and "no levels are drawn" in not_stated
    # the test passes but the excess is too small: the sentence names the condition that failed
    small = _ordering_sentence(
        SimpleNamespace(
            **{**base, "hierarchy_q_value": 0.0028},
            hierarchy_effect=0.0098,
            hierarchy_stated=False,
        )
    )
    assert small.startswith("No clear ordering") and "q = 0.0028" in small
    assert "excess of 0.0098 is below the 0.01 a chain of command needs" in small
    untested = _ordering_sentence(
        SimpleNamespace(hierarchy_q_value=float("nan"), hierarchy_stated=False)
    )
    assert untested.startswith("No ordering was tested")


def test_a_chain_stated_by_relayed_orders_names_that_test_and_draws_no_levels() -> None:
    relay = {
        "relay_test_stated": True,
        "relay_test_source": "B1",
        "relay_test_onward": 52.0,
        "relay_test_onward_before": 1.0,
        "relay_test_q_value": 0.0004,
    }
    alone = _ordering_sentence(
        SimpleNamespace(
            **relay, hierarchy_q_value=0.4, hierarchy_stated=True, ordering_stated=False
        ),
        name=lambda a: f"Ann Lee ({a})",
    )
    assert alone.startswith("Chain of command: orders are passed down")
    assert "Ann Lee (B1) made inside were followed" in alone
    assert "52 onward contacts" in alone and "against 1 in the same time before" in alone
    assert "relayed-orders test, q = 4.00e-04" in alone and "no levels are drawn" in alone
    both = _ordering_sentence(
        SimpleNamespace(
            **relay,
            downward_share=0.61,
            expected_downward_share=0.58,
            hierarchy_q_value=0.012,
            hierarchy_stated=True,
            ordering_stated=True,
        )
    )
    assert "ordering test, q = 0.012" in both and "relayed-orders test, q = 4.00e-04" in both


def test_leaders_rank_on_their_own_and_mark_a_likely_burner(report_case) -> None:  # type: ignore[no-untyped-def]
    """The leaders view ranks every actor on its own leadership (as the analysis stored it)
    and marks a hand-off's two actors with its id, score and status: 'likely' until a
    reviewer confirms it (the view used to fold unreviewed burners into their carriers)."""
    from graphkit.analytics.views import burner_links
    from graphkit.hypotheses import decide_hypothesis
    from graphkit.views import get_view

    links = burner_links(report_case)
    rows = get_view("leaders")(report_case, limit=None)
    with report_case.connect() as con:
        stored = con.execute("SELECT count(*) FROM analytics_actor").fetchone()[0]
    assert len(rows) == stored
    leadership = [r["leadership"] for r in rows]
    assert leadership == sorted(leadership, reverse=True)
    by_id = {r["actor_id"]: r for r in rows}
    linked = [(b, o, rid) for b, (o, _, rid, _) in links.items() if b in by_id and o in by_id]
    assert linked, "the case has a hand-off between two actors"
    burner, owner, review_id = linked[0]
    assert by_id[burner]["same_person_as"] == owner and burner in by_id[owner]["burners"]
    said = by_id[burner]["explanation"]
    assert f"likely the same person as {owner}" in said and review_id in said
    assert "a hypothesis not yet reviewed" in said
    decide_hypothesis(report_case, review_id, decision="accept", actor="reviewer")
    again = {r["actor_id"]: r for r in get_view("leaders")(report_case, limit=None)}
    said = again[burner]["explanation"]
    assert f"the same person as {owner}" in said and "likely the same person" not in said
    assert f"hand-off {review_id} confirmed" in said


def test_relay_heads_read_as_one_sentence_about_each() -> None:
    from graphkit.report.sections import _relay_heads_sentence

    one = _relay_heads_sentence(["Oliver Horvat (Pc86f)"], confirmed=True)
    assert one.startswith("Orders relayed down: Oliver Horvat (Pc86f) heads a relay chain (")
    assert "the community's relayed-orders test passed" in one
    two = _relay_heads_sentence(["Oliver Horvat (Pc86f)", "Nicholas Green (P1e24)"], confirmed=True)
    # not "Oliver Horvat; Nicholas Green heads ...", which reads as if only the second did
    assert "Oliver Horvat (Pc86f) and Nicholas Green (P1e24) each head a relay chain" in two
    three = _relay_heads_sentence(["A (1)", "B (2)", "C (3)"], confirmed=True)
    assert "A (1), B (2) and C (3) each head" in three
    # where the community's test did not pass: a pattern, with why it is no claim
    pattern = _relay_heads_sentence(["A (1)", "B (2)"], confirmed=False)
    assert pattern.startswith("Relay pattern, not a claim: the contacts of A (1) and B (2)")
    assert "did not pass" in pattern and "head a relay chain" not in pattern


def test_a_chain_head_is_named_with_its_own_relay_q_value() -> None:
    """Two heads of one community named alike read as equally sure; each carries its own q
    (the demo's Nicholas Green was named at q = 0.0498, beside Oliver Horvat's smaller one)."""
    from graphkit.report.sections import _with_relay_q

    head = pd.Series({"actor_id": "P1e24", "name": "Nicholas Green", "relay_q_value": 0.0498})
    assert _with_relay_q(head) == "Nicholas Green (P1e24) at q = 0.0498"
    unknown = pd.Series({"actor_id": "P1", "name": "Ann", "relay_q_value": float("nan")})
    assert _with_relay_q(unknown) == "Ann (P1)"


def test_a_confirmed_chain_s_middle_link_is_not_called_untested() -> None:
    """A middle link of a chain its community's test confirmed, ranked first there, is no
    leader, and its pattern is not "untested"; a missing tier (NA) reads as none."""
    link = pd.Series({"relay_tier": 1, "level": 2, "relay_confirmed": True})
    said = _lead_role(link, stated=True)
    assert said.startswith("first by leadership, a middle link of a confirmed relay chain")
    missing = pd.Series({"relay_tier": pd.NA, "level": pd.NA, "relay_confirmed": pd.NA})
    assert _lead_role(missing, stated=False).startswith("most prominent")
