"""A lock a test holds in one thread while the consensus runs in worker processes.

:class:`LockedRuns` are the consensus's seeded Leiden runs that first take :data:`LOCK`. In a
worker forked from the test process the lock would be inherited as held by a thread that does
not exist there, and the run would wait for ever (here: fail after ``WAIT_S``), as a forked
consensus pool hung in a test run; a worker from the forkserver imports this module afresh.
"""

from __future__ import annotations

import threading

import numpy as np

from graphkit.analytics.communities import _LeidenRuns

LOCK = threading.Lock()
WAIT_S = 10.0


class LockedRuns(_LeidenRuns):
    def __call__(self, seed: int) -> np.ndarray:
        if not LOCK.acquire(timeout=WAIT_S):
            raise RuntimeError("the worker inherited a lock held by another thread (forked)")
        LOCK.release()
        return super().__call__(seed)
