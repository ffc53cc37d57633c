"""Generate a whole synthetic investigation: sources, mappings, case.toml and truth."""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graphkit.errors import InputError
from graphkit.simulate.cdr import OPERATOR_FORMATS, CdrWriter, SourceStats
from graphkit.simulate.devices import DevicePlants, plant_devices
from graphkit.simulate.events import EventModel, day_events
from graphkit.simulate.groups import MEMBER, Groups, make_groups
from graphkit.simulate.handoff_cases import HardHandoffs, plant_hard_handoffs
from graphkit.simulate.io import write_toml
from graphkit.simulate.meetings import (
    MEETING_COLUMNS,
    TIE_MEETING_COLUMNS,
    MeetingPlan,
    MeetingPlanter,
    plan_meetings,
    plan_tie_meetings,
)
from graphkit.simulate.money import MONEY_MAPPINGS, write_money
from graphkit.simulate.noise import NoiseLedger
from graphkit.simulate.plan import Plan, hidden_pairs, make_plan, observed_meeting_pairs
from graphkit.simulate.records import (
    MAPPINGS,
    Identities,
    write_police,
    write_subscribers,
    write_towers,
)
from graphkit.simulate.relays import RELAY_COLUMNS, RelayModel, relay_events
from graphkit.simulate.scenes import SCENE_COLUMNS, ScenePlanter, plan_scenes
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.truth import HIDDEN_TIE_COLUMNS, hidden_tie_rows, relay_rows, write_truth
from graphkit.simulate.world import (
    Population,
    Ties,
    Towers,
    background_ties,
    make_population,
    make_towers,
)

__all__ = ["SimulationResult", "simulate"]

log = logging.getLogger(__name__)

# Sub-stream keys: each component draws from its own stream, so adding one shifts no other.
_STREAMS = {
    "population": 1,
    "groups": 2,
    "ties": 3,
    "plan": 4,
    "towers": 5,
    "places": 6,
    "subscribers": 7,
    "police": 8,
    "money": 9,
    "identities": 10,
    "cdr": 11,
    "cdr_noise": 12,
    "relays": 13,
    "meetings": 14,
    "devices": 15,
    "hard_handoffs": 16,
    "scenes": 17,
}


def _rng(seed: int, stream: str, *extra: int) -> np.random.Generator:
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(_STREAMS[stream], *extra))
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass(frozen=True)
class SimulationResult:
    """What was written: the case file, per-source row counts and planted-event counts."""

    out_dir: Path
    case_toml: Path
    sources: dict[str, int]
    cdr_rows: int
    persons: int
    phones: int
    handoffs: int
    blackouts: int
    hidden_ties: int


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


SOURCE_KINDS: dict[str, str] = {
    "opA_cdr": "cdr",
    "opB_cdr": "cdr",
    "opA_subscribers": "subscribers",
    "opB_subscribers": "subscribers",
    "police_persons": "persons",
    "bank_accounts": "accounts",
    "transactions": "transactions",
    "towers": "towers",
}


def simulate(
    out_dir: Path,
    *,
    spec: SimulationSpec,
    overwrite: bool = False,
    on_day: Callable[[int, int], None] | None = None,
) -> SimulationResult:
    """Write a synthetic investigation into ``out_dir``.

    ``out_dir/sources`` holds the source files, ``out_dir/mappings`` their ingest mappings,
    ``out_dir/case.toml`` lists both, ``out_dir/truth`` holds the ground truth and its
    README. Same ``spec`` -> byte-identical files. ``on_day(done, days)`` reports progress
    (``done`` = 0 just before the first day of events, then after each day).
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise InputError(f"{out_dir} is not empty; choose another directory or overwrite it")
        for sub in ("sources", "mappings", "truth"):
            shutil.rmtree(out_dir / sub, ignore_errors=True)
        (out_dir / "scenes.toml").unlink(missing_ok=True)  # written only when planted
    (out_dir / "sources").mkdir(parents=True, exist_ok=True)
    world = _build_world(spec)
    meetings = _meeting_planter(spec, world)
    scenes = _scene_planter(spec, world, None if meetings is None else meetings.plan)
    cdr_stats, relays = _write_cdrs(out_dir, spec, world, on_day, meetings, scenes)
    ledger = NoiseLedger()
    ids = Identities(world.pop, _rng(spec.seed, "identities"))
    tables, paid = _write_records(out_dir, spec, world, ids, ledger)
    met = {} if meetings is None else meetings.tie_meetings()
    tables["hidden_ties"] = (HIDDEN_TIE_COLUMNS, hidden_tie_rows(world.plan, met, paid))
    tables["relays"] = (RELAY_COLUMNS, relay_rows(spec, relays))
    if world.devices is not None:
        tables["clones"] = world.devices.clone_rows(spec, world.plan)
    if world.hard_handoffs is not None:
        tables["hard_handoffs"] = world.hard_handoffs.truth_rows(spec, world.plan)
    if meetings is not None:
        tables["tie_meetings"] = (
            TIE_MEETING_COLUMNS,
            meetings.tie_meeting_rows(spec, world.towers),
        )
    if meetings is not None:
        tables["meetings"] = (
            MEETING_COLUMNS,
            meetings.truth_rows(spec, world.plan.msisdn, world.towers),
        )
    if scenes is not None:
        tables["scenes"] = (SCENE_COLUMNS, scenes.truth_rows(spec, world.plan.msisdn))
        write_toml(out_dir / "scenes.toml", scenes.scene_file(spec, world.towers))
    counts = _write_index(out_dir, spec, cdr_stats, ledger, tables)
    tables["fake_identities"] = (
        ["identity_id", "first_name", "last_name", "dob", "address", "postcode"],
        [
            [f.identity_id, f.first_name, f.last_name, f.dob, f.address, f.postcode]
            for f in ids.fakes
        ],
    )
    write_truth(out_dir, spec, world.pop, world.groups, world.plan, tables)
    plan = world.plan
    return SimulationResult(
        out_dir=out_dir,
        case_toml=out_dir / "case.toml",
        sources=counts,
        cdr_rows=sum(counts[f.source] for f in OPERATOR_FORMATS),
        persons=world.pop.size,
        phones=len(plan.msisdn),
        handoffs=len(plan.handoffs),
        blackouts=len(plan.blackouts),
        hidden_ties=len(plan.hidden),
    )


@dataclass(frozen=True)
class _World:
    pop: Population
    groups: Groups
    plan: Plan
    towers: Towers
    devices: DevicePlants | None = None  # spec.devices (opt-in)
    hard_handoffs: HardHandoffs | None = None  # spec.hard_handoffs (opt-in)


def _build_world(spec: SimulationSpec) -> _World:
    """People, groups, ties (members' background damped), planted events and towers."""
    seed = spec.seed
    pop = make_population(spec, _rng(seed, "population"))
    groups, group_ties = make_groups(pop, spec, _rng(seed, "groups"))
    background = background_ties(pop, spec, _rng(seed, "ties"))
    member = groups.role == MEMBER
    damp = np.where(member[background.a] | member[background.b], spec.member_background_factor, 1)
    background = Ties(
        background.a,
        background.b,
        background.kind,
        background.rate_per_day * damp,
        background.p_a_calls,
        background.p_sms,
        background.from_s,
        background.to_s,
    )
    ties = _dedupe(Ties.concat([group_ties, background]))
    plan = make_plan(pop, groups, ties, spec, _rng(seed, "plan"))
    towers = make_towers(pop, _rng(seed, "towers"))
    devices = None
    if spec.devices:  # opt-in, its own stream: cases without it are unchanged
        plan, towers, devices = plant_devices(
            plan, pop, groups, towers, spec, _rng(seed, "devices")
        )
    hard = None
    if spec.hard_handoffs:  # opt-in, its own stream: cases without it are unchanged
        plan, hard = plant_hard_handoffs(plan, pop, groups, spec, _rng(seed, "hard_handoffs"))
    log.info("world: %d people, %d ties, %d phones", pop.size, plan.ties.size, len(plan.msisdn))
    return _World(pop, groups, plan, towers, devices, hard)


def _write_cdrs(
    out_dir: Path,
    spec: SimulationSpec,
    world: _World,
    on_day: Callable[[int, int], None] | None,
    meetings: MeetingPlanter | None = None,
    scenes: ScenePlanter | None = None,
) -> tuple[dict[str, SourceStats], np.ndarray]:
    """Both operators' CDR files, a day at a time (each day its own random streams); returns
    the writer's statistics and the relayed contacts (:func:`relay_events` rows)."""
    seed = spec.seed
    model = EventModel.build(world.plan, world.pop, world.towers, spec, _rng(seed, "places"))
    relay_model = RelayModel.build(world.plan, world.groups)
    writer = CdrWriter(out_dir, spec, world.plan, world.towers)
    relayed: list[np.ndarray] = []
    if on_day is not None:
        on_day(0, spec.days)
    try:
        for day in range(spec.days):
            events = day_events(model, day, _rng(seed, "cdr", day))
            events, rows = relay_events(
                model, relay_model, events, day, spec, _rng(seed, "relays", day)
            )
            relayed.append(rows)
            if world.devices is not None:
                events = world.devices.clone_day(events, _rng(seed, "devices", day + 1))
            if world.hard_handoffs is not None:
                events = world.hard_handoffs.remap_day(events, _rng(seed, "hard_handoffs", day + 1))
            if meetings is not None:
                events = meetings.add_day(model, events, day, _rng(seed, "meetings", day + 1))
            if scenes is not None:
                events = scenes.add_day(model, events, day, _rng(seed, "scenes", day + 1))
            writer.write_day(events, _rng(seed, "cdr_noise", day))
            if on_day is not None:
                on_day(day + 1, spec.days)
    finally:
        writer.close()
    return writer.stats, np.concatenate(relayed) if relayed else np.zeros((0, 7), np.int64)


def _meeting_planter(spec: SimulationSpec, world: _World) -> MeetingPlanter | None:
    """The planted meetings (``spec.meetings``, off by default: their own streams, so cases
    without them are unchanged): the groups' circles, and the friend and group ties that
    meet, hidden or not."""
    if not spec.meetings:
        return None
    rng_ties = _rng(spec.seed, "meetings", 0, 1)
    # hidden ties that meet first (their rows number them for truth/hidden_ties.csv)
    pairs = np.vstack(
        [hidden_pairs(world.plan, "meeting"), observed_meeting_pairs(world.plan, rng_ties)]
    )
    ties = plan_tie_meetings(pairs, world.towers, spec, rng_ties)
    circles = plan_meetings(
        world.pop, world.groups, world.towers, spec, _rng(spec.seed, "meetings", 0)
    )
    return MeetingPlanter(MeetingPlan.concat(circles, ties))


def _scene_planter(
    spec: SimulationSpec, world: _World, meetings: MeetingPlan | None
) -> ScenePlanter | None:
    """The planted tower-dump scenes (``spec.scenes``, off by default: its own stream, so cases
    without scenes are unchanged); the visitors are chosen among people with no planted
    meeting on a scene's site (``meetings``)."""
    if not spec.scenes:
        return None
    rng = _rng(spec.seed, "scenes", 0)
    plan = plan_scenes(world.pop, world.groups, world.plan, world.towers, spec, rng)
    return ScenePlanter(plan, meetings)


Table = tuple[list[str], list[Any]]


def _write_records(
    out_dir: Path, spec: SimulationSpec, world: _World, ids: Identities, ledger: NoiseLedger
) -> tuple[dict[str, Table], np.ndarray]:
    """Subscriber KYC, bank accounts and transactions, police records, towers; also the
    go-between transfers planted per money-trace hidden tie."""
    seed, pop, groups, plan = spec.seed, world.pop, world.groups, world.plan
    records = write_subscribers(out_dir, spec, plan, ids, ledger, _rng(seed, "subscribers"))
    money = write_money(
        out_dir,
        spec,
        pop,
        groups,
        plan.ties,
        ids,
        ledger,
        _rng(seed, "money"),
        go_between=hidden_pairs(plan, "money"),
    )
    rec_money, acc_truth, tx_truth, accounts_of, paid = money
    records += rec_money
    records += write_police(
        out_dir, spec, pop, groups, plan, accounts_of, ids, ledger, _rng(seed, "police")
    )
    write_towers(out_dir, world.towers)
    return {
        "records": (["source", "record_id", "person_id", "identity_id", "noise"], records),
        "accounts": (["account_id", "person_id", "role", "record_id"], acc_truth),
        "transactions": (["record_id", "purpose", "group_id"], tx_truth),
    }, paid


def _write_index(
    out_dir: Path,
    spec: SimulationSpec,
    cdr_stats: dict[str, SourceStats],
    ledger: NoiseLedger,
    tables: dict[str, Table],
) -> dict[str, int]:
    """Mappings, case.toml and the source/malformed/noise truth tables; returns row counts."""
    mappings = {**MAPPINGS, **MONEY_MAPPINGS, **{f.source: f.mapping() for f in OPERATOR_FORMATS}}
    sources_rows, malformed_rows = [], []
    counts: dict[str, int] = {}
    for name, kind in SOURCE_KINDS.items():
        write_toml(out_dir / "mappings" / f"{name}.toml", mappings[name])
        path = out_dir / "sources" / f"{name}.csv"
        rows = _data_rows(path)
        counts[name] = rows
        stats = cdr_stats.get(name)
        bad = len(stats.malformed) if stats else 0
        dup = stats.duplicates if stats else 0
        sources_rows.append([name, kind, f"sources/{name}.csv", rows, bad, dup, _sha256(path)])
        if stats:
            malformed_rows += [[name, r, rid, d] for r, rid, d in stats.malformed]
            ledger.count(name, "cdr_malformed", bad, stats.events)
            ledger.count(name, "cdr_duplicate", dup, stats.events)
    write_toml(
        out_dir / "case.toml",
        {
            "case": {"name": f"sim-seed-{spec.seed}", "description": "graphkit simulate"},
            "sources": [
                {
                    "name": name,
                    "kind": kind,
                    "file": f"sources/{name}.csv",
                    "mapping": f"mappings/{name}.toml",
                }
                for name, kind in SOURCE_KINDS.items()
            ],
        },
    )
    configured = spec.noise.to_dict()
    tables["malformed"] = (["source", "row_number", "record_id", "defect"], malformed_rows)
    tables["sources"] = (
        ["source", "kind", "file", "rows", "malformed", "duplicates", "sha256"],
        sources_rows,
    )
    tables["noise"] = (
        ["source", "noise", "configured", "realised", "count", "base"],
        [
            [source, kind, configured[kind], f"{c / b:.6f}" if b else "", c, b]
            for (source, kind), (c, b) in sorted(ledger.counts.items())
        ],
    )
    return counts


def _data_rows(path: Path) -> int:
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return lines - 1


def _dedupe(ties: Ties) -> Ties:
    """One tie per pair: the first kind in priority order (group first)."""
    order = np.lexsort((ties.kind, ties.b, ties.a))
    a, b = ties.a[order], ties.b[order]
    first = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])]
    return ties.take(order[first])
