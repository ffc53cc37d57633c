"""Training on a small case whose EM drives a level's probability to 0.

``data/em_underflow_records.parquet``: the person records of a 200-person simulated case
(``graphkit simulate --people 200 --days 30 --seed 7 --meetings --devices``, ingested), on
which Splink's EM session over the date-of-birth block sets an m probability to exactly 0 and
raises mid-session; ``graphkit resolve`` ended in that traceback. Training now starts again
without that block and says so in the log.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from resolution.linkage import predict_pairs, train_model
from resolution.spec import ResolutionSpec
from resolution.standardise import standardise

RECORDS = Path(__file__).parent / "data" / "em_underflow_records.parquet"


def test_a_block_whose_em_underflows_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    std = standardise(pd.read_parquet(RECORDS))
    spec = ResolutionSpec(seed=7)
    with caplog.at_level(logging.INFO, logger="resolution"):
        model = train_model(std, spec=spec)
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped and "EM on the block dob skipped" in skipped[0]
    assert "underflowed to 0" in skipped[0]
    # the model trained on the other blocks scores the records' pairs
    pairs = predict_pairs(std, model, threshold_probability=0.5)
    assert len(pairs) > 0 and pairs["match_probability"].between(0, 1).all()
