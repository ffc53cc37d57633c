"""A small simulated case, generated once, and its CDRs parsed independently of the generator.

The parser here reads the files the way an analyst's script would (csv module, strptime,
phonenumbers), so the truth is checked against the files, not against generator internals.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import phonenumbers
import pytest

from graphkit.simulate import SimulationSpec, simulate

SMALL = SimulationSpec(seed=11, people=800, days=21, groups=3)
LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class ParsedCdr:
    events: pd.DataFrame  # source, row_number, record_id, time (UTC), caller, callee, imei, ...
    rejected: dict[tuple[str, int], str]  # (source, row_number) -> why
    duplicates: dict[str, int]


def _e164(raw: str, cache: dict[str, str]) -> str:
    if raw not in cache:
        cache[raw] = phonenumbers.format_number(
            phonenumbers.parse(raw, "GB"), phonenumbers.PhoneNumberFormat.E164
        )
    return cache[raw]


def parse_cdr(out: Path) -> ParsedCdr:
    layouts = {
        "opA_cdr": (";", "%Y%m%d %H%M", True),
        "opB_cdr": (",", "%Y-%m-%dT%H:%M:%S%z", False),
    }
    rows: list[tuple[object, ...]] = []
    rejected: dict[tuple[str, int], str] = {}
    duplicates: dict[str, int] = {}
    cache: dict[str, str] = {}
    for source, (delimiter, fmt, naive) in layouts.items():
        duplicates[source] = 0
        previous: list[str] | None = None
        with (out / "sources" / f"{source}.csv").open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader)
            for row_number, row in enumerate(reader, start=1):
                if len(row) != len(header):
                    rejected[(source, row_number)] = "truncated"
                    previous = row
                    continue
                rid, start, caller, callee, kind, _duration, cell, imei, _imsi = row
                try:
                    when = dt.datetime.strptime(start, fmt)
                except ValueError:
                    rejected[(source, row_number)] = "bad_date"
                    previous = row
                    continue
                if not caller:
                    rejected[(source, row_number)] = "no_caller"
                    previous = row
                    continue
                if row == previous:
                    duplicates[source] += 1
                previous = row
                when = when.replace(tzinfo=LONDON) if naive else when
                rows.append(
                    (
                        source,
                        row_number,
                        rid,
                        when.astimezone(dt.UTC),
                        _e164(caller, cache),
                        _e164(callee, cache),
                        kind,
                        imei,
                        cell,
                    )
                )
    events = pd.DataFrame(
        rows,
        columns=[
            "source",
            "row_number",
            "record_id",
            "time",
            "caller",
            "callee",
            "kind",
            "imei",
            "cell",
        ],
    )
    events["time"] = pd.to_datetime(events["time"], utc=True)
    return ParsedCdr(events, rejected, duplicates)


@pytest.fixture(scope="session")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "case"
    simulate(out, spec=SMALL)
    return out


@pytest.fixture(scope="session")
def parsed_cdr(small_case: Path) -> ParsedCdr:
    return parse_cdr(small_case)


@pytest.fixture(scope="session")
def truth(small_case: Path) -> dict[str, pd.DataFrame]:
    return {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in sorted((small_case / "truth").glob("*.csv"))
    }
