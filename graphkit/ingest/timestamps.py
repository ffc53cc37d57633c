"""Timestamps and dates (dates of birth, partial dates) as SQL over the raw table.

Timestamp formats are given in the mapping or detected on a sample of distinct values; naive
values are read in the mapping's time zone and stored in UTC. Day-first or month-first dates
follow the mapping's phone region when a value is ambiguous.

Checks (each a per-row reject with its reason, see :func:`timestamp_checks`): UTC offsets beyond
+-14:00 (``bad_utc_offset``), instants before 1900-01-01 or after the day after the ingest day
(``implausible_date``), and naive local times that do not exist in the mapping's time zone
(the spring-forward hour, ``nonexistent_local_time``). Local times of the repeated autumn
hour are read as their second occurrence (standard time) and counted (:func:`ambiguous_windows`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb

from graphkit.ingest.kinds import FieldSpec
from graphkit.ingest.mapping import ResolvedMapping
from graphkit.ingest.sql import NormalisePlan, field_value_sql, run_sql

__all__ = [
    "EARLIEST",
    "TIMESTAMP_CANDIDATES",
    "TimestampSql",
    "ambiguous_windows",
    "detect_timestamp_format",
    "latest_plausible",
    "partial_date_sql",
    "timestamp_sql",
    "zone_transitions",
]

log = logging.getLogger(__name__)

_ISO_OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
# a numeric UTC offset after a time of day; group 2 = hours, group 3 = minutes
_NUM_OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s*[+-](\d\d):?(\d\d)?$"
MAX_OFFSET_MINUTES = 14 * 60
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
TIMESTAMP_CANDIDATES = (
    "iso",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H%M%S",
    "%Y%m%d %H%M",
    "%Y%m%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d-%b-%Y %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%Y%m%d",
    "%d.%m.%Y",
    "epoch",
)
_MONTH_FIRST_REGIONS = {"US", "CA", "PH", "FM", "MH", "PW"}


def detect_timestamp_format(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    value_sql: str,
    *,
    region: str,
    params: dict[str, object] | None = None,
) -> str | None:
    """The candidate format that parses most of a sample of distinct values (None if none).

    Day-first and month-first formats are tried in the order the phone region suggests, so an
    all-ambiguous column (every day <= 12) follows the region's convention.
    """
    sample = run_sql(
        con,
        f"SELECT DISTINCT {value_sql} AS v FROM {raw_table} r WHERE v IS NOT NULL LIMIT 2000",
        params,
    ).fetchall()
    values = [str(v[0]) for v in sample]
    if not values:
        return None
    candidates = list(TIMESTAMP_CANDIDATES)
    if region.upper() in _MONTH_FIRST_REGIONS:
        candidates.sort(key=lambda c: 0 if c.startswith("%m/%d") else 1)
    con.execute("CREATE OR REPLACE TEMP TABLE _ts_sample AS SELECT unnest($v) AS v", {"v": values})
    best, best_count = None, 0
    for cand in candidates:
        expr = _parse_timestamp_sql(cand, "v", "'UTC'")
        row = con.execute(f"SELECT count({expr}) FROM _ts_sample").fetchone()
        count = int(row[0]) if row else 0
        if count > best_count:
            best, best_count = cand, count
    con.execute("DROP TABLE _ts_sample")
    if best is not None and best_count < len(values):
        log.warning(
            "timestamp format %s parses %d of %d sampled values; the rest will be rejected",
            best,
            best_count,
            len(values),
        )
    return best


def latest_plausible(today: date | None = None) -> datetime:
    """The first instant that is too late: midnight UTC two days after the ingest day."""
    day = today or datetime.now(UTC).date()
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=2)


def _offset_ok_sql(v: str) -> str:
    """True unless ``v`` ends in a numeric UTC offset beyond +-14:00 (or with minutes >= 60)."""
    hours = f"TRY_CAST(regexp_extract({v}, '{_NUM_OFFSET}', 3) AS INT)"
    minutes = f"coalesce(TRY_CAST(regexp_extract({v}, '{_NUM_OFFSET}', 4) AS INT), 0)"
    return (
        f"(NOT regexp_matches({v}, '{_NUM_OFFSET}') OR "
        f"({hours} * 60 + {minutes} <= {MAX_OFFSET_MINUTES} AND {minutes} < 60))"
    )


def _parse_parts(fmt: str, v: str) -> tuple[str | None, str | None]:
    """(naive local timestamp, absolute timestamp) SQL of one format; one of them is None.

    For "iso" both are given: the absolute one for values with an offset, the local one
    for the others. Offsets beyond +-14:00 do not parse.
    """
    if fmt == "iso":
        return (
            f"CASE WHEN NOT regexp_matches({v}, '{_ISO_OFFSET}') "
            f"THEN TRY_CAST({v} AS TIMESTAMP) END",
            f"CASE WHEN regexp_matches({v}, '{_ISO_OFFSET}') AND {_offset_ok_sql(v)} "
            f"THEN TRY_CAST({v} AS TIMESTAMPTZ) END",
        )
    if fmt == "epoch":
        return None, (
            f"CASE WHEN regexp_matches({v}, '^\\d{{9,10}}(\\.\\d+)?$') "
            f"THEN to_timestamp(TRY_CAST({v} AS DOUBLE)) END"
        )
    lit = "'" + fmt.replace("'", "''") + "'"
    if "%z" in fmt or "%Z" in fmt:
        return None, f"CASE WHEN {_offset_ok_sql(v)} THEN try_strptime({v}, {lit}) END"
    return f"try_strptime({v}, {lit})", None


def _parse_timestamp_sql(fmt: str, v: str, tz: str) -> str:
    local, absolute = _parse_parts(fmt, v)
    parts = [p for p in (absolute, f"timezone({tz}, {local})" if local else None) if p]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


@functools.lru_cache(maxsize=64)
def zone_transitions(
    zone: str, first_year: int, last_year: int
) -> tuple[tuple[datetime, int, int], ...]:
    """UTC offset changes of ``zone``: (instant in UTC, seconds before, seconds after).

    Found by stepping a day at a time and bisecting to the second (zones change offset at
    most a few times a year); a few milliseconds per century.
    """
    zi = ZoneInfo(zone)

    def offset(t: datetime) -> int:
        off = t.astimezone(zi).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    out: list[tuple[datetime, int, int]] = []
    t = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC)
    prev = offset(t)
    day = timedelta(days=1)
    while t < end:
        nxt = t + day
        cur = offset(nxt)
        if cur != prev:
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if offset(mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append((hi.replace(microsecond=0), prev, cur))
            prev = cur
        t = nxt
    return tuple(out)


def _years() -> tuple[int, int]:
    return EARLIEST.year, latest_plausible().year


def _gap_minutes(zone: str) -> list[tuple[int, int]]:
    """Minute-of-day windows [start, end) of local times that some year skips (merged)."""
    windows: set[tuple[int, int]] = set()
    for instant, before, after in zone_transitions(zone, *_years()):
        if after <= before:
            continue
        local = instant + timedelta(seconds=before)
        start = local.hour * 60 + local.minute
        end = start + -(-(after - before + local.second) // 60)
        if end > 1440:  # across midnight
            windows.update({(start, 1440), (0, end - 1440)})
        else:
            windows.add((start, end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def ambiguous_windows(zone: str) -> list[tuple[datetime, datetime]]:
    """UTC instants [lo, hi) that the repeated local hour of each autumn change is read as.

    DuckDB (ICU) reads a naive local time of the repeated hour as its second occurrence (the
    offset after the change, standard time), i.e. as an instant in the hour after the change.
    """
    return [
        (instant, instant + timedelta(seconds=before - after))
        for instant, before, after in zone_transitions(zone, *_years())
        if after < before
    ]


@dataclass(frozen=True)
class TimestampSql:
    """The SQL of one timestamp field: its value, its naive local value, its checks.

    ``local`` is the name of the stage-v column holding the naive local value (NULL for values
    with an offset), or None when no format yields one.
    """

    value: str
    local: str | None
    offsets: bool  # some format reads UTC offsets

    def error_sql(self, plan: NormalisePlan, tv: str, n: str, tz: str, missing: str) -> str:
        """The error type of a row (NULL when the value is good); see the module docstring."""
        null_error = "'bad_timestamp'"
        if self.offsets:
            null_error = (
                f"CASE WHEN regexp_matches({tv}, '{_NUM_OFFSET}') AND NOT {_offset_ok_sql(tv)} "
                "THEN 'bad_utc_offset' ELSE 'bad_timestamp' END"
            )
        lo, hi = plan.param(EARLIEST), plan.param(latest_plausible())
        checks = [
            f"WHEN {tv} IS NULL THEN {missing}",
            f"WHEN {n} IS NULL THEN {null_error}",
            f"WHEN {n} < {lo} OR {n} >= {hi} THEN 'implausible_date'",
        ]
        gaps = _gap_minutes(tz) if self.local is not None else []
        if gaps and self.local is not None:
            local = self.local
            minute = f"(hour({local}) * 60 + minute({local}))"
            near = " OR ".join(f"{minute} BETWEEN {a} AND {b - 1}" for a, b in gaps)
            zone = plan.param(tz)
            # the exact test (ICU, two conversions) runs only on the rows near a gap
            checks.append(
                f"WHEN {local} IS NOT NULL AND ({near}) THEN CASE WHEN "
                f"timezone({zone}, timezone({zone}, {local})) <> {local} "
                "THEN 'nonexistent_local_time' END"
            )
        return "CASE " + " ".join(checks) + " END"


def timestamp_sql(
    plan: NormalisePlan,
    spec: FieldSpec,
    v: str,
    rm: ResolvedMapping,
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
) -> TimestampSql:
    """The UTC timestamp of the trimmed value ``v``: the mapped format(s), or the detected one.

    Naive values are read in the mapping's time zone; values with an offset keep theirs. The
    naive local value is a stage-v column of its own (added to ``plan.selects``, before the
    value that uses it) for the check of local times that do not exist.
    """
    fmt = rm.mapping.formats.get(spec.name)
    tz = plan.param(rm.mapping.timezone)
    if fmt is None:
        detected = detect_timestamp_format(
            con,
            raw_table,
            field_value_sql(plan, rm, spec.name),
            region=rm.mapping.default_region,
            params=plan.params,
        )
        if detected is None:
            return TimestampSql("CAST(NULL AS TIMESTAMPTZ)", None, offsets=False)
        fmts = [detected]
        log.info("field %s: detected timestamp format %s", spec.name, detected)
    else:
        fmts = [fmt] if isinstance(fmt, str) else list(fmt)
    parsed = [_parse_parts(f, v) for f in fmts]
    locals_ = [loc for loc, _abs in parsed if loc is not None]
    absolutes = [a for _loc, a in parsed if a is not None]
    local_col = None
    if locals_:
        local_col = '"__local__' + spec.name.replace('"', '""') + '"'
        one = locals_[0] if len(locals_) == 1 else f"coalesce({', '.join(locals_)})"
        plan.selects.append(f"{one} AS {local_col}")
        absolutes.append(f"timezone({tz}, {local_col})")
    value = absolutes[0] if len(absolutes) == 1 else f"coalesce({', '.join(absolutes)})"
    offsets = any(f == "iso" or "%z" in f or "%Z" in f for f in fmts)
    return TimestampSql(value, local_col, offsets=offsets)


def partial_date_sql(plan: NormalisePlan, spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    """A date of birth or other partial date of ``v`` as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

    Mapped formats are tried first; then the usual spellings, day-first or month-first as the
    mapping's phone region suggests.
    """
    fmt = rm.mapping.formats.get(spec.name)
    explicit = []
    if fmt is not None:
        for f in [fmt] if isinstance(fmt, str) else list(fmt):
            explicit.append(f"strftime(try_strptime({v}, {plan.param(f)}), '%Y-%m-%d')")
    month_first = rm.mapping.default_region.upper() in _MONTH_FIRST_REGIONS
    dmy = "'%m/%d/%Y'" if month_first else "'%d/%m/%Y'"
    slashed = f"regexp_replace({v}, '[.\\-]', '/', 'g')"
    auto = f"""CASE
      WHEN regexp_matches({v}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([ T].*)?$')
        THEN strftime(try_strptime(split_part(split_part({v}, ' ', 1), 'T', 1), '%Y-%m-%d'),
                      '%Y-%m-%d')
      WHEN regexp_matches({v}, '^\\d{{8}}$') THEN strftime(try_strptime({v}, '%Y%m%d'), '%Y-%m-%d')
      WHEN regexp_matches({v}, '^\\d{{1,2}}[/.\\-]\\d{{1,2}}[/.\\-]\\d{{4}}$')
        THEN strftime(try_strptime({slashed}, {dmy}), '%Y-%m-%d')
      WHEN regexp_matches({v}, '^\\d{{4}}[/.\\-]\\d{{1,2}}$')
        AND TRY_CAST(regexp_extract({v}, '[/.\\-](\\d+)$', 1) AS INT) BETWEEN 1 AND 12
        THEN left({v}, 4) || '-' || lpad(regexp_extract({v}, '[/.\\-](\\d+)$', 1), 2, '0')
      WHEN regexp_matches({v}, '^\\d{{1,2}}[/.\\-]\\d{{4}}$')
        AND TRY_CAST(regexp_extract({v}, '^(\\d+)', 1) AS INT) BETWEEN 1 AND 12
        THEN right({v}, 4) || '-' || lpad(regexp_extract({v}, '^(\\d+)', 1), 2, '0')
      WHEN regexp_matches({v}, '^\\d{{4}}$') THEN {v}
      ELSE coalesce(strftime(try_strptime({v}, '%d %b %Y'), '%Y-%m-%d'),
                    strftime(try_strptime({v}, '%d %B %Y'), '%Y-%m-%d'),
                    strftime(try_strptime({v}, '%B %d, %Y'), '%Y-%m-%d'))
    END"""
    return f"coalesce({', '.join([*explicit, auto])})"
