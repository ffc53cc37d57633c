"""Read a source file (CSV, Parquet, JSON Lines) into a raw all-text DuckDB table.

The raw table has ``_row`` (1-based data row number) and one VARCHAR column per source
column. Rows that cannot be read at all (wrong column count, invalid encoding, malformed JSON)
are written to the ``rejects`` table with their row number and an excerpt; nothing is dropped.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import logging
import os
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from graphkit.errors import InputError
from graphkit.ingest.mapping import ReadOptions, one_line
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
    """'csv', 'parquet' or 'jsonl', from the extension or, failing that, the first bytes.

    A gzip file (``.gz``) is judged by the extension before ``.gz``; it is read decompressed.
    """
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = Path(path.stem).suffix.lower()
        if suffix not in (".parquet", ".pq", ".jsonl", ".ndjson", ".json"):
            return "csv"
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


_BOMS = (  # longest first: a UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 LE"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 BE"),
    (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
    (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
)
# declared [read] encodings that are decoded here (DuckDB reads UTF-8 and Latin-1 itself)
_WIDE = {"utf-16": "utf-16", "utf-32": "utf-32"}


def _wide_encoding(path: Path, sample: bytes, declared: str | None) -> str | None:
    """The Python codec of a UTF-16 / UTF-32 file (by its byte order mark), or None.

    A byte order mark decides unless the mapping declares another encoding, which is refused
    (one line naming the ``[read] encoding`` option). A declared utf-16 / utf-32 without a mark
    is read as little-endian.
    """
    for bom, codec, label in _BOMS:
        if sample.startswith(bom):
            if declared is not None and declared not in _WIDE:
                raise InputError(
                    f"{one_line(path.name)} starts with a {label} byte order mark but the "
                    f"mapping's [read] encoding is {declared!r}; set [read] encoding = "
                    f"{codec.rsplit('-', 1)[0]!r} or remove it"
                )
            return codec
    if declared in _WIDE:
        return f"{_WIDE[declared]}-le"
    return None


def _case_temp_dir(con: duckdb.DuckDBPyConnection) -> str | None:
    """The directory of the case database (temporary copies go there), None if in memory."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        return None
    return str(Path(str(row[0])).resolve().parent)


@contextlib.contextmanager
def _temp_copy(path: Path, tmp_dir: str | None, why: str) -> Iterator[tuple[Path, BinaryIO]]:
    fd, tmp = tempfile.mkstemp(prefix=f".ingest-{why}-", suffix=path.suffix, dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            yield Path(tmp), out
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _utf8_copy(path: Path, codec: str, tmp_dir: str | None) -> Iterator[Path]:
    """A UTF-8 copy of a UTF-16 / UTF-32 file (the byte order mark dropped), decoded in chunks.

    Bytes that are not valid in ``codec`` become U+FFFD (each such row is then visible as such).
    """
    log.info("%s is %s; reading a UTF-8 copy", path.name, codec)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    with _temp_copy(path, tmp_dir, "utf8") as (tmp, out), path.open("rb") as src:
        first = True
        while chunk := src.read(1 << 24):
            text = decoder.decode(chunk)
            if first:
                text = text.removeprefix("\ufeff")
                first = False
            out.write(text.encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _line_ending_fix(sample: bytes) -> str | None:
    """How line endings must be rewritten for DuckDB's reader: None, 'crlf' or 'cr'.

    DuckDB takes one line ending per file: one CRLF line in an LF file (or the reverse) makes
    it refuse the whole file. Mixed LF / CRLF files are read from a copy with CRLF -> LF
    (bare CRs, which DuckDB reads inside quoted fields, are kept); files with mostly bare CR
    endings (old Mac style) from a copy with every CR and CRLF -> LF. Decided on the first
    ``SAMPLE_BYTES`` of the file.
    """
    lf, crlf = sample.count(b"\n"), sample.count(b"\r\n")
    bare_cr = sample.count(b"\r") - crlf
    if bare_cr > 0 and bare_cr > lf:
        return "cr"
    if crlf > 0 and lf > crlf:
        return "crlf"
    return None


@contextlib.contextmanager
def _lf_copy_if_needed(path: Path, sample: bytes, tmp_dir: str | None) -> Iterator[Path]:
    """``path``, or a copy with the line endings DuckDB needs (see :func:`_line_ending_fix`)."""
    fix = _line_ending_fix(sample)
    if fix is None:
        yield path
        return
    log.info(
        "%s has %s line endings; reading a copy with LF endings",
        path.name,
        "mixed LF and CRLF" if fix == "crlf" else "CR",
    )
    with _temp_copy(path, tmp_dir, "lf") as (tmp, out), path.open("rb") as src:
        carry = b""
        while chunk := src.read(1 << 24):
            chunk = carry + chunk
            carry = b"\r" if chunk.endswith(b"\r") else b""
            if carry:
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n")
            out.write(chunk.replace(b"\r", b"\n") if fix == "cr" else chunk)
        out.write(carry.replace(b"\r", b"\n") if fix == "cr" else carry)
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


GZIP_MAGIC = b"\x1f\x8b"


@contextlib.contextmanager
def _gunzip_copy(path: Path, tmp_dir: str | None) -> Iterator[Path]:
    """A decompressed copy of a gzip file, written in chunks; a damaged file is one line."""
    log.info("%s is gzip-compressed; reading a decompressed copy", path.name)
    with _temp_copy(Path(path.stem), tmp_dir, "gunzip") as (tmp, out):  # no .gz suffix
        try:
            with gzip.open(path, "rb") as src:
                while chunk := src.read(1 << 24):
                    out.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(
                f"{one_line(path.name)} is a damaged gzip file: {_first_line(str(exc))}"
            ) from None
    try:
        yield tmp
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def _readable(
    con: duckdb.DuckDBPyConnection, path: Path, declared: str | None
) -> Iterator[tuple[Path, bytes, str | None]]:
    """The file DuckDB reads (a UTF-8 and/or LF copy where needed), its sample, its encoding.

    The encoding is None when it is left to detection (UTF-8 or Latin-1). A gzip file is
    read from a decompressed copy.
    """
    sample = _sample(path)
    tmp_dir = _case_temp_dir(con)
    with contextlib.ExitStack() as stack:
        if sample.startswith(GZIP_MAGIC):
            path = stack.enter_context(_gunzip_copy(path, tmp_dir))
            sample = _sample(path)
        codec = _wide_encoding(path, sample, declared)
        if codec is not None:
            path = stack.enter_context(_utf8_copy(path, codec, tmp_dir))
            sample = _sample(path)
            declared = "utf-8"
        yield stack.enter_context(_lf_copy_if_needed(path, sample, tmp_dir)), sample, declared


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


def _binary_error(path: Path) -> InputError:
    return InputError(
        f"{one_line(path.name)} is not a text table (it contains binary data; if it is UTF-16 or "
        'UTF-32 without a byte order mark, set [read] encoding = "utf-16" or "utf-32" in the '
        "mapping)"
    )


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
    with _readable(con, path, opts.encoding) as (readable, sample, declared):
        if b"\x00" in sample[:65536]:
            raise _binary_error(path)
        encoding = declared or _detect_encoding(sample)
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
                f"{one_line(path.name)} could not be read as a table: {_first_line(str(exc))}"
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
               string_agg(DISTINCT error_message, ' | ' ORDER BY error_message) AS detail
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
            f"{one_line(path.name)} is not a readable Parquet file: {_first_line(str(exc))}"
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
    with _readable(con, path, None) as (readable, sample, declared):
        if b"\x00" in sample[:65536]:
            raise _binary_error(path)
        encoding = declared or _detect_encoding(sample)
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
            raise InputError(
                f"{one_line(path.name)} could not be read: {_first_line(str(exc))}"
            ) from None
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
        raise InputError(f"{one_line(path.name)} holds no JSON objects")
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
