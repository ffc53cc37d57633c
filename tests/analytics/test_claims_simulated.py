"""Hierarchy claims on simulated cases: stated for planted groups more often than chance,
almost never elsewhere, never without direction.

Cases: the simulator's people, groups, ties and relayed orders as a person-level graph
(tests/analytics/simulated_people.py), 1,000 people with 3 planted groups, seeds 0-4, read
with the call layer directed (as CDRs are) and as undirected contacts. The measured rates
(docs/analytics.md, "Hierarchy claims on simulated cases") are below the issue's target of
90 % of planted groups: the simulator's direction signal is weak by design (calibrated to
Montagna), so these tests assert what holds, not the target. With the simulator's timed calls
(2,000 people, 4 groups), relayed orders reach the target, which the last test asserts.
"""

from __future__ import annotations

import pandas as pd
import pytest

from graphkit.analytics.measures import analyze_edges
from graphkit.analytics.settings import AnalysisSpec
from tests.analytics.simulated_people import PeopleCase, people_case, timed_people_case

pytestmark = pytest.mark.slow

SEEDS = range(5)


def _claims(seed: int, reading: str) -> tuple[list[bool], list[bool]]:
    case = people_case(seed, people=1000, groups=3)
    edges = case.edges if reading == "directed" else case.edges.assign(layer="contact:contacts")
    result = analyze_edges(
        edges,
        actors=case.people,
        seed=seed,
        spec=AnalysisSpec(n_runs=3),
        only=("communities", "centrality", "hierarchy"),
    )
    actors = result.actors.set_index("actor_id")
    stated = result.communities.set_index("community")["hierarchy_stated"]
    group = case.group.reindex(actors.index)
    home = (
        actors["community"][group >= 0]
        .groupby(group[group >= 0])
        .agg(lambda s: s.value_counts().index[0])
    )
    sizes = actors["community"].value_counts()
    others = [c for c in stated.index if c not in set(home) and sizes.get(c, 0) >= 3]
    return [bool(stated[home[k]]) for k in case.boss.index], [bool(stated[c]) for c in others]


@pytest.fixture(scope="module")
def measured() -> pd.DataFrame:
    rows = []
    for reading in ("directed", "undirected"):
        for seed in SEEDS:
            groups, others = _claims(seed, reading)
            rows += [dict(reading=reading, kind="group", stated=s) for s in groups]
            rows += [dict(reading=reading, kind="other", stated=s) for s in others]
    return pd.DataFrame(rows)


def test_hierarchy_is_almost_never_stated_without_a_planted_one(measured: pd.DataFrame) -> None:
    others = measured[measured["kind"] == "other"]
    assert len(others) >= 100
    assert others["stated"].mean() <= 0.05


def test_hierarchy_is_stated_for_planted_groups_more_often_than_elsewhere(
    measured: pd.DataFrame,
) -> None:
    directed = measured[measured["reading"] == "directed"]
    rate = directed.groupby("kind")["stated"].mean()
    assert rate["group"] >= 0.2
    assert rate["group"] >= rate["other"] + 0.15


def test_no_ordering_is_claimed_without_direction(measured: pd.DataFrame) -> None:
    undirected = measured[measured["reading"] == "undirected"]
    assert not undirected["stated"].any()
    assert len(undirected) >= 100


def _timed_claims(
    seed: int, reading: str, made: tuple[PeopleCase, pd.DataFrame] | None = None
) -> dict[str, list]:
    """Whether each planted group's community, and each other community of 3 or more, is
    stated, with the relayed-orders test reading the timed contacts, and each boss's place in
    the case-wide leadership (1.0 = first). ``reading``: ``directed`` (call records) or
    ``undirected`` (the same contacts as a symmetric ``contact:`` layer, which the product
    reads both ways: :func:`graphkit.analytics.measures.prepare_contacts`)."""
    case, contacts = made or timed_people_case(seed, people=2000, groups=4)
    edges = case.edges
    if reading == "undirected":
        edges = edges.assign(layer="contact:contacts")
        contacts = contacts.assign(layer="contact:contacts")
    result = analyze_edges(
        edges,
        actors=case.people,
        seed=seed,
        spec=AnalysisSpec(n_runs=3),
        only=("communities", "centrality", "hierarchy"),
        contacts=contacts,
    )
    actors = result.actors.set_index("actor_id")
    community = actors["community"]
    stated = result.communities.set_index("community")["hierarchy_stated"]
    group = case.group.reindex(community.index)
    home = community[group >= 0].groupby(group[group >= 0]).agg(lambda s: s.value_counts().index[0])
    sizes = community.value_counts()
    others = [c for c in stated.index if c not in set(home) and sizes.get(c, 0) >= 3]
    place = actors["leadership"].rank(ascending=False, method="min")
    return {
        "groups": [bool(stated[home[k]]) for k in case.boss.index],
        "others": [bool(stated[c]) for c in others],
        "boss_percentile": [1.0 - (place[b] - 1) / len(place) for b in case.boss],
    }


@pytest.fixture(scope="module")
def timed() -> dict[str, dict[str, list]]:
    out: dict[str, dict[str, list]] = {
        reading: {"groups": [], "others": [], "boss_percentile": []}
        for reading in ("directed", "undirected")
    }
    for seed in SEEDS:
        made = timed_people_case(seed, people=2000, groups=4)
        for reading, merged in out.items():
            for key, values in _timed_claims(seed, reading, made).items():
                merged[key] += values
    return out


def test_with_time_stamps_relayed_orders_state_nine_in_ten_planted_groups(
    timed: dict[str, dict[str, list]],
) -> None:
    """Issue 16's target on the 2,000-person graphs with the simulator's timed calls (seeds
    0-4, measured 19 of 20 groups and 0 of 103 other communities; docs/analytics.md)."""
    groups, others = timed["directed"]["groups"], timed["directed"]["others"]
    assert len(groups) == 20 and len(others) >= 80
    assert sum(groups) >= 18
    assert sum(others) <= 0.05 * len(others)


def test_with_time_stamps_bosses_lead_whichever_way_the_calls_are_read(
    timed: dict[str, dict[str, list]],
) -> None:
    """Issue 16: planted bosses in the top 5 % of the leaders view with the calls read as
    directed and as undirected contacts (measured 19 of 20 either way: the one boss whose
    orders no test finds ranks on prominence alone). Read without direction, the relayed
    orders still state a chain for most groups and almost never elsewhere (14 of 20 groups,
    1 of 103 other communities)."""
    for reading in ("directed", "undirected"):
        percentiles = timed[reading]["boss_percentile"]
        assert len(percentiles) == 20
        assert sum(p >= 0.95 for p in percentiles) >= 19, (reading, percentiles)
    undirected = timed["undirected"]
    assert sum(undirected["groups"]) >= 12
    assert sum(undirected["others"]) <= 0.05 * len(undirected["others"])


# Issue 16's targets where they are not met, asserted at the issue's own thresholds: strict
# xfails, so a change that reaches one fails here until its test above is raised to it
# (docs/analytics.md, "Hierarchy claims through the whole pipeline", says why they are not).


@pytest.mark.xfail(strict=True, reason="19 of 20 bosses in the top 5 % either way (docs)")
def test_target_every_planted_boss_in_the_top_five_percent_in_both_readings(
    timed: dict[str, dict[str, list]],
) -> None:
    for reading in ("directed", "undirected"):
        assert all(p >= 0.95 for p in timed[reading]["boss_percentile"]), reading


@pytest.mark.xfail(strict=True, reason="14 of 20 groups stated read undirected (docs)")
def test_target_nine_in_ten_planted_groups_stated_in_both_readings(
    timed: dict[str, dict[str, list]],
) -> None:
    for reading in ("directed", "undirected"):
        assert sum(timed[reading]["groups"]) >= 18, reading


@pytest.mark.xfail(strict=True, reason="without time stamps: direction alone (docs)")
def test_target_nine_in_ten_planted_groups_stated_without_time_stamps(
    measured: pd.DataFrame,
) -> None:
    directed = measured[measured["reading"] == "directed"]
    groups = directed[directed["kind"] == "group"]
    assert groups["stated"].mean() >= 0.9
