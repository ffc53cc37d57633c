"""Worker processes of the analysis: safe in a process that runs threads, same results."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from graphkit.analytics import communities
from graphkit.analytics.graph import collapse, from_edges
from graphkit.analytics.parallel import in_background, map_processes, process_context

from . import held_lock
from .planted import planted_edges


def test_consensus_beside_a_thread_holding_a_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consensus's runs take a lock that another thread of this process holds meanwhile:
    workers forked from here would wait on it; the forkserver's do not, and give the
    sequential result."""
    edges = planted_edges(600, 2400, groups=12, p_within=0.55, seed=3)[["src", "dst"]]
    u = collapse(from_edges(edges), directed=False)
    sequential = communities.consensus_communities(u, seed=11, n_runs=5)
    monkeypatch.setattr(communities, "_LeidenRuns", held_lock.LockedRuns)
    held, finished = threading.Event(), threading.Event()

    def hold() -> None:
        with held_lock.LOCK:
            held.set()
            finished.wait(timeout=120)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    held.wait()
    try:
        parallel = communities.consensus_communities(u, seed=11, n_runs=5, workers=2)
    finally:
        finished.set()
        thread.join()
    assert sequential.rounds >= 1  # the consensus rounds ran in workers too
    np.testing.assert_array_equal(parallel.membership, sequential.membership)
    np.testing.assert_array_equal(parallel.confidence, sequential.confidence)


def test_workers_never_fork() -> None:
    assert process_context().get_start_method() in ("forkserver", "spawn")


def _square_plus(offset: int, x: int) -> int:
    return x * x + offset


class _AddPid:
    def __call__(self, x: int) -> tuple[int, int]:
        return x * 2, os.getpid()


def test_map_processes_keeps_order_and_uses_the_workers() -> None:
    out = map_processes(_AddPid(), list(range(12)), 2)
    assert [v for v, _ in out] == [2 * x for x in range(12)]
    assert os.getpid() not in {pid for _, pid in out}
    assert map_processes(_AddPid(), [3], 2) == [(6, os.getpid())]  # one item: in this process


def test_in_background_returns_the_value_and_raises_the_error() -> None:
    wait = in_background(_square_plus, 1, 7)
    assert wait() == 50
    failing = in_background(np.zeros, -1)  # negative dimensions are refused
    try:
        failing()
    except ValueError as exc:
        assert "negative" in str(exc)
    else:
        raise AssertionError("the worker's error was not raised")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        status = open(f"/proc/{pid}/status", encoding="utf-8").read()  # noqa: SIM115
    except FileNotFoundError:
        return False
    state = next((line for line in status.splitlines() if line.startswith("State:")), "")
    return "Z" not in state.split()[1:2]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_workers_do_not_outlive_a_caller_killed_with_minus_9(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A caller killed with -9 (or by the kernel for memory) used to leave its workers
    computing, and holding memory, for nobody (seen at 1M actors: 2 GB+)."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    caller = subprocess.Popen(
        [sys.executable, "-m", "tests.analytics.orphans", str(tmp_path)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(tmp_path.glob("*.pid"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
        assert len(workers) == 2 and all(_running(w) for w in workers)
    finally:
        caller.send_signal(signal.SIGKILL)
        caller.wait()
    deadline = time.monotonic() + 20
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(w) for w in workers)
