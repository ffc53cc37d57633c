"""Planted events: hidden ties, burner hand-offs, blackouts, SIM and handset swaps.

The outcome is a *timeline*: for every person, contiguous segments ``[start, next start)``
saying which phone (SIM) and handset they use, or that they are silent (-1). Events in the
CDRs are mapped through it, so a planted silence or hand-off holds in the data by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate import phones as ids
from graphkit.simulate.groups import MEMBER, Groups
from graphkit.simulate.planting import (
    DAY_S,
    HOUR_S,
    Blackout,
    Handoff,
    Phones,
    Swap,
    Timeline,
    plant_group_blackouts,
    plant_handoffs,
    plant_individual_events,
)
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import FRIEND, GROUP, LANDLINE, NEW, Population, Ties

__all__ = [
    "DAY_S",
    "HIDDEN_TRACES",
    "HOUR_S",
    "Blackout",
    "Handoff",
    "Phones",
    "Plan",
    "Swap",
    "hidden_pairs",
    "make_plan",
    "observed_meeting_pairs",
]

#: what a hidden tie leaves in the records: co-location on towers (the two meet in person),
#: money through a go-between (both pay or are paid by one third account), or nothing
HIDDEN_TRACES = ("meeting", "money", "none")
#: probability of each trace by tie kind (an assumption, no published rate: group members
#: meet and move money, friends meet more than they pay each other; docs/gnn.md)
_TRACE_P = {GROUP: (0.55, 0.25, 0.20), FRIEND: (0.45, 0.20, 0.35)}

OPERATORS = ("A", "B")
_MNC = (15, 30)


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
    #: per hidden tie (same order as ``hidden``): its call rate per day had it been observed,
    #: and the trace it is planned to leave (:data:`HIDDEN_TRACES`)
    hidden_rate: tuple[float, ...] = ()
    hidden_trace: tuple[str, ...] = ()
    #: (phone, from, to): use of a phone outside its timeline segments (a reused successor's
    #: early use, an old number kept alive: graphkit/simulate/handoff_cases.py)
    extra_use: tuple[tuple[int, int, int], ...] = ()


def _hide_ties(
    ties: Ties, pop: Population, spec: SimulationSpec, rng: np.random.Generator
) -> tuple[Ties, list[tuple[int, int, str]], np.ndarray, tuple[str, ...]]:
    """Choose the ties that never appear in the CDRs, thin ones first.

    ``hidden_tie_share`` of the eligible friend and group ties (not within a household) are
    drawn without replacement with probability proportional to 1 / rate: a pair that talks
    rarely is the likelier to keep its few contacts off the intercepted lines. Each is given
    the trace it leaves instead (:data:`HIDDEN_TRACES`, by kind). Returns the kept ties, the
    hidden (a, b, kind), their rates and traces.
    """
    eligible = np.flatnonzero(
        np.isin(ties.kind, (GROUP, FRIEND)) & (pop.household[ties.a] != pop.household[ties.b])
    )
    k = round(spec.hidden_tie_share * eligible.size)
    weight = 1.0 / np.maximum(ties.rate_per_day[eligible], 1e-6)
    chosen = np.sort(rng.choice(eligible, size=k, replace=False, p=weight / weight.sum()))
    keep = np.ones(ties.size, dtype=bool)
    keep[chosen] = False
    names = {GROUP: "group", FRIEND: "friend"}
    hidden = [(int(ties.a[i]), int(ties.b[i]), names[int(ties.kind[i])]) for i in chosen]
    draw = rng.random(chosen.size)
    traces = []
    for kind, u in zip(ties.kind[chosen].tolist(), draw.tolist(), strict=True):
        cum = np.cumsum(_TRACE_P[kind])
        traces.append(HIDDEN_TRACES[int(np.searchsorted(cum, u, side="right"))])
    rates = ties.rate_per_day[chosen].astype(np.float64)
    return ties.take(np.flatnonzero(keep)), hidden, rates, tuple(traces)


def hidden_pairs(plan: Plan, trace: str) -> np.ndarray:
    """(k, 2) int array of the hidden ties planned to leave ``trace``."""
    hidden = zip(plan.hidden, plan.hidden_trace, strict=True)
    rows = [(a, b) for (a, b, _), t in hidden if t == trace]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def observed_meeting_pairs(plan: Plan, rng: np.random.Generator) -> np.ndarray:
    """(k, 2) persons: the observed friend and group ties that also meet in person, each with
    the probability a hidden tie of its kind leaves a meeting (real ties leave the traces
    hidden ones do, so co-location means the same whether a tie was observed or not)."""
    ties = plan.ties
    p_meet = np.zeros(ties.size)
    for kind, probs in _TRACE_P.items():
        p_meet[ties.kind == kind] = probs[0]
    meets = rng.random(ties.size) < p_meet
    return np.stack([ties.a[meets], ties.b[meets]], axis=1).astype(np.int64)


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
    ties, hidden, hidden_rate, hidden_trace = _hide_ties(ties, pop, spec, rng)
    phones = Phones()
    person_phone = np.empty(n, dtype=np.int64)
    group_identity = rng.choice(["real", "fake", "none"], size=n, p=[0.5, 0.3, 0.2])
    bg_identity = rng.choice(["real", "none"], size=n, p=[0.92, 0.08])
    operator = (rng.random(n) < 0.45).astype(int)
    for p in range(n):
        member = groups.role[p] == MEMBER
        person_phone[p] = phones.add(
            int(operator[p]), p, str(group_identity[p] if member else bg_identity[p]), "personal"
        )
    tl = Timeline(
        phones=phones,
        cur_phone=person_phone.copy(),
        cur_imei=np.arange(n, dtype=np.int64),
        busy_until=np.zeros(n, dtype=np.int64),
        n_imei=n,
    )
    hidden_keys = _pair_key(
        np.array([h[0] for h in hidden], np.int64), np.array([h[1] for h in hidden], np.int64), n
    )
    handed = plant_handoffs(tl, pop, groups, ties, hidden_keys, spec, rng)
    blackouts = plant_group_blackouts(tl, groups, spec, rng)
    individual, swaps = plant_individual_events(tl, pop, groups, spec, rng)
    blackouts += individual
    drop_at = handed.drop_at
    new_a = [a for a, _, _ in handed.new_ties]
    new_b = [b for _, b, _ in handed.new_ties]
    new_from = [t for _, _, t in handed.new_ties]

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
    seg = _segments(n, person_phone, tl.changes)
    return Plan(
        phones=phones,
        msisdn=msisdn,
        imsi=imsi.astype(object),
        imei=ids.imeis(rng, tl.n_imei),
        seg_person=seg[0],
        seg_start=seg[1],
        seg_phone=seg[2],
        seg_imei=seg[3],
        house_landline=house_landline,
        ties=ties,
        hidden=hidden,
        handoffs=handed.handoffs,
        blackouts=blackouts,
        swaps=swaps,
        hidden_rate=tuple(float(r) for r in hidden_rate),
        hidden_trace=hidden_trace,
    )


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
