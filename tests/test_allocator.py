"""The allocator settings the CLI applies (graphkit.allocator) take effect on glibc."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt only")
def test_allocator_settings_are_accepted_once_per_process() -> None:
    code = (
        "from graphkit.allocator import tune_allocator, _done;"
        "first = tune_allocator(); second = tune_allocator();"
        "print(first, second, len(_done))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "True", "1"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt only")
def test_a_worker_thread_allocates_from_the_one_arena() -> None:
    # malloc_stats(3) prints one "Arena i:" block per arena; without the setting the thread's
    # small allocations make a second one
    code = (
        "import ctypes, ctypes.util, sys, threading\n"
        "from graphkit.allocator import tune_allocator\n"
        "if sys.argv[1] == 'tuned': tune_allocator()\n"
        "libc = ctypes.CDLL(ctypes.util.find_library('c'))\n"
        "keep = []\n"
        "def work(): keep.extend(bytearray(1000) for _ in range(2000))\n"
        "t = threading.Thread(target=work); t.start(); t.join()\n"
        "libc.malloc_stats()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    arenas = {}
    for mode in ("tuned", "plain"):
        err = subprocess.run(
            [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True, env=env
        ).stderr
        arenas[mode] = sum(line.startswith("Arena ") for line in err.splitlines())
    assert arenas == {"tuned": 1, "plain": 2}
