"""The community relayed-orders test: exact sign-flip p-values, episodes, a planted chain is
found, bursty calls without orders are not, p-values are valid under the null."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.analytics.chain_claim import joint_claims
from graphkit.analytics.relay_test import _episodes, relay_community_test, sign_flip_p

T0 = pd.Timestamp("2024-01-08T00:00:00Z")  # a Monday
DAY = 86_400
# events per hour of the day (the simulator's social weekday profile)
RHYTHM = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.5, 4, 6, 6, 6, 6, 7, 6, 6, 6, 7, 8, 9, 9, 8, 7, 5, 2.5]
)


def _frame(src: list[str], dst: list[str], t: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": src,
            "dst": dst,
            "start": T0 + pd.to_timedelta(np.asarray(t, dtype=np.int64), unit="s"),
            "duration_s": np.clip(rng.lognormal(4.0, 1.1, len(src)), 1, 3600).astype(int),
        }
    )


def _rhythm_times(rng: np.random.Generator, n: int, days: int) -> np.ndarray:
    hour = rng.choice(24, size=n, p=RHYTHM / RHYTHM.sum())
    return rng.integers(0, days, n) * DAY + hour * 3600 + rng.integers(0, 3600, n)


def _background(rng: np.random.Generator, people: list[str], days: int, per_pair_day: float):  # type: ignore[no-untyped-def]
    """Calls between every pair at its own rate, each tie leaning its own way, with the day's
    rhythm: no orders."""
    src: list[str] = []
    dst: list[str] = []
    times: list[np.ndarray] = []
    for i, a in enumerate(people):
        for b in people[i + 1 :]:
            n = rng.poisson(per_pair_day * days)
            a_calls = rng.random(n) < rng.uniform(0.3, 0.7)
            src += [a if c else b for c in a_calls]
            dst += [b if c else a for c in a_calls]
            times.append(_rhythm_times(rng, n, days))
    return src, dst, np.concatenate(times) if times else np.zeros(0)


def _evenings(rng: np.random.Generator, household: list[str], days: int):  # type: ignore[no-untyped-def]
    """Family evenings: on half the days, an hour or two in which everyone calls everyone."""
    src: list[str] = []
    dst: list[str] = []
    times: list[np.ndarray] = []
    for day in range(days):
        if rng.random() < 0.5:
            continue
        start = day * DAY + int(rng.integers(17 * 3600, 22 * 3600))
        length = int(rng.integers(3600, 7200))
        for a, b in itertools.permutations(household, 2):
            n = rng.poisson(1.5 * length / 3600 / (len(household) - 1))
            src += [a] * n
            dst += [b] * n
            times.append(start + rng.integers(0, length, n))
    return src, dst, np.concatenate(times) if times else np.zeros(0)


def _bursty_community(rng: np.random.Generator, c: int, days: int = 30):  # type: ignore[no-untyped-def]
    households = [[f"c{c}h{h}p{i}" for i in range(5)] for h in range(4)]
    people = [p for h in households for p in h]
    src, dst, t = _background(rng, people, days, 0.1)
    parts = [(src, dst, t)] + [_evenings(rng, h, days) for h in households]
    return (
        [s for p in parts for s in p[0]],
        [d for p in parts for d in p[1]],
        np.concatenate([p[2] for p in parts]),
        people,
    )


def _chain_community(rng: np.random.Generator, days: int = 30):  # type: ignore[no-untyped-def]
    """A boss, three lieutenants with three soldiers each, and everyday calls among all 13;
    half the boss's calls to a lieutenant are orders, passed on to each of his soldiers with
    probability 0.6 (at least one) after a log-normal delay of about ten minutes."""
    lts = [f"L{i}" for i in range(3)]
    crew = {lt: [f"S{i}{j}" for j in range(3)] for i, lt in enumerate(lts)}
    people = ["B", *lts, *[s for c in crew.values() for s in c]]
    src, dst, t = _background(rng, people, days, 0.15)
    src, dst, times = list(src), list(dst), [t]
    for lt in lts:
        n = rng.poisson(0.7 * days)
        order_t = _rhythm_times(rng, n, days)
        src += ["B"] * n
        dst += [lt] * n
        times.append(order_t)
        for t0 in order_t[rng.random(n) < 0.5]:
            reach = rng.random(3) < 0.6
            reach[rng.integers(3)] = True
            for s in np.asarray(crew[lt])[reach]:
                src.append(lt)
                dst.append(str(s))
                times.append(np.array([t0 + 300 + int(600 * rng.lognormal(0, 0.9))]))
    return src, dst, np.concatenate(times), people


def _many(rng: np.random.Generator, communities: list) -> tuple[pd.DataFrame, dict[str, int]]:  # type: ignore[type-arg]
    """Communities' (src, dst, times, people) as one event frame and a membership."""
    events = _frame(
        [s for c in communities for s in c[0]],
        [d for c in communities for d in c[1]],
        np.concatenate([c[2] for c in communities]),
        rng,
    )
    return events, {p: k for k, c in enumerate(communities) for p in c[3]}


def _call_ties(events: pd.DataFrame) -> pd.DataFrame:
    """The contacts as the actor graph's ties: one per (src, dst), weight = count."""
    return (
        events.groupby(["src", "dst"], as_index=False)
        .size()
        .rename(columns={"size": "weight"})
        .assign(layer="calls")
    )


def _test(events: pd.DataFrame, people: dict[str, int]) -> pd.DataFrame:
    return relay_community_test(events, people, window_s=1800)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-5, 7), min_size=1, max_size=12))
def test_sign_flip_p_is_the_exact_tail(d: list[int]) -> None:
    sums = [
        sum(s * abs(v) for s, v in zip(signs, d, strict=True))
        for signs in itertools.product((-1, 1), repeat=len(d))
    ]
    assert abs(sign_flip_p(np.array(d)) - np.mean(np.array(sums) >= sum(d))) < 1e-12


def test_episodes_join_contacts_whose_windows_overlap() -> None:
    x = np.array([0, 0, 0, 1, 1])
    t = np.array([0, 1000, 10_000, 0, 5000])
    # callee 0: the first two windows [t - 30 min, end + 30 min] overlap, the third is apart
    assert _episodes(x, t, t + 10, 1800).tolist() == [0, 0, 1, 2, 3]


def test_a_planted_relay_chain_is_stated_and_its_bystanders_are_not() -> None:
    rng = np.random.default_rng(3)
    src, dst, t, people = _chain_community(rng)
    b_src, b_dst, b_t, others = _bursty_community(rng, 0)
    events = _frame(src + b_src, dst + b_dst, np.r_[t, b_t], rng)
    membership = {p: 0 for p in people} | {p: 1 for p in others}
    relay = _test(events, membership)
    assert relay.loc[0, "relay_test_source"] == "B"
    assert relay.loc[0, "relay_test_p_value"] < 1e-4
    assert relay.loc[0, "relay_test_ratio"] >= 3
    untested = pd.DataFrame(
        {"tested": [False, False], "p_value": np.nan, "effect": np.nan, "stated": False}
    )
    claims = joint_claims(untested, relay, fdr=0.05, min_effect=0.01, min_relay_ratio=1.5)
    assert claims["stated"].tolist() == [True, False]
    assert claims.loc[0, "basis"] == "relayed orders" and not claims.loc[0, "ordering_stated"]


def test_bursty_calls_without_orders_are_not_relays() -> None:
    """Family evenings put onward contacts right after a contact as often as right before
    it: a rate null reads them as relays, time reversal does not (docs/analytics.md)."""
    rng = np.random.default_rng(5)
    relay = _test(*_many(rng, [_bursty_community(rng, c) for c in range(40)]))
    p = relay["relay_test_p_value"].dropna()
    assert len(p) >= 35
    assert (p <= 0.05).mean() <= 0.1
    untested = pd.DataFrame(
        {"tested": np.zeros(40, bool), "p_value": np.nan, "effect": np.nan, "stated": False}
    )
    claims = joint_claims(untested, relay, fdr=0.05, min_effect=0.01, min_relay_ratio=1.5)
    assert not claims["stated"].any()


def test_p_values_are_valid_under_the_null() -> None:
    """Independent calls with a daily rhythm, 60 communities: P(p <= a) <= a (within noise)."""
    rng = np.random.default_rng(11)
    communities = []
    for c in range(60):
        people = [f"c{c}p{i}" for i in range(12)]
        communities.append((*_background(rng, people, 30, 0.4), people))
    relay = _test(*_many(rng, communities))
    p = relay["relay_test_p_value"].dropna().to_numpy()
    assert len(p) >= 50
    for a in (0.05, 0.2, 0.5):
        assert (p <= a).mean() <= a + 2 * np.sqrt(a * (1 - a) / len(p))


def test_a_chain_stated_by_relayed_orders_alone_draws_no_levels() -> None:
    """Through analyze_edges: the claim names its route; levels, superiors and the rank term
    of leadership stay with the ordering test."""
    from graphkit.analytics.measures import analyze_edges

    rng = np.random.default_rng(3)
    src, dst, t, people = _chain_community(rng)
    b_src, b_dst, b_t, others = _bursty_community(rng, 0)
    events = _frame(src + b_src, dst + b_dst, np.r_[t, b_t], rng)
    result = analyze_edges(
        _call_ties(events),
        actors=people + others,
        seed=0,
        only=("hierarchy",),
        contacts=events,
        communities={p: 0 for p in people} | {p: 1 for p in others},
    )
    actors = result.actors.set_index("actor_id")
    comm = result.communities.set_index("community")  # held labels are renumbered
    chain, bystanders = actors.loc["B", "community"], actors.loc[others[0], "community"]
    assert comm.loc[chain, "hierarchy_stated"] and not comm.loc[chain, "ordering_stated"]
    assert comm.loc[chain, "hierarchy_basis"] == "relayed orders"
    assert comm.loc[chain, "relay_test_source"] == "B"
    assert comm.loc[chain, "relay_test_q_value"] < 1e-3
    assert not comm.loc[bystanders, "hierarchy_stated"]
    assert actors.loc[people, "hierarchy_stated"].all()
    assert actors.loc[people, "level"].isna().all() and actors.loc[people, "superior"].isna().all()
    assert "no clear ordering" in actors.loc["L0", "explanation"]
    assert result.summary["hierarchies_stated_by_relays"] == 1


def test_a_chain_among_many_members_is_not_diluted_by_them() -> None:
    """Thirty more members who call each other (no orders) make thirty more eligible sources.
    Besides Simes over all of them, the test combines the five with the most onward contacts
    around their contacts (a choice on |d| alone) and keeps twice the smaller p-value: the
    boss's evidence is no longer divided among every member."""
    rng = np.random.default_rng(0)
    src, dst, t, people = _chain_community(rng)
    extra = [f"M{i}" for i in range(30)]
    b_src, b_dst, b_t = _background(rng, people + extra, 30, 0.08)
    events = _frame(src + b_src, dst + b_dst, np.r_[t, b_t], rng)
    membership = {p: 0 for p in people + extra}
    both = relay_community_test(events, membership)
    every = relay_community_test(events, membership, max_sources=10_000)
    assert both.loc[0, "relay_test_sources"] == every.loc[0, "relay_test_sources"] >= 25
    assert both.loc[0, "relay_test_source"] == every.loc[0, "relay_test_source"] == "B"
    assert both.loc[0, "relay_test_p_value"] * 2.5 < every.loc[0, "relay_test_p_value"]


def test_a_clean_boss_in_a_busy_crew_is_not_left_out() -> None:
    """The boss's orders carry less onward traffic than his crew's own calls, so he is not
    among the five busiest sources; Simes over every eligible source still finds him."""
    rng = np.random.default_rng(3)
    src, dst, t, people = _chain_community(rng)
    crew = [p for p in people if p != "B"]
    b_src, b_dst, b_t = _background(rng, crew, 30, 3.0)  # a busy crew, the boss not in it
    events = _frame(src + b_src, dst + b_dst, np.r_[t, b_t], rng)
    membership = {p: 0 for p in people}
    found = relay_community_test(events, membership)
    # (the five busiest alone gave p = 0.99, their best source a soldier)
    assert found.loc[0, "relay_test_source"] == "B"
    assert found.loc[0, "relay_test_p_value"] < 0.01


def test_a_relay_pattern_is_worded_as_a_chain_only_where_the_community_test_passed() -> None:
    """The per-actor rate comparison names "heads" in bursty households without orders; the
    explanation, the leaders view's basis and the organisation evidence call a tier a chain
    only where the community's time-reversal test passed, and a pattern (saying why) elsewhere."""
    from graphkit.analytics.measures import analyze_edges
    from graphkit.analytics.organisation import organisation

    rng = np.random.default_rng(3)
    src, dst, t, people = _chain_community(rng)
    bursty = [_bursty_community(rng, c) for c in range(8)]
    events = _frame(
        src + [s for b in bursty for s in b[0]],
        dst + [d for b in bursty for d in b[1]],
        np.concatenate([t, *[b[2] for b in bursty]]),
        rng,
    )
    held = {p: 0 for p in people} | {p: 1 + c for c, b in enumerate(bursty) for p in b[3]}
    result = analyze_edges(
        _call_ties(events),
        actors=list(held),
        seed=0,
        only=("hierarchy",),
        contacts=events,
        communities=held,
    )
    actors = result.actors.set_index("actor_id")
    comm = result.communities.set_index("community")
    chain = actors.loc["B", "community"]
    assert comm.loc[chain, "relay_test_stated"] and actors.loc["B", "relay_tier"] == 2
    assert (
        "head of a relay chain (its community's relayed-orders test passed)"
        in (actors.loc["B", "explanation"])
    )
    assert actors.loc["B", "evidence"]["relay"]["confirmed_by_community_test"]
    others = actors[actors["community"] != chain]
    patterns = others[others["relay_tier"] > 0]
    assert len(patterns) >= 3  # the rate comparison fires on family evenings
    assert not comm.loc[others["community"].unique(), "relay_test_stated"].any()
    for text, evidence in zip(patterns["explanation"], patterns["evidence"], strict=True):
        assert "relay pattern of a" in text and "not a tested claim" in text
        assert "head of a relay chain" not in text and "middle link of a relay chain" not in text
        assert evidence["relay"]["confirmed_by_community_test"] is False
    ranked = organisation(result.communities, result.actors.reset_index())
    credited = ranked.set_index("community")["evidence"]
    assert credited.loc[chain] == ["relayed orders"]
    assert all("relayed orders" not in credited.loc[c] for c in others["community"].unique())
    # the community's leader is named only where a test passed for it: the chain's head; a
    # household's first member by leadership (placed by its pattern) is no leader, unless the
    # household's ordering test passed (one does, by chance) and it tops that ordering
    assert comm.loc[chain, "leader"] == "B"
    households = comm.loc[others["community"].unique()]
    ordered = households[households["ordering_stated"].astype(bool)]
    assert (
        len(ordered) < len(households)
        and households.loc[~households.index.isin(ordered.index), "leader"].isna().all()
    )
    assert (actors.loc[ordered["leader"], "level"] == 0).all()
