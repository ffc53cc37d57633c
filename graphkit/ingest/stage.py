"""Ingest one source file into a case: hash, read, normalise, reject, stage.

The file's SHA-256 and line count are taken before parsing starts; the staged rows, the
rejects and the manifest record (hash, rows read, accepted, rejected, duplicates; always
``accepted + rejected == rows_read``) commit together with the audit entry, inside the caller's
``store.operation``.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from graphkit.audit import sha256_file
from graphkit.errors import CaseError, InputError
from graphkit.ingest.kinds import KINDS, get_kind
from graphkit.ingest.lookups import (
    build_value_lookups,
    finish_lookups,
    lookup_temp_tables,
    start_lookups,
)
from graphkit.ingest.mapping import Mapping, load_mapping, resolve_mapping
from graphkit.ingest.normalise import check_formats_used, plan_normalise
from graphkit.ingest.readers import detect_format, drop_temp, read_raw
from graphkit.ingest.staging import (
    STAGE_TEMP_TABLES,
    count_ambiguous,
    count_duplicate_record_ids,
    find_duplicates,
    insert_rejects,
    insert_staged,
    normalise_lists,
)
from graphkit.ingest.storage import ensure_staging_tables
from graphkit.settings import SettingsError, StageSettings
from graphkit.store import CaseStore, writes

__all__ = [
    "IngestResult",
    "Settings",
    "count_lines",
    "ensure_staging_tables",
    "hash_and_count_lines",
    "ingest_file",
    "run",
]

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
    # per timestamp field: local times in the repeated hour when the clocks go back, read as
    # the second occurrence (standard time); flagged here and in the manifest, not rejected
    ambiguous_times: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _LineCounter:
    """Counts lines (LF, CRLF or bare CR endings) over a stream of byte chunks."""

    def __init__(self) -> None:
        self.lf = self.cr = self.crlf = self.size = 0
        self.last = b""

    def feed(self, chunk: bytes) -> None:
        self.lf += chunk.count(b"\n")
        if self.last == b"\r" and chunk[:1] == b"\n":
            self.crlf += 1
        if b"\r" in chunk:  # a fast scan; most files have no CR at all
            self.cr += chunk.count(b"\r")
            self.crlf += chunk.count(b"\r\n")
        self.last = chunk[-1:]
        self.size += len(chunk)

    @property
    def lines(self) -> int:
        lines = self.lf + (self.cr - self.crlf)
        if self.size and self.last not in (b"\n", b"\r"):
            lines += 1
        return lines


def count_lines(path: Path, *, chunk_bytes: int = 1 << 24) -> int:
    """Number of lines (LF, CRLF or bare CR endings), counted without decoding."""
    counter = _LineCounter()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            counter.feed(chunk)
    return counter.lines


def hash_and_count_lines(path: Path, *, chunk_bytes: int = 1 << 24) -> tuple[str, int]:
    """SHA-256 (hex) and line count of a file in one read (see :func:`count_lines`).

    Each chunk is hashed in a second thread (hashlib releases the GIL) while this one counts
    its lines; one worker takes the chunks in order.
    """
    digest = hashlib.sha256()
    counter = _LineCounter()
    with ThreadPoolExecutor(1, thread_name_prefix="graphkit-sha256") as pool, path.open("rb") as fh:
        pending: Future[None] | None = None
        while chunk := fh.read(chunk_bytes):
            hashed = pool.submit(digest.update, chunk)
            counter.feed(chunk)
            if pending is not None:
                pending.result()  # at most two chunks in memory
            pending = hashed
        if pending is not None:
            pending.result()
    if counter.size and _is_gzip(path):  # lines are counted in the text, not the compressed bytes
        counter = _LineCounter()
        try:
            with gzip.open(path, "rb") as text:
                while chunk := text.read(chunk_bytes):
                    counter.feed(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path.name} is a damaged gzip file: {exc}") from None
    return digest.hexdigest(), counter.lines


def _default_name(path: Path) -> str:
    """The file's name without its extension (``calls.csv`` and ``calls.csv.gz``: ``calls``)."""
    stem = path.stem
    return Path(stem).stem if path.suffix.lower() == ".gz" and Path(stem).suffix else stem


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Settings(StageSettings):
    """One source file to ingest: ``path``, holding records of ``kind`` (one of
    :data:`~graphkit.ingest.kinds.KINDS`), read through the TOML mapping at ``mapping_path``
    (none: the kind's own column names are recognised), kept as source ``source_name``
    (default: the mapping's, else the file's name), ``replace``-ing a source ingested before.
    """

    path: Path
    kind: str
    mapping_path: Path | None = None
    source_name: str | None = None
    replace: bool = False

    def validate(self) -> None:
        self.require(
            self.kind in KINDS, "kind", f"unknown kind {self.kind!r}; one of {', '.join(KINDS)}"
        )
        self.require(
            self.source_name is None or bool(_SOURCE_NAME.match(self.source_name)),
            "source_name",
            f"{self.source_name!r} must be letters, digits, '_', '-' or '.'",
        )


def ingest_file(
    store: CaseStore, path: Path, *, kind: str, progress: Progress | None = None, **options: Any
) -> IngestResult:
    """:func:`run` with :class:`Settings` given as keywords (``mapping_path``,
    ``source_name``, ``replace``)."""
    return run(store, Settings(path=Path(path), kind=kind, **options), progress=progress)


@writes("ingest", operation="collection", external_access=True)
def run(store: CaseStore, settings: Settings, *, progress: Progress | None = None) -> IngestResult:
    """Ingest ``settings.path`` as a source of ``settings.kind`` into ``store``.

    Re-ingesting a file with the same hash is a no-op (``skipped``) unless ``replace``; a
    different file under an existing source name needs ``replace``. ``progress`` is called
    with the name of each step as it starts.
    """
    step = progress or (lambda _msg: None)
    path, kind, replace = settings.path, settings.kind, settings.replace
    mapping_path = settings.mapping_path
    spec = get_kind(kind)
    if not path.exists():
        raise SettingsError("path", f"{path} not found")
    if not path.is_file():
        raise SettingsError("path", f"{path} is not a file")
    mapping = load_mapping(mapping_path, kind=kind)
    name = settings.source_name or mapping.source_name or _default_name(path)
    if not _SOURCE_NAME.match(name):
        raise SettingsError(
            "source_name",
            f"{name!r} (from the {'mapping' if mapping.source_name else 'file name'}) must be "
            "letters, digits, '_', '-' or '.'; set `source_name`",
        )
    step("hashing")
    digest, line_count = hash_and_count_lines(path)
    sources = store.manifest.get("sources", {})
    existing = sources.get(name)
    same_file = [
        n for n, s in sources.items() if s.get("sha256") == digest and s.get("status") == "ingested"
    ]
    if same_file and sources[same_file[0]].get("kind") != kind:
        prev = sources[same_file[0]]
        raise InputError(
            f"{path.name} was already ingested as source {same_file[0]!r} of kind "
            f"{prev.get('kind')!r}, not {kind!r}; one file has one kind"
        )
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
        raise SettingsError(
            "source_name",
            f"{name!r} already exists with another file; use `replace` to replace it "
            "or another `source_name` to add this one beside it",
        )
    if replace and existing is None and same_file:
        name = same_file[0]
        existing = sources.get(name)
    fmt = detect_format(path)
    lines = line_count if fmt != "parquet" else None
    # ingest order, exact where start times (to the second) tie; kept by --replace
    old_seq = (existing or {}).get("sequence")
    seqs = [int(s.get("sequence", 0)) for s in sources.values()]
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
        "started_at": _now(),
        "sequence": int(old_seq) if old_seq is not None else max(seqs, default=0) + 1,
    }
    # the rows, the manifest record and the audit entry commit together (store.operation)
    with store.connect() as con:
        result = _ingest(con, path, spec.name, mapping, name, step)
    entry.update(
        status="ingested",
        finished_at=_now(),
        rows_read=result.rows_read,
        accepted=result.accepted,
        rejected=result.rejected,
        duplicates=result.duplicates,
        duplicate_record_ids=result.duplicate_record_ids,
        ambiguous_times=result.ambiguous_times,
    )
    store.set_source(name, entry)
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
    for table in [s.storage_table for s in KINDS.values()] + ["rejects"]:
        con.execute(f"DELETE FROM {table} WHERE source_name = ?", [name])
    step("reading")
    raw = read_raw(con, path, options=mapping.read, table="_raw", source=name, kind=kind)
    rm = resolve_mapping(mapping, raw.columns)
    check_formats_used(rm)
    step("normalising identifiers")
    # identifiers are normalised in a background thread while DuckDB finds duplicates and,
    # for an encoded kind (rows hold dictionary references), writes the rows
    pending = start_lookups(con, rm, "_raw")
    try:
        build_value_lookups(con, rm, "_raw")
        step("finding duplicates")
        n_dup = find_duplicates(con, "_raw", raw.columns)
        step("normalising fields")
        plan = plan_normalise(con, rm, "_raw", ref_keys=pending.ref_keys)
        if not spec.encoded or plan.list_lookups:
            finish_lookups(con, pending, value_lookups=not spec.encoded)
        lists = normalise_lists(con, plan, "_raw")
        step("writing")
        accepted = insert_staged(
            con, plan, rm, spec, raw="_raw", source_name=name, duplicates=n_dup > 0
        )
        ambiguous = count_ambiguous(con, plan, spec, name)
        for fname, n in ambiguous.items():
            log.warning(
                "%s: %d %s value(s) fall in the repeated hour when the clocks go back; "
                "each was read as the second occurrence (standard time)",
                name,
                n,
                fname,
            )
        if not pending.finished:
            step("storing identifiers")
            finish_lookups(con, pending, value_lookups=False)
    finally:
        pending.cancel()
    if accepted < raw.rows_ok:  # some rows failed a field check
        insert_rejects(
            con,
            plan,
            rm,
            spec,
            raw="_raw",
            columns=raw.columns,
            source_name=name,
            delimiter=raw.delimiter or ",",
        )
    step("counting")
    counts = con.execute(
        """
        SELECT (SELECT count(DISTINCT row_number) FROM rejects WHERE source_name = $source),
               (SELECT count(*) FROM _dup d WHERE d._row NOT IN (
                  SELECT row_number FROM rejects WHERE source_name = $source))
        """,
        {"source": name},
    ).fetchone()
    assert counts is not None
    rejected, duplicates = int(counts[0]), int(counts[1])
    dup_ids = count_duplicate_record_ids(con, rm, "_raw")
    step("committing")
    drop_temp(con, *lists, *STAGE_TEMP_TABLES, "_raw", "_raw_stage", *lookup_temp_tables(rm))
    if accepted + rejected != raw.rows_read:
        raise CaseError(
            f"internal count mismatch for {name}: accepted {accepted} + rejected {rejected} "
            f"!= rows read {raw.rows_read}"
        )
    if accepted == 0 and rejected == 0:
        raise InputError(f"{path.name} holds no data rows")
    return IngestResult(
        name,
        kind,
        "",
        raw.rows_read,
        accepted,
        rejected,
        duplicates,
        duplicate_record_ids=dup_ids,
        ambiguous_times=ambiguous,
    )
