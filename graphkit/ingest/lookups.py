"""Identifier lookup tables: each distinct value normalised once in Python, joined back in SQL.

A 10M-row CDR holds a few hundred thousand distinct phone values at most, so phones, IBANs and
IMEIs are normalised on the distinct values only (graphkit.ingest.identifiers) and joined back.
Each distinct spelling is an entry of the case's identifier dictionary (graphkit.ingest.storage);
spellings an earlier source brought are not normalised again. Tables per identifier type:

* ``_lkref_<type>(raw, trimmed, ref, new)`` keyed by the *untrimmed* source value: the
  dictionary reference of each value (a hash, see :func:`start_lookups`), known before any
  Python runs, so an encoded kind's rows are written while the new values are normalised;
* ``_lk_<type>(raw, norm, valid)`` keyed by the *trimmed* value (what list fields split into);
* ``_lkr_<type>(raw, trimmed, value, valid)`` keyed by the *untrimmed* source value, for plain
  kinds: the per-row work for a scalar identifier column is one hash join, no trim, no CASE.
  ``trimmed`` is the value as given (``NULL`` when empty), ``value`` the normalised identifier
  when valid and the value as given otherwise.
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
from graphkit.ingest.storage import IDENT_TABLE, assign_refs

__all__ = [
    "LOOKUP_TEMP_TABLES",
    "PendingLookups",
    "build_value_lookups",
    "finish_lookups",
    "identifier_domain",
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
    name for t in _GROUPS for name in (f"_lk_{t}", LOOKUP_TABLES[t], f"_dv_{t}", f"_lkref_{t}")
)


@dataclass
class PendingLookups:
    """Lookups whose new distinct values are being normalised in a background thread.

    ``ref_keys`` holds, per identifier type, the key of :func:`ref_sql` for this ingest.
    """

    executor: ThreadPoolExecutor
    futures: dict[str, Future[list[tuple[str, str, bool]]]] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)
    ref_keys: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    def cancel(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def identifier_domain(id_type: str, region: str) -> str:
    """The dictionary domain of an identifier type: phones depend on the default region."""
    return f"phone:{region}" if id_type == "phone" else id_type


def start_lookups(
    con: duckdb.DuckDBPyConnection, rm: ResolvedMapping, raw_table: str
) -> PendingLookups:
    """Reference each distinct identifier value in the dictionary; normalise the new ones.

    Creates ``_lkref_<type>(raw, trimmed, ref, new)`` at once (SQL only). A value's reference
    is a 64-bit hash of its domain and spelling (:func:`ref_sql`), so rows can be written with
    their references before any lookup exists; the references of this ingest are checked to
    be unique and to mean the same spelling as any dictionary entry that has them, and are
    salted again in the (astronomically rare) case they are not. The normalisation of the
    values new to the dictionary (phonenumbers, schwifty: pure Python) runs in one background
    thread, so DuckDB statements that need only the references (duplicates, the write of an
    encoded kind) run meanwhile; :func:`finish_lookups` waits for it.
    """
    pending = PendingLookups(ThreadPoolExecutor(1, thread_name_prefix="graphkit-lookups"))
    try:
        lists = {t: _distinct(con, rm, raw_table, t, types) for t, types in _GROUPS.items()}
        domains = {t: identifier_domain(t, rm.mapping.default_region) for t in _GROUPS}
        pending.domains.update(domains)
        pending.ref_keys.update(assign_refs(con, domains))
        for id_type in _GROUPS:
            _submit(con, rm, pending, id_type, lists[id_type])
    except BaseException:
        pending.cancel()
        raise
    return pending


def _distinct(
    con: duckdb.DuckDBPyConnection,
    rm: ResolvedMapping,
    raw_table: str,
    id_type: str,
    types: tuple[str, ...],
) -> tuple[list[str], dict[str, object]]:
    """Create ``_dv_<type>``: the distinct untrimmed values of one type's scalar fields.

    Returns the SQL (and parameters) of the list fields' items, normalised with the new values.
    """
    spec = rm.mapping.spec
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
    # distinct untrimmed values first (one hash aggregate over the raw strings), trimmed
    # and referenced afterwards on that much smaller set
    union = " UNION ALL ".join(scalars) if scalars else "SELECT NULL::VARCHAR AS raw"
    run_sql(
        con,
        f"CREATE OR REPLACE TEMP TABLE _dv_{id_type} AS "
        f"SELECT DISTINCT raw FROM ({union}) WHERE raw IS NOT NULL",
        plan.params,
    )
    return lists, plan.params


def _submit(
    con: duckdb.DuckDBPyConnection,
    rm: ResolvedMapping,
    pending: PendingLookups,
    id_type: str,
    lists: tuple[list[str], dict[str, object]],
) -> None:
    """Submit the normalisation of one type's values new to the dictionary and list items."""
    parts = [f"SELECT trimmed AS raw FROM _lkref_{id_type} WHERE new", *lists[0]]
    rows = run_sql(
        con,
        f"SELECT DISTINCT raw FROM ({' UNION ALL '.join(parts)}) WHERE raw IS NOT NULL",
        lists[1],
    ).fetchall()
    values = [str(r[0]) for r in rows]
    pending.counts[id_type] = len(values)
    pending.futures[id_type] = pending.executor.submit(
        normalise_values, id_type, values, default_region=rm.mapping.default_region
    )


def finish_lookups(
    con: duckdb.DuckDBPyConnection, pending: PendingLookups, *, value_lookups: bool
) -> dict[str, int]:
    """Wait for :func:`start_lookups`, add the new values to the dictionary, make the lookups.

    Creates ``_lk_<type>(raw, norm, valid)`` keyed by the trimmed value (for list fields) and,
    with ``value_lookups`` (plain kinds), ``_lkr_<type>(raw, trimmed, value, valid)`` keyed by
    the untrimmed value. Returns the number of distinct values normalised per identifier type.
    """
    try:
        for id_type, future in pending.futures.items():
            triples = future.result()
            lk, ref = f"_lk_{id_type}", f"_lkref_{id_type}"
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
                INSERT INTO {IDENT_TABLE}
                SELECT d.ref, $domain, d.raw, d.trimmed,
                       CASE WHEN lk.valid THEN lk.norm ELSE d.trimmed END, lk.valid
                FROM {ref} d LEFT JOIN {lk} lk ON lk.raw = d.trimmed
                WHERE d.new ORDER BY d.ref
                """,
                {"domain": pending.domains[id_type]},
            )
            if value_lookups:
                con.execute(
                    f"""
                    CREATE OR REPLACE TEMP TABLE {LOOKUP_TABLES[id_type]} AS
                    SELECT d.raw, d.trimmed, i.value, i.valid
                    FROM {ref} d LEFT JOIN {IDENT_TABLE} i ON i.ref = d.ref
                    """
                )
            log.debug("%d distinct %s values normalised", pending.counts[id_type], id_type)
        pending.finished = True
    finally:
        pending.cancel()
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
