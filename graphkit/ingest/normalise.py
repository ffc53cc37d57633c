"""Turn a raw all-text table into canonical, typed fields in one vectorised SQL statement.

Each canonical field becomes a value expression (and, for fields that can fail, an error
expression naming the error type). Identifiers (phones, accounts, IMEIs) are normalised in
Python on their distinct values and joined back. Every user-supplied value (constants, formats,
time zone) reaches SQL as a parameter; identifiers in SQL come from the kind specs only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import duckdb

from graphkit.errors import MappingError
from graphkit.ingest.kinds import FieldSpec
from graphkit.ingest.mapping import ResolvedMapping

__all__ = [
    "LOOKUP_TABLES",
    "NormalisePlan",
    "coded_value_sql",
    "detect_timestamp_format",
    "list_items",
    "plan_normalise",
    "quote_ident",
    "raw_value",
    "run_sql",
    "trimmed_sql",
    "value_lookup_table",
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
_EVENT_SYNONYMS = {
    "call": (
        "call",
        "voice",
        "voice call",
        "moc",
        "mtc",
        "mo call",
        "mt call",
        "mo",
        "mt",
        "incoming call",
        "outgoing call",
        "tel",
        "phone",
    ),
    "sms": (
        "sms",
        "text",
        "mo-sms",
        "mt-sms",
        "sms-mo",
        "sms-mt",
        "mosms",
        "mtsms",
        "message",
        "sms mo",
        "sms mt",
        "text message",
    ),
    "data": ("data", "gprs", "internet", "ps", "pdp"),
}
_RANGES = {
    ("towers", "lat"): (-90.0, 90.0),
    ("towers", "lon"): (-180.0, 180.0),
    ("towers", "azimuth"): (0.0, 360.0),
}


# by-raw-value lookup table of each identifier type (built by graphkit.ingest.lookups)
LOOKUP_TABLES = {"phone": "_lkr_phone", "account": "_lkr_account", "imei": "_lkr_imei"}
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute ``sql`` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(_PARAM_RE.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes, embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class NormalisePlan:
    """The SQL pieces of a normalisation and the parameters they use."""

    trims: dict[str, str] = field(default_factory=dict)  # field -> trimmed raw value SQL
    selects: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (error expr, source column)
    joins: list[str] = field(default_factory=list)  # identifier lookups, joined in stage t
    # (field, lookup table, list expression over the raw table ``r``)
    list_lookups: list[tuple[str, str, str]] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)

    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def raw_value(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    """The untrimmed source value of ``fname``: a column of the raw table ``r`` or a constant."""
    if fname in rm.constants:
        return f"CAST({plan.param(rm.constants[fname])} AS VARCHAR)"
    return f"r.{quote_ident(rm.columns[fname])}"


def trimmed_sql(x: str) -> str:
    """``NULLIF(trim(x), '')`` that copies only values with a space at either end.

    DuckDB's ``trim`` removes spaces only, so a value with no space at either end is its own
    trimmed value; most values are like that and pass through without a copy.
    """
    padded = f"starts_with({x}, ' ') OR ends_with({x}, ' ')"
    return f"NULLIF(CASE WHEN {padded} THEN trim({x}) ELSE {x} END, '')"


def _value(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    return trimmed_sql(raw_value(plan, rm, fname))


def _trimmed(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    """Reference to the trimmed raw value of ``fname`` computed once in the ``t`` stage."""
    col = "v__" + fname
    if fname not in plan.trims:
        plan.trims[fname] = f"{_value(plan, rm, fname)} AS {quote_ident(col)}"
    return f"t.{quote_ident(col)}"


def _identifier(plan: NormalisePlan, rm: ResolvedMapping, fname: str, lookup: str) -> None:
    """Stage-t columns of an identifier field from its by-raw-value lookup (one hash join)."""
    alias = quote_ident(f"j_{fname}")
    plan.joins.append(f"LEFT JOIN {lookup} {alias} ON {alias}.raw = {raw_value(plan, rm, fname)}")
    plan.trims[fname] = (
        f"{alias}.trimmed AS {quote_ident('v__' + fname)}, "
        f"{alias}.value AS {quote_ident('v__' + fname + '__value')}, "
        f"{alias}.valid AS {quote_ident('v__' + fname + '__valid')}"
    )


def value_lookup_table(fname: str) -> str:
    """Name of the by-raw-value lookup of a low-cardinality coded field (event types)."""
    return f"_lkv_{fname}"


def coded_value_sql(ftype: str, v: str) -> str:
    """The canonical value of a coded field type from its trimmed value ``v``."""
    if ftype == "event_type":
        return _event_type(v)
    raise ValueError(f"{ftype} is not a coded field type")


def _coded(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> None:
    """Stage-t columns of a coded field from its lookup over the distinct raw values."""
    alias = quote_ident(f"j_{fname}")
    table = quote_ident(value_lookup_table(fname))
    plan.joins.append(f"LEFT JOIN {table} {alias} ON {alias}.raw = {raw_value(plan, rm, fname)}")
    plan.trims[fname] = (
        f"{alias}.trimmed AS {quote_ident('v__' + fname)}, "
        f"{alias}.value AS {quote_ident('v__' + fname + '__value')}"
    )


def _source_label(rm: ResolvedMapping, fname: str) -> str:
    return rm.columns.get(fname, f"<constant {fname}>")


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


def _timestamp(
    plan: NormalisePlan,
    spec: FieldSpec,
    v: str,
    rm: ResolvedMapping,
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
) -> str:
    fmt = rm.mapping.formats.get(spec.name)
    tz = plan.param(rm.mapping.timezone)
    if fmt is None:
        detected = detect_timestamp_format(
            con,
            raw_table,
            _value(plan, rm, spec.name),
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


def _duration(spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    fmt = rm.mapping.formats.get(spec.name, "auto")
    hms = (
        f"(TRY_CAST(regexp_extract({v}, '^(\\d+):(\\d\\d):(\\d\\d)$', 1) AS BIGINT) * 3600 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d+):(\\d\\d):(\\d\\d)$', 2) AS BIGINT) * 60 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d+):(\\d\\d):(\\d\\d)$', 3) AS BIGINT))"
    )
    ms = (
        f"(TRY_CAST(regexp_extract({v}, '^(\\d+):(\\d\\d)$', 1) AS BIGINT) * 60 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d+):(\\d\\d)$', 2) AS BIGINT))"
    )
    clock = f"CASE WHEN {v} LIKE '%:%:%' THEN {hms} ELSE {ms} END"
    num = f"TRY_CAST({v} AS DOUBLE)"
    scale = {"s": 1, "ms": 0.001, "min": 60}.get(str(fmt), 1)
    seconds = f"CAST(round({num} * {scale}) AS BIGINT)"
    if fmt == "hms":
        return clock
    if fmt == "auto":
        return f"CASE WHEN {v} LIKE '%:%' THEN {clock} ELSE {seconds} END"
    return seconds


def _number(spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    cleaned = f"regexp_replace({v}, '[\\s£$€¥]', '', 'g')"
    if rm.mapping.formats.get(spec.name) == "decimal_comma":
        return f"TRY_CAST(replace(replace({cleaned}, '.', ''), ',', '.') AS DOUBLE)"
    return f"TRY_CAST(replace({cleaned}, ',', '') AS DOUBLE)"


def _partial_date(plan: NormalisePlan, spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
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


def _event_type(v: str) -> str:
    # the synonyms are constants of this module, not user input
    whens = " ".join(
        f"WHEN lower({v}) IN ({', '.join(repr(s) for s in syn)}) THEN '{canon}'"
        for canon, syn in _EVENT_SYNONYMS.items()
    )
    return f"CASE {whens} ELSE lower({v}) END"


def list_items(plan: NormalisePlan, spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    sep = rm.mapping.formats.get(spec.name)
    pattern = plan.param("[" + "".join("\\" + c for c in sep) + "]" if sep else "[;|]")
    split = f"string_split_regex({v}, {pattern})"
    as_json = f"TRY_CAST(TRY_CAST({v} AS JSON) AS VARCHAR[])"
    items = f"CASE WHEN left({v}, 1) = '[' THEN coalesce({as_json}, {split}) ELSE {split} END"
    return f"list_filter(list_transform({items}, lambda x: trim(x)), lambda x: x <> '')"


def plan_normalise(
    con: duckdb.DuckDBPyConnection, rm: ResolvedMapping, raw_table: str
) -> NormalisePlan:
    """Build the statement pieces for ``rm`` over ``raw_table``.

    Three stages (assembled by graphkit.ingest.stage): ``t`` trims each raw value once
    (``v__<field>``) and joins the lookups of identifiers and event types on the raw value
    (``v__<field>__value``, ``v__<field>__valid``), ``v`` computes the canonical columns, and
    the outer select derives each row's error (the first failing field) from the computed
    columns, so no expression is evaluated twice. The lookup tables must exist
    (graphkit.ingest.lookups) before the statement runs.
    """
    plan = NormalisePlan()
    spec = rm.mapping.spec
    for f in spec.fields:
        if f.name == "record_id":
            continue
        mapped = f.name in rm.columns or f.name in rm.constants
        if not mapped:
            for col, dtype in f.staging_columns():
                plan.selects.append(f"CAST(NULL AS {dtype}) AS {quote_ident(col)}")
            continue
        if f.type in LOOKUP_TABLES:
            _identifier(plan, rm, f.name, LOOKUP_TABLES[f.type])
        elif f.type == "event_type":
            _coded(plan, rm, f.name)
        v = _trimmed(plan, rm, f.name)
        tv = quote_ident("v__" + f.name)  # the trimmed value as seen by the outer stage
        label = _source_label(rm, f.name)
        n = quote_ident(f.name)
        missing = _lit_or_null(f.required)
        err: str | None = f"CASE WHEN {tv} IS NULL THEN 'missing_value' END" if f.required else None
        match f.type:
            case "phone" | "account" | "imei":
                # looked up by the untrimmed value (see graphkit.ingest.lookups): no per-row
                # trim, and invalid identifiers come back exactly as given (trimmed)
                plan.selects.append(f"t.{quote_ident('v__' + f.name + '__value')} AS {n}")
                if f.type != "imei":
                    plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                valid = quote_ident(f"v__{f.name}__valid")
                plan.selects.append(f"t.{valid} AS {quote_ident(f.name + '_valid')}")
            case "timestamp":
                expr = _timestamp(plan, f, v, rm, con, raw_table)
                plan.selects.append(f"{expr} AS {n}")
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN 'bad_timestamp' END"
                )
            case "duration":
                plan.selects.append(f"{_duration(f, v, rm)} AS {n}")
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN 'bad_duration' "
                    f"WHEN {n} < 0 THEN 'negative_duration' END"
                )
            case "number":
                plan.selects.append(f"{_number(f, v, rm)} AS {n}")
                rng = _RANGES.get((spec.name, f.name))
                out_of_range = ""
                if rng is not None:
                    out_of_range = (
                        f"WHEN {n} NOT BETWEEN {rng[0]} AND {rng[1]} THEN 'out_of_range' "
                    )
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN 'bad_number' {out_of_range}END"
                )
            case "partial_date":
                plan.selects.append(f"{_partial_date(plan, f, v, rm)} AS {n}")
                plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
            case "event_type":
                plan.selects.append(f"t.{quote_ident('v__' + f.name + '__value')} AS {n}")
            case "list" | "phone_list" | "account_list":
                items = list_items(plan, f, v, rm)
                if f.type != "list":
                    lk = "_lk_phone" if f.type == "phone_list" else "_lk_account"
                    plan.list_lookups.append(
                        (f.name, lk, list_items(plan, f, _value(plan, rm, f.name), rm))
                    )
                    # rows with items are normalised in _lst_<field>; the rest keep their list
                    items = f"coalesce({quote_ident('l_' + f.name)}.v, {items})"
                plan.selects.append(f"{items} AS {n}")
            case _:
                plan.selects.append(f"{v} AS {n}")
        if err is not None:
            plan.errors.append((err, label))
    for group in spec.needs_one_of:
        present = [g for g in group if g in rm.columns or g in rm.constants]
        for g in present:
            _trimmed(plan, rm, g)
        cond = " AND ".join(f"{quote_ident('v__' + g)} IS NULL" for g in present)
        plan.errors.append((f"CASE WHEN {cond} THEN 'missing_identity' END", "/".join(present)))
    return plan


def _lit_or_null(required: bool) -> str:
    return "'missing_value'" if required else "NULL"


def check_formats_used(rm: ResolvedMapping) -> None:
    """Formats given for fields that are neither mapped nor detected are a mapping mistake."""
    unused = sorted(f for f in rm.mapping.formats if f not in rm.fields)
    if unused:
        raise MappingError(f"[formats] given for field(s) not in the file: {', '.join(unused)}")
