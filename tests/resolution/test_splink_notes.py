"""Splink's warnings reach the terminal as one line, every message kept at INFO."""

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
