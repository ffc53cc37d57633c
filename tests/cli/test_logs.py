"""Library messages go to the case log, not the terminal: `graphkit resolve` on a small
simulated case, as a user runs it (a subprocess, real stderr)."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graphkit.cli import logs

#: a record line as the terminal handler formats it, from a third-party logger
_LIBRARY_LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) (splink|torch|pyspark|py4j|py\.)")


def gk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def ingested_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    sim = root / "sim"
    done = gk("simulate", sim, "--people", "120", "--days", "14", "--groups", "2", "--seed", "3")
    assert done.returncode == 0, done.stderr
    done = gk("run", sim / "case.toml", "--case", root / "case")
    assert done.returncode == 0, done.stderr
    return root / "case"


def test_resolve_prints_no_library_warnings_without_verbose(
    ingested_case: Path, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    shutil.copytree(ingested_case, case)
    done = gk("resolve", case)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert not [x for x in lines if _LIBRARY_LINE.match(x)], done.stderr
    # Splink did speak: its notes are in the case log, and one line says so
    log_text = (case / logs.CASE_LOG).read_text(encoding="utf-8")
    assert re.search(r"Splink training: \d+ note", log_text)
    assert "not observed in dataset" in log_text
    assert len(lines) == 1 and "from Splink" in lines[0] and str(logs.CASE_LOG) in lines[0]
    assert "not observed" not in done.stderr and "note(s)" not in done.stderr


def test_verbose_shows_library_messages(ingested_case: Path, tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(ingested_case, case)
    done = gk("--verbose", "resolve", case)
    assert done.returncode == 0, done.stderr
    assert "not observed in dataset" in done.stderr
    assert "--verbose shows them" not in done.stderr


def test_the_terminal_filter_holds_back_libraries_and_counts_folded_notes() -> None:
    filt = logs._TerminalFilter(verbose=False)

    def record(name: str, level: int = logging.WARNING, **extra: object) -> logging.LogRecord:
        r = logging.LogRecord(name, level, __file__, 1, "m", None, None)
        r.__dict__.update(extra)
        return r

    assert filt.filter(record("graphkit.build.actors"))
    assert not filt.filter(record("splink.internals.em"))
    assert not filt.filter(record("py.warnings"))
    assert not filt.filter(record("resolution.linkage", third_party="Splink", notes=30))
    assert not filt.filter(record("torch_geometric.nn", logging.INFO))  # held, not counted
    assert filt.held == {"Splink": 31, "Python warnings": 1}
    assert logs._TerminalFilter(verbose=True).filter(record("splink"))


def test_own_warnings_read_as_sentences_and_library_lines_say_where_they_come_from() -> None:
    """An analyst reads "warning: ...", not a logger's module path; a library's line (shown
    with --verbose) keeps its level and logger, which say whose message it is."""
    fmt = logs._TerminalFormatter("%(message)s")

    def line(name: str, level: int, msg: str) -> str:
        return fmt.format(logging.LogRecord(name, level, __file__, 1, msg, None, None))

    interrupted = "`analyze` started at 10:00 was interrupted before it committed"
    assert line("graphkit.store.case", logging.WARNING, interrupted) == f"warning: {interrupted}"
    assert line("graphkit.pipeline", logging.INFO, "re-running") == "re-running"
    assert line("splink.internals.em", logging.WARNING, "m") == "WARNING splink.internals.em: m"
    assert _LIBRARY_LINE.match(line("splink.internals.em", logging.WARNING, "m"))
    assert not _LIBRARY_LINE.match(line("graphkit.build", logging.ERROR, "x"))
