"""Timestamps and dates (dates of birth, partial dates) as SQL over the raw table.

Timestamp formats are given in the mapping or detected on a sample of distinct values; naive
values are read in the mapping's time zone and stored in UTC. Day-first or month-first dates
follow the mapping's phone region when a value is ambiguous.
"""

from __future__ import annotations

import logging

import duckdb

from graphkit.ingest.kinds import FieldSpec
from graphkit.ingest.mapping import ResolvedMapping
from graphkit.ingest.sql import NormalisePlan, field_value_sql, run_sql

__all__ = [
    "TIMESTAMP_CANDIDATES",
    "detect_timestamp_format",
    "partial_date_sql",
    "timestamp_sql",
]

log = logging.getLogger(__name__)

_ISO_OFFSET = r"\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
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


def _parse_timestamp_sql(fmt: str, v: str, tz: str) -> str:
    if fmt == "iso":
        return (
            f"CASE WHEN regexp_matches({v}, '{_ISO_OFFSET}') THEN TRY_CAST({v} AS TIMESTAMPTZ) "
            f"ELSE timezone({tz}, TRY_CAST({v} AS TIMESTAMP)) END"
        )
    if fmt == "epoch":
        return (
            f"CASE WHEN regexp_matches({v}, '^\\d{{9,10}}(\\.\\d+)?$') "
            f"THEN to_timestamp(TRY_CAST({v} AS DOUBLE)) END"
        )
    lit = "'" + fmt.replace("'", "''") + "'"
    if "%z" in fmt or "%Z" in fmt:
        return f"try_strptime({v}, {lit})"
    return f"timezone({tz}, try_strptime({v}, {lit}))"


def timestamp_sql(
    plan: NormalisePlan,
    spec: FieldSpec,
    v: str,
    rm: ResolvedMapping,
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
) -> str:
    """The UTC timestamp of the trimmed value ``v``: the mapped format(s), or the detected one.

    Naive values are read in the mapping's time zone; values with an offset keep theirs.
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
            return "CAST(NULL AS TIMESTAMPTZ)"
        fmts = [detected]
        log.info("field %s: detected timestamp format %s", spec.name, detected)
    else:
        fmts = [fmt] if isinstance(fmt, str) else list(fmt)
    parts = [_parse_timestamp_sql(f, v, tz) for f in fmts]
    return parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"


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
