from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.store import CaseStore
from tests.export.cases import copy_case, simulated_case


@pytest.fixture(scope="session")
def report_case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_case(tmp_path_factory.mktemp("cases"), signals=True)


@pytest.fixture
def report_case(report_case_dir: Path, tmp_path: Path) -> CaseStore:
    return copy_case(report_case_dir, tmp_path / "case")
