"""Safe file writing for exports: checked targets, atomic writes, neutralised CSV cells.

An export goes into the directory its ``out`` setting names; a target whose path climbs out of it
(``..``), passes through or is a symbolic link, lies inside the case directory, or already
exists (without ``force``) is refused before anything is written. Each file is written to a
temporary file in the same directory, flushed to disk and renamed over the target, so a reader
never sees half a file and a failed export leaves nothing behind. Files that must be created
once and never replaced (the case's pseudonymisation key) are linked into place instead
(:func:`create_once`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from graphkit.settings import SettingsError

__all__ = ["FORMULA_PREFIXES", "check_target", "create_once", "neutralise_cell", "write_atomic"]

# Cells starting with these are run as formulas by spreadsheet programs (OWASP "CSV Injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# A signed plain number or phone (``+447700900123``, ``-5``, ``+44 7700 900.123``) is data, not a
# formula: prefixing it with ``'`` would break joins on phone numbers. So is a list of them as
# the exports join lists (``+447700900123; +447700900124``): digits, signs, spaces, dots and
# semicolons name no function and no cell, so a spreadsheet has nothing to run.
_NUMBER = r"[+-]?[0-9][0-9 .]*"
_PLAIN_NUMBER = re.compile(rf"{_NUMBER}(?:; {_NUMBER})*")


def neutralise_cell(value: str) -> str:
    """Prefix a text cell that a spreadsheet would run as a formula with a single quote.

    The check is made on the cell's NFKC form (fullwidth ``＝ ＋ － ＠`` are read as ``= + - @``
    by spreadsheets) after leading spaces: a cell starting with a tab or carriage return, or
    with ``=`` or ``@``, is neutralised; one starting with ``+`` or ``-`` is neutralised unless it
    is a plain number or E.164 phone, or a ``"; "``-separated list of them (an actor's phones).
    Everything else is returned unchanged.
    """
    folded = unicodedata.normalize("NFKC", value)
    if folded.startswith(("\t", "\r")):
        return "'" + value
    head = folded.lstrip()
    if head.startswith(("\t", "\r", "=", "@")):
        return "'" + value
    if head.startswith(("+", "-")) and not _PLAIN_NUMBER.fullmatch(head.rstrip()):
        return "'" + value
    return value


def _has_symlink(path: Path) -> Path | None:
    """The first existing component of ``path`` (absolute) that is a symbolic link."""
    current = Path(path.anchor)
    for part in path.parts[1:]:
        current = current / part
        if current.is_symlink():
            return current
        if not current.exists():
            return None
    return None


def check_target(
    path: Path, *, case_dir: Path | None = None, force: bool = False, field: str = "out"
) -> Path:
    """The absolute target for ``path`` after the safety checks.

    Refused (:class:`SettingsError` naming ``field``, the setting that gave ``path``): names
    with ``..``; any symbolic link on the way (the target itself included); a target inside
    ``case_dir``; a directory; an existing file unless ``force``; a missing parent directory.
    """

    def refuse(problem: str) -> SettingsError:
        return SettingsError(field, f"{path}{problem}")

    if not str(path) or path.name in ("", ".", ".."):
        raise refuse(" does not name a file")
    if ".." in path.parts:
        raise refuse(": '..' in an output path is refused")
    target = Path(os.path.abspath(path))
    link = _has_symlink(target)
    if link is not None:
        raise refuse(f": {link} is a symbolic link; refusing to follow it")
    if not target.parent.is_dir():
        raise refuse(f": directory {target.parent} does not exist")
    if case_dir is not None:
        case = Path(os.path.realpath(case_dir))
        if target == case or case in target.parents:
            raise refuse(": files may not be written inside the case directory")
    if target.exists() or target.is_symlink():
        if target.is_dir():
            raise refuse(" is a directory")
        if not force:
            raise refuse(" exists; use `force` to replace it")
    return target


def write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=".graphkit-export-", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# link(2) errors that mean "this file system has no hard links" (FAT, some network shares)
_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK}


def create_once(target: Path, data: bytes, *, mode: int = 0o600) -> bool:
    """Create ``target`` holding ``data`` unless it exists; True when this call created it.

    The bytes go to a temporary file beside the target (``mode`` from its creation on), are
    flushed to disk, and the file is hard-linked to ``target``, which therefore appears whole or
    not at all: a process killed at any point leaves either no target or the complete one. Of
    concurrent callers exactly one creates it; the others get False and read the winner's
    file. Where the file system has no hard links, falls back to an exclusive create (``O_EXCL``),
    which keeps the one-winner rule but not the all-or-nothing one.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            return _create_exclusive(target, data, mode=mode)
        _fsync_directory(target.parent)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _create_exclusive(target: Path, data: bytes, *, mode: int) -> bool:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_directory(target.parent)
    return True


def _fsync_directory(path: Path) -> None:
    """Make a new directory entry durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data itself is synced
    finally:
        os.close(fd)
