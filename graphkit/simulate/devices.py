"""Opt-in device plants (``SimulationSpec.plant_devices``): extra SIM and handset swaps, and
one cloned SIM used in a distant town.

Off by default, and drawn from the simulator's own ``devices`` random streams, so a case
simulated without it is byte for byte what it was before. With it:

* **swaps** (``SWAPS_PER_1000`` of each kind per 1,000 people, at least 2): a *handset swap*
  (IMEI swap: the same number in a new handset from a time on) or a *SIM swap* (IMSI swap: a
  new number in the same handset after a gap of 10 minutes to 3 hours), for active background
  people whose timeline has no other planted change. They are added to ``plan.swaps``, so
  ``truth/swaps.csv`` lists them beside the default ones.
* **one cloned SIM**: from a time on, a share (``CLONE_SHARE``) of the calls and texts of
  another person (the cloner) go out on the victim's number and IMSI from a clone handset,
  through the cells of a town 120 to 250 km from the city (its towers are added to
  ``towers.csv``). The victim keeps using the SIM at home. ``truth/clones.csv`` names both.
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
from graphkit.simulate.plan import _MNC, HOUR_S, Plan, Swap
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import (
    CITY_LAT,
    CITY_LON,
    KM_PER_DEG_LAT,
    KM_PER_DEG_LON,
    Population,
    Towers,
)

__all__ = ["CLONE_SHARE", "SWAPS_PER_1000", "Clone", "DevicePlants", "plant_devices"]

SWAPS_PER_1000 = 12.0
CLONE_SHARE = 0.7
_TOWN_SITES = 4
_TOWN_KM = (120.0, 250.0)


@dataclass(frozen=True)
class Clone:
    """``victim``'s SIM (``phone``) cloned into handset ``imei`` (index into ``plan.imei``),
    used by ``cloner`` from ``start_s`` to the end through ``cells`` (cell indexes)."""

    victim: int
    cloner: int
    phone: int
    imei: int
    start_s: int
    end_s: int
    cells: np.ndarray


@dataclass(frozen=True)
class DevicePlants:
    """What :func:`plant_devices` added: the swaps and the clone."""

    swaps: tuple[Swap, ...]
    clone: Clone

    def clone_day(self, events: DayEvents, rng: np.random.Generator) -> DayEvents:
        """The day's events with a share of the cloner's outgoing ones moved onto the cloned
        SIM, clone handset and town cells (events are not added or dropped)."""
        c = self.clone
        mine = (
            (events.caller_node == c.cloner)
            & (events.time_s >= c.start_s)
            & (events.time_s < c.end_s)
            & (events.callee != c.phone)
        )
        moved = mine & (rng.random(events.size) < CLONE_SHARE)
        cells = c.cells[rng.integers(0, c.cells.size, events.size)]
        return dataclasses.replace(
            events,
            caller=np.where(moved, c.phone, events.caller),
            imei=np.where(moved, c.imei, events.imei),
            cell=np.where(moved, cells, events.cell),
        )

    def clone_rows(self, spec: SimulationSpec, plan: Plan) -> tuple[list[str], list[Any]]:
        """``truth/clones.csv``: the cloned number, both people, the window, both handsets
        and the town's cells."""
        from graphkit.simulate.truth import iso_time

        c = self.clone
        header = [
            "msisdn",
            "victim_person_id",
            "cloner_person_id",
            "start",
            "end",
            "victim_imei",
            "clone_imei",
            "clone_share",
        ]
        victim_imei = plan.seg_imei[np.flatnonzero(plan.seg_person == c.victim)[0]]
        row = [
            plan.msisdn[c.phone],
            person_id(c.victim),
            person_id(c.cloner),
            iso_time(spec, c.start_s),
            iso_time(spec, c.end_s),
            plan.imei[victim_imei],
            plan.imei[c.imei],
            CLONE_SHARE,
        ]
        return header, [row]


def _town(towers: Towers, rng: np.random.Generator) -> Towers:
    """``_TOWN_SITES`` three-sector sites around a point 120-250 km from the city centre."""
    distance = rng.uniform(*_TOWN_KM)
    bearing = rng.uniform(0.0, 2 * np.pi)
    centre = np.array([np.sin(bearing), np.cos(bearing)]) * distance
    sites = centre + rng.normal(0.0, 1.5, (_TOWN_SITES, 2))
    site = np.repeat(np.arange(_TOWN_SITES), 3)
    sector = np.tile(np.arange(3), _TOWN_SITES)
    cell_id = np.array([f"TWN{s:04d}{'ABC'[k]}" for s, k in zip(site, sector, strict=True)], object)
    lat = np.round(CITY_LAT + sites[site, 1] / KM_PER_DEG_LAT, 6)
    lon = np.round(CITY_LON + sites[site, 0] / KM_PER_DEG_LON, 6)
    return Towers(
        np.vstack([towers.site_km, sites]),
        np.concatenate([towers.cell_id, cell_id]),
        np.concatenate([towers.lat, lat]),
        np.concatenate([towers.lon, lon]),
        np.concatenate([towers.azimuth, (sector * 120 + 60).astype(float)]),
    )


def _fresh(rng: np.random.Generator, make: Any, n: int, taken: np.ndarray) -> np.ndarray:
    """``n`` identifiers from ``make(rng, k)`` that are not in ``taken``."""
    used = set(taken.tolist())
    out: list[str] = []
    while len(out) < n:
        for x in make(rng, 2 * n).tolist():
            if x not in used:
                used.add(x)
                out.append(x)
    return np.array(out[:n], dtype=object)


def plant_devices(
    plan: Plan,
    pop: Population,
    groups: Groups,
    towers: Towers,
    spec: SimulationSpec,
    rng: np.random.Generator,
) -> tuple[Plan, Towers, DevicePlants]:
    """The plan with the extra swaps and the clone's handset, the towers with the town's
    cells, and what was planted. Only people whose timeline has a single segment (no
    hand-off, blackout or swap) are chosen, so each change stands alone."""
    n, total = pop.size, spec.total_seconds
    segments = np.bincount(plan.seg_person, minlength=n)
    background = groups.role == BACKGROUND
    active = pop.activity >= np.median(pop.activity)
    pool = np.flatnonzero((segments == 1) & background & active)
    n_swap = max(2, round(n * SWAPS_PER_1000 / 1000))
    chosen = rng.choice(pool, size=min(pool.size, 2 * n_swap + 2), replace=False)
    victim, cloner = int(chosen[0]), int(chosen[1])
    sim_swappers, handset_swappers = chosen[2 : 2 + n_swap], chosen[2 + n_swap :]

    first_seg = np.searchsorted(plan.seg_person, np.arange(n))
    phone_of = plan.seg_phone[first_seg]
    imei_of = plan.seg_imei[first_seg]
    phones = dataclasses.replace(
        plan.phones,
        **{f.name: list(getattr(plan.phones, f.name)) for f in dataclasses.fields(plan.phones)},
    )
    new_handsets = handset_swappers.size + 1
    imei = np.concatenate([plan.imei, _fresh(rng, ids.imeis, new_handsets, plan.imei)])
    next_imei = plan.imei.size
    rows: list[tuple[int, int, int, int]] = []  # person, start, phone, handset
    swaps: list[Swap] = []
    new_phones: list[int] = []
    for p in sim_swappers.tolist():
        old_phone, handset = int(phone_of[p]), int(imei_of[p])
        new = phones.add(phones.operator[old_phone], p, phones.identity[old_phone], "swap")
        new_phones.append(new)
        t = int(rng.uniform(0.2, 0.8) * total)
        t_new = t + int(rng.integers(600, 3 * HOUR_S))
        rows += [(p, t, -1, -1), (p, t_new, new, handset)]
        swaps.append(Swap("sim_swap", p, t_new, old_phone, new, handset, handset))
    for p in handset_swappers.tolist():
        phone, handset = int(phone_of[p]), int(imei_of[p])
        t = int(rng.uniform(0.2, 0.8) * total)
        rows.append((p, t, phone, next_imei))
        swaps.append(Swap("handset_swap", p, t, phone, phone, handset, next_imei))
        next_imei += 1
    msisdn = np.concatenate(
        [plan.msisdn, _fresh(rng, ids.mobile_numbers, len(new_phones), plan.msisdn)]
    )
    mnc = np.array(_MNC)[[phones.operator[i] for i in new_phones]]
    taken = set(plan.imsi.tolist())
    new_imsi = ids.imsis(rng, mnc)
    while taken & set(new_imsi.tolist()):  # ten random digits: a clash is rare, draw again
        new_imsi = ids.imsis(rng, mnc)
    imsi = np.concatenate([plan.imsi, new_imsi])
    phones.msisdn = [str(x) for x in msisdn]

    start = int(rng.uniform(0.25, 0.5) * total)
    town = _town(towers, rng)
    clone = Clone(
        victim,
        cloner,
        int(phone_of[victim]),
        next_imei,
        start,
        total,
        np.arange(towers.cell_id.size, town.cell_id.size),
    )
    arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
    p = np.concatenate([plan.seg_person, arr[:, 0]])
    s = np.concatenate([plan.seg_start, arr[:, 1]])
    order = np.lexsort((s, p))
    planted = dataclasses.replace(
        plan,
        phones=phones,
        msisdn=msisdn,
        imsi=imsi,
        imei=imei,
        seg_person=p[order],
        seg_start=s[order],
        seg_phone=np.concatenate([plan.seg_phone, arr[:, 2]])[order],
        seg_imei=np.concatenate([plan.seg_imei, arr[:, 3]])[order],
        swaps=[*plan.swaps, *swaps],
    )
    return planted, town, DevicePlants(tuple(swaps), clone)
