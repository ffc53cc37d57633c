"""The case lock: one graphkit command at a time changes (or audits) a case.

An advisory ``flock`` on ``CASE_DIR/.lock``, held for the whole of an operation. The kernel
drops it when the process dies (kill -9 included), so a crash never leaves a stale lock. A
second command waits for it (``GRAPHKIT_LOCK_WAIT_S``, default 120 s) and then refuses with one
line. The lock is re-entrant within one :class:`CaseLock` object.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from pathlib import Path

from graphkit.errors import CaseError

__all__ = ["LOCK_FILE", "CaseLock", "lock_wait_s"]

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
_DEFAULT_WAIT_S = 120.0
_POLL_S = 0.05
_SAY_WAITING_AFTER_S = 2.0


def lock_wait_s() -> float:
    """Seconds a command waits for a busy case: ``$GRAPHKIT_LOCK_WAIT_S`` or 120."""
    raw = os.environ.get("GRAPHKIT_LOCK_WAIT_S")
    if raw is None:
        return _DEFAULT_WAIT_S
    try:
        value = float(raw)
    except ValueError:
        raise CaseError(f"GRAPHKIT_LOCK_WAIT_S must be a number of seconds, not {raw!r}") from None
    return max(value, 0.0)


class CaseLock:
    """The exclusive lock of one case directory."""

    def __init__(self, case_dir: Path) -> None:
        self.path = case_dir / LOCK_FILE
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        return self._depth > 0

    def acquire(self) -> None:
        """Take the lock, waiting up to :func:`lock_wait_s` (CaseError when it stays busy)."""
        if self._depth:
            self._depth += 1
            return
        wait_s = lock_wait_s()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CaseError(f"cannot open the case lock {self.path}: {exc.strerror}") from exc
        started = time.monotonic()
        said = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited >= wait_s:
                    os.close(fd)
                    raise CaseError(
                        f"case {self.path.parent} is busy: another graphkit command is using it "
                        f"(waited {waited:.0f} s; GRAPHKIT_LOCK_WAIT_S sets how long)"
                    ) from None
                if not said and waited >= _SAY_WAITING_AFTER_S:
                    log.warning("waiting for another graphkit command on this case to finish")
                    said = True
                time.sleep(_POLL_S)
        self._fd = fd
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
