"""The frames resolution passes between its steps: Arrow-backed text, numpy weights, and no
finished Splink linker (with its DuckDB database) left for the cycle collector.

At 1M records these decide the peak memory (docs/resolution.md, "Scale"): the standardised
records as Python strings held 1.36 GB, a trained linker's tables 1.3 GB until collected.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from resolution.linkage import PAIR_COLUMNS, predict_pairs, train_model
from resolution.spec import ResolutionSpec
from resolution.standardise import STANDARD_COLUMNS, standardise

RECORDS = Path(__file__).parent / "data" / "em_underflow_records.parquet"


@pytest.fixture(scope="module")
def std() -> pd.DataFrame:
    return standardise(pd.read_parquet(RECORDS))


def test_standardised_columns_are_arrow_backed_in_input_order(std: pd.DataFrame) -> None:
    records = pd.read_parquet(RECORDS)
    assert list(std.columns) == list(STANDARD_COLUMNS)
    assert all(isinstance(t, pd.ArrowDtype) for t in std.dtypes), std.dtypes
    assert std["unique_id"].tolist() == records["unique_id"].astype(str).tolist()
    tokens = std["name_tokens"].dropna()
    assert len(tokens) > 0 and all(list(t) == sorted(set(t)) for t in tokens)


def _linkers() -> int:
    from splink import Linker

    # type(), not isinstance(): isinstance reads __class__, which some of torch's lazy
    # module attributes answer with a deprecation warning
    return sum(issubclass(type(o), Linker) for o in gc.get_objects())


def test_pairs_frame_types_and_no_linker_left(std: pd.DataFrame) -> None:
    before = _linkers()
    model = train_model(std, spec=ResolutionSpec(seed=7))
    assert _linkers() == before  # the training linkers were collected with their databases
    pairs = predict_pairs(std, model, threshold_probability=0.5)
    assert _linkers() == before
    assert len(pairs) > 0 and list(pairs.columns[: len(PAIR_COLUMNS)]) == list(PAIR_COLUMNS)
    for col in ("id_l", "id_r"):
        assert isinstance(pairs[col].dtype, pd.ArrowDtype), pairs[col].dtype
    weights = pairs.columns[2:]
    assert any(c.startswith("tfw_") for c in weights)
    # every weight a plain float (a literal 0.0 once came out of DuckDB as a decimal)
    assert all(pairs[c].dtype == np.float64 for c in weights), pairs.dtypes
    ids = list(zip(pairs["id_l"], pairs["id_r"], strict=True))
    assert all(a < b for a, b in ids) and ids == sorted(ids)
    assert pairs["match_probability"].between(0.5, 1.0).all()
