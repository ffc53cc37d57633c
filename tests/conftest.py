"""Shared fixtures: where the real datasets live (../shared/data beside the repo root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that share a module- or session-scoped fixture run on one xdist worker.

    With ``-n 2 --dist loadgroup`` every worker that runs a test of a shared fixture builds
    that fixture itself: two workers built the 1,500-person analysis case, the five hotspot
    forecasts and the report's case twice each. Grouping by where the fixture is defined
    (the conftest's folder before a module, since a module's fixtures may build on the
    folder's) builds each once. The root conftest's fixtures
    (paths to the datasets) and private ones (``_name``: settings such as gnn's one thread)
    cost nothing and group nothing.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        homes = sorted(
            {
                d.baseid
                for name, defs in info.name2fixturedefs.items()
                for d in defs[-1:]
                if d.scope in ("module", "session")
                and d.baseid not in ("", "tests")
                and not name.startswith("_")
            },
            key=len,
        )
        if homes:
            item.add_marker(pytest.mark.xdist_group(homes[0]))
