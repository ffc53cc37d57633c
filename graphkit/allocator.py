"""Keep the C allocator from handing large blocks back to the OS after every use.

numpy, scipy and torch allocate many short-lived arrays of tens to hundreds of MB (candidate
pairs, dense pair matrices, decoder activations). glibc's malloc serves blocks above its
mmap threshold with a fresh ``mmap`` and unmaps them on free, so each reuse pays page faults
again: on the demo case `predict-links` spent 18.6 of its 63.1 CPU seconds in the kernel.
Raising the mmap threshold to glibc's maximum and keeping freed heap memory (trim threshold,
top pad) cut that to 5.4 s and the wall time from 46.8 s to 36.7 s, for a peak resident set
0.26 GB larger (2.62 to 2.88 GB); 2-core machine, same case, back to back. The same settings
as the ``MALLOC_*_`` environment variables that glibc documents (mallopt(3)); nothing happens
on other C libraries or systems.

One arena for every thread (``M_ARENA_MAX`` = 1, as ``MALLOC_ARENA_MAX=1``): a thread other
than the main one otherwise gets an arena of its own, whose heaps glibc maps in 64 MB pieces
and unmaps again as they empty, so the settings above do not hold there. `predict-links`
builds its lists in a worker thread beside the training; with ``MALLOC_ARENA_MAX=1`` in the
environment its system time fell from 5.5 to 3.3 s (session 12, docs/gnn.md "fifth round").
Set at start-up, before any thread has made an arena of its own: set later (from the stage,
just before its thread), it did not help.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["tune_allocator"]

logger = logging.getLogger(__name__)

# mallopt(3) parameters
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

_MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's ceiling on 64-bit systems
_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes a C int: about 2 GB
_TOP_PAD = 1024 * 1024 * 1024
_ARENA_MAX = 1

_done: list[bool] = []


def tune_allocator() -> bool:
    """Apply the settings once per process; True when glibc accepted them."""
    if _done:
        return _done[0]
    ok = False
    if sys.platform.startswith("linux"):
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
        except OSError:
            libc = None
        mallopt = getattr(libc, "mallopt", None)
        if mallopt is not None:
            mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            mallopt.restype = ctypes.c_int
            ok = all(
                mallopt(param, value) == 1
                for param, value in (
                    (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
                    (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
                    (_M_TOP_PAD, _TOP_PAD),
                    (_M_ARENA_MAX, _ARENA_MAX),
                )
            )
    logger.debug("allocator tuned: %s", ok)
    _done.append(ok)
    return ok
