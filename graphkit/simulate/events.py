"""Communication events, one day at a time, fully vectorised.

Each tie emits a Poisson number of events a day (rate x weekday factor x ``scale``); times
follow an hour-of-day profile (weekday/weekend, work/social); the caller is drawn by the tie's
direction probability; people are mapped to the phone and handset they use at that instant
through the plan's timeline, and events touching a silent person are dropped. The caller's
cell is their workplace's on weekday office hours, home otherwise, and sometimes elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.simulate.plan import DAY_S, Plan
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import KIND_NAMES, WORK, Population, Towers

__all__ = ["DayEvents", "EventModel", "caller_cells", "day_events", "lookup_phone"]

# events per hour of day, relative (social and work; weekday and weekend)
_SOCIAL_WEEKDAY = [
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.4,
    1.5,
    4,
    6,
    6,
    6,
    6,
    7,
    6,
    6,
    6,
    7,
    8,
    9,
    9,
    8,
    7,
    5,
    2.5,
]
_SOCIAL_WEEKEND = [
    2,
    1.2,
    0.6,
    0.3,
    0.2,
    0.2,
    0.5,
    1.5,
    3,
    5,
    7,
    8,
    8,
    8,
    8,
    8,
    8,
    8,
    9,
    9,
    9,
    8,
    6,
    4,
]
_WORK = [0, 0, 0, 0, 0, 0, 0.3, 2, 8, 10, 10, 9, 6, 8, 9, 9, 8, 4, 1, 0.3, 0.1, 0, 0, 0]
# weekday factor per tie kind (Monday first)
_WEEKLY_SOCIAL = [0.95, 0.95, 1.0, 1.0, 1.1, 1.15, 0.9]
_WEEKLY_WORK = [1.0, 1.0, 1.0, 1.0, 1.0, 0.12, 0.06]


SEGMENT_STRIDE = np.int64(10**10)  # more seconds than any simulation lasts


def _cdf(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    cdf: np.ndarray = np.cumsum(w) / w.sum()
    return cdf


@dataclass(frozen=True)
class EventModel:
    """What the daily generator needs, precomputed once."""

    plan: Plan
    people: int
    scale: float
    start_dow: int  # weekday of day 0, Monday = 0
    home_cell: np.ndarray
    work_cell: np.ndarray
    roam_cell: np.ndarray  # (people, 3)
    employed: np.ndarray
    is_work_tie: np.ndarray
    hour_cdf: np.ndarray  # (4, 24): social weekday, social weekend, work weekday, work weekend
    seg_key: np.ndarray  # person * SEGMENT_STRIDE + segment start, sorted

    @staticmethod
    def build(
        plan: Plan, pop: Population, towers: Towers, spec: SimulationSpec, rng: np.random.Generator
    ) -> EventModel:
        roam = pop.home_km[:, None, :] + rng.normal(0.0, 3.0, (pop.size, 3, 2))
        assert KIND_NAMES[WORK] == "work"
        return EventModel(
            plan=plan,
            people=pop.size,
            scale=spec.scale,
            start_dow=spec.start_date.weekday(),
            home_cell=towers.cell_of(pop.home_km),
            work_cell=towers.cell_of(pop.work_km),
            roam_cell=towers.cell_of(roam.reshape(-1, 2)).reshape(pop.size, 3),
            employed=pop.workplace >= 0,
            is_work_tie=plan.ties.kind == WORK,
            hour_cdf=np.stack(
                [_cdf(_SOCIAL_WEEKDAY), _cdf(_SOCIAL_WEEKEND), _cdf(_WORK), _cdf(_WORK)]
            ),
            seg_key=plan.seg_person * SEGMENT_STRIDE + plan.seg_start,
        )


@dataclass(frozen=True)
class DayEvents:
    """One day's events in time order (seconds since the start of the simulation)."""

    time_s: np.ndarray
    caller: np.ndarray  # phone index
    callee: np.ndarray
    sms: np.ndarray  # bool
    duration_s: np.ndarray
    cell: np.ndarray  # cell index, -1 for landlines
    imei: np.ndarray  # handset index, -1 for landlines
    caller_node: np.ndarray  # person (or people + household for a landline) behind the caller
    callee_node: np.ndarray

    @property
    def size(self) -> int:
        return int(self.time_s.shape[0])

    def take(self, idx: np.ndarray) -> DayEvents:
        return DayEvents(*(getattr(self, f)[idx] for f in _FIELDS))

    @staticmethod
    def concat(parts: list[DayEvents]) -> DayEvents:
        return DayEvents(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))


_FIELDS = (
    "time_s",
    "caller",
    "callee",
    "sms",
    "duration_s",
    "cell",
    "imei",
    "caller_node",
    "callee_node",
)


def lookup_phone(
    model: EventModel, node: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Phone and handset that each node uses at time ``t`` (-1, -1 when silent)."""
    plan, n = model.plan, model.people
    person = node < n
    key = np.where(person, node, 0) * SEGMENT_STRIDE + t
    seg = np.searchsorted(model.seg_key, key, side="right") - 1
    phone = np.where(person, plan.seg_phone[seg], plan.house_landline[np.maximum(node - n, 0)])
    imei = np.where(person, plan.seg_imei[seg], -1)
    return phone, imei


def day_events(model: EventModel, day: int, rng: np.random.Generator) -> DayEvents:
    """Events of ``day`` (0-based). Deterministic given ``rng``."""
    ties = model.plan.ties
    start = day * DAY_S
    dow = (model.start_dow + day) % 7
    weekend = dow >= 5
    active = np.flatnonzero((ties.from_s < start + DAY_S) & (ties.to_s > start))
    weekly = np.where(model.is_work_tie[active], _WEEKLY_WORK[dow], _WEEKLY_SOCIAL[dow])
    counts = rng.poisson(ties.rate_per_day[active] * weekly * model.scale)
    e = np.repeat(active, counts)
    profile = model.is_work_tie[e] * 2 + int(weekend)
    u = rng.random(e.size)
    hour = np.empty(e.size, dtype=np.int64)
    for k in range(4):
        mask = profile == k
        hour[mask] = np.searchsorted(model.hour_cdf[k], u[mask], side="right")
    t = start + np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, e.size)
    a_calls = rng.random(e.size) < ties.p_a_calls[e]
    sms = rng.random(e.size) < ties.p_sms[e]
    duration = np.clip(rng.lognormal(4.0, 1.1, e.size), 1, 7200).astype(np.int64)
    roam = rng.random(e.size) < 0.15
    roam_pick = rng.integers(0, 3, e.size)
    keep = (t >= ties.from_s[e]) & (t < ties.to_s[e])
    caller_node = np.where(a_calls, ties.a[e], ties.b[e])
    callee_node = np.where(a_calls, ties.b[e], ties.a[e])
    caller, imei = lookup_phone(model, caller_node, t)
    callee, _ = lookup_phone(model, callee_node, t)
    keep &= (caller >= 0) & (callee >= 0)
    cell = caller_cells(model, caller_node, hour, weekend, roam, roam_pick)
    order = np.flatnonzero(keep)
    order = order[np.argsort(t[order], kind="stable")]
    return DayEvents(
        time_s=t[order],
        caller=caller[order],
        callee=callee[order],
        sms=sms[order],
        duration_s=np.where(sms, 0, duration)[order],
        cell=cell[order],
        imei=imei[order],
        caller_node=caller_node[order],
        callee_node=callee_node[order],
    )


def caller_cells(
    model: EventModel,
    caller_node: np.ndarray,
    hour: np.ndarray,
    weekend: bool,
    roam: np.ndarray,
    roam_pick: np.ndarray,
) -> np.ndarray:
    """The caller's cell: workplace on weekday office hours, home otherwise, sometimes one of
    three places nearby (``roam``); -1 for landlines."""
    person = np.minimum(caller_node, model.people - 1)
    at_work = ~weekend & (hour >= 9) & (hour < 17) & model.employed[person]
    cell = np.where(at_work, model.work_cell[person], model.home_cell[person])
    cell = np.where(roam, model.roam_cell[person, roam_pick], cell)
    out: np.ndarray = np.where(caller_node < model.people, cell, -1)
    return out
