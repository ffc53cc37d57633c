"""The allocator settings the CLI applies (graphkit.allocator) take effect on glibc."""

from __future__ import annotations

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
