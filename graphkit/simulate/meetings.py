"""Planted meetings (opt-in, ``SimulationSpec.meetings``): a few members of a group together on
the same or a nearby cell at the same time, on several days, with the truth.

Each group gets :data:`CIRCLES_PER_GROUP` *circles* of 3 to 4 of its members (drawn from its
own random stream). A circle meets on 6 to 8 different days, each time at a new place (a
random point in the city: counter-surveillance), for 15 to 40 minutes between 10:00 and
22:00. Each member present stands within about 50 m of the place (so mostly on the same cell,
sometimes on a neighbouring sector or site) and makes 2 to 4 calls or texts to their usual
contacts at random times during the meeting; those records carry the cell of where they
stand. A member whose phone is silent then (a blackout, a hand-off gap) leaves no record and
is not counted as present.

Friends and group members who meet in person (:func:`plan_tie_meetings`; the hidden ties
whose trace is a meeting, :data:`graphkit.simulate.plan.HIDDEN_TRACES`, and observed friend
and group ties with the same probability, :func:`graphkit.simulate.plan.observed_meeting_pairs`)
are planted the same way, as circles of two with no group (``group`` -1): the pair meets on
:data:`TIE_OCCASIONS` days for 10-15 minutes, both on one cell, and each makes 1 or 2 calls
to their usual contacts during the meeting (never to the other when the tie is hidden). Their
records are in ``truth/meetings.csv`` with ids ``T...`` and no circle or group;
``truth/tie_meetings.csv`` lists each pair's meetings, and ``truth/hidden_ties.csv`` how many
times each hidden tie was seen together (:meth:`MeetingPlanter.tie_meetings`). Like the
circles, they are planted only with ``SimulationSpec.meetings`` (the demo turns it on);
without it a hidden tie planned to meet leaves no trace (``none``).

``truth/meetings.csv`` lists every planted record: meeting, circle, group, person, phone,
cell, time and the meeting's span. Two phones *met* on an occasion when both have a record
in the same meeting; the co-location evaluation counts pairs that met on at least
``min_times`` occasions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphkit.simulate.events import DayEvents, EventModel, lookup_phone
from graphkit.simulate.groups import Groups
from graphkit.simulate.io import person_id
from graphkit.simulate.plan import DAY_S
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.truth import iso_time
from graphkit.simulate.world import HALF_WIDTH_KM, Population, Towers

__all__ = [
    "MEETING_COLUMNS",
    "TIE_MEETING_COLUMNS",
    "MeetingPlan",
    "MeetingPlanter",
    "plan_meetings",
    "plan_tie_meetings",
]

CIRCLES_PER_GROUP = 2
CIRCLE_SIZE = (3, 4)  # members per circle, inclusive
OCCASIONS = (6, 8)  # meetings per circle, inclusive, on different days
DURATION_MIN = (15, 40)
HOURS = (10, 22)  # meetings start in [10:00, 22:00)
CALLS_PER_MEMBER = (2, 4)
JITTER_KM = 0.05
TIE_OCCASIONS = (2, 4)  # meetings of a tie that meets, inclusive, on different days
TIE_DURATION_MIN = (10, 15)  # a tie's meeting: its calls are within 15 minutes of each other
TIE_CALLS = np.array([[1], [2]])  # calls or texts per person during a tie's meeting (lo, hi)

TIE_MEETING_COLUMNS = ["person_a", "person_b", "cell_id", "start", "end", "present"]
MEETING_COLUMNS = [
    "meeting_id",
    "circle_id",
    "group_id",
    "person_id",
    "msisdn",
    "cell_id",
    "time",
    "start",
    "end",
]


@dataclass(frozen=True)
class MeetingPlan:
    """One row per (meeting, member present): which cell the member stands on."""

    meeting: np.ndarray
    circle: np.ndarray
    group: np.ndarray
    person: np.ndarray
    cell: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray

    @property
    def size(self) -> int:
        return int(self.meeting.shape[0])

    @classmethod
    def concat(cls, first: MeetingPlan, second: MeetingPlan) -> MeetingPlan:
        """Both plans, the second's meetings numbered after the first's."""
        shift = int(first.meeting.max()) + 1 if first.size else 0
        return cls(
            np.concatenate([first.meeting, second.meeting + shift]),
            *(
                np.concatenate([getattr(first, f), getattr(second, f)])
                for f in ("circle", "group", "person", "cell", "start_s", "end_s")
            ),
        )


def _days(spec: SimulationSpec, occasions: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Different days, as many as drawn from ``occasions`` (inclusive), in order."""
    n_occ = int(rng.integers(occasions[0], occasions[1] + 1))
    days: np.ndarray = np.sort(rng.choice(spec.days, size=min(n_occ, spec.days), replace=False))
    return days


def _occasion(
    day: int, duration_min: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, int, int]:
    """A new place in the city (km) and a start and end time on ``day`` (seconds)."""
    place = rng.uniform(-0.8 * HALF_WIDTH_KM, 0.8 * HALF_WIDTH_KM, 2)
    start = day * DAY_S + int(rng.integers(HOURS[0] * 3600, HOURS[1] * 3600))
    end = start + 60 * int(rng.integers(duration_min[0], duration_min[1] + 1))
    return place, start, end


def plan_meetings(
    pop: Population, groups: Groups, towers: Towers, spec: SimulationSpec, rng: np.random.Generator
) -> MeetingPlan:
    """Circles, their places, days and times, and each member's cell (a loop over circles:
    a handful per group)."""
    rows: list[tuple[int, int, int, int, int, int, int]] = []
    meeting = 0
    for g in range(groups.count):
        members = groups.members(g)
        for c in range(CIRCLES_PER_GROUP):
            size = int(rng.integers(CIRCLE_SIZE[0], CIRCLE_SIZE[1] + 1))
            circle = rng.choice(members, size=min(size, members.size), replace=False)
            for day in _days(spec, OCCASIONS, rng):
                place, start, end = _occasion(int(day), DURATION_MIN, rng)
                where = place + rng.normal(0.0, JITTER_KM, (circle.size, 2))
                cells = towers.cell_of(where)
                for p, cell in zip(circle, cells, strict=True):
                    rows.append(
                        (meeting, g * CIRCLES_PER_GROUP + c, g, int(p), int(cell), start, end)
                    )
                meeting += 1
    cols = np.array(rows, dtype=np.int64).reshape(-1, 7)
    return MeetingPlan(*(cols[:, k] for k in range(7)))


def plan_tie_meetings(
    pairs: np.ndarray, towers: Towers, spec: SimulationSpec, rng: np.random.Generator
) -> MeetingPlan:
    """Meetings of the hidden ties that meet (``pairs``: (k, 2) persons): each pair on 2 to 4
    different days at a new place, ``circle`` = the pair's row in ``pairs``, ``group`` -1."""
    rows: list[tuple[int, int, int, int, int, int, int]] = []
    meeting = 0
    for i, (a, b) in enumerate(pairs.tolist()):
        for day in _days(spec, TIE_OCCASIONS, rng):
            place, start, end = _occasion(int(day), TIE_DURATION_MIN, rng)
            # two at one table: one cell for both
            cell = int(towers.cell_of(place + rng.normal(0.0, JITTER_KM, (1, 2)))[0])
            for p in (a, b):
                rows.append((meeting, i, -1, int(p), cell, start, end))
            meeting += 1
    cols = np.array(rows, dtype=np.int64).reshape(-1, 7)
    return MeetingPlan(*(cols[:, k] for k in range(7)))


@dataclass
class MeetingPlanter:
    """Adds the meetings' records to each day's events and keeps what it planted."""

    plan: MeetingPlan
    planted: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (plan row, phone, cell, time)

    def add_day(
        self, model: EventModel, events: DayEvents, day: int, rng: np.random.Generator
    ) -> DayEvents:
        """``events`` with this day's meeting records added, in time order."""
        today = np.flatnonzero(self.plan.start_s // DAY_S == day)
        if today.size == 0:
            return events
        # a circle's members call 2-4 times during a meeting, a pair that meets 1-2 times
        lo, hi = np.where(
            self.plan.group[today] < 0, TIE_CALLS, np.array(CALLS_PER_MEMBER)[:, None]
        )
        row = np.repeat(today, rng.integers(lo, hi + 1))
        span = self.plan.end_s[row] - self.plan.start_s[row]
        t = self.plan.start_s[row] + (rng.random(row.size) * span).astype(np.int64)
        person = self.plan.person[row]
        partner = _partners(model, person, t, rng)
        caller, imei = lookup_phone(model, person, t)
        callee, _ = lookup_phone(model, np.maximum(partner, 0), t)
        keep = (partner >= 0) & (caller >= 0) & (callee >= 0)
        sms = rng.random(row.size) < 0.5
        duration = np.clip(rng.lognormal(4.0, 1.1, row.size), 1, 7200).astype(np.int64)
        k = np.flatnonzero(keep)
        added = DayEvents(
            time_s=t[k],
            caller=caller[k],
            callee=callee[k],
            sms=sms[k],
            duration_s=np.where(sms, 0, duration)[k],
            cell=self.plan.cell[row][k],
            imei=imei[k],
            caller_node=person[k],
            callee_node=partner[k],
        )
        self.planted += zip(
            row[k].tolist(), caller[k].tolist(), added.cell.tolist(), t[k].tolist(), strict=True
        )
        both = DayEvents.concat([events, added])
        return both.take(np.argsort(both.time_s, kind="stable"))

    def truth_rows(self, spec: SimulationSpec, msisdn: np.ndarray, towers: Towers) -> list[Any]:
        """Rows of ``truth/meetings.csv`` (:data:`MEETING_COLUMNS`), in time order."""
        plan = self.plan
        circles = plan.group >= 0
        first_tie = int(plan.meeting[~circles].min()) if (~circles).any() else 0
        out = []
        for r, phone, cell, t in sorted(self.planted, key=lambda x: (x[3], x[0])):
            if plan.group[r] < 0:  # a tie's meeting: no circle, no group
                ids = [f"T{plan.meeting[r] - first_tie + 1:05d}", "", ""]
            else:
                ids = [f"M{plan.meeting[r] + 1:04d}", f"C{plan.circle[r] + 1:02d}"]
                ids.append(f"G{plan.group[r] + 1}")
            out.append(
                [
                    *ids,
                    person_id(int(plan.person[r])),
                    str(msisdn[phone]),
                    str(towers.cell_id[cell]),
                    iso_time(spec, t),
                    iso_time(spec, int(plan.start_s[r])),
                    iso_time(spec, int(plan.end_s[r])),
                ]
            )
        return out

    def tie_meeting_rows(self, spec: SimulationSpec, towers: Towers) -> list[Any]:
        """Rows of ``truth/tie_meetings.csv`` (:data:`TIE_MEETING_COLUMNS`): each meeting of
        a tie that meets, with how many of the two left a record during it."""
        plan = self.plan
        present: dict[int, set[int]] = {}
        for r, *_ in self.planted:
            present.setdefault(int(plan.meeting[r]), set()).add(int(plan.person[r]))
        out = []
        for r in np.flatnonzero(plan.group < 0)[::2].tolist():  # two rows per meeting
            m = int(plan.meeting[r])
            out.append(
                [
                    person_id(int(min(plan.person[r], plan.person[r + 1]))),
                    person_id(int(max(plan.person[r], plan.person[r + 1]))),
                    str(towers.cell_id[plan.cell[r]]),
                    iso_time(spec, int(plan.start_s[r])),
                    iso_time(spec, int(plan.end_s[r])),
                    len(present.get(m, ())),
                ]
            )
        return sorted(out)

    def tie_meetings(self) -> dict[int, int]:
        """Hidden-tie meetings at which both ends left a record, per pair row (``circle``)."""
        plan = self.plan
        present: dict[int, set[int]] = {}
        for r, *_ in self.planted:
            if plan.group[r] < 0:
                present.setdefault(int(plan.meeting[r]), set()).add(int(plan.person[r]))
        out: dict[int, int] = {}
        for m, people in present.items():
            if len(people) == 2:
                row = int(plan.circle[np.flatnonzero(plan.meeting == m)[0]])
                out[row] = out.get(row, 0) + 1
        return out


def _partners(
    model: EventModel, person: np.ndarray, t: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """For each call, one of the caller's ties valid at ``t`` (rate-weighted); -1 if none.
    A loop over the day's meeting calls: a few dozen."""
    ties = model.plan.ties
    out = np.full(person.size, -1, dtype=np.int64)
    for i, (p, when) in enumerate(zip(person.tolist(), t.tolist(), strict=True)):
        mine = np.flatnonzero(
            ((ties.a == p) | (ties.b == p)) & (ties.from_s <= when) & (ties.to_s > when)
        )
        if mine.size == 0:
            continue
        w = ties.rate_per_day[mine]
        pick = mine[rng.choice(mine.size, p=w / w.sum())]
        out[i] = ties.b[pick] if ties.a[pick] == p else ties.a[pick]
    return out
