"""Timing and worker processes for the parts of an analysis.

:class:`PartClock` records wall-clock and CPU seconds per named part (the ``seconds_by_part``
of :func:`graphkit.analytics.measures.analyze_edges`). :func:`map_processes` runs one task over
many inputs in worker processes and :func:`in_background` runs one part in a worker process
while the caller goes on with another.

Workers are never forked from the caller: a process that runs threads (torch, a JVM, a test
runner, a logging handler) may hold a lock at the moment of a fork, and the child then waits on
it for ever (a consensus hung that way in a test run). They come from a ``forkserver`` (a clean
single-threaded server started once per process, which has numpy, igraph and leidenalg
imported, so a worker starts in milliseconds), or are spawned where the platform has no
forkserver. Their inputs are pickled, so tasks are module-level functions or picklable objects.
A forkserver's workers are not this process's children, so their CPU seconds are reported back
with each result and counted by :func:`cpu_seconds`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

__all__ = [
    "PartClock",
    "cpu_seconds",
    "in_background",
    "map_processes",
    "one_thread_each",
    "process_context",
    "start_workers_early",
    "worker_pool",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Modules the forkserver imports once, so that its workers start with them loaded: what the
#: consensus runs and the parts beside them need (each worker would otherwise pay these
#: imports again, about a CPU second with pandas and scipy); callers add theirs through
#: :func:`start_workers_early`.
_PRELOAD = [
    "numpy",
    "igraph",
    "leidenalg",
    "graphkit.analytics.communities",
    "graphkit.analytics.measures",
]

#: CPU seconds of finished work in forkserver workers, which are not this process's children.
_worker_cpu: list[float] = [0.0]


def cpu_seconds() -> float:
    """CPU seconds of this process, of the children it has waited for, and of the forkserver
    workers whose results it has received."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system + _worker_cpu[0]


class PartClock:
    """Wall-clock and CPU seconds per part of the analysis (CPU includes worker processes
    whose results have come back)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @contextmanager
    def __call__(self, part: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), cpu_seconds()
        try:
            yield
        finally:
            self.wall[part] = self.wall.get(part, 0.0) + time.perf_counter() - wall
            self.cpu[part] = self.cpu.get(part, 0.0) + cpu_seconds() - cpu

    def summary(self) -> dict[str, dict[str, float]]:
        """Seconds per part, rounded to milliseconds: ``{"wall": {...}, "cpu": {...}}``."""
        return {
            "wall": {k: round(v, 3) for k, v in self.wall.items()},
            "cpu": {k: round(v, 3) for k, v in self.cpu.items()},
        }


def process_context() -> BaseContext:
    """The multiprocessing context for workers: ``forkserver`` (preloaded) where the platform
    has it, else ``spawn``; never ``fork``."""
    import multiprocessing as mp

    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # takes effect when this process's forkserver starts (its first worker); later no-op
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")


def start_workers_early(also: Sequence[str] = ()) -> None:
    """Start this process's forkserver now, importing :data:`_PRELOAD` and the modules
    ``also`` names while the caller goes on, so that later workers start with them loaded
    and need not wait. Once the forkserver runs, its modules are fixed: a later call does
    nothing."""
    ctx = process_context()
    if ctx.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    for name in also:
        if name not in _PRELOAD:
            _PRELOAD.append(name)
    ctx.set_forkserver_preload(_PRELOAD)
    forkserver.ensure_running()


def one_thread_each() -> AbstractContextManager[object]:
    """Native thread pools (OpenMP: igraph's PageRank; BLAS) limited to one thread while it is
    entered. The analysis runs its parts in processes; threads inside them only oversubscribe
    the cores: on the loaded 2-core VM igraph's two OpenMP threads made one PageRank of the demo
    graph cost 0.1-0.35 CPU s (0.5-2.5 s wall) instead of 0.01, and their sums come out in
    any order (results then move in the 16th digit from run to run)."""
    import igraph  # noqa: F401  (loads the OpenMP runtime, which must be loaded to be limited)
    from threadpoolctl import threadpool_limits

    limits: AbstractContextManager[object] = threadpool_limits(limits=1)
    return limits


def _own_cpu() -> float:
    t = os.times()  # a forked worker's own times start at zero
    return t.user + t.system


_TASK: Callable[[Any], Any] | None = None  # the task a worker was started with


def _end_with_caller(caller: int) -> None:
    """Have this worker end when the process that asked for it (``caller``) ends. Workers
    are children of the forkserver, and hold its liveness pipe, so neither ends by itself
    when the caller is killed with -9 (or by the kernel for memory): they went on computing,
    holding memory, for nobody (2 GB and more each at 1M actors). A daemon thread waits for
    the caller to end (Linux: a pidfd; elsewhere a check each second) and ends the worker."""
    import threading

    def watch() -> None:
        try:
            import select

            fd = os.pidfd_open(caller)
            select.select([fd], [], [])
        except (AttributeError, OSError):  # no pidfd here: look once a second
            while True:
                try:
                    os.kill(caller, 0)
                except ProcessLookupError:
                    break
                except PermissionError:
                    pass
                time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="graphkit-caller-watch", daemon=True).start()


def _install(task: Callable[[Any], Any], caller: int) -> None:
    global _TASK
    _end_with_caller(caller)
    _TASK = task
    one_thread_each().__enter__()  # for the life of this worker


def _run_installed(item: Any) -> tuple[Any, int, float]:
    assert _TASK is not None
    return _TASK(item), os.getpid(), _own_cpu()


def _run_call(fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, int, float]:
    with one_thread_each():
        value = fn(*args)
    return value, os.getpid(), _own_cpu()


def _count_worker_cpu(by_pid: dict[int, float]) -> None:
    if process_context().get_start_method() == "forkserver":
        _worker_cpu[0] += sum(by_pid.values())  # spawned workers are counted as children


def map_processes(task: Callable[[_T], _R], items: Sequence[_T], workers: int) -> list[_R]:
    """``[task(x) for x in items]``, in ``workers`` worker processes when more than one.

    ``task`` is pickled once per worker (a picklable object may build what it needs on first
    use and keep it for the following items); each item and result is pickled. Results come
    back in the order of ``items``; an exception in a worker is raised here.
    """
    if workers <= 1 or len(items) <= 1:
        return [task(x) for x in items]
    with worker_pool(task, min(workers, len(items))) as run:
        return run(items)


@contextmanager
def worker_pool(
    task: Callable[[_T], _R], workers: int
) -> Iterator[Callable[[Sequence[_T]], list[_R]]]:
    """A function that maps ``task`` over a batch of items, as :func:`map_processes` does,
    with the same ``workers`` processes kept for every batch while the context is open (a
    task that builds something on its first item builds it once per worker, not once per
    batch). With ``workers <= 1`` it runs in this process."""
    if workers <= 1:
        yield lambda items: [task(x) for x in items]
        return
    from concurrent.futures import ProcessPoolExecutor

    cpu: dict[int, float] = {}
    with ProcessPoolExecutor(
        workers,
        mp_context=process_context(),
        initializer=_install,
        initargs=(task, os.getpid()),
    ) as pool:

        def run(items: Sequence[_T]) -> list[_R]:
            out: list[_R] = []
            for value, pid, used in pool.map(_run_installed, items):
                out.append(value)
                cpu[pid] = max(cpu.get(pid, 0.0), used)
            return out

        try:
            yield run
        finally:
            _count_worker_cpu(cpu)


def in_background(fn: Callable[..., _T], *args: Any) -> Callable[[], _T]:
    """Start ``fn(*args)`` in a worker process and return a function that waits for its
    result (and raises its exception). ``fn`` and ``args`` are pickled."""
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(
        1, mp_context=process_context(), initializer=_end_with_caller, initargs=(os.getpid(),)
    )
    try:
        future = pool.submit(_run_call, fn, args)
    finally:
        pool.shutdown(wait=False)  # the submitted call still runs; the worker exits after it

    def wait() -> _T:
        value, pid, used = future.result()
        _count_worker_cpu({pid: used})
        result: _T = value
        return result

    return wait
