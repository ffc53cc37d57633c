"""Cases with incidents: the three police.uk months (real), read as published."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.ingest import ingest_file
from graphkit.store import CaseStore
from tests.conftest import shared_data_dir

MONTHS = ("2016-07", "2017-07", "2018-07")


def police_file(month: str) -> Path:
    return shared_data_dir() / "police_uk" / f"{month}-west-yorkshire-street.csv.gz"


@pytest.fixture(scope="session")
def police_case(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    """A case holding the three West Yorkshire Julys (gzip, no mapping)."""
    store = CaseStore.init(tmp_path_factory.mktemp("police") / "case")
    for month in MONTHS:
        ingest_file(store, police_file(month), kind="incidents")
    return store
