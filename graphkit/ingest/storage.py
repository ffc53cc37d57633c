"""How staged rows are stored: plain tables, or dictionary-encoded tables behind views.

Every stage reads ``src_<kind>`` with the columns of :meth:`KindSpec.field_columns` after the
provenance columns. For the entity kinds that is a plain table. The high-volume event kinds
(``KindSpec.encoded``: CDRs, transactions) store each identifier field (phone, account, IMEI) as
one ``<field>_ref INTEGER`` into the case's identifier dictionary ``ingest_ident``, and
``src_<kind>`` is a view that joins the dictionary back: same columns, same values. Writing an
integer instead of three columns of text (normalised value, value as given, validity) is what
makes a 10M-row CDR cheap to store.

``ingest_ident`` holds one entry per distinct spelling of an identifier read by any ingest
(``domain`` says how it was normalised: ``phone:<REGION>``, ``account``, ``imei``). It is
append-only: a reference, once written, always means the same spelling and value, so later
sources reuse the entries (and their normalisation) of earlier ones. ``record_id`` is stored
``NULL`` where it is the row number, and the view restores it.

A case written before this layout has ``src_<kind>`` as a table; the next ingest migrates it
(:func:`ensure_staging_tables`), and until then every reader sees the same columns.
"""

from __future__ import annotations

import logging

import duckdb

from graphkit.errors import CaseError
from graphkit.ingest.kinds import ENCODED_TYPES, KINDS, PROVENANCE_COLUMNS, FieldSpec, KindSpec
from graphkit.ingest.readers import REJECTS_DDL

__all__ = [
    "ENCODED_TYPES",
    "IDENT_TABLE",
    "encoded_fields",
    "ensure_staging_tables",
    "storage_columns",
    "storage_ddl",
    "view_ddl",
]

log = logging.getLogger(__name__)

IDENT_TABLE = "ingest_ident"
LEGACY_DOMAIN = "legacy"  # entries made by migrating an old case; never matched by a raw value
IDENT_DDL = f"""
CREATE TABLE IF NOT EXISTS {IDENT_TABLE} (
  ref INTEGER NOT NULL,
  domain VARCHAR NOT NULL,
  raw VARCHAR,
  trimmed VARCHAR,
  value VARCHAR,
  valid BOOLEAN
)
"""
MAX_REF = 2**31 - 1


def encoded_fields(spec: KindSpec) -> list[FieldSpec]:
    """The fields of ``spec`` stored as dictionary references (none for plain kinds)."""
    if not spec.encoded:
        return []
    return [f for f in spec.fields if f.type in ENCODED_TYPES]


def storage_columns(spec: KindSpec) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the table ``spec``'s rows are written to."""
    return [*PROVENANCE_COLUMNS, *spec.storage_field_columns()]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def storage_ddl(spec: KindSpec) -> str:
    """CREATE TABLE statement of the storage table of ``spec`` (identifiers from kinds.py)."""
    body = ",\n  ".join(f"{_q(c)} {t}" for c, t in storage_columns(spec))
    return f"CREATE TABLE IF NOT EXISTS {spec.storage_table} (\n  {body}\n)"


def view_ddl(spec: KindSpec) -> str:
    """CREATE VIEW ``src_<kind>`` over the storage table of an encoded kind."""
    selects = [
        "b.source_name",
        "b.row_number",
        "coalesce(b.record_id, CAST(b.row_number AS VARCHAR)) AS record_id",
        "b.is_duplicate",
    ]
    joins = []
    for f in spec.fields:
        if f.name == "record_id":
            continue
        if f.type not in ENCODED_TYPES:
            selects.extend(f"b.{_q(c)}" for c, _t in f.staging_columns())
            continue
        alias = _q(f"i_{f.name}")
        joins.append(
            f"LEFT JOIN {IDENT_TABLE} {alias} ON {alias}.ref = b.{_q(f.name + '_ref')}"
        )
        selects.append(f"{alias}.value AS {_q(f.name)}")
        if f.type != "imei":
            selects.append(f"{alias}.trimmed AS {_q(f.name + '_raw')}")
        selects.append(f"{alias}.valid AS {_q(f.name + '_valid')}")
    return (
        f"CREATE OR REPLACE VIEW {spec.table} AS SELECT {', '.join(selects)} "
        f"FROM {spec.storage_table} b {' '.join(joins)}"
    )


def _table_type(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    row = con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = ?",
        [name],
    ).fetchone()
    return str(row[0]) if row else None


def next_ref(con: duckdb.DuckDBPyConnection) -> int:
    """The first dictionary reference not yet used."""
    row = con.execute(f"SELECT coalesce(max(ref), 0) + 1 FROM {IDENT_TABLE}").fetchone()
    return int(row[0]) if row else 1


def check_refs(first: int, count: int) -> None:
    """CaseError when ``count`` new references from ``first`` would overflow INTEGER."""
    if first + count > MAX_REF:
        raise CaseError("the case's identifier dictionary is full (2^31 distinct spellings)")


def _migrate(con: duckdb.DuckDBPyConnection, spec: KindSpec) -> None:
    """Move the rows of an old plain ``src_<kind>`` table into the encoded layout.

    Each distinct (value, value as given, validity) of an identifier field becomes a dictionary
    entry of the ``legacy`` domain (no raw spelling, so no later ingest reuses it); the rows keep
    their order, values and record ids.
    """
    log.info("migrating %s to the dictionary-encoded layout", spec.table)
    con.execute(storage_ddl(spec))
    parts = []
    for f in encoded_fields(spec):
        trimmed = _q(f.name + "_raw") if f.type != "imei" else "NULL::VARCHAR"
        parts.append(
            f"SELECT {_q(f.name)} AS value, {trimmed} AS trimmed, {_q(f.name + '_valid')} AS valid "
            f"FROM {spec.table}"
        )
    first = next_ref(con)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _legacy AS
        SELECT value, trimmed, valid FROM ({" UNION ".join(parts)})
        WHERE NOT (value IS NULL AND trimmed IS NULL AND valid IS NULL)
        EXCEPT SELECT value, trimmed, valid FROM {IDENT_TABLE} WHERE domain = $legacy
        """,
        {"legacy": LEGACY_DOMAIN},
    )
    n = con.execute("SELECT count(*) FROM _legacy").fetchone()
    check_refs(first, int(n[0]) if n else 0)
    con.execute(
        f"""
        INSERT INTO {IDENT_TABLE}
        SELECT $first - 1 + row_number() OVER (ORDER BY value, trimmed, valid), $legacy, NULL,
               trimmed, value, valid
        FROM _legacy
        """,
        {"first": first, "legacy": LEGACY_DOMAIN},
    )
    con.execute("DROP TABLE _legacy")
    selects, joins = [], []
    for c, _t in storage_columns(spec):
        if not c.endswith("_ref") or c.removesuffix("_ref") not in {
            f.name for f in encoded_fields(spec)
        }:
            selects.append(f"s.{_q(c)}")
            continue
        f = spec.field(c.removesuffix("_ref"))
        alias = _q(f"l_{f.name}")
        trimmed = _q(f.name + "_raw") if f.type != "imei" else "NULL::VARCHAR"
        joins.append(
            f"LEFT JOIN (SELECT * FROM {IDENT_TABLE} WHERE domain = $legacy) {alias} "
            f"ON {alias}.value IS NOT DISTINCT FROM s.{_q(f.name)} "
            f"AND {alias}.trimmed IS NOT DISTINCT FROM s.{trimmed} "
            f"AND {alias}.valid IS NOT DISTINCT FROM s.{_q(f.name + '_valid')}"
        )
        selects.append(f"{alias}.ref")
    con.execute(
        f"INSERT INTO {spec.storage_table} SELECT {', '.join(selects)} "
        f"FROM {spec.table} s {' '.join(joins)} ORDER BY s.rowid",
        {"legacy": LEGACY_DOMAIN},
    )
    con.execute(f"DROP TABLE {spec.table}")


def ensure_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging storage, views, dictionary and rejects table (idempotent).

    Old cases whose encoded kinds are plain tables are migrated in a transaction of their own.
    """
    con.execute(IDENT_DDL)
    con.execute(REJECTS_DDL)
    for spec in KINDS.values():
        if not spec.encoded:
            con.execute(storage_ddl(spec))
            continue
        if _table_type(con, spec.table) == "BASE TABLE":
            con.execute("BEGIN TRANSACTION")
            try:
                _migrate(con, spec)
                con.execute(view_ddl(spec))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            continue
        con.execute(storage_ddl(spec))
        con.execute(view_ddl(spec))
