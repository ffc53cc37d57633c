"""Write a normalised source into its staging table in one pass, then list the rows it refused.

The accepted rows go straight from the raw table through the normalisation statement into the
persistent staging table (``INSERT ... SELECT``, no intermediate table). Rows that failed a
field check are the raw rows missing from the staging table afterwards; only those are
normalised a second time, to name their error and column in ``rejects``.
"""

from __future__ import annotations

import logging

import duckdb

from graphkit.ingest.kinds import KindSpec
from graphkit.ingest.mapping import ResolvedMapping
from graphkit.ingest.normalise import NormalisePlan, quote_ident, run_sql, trimmed_sql
from graphkit.ingest.readers import EXCERPT_CHARS
from graphkit.ingest.timestamps import ambiguous_windows

__all__ = [
    "STAGE_TEMP_TABLES",
    "count_ambiguous",
    "count_duplicate_record_ids",
    "find_duplicates",
    "insert_rejects",
    "insert_staged",
    "normalise_lists",
]

log = logging.getLogger(__name__)

STAGE_TEMP_TABLES = ("_dup", "_unstaged")


def find_duplicates(con: duckdb.DuckDBPyConnection, raw: str, columns: list[str]) -> int:
    """Create ``_dup(_row)``: the later copies of exact duplicate rows; return their number.

    Rows are compared by a 64-bit hash of all their raw values (for 10M rows the chance of any
    collision is below 3e-6). In the order of (hash, row number), a row whose hash equals the
    previous row's is a later copy of the first row with that hash: one sort finds them all
    (on 10M nearly distinct rows about half the CPU of a hash aggregate, which builds a
    10M-entry table, and no second pass to number the copies).
    """
    row_hash = "hash(" + ", ".join("r." + quote_ident(c) for c in columns) + ")"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _dup AS
        SELECT _row FROM (
          SELECT _row, h, lag(h) OVER (ORDER BY h, _row) AS prev
          FROM (SELECT r._row, {row_hash} AS h FROM {raw} r))
        WHERE h = prev
        """
    )
    return _count(con, "_dup")


def normalise_lists(con: duckdb.DuckDBPyConnection, plan: NormalisePlan, raw: str) -> list[str]:
    """Create ``_lst_<field>(_row, v)``: each list field's items mapped through their lookup.

    Only rows with at least one item appear; the staging statement keeps the others' lists.
    Returns the temp tables made.
    """
    made = []
    for fname, lookup, items in plan.list_lookups:
        table = quote_ident(f"_lst_{fname}")
        run_sql(
            con,
            f"""
            CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT _row, list(coalesce(lk.norm, x.item) ORDER BY x.pos) AS v FROM (
              SELECT _row, unnest(items) AS item, generate_subscripts(items, 1) AS pos
              FROM (SELECT r._row, {items} AS items FROM {raw} r)) x
            LEFT JOIN {lookup} lk ON lk.raw = x.item
            GROUP BY _row
            """,
            plan.params,
        )
        made.append(f"_lst_{fname}")
    return made


def _record_id(plan: NormalisePlan, rm: ResolvedMapping) -> str:
    """The record_id to store: encoded kinds store NULL for the row number (the view adds it)."""
    encoded = rm.mapping.spec.encoded
    if "record_id" not in rm.columns:
        return "CAST(NULL AS VARCHAR)" if encoded else "CAST(t._row AS VARCHAR)"
    column = "r." + quote_ident(rm.columns["record_id"])
    plan.trims.setdefault("record_id", f"{trimmed_sql(column)} AS v__record_id")
    return "t.v__record_id" if encoded else "coalesce(t.v__record_id, CAST(t._row AS VARCHAR))"


def _detail(plan: NormalisePlan) -> str:
    """The detail of the first failing field's error (``_e<i>`` columns of :func:`_select`)."""
    whens = " ".join(
        f"WHEN _e{i} IS NOT NULL THEN {plan.details[i].replace('{e}', f'_e{i}')}"
        for i in range(len(plan.errors))
        if i in plan.details
    )
    return f"CASE {whens} END" if whens else "CAST(NULL AS VARCHAR)"


def _select(
    plan: NormalisePlan,
    rm: ResolvedMapping,
    source: str,
    *,
    duplicates: bool,
    details: bool = False,
) -> str:
    """The normalisation of ``source`` rows: canonical columns, ``_e<i>`` errors, duplicates.

    With ``details`` (rejected rows only) also ``_detail``: what the first error means.
    """
    record_id = _record_id(plan, rm)
    trims = "".join(f", {t}" for t in plan.trims.values())
    passthrough = "".join(f", t.{quote_ident('v__' + f)}" for f in plan.trims)
    list_joins = "".join(
        f" LEFT JOIN {quote_ident('_lst_' + f)} {quote_ident('l_' + f)} "
        f"ON {quote_ident('l_' + f)}._row = t._row"
        for f, _lk, _items in plan.list_lookups
    )
    errors = [f"{e} AS _e{i}" for i, (e, _label) in enumerate(plan.errors)]
    dup = "d._row IS NOT NULL" if duplicates else "false"
    dup_join = "LEFT JOIN _dup d ON d._row = v._row" if duplicates else ""
    inner = f"""
        WITH t AS (SELECT r._row{trims} FROM {source} r {" ".join(plan.joins)}),
             v AS (SELECT t._row, {record_id} AS record_id,
                          {", ".join(plan.selects)}{passthrough}
                   FROM t{list_joins})
        SELECT v.*, {", ".join(errors) if errors else "NULL AS _e_none"},
               {dup} AS is_duplicate
        FROM v {dup_join}
    """
    if not details:
        return inner
    return f"SELECT e.*, left({_detail(plan)}, 500) AS _detail FROM ({inner}) e"


def _any_error(plan: NormalisePlan) -> str:
    if not plan.errors:
        return "CAST(NULL AS VARCHAR)"
    return "coalesce(" + ", ".join(f"_e{i}" for i in range(len(plan.errors))) + ")"


def insert_staged(
    con: duckdb.DuckDBPyConnection,
    plan: NormalisePlan,
    rm: ResolvedMapping,
    spec: KindSpec,
    *,
    raw: str,
    source_name: str,
    duplicates: bool,
) -> int:
    """Normalise every row of ``raw`` and insert those without errors; return their number."""
    select_cols = ", ".join(quote_ident(c) for c, _t in spec.storage_field_columns())
    # Without this DuckDB pushes the error filter below the projection that computes the
    # values, inlining every expression it tests (timestamps, durations): each row would
    # compute them twice. The statement has no other filter to push.
    con.execute("SET disabled_optimizers = 'filter_pushdown'")
    try:
        row = run_sql(
            con,
            f"""
            INSERT INTO {spec.storage_table} BY NAME
            SELECT $source AS source_name, _row AS row_number, record_id, is_duplicate,
                   {select_cols}
            FROM ({_select(plan, rm, raw, duplicates=duplicates)})
            WHERE {_any_error(plan)} IS NULL
            """,
            {**plan.params, "source": source_name},
        ).fetchone()
    finally:
        con.execute("RESET disabled_optimizers")
    return int(row[0]) if row else 0


def count_ambiguous(
    con: duckdb.DuckDBPyConnection, plan: NormalisePlan, spec: KindSpec, source_name: str
) -> dict[str, int]:
    """Per timestamp field, the staged rows of ``source_name`` read in a repeated autumn hour.

    A naive local time of the hour the clocks go back over occurs twice; it is read as the
    second occurrence (standard time), i.e. as an instant in the hour after the change. Those
    instants are counted (values with an explicit offset in that hour are counted too). The
    time of day is tested first with integer arithmetic, so only rows near a change are
    compared with the change list.
    """
    counts: dict[str, int] = {}
    for fname, zone in plan.ambiguous:
        windows = ambiguous_windows(zone)
        if not windows:
            continue
        col = quote_ident(fname)
        sod = f"((CAST(epoch({col}) AS BIGINT) % 86400) + 86400) % 86400"
        spans = {
            (int(lo.timestamp()) % 86400, int((hi - lo).total_seconds())) for lo, hi in windows
        }
        near = " OR ".join(
            f"({sod} - {start} + 86400) % 86400 < {width}" for start, width in sorted(spans)
        )
        row = con.execute(
            f"""
            SELECT count(*) FROM (
              SELECT {col} AS ts FROM {spec.storage_table}
              WHERE source_name = $source AND {col} IS NOT NULL AND ({near})) x
            WHERE EXISTS (SELECT 1 FROM (SELECT unnest($lo) AS lo, unnest($hi) AS hi) w
                          WHERE x.ts >= w.lo AND x.ts < w.hi)
            """,
            {
                "source": source_name,
                "lo": [lo for lo, _hi in windows],
                "hi": [hi for _lo, hi in windows],
            },
        ).fetchone()
        if row and int(row[0]):
            counts[fname] = int(row[0])
    return counts


def insert_rejects(
    con: duckdb.DuckDBPyConnection,
    plan: NormalisePlan,
    rm: ResolvedMapping,
    spec: KindSpec,
    *,
    raw: str,
    columns: list[str],
    source_name: str,
    delimiter: str,
) -> int:
    """Write the rows of ``raw`` missing from the staging table to ``rejects``; return how many.

    Each such row failed a field check: it is normalised again (alone) to name the first
    failing field's error type and column, with an excerpt of its raw values.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _unstaged AS
        SELECT r._row FROM {raw} r ANTI JOIN (
          SELECT row_number FROM {spec.storage_table} WHERE source_name = $source) s
        ON s.row_number = r._row
        """,
        {"source": source_name},
    )
    n = _count(con, "_unstaged")
    if n == 0:
        return 0
    which_col = (
        "CASE "
        + " ".join(
            f"WHEN _e{i} IS NOT NULL THEN {plan.param(label)}"
            for i, (_e, label) in enumerate(plan.errors)
        )
        + " END"
        if plan.errors
        else "NULL"
    )
    excerpt = ", ".join(f"coalesce(r.{quote_ident(c)}, '')" for c in columns)
    failed = f"(SELECT * FROM {raw} WHERE _row IN (SELECT _row FROM _unstaged))"
    run_sql(
        con,
        f"""
        INSERT INTO rejects
        SELECT $source, $kind, s._row, {which_col}, {_any_error(plan)},
               left(concat_ws($delim, {excerpt}), {EXCERPT_CHARS}), s._detail
        FROM ({_select(plan, rm, failed, duplicates=False, details=True)}) s
        JOIN {raw} r ON r._row = s._row
        WHERE {_any_error(plan)} IS NOT NULL
        """,
        {**plan.params, "source": source_name, "kind": spec.name, "delim": delimiter},
    )
    return n


def count_duplicate_record_ids(
    con: duckdb.DuckDBPyConnection, rm: ResolvedMapping, raw: str
) -> int:
    """Rows read whose record_id another row read already has (0 without a mapped record_id)."""
    if "record_id" not in rm.columns:
        return 0  # the row number is the record_id: unique
    record_id = trimmed_sql("r." + quote_ident(rm.columns["record_id"]))
    row = con.execute(
        f"SELECT count(*) - count(DISTINCT coalesce({record_id}, CAST(r._row AS VARCHAR))) "
        f"FROM {raw} r"
    ).fetchone()
    return int(row[0]) if row else 0


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
