"""Refactoring leaves results unchanged: the whole pipeline on a fixed-seed simulated case
gives, table for table, the rows it gave when ``golden.json`` was written.

``golden.json`` was written at the commit that moved the signals into ``graphkit/signals`` and
added ``graphkit/pipeline.py`` (issue 20); before that, the same digests (taken with the
default thread count) were checked equal, table for table, for the code before and after the
move. A change that is meant to alter results regenerates it (see
:mod:`tests.pipeline.golden`) and says so in its commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.pipeline.golden import GOLDEN, digests_in_fresh_process


def test_pipeline_tables_are_unchanged(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    found = digests_in_fresh_process(tmp_path)
    assert sorted(found) == sorted(expected), "tables added or removed"
    changed = sorted(t for t in expected if found[t] != expected[t])
    assert changed == [], f"tables whose rows changed: {changed}"
    assert len(expected) > 30  # every stage's tables, not a handful
