"""One change to a case, in progress: what it writes, held back until it commits.

An :class:`Operation` is what :meth:`graphkit.store.CaseStore.operation` yields. It carries the
DuckDB connection (inside one transaction), the manifest changes (as plain, replayable
operations rather than functions, so a crash after the commit can replay them), the files to
rename into place, and the audit entry's outputs and detail. Nothing of it is visible until the
store commits it; see :mod:`graphkit.store.case` for the order of the steps.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from graphkit.audit import sha256_bytes
from graphkit.errors import InputError

__all__ = ["ManifestOp", "Operation", "apply_ops", "partial_name"]

#: ``["set", [key, ...], value]`` or ``["del", [key, ...]]``: one replayable manifest change
ManifestOp = list[Any]


def apply_ops(manifest: dict[str, Any], ops: list[ManifestOp]) -> dict[str, Any]:
    """Apply manifest operations in order (idempotent: replaying them gives the same result)."""
    for op in ops:
        verb, keys = op[0], list(op[1])
        node = manifest
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        if verb == "set":
            node[keys[-1]] = copy.deepcopy(op[2])
        elif verb == "del":
            node.pop(keys[-1], None)
        else:
            raise ValueError(f"unknown manifest operation {verb!r}")
    return manifest


def partial_name(target: Path, tx: str) -> Path:
    """Where ``target`` is written before its operation commits: a hidden name beside it."""
    return target.with_name(f".{target.name}.{tx}.partial")


@dataclass
class Operation:
    """A change in progress (see the module docstring). Create it with ``store.operation``."""

    tx: str
    command: str
    operation: str
    con: duckdb.DuckDBPyConnection
    protected: tuple[Path, ...]
    case_dir: Path
    pending_list: Path
    outputs: dict[str, str] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    ops: list[ManifestOp] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)

    # -- manifest --------------------------------------------------------------------------
    def set_manifest(self, keys: list[str], value: Any) -> None:
        """Set ``manifest[k0][k1]... = value`` when the operation commits."""
        self.ops.append(["set", list(keys), value])

    def drop_manifest(self, keys: list[str]) -> None:
        """Remove ``manifest[k0][k1]...`` when the operation commits."""
        self.ops.append(["del", list(keys)])

    # -- files -----------------------------------------------------------------------------
    def stage_file(self, target: Path, *, inside_case: bool = False) -> Path:
        """A temporary path to write ``target``'s content to; renamed into place at commit.

        ``target`` may never resolve (links followed) to a file of the case store itself: its
        database, manifest, audit log or lock. ``inside_case`` allows the case's own files
        (models); otherwise the case's ``models/`` folder is refused too.
        """
        final = Path(os.path.realpath(target))
        parent = final.parent
        refused = set(self.protected)
        if not inside_case:
            models = Path(os.path.realpath(self.case_dir / "models"))
            if final == models or models in final.parents:
                raise InputError(f"{target}: the case's models folder is not an output")
        if final in refused or any(p in final.parents for p in refused):
            raise InputError(f"{target} is a file of the case store; refusing to replace it")
        if final.name.startswith(".") and final.name.endswith(".partial"):
            raise InputError(f"{target}: names ending in .partial are graphkit's own")
        if not parent.is_dir():
            raise InputError(f"{target}: directory {parent} does not exist")
        tmp = partial_name(final, self.tx)
        # the list of partial files survives a crash, so the next command can remove them
        with self.pending_list.open("a", encoding="utf-8") as fh:
            fh.write(str(tmp) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self.files.append((str(tmp), str(final)))
        return tmp

    def write_file(self, target: Path, data: bytes, *, inside_case: bool = False) -> str:
        """Write ``data`` for ``target`` (renamed into place at commit); returns its SHA-256."""
        tmp = self.stage_file(target, inside_case=inside_case)
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        return sha256_bytes(data)
