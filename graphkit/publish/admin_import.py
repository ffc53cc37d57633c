"""CSV files and the ``neo4j-admin database import full`` command, for first loads of big cases.

The offline importer writes a new database store directly, much faster than transactions, but
only into an empty (or replaced) database that is not running. The files carry the same
properties, ``case_id`` and ``publish_run`` as ``graphkit publish`` writes, so a later
publish of the case updates the imported graph in place. The importer creates no constraints
or indexes: ``schema.cypher`` beside the CSVs does, run once with cypher-shell after the import.

Format: one header line per file (``name:type``; ``key:ID(Label)`` for node ids, ``:START_ID``
and ``:END_ID`` for relationship ends), fields separated by ',', quoted with '"' (a quote
inside doubled), array elements separated by the unit separator U+001F, which never occurs in
the case's text, and datetimes in ISO 8601 UTC to the millisecond.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphkit.errors import InputError
from graphkit.model import node
from graphkit.publish.properties import CASE_KEY, RUN_KEY
from graphkit.publish.source import Field, WriteStep, plan_writes
from graphkit.publish.statements import schema_statements

__all__ = ["ARRAY_DELIMITER", "ImportExport", "export_neo4j_import"]

logger = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"
_NEO4J_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "long",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMPTZ": "datetime",
}
# Milliseconds, as `graphkit publish` writes them, so a later publish changes nothing.
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%gZ"


@dataclass(frozen=True)
class ImportExport:
    """What :func:`export_neo4j_import` wrote: files with row counts, and the commands."""

    files: dict[str, int]
    import_command: list[str]
    schema_file: str

    def command_line(self) -> str:
        return shlex.join(self.import_command)


def _column(f: Field) -> str:
    """SQL for the CSV cell of ``f`` and its header ``name:type``."""
    base = f.dtype.removesuffix("[]")
    kind = _NEO4J_TYPES[base]
    if f.dtype.endswith("[]"):
        elem = (
            "strftime(x, '" + _TS_FORMAT + "')" if base == "TIMESTAMPTZ" else "CAST(x AS VARCHAR)"
        )
        # An empty list is left out (no property): an empty cell would read as [""].
        joined = f"array_to_string(list_transform({f.expr}, lambda x: {elem}), chr(31))"
        expr = f"CASE WHEN len({f.expr}) > 0 THEN {joined} END"
        return f'{expr} AS "{f.name}:{kind}[]"'
    if base == "TIMESTAMPTZ":
        return f"strftime({f.expr}, '{_TS_FORMAT}') AS \"{f.name}:{kind}\""
    return f'{f.expr} AS "{f.name}:{kind}"'


def _csv_sql(step: WriteStep, case_id: str, run_id: str) -> tuple[str, list[str]]:
    sel = step.selection
    params = [case_id, run_id]
    bookkeeping = f'? AS "{CASE_KEY}:string", ? AS "{RUN_KEY}:string"'
    if step.kind == "node":
        key = node(step.label_or_type).key
        key_expr = sel.ids[0][1]
        cols = [f'{key_expr} AS "{key}:ID({step.label_or_type})"']
        cols += [_column(f) for f in sel.fields if f.name != key]
    else:
        assert step.ends is not None
        cols = [
            f'r.src AS ":START_ID({step.ends[0]})"',
            f'r.dst AS ":END_ID({step.ends[1]})"',
        ]
        cols += [_column(f) for f in sel.fields]
    order = ", ".join(expr for _, expr in sel.ids)
    return f"SELECT {', '.join(cols)}, {bookkeeping} {sel.source} ORDER BY {order}", params


def export_neo4j_import(
    con: Any,
    out_dir: Path,
    *,
    case_id: str,
    run_id: str,
    database: str = "neo4j",
    import_dir: str | None = None,
    stage: Callable[[Path], Path] = lambda path: path,
) -> ImportExport:
    """Writes one CSV per label and per relationship type and end labels into ``out_dir``.

    ``import_dir`` is where the files will be seen by neo4j-admin (e.g. ``/import`` inside the
    Neo4j container); by default ``out_dir`` itself. ``stage(path)`` is where the content of
    ``path`` is written first (the case operation's partial file, renamed at its commit).
    Returns the files and the import command.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    if any(out_dir.glob("*.csv")):
        raise InputError(f"{out_dir} already holds CSV files; choose an empty directory")
    seen = Path(import_dir) if import_dir else out_dir.resolve()
    files: dict[str, int] = {}
    command = ["neo4j-admin", "database", "import", "full", database]
    for step in plan_writes(con):
        if not step.rows:
            continue
        name = step.statement.name.removeprefix("write/") + ".csv"
        sql, params = _csv_sql(step, case_id, run_id)
        path = stage(out_dir / name)
        con.execute(
            f"COPY ({sql}) TO '{_sql_path(path)}' "  # identifiers: model names, our own path
            "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"')",
            params,
        )
        files[name] = step.rows
        where = seen / name
        if step.kind == "node":
            command.append(f"--nodes={step.label_or_type}={where}")
        else:
            command.append(f"--relationships={step.label_or_type}={where}")
    command += [
        "--id-type=string",
        "--array-delimiter=U+001F",
        "--multiline-fields=true",
        "--overwrite-destination=true",
    ]
    schema = "schema.cypher"
    text = ";\n".join(s.text for s in schema_statements()) + ";\n"
    stage(out_dir / schema).write_text(text, encoding="utf-8")
    logger.info("wrote %d CSV files to %s", len(files), out_dir)
    return ImportExport(files, command, schema)


def _sql_path(path: Path) -> str:
    text = str(path.resolve())
    if "'" in text:
        raise InputError(f"the output path must not contain a quote: {text}")
    return text
