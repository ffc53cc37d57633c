"""Group recovery scoring: which member actors count (graphkit.analytics.groups_evaluate).

Actors with no tie in the actor graph are left out of ``group_nmi``/``group_ari`` and counted
apart; the rule reads only the input graph, so it cannot reward any partition.
"""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.analytics.evaluate import adjusted_rand_index, normalized_mutual_information
from graphkit.analytics.groups_evaluate import score_groups

GROUPS = pd.DataFrame(
    {
        "person_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "group_id": ["G1", "G1", "G1", "G2", "G2", "G2"],
        "rank": ["boss", "lieutenant", "soldier", "boss", "lieutenant", "soldier"],
        "role": ["member"] * 6,
    }
)


def _frame(communities: list[str], ties: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    n = len(communities)
    ids = [f"A{i}" for i in range(n)]
    actors = pd.DataFrame(
        {
            "actor_id": ids,
            "community": communities,
            "leadership": [1.0 / (i + 1) for i in range(n)],
            "ties": ties,
        }
    )
    persons = ["P1", "P2", "P3", "P4", "P5", "P6", "P2", "P5"][:n]
    return actors, pd.Series(dict(zip(ids, persons, strict=True)))


def test_tie_less_duplicates_are_left_out_of_nmi_and_counted() -> None:
    # A6 and A7 are second actors of P2 and P5 with no tie: each alone in its own community
    actors, truth = _frame(
        ["C0", "C0", "C0", "C1", "C1", "C1", "C2", "C3"], [3, 2, 2, 3, 2, 2, 0, 0]
    )
    metrics = score_groups(actors, truth, GROUPS)["metrics"]
    assert metrics["group_nmi"] == 1.0 and metrics["group_ari"] == 1.0
    assert metrics["member_actors"] == 6 and metrics["member_actors_without_ties"] == 2
    assert metrics["group_nmi_all_actors"] < 0.9
    assert metrics["group_ari_all_actors"] < 1.0


def test_a_misplaced_actor_with_ties_still_counts() -> None:
    actors, truth = _frame(["C0", "C0", "C1", "C1", "C1", "C1"], [1] * 6)
    metrics = score_groups(actors, truth, GROUPS)["metrics"]
    assert metrics["member_actors_without_ties"] == 0
    assert metrics["group_nmi"] == metrics["group_nmi_all_actors"] < 0.7


def test_without_a_ties_column_every_member_actor_counts() -> None:
    actors, truth = _frame(["C0", "C0", "C0", "C1", "C1", "C1", "C2", "C3"], [1] * 8)
    metrics = score_groups(actors.drop(columns=["ties"]), truth, GROUPS)["metrics"]
    assert metrics["member_actors"] == 8 and metrics["member_actors_without_ties"] == 0
    assert metrics["group_nmi"] == metrics["group_nmi_all_actors"] < 0.9


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=8, max_size=8),
    st.lists(st.integers(0, 2), min_size=8, max_size=8),
)
def test_scores_equal_nmi_and_ari_over_the_tied_member_actors(
    labels: list[int], ties: list[int]
) -> None:
    actors, truth = _frame([f"C{x}" for x in labels], ties)
    metrics = score_groups(actors, truth, GROUPS)["metrics"]
    group = dict(zip(GROUPS["person_id"], GROUPS["group_id"], strict=True))
    kept = [i for i in range(8) if ties[i] > 0]
    assert metrics["member_actors"] == len(kept)
    assert metrics["member_actors_without_ties"] == 8 - len(kept)
    if kept:
        t = [group[truth[f"A{i}"]] for i in kept]
        f = [f"C{labels[i]}" for i in kept]
        assert metrics["group_nmi"] == round(normalized_mutual_information(t, f), 4)
        assert metrics["group_ari"] == round(adjusted_rand_index(t, f), 4)
