"""`graphkit build` with and without confirmed hand-offs, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from graphkit.cli.app import app

from .handoff_case import make_case, num, set_handoffs, set_uses


def test_build_cli_applies_or_ignores_confirmed_handoffs(tmp_path: Path) -> None:
    store = make_case(tmp_path)
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        set_uses(con, [("P1", 1), ("P2", 3)])
        set_handoffs(con, [(1, 2, "confirmed"), (2, 3, "confirmed"), (3, 4, "rejected")])
    runner = CliRunner()

    r = runner.invoke(app, ["build", str(store.path), "--no-confirmed-handoffs"])
    assert r.exit_code == 0, r.output
    assert "Confirmed hand-offs ignored" in " ".join(r.stdout.split())
    stage = store.stage("build")
    assert stage is not None and stage["settings"]["confirmed_handoffs"] == "ignored"
    assert stage["summary"]["confirmed_same_user_as"] == 0
    entry = json.loads(store.audit.path.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["command"] == "build" and entry["detail"]["confirmed_handoffs"] == "ignored"
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM actor WHERE actor_id = ?", [num(2)]).fetchone()
        ignored = con.execute("SELECT count(*) FROM actor").fetchone()

    r = runner.invoke(app, ["build", str(store.path)])
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "2 confirmed hand-off(s) applied; 1 group(s) join numbers of several persons" in out
    stage = store.stage("build")
    assert stage is not None and stage["settings"]["confirmed_handoffs"] == "applied"
    assert stage["summary"]["handoff_conflicts"] == 1
    entry = json.loads(store.audit.path.read_text(encoding="utf-8").splitlines()[-1])
    assert entry["detail"]["confirmed_handoffs"] == "applied"
    assert entry["detail"]["handoff_conflicts"] == 1

    r = runner.invoke(app, ["build", str(store.path), "--json"])
    assert r.exit_code == 0, r.output
    rows = {x["table"]: x["rows"] for x in json.loads(r.stdout)}
    assert ignored is not None and rows["actor"] == ignored[0] - 1  # number 2 joined P1
