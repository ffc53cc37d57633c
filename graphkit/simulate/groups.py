"""Organised groups inside the population: hierarchy, crews, brokers and money mules.

Calls follow the hierarchy: soldiers talk to their lieutenant and crew mates, lieutenants to
the boss and to each other, the boss to few people; the lower rank places
``spec.upward_call_share`` of the calls on average (default calibrated to Montagna, see
docs/simulate.md). Brokers link lieutenants of two groups; mules are outsiders with a few
ties to the members whose money they relay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import GROUP, Population, Ties

__all__ = ["BOSS", "LIEUTENANT", "RANK_NAMES", "ROLE_NAMES", "SOLDIER", "Groups", "make_groups"]

NONE, BOSS, LIEUTENANT, SOLDIER = range(4)
RANK_NAMES = ("", "boss", "lieutenant", "soldier")
BACKGROUND, MEMBER, BROKER, MULE = range(4)
ROLE_NAMES = ("", "member", "broker", "mule")


@dataclass(frozen=True)
class Groups:
    """Per person: ``group`` (-1 none), ``rank``, ``crew`` (the lieutenant a soldier reports to,
    the lieutenant's own index for lieutenants, -1 otherwise) and ``role``.
    ``affiliations`` lists (person, group, role) for brokers and mules (a broker has two)."""

    group: np.ndarray
    rank: np.ndarray
    crew: np.ndarray
    role: np.ndarray
    affiliations: tuple[tuple[int, int, int], ...]
    count: int

    def members(self, g: int) -> np.ndarray:
        return np.flatnonzero(self.group == g)

    def boss(self, g: int) -> int:
        return int(np.flatnonzero((self.group == g) & (self.rank == BOSS))[0])

    def lieutenants(self, g: int) -> np.ndarray:
        return np.flatnonzero((self.group == g) & (self.rank == LIEUTENANT))

    def mules(self, g: int) -> np.ndarray:
        return np.array([p for p, gg, r in self.affiliations if gg == g and r == MULE], np.int64)


def make_groups(
    pop: Population, spec: SimulationSpec, rng: np.random.Generator
) -> tuple[Groups, Ties]:
    """Choose members, ranks, brokers and mules; return them with the ties they call on."""
    n = pop.size
    per_group = max(8, round(n * spec.member_share / spec.groups))
    sizes = rng.normal(per_group, 0.25 * per_group, spec.groups).round()
    sizes = np.clip(sizes, 8, int(1.5 * per_group)).astype(int)
    age_days = (np.datetime64(spec.start_date, "D") - pop.dob).astype(np.int64)
    eligible = np.flatnonzero(age_days < 60 * 365)
    chosen = rng.choice(eligible, size=int(sizes.sum()) + 3 * spec.groups, replace=False)
    group = np.full(n, -1, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    crew = np.full(n, -1, dtype=np.int64)
    role = np.zeros(n, dtype=np.int64)
    a_parts: list[np.ndarray] = []
    b_parts: list[np.ndarray] = []
    rate_parts: list[np.ndarray] = []
    p_parts: list[np.ndarray] = []

    def tie(a: np.ndarray, b: np.ndarray, rate: float, p_a_calls: float) -> None:
        a_parts.append(np.asarray(a, np.int64))
        b_parts.append(np.asarray(b, np.int64))
        rate_parts.append(np.full(len(a), rate))
        p_parts.append(np.full(len(a), p_a_calls))

    # share of calls on a tie across ranks that the lower rank places (spec.upward_call_share
    # on average; lieutenants report to the boss a little more, soldiers a little less)
    up = spec.upward_call_share
    cursor = 0
    for g, size in enumerate(sizes):
        people = chosen[cursor : cursor + size]
        cursor += size
        n_lt = max(2, size // 6)
        boss, lts, soldiers = people[0], people[1 : 1 + n_lt], people[1 + n_lt :]
        group[people] = g
        role[people] = MEMBER
        rank[boss], rank[lts], rank[soldiers] = BOSS, LIEUTENANT, SOLDIER
        crew[lts] = lts
        crew[soldiers] = lts[rng.integers(0, n_lt, soldiers.size)]
        tie(lts, np.full(n_lt, boss), 1.6, up + 0.05)
        ia, ib = np.triu_indices(n_lt, 1)
        tie(lts[ia], lts[ib], 1.0, 0.5)
        tie(soldiers, crew[soldiers], 2.0, up - 0.05)
        ia, ib = np.triu_indices(soldiers.size, 1)
        same_crew = crew[soldiers[ia]] == crew[soldiers[ib]]
        draw = rng.random(ia.size)
        pick = (same_crew & (draw < 0.8)) | (~same_crew & (draw < 0.3))
        tie(soldiers[ia[pick & same_crew]], soldiers[ib[pick & same_crew]], 1.0, 0.5)
        tie(soldiers[ia[pick & ~same_crew]], soldiers[ib[pick & ~same_crew]], 0.5, 0.5)
        other_s, other_l = np.meshgrid(soldiers, lts)
        other = (crew[other_s] != other_l) & (rng.random(other_s.shape) < 0.2)
        tie(other_s[other], other_l[other], 0.4, up - 0.05)
        direct = soldiers[rng.random(soldiers.size) < 0.25]
        tie(direct, np.full(direct.size, boss), 0.3, up - 0.1)

    outsiders = chosen[cursor:]
    affiliations: list[tuple[int, int, int]] = []
    for g in range(spec.groups):
        mules = outsiders[2 * g : 2 * g + 2]
        role[mules] = 3
        members = np.flatnonzero(group == g)
        for m in mules:
            affiliations.append((int(m), g, MULE))
            contacts = rng.choice(members[rank[members] != BOSS], size=2, replace=False)
            tie(contacts, np.full(2, m), 0.3, 0.6)
    for k in range(spec.groups - 1 if spec.groups > 1 else 0):
        broker = int(outsiders[2 * spec.groups + k])
        role[broker] = BROKER
        for g in (k, k + 1):
            affiliations.append((broker, g, BROKER))
            lts = np.flatnonzero((group == g) & (rank == LIEUTENANT))
            contacts = rng.choice(lts, size=min(2, lts.size), replace=False)
            tie(np.full(contacts.size, broker), contacts, 0.7, 0.5)

    a, b = np.concatenate(a_parts), np.concatenate(b_parts)
    rate, p_a = np.concatenate(rate_parts), np.concatenate(p_parts)
    swap = a > b  # canonical order; keep who calls whom
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    p_a = np.where(swap, 1.0 - p_a, p_a)
    m = a.size
    ties = Ties(
        a=a,
        b=b,
        kind=np.full(m, GROUP),
        rate_per_day=rate * rng.gamma(4.0, 0.25, m),
        p_a_calls=p_a,
        p_sms=np.full(m, 0.55),
        from_s=np.zeros(m, dtype=np.int64),
        to_s=np.full(m, spec.total_seconds, dtype=np.int64),
    )
    groups = Groups(group, rank, crew, role, tuple(affiliations), spec.groups)
    return groups, ties
