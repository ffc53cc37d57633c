"""Ground truth files in ``OUT/truth/``: who is who, who owns which phone when, what was planted."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from graphkit.simulate.groups import RANK_NAMES, ROLE_NAMES, Groups
from graphkit.simulate.io import person_id, write_csv
from graphkit.simulate.plan import OPERATORS, Plan
from graphkit.simulate.records import phone_spans
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import KIND_NAMES, Population

__all__ = ["HIDDEN_TIE_COLUMNS", "hidden_tie_rows", "iso_time", "iso_times", "write_truth"]

_README = Path(__file__).with_name("TRUTH_README.md")


def iso_time(spec: SimulationSpec, seconds: int) -> str:
    """Seconds since the start of the simulation as ISO 8601 UTC (``...Z``)."""
    when = dt.datetime.combine(spec.start_date, dt.time(), tzinfo=dt.UTC)
    return (when + dt.timedelta(seconds=int(seconds))).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_times(spec: SimulationSpec, seconds: np.ndarray) -> np.ndarray:
    """Vectorised :func:`iso_time`."""
    base = np.datetime64(spec.start_date, "s")
    stamps = base + np.asarray(seconds, dtype=np.int64).astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s"), "Z").astype(object)


def _nodes(plan: Plan, n: int, node: np.ndarray) -> np.ndarray:
    """Person ids for people, the landline's number for household landlines."""
    people = np.char.mod("P%06d", node + 1).astype(object)
    lines = plan.msisdn[plan.house_landline[np.maximum(node - n, 0)]]
    return np.where(node < n, people, lines)


def _write_ties(path: Path, spec: SimulationSpec, plan: Plan, n: int) -> None:
    """ties.csv through pyarrow, 200,000 ties at a time (bounded memory)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    ties = plan.ties
    kinds = pa.array(KIND_NAMES, pa.string())
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    with path.open("wb") as handle:
        handle.write(b"a,b,kind,rate_per_day,p_a_calls,valid_from,valid_to\n")
        for lo in range(0, ties.size, 200_000):
            part = slice(lo, lo + 200_000)
            table = pa.table(
                {
                    "a": pa.array(_nodes(plan, n, ties.a[part]), pa.string()),
                    "b": pa.array(_nodes(plan, n, ties.b[part]), pa.string()),
                    "kind": kinds.take(pa.array(ties.kind[part])),
                    "rate_per_day": pa.array(np.round(ties.rate_per_day[part], 4)),
                    "p_a_calls": pa.array(np.round(ties.p_a_calls[part], 3)),
                    "valid_from": pa.array(iso_times(spec, ties.from_s[part]), pa.string()),
                    "valid_to": pa.array(iso_times(spec, ties.to_s[part]), pa.string()),
                }
            )
            pcsv.write_csv(table, handle, options)


def write_truth(
    out: Path,
    spec: SimulationSpec,
    pop: Population,
    groups: Groups,
    plan: Plan,
    tables: dict[str, tuple[list[str], list[Any]]],
) -> None:
    """Write every truth file; ``tables`` holds the ones other stages produced (name ->
    (header, rows))."""
    t = out / "truth"
    n = pop.size

    def when(seconds: int) -> str:
        return iso_time(spec, seconds)

    write_csv(
        t / "persons.csv",
        [
            "person_id",
            "first_name",
            "last_name",
            "sex",
            "dob",
            "address",
            "postcode",
            "id_number",
            "household_id",
            "workplace_id",
            "community_id",
            "group_id",
            "rank",
            "role",
        ],
        (
            [
                person_id(p),
                pop.first_name[p],
                pop.last_name[p],
                "FM"[pop.sex[p]],
                str(pop.dob[p]),
                pop.house_address[pop.household[p]],
                pop.house_postcode[pop.household[p]],
                pop.id_number[p],
                f"H{pop.household[p] + 1:06d}",
                f"W{pop.workplace[p] + 1:05d}" if pop.workplace[p] >= 0 else "",
                f"C{pop.community[p] + 1:05d}",
                f"G{groups.group[p] + 1}" if groups.group[p] >= 0 else "",
                RANK_NAMES[groups.rank[p]],
                ROLE_NAMES[groups.role[p]],
            ]
            for p in range(n)
        ),
    )
    rows = [
        [
            person_id(int(p)),
            f"G{groups.group[p] + 1}",
            RANK_NAMES[groups.rank[p]],
            "member",
            person_id(int(groups.crew[p])) if groups.crew[p] >= 0 else "",
        ]
        for p in np.flatnonzero(groups.group >= 0)
    ]
    rows += [[person_id(p), f"G{g + 1}", "", ROLE_NAMES[r], ""] for p, g, r in groups.affiliations]
    write_csv(t / "groups.csv", ["person_id", "group_id", "rank", "role", "crew_lieutenant"], rows)

    first_s, last_s = phone_spans(plan, spec.total_seconds)
    first_iso, last_iso = iso_times(spec, first_s), iso_times(spec, last_s)
    ph = plan.phones
    rows = []
    for i in range(len(ph.msisdn)):
        kind = "landline" if ph.landline[i] else "mobile"
        owners = (
            np.flatnonzero(pop.household == -1 - ph.owner[i]) if ph.owner[i] < 0 else [ph.owner[i]]
        )
        for p in owners:
            rows.append(
                [
                    plan.msisdn[i],
                    person_id(int(p)),
                    first_iso[i],
                    last_iso[i],
                    kind,
                    OPERATORS[ph.operator[i]],
                    ph.purpose[i],
                    ph.identity[i],
                    plan.imsi[i],
                    str(ph.owner[i] < 0).lower(),
                ]
            )
    write_csv(
        t / "phones.csv",
        [
            "msisdn",
            "person_id",
            "valid_from",
            "valid_to",
            "kind",
            "operator",
            "purpose",
            "registered_as",
            "imsi",
            "shared",
        ],
        rows,
    )
    write_csv(
        t / "handoffs.csv",
        ["old_msisdn", "new_msisdn", "person_id", "group_id", "time", "new_start", "same_imei"],
        (
            [
                plan.msisdn[h.old],
                plan.msisdn[h.new],
                person_id(h.person),
                f"G{h.group + 1}",
                when(h.time_s),
                when(h.new_start_s),
                str(h.same_imei).lower(),
            ]
            for h in plan.handoffs
        ),
    )
    write_csv(
        t / "blackouts.csv",
        [
            "blackout_id",
            "scope",
            "group_id",
            "person_id",
            "msisdns",
            "start",
            "end",
            "resumed",
            "operation_time",
        ],
        (
            [
                f"B{k + 1:04d}",
                b.scope,
                f"G{b.group + 1}" if b.group >= 0 else "",
                person_id(b.person),
                plan.msisdn[b.phone],
                when(b.start_s),
                when(b.end_s),
                str(b.resumed).lower(),
                when(b.operation_s) if b.operation_s >= 0 else "",
            ]
            for k, b in enumerate(plan.blackouts)
        ),
    )
    write_csv(
        t / "swaps.csv",
        ["kind", "person_id", "time", "old_msisdn", "new_msisdn", "old_imei", "new_imei"],
        (
            [
                s.kind,
                person_id(s.person),
                when(s.time_s),
                plan.msisdn[s.old_phone],
                plan.msisdn[s.new_phone],
                plan.imei[s.old_imei],
                plan.imei[s.new_imei],
            ]
            for s in plan.swaps
        ),
    )
    _write_ties(t / "ties.csv", spec, plan, n)
    for name, (header, table) in tables.items():
        write_csv(t / f"{name}.csv", header, table)
    (t / "parameters.json").write_text(
        json.dumps(spec.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    lines = ["", "## Parameters of this case", "", "| parameter | value |", "|---|---|"]
    for key, value in spec.to_dict().items():
        if isinstance(value, dict):
            lines += [f"| noise.{k} | {v} |" for k, v in value.items()]
        else:
            lines.append(f"| {key} | {value} |")
    readme = _README.read_text(encoding="utf-8") + "\n".join(lines) + "\n"
    (t / "README.md").write_text(readme, encoding="utf-8")


HIDDEN_TIE_COLUMNS = ["person_a", "person_b", "kind", "rate_per_day", "trace", "trace_events"]


def hidden_tie_rows(
    plan: Plan, met: dict[int, int], paid: np.ndarray | list[int]
) -> list[list[Any]]:
    """Rows of ``truth/hidden_ties.csv`` (:data:`HIDDEN_TIE_COLUMNS`), sorted by pair.

    ``trace`` is what the tie left in the records: ``meeting`` (``trace_events`` meetings at
    which both phones left a record on a nearby cell), ``money`` (``trace_events`` transfers
    through a go-between) or ``none`` (planned to leave none, or its planned trace could not be
    planted: a phone silent at every meeting, an end with no bank account). ``met`` and
    ``paid`` count per row of the hidden ties planned to leave each trace, in plan order.
    """
    count = {"meeting": 0, "money": 0}
    rows = []
    for (a, b, kind), rate, trace in zip(
        plan.hidden, plan.hidden_rate, plan.hidden_trace, strict=True
    ):
        events = 0
        if trace == "meeting":
            events = int(met.get(count["meeting"], 0))
        elif trace == "money":
            events = int(paid[count["money"]])
        if trace in count:
            count[trace] += 1
        left = trace if events > 0 else "none"
        rows.append([person_id(min(a, b)), person_id(max(a, b)), kind, f"{rate:.4f}", left, events])
    return sorted(rows)


def relay_rows(spec: SimulationSpec, relays: np.ndarray) -> list[list[Any]]:
    """Rows of ``relays.csv`` from :func:`graphkit.simulate.relays.relay_events` rows."""
    return [
        [
            iso_time(spec, int(t)),
            person_id(int(r)),
            person_id(int(c)),
            person_id(int(f)),
            iso_time(spec, int(o)),
            int(d),
            int(k),
        ]
        for t, r, c, f, o, d, k in relays.tolist()
    ]
