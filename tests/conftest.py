"""Shared fixtures: where the real datasets live (../shared/data beside the repo root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graphkit.allocator import tune_allocator

REPO_ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # the allocator settings the CLI uses (graphkit.allocator), for the tests that call the
    # library directly as much as for those that go through the CLI
    tune_allocator()
    # pytest-xdist's workers run with COLUMNS=80 set; piped CLI output honours COLUMNS
    # (graphkit.cli._common), and the tests read it as a plain pipe does: 160 columns
    os.environ.pop("COLUMNS", None)


def shared_data_dir() -> Path:
    """The shared datasets: $GRAPHKIT_SHARED_DATA, else ../shared/data beside the repo root."""
    env = os.environ.get("GRAPHKIT_SHARED_DATA")
    path = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise RuntimeError(f"shared datasets not found at {path}; set GRAPHKIT_SHARED_DATA")
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


@pytest.fixture(scope="session")
def montagna_dir(shared_data: Path) -> Path:
    return shared_data / "montagna"


@pytest.fixture(scope="session")
def er_dir(shared_data: Path) -> Path:
    return shared_data / "er"
