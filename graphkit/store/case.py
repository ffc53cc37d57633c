"""The case store: one directory per case with a DuckDB file, a manifest and an audit log.

Layout of a case directory::

    CASE_DIR/
      case.duckdb      every table of the case (staging, knowledge graph, analytics)
      manifest.json    sources with hashes and row counts, stages run, models, audit head
      audit.jsonl      hash-chained audit log (graphkit.audit)
      models/          trained models saved with the case
      .lock            the case lock (graphkit.store.lock)

**One write path.** Every change to a case, and every audited read, runs inside
:meth:`CaseStore.operation`. In order, under the case lock:

1. *recover*: finish what a killed command left (see below) and verify the whole audit chain
   and its head (:class:`graphkit.audit.TamperError` otherwise: nothing heals a broken log);
2. *intent*: an audit entry with outcome ``started`` and the operation's id (``tx``);
3. *work*: every table write on one DuckDB connection inside one transaction; manifest changes
   and output files are held back (:class:`graphkit.store.operation.Operation`);
4. *commit*: the manifest changes, the files to rename and the outcome entry go into the
   ``graphkit_journal`` table and DuckDB commits: this is the commit point;
5. *apply*: files are renamed into place, the outcome entry is appended and the manifest
   changes and new audit head written in one atomic manifest write; the journal row goes.

A command killed before step 4 left nothing (DuckDB rolls back; partial files are removed):
the next command records the intent as ``interrupted``. One killed after step 4 is rolled
forward from its journal row. The audit head moves in two steps (``audit_pending``, then the
line, then the head), so a crash between the log and the manifest is completed, never
mistaken for tampering, and never healed silently.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import duckdb

from graphkit import __version__
from graphkit.audit import AuditLog, TamperError, canonical_json, entry_line, sha256_bytes
from graphkit.errors import CaseError
from graphkit.model import NODES, RELATIONSHIPS, node_ddl, relationship_ddl
from graphkit.sqlsafety import lock_down
from graphkit.store.lock import LOCK_FILE, CaseLock
from graphkit.store.operation import ManifestOp, Operation, apply_ops

__all__ = ["CaseStore", "Operation", "table_columns", "writes"]

log = logging.getLogger(__name__)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of ``table`` (a table or view) on ``con``; empty if there is none."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {str(r[0]) for r in rows}


DB_FILE = "case.duckdb"
MANIFEST_FILE = "manifest.json"
AUDIT_FILE = "audit.jsonl"
MANIFEST_FORMAT = 1
JOURNAL_TABLE = "graphkit_journal"
_JOURNAL_DDL = (
    f"CREATE TABLE IF NOT EXISTS {JOURNAL_TABLE} (tx VARCHAR PRIMARY KEY, payload VARCHAR)"
)
_INIT_PREFIX = ".init-"
_AUDIT_KEYS = ("audit_head", "audit_pending")

#: the operation running on each case database in this process (by real path), so that every
#: CaseStore object of that case reads and writes through its one connection
_ACTIVE: dict[str, Operation] = {}


_P = ParamSpec("_P")
_R = TypeVar("_R")


def writes(
    command: str, *, operation: str, external_access: bool = False
) -> Callable[[Callable[Concatenate[CaseStore, _P], _R]], Callable[Concatenate[CaseStore, _P], _R]]:
    """Decorate a library entry point ``fn(store, ...)`` that changes the case: it joins the
    caller's operation (``store.within``), or runs as an operation of its own."""

    def wrap(
        fn: Callable[Concatenate[CaseStore, _P], _R],
    ) -> Callable[Concatenate[CaseStore, _P], _R]:
        @functools.wraps(fn)
        def run(store: CaseStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            with store.within(command, operation=operation, external_access=external_access):
                return fn(store, *args, **kwargs)

        return run

    return wrap


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _init_leftovers(path: Path) -> list[Path]:
    """Folders an interrupted ``init`` of ``path`` left beside it."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return []
    return sorted(parent.glob(f".{path.name}{_INIT_PREFIX}*"))


class CaseStore:
    """A case on disk. Create one with :meth:`init`, open one with :meth:`open`; change it only
    inside :meth:`operation`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_FILE
        self.manifest_path = path / MANIFEST_FILE
        self.lock = CaseLock(path)
        self.audit = AuditLog(path / AUDIT_FILE, read_head=self._read_head, commit=self._commit)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def init(
        cls, path: Path | str, *, name: str | None = None, actor: str | None = None
    ) -> CaseStore:
        """Create a new case directory (it must not exist or be empty), audited as ``init``.

        The case is assembled in a hidden folder beside ``path`` and renamed into place, so a
        killed ``init`` leaves no half-made case; its leftover folder is removed by the next
        ``init`` of the same path.
        """
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise CaseError(f"{path} already exists and is not an empty directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        for leftover in _init_leftovers(path):
            log.warning("removed %s, left by an interrupted `graphkit init`", leftover.name)
            shutil.rmtree(leftover, ignore_errors=True)
        staging = path.parent / f".{path.name}{_INIT_PREFIX}{uuid.uuid4().hex[:8]}"
        staging.mkdir()
        try:
            (staging / "models").mkdir()
            manifest = {
                "format": MANIFEST_FORMAT,
                "case_id": uuid.uuid4().hex,
                "name": name or path.resolve().name,
                "created_at": _now(),
                "graphkit_version": __version__,
                "sources": {},
                "stages": {},
                "models": {},
                "audit_head": None,
            }
            _write_atomic(staging / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
            con = duckdb.connect(str(staging / DB_FILE))
            try:
                for n in NODES:
                    con.execute(node_ddl(n))
                for r in RELATIONSHIPS:
                    con.execute(relationship_ddl(r))
                con.execute(_JOURNAL_DDL)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            staged = cls(staging)
            staged.lock.acquire()
            try:
                staged.audit.append(
                    command="init",
                    operation="collection",
                    detail={"case_id": manifest["case_id"], "name": manifest["name"]},
                    actor=actor,
                )
            finally:
                staged.lock.release()
            (staging / LOCK_FILE).unlink(missing_ok=True)
            try:
                os.rename(staging, path)  # replaces an empty directory, refuses a full one
            except OSError as exc:
                raise CaseError(f"{path} already exists and is not an empty directory") from exc
            _fsync_dir(path.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return cls(path)

    @classmethod
    def open(cls, path: Path | str) -> CaseStore:
        """Open an existing case; raises CaseError when ``path`` is not a case directory."""
        path = Path(path)
        if not path.is_dir():
            hint = ""
            if _init_leftovers(path):
                hint = "; an interrupted `graphkit init` was found: run it again"
            raise CaseError(
                f"case directory {path} does not exist (create it with `graphkit init`){hint}"
            )
        if not (path / MANIFEST_FILE).is_file() or not (path / DB_FILE).is_file():
            raise CaseError(f"{path} is not a graphkit case (no {MANIFEST_FILE} / {DB_FILE})")
        store = cls(path)
        fmt = store.manifest.get("format")
        if fmt != MANIFEST_FORMAT:
            raise CaseError(f"{path}: unsupported manifest format {fmt!r}")
        return store

    # -- connections -----------------------------------------------------------------------
    @property
    def _key(self) -> str:
        return os.path.realpath(self.db_path)

    def active(self) -> Operation | None:
        """The operation running on this case in this process, if any."""
        return _ACTIVE.get(self._key)

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection to the case, session time zone UTC.

        Inside an :meth:`operation` this is the operation's own connection (its transaction,
        whatever ``read_only`` says). Outside one the connection is always read-only: writes
        go through :meth:`operation`.
        """
        op = self.active()
        if op is not None:
            yield op.con
            return
        con = self._open(read_only=True)
        try:
            yield con
        finally:
            con.close()

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        try:
            con = duckdb.connect(str(self.db_path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            raise CaseError(f"cannot open {self.db_path}: {_one_line(exc)}") from exc
        con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on stdout for a query over 2 s, which would break
        # --json output (seen from the sensitivity's re-runs in worker processes under load)
        con.execute("SET enable_progress_bar = false")
        return con

    # -- the one write path ----------------------------------------------------------------
    @contextlib.contextmanager
    def operation(
        self,
        command: str,
        *,
        operation: str,
        inputs: dict[str, str] | None = None,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
        intent: bool | None = None,
        external_access: bool = False,
    ) -> Iterator[Operation]:
        """Run one audited change (or audited read) of the case; see the module docstring.

        The connection is locked down (:func:`graphkit.sqlsafety.lock_down`: no file, network
        or extension access, settings frozen) unless ``external_access``: only ingest (which
        reads the source file through DuckDB) and export-neo4j-import (which writes CSV with
        ``COPY``) need it.

        ``operation`` is the audit class (collection, combination, consultation, disclosure,
        alteration, erasure). ``intent`` (default: every class but consultation) writes the
        ``started`` entry first; a consultation only writes its outcome. On an exception
        nothing is kept and a ``failure`` entry records the error; the exception propagates.
        """
        if self.active() is not None:
            raise CaseError(f"internal error: {command} started inside another operation")
        self.lock.acquire()
        try:
            con = self._open(read_only=False)
            try:
                if not external_access:
                    lock_down(con)
                self._recover(con)
                yield from self._run(
                    con, command, operation, inputs or {}, dict(detail or {}), actor, intent
                )
            finally:
                con.close()
        finally:
            self.lock.release()

    @contextlib.contextmanager
    def within(
        self, command: str, *, operation: str, external_access: bool = False
    ) -> Iterator[Operation]:
        """The running operation, or a new one: what a library entry point that writes uses,
        so it joins its caller's operation (the CLI's) or, called alone, is one by itself."""
        op = self.active()
        if op is not None:
            yield op
            return
        with self.operation(command, operation=operation, external_access=external_access) as new:
            yield new

    def _run(
        self,
        con: duckdb.DuckDBPyConnection,
        command: str,
        operation: str,
        inputs: dict[str, str],
        detail: dict[str, Any],
        actor: str | None,
        intent: bool | None,
    ) -> Iterator[Operation]:
        tx = uuid.uuid4().hex[:16]
        op = Operation(
            tx=tx,
            command=command,
            operation=operation,
            con=con,
            protected=self._protected(),
            case_dir=self.path,
            pending_list=self.path / f".pending-{tx}",
            detail=detail,
        )
        if intent if intent is not None else operation != "consultation":
            self.audit.append(
                command=command,
                operation=operation,
                inputs=inputs,
                outcome="started",
                detail={"tx": tx},
                actor=actor,
            )
        con.execute("BEGIN TRANSACTION")
        _ACTIVE[self._key] = op
        try:
            yield op
            entry = {
                "command": command,
                "operation": operation,
                "inputs": inputs,
                "outputs": op.outputs,
                "outcome": "success",
                "detail": {**op.detail, "tx": tx},
                "actor": actor,
            }
            payload = json.loads(
                json.dumps({"entry": entry, "ops": op.ops, "files": op.files}, default=str)
            )
            # the journal table exists: _recover created it before this operation began
            con.execute(f"INSERT INTO {JOURNAL_TABLE} VALUES (?, ?)", [tx, json.dumps(payload)])
            con.execute("COMMIT")  # the commit point
        except BaseException as exc:
            _ACTIVE.pop(self._key, None)
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            self._remove_partials(tx)
            self.audit.append(
                command=command,
                operation=operation,
                inputs=inputs,
                outputs=op.outputs,
                outcome="failure",
                detail={**op.detail, "tx": tx, "error": _one_line(exc)},
                actor=actor,
            )
            raise
        _ACTIVE.pop(self._key, None)
        self._apply(con, tx, payload)

    def _protected(self) -> tuple[Path, ...]:
        names = (DB_FILE, f"{DB_FILE}.wal", MANIFEST_FILE, AUDIT_FILE, LOCK_FILE)
        return tuple(Path(os.path.realpath(self.path / n)) for n in names)

    def _apply(self, con: duckdb.DuckDBPyConnection, tx: str, payload: dict[str, Any]) -> None:
        """Make a committed operation visible: files, outcome entry with manifest, journal."""
        for tmp, final in payload["files"]:
            if os.path.exists(tmp):
                os.replace(tmp, final)
                _fsync_dir(Path(final).parent)
        if not self._outcome_logged(tx):
            self.audit.append(**payload["entry"], manifest_ops=payload["ops"])
        con.execute(f"DELETE FROM {JOURNAL_TABLE} WHERE tx = ?", [tx])
        (self.path / f".pending-{tx}").unlink(missing_ok=True)

    def _outcome_logged(self, tx: str) -> bool:
        return any(
            e.get("outcome") != "started" and (e.get("detail") or {}).get("tx") == tx
            for e in reversed(self.audit.entries())
        )

    def _remove_partials(self, tx: str) -> None:
        listing = self.path / f".pending-{tx}"
        if listing.exists():
            for line in listing.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    Path(line).unlink(missing_ok=True)
            listing.unlink()

    def recover(self) -> None:
        """Finish what a killed command left and check the audit chain (TamperError when
        broken); what every command does before it reads or writes. Takes the case lock."""
        if self.active() is not None:
            return
        self.lock.acquire()
        try:
            con = self._open(read_only=False)
            try:
                self._recover(con)
            finally:
                con.close()
        finally:
            self.lock.release()

    def _recover(self, con: duckdb.DuckDBPyConnection) -> None:
        """Finish what a killed command left, after checking the audit chain (under the lock)."""
        self._finish_pending_entry()
        result = self.audit.verify()
        if not result.ok:
            raise TamperError(
                f"audit log tampered at line {result.first_bad_line}: {result.reason}; "
                "nothing was changed (see `graphkit audit verify`)"
            )
        con.execute(_JOURNAL_DDL)
        for tx, payload in con.execute(f"SELECT tx, payload FROM {JOURNAL_TABLE}").fetchall():
            data = json.loads(payload)
            log.warning(
                "completed an interrupted `%s` (%s) that had committed",
                data["entry"]["command"],
                tx,
            )
            self._apply(con, str(tx), data)
        entries = self.audit.entries()
        ended = {
            (e.get("detail") or {}).get("tx") for e in entries if e.get("outcome") != "started"
        }
        for e in entries:
            tx = (e.get("detail") or {}).get("tx")
            if e.get("outcome") != "started" or tx in ended:
                continue
            self._remove_partials(str(tx))
            self.audit.append(
                command=str(e["command"]),
                operation=str(e["operation"]),
                inputs=e.get("inputs") or {},
                outcome="interrupted",
                detail={
                    "tx": tx,
                    "started_at": e.get("timestamp"),
                    "note": "stopped before it committed; none of its changes were kept",
                },
            )
            log.warning(
                "`%s` started at %s was interrupted before it committed: nothing of it was "
                "kept (recorded in the audit log)",
                e["command"],
                e.get("timestamp"),
            )

    # -- manifest and audit head -----------------------------------------------------------
    def _disk_manifest(self) -> dict[str, Any]:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseError(f"cannot read {self.manifest_path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CaseError(f"{self.manifest_path} is not a manifest")
        return data

    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict (a fresh copy), with the running operation's changes."""
        data = self._disk_manifest()
        op = self.active()
        return apply_ops(data, op.ops) if op is not None else data

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        if not self.lock.held:
            raise CaseError("internal error: the manifest is written only under the case lock")
        _write_atomic(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True))

    def _read_head(self) -> dict[str, Any] | None:
        head = self._disk_manifest().get("audit_head")
        return head if isinstance(head, dict) else None

    def _commit(self, entry: dict[str, Any], write_line: Any, ops: Sequence[ManifestOp]) -> None:
        """Move the audit head to ``entry`` with ``ops``, in two manifest writes."""
        if not self.lock.held:  # a direct append: hold the lock for its steps
            self.lock.acquire()
            try:
                self._commit(entry, write_line, ops)
            finally:
                self.lock.release()
            return
        manifest = self._disk_manifest()
        manifest["audit_pending"] = {"entry": entry, "ops": list(ops)}
        self._write_manifest(manifest)
        write_line()
        self._finish_pending_entry()

    def _finish_pending_entry(self) -> None:
        """Complete a recorded head move: append the line if missing, then move the head."""
        manifest = self._disk_manifest()
        pending = manifest.get("audit_pending")
        if not pending:
            return
        entry = pending["entry"]
        line = entry_line(entry)
        text = self.audit.path.read_text(encoding="utf-8") if self.audit.path.exists() else ""
        if not text.endswith(line):
            head = manifest.get("audit_head")
            cut = _end_of_head(text, head)
            if cut is None or not line.startswith(text[cut:]):
                raise TamperError(
                    "audit log tampered: it matches neither the manifest's head nor the entry "
                    "being written; nothing was changed (see `graphkit audit verify`)"
                )
            with self.audit.path.open("r+", encoding="utf-8") as fh:
                fh.seek(0, os.SEEK_SET)
                fh.truncate(len(text[:cut].encode("utf-8")))
            self.audit.write_line(entry)
        apply_ops(manifest, pending.get("ops") or [])
        manifest["audit_head"] = {"seq": entry["seq"], "hash": entry["hash"]}
        manifest.pop("audit_pending", None)
        self._write_manifest(manifest)

    def finish_pending_entry(self) -> None:
        """Complete an audit entry a killed command recorded but did not finish (locked)."""
        self.lock.acquire()
        try:
            self._finish_pending_entry()
        finally:
            self.lock.release()

    def manifest_sha256(self) -> str:
        """Hash of the manifest's content (canonical JSON), embedded in reports and exports.

        The audit head is left out: it moves with every audited command (reading included),
        while this hash names the state of the case's sources, stages and models.
        """
        content = {k: v for k, v in self.manifest.items() if k not in _AUDIT_KEYS}
        return sha256_bytes(canonical_json(content).encode("utf-8"))

    @property
    def case_id(self) -> str:
        return str(self.manifest["case_id"])

    def active_operation(self) -> Operation:
        """The running operation (CaseError when none: writes go through :meth:`operation`)."""
        op = self.active()
        if op is None:
            raise CaseError("internal error: case writes go through store.operation()")
        return op

    def record_stage(self, name: str, *, settings: dict[str, Any], summary: dict[str, Any]) -> None:
        """Mark stage ``name`` as run, with its settings and summary (at the commit)."""
        op = self.active_operation()
        op.set_manifest(
            ["stages", name],
            {
                "ran_at": _now(),
                "graphkit_version": __version__,
                "settings": settings,
                "summary": summary,
                "tx": op.tx,
            },
        )

    def drop_stage(self, name: str) -> None:
        """Forget the record of stage ``name`` (its results were replaced)."""
        self.active_operation().drop_manifest(["stages", name])

    def set_source(self, name: str, entry: dict[str, Any]) -> None:
        """Record source ``name`` (hash, counts, status) at the commit."""
        op = self.active_operation()
        op.set_manifest(["sources", name], {**entry, "tx": op.tx})

    def set_model(self, name: str, *, path: str, sha256: str, **extra: Any) -> None:
        """Record a model file saved with the case (path relative to the case) and its hash."""
        op = self.active_operation()
        op.set_manifest(
            ["models", name],
            {"path": path, "sha256": sha256, "saved_at": _now(), "tx": op.tx, **extra},
        )

    def stage(self, name: str) -> dict[str, Any] | None:
        """The manifest record of a stage, or None if it has not run."""
        stages = self.manifest.get("stages", {})
        value = stages.get(name)
        return value if isinstance(value, dict) else None

    def table_exists(self, con: duckdb.DuckDBPyConnection, table: str) -> bool:
        # fetchall: a fetchone leaves the result open, which DuckDB 2 holds against the next
        # register() on the connection
        rows = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchall()
        return bool(rows and rows[0][0])

    def scratch_copy(self, dest: Path) -> CaseStore:
        """A throw-away copy of the case's tables and manifest at ``dest`` (no audit history),
        for re-running stages on it (the ER sensitivity)."""
        dest.mkdir(parents=True)
        shutil.copy2(self.db_path, dest / DB_FILE)
        wal = self.path / f"{DB_FILE}.wal"
        if wal.exists():
            shutil.copy2(wal, dest / f"{DB_FILE}.wal")
        (dest / "models").mkdir()
        manifest = self.manifest
        manifest["audit_head"] = None
        manifest.pop("audit_pending", None)
        _write_atomic(dest / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
        return CaseStore(dest)


def _end_of_head(text: str, head: dict[str, Any] | None) -> int | None:
    """Offset just after the head entry's line in ``text`` (0 for no head), or None."""
    if head is None:
        return 0
    lines = text.splitlines(keepends=True)
    offset = 0
    for line in lines:
        offset += len(line)
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            return None
        if isinstance(entry, dict) and entry.get("hash") == head.get("hash"):
            return offset if line.endswith("\n") else None
    return None
