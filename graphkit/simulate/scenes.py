"""Planted tower-dump scenes (opt-in, ``SimulationSpec.scenes``): crime scenes with a time
window and the phones that were there, the scene file ``graphkit scenes`` reads, and the
truth.

:data:`SCENES` scenes, each at a random place in the city (one cell site: its three sectors
are the scene's cells, what a tower dump asks the operator for) on its own day, for 60 to 120
minutes between 10:00 and 22:00. Three kinds of phone are planted:

* **crew**: :data:`CREW` members of the first group; each is at :data:`CREW_SCENES` of the
  scenes (at least two), making 2 to 4 calls or texts to their usual contacts from the scene;
* **visitors**: :data:`VISITORS` background people per scene none of whose usual cells (home,
  work, the places they roam to) is on a scene's site and none of whose planted meetings (a
  friend's tie meeting, with ``SimulationSpec.meetings``) is on one either, there once, making
  2 to 4 calls or texts (a tie meeting on a scene's site, on another day, would put the phone
  on the scene's cells outside its window: no one-time visitor in the records);
* **silent**: per scene one other member of the first group, the most active one (expected
  events a day over their ties) not yet chosen: every record of theirs in the scene's window
  is removed (the phone is off).

The visits' records are made as the planted meetings' are (:class:`MeetingPlanter`: each
member within about 50 m of the place; a member whose phone is silent then leaves none).
``truth/scenes.csv`` has one row per (scene, planted phone): its role, the person, the group
and how many planted records it has there (0 for the silent ones); ``scenes.toml`` next to
``case.toml`` is the scene file (cells and window of each scene).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graphkit.simulate.events import DayEvents, EventModel, lookup_phone
from graphkit.simulate.groups import BACKGROUND, Groups
from graphkit.simulate.io import person_id
from graphkit.simulate.meetings import MeetingPlan, MeetingPlanter
from graphkit.simulate.plan import DAY_S, Plan
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.truth import iso_time
from graphkit.simulate.world import HALF_WIDTH_KM, Population, Towers

__all__ = ["SCENE_COLUMNS", "ScenePlan", "ScenePlanter", "plan_scenes"]

SCENES = 4
CREW = 3  # members of the first group who visit scenes
CREW_SCENES = (2, 3)  # scenes each crew member is at, inclusive
VISITORS = 3  # one-time visitors per scene
WINDOW_MIN = (60, 120)
HOURS = (10, 22)  # windows start in [10:00, 22:00)
JITTER_KM = 0.05
SCENE_APART_KM = 5.0  # scenes are on different sites, this far apart
CREW_ROLE, VISITOR_ROLE = 0, 1
ROLE_NAMES = ("crew", "visitor", "silent")

SCENE_COLUMNS = ["scene", "role", "person_id", "group_id", "msisdn", "records", "start", "end"]


@dataclass(frozen=True)
class ScenePlan:
    """The scenes (index = scene); the crew's visits (scene, person, cell); per scene the
    cells of its visitor slots and the background people in the order they are offered as
    visitors; the silent person of each scene (-1 if the group had none left)."""

    start_s: np.ndarray
    end_s: np.ndarray
    cells: tuple[tuple[int, ...], ...]  # cell indices of each scene (its sites' sectors)
    crew_scene: np.ndarray
    crew_person: np.ndarray
    crew_cell: np.ndarray
    visitor_cell: np.ndarray  # (scenes, VISITORS)
    candidates: np.ndarray  # (scenes, background people): a permutation each
    silent: np.ndarray

    @property
    def size(self) -> int:
        return int(self.start_s.shape[0])

    def visits(self, model: EventModel, meetings: MeetingPlan | None = None) -> MeetingPlan:
        """Every visit as a :class:`MeetingPlan` row (``meeting`` = scene, ``circle`` = role,
        ``group`` -1 for visitors): the crew's, then per scene the first :data:`VISITORS`
        candidates none of whose usual cells (home, work, the places they roam to:
        ``model``) is on any scene's site, who has no planted meeting (``meetings``: circles
        and tie meetings) on any scene's site, and none chosen for another scene."""
        sites = list({c // 3 for cells in self.cells for c in cells})
        usual = np.c_[model.home_cell, model.work_cell, model.roam_cell] // 3
        regular = np.asarray(np.isin(usual, sites).any(axis=1), dtype=bool)
        if meetings is not None and meetings.size:
            met_there = meetings.person[np.isin(meetings.cell // 3, sites)]
            regular[met_there[met_there < regular.size]] = True
        rows = [
            (int(s), CREW_ROLE, int(p), 0, int(c))
            for s, p, c in zip(self.crew_scene, self.crew_person, self.crew_cell, strict=True)
        ]
        chosen: set[int] = set()
        for s in range(self.size):
            fit = [p for p in self.candidates[s].tolist() if not regular[p] and p not in chosen]
            for slot, p in enumerate(fit[:VISITORS]):
                rows.append((s, VISITOR_ROLE, p, -1, int(self.visitor_cell[s, slot])))
                chosen.add(p)
        cols = np.array(rows, dtype=np.int64).reshape(-1, 5)
        scene = cols[:, 0]
        return MeetingPlan(
            meeting=scene,
            circle=cols[:, 1],
            group=cols[:, 3],
            person=cols[:, 2],
            cell=cols[:, 4],
            start_s=self.start_s[scene],
            end_s=self.end_s[scene],
        )


def plan_scenes(
    pop: Population,
    groups: Groups,
    plan: Plan,
    towers: Towers,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> ScenePlan:
    """Scenes (at least :data:`SCENE_APART_KM` apart), the crew's visits, the visitors'
    candidates and who goes silent (a loop over a handful of scenes). The scenes fall on
    days before the first group's burner hand-off where :data:`SCENES` days fit there (so
    the crew's numbers stay the same from scene to scene)."""
    handed = [h.time_s for h in plan.handoffs if h.group == 0]
    before = int(min(handed)) // DAY_S if handed else spec.days
    span = before if before >= SCENES else spec.days
    days = np.sort(rng.choice(span, size=min(SCENES, span), replace=False))
    n = days.size
    place = _places(n, rng)
    # whole minutes: one operator writes times to the minute, which must not move a record
    # at the first minute of a window out of it
    start = days * DAY_S + 60 * rng.integers(HOURS[0] * 60, HOURS[1] * 60, n)
    end = start + 60 * rng.integers(WINDOW_MIN[0], WINDOW_MIN[1] + 1, n)
    members = groups.members(0)
    ties = plan.ties
    nodes = int(max(ties.a.max(initial=0), ties.b.max(initial=0))) + 1
    rate = np.bincount(ties.a, ties.rate_per_day, nodes) + np.bincount(
        ties.b, ties.rate_per_day, nodes
    )  # expected events a day per node (people first, then household landlines)
    crew = rng.choice(members, size=min(CREW, members.size), replace=False)
    crew_rows = [
        (int(s), p)
        for p in crew.tolist()
        for s in rng.choice(
            n, size=min(int(rng.integers(CREW_SCENES[0], CREW_SCENES[1] + 1)), n), replace=False
        ).tolist()
    ]
    crew_rows.sort()
    crew_scene = np.array([s for s, _ in crew_rows], dtype=np.int64)
    crew_person = np.array([p for _, p in crew_rows], dtype=np.int64)
    crew_cell = towers.cell_of(place[crew_scene] + rng.normal(0.0, JITTER_KM, (crew_scene.size, 2)))
    visitor_cell = towers.cell_of(
        np.repeat(place, VISITORS, axis=0) + rng.normal(0.0, JITTER_KM, (n * VISITORS, 2))
    ).reshape(n, VISITORS)
    background = np.flatnonzero(groups.role == BACKGROUND)
    candidates = np.stack([rng.permutation(background) for _ in range(n)])
    by_activity = members[np.argsort(-rate[members], kind="stable")]
    others = [p for p in by_activity.tolist() if p not in set(crew.tolist())]
    silent = np.array([others[s] if s < len(others) else -1 for s in range(n)], dtype=np.int64)
    # a tower dump asks for every sector of a site: all three of each site the visits use,
    # and of the site nearest the place
    centre = towers.cell_of(place)
    scene_cells = tuple(
        tuple(
            sorted(
                {
                    3 * (int(c) // 3) + k
                    for c in (*crew_cell[crew_scene == s], *visitor_cell[s], centre[s])
                    for k in (0, 1, 2)
                }
            )
        )
        for s in range(n)
    )
    return ScenePlan(
        start,
        end,
        scene_cells,
        crew_scene,
        crew_person,
        crew_cell,
        visitor_cell,
        candidates,
        silent,
    )


def _places(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random places in the city at least :data:`SCENE_APART_KM` apart (drawn again
    until they are; a few draws)."""
    out: list[np.ndarray] = []
    while len(out) < n:
        xy = rng.uniform(-0.8 * HALF_WIDTH_KM, 0.8 * HALF_WIDTH_KM, 2)
        if all(np.hypot(*(xy - p)) >= SCENE_APART_KM for p in out):
            out.append(xy)
    return np.array(out).reshape(n, 2)


@dataclass
class ScenePlanter:
    """Adds the visits' records to each day's events, silences the silent, keeps the truth."""

    plan: ScenePlan
    meetings: MeetingPlan | None = None  # the planted meetings, which visitors must avoid
    visits: MeetingPlanter | None = None  # made on the first day (visitors need the model)
    silent_phone: dict[int, int] = field(default_factory=dict)  # scene -> phone index

    def add_day(
        self, model: EventModel, events: DayEvents, day: int, rng: np.random.Generator
    ) -> DayEvents:
        """``events`` with today's visits added and the silent persons' records in a
        scene's window removed."""
        if self.visits is None:
            self.visits = MeetingPlanter(self.plan.visits(model, self.meetings))
        events = self.visits.add_day(model, events, day, rng)
        plan = self.plan
        drop = np.zeros(events.size, dtype=bool)
        for s in np.flatnonzero((plan.start_s // DAY_S == day) & (plan.silent >= 0)).tolist():
            person = int(plan.silent[s])
            phone, _ = lookup_phone(
                model, np.array([person, person]), np.array([plan.start_s[s], plan.end_s[s]])
            )
            if phone[0] < 0 or phone[0] != phone[1]:
                continue  # silent anyway, or a hand-off in the window: not a clean plant
            self.silent_phone[s] = int(phone[0])
            inside = (events.time_s >= plan.start_s[s]) & (events.time_s <= plan.end_s[s])
            drop |= inside & ((events.caller_node == person) | (events.callee_node == person))
        return events.take(np.flatnonzero(~drop)) if drop.any() else events

    def truth_rows(self, spec: SimulationSpec, msisdn: np.ndarray) -> list[Any]:
        """Rows of ``truth/scenes.csv`` (:data:`SCENE_COLUMNS`): each (scene, phone) the
        visits left records for, and each silent phone."""
        if self.visits is None:
            return []
        plan, visits = self.plan, self.visits.plan
        records: dict[tuple[int, int], int] = {}
        for r, phone, _cell, _t in self.visits.planted:
            key = (r, phone)
            records[key] = records.get(key, 0) + 1
        out = []
        for (r, phone), count in sorted(records.items()):
            s = int(visits.meeting[r])
            group = int(visits.group[r])
            out.append(
                [
                    _name(s),
                    ROLE_NAMES[int(visits.circle[r])],
                    person_id(int(visits.person[r])),
                    f"G{group + 1}" if group >= 0 else "",
                    str(msisdn[phone]),
                    count,
                    iso_time(spec, int(plan.start_s[s])),
                    iso_time(spec, int(plan.end_s[s])),
                ]
            )
        for s, phone in sorted(self.silent_phone.items()):
            out.append(
                [
                    _name(s),
                    "silent",
                    person_id(int(plan.silent[s])),
                    "G1",
                    str(msisdn[phone]),
                    0,
                    iso_time(spec, int(plan.start_s[s])),
                    iso_time(spec, int(plan.end_s[s])),
                ]
            )
        return sorted(out, key=lambda row: (row[0], ROLE_NAMES.index(row[1]), row[4]))

    def scene_file(self, spec: SimulationSpec, towers: Towers) -> dict[str, Any]:
        """The scenes as ``graphkit scenes`` reads them (``[[scene]]`` with cells)."""
        plan = self.plan
        return {
            "scene": [
                {
                    "name": _name(s),
                    "cells": [str(towers.cell_id[c]) for c in plan.cells[s]],
                    "start": iso_time(spec, int(plan.start_s[s])),
                    "end": iso_time(spec, int(plan.end_s[s])),
                }
                for s in range(plan.size)
            ]
        }


def _name(scene: int) -> str:
    return f"S{scene + 1}"
