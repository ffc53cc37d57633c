"""The CLI as a user runs it: exit codes, one-line errors, JSON output, help with examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from graphkit.cli.app import app


def gk(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _commands(group: typer.core.TyperGroup, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, typer.core.TyperGroup):
            out.extend(_commands(cmd, f"{prefix}{name} "))
        else:
            out.append((prefix + name, cmd))
    return out


def test_every_command_has_help_with_an_example() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    commands = _commands(root)
    assert {"init", "ingest", "status", "show", "audit verify", "run", "demo"} <= {
        n for n, _ in commands
    }
    for name, cmd in commands:
        help_text = getattr(cmd, "help", None) or ""
        assert "Example:" in help_text, name
        example = help_text.split("Example:", 1)[1].strip().splitlines()[0]
        assert "graphkit " + name.split()[0] in example, (name, example)


def test_case_lifecycle(tmp_path: Path, montagna_dir: Path) -> None:
    case = tmp_path / "case"
    assert gk("init", case).returncode == 0
    r = gk("--actor", "analyst-7", "ingest", case, montagna_dir / "phone.csv", "--kind", "contacts")
    assert r.returncode == 0, r.stderr
    assert "150 rows read = 150 accepted + 0 rejected" in r.stdout
    status = json.loads(gk("status", case, "--json").stdout)[0]
    assert status["sources"][0]["accepted"] == 150
    assert status["totals"] == {"rows_read": 150, "accepted": 150, "rejected": 0}
    sources = json.loads(gk("show", case, "sources", "--json").stdout)
    assert sources[0]["source"] == "phone" and len(sources[0]["sha256"]) == 64
    assert json.loads(gk("show", case, "rejects", "--json").stdout) == []
    log = json.loads(gk("audit", "log", case, "--json").stdout)
    intent, ingest = [e for e in log if e["command"] == "ingest"]
    assert intent["outcome"] == "started" and intent["detail"]["tx"] == ingest["detail"]["tx"]
    assert ingest["actor"] == "analyst-7" and ingest["operation"] == "collection"
    assert ingest["outcome"] == "success"
    assert gk("audit", "verify", case).returncode == 0


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "{case}", "/does/not/exist.csv", "--kind", "cdr"),
        ("ingest", "{case}", "{montagna}/phone.csv", "--kind", "weapons"),
        ("ingest", "{case}", "{montagna}/phone.csv", "--kind", "cdr"),
        ("ingest", "{case}", "{montagna}/phone.csv", "--kind", "cdr", "--mapping", "/nope.toml"),
        ("status", "{tmp}/not-a-case"),
        ("show", "{case}", "no-such-view"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(
    tmp_path: Path, montagna_dir: Path, args: tuple[str, ...]
) -> None:
    case = tmp_path / "case"
    gk("init", case)
    filled = [a.format(case=case, montagna=montagna_dir, tmp=tmp_path) for a in args]
    r = gk(*filled)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("error:")
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_failed_ingest_is_audited_and_tampering_fails_verify(
    tmp_path: Path, montagna_dir: Path
) -> None:
    case = tmp_path / "case"
    gk("init", case)
    gk("ingest", case, montagna_dir / "phone.csv", "--kind", "cdr")
    log = json.loads(gk("audit", "log", case, "--json").stdout)
    assert log[-1]["outcome"] == "failure" and "required field" in log[-1]["detail"]["error"]
    audit = case / "audit.jsonl"
    lines = audit.read_text().splitlines()
    audit.write_text("\n".join(lines[1:]) + "\n")
    r = gk("audit", "verify", case)
    assert r.returncode == 1 and "line 1" in r.stderr


def test_run_ingests_every_source_of_a_case_file(tmp_path: Path, montagna_dir: Path) -> None:
    (tmp_path / "case.toml").write_text(
        f"""
[case]
name = "montagna"
[[sources]]
name = "calls"
kind = "contacts"
file = "{montagna_dir / "phone.csv"}"
[[sources]]
name = "meet"
kind = "contacts"
file = "{montagna_dir / "meetings.csv"}"
""",
        encoding="utf-8",
    )
    r = gk("run", tmp_path / "case.toml", "--json")
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)
    assert [(x["source_name"], x["accepted"]) for x in results] == [("calls", 150), ("meet", 289)]
    assert (tmp_path / "case" / "case.duckdb").exists()


def test_settings_errors_name_the_option_the_user_typed(tmp_path: Path) -> None:
    """Settings validate themselves and name fields; the CLI says which option was wrong."""
    from graphkit.analytics.settings import AnalysisSpec
    from graphkit.settings import SettingsError

    with pytest.raises(SettingsError, match=r"^n_runs: must be at least 1$"):
        AnalysisSpec(n_runs=0)
    case = tmp_path / "case"
    assert gk("init", case).returncode == 0
    for args, flag in (
        (["analyze", case, "--runs", "0"], "--runs: must be at least 1"),
        (["analyze", case, "--consensus-stop", "1"], "--consensus-stop: must be in [0, 1)"),
        (["analyze", case, "--blackout-fdr", "1.5"], "--blackout-fdr: must lie strictly"),
        (["analyze", case, "--rank-direction", "up"], "--rank-direction: caller or callee"),
        (["predict-links", case, "--from-layer", "calls"], "--from-layer: need target_layers"),
        (["predict-links", case, "--epochs", "0"], "--epochs: must be at least 1"),
    ):
        done = gk(*args)
        assert done.returncode == 2, done.stderr
        assert flag in done.stderr and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", ".", "leaders", "--limit", "-1"], "error: Invalid value for '--limit'"),
        (["show", ".", "leaders", "--limit", "abc"], "error: Invalid value for '--limit'"),
        (["explain", "x"], "error: No such command 'explain'."),
        (["review", ".", "--queue"], "error: Option '--queue' requires an argument."),
    ],
)
def test_command_line_mistakes_are_one_line(args: list[str], expected: str) -> None:
    """The command line's own errors (bad option values, unknown commands) read like
    graphkit's: one line on stderr, exit code 2, no framed panel."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", "import sys; from graphkit.cli.app import main; main()", *args],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected)
