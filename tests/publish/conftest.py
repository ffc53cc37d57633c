"""Fixtures for publish tests: the Montagna-based case database, read-only connections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from graphkit.publish.publisher import publish_case
from graphkit.publish.runner import RecordingRunner
from tests.publish.casedb import build_case_db


@pytest.fixture(scope="session")
def case_db(tmp_path_factory: pytest.TempPathFactory, montagna_dir: Path) -> Path:
    return build_case_db(tmp_path_factory.mktemp("case") / "case.duckdb", montagna_dir)


@pytest.fixture
def con(case_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect(str(case_db), read_only=True)
    c.execute("SET TimeZone = 'UTC'")
    yield c
    c.close()


@pytest.fixture(scope="session")
def recorded(case_db: Path) -> RecordingRunner:
    """A dry-run publish of the case in batches of 40 rows, as recorded."""
    c = duckdb.connect(str(case_db), read_only=True)
    c.execute("SET TimeZone = 'UTC'")
    runner = RecordingRunner()
    publish_case(
        c,
        runner,
        case_id="case-1",
        actor="tester",
        purpose="unit test",
        run_id="run-1",
        batch_rows=40,
    )
    c.close()
    return runner
