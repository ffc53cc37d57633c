"""Which communities look organised: the tests each passed, counted, and the order to read them."""

from __future__ import annotations

import pandas as pd

from graphkit.analytics.organisation import EVIDENCE, organisation


def _communities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "community": [0, 1, 2, 3, 4],
            "size": [40, 12, 30, 8, 25],
            "ordering_stated": [False, True, True, False, False],
            "relay_test_stated": [False, True, False, False, False],
            "hierarchy_q_value": [0.6, 0.01, 0.002, 0.9, 0.3],
        }
    )


def _actors() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "actor_id": ["a", "b", "c", "d", "e", "f", "g"],
            "community": [0, 0, 1, 2, 3, 3, 4],
            "phones": [["+1"], ["+2"], ["+3"], ["+4"], ["+5"], ["+6"], ["+7"]],
            # a relay tier alone is no test: it credits nothing (docs/analytics.md)
            "relay_tier": [2, 0, 0, 0, 0, 0, 2],
        }
    )


def test_communities_are_read_by_tests_passed_then_q_then_size() -> None:
    blackouts = pd.DataFrame({"kind": ["group", "actor"], "members": [["+5", "f"], ["+1"]]})
    handoffs = pd.DataFrame(
        {"src": ["+7", "+2"], "dst": ["+9", "+8"], "status": ["confirmed", "hypothesis"]}
    )
    ranked = organisation(_communities(), _actors(), blackouts, handoffs)
    evidence = dict(zip(ranked["community"], ranked["evidence"], strict=True))
    assert evidence == {
        1: ["ordering", "relayed orders"],
        2: ["ordering"],
        3: ["group blackout"],  # two members silent together, one by phone, one by actor id
        4: ["hand-offs"],  # a confirmed hand-off; an unreviewed one (community 0) is not enough
        0: [],  # a relay tier and an actor's own blackout are no test of the community
    }
    assert all(e in EVIDENCE for row in ranked["evidence"] for e in row)
    # most tests first; among one test each, the ordering test's q-value, then the size
    assert ranked["community"].tolist() == [1, 2, 4, 3, 0]
    assert ranked["organisation_rank"].tolist() == [1, 2, 3, 4, 5]
    assert ranked["evidence_count"].tolist() == [2, 1, 1, 1, 0]


def test_no_communities_no_rows() -> None:
    empty = _communities().iloc[0:0]
    out = organisation(empty, _actors())
    assert out.empty and {"evidence", "evidence_count", "organisation_rank"} <= set(out.columns)
