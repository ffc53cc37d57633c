"""How staged rows are stored: plain tables, or dictionary-encoded tables behind views.

Every stage reads ``src_<kind>`` with the columns of :meth:`KindSpec.field_columns` after the
provenance columns. For the entity kinds that is a plain table. The high-volume event kinds
(``KindSpec.encoded``: CDRs, transactions) store each identifier field (phone, account, IMEI) as
one ``<field>_ref UBIGINT`` into the case's identifier dictionary ``ingest_ident``, and
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
    "assign_refs",
    "encoded_fields",
    "ensure_staging_tables",
    "ref_sql",
    "storage_columns",
    "storage_ddl",
    "view_ddl",
]

log = logging.getLogger(__name__)

IDENT_TABLE = "ingest_ident"
LEGACY_DOMAIN = "legacy"  # entries made by migrating an old case; never matched by a raw value
IDENT_DDL = f"""
CREATE TABLE IF NOT EXISTS {IDENT_TABLE} (
  ref UBIGINT NOT NULL,
  domain VARCHAR NOT NULL,
  raw VARCHAR,
  trimmed VARCHAR,
  value VARCHAR,
  valid BOOLEAN
)
"""
MAX_SALTS = 16


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
        joins.append(f"LEFT JOIN {IDENT_TABLE} {alias} ON {alias}.ref = b.{_q(f.name + '_ref')}")
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


def ref_sql(key: str, value: str) -> str:
    """SQL of the dictionary reference of the untrimmed ``value`` under ``key`` (SQL too).

    ``key`` is the domain, salted when a reference would clash (:func:`assign_refs`).
    """
    return f"CASE WHEN {value} IS NOT NULL THEN hash({key}, {value}) END"


def _clashes(con: duckdb.DuckDBPyConnection, refs: str) -> int:
    """References of ``refs(ref, domain, raw)`` that repeat, or that an entry uses otherwise."""
    row = con.execute(
        f"""
        SELECT (SELECT count(*) - count(DISTINCT ref) FROM ({refs}))
             + (SELECT count(*) FROM ({refs}) u JOIN {IDENT_TABLE} i ON i.ref = u.ref
                WHERE i.domain <> u.domain OR i.raw IS DISTINCT FROM u.raw)
        """
    ).fetchone()
    return int(row[0]) if row else 0


def assign_refs(con: duckdb.DuckDBPyConnection, domains: dict[str, str]) -> dict[str, str]:
    """Create ``_lkref_<type>(raw, trimmed, ref, new, domain)`` from each ``_dv_<type>``.

    ``domains`` maps identifier type -> dictionary domain. A reference is the 64-bit hash of
    the domain and the spelling; should two spellings of this ingest share one, or an entry
    of the dictionary hold it for another spelling (for 10M distinct spellings the chance is
    about 3e-6), every reference of the ingest is salted and computed again. ``new`` marks
    references the dictionary does not hold yet. Returns the key of :func:`ref_sql` per type.
    """
    for salt in range(MAX_SALTS):
        keys = {t: d if salt == 0 else f"{d}#{salt}" for t, d in domains.items()}
        for id_type, key in keys.items():
            con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE _lkref_{id_type} AS
                SELECT d.raw, NULLIF(trim(d.raw), '') AS trimmed, d.ref, i.ref IS NULL AS new,
                       $domain AS domain
                FROM (SELECT raw, {ref_sql("$key", "raw")} AS ref FROM _dv_{id_type}) d
                LEFT JOIN (SELECT ref FROM {IDENT_TABLE}) i ON i.ref = d.ref
                """,
                {"key": key, "domain": domains[id_type]},
            )
        union = " UNION ALL ".join(f"SELECT ref, domain, raw FROM _lkref_{t}" for t in keys)
        if _clashes(con, union) == 0:
            return keys
        log.warning("identifier references clash; salting them (%d)", salt + 1)
    raise CaseError("identifier references keep clashing; this should not happen")


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
    triples = f"SELECT DISTINCT value, trimmed, valid FROM ({' UNION ALL '.join(parts)})"
    for salt in range(MAX_SALTS):
        key = LEGACY_DOMAIN if salt == 0 else f"{LEGACY_DOMAIN}#{salt}"
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE _legacy AS
            SELECT value, trimmed, valid, hash($key, value, trimmed, valid) AS ref
            FROM ({triples}) WHERE NOT (value IS NULL AND trimmed IS NULL AND valid IS NULL)
            """,
            {"key": key},
        )
        # an entry of an earlier kind's migration with the same values is no clash
        row = con.execute(
            f"""
            SELECT (SELECT count(*) - count(DISTINCT ref) FROM _legacy)
                 + (SELECT count(*) FROM _legacy l JOIN {IDENT_TABLE} i ON i.ref = l.ref
                    WHERE NOT (i.domain = $legacy AND i.value IS NOT DISTINCT FROM l.value
                      AND i.trimmed IS NOT DISTINCT FROM l.trimmed
                      AND i.valid IS NOT DISTINCT FROM l.valid))
            """,
            {"legacy": LEGACY_DOMAIN},
        ).fetchone()
        if row is not None and int(row[0]) == 0:
            break
    else:
        raise CaseError(f"cannot migrate {spec.table}: its identifier references keep clashing")
    con.execute(
        f"""
        INSERT INTO {IDENT_TABLE}
        SELECT ref, $legacy, NULL, trimmed, value, valid FROM _legacy
        WHERE ref NOT IN (SELECT ref FROM {IDENT_TABLE}) ORDER BY ref
        """,
        {"legacy": LEGACY_DOMAIN},
    )
    encoded = {f.name for f in encoded_fields(spec)}
    selects, joins = [], []
    for c, _t in storage_columns(spec):
        if not c.endswith("_ref") or c.removesuffix("_ref") not in encoded:
            selects.append(f"s.{_q(c)}")
            continue
        f = spec.field(c.removesuffix("_ref"))
        alias = _q(f"l_{f.name}")
        trimmed = "s." + _q(f.name + "_raw") if f.type != "imei" else "NULL::VARCHAR"
        joins.append(
            f"LEFT JOIN _legacy {alias} "
            f"ON {alias}.value IS NOT DISTINCT FROM s.{_q(f.name)} "
            f"AND {alias}.trimmed IS NOT DISTINCT FROM {trimmed} "
            f"AND {alias}.valid IS NOT DISTINCT FROM s.{_q(f.name + '_valid')}"
        )
        selects.append(f"{alias}.ref")
    con.execute(
        f"INSERT INTO {spec.storage_table} SELECT {', '.join(selects)} "
        f"FROM {spec.table} s {' '.join(joins)} ORDER BY s.rowid"
    )
    con.execute("DROP TABLE _legacy")
    con.execute(f"DROP TABLE {spec.table}")


def ensure_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging storage, views, dictionary and rejects table (idempotent).

    Old cases whose encoded kinds are plain tables are migrated, inside the caller's operation
    (so the migration commits with the ingest that needed it, or not at all).
    """
    con.execute(IDENT_DDL)
    con.execute(REJECTS_DDL)
    for spec in KINDS.values():
        if not spec.encoded:
            con.execute(storage_ddl(spec))
            # fields added to a kind since the case was made (person details, documents)
            for col, dtype in storage_columns(spec):
                con.execute(f"ALTER TABLE {spec.table} ADD COLUMN IF NOT EXISTS {_q(col)} {dtype}")
            continue
        if _table_type(con, spec.table) == "BASE TABLE":
            _migrate(con, spec)
            con.execute(view_ddl(spec))
            continue
        con.execute(storage_ddl(spec))
        con.execute(view_ddl(spec))
