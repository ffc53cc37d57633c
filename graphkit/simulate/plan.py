"""Planted events: hidden ties, burner hand-offs, blackouts, SIM and handset swaps.

The outcome is a *timeline*: for every person, contiguous segments ``[start, next start)``
saying which phone (SIM) and handset they use, or that they are silent (-1). Events in the
CDRs are mapped through it, so a planted silence or hand-off holds in the data by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from graphkit.simulate import phones as ids
from graphkit.simulate.groups import BACKGROUND, BOSS, LIEUTENANT, MEMBER, Groups
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import FRIEND, GROUP, LANDLINE, NEW, Population, Ties

__all__ = ["Blackout", "Handoff", "Phones", "Plan", "Swap", "make_plan"]

DAY_S = 86_400
HOUR_S = 3_600
OPERATORS = ("A", "B")
_MNC = (15, 30)


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


@dataclass(frozen=True)
class Plan:
    """Phones, handsets, the person timeline, the final ties and the planted events."""

    phones: Phones
    msisdn: np.ndarray  # E.164 per phone
    imsi: np.ndarray  # per phone ("" for landlines)
    imei: np.ndarray  # per handset
    seg_person: np.ndarray  # segments sorted by (person, start)
    seg_start: np.ndarray
    seg_phone: np.ndarray  # -1 = silent
    seg_imei: np.ndarray  # handset index, -1 = none
    house_landline: np.ndarray  # per household: phone index or -1
    ties: Ties  # nodes < people are persons; people + h is the landline of household h
    hidden: list[tuple[int, int, str]]
    handoffs: list[Handoff]
    blackouts: list[Blackout]
    swaps: list[Swap]
    tie_kinds_hidden: tuple[str, ...] = ("group", "friend")


def _hide_ties(
    ties: Ties, pop: Population, spec: SimulationSpec, rng: np.random.Generator
) -> tuple[Ties, list[tuple[int, int, str]]]:
    eligible = np.flatnonzero(
        np.isin(ties.kind, (GROUP, FRIEND)) & (pop.household[ties.a] != pop.household[ties.b])
    )
    k = round(spec.hidden_tie_share * eligible.size)
    chosen = np.sort(rng.choice(eligible, size=k, replace=False))
    keep = np.ones(ties.size, dtype=bool)
    keep[chosen] = False
    names = {GROUP: "group", FRIEND: "friend"}
    hidden = [(int(ties.a[i]), int(ties.b[i]), names[int(ties.kind[i])]) for i in chosen]
    return ties.take(np.flatnonzero(keep)), hidden


def _pair_key(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    key: np.ndarray = np.minimum(a, b).astype(np.int64) * (n + 1) + np.maximum(a, b)
    return key


def make_plan(
    pop: Population,
    groups: Groups,
    ties: Ties,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> Plan:
    """Draw phones, hidden ties, hand-offs, blackouts and swaps; build the timeline."""
    n = pop.size
    total = spec.total_seconds
    ties, hidden = _hide_ties(ties, pop, spec, rng)
    phones = Phones()
    n_imei = n
    person_phone = np.empty(n, dtype=np.int64)
    group_identity = rng.choice(["real", "fake", "none"], size=n, p=[0.5, 0.3, 0.2])
    bg_identity = rng.choice(["real", "none"], size=n, p=[0.92, 0.08])
    operator = (rng.random(n) < 0.45).astype(int)
    for p in range(n):
        member = groups.role[p] == MEMBER
        person_phone[p] = phones.add(
            int(operator[p]), p, str(group_identity[p] if member else bg_identity[p]), "personal"
        )
    # per person: list of (time, phone or -1, handset or -1) changes after time 0
    changes: dict[int, list[tuple[int, int, int]]] = {}
    cur_phone = person_phone.copy()
    cur_imei = np.arange(n, dtype=np.int64)
    busy_until = np.zeros(n, dtype=np.int64)  # persons' events never overlap
    handoffs: list[Handoff] = []
    blackouts: list[Blackout] = []
    swaps: list[Swap] = []
    drop_at = np.full(ties.size, np.iinfo(np.int64).max)
    new_a: list[int] = []
    new_b: list[int] = []
    new_from: list[int] = []
    hidden_keys = _pair_key(
        np.array([h[0] for h in hidden], np.int64), np.array([h[1] for h in hidden], np.int64), n
    )

    for g in range(groups.count):
        members = groups.members(g)
        t_group = int(rng.uniform(0.3, 0.5) * total)
        for p in members[rng.random(members.size) < spec.handoff_share]:
            p = int(p)
            t_stop = t_group + int(rng.integers(0, 6 * HOUR_S))
            t_new = t_stop + int(rng.integers(HOUR_S, 20 * HOUR_S))
            same_op = rng.random() < 0.7
            op = phones.operator[cur_phone[p]] if same_op else 1 - phones.operator[cur_phone[p]]
            identity = "fake" if rng.random() < 0.5 else "none"
            new = phones.add(op, p, identity, "burner")
            same_imei = bool(rng.random() < 0.2)
            imei = int(cur_imei[p]) if same_imei else n_imei
            n_imei += 0 if same_imei else 1
            changes.setdefault(p, []).extend([(t_stop, -1, -1), (t_new, new, imei)])
            handoffs.append(
                Handoff(
                    old=int(cur_phone[p]),
                    new=new,
                    person=p,
                    group=g,
                    time_s=t_stop,
                    new_start_s=t_new,
                    same_imei=same_imei,
                )
            )
            cur_phone[p], cur_imei[p] = new, imei
            busy_until[p] = t_new + DAY_S
            mine = np.flatnonzero((ties.a == p) | (ties.b == p))
            dropped = mine[rng.random(mine.size) < 0.12]
            drop_at[dropped] = np.minimum(drop_at[dropped], t_stop)
            if rng.random() < 0.6:
                pool = (
                    members
                    if rng.random() < 0.5
                    else np.flatnonzero(pop.community == pop.community[p])
                )
                q = int(rng.choice(pool))
                if q != p and _pair_key(np.array([p]), np.array([q]), n)[0] not in hidden_keys:
                    new_a.append(p)
                    new_b.append(q)
                    new_from.append(t_new)

    blackout_groups = np.flatnonzero(rng.random(groups.count) < spec.blackout_group_share)
    if blackout_groups.size == 0:
        blackout_groups = np.array([int(rng.integers(0, groups.count))])
    for bg in blackout_groups:
        g = int(bg)
        members = groups.members(g)
        operation = int(rng.uniform(0.7, 0.85) * total)
        pre_s = int(rng.uniform(2, 4) * DAY_S)
        post_s = int(rng.uniform(1, 3) * DAY_S)
        lead = np.isin(groups.rank[members], (BOSS, LIEUTENANT))
        part = members[lead | (rng.random(members.size) < 0.7)]
        for p in part:
            p = int(p)
            start = max(
                operation - pre_s + int(rng.integers(-3 * HOUR_S, 3 * HOUR_S)), int(busy_until[p])
            )
            resumed = bool(rng.random() < 0.85)
            end = min(operation + post_s + int(rng.integers(-3 * HOUR_S, 3 * HOUR_S)), total)
            if end - start < DAY_S:
                continue
            _silence(changes, p, start, end if resumed else total, cur_phone, cur_imei)
            blackouts.append(
                Blackout(
                    scope="group",
                    group=g,
                    person=p,
                    phone=int(cur_phone[p]),
                    start_s=start,
                    end_s=end if resumed else total,
                    resumed=resumed,
                    operation_s=operation,
                )
            )
            busy_until[p] = total

    background = np.flatnonzero(groups.role == BACKGROUND)
    busy = np.concatenate([background[pop.activity[background] >= np.median(pop.activity)]])
    n_ind = max(2, round(n * spec.individual_blackouts_per_1000 / 1000))
    n_swap = max(1, round(n * spec.swaps_per_1000 / 1000))
    chosen = rng.choice(busy, size=n_ind + 2 * n_swap, replace=False)
    for p in chosen[:n_ind]:
        p = int(p)
        length = int(min(rng.uniform(3, 7), 0.25 * spec.days) * DAY_S)
        start = int(rng.uniform(0.2, 0.75) * total)
        resumed = bool(rng.random() < 0.8)
        end = start + length if resumed else total
        _silence(changes, p, start, end, cur_phone, cur_imei)
        blackouts.append(
            Blackout(
                scope="person",
                group=-1,
                person=p,
                phone=int(cur_phone[p]),
                start_s=start,
                end_s=end,
                resumed=resumed,
                operation_s=-1,
            )
        )
    for k, p in enumerate(chosen[n_ind:]):
        p = int(p)
        t = int(rng.uniform(0.2, 0.8) * total)
        if k < n_swap:  # SIM swap: new number in the same handset, after a short gap
            new = phones.add(
                phones.operator[cur_phone[p]], p, phones.identity[cur_phone[p]], "swap"
            )
            t_new = t + int(rng.integers(600, 3 * HOUR_S))
            changes.setdefault(p, []).extend([(t, -1, -1), (t_new, new, int(cur_imei[p]))])
            swaps.append(
                Swap(
                    kind="sim_swap",
                    person=p,
                    time_s=t_new,
                    old_phone=int(cur_phone[p]),
                    new_phone=new,
                    old_imei=int(cur_imei[p]),
                    new_imei=int(cur_imei[p]),
                )
            )
            cur_phone[p] = new
        else:  # handset swap: same SIM in a new handset
            changes.setdefault(p, []).append((t, int(cur_phone[p]), n_imei))
            swaps.append(
                Swap(
                    kind="handset_swap",
                    person=p,
                    time_s=t,
                    old_phone=int(cur_phone[p]),
                    new_phone=int(cur_phone[p]),
                    old_imei=int(cur_imei[p]),
                    new_imei=n_imei,
                )
            )
            cur_imei[p] = n_imei
            n_imei += 1

    # ties: drift at hand-offs, new contacts, then household landlines
    to_s = np.minimum(ties.to_s, drop_at)
    m_new = len(new_a)
    ties = Ties.concat(
        [
            Ties(
                ties.a,
                ties.b,
                ties.kind,
                ties.rate_per_day,
                ties.p_a_calls,
                ties.p_sms,
                ties.from_s,
                to_s,
            ),
            Ties(
                np.array(new_a, np.int64),
                np.array(new_b, np.int64),
                np.full(m_new, NEW),
                np.full(m_new, 0.5),
                np.full(m_new, 0.5),
                np.full(m_new, 0.5),
                np.array(new_from, np.int64),
                np.full(m_new, total, np.int64),
            ),
        ]
    )
    house_landline = np.full(pop.households, -1, dtype=np.int64)
    house_size = np.bincount(pop.household, minlength=pop.households)
    with_line = np.flatnonzero(
        (house_size > 1) & (rng.random(pop.households) < spec.landline_share)
    )
    for h in with_line:
        house_landline[h] = phones.add(0, -1 - int(h), "real", "landline")
    ties = Ties.concat([ties, _landline_ties(ties, pop, house_landline, hidden, n)])

    n_phones = len(phones.msisdn)
    lines = np.array(phones.landline, dtype=bool)
    msisdn = np.empty(n_phones, dtype=object)
    msisdn[~lines] = ids.mobile_numbers(rng, int((~lines).sum()))
    msisdn[lines] = ids.landline_numbers(rng, int(lines.sum()))
    phones.msisdn = [str(x) for x in msisdn]
    imsi = np.where(lines, "", ids.imsis(rng, np.array(_MNC)[np.array(phones.operator)]))
    seg = _segments(n, person_phone, changes)
    return Plan(
        phones=phones,
        msisdn=msisdn,
        imsi=imsi.astype(object),
        imei=ids.imeis(rng, n_imei),
        seg_person=seg[0],
        seg_start=seg[1],
        seg_phone=seg[2],
        seg_imei=seg[3],
        house_landline=house_landline,
        ties=ties,
        hidden=hidden,
        handoffs=handoffs,
        blackouts=blackouts,
        swaps=swaps,
    )


def _silence(
    changes: dict[int, list[tuple[int, int, int]]],
    p: int,
    start: int,
    end: int,
    cur_phone: np.ndarray,
    cur_imei: np.ndarray,
) -> None:
    changes.setdefault(p, []).append((start, -1, -1))
    changes[p].append((end, int(cur_phone[p]), int(cur_imei[p])))


def _landline_ties(
    ties: Ties,
    pop: Population,
    house_landline: np.ndarray,
    hidden: list[tuple[int, int, str]],
    n: int,
) -> Ties:
    """A landline calls and is called by the contacts of its household members (weaker)."""
    parts = []
    for x, y in ((ties.a, ties.b), (ties.b, ties.a)):
        hx = pop.household[x]
        ok = (house_landline[hx] >= 0) & (hx != pop.household[y])
        parts.append((np.flatnonzero(ok), n + hx[ok], y[ok]))
    idx = np.concatenate([p[0] for p in parts])
    line = np.concatenate([p[1] for p in parts])
    other = np.concatenate([p[2] for p in parts])
    # never let a landline carry a hidden tie
    h_a = np.array([a for a, _, _ in hidden], dtype=np.int64)
    h_b = np.array([b for _, b, _ in hidden], dtype=np.int64)
    stride = n + pop.households + 1
    forbidden = np.concatenate(
        [(n + pop.household[h_a]) * stride + h_b, (n + pop.household[h_b]) * stride + h_a]
    )
    keep = ~np.isin(line * stride + other, forbidden)
    idx, line, other = idx[keep], line[keep], other[keep]
    return Ties(
        line,
        other,
        np.full(idx.size, LANDLINE),
        ties.rate_per_day[idx] * 0.2,
        np.full(idx.size, 0.5),
        np.full(idx.size, 0.1),
        ties.from_s[idx],
        ties.to_s[idx],
    )


def _segments(
    n: int, person_phone: np.ndarray, changes: dict[int, list[tuple[int, int, int]]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    person = [np.arange(n, dtype=np.int64)]
    start = [np.zeros(n, dtype=np.int64)]
    phone = [person_phone]
    imei = [np.arange(n, dtype=np.int64)]
    extra = [(p, t, ph, im) for p, rows in changes.items() for t, ph, im in rows]
    if extra:
        arr = np.array(extra, dtype=np.int64)
        person.append(arr[:, 0])
        start.append(arr[:, 1])
        phone.append(arr[:, 2])
        imei.append(arr[:, 3])
    p, s, ph, im = (np.concatenate(x) for x in (person, start, phone, imei))
    order = np.lexsort((s, p))
    return p[order], s[order], ph[order], im[order]
