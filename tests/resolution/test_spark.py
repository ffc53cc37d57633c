"""The Spark engine runs the same model and gives the same clusters as DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resolution.cluster import cluster_records
from resolution.datasets import load_fake_1000
from resolution.linkage import predict_pairs
from resolution.standardise import standardise

pyspark = pytest.importorskip("pyspark")


@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_clusters(er_dir: Path, trained_model: Path) -> None:
    records = load_fake_1000(er_dir).drop(columns="truth").iloc[:200]
    std = standardise(records)
    model = json.loads(trained_model.read_text())
    by_engine = {}
    for engine in ("duckdb", "spark"):
        pairs = predict_pairs(std, model, threshold_probability=0.5, engine=engine)  # type: ignore[arg-type]
        assert len(pairs) > 100
        by_engine[engine] = cluster_records(std["unique_id"], pairs, threshold_probability=0.9)
    duck, spark = by_engine["duckdb"], by_engine["spark"]
    assert duck.nunique() < len(duck), "some records were merged"
    assert (duck == spark.reindex(duck.index)).all()
