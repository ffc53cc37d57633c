"""The case store: one directory per case with a DuckDB file, a manifest and an audit log.

Layout of a case directory::

    CASE_DIR/
      case.duckdb      every table of the case (staging, knowledge graph, analytics)
      manifest.json    sources with hashes and row counts, stages run, models, audit head
      audit.jsonl      hash-chained audit log (graphkit.audit)
      models/          trained models saved with the case
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from graphkit import __version__
from graphkit.audit import AuditLog, canonical_json, sha256_bytes
from graphkit.errors import CaseError
from graphkit.model import NODES, RELATIONSHIPS, node_ddl, relationship_ddl

__all__ = ["CaseStore"]

DB_FILE = "case.duckdb"
MANIFEST_FILE = "manifest.json"
AUDIT_FILE = "audit.jsonl"
MANIFEST_FORMAT = 1


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


class CaseStore:
    """A case on disk. Create one with :meth:`init`, open one with :meth:`open`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db_path = path / DB_FILE
        self.manifest_path = path / MANIFEST_FILE
        self.audit = AuditLog(
            path / AUDIT_FILE,
            read_head=lambda: self.manifest.get("audit_head"),
            write_head=self._write_audit_head,
        )

    def _write_audit_head(self, head: dict[str, Any]) -> None:
        self.update_manifest(lambda m: m.__setitem__("audit_head", head))

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: Path | str, *, name: str | None = None) -> CaseStore:
        """Create a new case directory (it must not exist or be empty)."""
        path = Path(path)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise CaseError(f"{path} already exists and is not an empty directory")
        path.mkdir(parents=True, exist_ok=True)
        (path / "models").mkdir(exist_ok=True)
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
        _write_atomic(path / MANIFEST_FILE, json.dumps(manifest, indent=2, sort_keys=True))
        store = cls(path)
        with store.connect() as con:
            store._create_model_tables(con)
        return store

    @classmethod
    def open(cls, path: Path | str) -> CaseStore:
        """Open an existing case; raises CaseError when ``path`` is not a case directory."""
        path = Path(path)
        if not path.is_dir():
            raise CaseError(
                f"case directory {path} does not exist (create it with `graphkit init`)"
            )
        if not (path / MANIFEST_FILE).is_file() or not (path / DB_FILE).is_file():
            raise CaseError(f"{path} is not a graphkit case (no {MANIFEST_FILE} / {DB_FILE})")
        store = cls(path)
        fmt = store.manifest.get("format")
        if fmt != MANIFEST_FORMAT:
            raise CaseError(f"{path}: unsupported manifest format {fmt!r}")
        return store

    @contextlib.contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection to the case file with the session time zone set to UTC."""
        try:
            con = duckdb.connect(str(self.db_path), read_only=read_only)
        except duckdb.IOException as exc:
            raise CaseError(f"cannot open {self.db_path}: {exc}".splitlines()[0]) from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def _create_model_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        for n in NODES:
            con.execute(node_ddl(n))
        for r in RELATIONSHIPS:
            con.execute(relationship_ddl(r))

    # -- manifest --------------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        """The manifest as a dict (a fresh copy read from disk)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseError(f"cannot read {self.manifest_path}: {exc}") from exc
        if not isinstance(data, dict):
            raise CaseError(f"{self.manifest_path} is not a manifest")
        return data

    def update_manifest(self, change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        """Apply ``change`` to the manifest and write it back atomically."""
        manifest = self.manifest
        change(manifest)
        _write_atomic(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True))
        return manifest

    def manifest_sha256(self) -> str:
        """Hash of the manifest's content (canonical JSON), embedded in reports and exports."""
        return sha256_bytes(canonical_json(self.manifest).encode("utf-8"))

    @property
    def case_id(self) -> str:
        return str(self.manifest["case_id"])

    def record_stage(self, name: str, *, settings: dict[str, Any], summary: dict[str, Any]) -> None:
        """Mark stage ``name`` as run, with the settings used and a summary of its results."""

        def change(m: dict[str, Any]) -> None:
            m.setdefault("stages", {})[name] = {
                "ran_at": _now(),
                "graphkit_version": __version__,
                "settings": settings,
                "summary": summary,
            }

        self.update_manifest(change)

    def set_model(self, name: str, *, path: str, sha256: str, **extra: Any) -> None:
        """Record a model file saved with the case (path relative to the case) and its hash."""

        def change(m: dict[str, Any]) -> None:
            m.setdefault("models", {})[name] = {
                "path": path,
                "sha256": sha256,
                "saved_at": _now(),
                **extra,
            }

        self.update_manifest(change)

    def stage(self, name: str) -> dict[str, Any] | None:
        """The manifest record of a stage, or None if it has not run."""
        stages = self.manifest.get("stages", {})
        value = stages.get(name)
        return value if isinstance(value, dict) else None

    def table_exists(self, con: duckdb.DuckDBPyConnection, table: str) -> bool:
        row = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
        ).fetchone()
        return bool(row and row[0])
