"""Timing and background processes for the parts of an analysis.

:class:`PartClock` records wall-clock and CPU seconds per named part (the ``seconds_by_part``
of :func:`graphkit.analytics.measures.analyze_edges`); :func:`in_background` runs one part in a
forked process while the caller goes on with another.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["PartClock", "in_background"]

_T = TypeVar("_T")


class PartClock:
    """Wall-clock and CPU seconds per part of the analysis (CPU includes worker processes
    that have been waited for)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @staticmethod
    def _cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    @contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), self._cpu()
        try:
            yield
        finally:
            self.wall[part] = self.wall.get(part, 0.0) + time.perf_counter() - wall
            self.cpu[part] = self.cpu.get(part, 0.0) + self._cpu() - cpu

    def summary(self) -> dict[str, dict[str, float]]:
        """Seconds per part, rounded to milliseconds: ``{"wall": {...}, "cpu": {...}}``."""
        return {
            "wall": {k: round(v, 3) for k, v in self.wall.items()},
            "cpu": {k: round(v, 3) for k, v in self.cpu.items()},
        }


def in_background(fn: Callable[[], _T]) -> Callable[[], _T]:
    """Start ``fn`` in a forked process (it inherits the graphs, nothing is copied up front)
    and return a function that waits for its result; runs ``fn`` inline where the platform
    cannot fork."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        value = fn()
        return lambda: value
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send((True, fn()))
        except BaseException as exc:  # handed to the parent, raised there
            send.send((False, exc))

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    send.close()

    def wait() -> _T:
        ok, value = receive.recv()
        proc.join()
        receive.close()
        if not ok:
            raise value
        result: _T = value
        return result

    return wait
