from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.store import CaseStore
from tests.export.cases import copy_case, hypotheses_case, simulated_case


@pytest.fixture(scope="session")
def sim_case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated_case(tmp_path_factory.mktemp("cases"))


@pytest.fixture
def sim_case(sim_case_dir: Path, tmp_path: Path) -> CaseStore:
    """A private copy: tests that export write audit entries and keys into it."""
    return copy_case(sim_case_dir, tmp_path / "case")


@pytest.fixture(scope="session")
def hypotheses_case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The resolved simulated case (persons with names) with predicted links and hand-offs."""
    return hypotheses_case(tmp_path_factory.mktemp("cases"))
