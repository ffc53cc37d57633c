"""Ingest one source file into a case: hash, read, normalise, reject, stage.

The file's SHA-256 and line count go into the manifest before parsing starts; after parsing
the manifest holds rows read, accepted, rejected and duplicates, and always
``accepted + rejected == rows_read``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from graphkit.audit import sha256_file
from graphkit.errors import CaseError, InputError
from graphkit.ingest.kinds import KINDS, get_kind, staging_ddl
from graphkit.ingest.mapping import Mapping, load_mapping, resolve_mapping
from graphkit.ingest.normalise import (
    build_lookups,
    check_formats_used,
    plan_normalise,
    quote_ident,
    run_sql,
)
from graphkit.ingest.readers import EXCERPT_CHARS, REJECTS_DDL, detect_format, drop_temp, read_raw
from graphkit.store import CaseStore

__all__ = ["IngestResult", "count_lines", "ensure_staging_tables", "ingest_file"]

log = logging.getLogger(__name__)

_SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class IngestResult:
    """Counts of one ingest; ``skipped`` when the same file was already ingested."""

    source_name: str
    kind: str
    sha256: str
    rows_read: int
    accepted: int
    rejected: int
    duplicates: int
    skipped: bool = False
    replaced: bool = False
    duplicate_record_ids: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def count_lines(path: Path, *, chunk_bytes: int = 1 << 24) -> int:
    """Number of lines (LF, CRLF or bare CR endings), counted without decoding."""
    lf = cr = crlf = 0
    last = b""
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            lf += chunk.count(b"\n")
            cr += chunk.count(b"\r")
            crlf += chunk.count(b"\r\n") + (1 if last == b"\r" and chunk[:1] == b"\n" else 0)
            last = chunk[-1:]
            size += len(chunk)
    lines = lf + (cr - crlf)
    if size and last not in (b"\n", b"\r"):
        lines += 1
    return lines


def ensure_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging table of every kind and the rejects table (idempotent)."""
    for spec in KINDS.values():
        con.execute(staging_ddl(spec))
    con.execute(REJECTS_DDL)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def ingest_file(
    store: CaseStore,
    path: Path,
    *,
    kind: str,
    mapping_path: Path | None = None,
    source_name: str | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Ingest ``path`` as a source of ``kind`` into ``store``.

    Re-ingesting a file with the same hash is a no-op (``skipped``) unless ``replace``; a
    different file under an existing source name needs ``replace``.
    """
    step = progress or (lambda _msg: None)
    spec = get_kind(kind)
    if not path.exists():
        raise InputError(f"file {path} not found")
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    mapping = load_mapping(mapping_path, kind=kind)
    name = source_name or mapping.source_name or path.stem
    if not _SOURCE_NAME.match(name):
        raise InputError(
            f"source name {name!r} must be letters, digits, '_', '-' or '.' (use --source-name)"
        )
    step("hashing")
    digest = sha256_file(path)
    sources = store.manifest.get("sources", {})
    existing = sources.get(name)
    same_file = [
        n for n, s in sources.items() if s.get("sha256") == digest and s.get("status") == "ingested"
    ]
    if same_file and not replace:
        prev = sources[same_file[0]]
        log.info("%s was already ingested as source %s", path.name, same_file[0])
        return IngestResult(
            same_file[0],
            prev["kind"],
            digest,
            prev["rows_read"],
            prev["accepted"],
            prev["rejected"],
            prev["duplicates"],
            skipped=True,
        )
    if existing is not None and existing.get("status") == "ingested" and not replace:
        raise InputError(
            f"source {name!r} already exists with another file; use --replace to replace it "
            "or --source-name to add this one beside it"
        )
    if replace and existing is None and same_file:
        name = same_file[0]
    fmt = detect_format(path)
    lines = count_lines(path) if fmt != "parquet" else None
    entry: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "file": str(path.resolve()),
        "sha256": digest,
        "size_bytes": path.stat().st_size,
        "format": fmt,
        "lines": lines,
        "mapping": mapping.to_dict(),
        "mapping_sha256": sha256_file(mapping_path) if mapping_path else None,
        "status": "parsing",
        "started_at": _now(),
    }
    store.update_manifest(lambda m: m.setdefault("sources", {}).__setitem__(name, entry))
    try:
        with store.connect() as con:
            result = _ingest(con, path, spec.name, mapping, name, step)
    except BaseException:
        entry["status"] = "failed"
        store.update_manifest(lambda m: m["sources"].__setitem__(name, entry))
        raise
    entry.update(
        status="ingested",
        finished_at=_now(),
        rows_read=result.rows_read,
        accepted=result.accepted,
        rejected=result.rejected,
        duplicates=result.duplicates,
        duplicate_record_ids=result.duplicate_record_ids,
        sha256=digest,
    )
    store.update_manifest(lambda m: m["sources"].__setitem__(name, entry))
    replaced = existing is not None and existing.get("status") == "ingested"
    return IngestResult(**{**result.to_dict(), "sha256": digest, "replaced": replaced})


def _ingest(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    mapping: Mapping,
    name: str,
    step: Progress,
) -> IngestResult:
    spec = get_kind(kind)
    ensure_staging_tables(con)
    con.execute("BEGIN TRANSACTION")
    try:
        for table in [s.table for s in KINDS.values()] + ["rejects"]:
            con.execute(f"DELETE FROM {table} WHERE source_name = ?", [name])
        step("reading")
        raw = read_raw(con, path, options=mapping.read, table="_raw", source=name, kind=kind)
        rm = resolve_mapping(mapping, raw.columns)
        check_formats_used(rm)
        step("normalising identifiers")
        build_lookups(con, rm, "_raw")
        step("normalising fields")
        plan = plan_normalise(con, rm, "_raw")
        raw_cols = ", ".join("r." + quote_ident(c) for c in raw.columns)
        record_id = "CAST(t._row AS VARCHAR)"
        if "record_id" in rm.columns:
            plan.trims["record_id"] = (
                f"NULLIF(trim(r.{quote_ident(rm.columns['record_id'])}), '') AS v__record_id"
            )
            record_id = f"coalesce(t.v__record_id, {record_id})"
        err_cols = [f"{e} AS _e{i}" for i, (e, _label) in enumerate(plan.errors)]
        trims = "".join(f", {t}" for t in plan.trims.values())
        passthrough = "".join(f", t.{quote_ident('v__' + f)}" for f in plan.trims)
        # Exact duplicates: rows whose raw values hash alike (64 bits; for 10M rows the chance
        # of any collision is below 3e-6), found on a narrow (hash, row) table so the wide rows
        # never go through a sort. Only the later copies are listed.
        con.execute(
            f"""
            CREATE TEMP TABLE _dup AS
            SELECT _row FROM (
              SELECT _row, row_number() OVER (PARTITION BY _h ORDER BY _row) AS copy
              FROM (SELECT r._row, hash({raw_cols}) AS _h FROM _raw r)
              WHERE _h IN (SELECT hash({raw_cols}) FROM _raw r GROUP BY 1 HAVING count(*) > 1))
            WHERE copy > 1
            """
        )
        run_sql(
            con,
            f"""
            CREATE TEMP TABLE _norm AS
            WITH t AS (SELECT r._row{trims} FROM _raw r),
                 v AS (SELECT t._row, {record_id} AS record_id,
                              {", ".join(plan.selects)}{passthrough}
                       FROM t {" ".join(plan.joins)})
            SELECT v.* EXCLUDE (_row{"".join(", " + quote_ident("v__" + f) for f in plan.trims)}),
                   v._row AS row_number,
                   {", ".join(err_cols) if err_cols else "NULL AS _e_none"},
                   d._row IS NOT NULL AS is_duplicate
            FROM v LEFT JOIN _dup d ON d._row = v._row
            """,
            plan.params,
        )
        for fname, lookup in plan.list_lookups:
            _normalise_list(con, fname, lookup)
        any_error = (
            "coalesce(" + ", ".join(f"_e{i}" for i in range(len(plan.errors))) + ")"
            if plan.errors
            else "CAST(NULL AS VARCHAR)"
        )
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
        step("writing")
        excerpt = f"left(concat_ws($delim, {_coalesced(raw.columns)}), {EXCERPT_CHARS})"
        run_sql(
            con,
            f"""
            INSERT INTO rejects
            SELECT $source, $kind, row_number, {which_col}, {any_error}, {excerpt}, NULL
            FROM _norm JOIN _raw r ON r._row = _norm.row_number
            WHERE {any_error} IS NOT NULL
            """,
            {**plan.params, "source": name, "kind": kind, "delim": raw.delimiter or ","},
        )
        select_cols = ", ".join(quote_ident(c) for c, _t in spec.field_columns())
        run_sql(
            con,
            f"""
            INSERT INTO {spec.table} BY NAME
            SELECT $source AS source_name, row_number, record_id, is_duplicate, {select_cols}
            FROM _norm WHERE {any_error} IS NULL
            """,
            {**plan.params, "source": name},
        )
        counts = run_sql(
            con,
            f"""
            SELECT count(*) FILTER (WHERE {any_error} IS NULL),
                   count(*) FILTER (WHERE {any_error} IS NULL AND is_duplicate),
                   count(*) - count(DISTINCT record_id)
            FROM _norm
            """,
            plan.params,
        ).fetchone()
        assert counts is not None
        accepted, duplicates, dup_ids = (int(c) for c in counts)
        rejected_row = con.execute(
            "SELECT count(DISTINCT row_number) FROM rejects WHERE source_name = ?", [name]
        ).fetchone()
        rejected = int(rejected_row[0]) if rejected_row else 0
        step("committing")
        drop_temp(
            con, "_norm", "_dup", "_raw", "_raw_stage", "_lk_phone", "_lk_account", "_lk_imei"
        )
        if accepted + rejected != raw.rows_read:
            raise CaseError(
                f"internal count mismatch for {name}: accepted {accepted} + rejected {rejected} "
                f"!= rows read {raw.rows_read}"
            )
        if accepted == 0 and rejected == 0:
            raise InputError(f"{path.name} holds no data rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return IngestResult(
        name,
        kind,
        "",
        raw.rows_read,
        accepted,
        rejected,
        duplicates,
        duplicate_record_ids=dup_ids,
    )


def _coalesced(columns: list[str]) -> str:
    return ", ".join(f"coalesce(r.{quote_ident(c)}, '')" for c in columns)


def _normalise_list(con: duckdb.DuckDBPyConnection, fname: str, lookup: str) -> None:
    col = f'"{fname}"'
    con.execute(
        f"""
        CREATE TEMP TABLE _lst AS
        SELECT row_number, list(coalesce(lk.norm, x.item) ORDER BY x.pos) AS v FROM (
          SELECT row_number, unnest({col}) AS item, generate_subscripts({col}, 1) AS pos
          FROM _norm) x
        LEFT JOIN {lookup} lk ON lk.raw = x.item
        GROUP BY row_number
        """
    )
    con.execute(
        f"UPDATE _norm SET {col} = _lst.v FROM _lst WHERE _norm.row_number = _lst.row_number"
    )
    con.execute("DROP TABLE _lst")
