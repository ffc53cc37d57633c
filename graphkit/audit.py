"""Append-only, hash-chained audit log of a case.

Each entry is one JSON line holding the SHA-256 of the previous entry (``prev_hash``) and its own
hash over its canonical JSON form. The hash and sequence number of the last entry (the *head*)
are also kept in the case manifest, so truncating the log is detected as well as editing,
deleting, reordering or inserting entries.

Entries are written by the case store's one write path (:meth:`graphkit.store.CaseStore.operation`):
before a line is appended the whole chain is verified and its last entry must equal the head,
otherwise :class:`TamperError` stops the command and nothing heals the log. The head moves in
two steps (the entry is first recorded as ``audit_pending`` in the manifest, then the line is
appended, then the head moves), so a crash between the two files is completed by the next
command instead of being mistaken for tampering.

The chain proves integrity against accidental or naive edits; someone who can rewrite both the
log and the manifest can forge a consistent history. Keep copies of audit heads (``graphkit audit
head``) outside the case where that matters.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphkit.errors import AuditError, GraphkitError

__all__ = [
    "OPERATIONS",
    "OUTCOMES",
    "AuditLog",
    "TamperError",
    "VerifyResult",
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
#: ``started``: the intent entry a change writes before it does anything; ``success`` /
#: ``failure``: how it ended; ``interrupted``: written by the next command for a change that was
#: killed before it committed (nothing of it was kept).
OUTCOMES = ("started", "success", "failure", "interrupted")
GENESIS = "0" * 64


class TamperError(AuditError):
    """The audit log does not match its head: edited, truncated or extended outside graphkit.

    A user-facing refusal (exit 2): the command stops before it changes anything.
    """

    exit_code = 2


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


#: ``commit(entry, write_line, manifest_ops)``: record ``entry`` as pending in the manifest, call
#: ``write_line()``, then move the head and apply ``manifest_ops`` in one manifest write.
Commit = Callable[[dict[str, Any], Callable[[], None], Sequence[Any]], None]


class AuditLog:
    """The audit log file of a case.

    ``read_head`` returns the head kept outside the log (the case manifest); ``commit`` writes
    a new entry with the manifest's two-step protocol (see the module docstring). The case
    store supplies both and holds the case lock around every append.
    """

    def __init__(
        self,
        path: Path,
        *,
        read_head: Callable[[], dict[str, Any] | None],
        commit: Commit,
    ) -> None:
        self.path = path
        self._read_head = read_head
        self._commit = commit

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
        manifest_ops: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """Append one entry and move the head (with ``manifest_ops``). Returns the entry.

        Raises :class:`TamperError` when the log's last entry is not the manifest's head.
        """
        if operation not in OPERATIONS:
            raise GraphkitError(f"unknown audit operation {operation!r}; one of {OPERATIONS}")
        if outcome not in OUTCOMES:
            raise GraphkitError(f"audit outcome must be one of {OUTCOMES}, not {outcome!r}")
        last = self.check_tail()
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
        self._commit(entry, lambda: self.write_line(entry), manifest_ops)
        return entry

    def write_line(self, entry: dict[str, Any]) -> None:
        """Append ``entry`` as one line and flush it to disk (the caller holds the lock)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(entry_line(entry))
            fh.flush()
            os.fsync(fh.fileno())

    def check_tail(self) -> dict[str, Any] | None:
        """The log's last entry, after checking it is the manifest's head (TamperError)."""
        text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        last = _last_entry(text)
        head = self._read_head()
        if last is None and head is None:
            return None
        if (
            last is None
            or head is None
            or last.get("seq") != head.get("seq")
            or last.get("hash") != head.get("hash")
        ):
            seen = "no entries" if last is None else f"entry {last.get('seq')}"
            wanted = "no head" if head is None else f"entry {head.get('seq')}"
            raise TamperError(
                f"audit log tampered: it ends at {seen} but the manifest's head is {wanted}; "
                "nothing was changed (see `graphkit audit verify`)"
            )
        return last

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


def entry_line(entry: dict[str, Any]) -> str:
    """The line an entry is stored as (canonical JSON and a newline)."""
    return canonical_json(entry) + "\n"


def _last_entry(text: str) -> dict[str, Any] | None:
    stripped = text.rstrip("\n")
    if not stripped:
        return None
    last_line = stripped.rsplit("\n", 1)[-1]
    try:
        entry = json.loads(last_line)
    except json.JSONDecodeError as exc:
        raise TamperError(
            "audit log tampered: its last line is not valid JSON; nothing was changed "
            "(see `graphkit audit verify`)"
        ) from exc
    if not isinstance(entry, dict):
        raise TamperError(
            "audit log tampered: its last line is not an audit entry; nothing was changed "
            "(see `graphkit audit verify`)"
        )
    return entry
