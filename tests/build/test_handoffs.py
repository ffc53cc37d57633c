"""Confirmed hand-offs (SAME_USER_AS, status 'confirmed') join numbers into one actor."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import networkx as nx
import pytest

from graphkit.build import build_graph
from graphkit.build.actors import build_actor_graph
from graphkit.store import CaseStore

from .handoff_case import actors, edges, make_case, num, set_handoffs, set_uses


@pytest.fixture()
def store(tmp_path: Path) -> CaseStore:
    return make_case(tmp_path)


def test_a_person_on_the_greater_number_takes_the_lesser(store: CaseStore) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_uses(con, [("P1", 2)])
        set_handoffs(con, [(1, 2, "confirmed")])
    summary = build_graph(store)
    assert summary["confirmed_same_user_as"] == 1
    assert summary["handoff_conflicts"] == 0
    assert summary["handoff_numbers_reassigned"] == 1
    with store.connect() as con:
        got = actors(con)
        tie = edges(con)
    assert got["P1"] == ("person", [num(1), num(2)])
    assert num(1) not in got and num(2) not in got
    # the 3 calls between 1 and 2 are now P1's own and dropped; 2 + 1 calls to 9 are summed
    assert tie[("P1", num(9), "calls")] == (3.0, 3)
    assert not [k for k in tie if k[0] == k[1]]
    assert not [k for k in tie if num(1) in k or num(2) in k]


def test_a_chain_is_joined_transitively_under_its_smallest_number(store: CaseStore) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_handoffs(con, [(2, 3, "confirmed"), (3, 1, "confirmed")])
    summary = build_graph(store)
    assert summary["confirmed_same_user_as"] == 2
    assert summary["handoff_groups"] == 1
    with store.connect() as con:
        got = actors(con)
        tie = edges(con)
    assert got[num(1)] == ("phone", [num(1), num(2), num(3)])
    assert num(2) not in got and num(3) not in got  # no phantom actor for the middle number
    assert set(got) == {num(1), num(4), num(9)}
    assert tie[(num(1), num(9), "calls")] == (4.0, 4)  # 2 (from 1) + 1 (from 2) + 1 (from 3)
    assert tie[(num(9), num(1), "sms")] == (1.0, 1)
    assert tie[(num(4), num(1), "calls")] == (1.0, 1)
    assert (num(1), num(1), "calls") not in tie
    assert set(tie) == {
        (num(1), num(9), "calls"),
        (num(9), num(1), "sms"),
        (num(4), num(1), "calls"),
    }


def test_a_chain_goes_to_the_person_at_its_far_end(store: CaseStore) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_uses(con, [("P7", 3)])
        set_handoffs(con, [(1, 2, "confirmed"), (2, 3, "confirmed")])
    build_graph(store)
    with store.connect() as con:
        got = actors(con)
        tie = edges(con)
    assert got["P7"] == ("person", [num(1), num(2), num(3)])
    assert set(got) == {"P7", num(4), num(9)}
    assert tie[("P7", num(9), "calls")] == (4.0, 4)


def test_two_persons_in_one_group_keep_their_numbers_and_count_as_a_conflict(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_uses(con, [("P2", 1), ("P1", 3)])
        set_handoffs(con, [(1, 2, "confirmed"), (2, 3, "confirmed"), (4, 9, "confirmed")])
    with caplog.at_level(logging.WARNING, logger="graphkit.build.actors"):
        summary = build_graph(store)
    assert summary["handoff_conflicts"] == 1
    assert summary["handoff_groups"] == 2
    assert summary["confirmed_same_user_as"] == 3
    assert any(
        "several persons" in r.getMessage() and num(2) in r.getMessage() for r in caplog.records
    )
    with store.connect() as con:
        got = actors(con)
    # 2 is unattributed: it goes to the person of the group's smallest attributed number (1)
    assert got["P2"] == ("person", [num(1), num(2)])
    assert got["P1"] == ("person", [num(3)])
    assert got[num(4)] == ("phone", [num(4), num(9)])
    assert set(got) == {"P1", "P2", num(4)}


@pytest.mark.parametrize("status", ["rejected", "hypothesis"])
def test_unconfirmed_rows_never_change_the_actor_graph(store: CaseStore, status: str) -> None:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_uses(con, [("P1", 2)])
    build_graph(store)
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        before = (actors(con), edges(con))
        set_handoffs(con, [(1, 2, status), (2, 3, status), (3, 4, status)])
    summary = build_graph(store)
    assert summary["confirmed_same_user_as"] == 0
    assert summary["handoff_groups"] == 0
    with store.connect() as con:
        assert (actors(con), edges(con)) == before
        assert actors(con)[num(1)] == ("phone", [num(1)])


def test_confirmed_handoffs_can_be_left_out_and_the_stage_says_so(store: CaseStore) -> None:
    build_graph(store)
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        plain = (actors(con), edges(con))
        set_handoffs(con, [(1, 2, "confirmed"), (9, 4, "rejected")])
    summary = build_graph(store, confirmed_handoffs=False)
    assert summary["confirmed_same_user_as"] == 0
    assert summary["handoff_conflicts"] == 0
    stage = store.stage("build")
    assert stage is not None and stage["settings"]["confirmed_handoffs"] == "ignored"
    with store.connect() as con:
        assert (actors(con), edges(con)) == plain
    summary = build_graph(store)
    stage = store.stage("build")
    assert stage is not None and stage["settings"]["confirmed_handoffs"] == "applied"
    assert summary["confirmed_same_user_as"] == 1
    with store.connect() as con:
        assert actors(con)[num(1)] == ("phone", [num(1), num(2)])
        assert len(edges(con)) < len(plain[1])


def test_the_phone_map_agrees_with_networkx_components(store: CaseStore) -> None:
    """Oracle: random persons and confirmed pairs on the case's numbers, the actor of each
    number worked out from networkx connected components and the rules, by brute force."""
    numbers = [1, 2, 3, 4, 9]
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        build_graph(store)  # knowledge tables once; the actor graph is rebuilt below
        for seed in range(40):
            rng = random.Random(seed)
            uses = [(f"P{rng.randint(1, 3)}", n) for n in numbers if rng.random() < 0.3]
            statuses = ("confirmed", "confirmed", "rejected", "hypothesis")
            pairs = [
                (a, b, rng.choice(statuses))
                for a, b in (rng.sample(numbers, 2) for _ in range(rng.randint(0, 5)))
            ]
            set_uses(con, uses)
            set_handoffs(con, pairs)
            result = build_actor_graph(con)
            person_of = dict((n, p) for p, n in uses)
            graph = nx.Graph((a, b) for a, b, s in pairs if s == "confirmed")
            expected = {n: person_of.get(n, num(n)) for n in numbers}
            conflicts = 0
            for comp in nx.connected_components(graph):
                persons = {person_of[n] for n in comp if n in person_of}
                conflicts += len(persons) > 1
                owner = person_of[min(n for n in comp if n in person_of)] if persons else None
                for n in comp:
                    if n not in person_of:
                        expected[n] = owner or num(min(comp))
            got = {
                phone: actor_id for actor_id, (_, phones) in actors(con).items() for phone in phones
            }
            assert got == {num(n): a for n, a in expected.items()}, (seed, uses, pairs)
            assert result.handoffs.conflicts == conflicts, seed
            assert result.handoffs.components == nx.number_connected_components(graph), seed
            tie = edges(con)
            assert all(s != d for s, d, _ in tie), seed
            total = sum(w for (_, _, layer), (w, _) in tie.items() if layer == "calls")
            internal = sum(
                w
                for a, b, w in ((1, 9, 2), (2, 9, 1), (1, 2, 3), (3, 9, 1), (4, 3, 1))
                if expected[a] == expected[b]
            )
            assert total == 8 - internal, seed  # every call kept unless it joins one actor
