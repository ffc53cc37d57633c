"""Append-only, hash-chained audit log of a case.

Each entry is one JSON line holding the SHA-256 of the previous entry (``prev_hash``) and its own
hash over its canonical JSON form. The hash and sequence number of the last entry (the *head*)
are also kept in the case manifest, so truncating the log is detected as well as editing,
deleting, reordering or inserting entries.

The chain proves integrity against accidental or naive edits; someone who can rewrite both the
log and the manifest can forge a consistent history. Keep copies of audit heads (they are printed
by ``graphkit audit verify``) outside the case where that matters.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphkit.errors import AuditError, GraphkitError

__all__ = [
    "OPERATIONS",
    "AuditEntry",
    "AuditLog",
    "VerifyResult",
    "audited",
    "canonical_json",
    "default_actor",
    "sha256_bytes",
    "sha256_file",
]

OPERATIONS = (
    "collection",
    "combination",
    "consultation",
    "disclosure",
    "alteration",
    "erasure",
)
GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, *, chunk_bytes: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def default_actor() -> str:
    """The acting person: $GRAPHKIT_ACTOR, else the OS user."""
    actor = os.environ.get("GRAPHKIT_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def _entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return sha256_bytes(canonical_json(body).encode("utf-8"))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of verifying a log: ``ok`` and, if broken, the first bad entry and why."""

    ok: bool
    entries: int
    head_hash: str
    first_bad_line: int | None = None
    reason: str | None = None


class AuditLog:
    """The audit log file of a case.

    ``read_head`` / ``write_head`` store the head outside the log (the case manifest).
    """

    def __init__(
        self,
        path: Path,
        *,
        read_head: Callable[[], dict[str, Any] | None],
        write_head: Callable[[dict[str, Any]], None],
    ) -> None:
        self.path = path
        self._read_head = read_head
        self._write_head = write_head

    def append(
        self,
        *,
        command: str,
        operation: str,
        inputs: dict[str, str] | None = None,
        outputs: dict[str, str] | None = None,
        outcome: str = "success",
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Append one entry and move the head. Returns the entry written."""
        if operation not in OPERATIONS:
            raise GraphkitError(f"unknown audit operation {operation!r}; one of {OPERATIONS}")
        if outcome not in ("success", "failure"):
            raise GraphkitError(f"audit outcome must be success or failure, not {outcome!r}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                fh.seek(0)
                last = _last_entry(fh.read())
                entry: dict[str, Any] = {
                    "seq": 0 if last is None else int(last["seq"]) + 1,
                    "timestamp": datetime.now(UTC).isoformat(timespec="microseconds"),
                    "actor": actor or default_actor(),
                    "command": command,
                    "operation": operation,
                    "inputs": dict(inputs or {}),
                    "outputs": dict(outputs or {}),
                    "outcome": outcome,
                    "detail": dict(detail or {}),
                    "prev_hash": GENESIS if last is None else str(last["hash"]),
                }
                entry["hash"] = _entry_hash(entry)
                fh.seek(0, os.SEEK_END)
                fh.write(canonical_json(entry) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head({"seq": entry["seq"], "hash": entry["hash"]})
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """All entries, parsed (raises AuditError on a line that is not JSON)."""
        if not self.path.exists():
            return []
        out = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise AuditError(f"audit log line {n} is not valid JSON") from exc
        return out

    def verify(self) -> VerifyResult:
        """Check the chain and the head; reports the first broken entry (1-based line)."""
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        prev = GENESIS
        lines = text.splitlines()
        for n, line in enumerate(lines, start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                return VerifyResult(False, len(lines), prev, n, "not valid JSON")
            if not isinstance(entry, dict):
                return VerifyResult(False, len(lines), prev, n, "not an audit entry")
            if entry.get("seq") != n - 1:
                return VerifyResult(
                    False,
                    len(lines),
                    prev,
                    n,
                    f"sequence number {entry.get('seq')!r}, expected {n - 1} "
                    "(entry deleted, inserted or moved)",
                )
            if entry.get("prev_hash") != prev:
                return VerifyResult(
                    False, len(lines), prev, n, "previous-hash link broken (entry removed or moved)"
                )
            if entry.get("hash") != _entry_hash(entry):
                return VerifyResult(False, len(lines), prev, n, "content does not match its hash")
            prev = str(entry["hash"])
        head = self._read_head()
        count = len(lines)
        if head is None:
            if count:
                return VerifyResult(False, count, prev, count, "no head recorded in the manifest")
            return VerifyResult(True, 0, prev)
        if head.get("seq") != count - 1 or head.get("hash") != prev:
            return VerifyResult(
                False,
                count,
                prev,
                count + 1 if count - 1 < int(head.get("seq", -1)) else count,
                f"log ends at entry {count - 1} but the manifest head is entry "
                f"{head.get('seq')} (entries truncated or head edited)",
            )
        return VerifyResult(True, count, prev)


def _last_entry(text: str) -> dict[str, Any] | None:
    stripped = text.rstrip("\n")
    if not stripped:
        return None
    last_line = stripped.rsplit("\n", 1)[-1]
    try:
        entry = json.loads(last_line)
    except json.JSONDecodeError as exc:
        raise AuditError("the audit log's last line is not valid JSON; run `audit verify`") from exc
    if not isinstance(entry, dict):
        raise AuditError("the audit log's last line is not an audit entry; run `audit verify`")
    return entry


@dataclass
class AuditEntry:
    """Filled in by the audited work while it runs; written when it ends."""

    outputs: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)


@contextlib.contextmanager
def audited(
    log: AuditLog,
    *,
    command: str,
    operation: str,
    inputs: dict[str, str] | None = None,
    detail: dict[str, Any] | None = None,
    actor: str | None = None,
) -> Iterator[AuditEntry]:
    """Audit the enclosed work: success with its outputs, or failure with the error."""
    entry = AuditEntry(detail=dict(detail or {}))
    try:
        yield entry
    except BaseException as exc:
        log.append(
            command=command,
            operation=operation,
            inputs=inputs,
            outputs=entry.outputs,
            outcome="failure",
            detail={**entry.detail, "error": str(exc) or type(exc).__name__},
            actor=actor,
        )
        raise
    log.append(
        command=command,
        operation=operation,
        inputs=inputs,
        outputs=entry.outputs,
        outcome="success",
        detail=entry.detail,
        actor=actor,
    )
