"""A minimal W3C WebDriver client (urllib) for Debian's chromedriver, for report tests.

Only what the tests need: start a headless session, open a page, run a script, find an
element, click at a point with real pointer input (so the network view's own pointer handling
runs: sigma.js picks the dot under the pointer).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.report.browser import FLAGS, chromium

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Session:
    def __init__(self, base: str, session_id: str) -> None:
        self.url = f"{base}/session/{session_id}"

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        req = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())["value"]
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"webdriver {path}: {exc.read()[:500]!r}") from None

    def open(self, page: Path) -> None:
        self._call("POST", "/url", {"url": page.resolve().as_uri()})

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def screenshot(self, css: str, path: Path) -> None:
        """A PNG of the element ``css`` as drawn now, written to ``path``."""
        import base64

        found = self.element(css)
        png = self._call("GET", f"/element/{found[ELEMENT]}/screenshot")
        path.write_bytes(base64.b64decode(png))

    def element(self, css: str) -> dict[str, str]:
        found = self._call("POST", "/element", {"using": "css selector", "value": css})
        return {ELEMENT: found[ELEMENT]}

    def click_at(self, element: dict[str, str], dx: float, dy: float) -> None:
        """Press and release the mouse at (dx, dy) from the element's centre."""
        self._call(
            "POST",
            "/actions",
            {
                "actions": [
                    {
                        "type": "pointer",
                        "id": "mouse",
                        "parameters": {"pointerType": "mouse"},
                        "actions": [
                            {
                                "type": "pointerMove",
                                "origin": element,
                                "x": round(dx),
                                "y": round(dy),
                            },
                            {"type": "pointerDown", "button": 0},
                            {"type": "pause", "duration": 60},
                            {"type": "pointerUp", "button": 0},
                        ],
                    }
                ]
            },
        )

    def wait_for(self, script: str, *, timeout_s: float = 20) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = self.run(script)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for: {script}")


@contextmanager
def session(*, width: int = 1400, height: int = 1000) -> Iterator[Session]:
    driver = shutil.which("chromedriver")
    if driver is None:
        pytest.skip("chromedriver not installed (apt-get install -y chromium-driver)")
    port = _free_port()
    proc = subprocess.Popen(
        [driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(base + "/status", timeout=2) as resp:
                    if json.loads(resp.read())["value"]["ready"]:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("chromedriver did not start")
            time.sleep(0.1)
        with tempfile.TemporaryDirectory(prefix="gk-webdriver-") as profile:
            args = [*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"]
            caps = {
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {"binary": chromium(), "args": args},
                    }
                }
            }
            req = urllib.request.Request(
                base + "/session",
                data=json.dumps(caps).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(req, timeout=60) as resp:
                sid = json.loads(resp.read())["value"]["sessionId"]
            s = Session(base, sid)
            try:
                yield s
            finally:
                s._call("DELETE", "")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
