"""Read a source file (CSV, Parquet, JSON Lines) into a raw all-text DuckDB table.

The raw table has ``_row`` (1-based data row number) and one VARCHAR column per source
column. Rows that cannot be read at all (wrong column count, invalid encoding, malformed JSON)
are written to the ``rejects`` table with their row number and an excerpt; nothing is dropped.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from graphkit.errors import InputError
from graphkit.ingest.mapping import ReadOptions
from graphkit.ingest.sql import quote_ident

__all__ = ["REJECTS_DDL", "RawRead", "detect_format", "drop_temp", "read_raw"]

log = logging.getLogger(__name__)

REJECTS_DDL = """
CREATE TABLE IF NOT EXISTS rejects (
  source_name VARCHAR,
  kind VARCHAR,
  row_number BIGINT,
  column_name VARCHAR,
  error_type VARCHAR,
  raw_excerpt VARCHAR,
  detail VARCHAR
)
"""
EXCERPT_CHARS = 300
SAMPLE_BYTES = 4 << 20
MAX_LINE_BYTES = 64 << 20


@dataclass(frozen=True)
class RawRead:
    """What was read: the raw table's columns and counts."""

    table: str
    columns: list[str]
    rows_ok: int
    rows_rejected: int
    file_format: str
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def rows_read(self) -> int:
        return self.rows_ok + self.rows_rejected


def detect_format(path: Path) -> str:
    """'csv', 'parquet' or 'jsonl', from the extension or, failing that, the first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv", ".txt", ".tab", ".psv"):
        return "csv"
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def _sample(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(SAMPLE_BYTES)


def _detect_encoding(sample: bytes) -> str:
    """UTF-8 unless the sample has non-UTF-8 bytes and no valid multi-byte UTF-8 at all."""
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a character cut at the end of the sample
            return "utf-8"
    text = sample.decode("utf-8", errors="replace")
    has_multibyte = any(ord(ch) > 127 and ch != "\ufffd" for ch in text)
    return "utf-8" if has_multibyte else "latin-1"


def _mostly_bare_cr(sample: bytes) -> bool:
    bare_cr = sample.count(b"\r") - sample.count(b"\r\n")
    return bare_cr > 0 and bare_cr > sample.count(b"\n")


@contextlib.contextmanager
def _lf_copy_if_cr(path: Path, sample: bytes) -> Iterator[Path]:
    """Files with bare CR line endings (old Mac style) are read from a copy with LF endings."""
    if not _mostly_bare_cr(sample):
        yield path
        return
    log.info("%s has CR line endings; reading a copy with LF endings", path.name)
    fd, tmp = tempfile.mkstemp(prefix="graphkit-cr-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            carry = b""
            while chunk := src.read(1 << 24):
                chunk = carry + chunk
                carry = b"\r" if chunk.endswith(b"\r") else b""
                if carry:
                    chunk = chunk[:-1]
                out.write(chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
            out.write(carry.replace(b"\r", b"\n"))
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def _assign_rows(con: duckdb.DuckDBPyConnection, stage: str, table: str, rejected: str) -> None:
    """Give accepted rows their data-row number, skipping the numbers of rejected rows.

    ``rejected`` holds the 1-based data rows that were rejected (distinct). The k-th accepted
    row's number is k plus the count of rejected rows before it. Row ids are taken relative to
    the first row because tables written inside a transaction number rows from a large offset.
    Without rejects (the common case) ``table`` is a view over ``stage``: no copy is made.
    """
    if _count(con, rejected) == 0:
        con.execute(
            f"""
            CREATE TEMP VIEW {table} AS
            SELECT s.rowid - (SELECT min(rowid) FROM {stage}) + 1 AS _row, s.* FROM {stage} s
            """
        )
        return
    con.execute(
        f"""
        CREATE TEMP TABLE _rej_gap AS
        SELECT accepted_before, max(n_rejected) AS n_rejected FROM (
          SELECT row_number - row_number() OVER (ORDER BY row_number) AS accepted_before,
                 row_number() OVER (ORDER BY row_number) AS n_rejected
          FROM {rejected})
        GROUP BY accepted_before
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        WITH base AS (SELECT min(rowid) AS r0 FROM {stage}),
             ordered AS (SELECT s.rowid - base.r0 AS _k, s.* FROM {stage} s, base)
        SELECT o._k + 1 + coalesce(g.n_rejected, 0) AS _row, o.* EXCLUDE (_k)
        FROM ordered o
        ASOF LEFT JOIN _rej_gap g ON o._k >= g.accepted_before
        ORDER BY o._k
        """
    )
    con.execute("DROP TABLE _rej_gap")
    con.execute(f"DROP TABLE {stage}")


def drop_temp(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop temporary tables or views, whichever each name is (views first)."""
    for name in names:
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_catalog = 'temp' AND table_name = ?",
            [name],
        ).fetchone()
        if kind is None:
            continue
        what = "VIEW" if kind[0] == "VIEW" else "TABLE"
        con.execute(f"DROP {what} {name}")


def _read_csv(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    opts: ReadOptions,
    table: str,
    source: str,
    kind: str,
) -> RawRead:
    sample = _sample(path)
    if b"\x00" in sample[:65536]:
        raise InputError(f"{path.name} is not a text table (it contains binary data)")
    encoding = opts.encoding or _detect_encoding(sample)
    with _lf_copy_if_cr(path, sample) as readable:
        args = {
            "all_varchar": "true",
            "header": "true" if opts.header else "false",
            "store_rejects": "true",
            "rejects_table": "'_rej_err'",
            "rejects_scan": "'_rej_scan'",
            "max_line_size": str(MAX_LINE_BYTES),
            "encoding": f"'{encoding}'",
            "parallel": "true",
        }
        if opts.delimiter is not None:
            args["delim"] = "$delim"
        arg_sql = ", ".join(f"{k} = {v}" for k, v in args.items())
        params = {"path": str(readable)}
        if opts.delimiter is not None:
            params["delim"] = opts.delimiter
        try:
            con.execute(
                f"CREATE TEMP TABLE _raw_stage AS SELECT * FROM read_csv($path, {arg_sql})",
                params,
            )
        except duckdb.Error as exc:
            raise InputError(
                f"{path.name} could not be read as a table: {_first_line(str(exc))}"
            ) from None
        scan = con.execute("SELECT delimiter FROM _rej_scan LIMIT 1").fetchone()
        delimiter = opts.delimiter
        if scan is None:  # no rejects: ask the sniffer what it used
            sniff = con.execute(
                f"SELECT Delimiter FROM sniff_csv($path, encoding = '{encoding}')",
                {"path": params["path"]},
            ).fetchone()
            delimiter = delimiter or (sniff[0] if sniff else None)
        else:
            delimiter = delimiter or scan[0]
    header_lines = 1 if opts.header else 0
    con.execute(
        f"""
        CREATE TEMP TABLE _rej_rows AS
        SELECT line - {header_lines} AS row_number,
               first(error_type ORDER BY column_idx) AS error_type,
               first(column_name ORDER BY column_idx) AS column_name,
               first(csv_line) AS csv_line,
               string_agg(DISTINCT error_message, ' | ') AS detail
        FROM _rej_err GROUP BY line
        """
    )
    con.execute(
        """
        INSERT INTO rejects
        SELECT $source, $kind, row_number, column_name,
               lower(replace(error_type, ' ', '_')), left(csv_line, $n), left(detail, 500)
        FROM _rej_rows
        """,
        {"source": source, "kind": kind, "n": EXCERPT_CHARS},
    )
    _assign_rows(con, "_raw_stage", table, "_rej_rows")
    rejected = _count(con, "_rej_rows")
    ok = _count(con, table)
    columns = [c for c in _columns(con, table) if c != "_row"]
    drop_temp(con, "_rej_rows", "_rej_err", "_rej_scan")
    if columns and all(c.startswith("column") for c in columns) and opts.header:
        log.warning("%s: header not recognised; columns named %s", path.name, columns)
    return RawRead(table, columns, ok, rejected, "csv", encoding, delimiter)


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawRead:
    try:
        rel = con.execute(
            "DESCRIBE SELECT * FROM read_parquet($path)", {"path": str(path)}
        ).fetchall()
    except duckdb.Error as exc:
        raise InputError(
            f"{path.name} is not a readable Parquet file: {_first_line(str(exc))}"
        ) from None
    selects = []
    columns = []
    for name, dtype, *_ in rel:
        quoted = quote_ident(str(name))
        columns.append(str(name))
        if str(dtype).endswith("[]"):
            selects.append(f"array_to_string({quoted}, ';') AS {quoted}")
        else:
            selects.append(f"CAST({quoted} AS VARCHAR) AS {quoted}")
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT file_row_number + 1 AS _row, {", ".join(selects)}
        FROM read_parquet($path, file_row_number = true) ORDER BY file_row_number
        """,
        {"path": str(path)},
    )
    return RawRead(table, columns, _count(con, table), 0, "parquet")


def _read_jsonl(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, source: str, kind: str
) -> RawRead:
    sample = _sample(path)
    encoding = _detect_encoding(sample)
    with _lf_copy_if_cr(path, sample) as readable:
        try:
            con.execute(
                f"""
                CREATE TEMP TABLE _json_stage AS
                SELECT line FROM read_csv($path, columns = {{'line': 'VARCHAR'}},
                    delim = '\x1f', quote = '', escape = '', header = false,
                    auto_detect = false, encoding = '{encoding}',
                    max_line_size = {MAX_LINE_BYTES}, store_rejects = true,
                    rejects_table = '_rej_err', rejects_scan = '_rej_scan')
                """,
                {"path": str(readable)},
            )
        except duckdb.Error as exc:
            raise InputError(f"{path.name} could not be read: {_first_line(str(exc))}") from None
    con.execute(
        """
        CREATE TEMP TABLE _rej_rows AS
        SELECT line AS row_number, CAST(first(error_type) AS VARCHAR) AS error_type,
               CAST(NULL AS VARCHAR) AS column_name,
               first(csv_line) AS csv_line, first(error_message) AS detail
        FROM _rej_err GROUP BY line
        """
    )
    _assign_rows(con, "_json_stage", "_json_lines", "_rej_rows")
    con.execute(
        """
        INSERT INTO _rej_rows
        SELECT _row, 'invalid_json', NULL, line, 'not a JSON object'
        FROM _json_lines
        WHERE NOT coalesce(json_type(TRY_CAST(line AS JSON)) = 'OBJECT', false)
        """
    )
    con.execute(
        """
        INSERT INTO rejects
        SELECT $source, $kind, row_number, column_name, lower(replace(error_type, ' ', '_')),
               left(csv_line, $n), left(detail, 500)
        FROM _rej_rows
        """,
        {"source": source, "kind": kind, "n": EXCERPT_CHARS},
    )
    keys = [
        str(k)
        for (k,) in con.execute(
            """
            SELECT k FROM (
              SELECT unnest(json_keys(TRY_CAST(line AS JSON))) AS k, _row FROM _json_lines
              WHERE coalesce(json_type(TRY_CAST(line AS JSON)) = 'OBJECT', false))
            GROUP BY k ORDER BY min(_row), k
            """
        ).fetchall()
    ]
    if not keys:
        raise InputError(f"{path.name} holds no JSON objects")
    selects = []
    params: dict[str, object] = {}
    for i, key in enumerate(keys):
        params[f"k{i}"] = "$." + '"' + key.replace('"', '\\"') + '"'
        quoted = quote_ident(key)
        selects.append(f"json_extract_string(line, $k{i}) AS {quoted}")
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT _row, {", ".join(selects)} FROM _json_lines
        WHERE coalesce(json_type(TRY_CAST(line AS JSON)) = 'OBJECT', false)
        ORDER BY _row
        """,
        params,
    )
    rejected = _count(con, "_rej_rows")
    drop_temp(con, "_json_lines", "_json_stage", "_rej_rows", "_rej_err", "_rej_scan")
    return RawRead(table, keys, _count(con, table), rejected, "jsonl", encoding)


def read_raw(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    options: ReadOptions,
    table: str,
    source: str,
    kind: str,
) -> RawRead:
    """Read ``path`` into temp table ``table``; reader-level rejects go to ``rejects``."""
    con.execute(REJECTS_DDL)
    fmt = detect_format(path)
    if fmt == "parquet":
        return _read_parquet(con, path, table)
    if fmt == "jsonl":
        return _read_jsonl(con, path, table, source, kind)
    return _read_csv(con, path, options, table, source, kind)


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [str(r[0]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
