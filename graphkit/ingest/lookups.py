"""Identifier lookup tables: each distinct value normalised once in Python, joined back in SQL.

A 10M-row CDR holds a few hundred thousand distinct phone values at most, so phones, IBANs and
IMEIs are normalised on the distinct values only (graphkit.ingest.identifiers) and joined back.
Two tables per identifier type:

* ``_lk_<type>(raw, norm, valid)`` keyed by the *trimmed* value (what list fields split into);
* ``_lkr_<type>(raw, trimmed, value, valid)`` keyed by the *untrimmed* source value, so the
  per-row work for a scalar identifier column is one hash join: no trim, no CASE. ``trimmed``
  is the value as given (``NULL`` when empty), ``value`` the normalised identifier when valid
  and the value as given otherwise.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from graphkit.ingest.identifiers import normalise_values
from graphkit.ingest.mapping import ResolvedMapping
from graphkit.ingest.normalise import (
    LOOKUP_TABLES,
    NormalisePlan,
    coded_value_sql,
    list_items,
    quote_ident,
    raw_value,
    run_sql,
    value_lookup_table,
)

__all__ = [
    "LOOKUP_TEMP_TABLES",
    "PendingLookups",
    "build_value_lookups",
    "finish_lookups",
    "lookup_temp_tables",
    "start_lookups",
]

log = logging.getLogger(__name__)

_GROUPS = {
    "phone": ("phone", "phone_list"),
    "account": ("account", "account_list"),
    "imei": ("imei",),
}
LOOKUP_TEMP_TABLES = tuple(
    name for t in _GROUPS for name in (f"_lk_{t}", LOOKUP_TABLES[t], f"_dv_{t}")
)


@dataclass
class PendingLookups:
    """Lookups whose distinct values are being normalised in a background thread."""

    executor: ThreadPoolExecutor
    futures: dict[str, Future[list[tuple[str, str, bool]]]]
    counts: dict[str, int] = field(default_factory=dict)


def start_lookups(
    con: duckdb.DuckDBPyConnection, rm: ResolvedMapping, raw_table: str
) -> PendingLookups:
    """Collect each identifier type's distinct values and start normalising them.

    The normalisation (phonenumbers, schwifty: pure Python) runs in one background thread, so
    DuckDB statements that do not need the lookups (duplicates, value lookups) can run
    meanwhile; :func:`finish_lookups` waits for it and creates the tables.
    """
    pending = PendingLookups(ThreadPoolExecutor(1, thread_name_prefix="graphkit-lookups"), {})
    try:
        for id_type, types in _GROUPS.items():
            _submit(con, rm, raw_table, pending, id_type, types)
    except BaseException:
        pending.executor.shutdown(wait=True, cancel_futures=True)
        raise
    return pending


def _submit(
    con: duckdb.DuckDBPyConnection,
    rm: ResolvedMapping,
    raw_table: str,
    pending: PendingLookups,
    id_type: str,
    types: tuple[str, ...],
) -> None:
    """Collect the distinct values of one identifier type and submit their normalisation."""
    spec = rm.mapping.spec
    region = rm.mapping.default_region
    plan = NormalisePlan()
    scalars: list[str] = []
    lists: list[str] = []
    for f in spec.fields:
        if f.type not in types or not (f.name in rm.columns or f.name in rm.constants):
            continue
        if f.type.endswith("_list"):
            items = list_items(plan, f, f"NULLIF(trim({raw_value(plan, rm, f.name)}), '')", rm)
            lists.append(f"SELECT unnest({items}) AS raw FROM {raw_table} r")
        elif f.name in rm.constants:
            scalars.append(f"SELECT {raw_value(plan, rm, f.name)} AS raw")
        else:
            scalars.append(f"SELECT {raw_value(plan, rm, f.name)} AS raw FROM {raw_table} r")
    dv = f"_dv_{id_type}"
    # distinct untrimmed values first (one hash aggregate over the raw strings), trimmed
    # afterwards on that much smaller set
    union = " UNION ALL ".join(scalars) if scalars else "SELECT NULL::VARCHAR AS raw"
    run_sql(
        con,
        f"CREATE OR REPLACE TEMP TABLE {dv} AS "
        f"SELECT DISTINCT raw FROM ({union}) WHERE raw IS NOT NULL",
        plan.params,
    )
    parts = [f"SELECT NULLIF(trim(raw), '') AS raw FROM {dv}", *lists]
    rows = run_sql(
        con,
        f"SELECT DISTINCT raw FROM ({' UNION ALL '.join(parts)}) WHERE raw IS NOT NULL",
        plan.params,
    ).fetchall()
    values = [str(r[0]) for r in rows]
    pending.counts[id_type] = len(values)
    pending.futures[id_type] = pending.executor.submit(
        normalise_values, id_type, values, default_region=region
    )


def finish_lookups(con: duckdb.DuckDBPyConnection, pending: PendingLookups) -> dict[str, int]:
    """Wait for :func:`start_lookups` and create the ``_lk_*`` and ``_lkr_*`` tables.

    Returns the number of distinct (trimmed) values normalised per identifier type.
    """
    try:
        for id_type, future in pending.futures.items():
            triples = future.result()
            lk, lkr = f"_lk_{id_type}", LOOKUP_TABLES[id_type]
            table = pa.table(
                {
                    "raw": pa.array([t[0] for t in triples], pa.string()),
                    "norm": pa.array([t[1] for t in triples], pa.string()),
                    "valid": pa.array([t[2] for t in triples], pa.bool_()),
                }
            )
            con.execute("SELECT 1").fetchall()  # no pending result may be open while registering
            con.register("_lk_arrow", table)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {lk} AS SELECT * FROM _lk_arrow")
            con.unregister("_lk_arrow")
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE {lkr} AS
                SELECT d.raw, d.trimmed,
                       CASE WHEN lk.valid THEN lk.norm ELSE d.trimmed END AS value, lk.valid
                FROM (SELECT raw, NULLIF(trim(raw), '') AS trimmed FROM _dv_{id_type}) d
                LEFT JOIN {lk} lk ON lk.raw = d.trimmed
                """
            )
            log.debug("%d distinct %s values normalised", pending.counts[id_type], id_type)
    finally:
        pending.executor.shutdown(wait=True, cancel_futures=True)
    return pending.counts


def build_value_lookups(
    con: duckdb.DuckDBPyConnection, rm: ResolvedMapping, raw_table: str
) -> None:
    """Create the lookup of each coded field (event types) over its distinct raw values."""
    for f in rm.mapping.spec.fields:
        if f.type == "event_type" and (f.name in rm.columns or f.name in rm.constants):
            plan = NormalisePlan()
            raw = raw_value(plan, rm, f.name)
            source = "" if f.name in rm.constants else f" FROM {raw_table} r"
            table = quote_ident(value_lookup_table(f.name))
            run_sql(
                con,
                f"""
                CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT raw, trimmed, {coded_value_sql(f.type, "trimmed")} AS value FROM (
                  SELECT raw, NULLIF(trim(raw), '') AS trimmed
                  FROM (SELECT DISTINCT {raw} AS raw{source}) WHERE raw IS NOT NULL)
                """,
                plan.params,
            )


def lookup_temp_tables(rm: ResolvedMapping) -> list[str]:
    """Every temp table the lookups of ``rm`` make (to drop them afterwards)."""
    coded = [value_lookup_table(f.name) for f in rm.mapping.spec.fields if f.type == "event_type"]
    return [*LOOKUP_TEMP_TABLES, *coded]
