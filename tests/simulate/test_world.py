"""The world model: households, hierarchy, ties, planted-event timeline (tiny, direct calls)."""

from __future__ import annotations

from dataclasses import replace

import jellyfish
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.simulate import SimulationSpec
from graphkit.simulate.groups import BOSS, BROKER, LIEUTENANT, MULE, SOLDIER, make_groups
from graphkit.simulate.noise import typo
from graphkit.simulate.plan import make_plan
from graphkit.simulate.world import GROUP, background_ties, make_population

SPEC = SimulationSpec(seed=9, people=1500, days=20, groups=3)


def _world(spec: SimulationSpec = SPEC):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(spec.seed)
    pop = make_population(spec, rng)
    groups, ties = make_groups(pop, spec, rng)
    return pop, groups, ties, background_ties(pop, spec, rng)


def test_households_and_population() -> None:
    pop, *_ = _world()
    assert pop.size == SPEC.people
    sizes = np.bincount(pop.household)
    assert sizes.min() >= 1 and sizes.max() <= 5
    assert 2.0 < sizes.mean() < 2.8  # UK-like mean household size
    age_years = (np.datetime64(SPEC.start_date) - pop.dob).astype(int) / 365.25
    assert age_years.min() >= 18 and age_years.max() <= 81
    assert abs(pop.activity.mean() - 1.0) < 1e-9
    assert np.quantile(pop.activity, 0.99) > 5 * np.median(pop.activity)  # heavy tail


def test_hierarchy_is_well_formed() -> None:
    _, groups, ties, _ = _world()
    for g in range(SPEC.groups):
        members = groups.members(g)
        assert (groups.rank[members] == BOSS).sum() == 1
        lts = groups.lieutenants(g)
        assert len(lts) >= 2
        soldiers = members[groups.rank[members] == SOLDIER]
        assert np.isin(groups.crew[soldiers], lts).all()
        assert len(groups.mules(g)) == 2
    brokers = {p for p, _, r in groups.affiliations if r == BROKER}
    assert len(brokers) == SPEC.groups - 1
    for b in brokers:
        assert len({g for p, g, r in groups.affiliations if p == b}) == 2
    assert all(groups.role[p] == MULE for p, _, r in groups.affiliations if r == MULE)
    # every group tie is between people of one group (members, brokers, mules)
    affiliated = {(p, g) for p, g, _ in groups.affiliations}
    for a, b in zip(ties.a, ties.b, strict=True):
        ga = {groups.group[a]} | {g for p, g in affiliated if p == a}
        gb = {groups.group[b]} | {g for p, g in affiliated if p == b}
        assert (ga & gb) - {-1}
    # lieutenants place upward_call_share + 0.05 of the calls on their tie to the boss
    bosses = [groups.boss(g) for g in range(SPEC.groups)]
    lt_first = np.isin(ties.b, bosses) & np.isin(groups.rank[ties.a], (LIEUTENANT,))
    boss_first = np.isin(ties.a, bosses) & np.isin(groups.rank[ties.b], (LIEUTENANT,))
    assert lt_first.sum() + boss_first.sum() >= SPEC.groups * 2
    expected = SPEC.upward_call_share + 0.05
    assert np.allclose(ties.p_a_calls[lt_first], expected)
    assert np.allclose(ties.p_a_calls[boss_first], 1.0 - expected)


def test_background_ties_are_canonical_and_unique() -> None:
    pop, _, _, ties = _world()
    assert (ties.a < ties.b).all()
    keys = ties.a.astype(np.int64) * pop.size + ties.b
    assert np.unique(keys).size == keys.size
    expected = SPEC.people * SPEC.events_per_person_day * (1 - SPEC.member_share)
    assert abs(ties.rate_per_day.sum() - expected) < 1e-6 * expected


def test_timeline_segments_cover_every_person() -> None:
    pop, groups, group_ties, bg = _world()
    from graphkit.simulate.stage import _dedupe
    from graphkit.simulate.world import Ties

    ties = _dedupe(Ties.concat([group_ties, bg]))
    plan = make_plan(pop, groups, ties, SPEC, np.random.default_rng(1))
    first = np.r_[True, plan.seg_person[1:] != plan.seg_person[:-1]]
    assert (plan.seg_start[first] == 0).all()
    assert np.array_equal(np.unique(plan.seg_person), np.arange(pop.size))
    assert (np.diff(plan.seg_start)[~first[1:]] >= 0).all()
    # hidden ties are gone from the final ties
    hidden = {(a, b) for a, b, _ in plan.hidden}
    final = set(zip(plan.ties.a.tolist(), plan.ties.b.tolist(), strict=True))
    assert not hidden & final
    assert all(k in ("group", "friend") for *_, k in plan.hidden)
    assert (plan.ties.kind[plan.ties.kind == GROUP].size) > 0
    # each hand-off silences the person between the old number's stop and the new start
    for h in plan.handoffs:
        mine = plan.seg_person == h.person
        at_stop = plan.seg_phone[mine][plan.seg_start[mine] == h.time_s]
        assert list(at_stop) == [-1]
        assert h.new in plan.seg_phone[mine]


def test_scale_multiplies_the_volume(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from graphkit.simulate import simulate

    small = SimulationSpec(seed=4, people=300, days=14, groups=1)
    one = simulate(tmp_path / "one", spec=small).cdr_rows
    two = simulate(tmp_path / "two", spec=replace(small, scale=2.0)).cdr_rows
    assert 1.85 < two / one < 2.15


@settings(max_examples=200, deadline=None)
@given(
    word=st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12),
    seed=st.integers(0, 2**31),
)
def test_typo_is_one_edit_away(word: str, seed: int) -> None:
    name = word.capitalize()
    out = typo(np.random.default_rng(seed), name)
    assert out != name
    assert jellyfish.damerau_levenshtein_distance(out.lower(), name.lower()) == 1
