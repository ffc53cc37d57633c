"""Splink's warnings folded into one line per step (every message kept at INFO); what Spark's
JVM prints at start-up goes to logging, not the terminal."""

from __future__ import annotations

import logging

import pytest

from resolution.linkage import _splink_notes


def test_splink_warnings_become_one_line_and_are_kept(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    splink = logging.getLogger("splink.internals.expectation_maximisation")
    with _splink_notes("training"):
        for level in ("one", "two", "three"):
            splink.warning(
                "WARNING:\nLevel %s not observed in dataset, unable to train m value", level
            )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "3 note(s)" in warnings[0].getMessage()
    assert warnings[0].name == "resolution.linkage"
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert infos == [
        f"Splink training: WARNING: Level {x} not observed in dataset, unable to train m value"
        for x in ("one", "two", "three")
    ]
    assert logging.getLogger("splink").propagate  # restored after the step


def test_what_the_jvm_prints_at_start_goes_to_the_pyspark_logger(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """A child process started inside the context (as Spark's JVM is) writes to the file,
    not the terminal; its lines come back as ``pyspark`` records."""
    import subprocess
    import sys

    from resolution.linkage import _jvm_output_logged

    caplog.set_level(logging.INFO)
    with _jvm_output_logged():
        subprocess.run(
            [sys.executable, "-c", "import sys; sys.stderr.write('WARN NativeCodeLoader: x\\n')"],
            check=True,
        )
    assert "NativeCodeLoader" not in capfd.readouterr().err
    warned = [r.getMessage() for r in caplog.records if r.name == "pyspark"]
    assert warned[0] == "WARN NativeCodeLoader: x"
    assert warned[1].startswith("later output of the Spark JVM: ")
