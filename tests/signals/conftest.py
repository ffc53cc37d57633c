"""The hand-off review queue's case, shared by the queue and decision tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.signals.stage import detect_blackouts_in_case, detect_handoffs_in_case
from graphkit.store import CaseStore
from tests.export.cases import copy_case, resolved_case


@pytest.fixture(scope="session")
def queue_case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resolved simulated case with the hand-offs the stage finds (built once a process)."""
    root = tmp_path_factory.mktemp("cases")
    store = copy_case(resolved_case(root), root / "handoffs")
    detect_blackouts_in_case(store)
    detect_handoffs_in_case(store)
    return store.path


@pytest.fixture
def queue_case(queue_case_dir: Path, tmp_path: Path) -> CaseStore:
    """A private copy of the queue's case (a test may decide on it)."""
    return copy_case(queue_case_dir, tmp_path / "case")
