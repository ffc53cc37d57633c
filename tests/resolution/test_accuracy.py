"""Accuracy on the public ER benchmarks, with real thresholds (unsupervised training)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from resolution.cluster import cluster_records
from resolution.datasets import load_fake_1000, load_febrl3, load_febrl4
from resolution.evaluate import ERMetrics, er_metrics
from resolution.linkage import predict_pairs, train_model
from resolution.spec import ResolutionSpec
from resolution.standardise import standardise

# fewer u pairs than the default keeps the tests quick; the bench uses the default
SPEC = ResolutionSpec(u_max_pairs=3e5)


def _resolve(records: pd.DataFrame) -> ERMetrics:
    std = standardise(records.drop(columns="truth"))
    model = train_model(std, spec=SPEC)
    pairs = predict_pairs(std, model, threshold_probability=SPEC.threshold_probability)
    labels = cluster_records(
        std["unique_id"], pairs, threshold_probability=SPEC.threshold_probability
    )
    return er_metrics(labels.loc[std["unique_id"]].to_numpy(), records["truth"])


def test_febrl4_link(er_dir: Path) -> None:
    m = _resolve(load_febrl4(er_dir))
    assert m.pair_f1 >= 0.995, m
    assert m.pair_precision >= 0.995, m


def test_fake_1000(er_dir: Path) -> None:
    m = _resolve(load_fake_1000(er_dir))
    assert m.pair_precision >= 0.97, m
    assert m.pair_f1 >= 0.85, m
    assert m.bcubed_f1 >= 0.88, m


@pytest.mark.slow
def test_febrl3_dedupe(er_dir: Path) -> None:
    m = _resolve(load_febrl3(er_dir))
    assert m.pair_f1 >= 0.99, m
