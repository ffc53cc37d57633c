"""Planting events on the person timeline: burner hand-offs, blackouts, SIM and handset swaps.

Each function draws its events and records them as timeline changes; a person's events never
overlap (``busy_until``). The draw order is part of the output: changing it changes the case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graphkit.simulate.groups import BACKGROUND, BOSS, LIEUTENANT, Groups
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import Population, Ties

__all__ = ["Blackout", "Handoff", "Phones", "Swap", "Timeline", "plant_group_blackouts"]

DAY_S = 86_400
HOUR_S = 3_600


@dataclass
class Phones:
    """Every phone (SIM or landline), index = phone number in the plan."""

    msisdn: list[str] = field(default_factory=list)
    operator: list[int] = field(default_factory=list)  # 0 = A, 1 = B
    landline: list[bool] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # person, or -1 - household for landlines
    identity: list[str] = field(default_factory=list)  # real | fake | none
    purpose: list[str] = field(default_factory=list)  # personal | burner | swap | landline

    def add(self, operator: int, owner: int, identity: str, purpose: str) -> int:
        self.msisdn.append("")
        self.operator.append(operator)
        self.landline.append(purpose == "landline")
        self.owner.append(owner)
        self.identity.append(identity)
        self.purpose.append(purpose)
        return len(self.msisdn) - 1


@dataclass(frozen=True)
class Handoff:
    """A burner hand-off: ``old`` stops at ``time_s``; ``new`` starts at ``new_start_s``."""

    old: int
    new: int
    person: int
    group: int
    time_s: int
    new_start_s: int
    same_imei: bool


@dataclass(frozen=True)
class Blackout:
    """A person silent in ``[start_s, end_s)``; ``scope`` is "group" or "person"."""

    scope: str
    group: int
    person: int
    phone: int
    start_s: int
    end_s: int
    resumed: bool
    operation_s: int


@dataclass(frozen=True)
class Swap:
    """A SIM swap (new number, same handset) or handset swap (same number, new handset)."""

    kind: str
    person: int
    time_s: int
    old_phone: int
    new_phone: int
    old_imei: int
    new_imei: int


@dataclass
class Timeline:
    """Mutable state while events are planted: each person's current phone and handset, the
    changes after time 0 as (time, phone or -1, handset or -1), and when they are free."""

    phones: Phones
    cur_phone: np.ndarray
    cur_imei: np.ndarray
    busy_until: np.ndarray
    n_imei: int
    changes: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    def change(self, p: int, *rows: tuple[int, int, int]) -> None:
        self.changes.setdefault(p, []).extend(rows)

    def silence(self, p: int, start: int, end: int) -> None:
        """Silent in ``[start, end)``, then back on the current phone and handset."""
        self.change(p, (start, -1, -1), (end, int(self.cur_phone[p]), int(self.cur_imei[p])))

    def new_handset(self) -> int:
        self.n_imei += 1
        return self.n_imei - 1


@dataclass
class HandoffOutcome:
    handoffs: list[Handoff]
    drop_at: np.ndarray  # per tie: when it ends because of a hand-off
    new_ties: list[tuple[int, int, int]]  # (a, b, from second)


def plant_handoffs(
    tl: Timeline,
    pop: Population,
    groups: Groups,
    ties: Ties,
    hidden_keys: np.ndarray,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> HandoffOutcome:
    """Group-wide burner hand-offs with contact drift (see the truth README)."""
    n, total = pop.size, spec.total_seconds
    out = HandoffOutcome([], np.full(ties.size, np.iinfo(np.int64).max), [])
    for g in range(groups.count):
        members = groups.members(g)
        t_group = int(rng.uniform(0.3, 0.5) * total)
        for p in members[rng.random(members.size) < spec.handoff_share].tolist():
            t_stop = t_group + int(rng.integers(0, 6 * HOUR_S))
            t_new = t_stop + int(rng.integers(HOUR_S, 20 * HOUR_S))
            old_op = tl.phones.operator[tl.cur_phone[p]]
            op = old_op if rng.random() < 0.7 else 1 - old_op
            identity = "fake" if rng.random() < 0.5 else "none"
            new = tl.phones.add(op, p, identity, "burner")
            same_imei = bool(rng.random() < 0.2)
            imei = int(tl.cur_imei[p]) if same_imei else tl.new_handset()
            tl.change(p, (t_stop, -1, -1), (t_new, new, imei))
            old = int(tl.cur_phone[p])
            out.handoffs.append(Handoff(old, new, p, g, t_stop, t_new, same_imei))
            tl.cur_phone[p], tl.cur_imei[p] = new, imei
            tl.busy_until[p] = t_new + DAY_S
            mine = np.flatnonzero((ties.a == p) | (ties.b == p))
            dropped = mine[rng.random(mine.size) < spec.handoff_contact_drift]
            out.drop_at[dropped] = np.minimum(out.drop_at[dropped], t_stop)
            if rng.random() < 0.6:
                same_group = rng.random() < 0.5
                pool = members if same_group else np.flatnonzero(pop.community == pop.community[p])
                q = int(rng.choice(pool))
                key = min(p, q) * (n + 1) + max(p, q)
                if q != p and key not in hidden_keys:
                    out.new_ties.append((p, q, t_new))
    return out


def plant_group_blackouts(
    tl: Timeline, groups: Groups, spec: SimulationSpec, rng: np.random.Generator
) -> list[Blackout]:
    """Coordinated silences before an operation date (at least one group)."""
    total = spec.total_seconds
    out: list[Blackout] = []
    chosen = np.flatnonzero(rng.random(groups.count) < spec.blackout_group_share)
    if chosen.size == 0:
        chosen = np.array([int(rng.integers(0, groups.count))])
    for g in chosen.tolist():
        members = groups.members(g)
        operation = int(rng.uniform(0.7, 0.85) * total)
        pre_s = int(rng.uniform(2, 4) * DAY_S)
        post_s = int(rng.uniform(1, 3) * DAY_S)
        lead = np.isin(groups.rank[members], (BOSS, LIEUTENANT))
        for p in members[lead | (rng.random(members.size) < 0.7)].tolist():
            jitter = int(rng.integers(-3 * HOUR_S, 3 * HOUR_S))
            start = max(operation - pre_s + jitter, int(tl.busy_until[p]))
            resumed = bool(rng.random() < 0.85)
            end = min(operation + post_s + int(rng.integers(-3 * HOUR_S, 3 * HOUR_S)), total)
            if end - start < DAY_S:
                continue
            end = end if resumed else total
            tl.silence(p, start, end)
            out.append(
                Blackout("group", g, p, int(tl.cur_phone[p]), start, end, resumed, operation)
            )
            tl.busy_until[p] = total
    return out


def plant_individual_events(
    tl: Timeline, pop: Population, groups: Groups, spec: SimulationSpec, rng: np.random.Generator
) -> tuple[list[Blackout], list[Swap]]:
    """Individual blackouts, SIM swaps and handset swaps among active background people."""
    n, total = pop.size, spec.total_seconds
    background = np.flatnonzero(groups.role == BACKGROUND)
    active = background[pop.activity[background] >= np.median(pop.activity)]
    n_ind = max(2, round(n * spec.individual_blackouts_per_1000 / 1000))
    n_swap = max(1, round(n * spec.swaps_per_1000 / 1000))
    chosen = rng.choice(active, size=n_ind + 2 * n_swap, replace=False).tolist()
    blackouts: list[Blackout] = []
    swaps: list[Swap] = []
    for p in chosen[:n_ind]:
        length = int(min(rng.uniform(3, 7), 0.25 * spec.days) * DAY_S)
        start = int(rng.uniform(0.2, 0.75) * total)
        resumed = bool(rng.random() < 0.8)
        end = start + length if resumed else total
        tl.silence(p, start, end)
        blackouts.append(Blackout("person", -1, p, int(tl.cur_phone[p]), start, end, resumed, -1))
    for k, p in enumerate(chosen[n_ind:]):
        t = int(rng.uniform(0.2, 0.8) * total)
        old_phone, old_imei = int(tl.cur_phone[p]), int(tl.cur_imei[p])
        if k < n_swap:  # SIM swap: new number in the same handset, after a short gap
            ph = tl.phones
            new = ph.add(ph.operator[old_phone], p, ph.identity[old_phone], "swap")
            t_new = t + int(rng.integers(600, 3 * HOUR_S))
            tl.change(p, (t, -1, -1), (t_new, new, old_imei))
            swaps.append(Swap("sim_swap", p, t_new, old_phone, new, old_imei, old_imei))
            tl.cur_phone[p] = new
        else:  # handset swap: same SIM in a new handset
            imei = tl.new_handset()
            tl.change(p, (t, old_phone, imei))
            swaps.append(Swap("handset_swap", p, t, old_phone, old_phone, old_imei, imei))
            tl.cur_imei[p] = imei
    return blackouts, swaps
