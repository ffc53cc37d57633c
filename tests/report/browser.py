"""Headless Chromium for report tests: the page's DOM after it ran, and a screenshot.

Uses Debian's ``chromium`` (``apt-get install -y chromium``) through its command line only:
``--dump-dom`` prints the DOM after scripts ran (the report writes its own status into it),
``--screenshot`` saves a PNG. ``--virtual-time-budget`` lets timers and drawing finish.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not installed (apt-get install -y chromium chromium-driver)")


def run(page: Path, *extra: str, budget_ms: int = 8000, timeout_s: float = 90) -> tuple[str, float]:
    """(stdout, seconds) of one headless Chromium run on ``page``."""
    with tempfile.TemporaryDirectory(prefix="gk-chromium-") as profile:
        started = time.perf_counter()
        done = subprocess.run(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--virtual-time-budget={budget_ms}",
                *extra,
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout, seconds


def dump_dom(page: Path) -> tuple[str, float]:
    return run(page, "--dump-dom")


def screenshot(page: Path, png: Path, *, width: int = 1400, height: int = 2400) -> float:
    _, seconds = run(page, f"--screenshot={png}", f"--window-size={width},{height}")
    return seconds
