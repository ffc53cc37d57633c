"""Turn a raw all-text table into canonical, typed fields in one vectorised SQL statement.

Each canonical field becomes a value expression (and, for fields that can fail, an error
expression naming the error type). Identifiers (phones, accounts, IMEIs) are normalised in
Python on their distinct values and joined back. Every user-supplied value (constants, formats,
time zone) reaches SQL as a parameter; identifiers in SQL come from the kind specs only.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb

from graphkit.codes import (
    DOCUMENT_PLACEHOLDERS,
    SEX_CODES,
    SEX_UNKNOWN,
    clean_code_sql,
    country_keys,
)
from graphkit.errors import MappingError
from graphkit.ingest.kinds import FieldSpec
from graphkit.ingest.mapping import ResolvedMapping
from graphkit.ingest.sql import (
    NormalisePlan,
    field_value_sql,
    quote_ident,
    raw_value,
    run_sql,
    trimmed_sql,
)
from graphkit.ingest.storage import ref_sql
from graphkit.ingest.timestamps import (
    EARLIEST,
    TIMESTAMP_CANDIDATES,
    detect_timestamp_format,
    latest_plausible,
    partial_date_sql,
    timestamp_sql,
)

__all__ = [
    "LOOKUP_TABLES",
    "TIMESTAMP_CANDIDATES",
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
    ("incidents", "lat"): (-90.0, 90.0),
    ("incidents", "lon"): (-180.0, 180.0),
}
# any other number (amounts, weights): beyond this magnitude it is a data error, and beyond
# 2**53 a double no longer holds every integer
MAX_NUMBER = 1e15
MAX_DURATION_S = 366 * 86400  # a call, SMS or data session longer than a year is an error

# what each error type means, stored as the reject's detail with the value
_DETAILS = {
    "missing_value": "no value",
    "bad_timestamp": "not a timestamp in the format(s) used",
    "bad_utc_offset": "UTC offset beyond +-14:00",
    "implausible_date": "date before 1900-01-01 or after the day after the ingest",
    "nonexistent_local_time": "local time that does not exist in the time zone (clocks skipped it)",
    "bad_duration": "not a duration",
    "negative_duration": "negative duration",
    "non_finite_number": "not a finite number",
    "bad_number": "not a number",
    "missing_identity": "no name, id_number, identity document or email",
    "missing_time": "no time or month",
    "missing_coordinates": "no coordinates (longitude and latitude, or easting and northing)",
    "bad_sex": "not a sex code (M, F, X, male, female, 1, 2, ...; U or unknown for not known)",
    "unknown_country": "not an ISO 3166 country code, country name or nationality",
    "bad_document_number": "not a document number (4 to 24 letters and digits)",
}
#: temp table of recognised country spellings (cleaned key -> ISO 3166-1 alpha-2)
COUNTRY_TABLE = "_lk_country"


# by-raw-value lookup table of each identifier type (built by graphkit.ingest.lookups)
LOOKUP_TABLES = {"phone": "_lkr_phone", "account": "_lkr_account", "imei": "_lkr_imei"}


def _trimmed(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    """Reference to the trimmed raw value of ``fname`` computed once in the ``t`` stage."""
    col = "v__" + fname
    if fname not in plan.trims:
        plan.trims[fname] = f"{field_value_sql(plan, rm, fname)} AS {quote_ident(col)}"
    return f"t.{quote_ident(col)}"


def _identifier(
    plan: NormalisePlan, rm: ResolvedMapping, fname: str, id_type: str, ref_keys: dict[str, str]
) -> None:
    """Stage-t columns of an identifier field.

    An encoded kind needs only the dictionary reference, a hash of the raw value computed per
    row (graphkit.ingest.storage.ref_sql), and the trimmed value, to tell a missing value. A
    plain kind takes the value and validity from its by-raw-value lookup (one hash join).
    """
    raw = raw_value(plan, rm, fname)
    if rm.mapping.spec.encoded:
        key = plan.param(ref_keys[id_type])
        plan.trims[fname] = (
            f"{field_value_sql(plan, rm, fname)} AS {quote_ident('v__' + fname)}, "
            f"{ref_sql(key, raw)} AS {quote_ident('v__' + fname + '__ref')}"
        )
        return
    alias = quote_ident(f"j_{fname}")
    plan.joins.append(f"LEFT JOIN {LOOKUP_TABLES[id_type]} {alias} ON {alias}.raw = {raw}")
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


def _duration_scale(spec: FieldSpec, rm: ResolvedMapping) -> float:
    fmt = rm.mapping.formats.get(spec.name, "auto")
    return {"s": 1, "ms": 0.001, "min": 60}.get(str(fmt), 1)


def _duration(spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    """Seconds (BIGINT) of ``v``; NULL when it is not a duration or not finite / too large.

    Clock hours have at most 9 digits and plain numbers are converted only within
    ``MAX_DURATION_S``, so no value can overflow BIGINT (which would fail the whole file).
    """
    fmt = rm.mapping.formats.get(spec.name, "auto")
    hms = (
        f"(TRY_CAST(regexp_extract({v}, '^(\\d{{1,9}}):(\\d\\d):(\\d\\d)$', 1) AS BIGINT) * 3600 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d{{1,9}}):(\\d\\d):(\\d\\d)$', 2) AS BIGINT) * 60 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d{{1,9}}):(\\d\\d):(\\d\\d)$', 3) AS BIGINT))"
    )
    ms = (
        f"(TRY_CAST(regexp_extract({v}, '^(\\d{{1,9}}):(\\d\\d)$', 1) AS BIGINT) * 60 + "
        f"TRY_CAST(regexp_extract({v}, '^(\\d{{1,9}}):(\\d\\d)$', 2) AS BIGINT))"
    )
    clock = f"CASE WHEN {v} LIKE '%:%:%' THEN {hms} ELSE {ms} END"
    num = f"TRY_CAST({v} AS DOUBLE)"
    scale = _duration_scale(spec, rm)
    # NaN and +-inf fail the comparison too
    seconds = (
        f"CASE WHEN abs({num} * {scale}) <= {MAX_DURATION_S} "
        f"THEN CAST(round({num} * {scale}) AS BIGINT) END"
    )
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


def _event_type(v: str) -> str:
    # the synonyms are constants of this module, not user input
    whens = " ".join(
        f"WHEN lower({v}) IN ({', '.join(repr(s) for s in syn)}) THEN '{canon}'"
        for canon, syn in _EVENT_SYNONYMS.items()
    )
    return f"CASE {whens} ELSE lower({v}) END"


def _ensure_country_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the country spellings table (a temp table of this connection) once."""
    keys, codes = country_keys()
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {COUNTRY_TABLE} AS "
        "SELECT unnest($k) AS key, unnest($c) AS code",
        {"k": list(keys), "c": list(codes)},
    )


def _sex(plan: NormalisePlan, tv: str) -> tuple[str, str]:
    """(value, error) SQL of a sex field over its trimmed value ``tv``."""
    key = clean_code_sql(tv)
    whens = " ".join(
        f"WHEN list_contains({plan.param(sorted(k for k, v in SEX_CODES.items() if v == code))},"
        f" {key}) THEN '{code}'"
        for code in ("M", "F", "X")
    )
    value = f"CASE {whens} END"
    unknown = plan.param(sorted(SEX_UNKNOWN))
    return value, f"NOT list_contains({unknown}, {key})"


def _document(plan: NormalisePlan, tv: str) -> tuple[str, str]:
    """(value, validity) SQL of a document number: letters and digits, upper case.

    Spaces, dots, hyphens and slashes are dropped; placeholders ("N/A", "none") are no value;
    anything else must be 4 to 24 letters and digits.
    """
    compact = f"regexp_replace(upper({tv}), '[\\s./-]+', '', 'g')"
    placeholder = (
        f"list_contains({plan.param(sorted(DOCUMENT_PLACEHOLDERS))}, {clean_code_sql(tv)})"
    )
    value = f"CASE WHEN {placeholder} THEN NULL ELSE nullif({compact}, '') END"
    return value, f"regexp_full_match({compact}, '[A-Z0-9]{{4,24}}')"


def list_items(plan: NormalisePlan, spec: FieldSpec, v: str, rm: ResolvedMapping) -> str:
    sep = rm.mapping.formats.get(spec.name)
    pattern = plan.param("[" + "".join("\\" + c for c in sep) + "]" if sep else "[;|]")
    split = f"string_split_regex({v}, {pattern})"
    as_json = f"TRY_CAST(TRY_CAST({v} AS JSON) AS VARCHAR[])"
    items = f"CASE WHEN left({v}, 1) = '[' THEN coalesce({as_json}, {split}) ELSE {split} END"
    return f"list_filter(list_transform({items}, lambda x: trim(x)), lambda x: x <> '')"


def plan_normalise(
    con: duckdb.DuckDBPyConnection,
    rm: ResolvedMapping,
    raw_table: str,
    *,
    ref_keys: dict[str, str] | None = None,
) -> NormalisePlan:
    """Build the statement pieces for ``rm`` over ``raw_table``.

    Three stages (assembled by graphkit.ingest.staging): ``t`` trims each raw value once
    (``v__<field>``) and joins the lookups of identifiers and event types on the raw value
    (``v__<field>__value``, ``v__<field>__valid``), ``v`` computes the canonical columns, and
    the outer select derives each row's error (the first failing field) from the computed
    columns, so no expression is evaluated twice. The lookup tables must exist
    (graphkit.ingest.lookups) before the statement runs, except for the identifiers of an
    encoded kind: those become dictionary references under ``ref_keys`` (identifier type ->
    key, from graphkit.ingest.lookups.start_lookups).
    """
    plan = NormalisePlan()
    spec = rm.mapping.spec
    if any(f.type == "country" for f in spec.fields if f.name in rm.fields):
        _ensure_country_table(con)
    for f in spec.fields:
        if f.name == "record_id":
            continue
        mapped = f.name in rm.columns or f.name in rm.constants
        if not mapped:
            for col, dtype in f.storage_columns(encoded=spec.encoded):
                plan.selects.append(f"CAST(NULL AS {dtype}) AS {quote_ident(col)}")
            continue
        if f.type in LOOKUP_TABLES:
            _identifier(plan, rm, f.name, f.type, ref_keys or {})
        elif f.type == "event_type":
            _coded(plan, rm, f.name)
        v = _trimmed(plan, rm, f.name)
        tv = quote_ident("v__" + f.name)  # the trimmed value as seen by the outer stage
        label = _source_label(rm, f.name)
        n = quote_ident(f.name)
        missing = _lit_or_null(f.required)
        err: str | None = f"CASE WHEN {tv} IS NULL THEN 'missing_value' END" if f.required else None
        match f.type:
            case "phone" | "account" | "imei" if spec.encoded:
                ref = quote_ident("v__" + f.name + "__ref")
                plan.selects.append(f"t.{ref} AS {quote_ident(f.name + '_ref')}")
            case "phone" | "account" | "imei":
                # looked up by the untrimmed value (see graphkit.ingest.lookups): no per-row
                # trim, and invalid identifiers come back exactly as given (trimmed)
                plan.selects.append(f"t.{quote_ident('v__' + f.name + '__value')} AS {n}")
                if f.type != "imei":
                    plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                valid = quote_ident(f"v__{f.name}__valid")
                plan.selects.append(f"t.{valid} AS {quote_ident(f.name + '_valid')}")
            case "timestamp":
                ts = timestamp_sql(plan, f, v, rm, con, raw_table)
                plan.selects.append(f"{ts.value} AS {n}")
                err = ts.error_sql(plan, tv, n, rm.mapping.timezone, missing)
                if ts.local is not None:
                    plan.ambiguous.append((f.name, rm.mapping.timezone))
            case "duration":
                plan.selects.append(f"{_duration(f, v, rm)} AS {n}")
                num = f"TRY_CAST({tv} AS DOUBLE)"
                too_big = (
                    ""
                    if rm.mapping.formats.get(f.name) == "hms"
                    else f"WHEN abs({num} * {_duration_scale(f, rm)}) > {MAX_DURATION_S} "
                    "THEN 'out_of_range' "
                )
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN CASE WHEN NOT isfinite({num}) "
                    f"THEN 'non_finite_number' WHEN {num} < 0 THEN 'negative_duration' "
                    f"{too_big}ELSE 'bad_duration' END "
                    f"WHEN {n} < 0 THEN 'negative_duration' "
                    f"WHEN {n} > {MAX_DURATION_S} THEN 'out_of_range' END"
                )
                plan.details[len(plan.errors)] = _detail_sql(
                    plan, tv, {"out_of_range": f"duration over {MAX_DURATION_S} s (366 days)"}
                )
            case "number":
                plan.selects.append(f"{_number(f, v, rm)} AS {n}")
                lo, hi = _RANGES.get((spec.name, f.name), (-MAX_NUMBER, MAX_NUMBER))
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN 'bad_number' "
                    f"WHEN NOT isfinite({n}) THEN 'non_finite_number' "
                    f"WHEN {n} NOT BETWEEN {lo} AND {hi} THEN 'out_of_range' END"
                )
                plan.details[len(plan.errors)] = _detail_sql(
                    plan, tv, {"out_of_range": f"outside [{lo:g}, {hi:g}]"}
                )
            case "partial_date":
                plan.selects.append(f"{partial_date_sql(plan, f, v, rm)} AS {n}")
                plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                # partial dates compare as text: '1899-12' < '1900' and '2031' > '2030-01-02'
                earliest = rm.mapping.earliest_date or EARLIEST.date().isoformat()[:4]
                dlo = plan.param(earliest)
                dhi = plan.param((latest_plausible() - timedelta(days=1)).date().isoformat())
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} < {dlo} OR {n} > {dhi} THEN 'implausible_date' END"
                )
                if rm.mapping.earliest_date:
                    plan.details[len(plan.errors)] = _detail_sql(
                        plan,
                        tv,
                        {
                            "implausible_date": f"date before {earliest} or after the day after the"
                            " ingest (earliest_date)"
                        },
                    )
            case "event_type":
                plan.selects.append(f"t.{quote_ident('v__' + f.name + '__value')} AS {n}")
            case "sex":
                value = _sex(plan, v)[0]
                plan.selects.append(f"{value} AS {n}")
                plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                bad = _sex(plan, tv)[1]
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL AND {bad} THEN 'bad_sex' END"
                )
            case "country":
                alias = quote_ident(f"j_{f.name}")
                plan.joins.append(
                    f"LEFT JOIN {COUNTRY_TABLE} {alias} "
                    f"ON {alias}.key = {clean_code_sql(field_value_sql(plan, rm, f.name))}"
                )
                code = quote_ident(f"v__{f.name}__value")
                plan.trims[f.name] += f", {alias}.code AS {code}"
                plan.selects.append(f"t.{code} AS {n}")
                plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NULL THEN 'unknown_country' END"
                )
            case "document":
                value = _document(plan, v)[0]
                plan.selects.append(f"{value} AS {n}")
                plan.selects.append(f"{v} AS {quote_ident(f.name + '_raw')}")
                ok = _document(plan, tv)[1]
                err = (
                    f"CASE WHEN {tv} IS NULL THEN {missing} "
                    f"WHEN {n} IS NOT NULL AND NOT {ok} THEN 'bad_document_number' END"
                )
            case "list" | "phone_list" | "account_list":
                items = list_items(plan, f, v, rm)
                if f.type != "list":
                    lk = "_lk_phone" if f.type == "phone_list" else "_lk_account"
                    plan.list_lookups.append(
                        (f.name, lk, list_items(plan, f, field_value_sql(plan, rm, f.name), rm))
                    )
                    # rows with items are normalised in _lst_<field>; the rest keep their list
                    items = f"coalesce({quote_ident('l_' + f.name)}.v, {items})"
                plan.selects.append(f"{items} AS {n}")
            case _:
                plan.selects.append(f"{v} AS {n}")
        if err is not None:
            plan.details.setdefault(len(plan.errors), _detail_sql(plan, tv, {}))
            plan.errors.append((err, label))
    for i, group in enumerate(spec.needs_one_of):
        present = [g for g in group if g in rm.columns or g in rm.constants]
        for g in present:
            _trimmed(plan, rm, g)
        cond = " AND ".join(f"{quote_ident('v__' + g)} IS NULL" for g in present)
        code = spec.one_of_error(i)
        plan.details[len(plan.errors)] = _detail_sql(plan, "CAST(NULL AS VARCHAR)", {})
        plan.errors.append((f"CASE WHEN {cond} THEN '{code}' END", "/".join(present)))
    return plan


def _detail_sql(plan: NormalisePlan, tv: str, extra: dict[str, str]) -> str:
    """The detail of a reject: what its error type means, then the value as given.

    ``{e}`` in the returned SQL stands for the column holding the error type.
    """
    whens = " ".join(
        f"WHEN {plan.param(etype)} THEN {plan.param(text)}"
        for etype, text in {**_DETAILS, **extra}.items()
    )
    return f"CASE {{e}} {whens} END || coalesce(': ' || {tv}, '')"


def _lit_or_null(required: bool) -> str:
    return "'missing_value'" if required else "NULL"


def check_formats_used(rm: ResolvedMapping) -> None:
    """Formats given for fields that are neither mapped nor detected are a mapping mistake."""
    unused = sorted(f for f in rm.mapping.formats if f not in rm.fields)
    if unused:
        raise MappingError(f"[formats] given for field(s) not in the file: {', '.join(unused)}")
