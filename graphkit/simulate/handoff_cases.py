"""Opt-in harder hand-offs (``SimulationSpec.hard_handoffs``), with their truth.

The default plan's burner hand-offs are tidy: the old number goes silent for good, a
brand-new number starts within a day, most contacts carry over. Real ones are messier. With
this plant (off by default, drawn from its own ``hard_handoffs`` random stream, so a case
simulated without it is byte for byte what it was) a case also holds, for active background
people whose timeline has no other planted change (``PER_CASE_PER_1000`` each per 1,000
people, at least ``MIN_PER_CASE``):

* ``reused``: the successor was used briefly before: for 1 to 3 days early in the period,
  ``REUSED_SHARE`` of the person's calls and texts went out on it, then it lay unused until
  the hand-off (so it is not a new number when it takes over);
* ``kept_alive``: the old number keeps running after the hand-off at low volume: every
  contact with one or two of the person's ties (``KEPT_TIES``) stays on it;
* ``weak_overlap``: ``WEAK_DROP`` of the person's ties end at the hand-off and as many new
  ones (kind ``new``) begin on the new number, so little of the contact set carries over;
* ``no_imei``: an ordinary individual hand-off whose records carry no IMEI at all (the
  person's handsets are unknown from the start);

and one organised group's hand-off becomes a ``group_relabel``: ``GROUP_DROP`` of its
swapping members' ties outside the group end at their hand-off, so what carries over is
mostly the group's own structure (the successors call each other, not the old numbers).

Every individual case gets a fresh handset (no IMEI shared between old and new) and a gap of
1 to 20 hours. ``truth/phones.csv`` and the subscriber records count the early use and the
kept-alive traffic in each number's span (``Plan.extra_use``). ``truth/hard_handoffs.csv``
lists each: case, old and new number, person, group (group_relabel only), the hand-off time,
the new number's start, and for ``reused`` the span of its earlier use.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from graphkit.simulate import phones as ids
from graphkit.simulate.events import DayEvents
from graphkit.simulate.groups import BACKGROUND, Groups
from graphkit.simulate.io import person_id
from graphkit.simulate.plan import _MNC, DAY_S, HOUR_S, Plan
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import GROUP, NEW, Population, Ties

__all__ = [
    "HARD_CASES",
    "HARD_HANDOFF_COLUMNS",
    "HardHandoff",
    "HardHandoffs",
    "plant_hard_handoffs",
]

HARD_CASES = ("reused", "kept_alive", "weak_overlap", "no_imei", "group_relabel")
PER_CASE_PER_1000 = 5.0
MIN_PER_CASE = 4
REUSED_SHARE = 0.4
KEPT_TIES = (1, 2)
WEAK_DROP = 0.75
GROUP_DROP = 0.8

HARD_HANDOFF_COLUMNS = [
    "case",
    "old_msisdn",
    "new_msisdn",
    "person_id",
    "group_id",
    "time",
    "new_start",
    "early_start",
    "early_end",
]


@dataclass(frozen=True)
class HardHandoff:
    """One harder hand-off: ``old`` stops (or fades) at ``time_s``, ``new`` takes over at
    ``new_start_s``; ``early`` is the earlier use of a reused successor (-1, -1 if none)."""

    case: str
    person: int
    group: int
    old: int
    new: int
    time_s: int
    new_start_s: int
    early: tuple[int, int] = (-1, -1)


@dataclass(frozen=True)
class _Remap:
    """Events of ``person`` in ``[t0, t1)`` (with one of ``contacts``, when given; a share
    ``share`` of them) go out on ``phone`` in ``handset``."""

    person: int
    t0: int
    t1: int
    phone: int
    handset: int
    share: float
    contacts: tuple[int, ...] = ()


@dataclass(frozen=True)
class HardHandoffs:
    """What :func:`plant_hard_handoffs` added, and the per-day rewrites it needs."""

    items: tuple[HardHandoff, ...]
    remaps: tuple[_Remap, ...]

    def remap_day(self, events: DayEvents, rng: np.random.Generator) -> DayEvents:
        """The day's events with the reused successors' early use and the kept-alive old
        numbers' traffic moved onto those numbers (events are not added or dropped)."""
        if events.size == 0 or not self.remaps:
            return events
        caller, callee, imei = events.caller.copy(), events.callee.copy(), events.imei.copy()
        u = rng.random((len(self.remaps), events.size))
        t = events.time_s
        for k, r in enumerate(self.remaps):
            when = (t >= r.t0) & (t < r.t1) & (u[k] < r.share)
            for mine, other, column in (
                (events.caller_node, events.callee_node, caller),
                (events.callee_node, events.caller_node, callee),
            ):
                hit = when & (mine == r.person) & (column >= 0)
                if r.contacts:
                    hit &= np.isin(other, np.asarray(r.contacts, dtype=np.int64))
                column[hit] = r.phone
                if column is caller:
                    imei[hit] = r.handset
        return dataclasses.replace(events, caller=caller, callee=callee, imei=imei)

    def truth_rows(self, spec: SimulationSpec, plan: Plan) -> tuple[list[str], list[Any]]:
        """``truth/hard_handoffs.csv`` (:data:`HARD_HANDOFF_COLUMNS`), by case then time."""
        from graphkit.simulate.truth import iso_time

        def when(s: int) -> str:
            return iso_time(spec, s) if s >= 0 else ""

        rows = [
            [
                h.case,
                plan.msisdn[h.old],
                plan.msisdn[h.new],
                person_id(h.person),
                f"G{h.group + 1}" if h.group >= 0 else "",
                when(h.time_s),
                when(h.new_start_s),
                when(h.early[0]),
                when(h.early[1]),
            ]
            for h in sorted(self.items, key=lambda h: (HARD_CASES.index(h.case), h.time_s))
        ]
        return HARD_HANDOFF_COLUMNS, rows


def plant_hard_handoffs(
    plan: Plan,
    pop: Population,
    groups: Groups,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> tuple[Plan, HardHandoffs]:
    """The plan with the harder hand-offs' phones, segments and ties, and what was planted."""
    n, total = pop.size, spec.total_seconds
    segments = np.bincount(plan.seg_person, minlength=n)
    background = groups.role == BACKGROUND
    active = pop.activity >= np.median(pop.activity)
    pool = np.flatnonzero((segments == 1) & background & active)
    k = max(MIN_PER_CASE, round(n * PER_CASE_PER_1000 / 1000))
    individual = ("reused", "kept_alive", "weak_overlap", "no_imei")
    chosen = rng.choice(pool, size=min(pool.size, k * len(individual)), replace=False)
    first_seg = np.searchsorted(plan.seg_person, np.arange(n))
    phones = dataclasses.replace(
        plan.phones,
        **{f.name: list(getattr(plan.phones, f.name)) for f in dataclasses.fields(plan.phones)},
    )
    seg_imei = plan.seg_imei.copy()
    ties = plan.ties
    to_s = ties.to_s.copy()
    next_imei = plan.imei.size
    rows: list[tuple[int, int, int, int]] = []  # person, start, phone, handset
    items: list[HardHandoff] = []
    remaps: list[_Remap] = []
    new_ties: list[tuple[int, int, float, int]] = []  # a, b, rate, from
    new_phones: list[int] = []
    for i, p in enumerate(chosen.tolist()):
        case = individual[i // k]
        old = int(plan.seg_phone[first_seg[p]])
        old_handset = int(plan.seg_imei[first_seg[p]])
        t_stop = int(rng.uniform(0.4, 0.75) * total)
        t_new = t_stop + int(rng.integers(HOUR_S, 20 * HOUR_S))
        op = phones.operator[old] if rng.random() < 0.7 else 1 - phones.operator[old]
        new = phones.add(op, p, "fake" if rng.random() < 0.5 else "none", "burner")
        new_phones.append(new)
        handset = -1 if case == "no_imei" else next_imei
        next_imei += case != "no_imei"
        if case == "no_imei":
            seg_imei[first_seg[p]] = -1
            old_handset = -1
        rows += [(p, t_stop, -1, -1), (p, t_new, new, handset)]
        early = (-1, -1)
        mine = np.flatnonzero((ties.a == p) | (ties.b == p))
        if case == "reused":
            e0 = int(rng.uniform(0.03, 0.2) * total)
            early = (e0, e0 + int(rng.uniform(1.0, 3.0) * DAY_S))
            remaps.append(_Remap(p, early[0], early[1], new, handset, REUSED_SHARE))
        elif case == "kept_alive":
            live = mine[(ties.to_s[mine] > t_new) & (ties.from_s[mine] <= t_new)]
            m = min(live.size, int(rng.integers(KEPT_TIES[0], KEPT_TIES[1] + 1)))
            kept = rng.choice(live, size=m, replace=False)
            contacts = tuple(int(ties.b[j] if ties.a[j] == p else ties.a[j]) for j in kept)
            remaps.append(_Remap(p, t_new, total, old, old_handset, 1.0, contacts))
        elif case == "weak_overlap" and mine.size:
            dropped = mine[rng.random(mine.size) < WEAK_DROP]
            to_s[dropped] = np.minimum(to_s[dropped], t_stop)
            others = rng.integers(0, n, dropped.size)
            for j, q in zip(dropped.tolist(), others.tolist(), strict=True):
                if q != p:
                    new_ties.append((p, q, float(ties.rate_per_day[j]), t_new))
        items.append(HardHandoff(case, p, -1, old, new, t_stop, t_new, early))
    with_handoffs = sorted({h.group for h in plan.handoffs})
    if with_handoffs:
        g = int(rng.choice(with_handoffs))
        for h in (h for h in plan.handoffs if h.group == g):
            his = (ties.a == h.person) | (ties.b == h.person)
            mine = np.flatnonzero(his & (ties.kind != GROUP))
            dropped = mine[rng.random(mine.size) < GROUP_DROP]
            to_s[dropped] = np.minimum(to_s[dropped], h.time_s)
            items.append(
                HardHandoff("group_relabel", h.person, g, h.old, h.new, h.time_s, h.new_start_s)
            )

    msisdn = np.concatenate([plan.msisdn, _fresh(rng, len(new_phones), plan.msisdn)])
    phones.msisdn = [str(x) for x in msisdn]
    mnc = np.array(_MNC)[[phones.operator[i] for i in new_phones]].reshape(-1)
    taken = set(plan.imsi.tolist())
    new_imsi = ids.imsis(rng, mnc)
    while taken & set(new_imsi.tolist()):
        new_imsi = ids.imsis(rng, mnc)
    extra_imei = next_imei - plan.imei.size
    imei = np.concatenate([plan.imei, _fresh_imeis(rng, extra_imei, plan.imei)])
    m = len(new_ties)
    ties = Ties.concat(
        [
            dataclasses.replace(ties, to_s=to_s),
            Ties(
                np.array([a for a, _, _, _ in new_ties], np.int64),
                np.array([b for _, b, _, _ in new_ties], np.int64),
                np.full(m, NEW),
                np.array([r for _, _, r, _ in new_ties], np.float64),
                np.full(m, 0.5),
                np.full(m, 0.4),
                np.array([f for _, _, _, f in new_ties], np.int64),
                np.full(m, total, np.int64),
            ),
        ]
    )
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    p_all = np.concatenate([plan.seg_person, arr[:, 0]])
    s_all = np.concatenate([plan.seg_start, arr[:, 1]])
    order = np.lexsort((s_all, p_all))
    planted = dataclasses.replace(
        plan,
        phones=phones,
        msisdn=msisdn,
        imsi=np.concatenate([plan.imsi, new_imsi]),
        imei=imei,
        seg_person=p_all[order],
        seg_start=s_all[order],
        seg_phone=np.concatenate([plan.seg_phone, arr[:, 2]])[order],
        seg_imei=np.concatenate([seg_imei, arr[:, 3]])[order],
        ties=ties,
        extra_use=(*plan.extra_use, *((r.phone, r.t0, r.t1) for r in remaps)),
    )
    return planted, HardHandoffs(tuple(items), tuple(remaps))


def _fresh(rng: np.random.Generator, n: int, taken: np.ndarray) -> np.ndarray:
    used = set(taken.tolist())
    out: list[str] = []
    while len(out) < n:
        for x in ids.mobile_numbers(rng, 2 * n).tolist():
            if x not in used:
                used.add(x)
                out.append(x)
    return np.array(out[:n], dtype=object)


def _fresh_imeis(rng: np.random.Generator, n: int, taken: np.ndarray) -> np.ndarray:
    if n == 0:
        return np.zeros(0, dtype=object)
    used = set(taken.tolist())
    out: list[str] = []
    while len(out) < n:
        for x in ids.imeis(rng, 2 * n).tolist():
            if x not in used:
                used.add(x)
                out.append(x)
    return np.array(out[:n], dtype=object)
