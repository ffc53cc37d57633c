"""Training and scoring a Splink model over standardised person records.

Fellegi-Sunter record linkage (I. P. Fellegi and A. B. Sunter, "A theory for record linkage",
JASA 1969) as implemented by Splink (R. Linacre et al., "Splink: free software for
probabilistic record linkage at scale", IJPDS 2022): u probabilities by random sampling,
m probabilities by expectation maximisation over blocked pairs, the prior from near-certain
deterministic rules. Results vary with ``seed`` (the u sample) and, slightly, with the engine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import pandas as pd

from graphkit.errors import InputError
from graphkit.settings import SettingsError
from graphkit.sqlsafety import bounded_connection
from resolution.comparisons import (
    EM_RULE_COLUMNS,
    block_pair_counts,
    blocking_rules,
    comparisons,
    deterministic_rules,
    rule_for,
    settings_creator,
    usable_columns,
)
from resolution.model_file import columns_for_names, rebuild_model
from resolution.spec import Engine, ResolutionSpec

__all__ = [
    "PAIR_COLUMNS",
    "comparison_names",
    "model_columns",
    "model_for_engine",
    "predict_pairs",
    "train_model",
]

log = logging.getLogger(__name__)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(" ".join(record.getMessage().split()))


@contextmanager
def _splink_notes(step: str) -> Iterator[None]:
    """Splink's own warnings during ``step``, gathered into one line instead of dozens.

    Splink warns, one multi-line message each, about every comparison level a training
    session saw no example of, and again at prediction that such levels use its defaults.
    For an analyst that is noise in the terminal; for a reviewer it is a fact about the model.
    So: one warning line with the count, and every message kept at INFO (``--verbose``).
    """
    splink = logging.getLogger("splink")
    handler = _Collect()
    splink.addHandler(handler)
    propagate = splink.propagate
    splink.propagate = False
    try:
        yield
    finally:
        splink.propagate = propagate
        splink.removeHandler(handler)
        if handler.messages:
            # marked as Splink's, so the CLI keeps it in the case log with the details
            log.warning(
                "Splink %s: %d note(s), mostly comparison levels with no example to train on "
                "(they keep Splink's defaults); details at INFO level",
                step,
                len(handler.messages),
                extra={"third_party": "Splink", "notes": len(handler.messages)},
            )
            for message in handler.messages:
                log.info("Splink %s: %s", step, message, extra={"third_party": "Splink"})


#: columns of a scored pairs frame, before the per-comparison ``mw_<comparison>`` columns
PAIR_COLUMNS: tuple[str, ...] = ("id_l", "id_r", "match_weight", "match_probability")
_MIN_EM_PAIRS = 50
_PRIOR_ITERATIONS = 100
#: the prior is estimated on a seeded sample of this many records in larger cases
_PRIOR_MAX_RECORDS = 200_000


def _db_api(engine: Engine, memory_limit_gb: float = ResolutionSpec.memory_limit_gb) -> Any:
    if engine == "duckdb":
        from splink import DuckDBAPI

        # bounded memory: DuckDB spills joins and sorts to a temporary folder beyond this;
        # then no file, network or extension access, and no setting changed, whatever SQL
        # the model holds (it is rebuilt by graphkit anyway: resolution/model_file.py)
        return DuckDBAPI(connection=bounded_connection(memory_limit_gb))
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise SettingsError("engine", "spark needs pyspark: pip install 'graphkit[spark]'") from exc
    from splink import SparkAPI
    from splink.backends.spark import similarity_jar_location

    with _jvm_output_logged():
        spark = _spark_session(SparkSession, similarity_jar_location())
    spark.sparkContext.setLogLevel("ERROR")
    spark.sparkContext.setCheckpointDir("/tmp/graphkit_spark_checkpoints")
    return SparkAPI(spark_session=spark, break_lineage_method="persist")  # type: ignore[no-untyped-call]


@contextmanager
def _jvm_output_logged() -> Iterator[None]:
    """What the JVM prints while Spark starts (its log4j banner, hostname and native-library
    warnings, written straight to file descriptor 2 before ``setLogLevel`` can apply) goes to
    the ``pyspark`` logger, one record a line, instead of the terminal.

    The JVM keeps the descriptor it started with, so its later output (errors only, after
    ``setLogLevel("ERROR")``; failures also reach Python as exceptions) stays in the file,
    whose path is logged at INFO.
    """
    import os
    import sys
    import tempfile

    spark_log = logging.getLogger("pyspark")
    fd, path = tempfile.mkstemp(prefix="graphkit-spark-", suffix=".log")
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(fd, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    spark_log.warning("%s", line.rstrip())
        spark_log.info("later output of the Spark JVM: %s", path)


def _spark_session(session: Any, jar: str) -> Any:
    return (
        session.builder.master("local[2]")
        .appName("graphkit-resolve")
        .config("spark.jars", jar)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )


def _linker(
    std: pd.DataFrame,
    settings: dict[str, Any],
    engine: Engine,
    memory_limit_gb: float = ResolutionSpec.memory_limit_gb,
) -> Any:
    from splink import Linker

    if len(std) < 2:
        raise InputError("entity resolution needs at least two person records")
    api = _db_api(engine, memory_limit_gb)
    sdf = api.register(_to_spark(api.spark, std) if engine == "spark" else std)
    return Linker(sdf, settings, log_level=logging.WARNING)


def _to_spark(spark: Any, std: pd.DataFrame) -> Any:
    """A Spark DataFrame with an explicit schema (Spark cannot type all-null columns)."""
    from pyspark.sql.types import ArrayType, StringType, StructField, StructType

    lists = {"name_tokens", "phones", "accounts"}
    schema = StructType(
        [
            StructField(c, ArrayType(StringType()) if c in lists else StringType(), True)
            for c in std.columns
        ]
    )
    frame = std.astype(object).where(std.notna(), None)
    for c in lists & set(frame.columns):
        frame[c] = [None if v is None else [str(x) for x in v] for v in frame[c]]
    return spark.createDataFrame(frame, schema=schema)


def _base_settings(std: pd.DataFrame, spec: ResolutionSpec) -> dict[str, Any]:
    cols = usable_columns(std, min_fill=spec.min_column_fill)
    if not comparisons(cols) or not ({"given", "surname"} <= cols or "name_tokens" in cols):
        raise InputError("person records carry no names: cannot resolve persons")
    budget = max(1e6, spec.max_pairs_per_record * len(std))
    rules = blocking_rules(cols, std, max_rule_pairs=budget)
    return {"creator": settings_creator(cols, rules), "columns": cols}


def model_columns(model: dict[str, Any]) -> frozenset[str]:
    """The usable-column set a model of :mod:`resolution.comparisons` was built from."""
    return columns_for_names(comparison_names(model))


def model_for_engine(model: dict[str, Any], engine: Engine) -> dict[str, Any]:
    """The trained model rebuilt by graphkit in the SQL dialect of ``engine``.

    Whatever its origin, no SQL of ``model`` runs: :func:`resolution.model_file.rebuild_model`
    checks its comparisons and blocking rules are graphkit's and regenerates them in the
    engine's dialect, copying over only the learned prior, m and u
    (:class:`~graphkit.errors.InputError` for anything else).
    """
    return rebuild_model(model, dialect="spark" if engine == "spark" else "duckdb")


def train_model(std: pd.DataFrame, *, spec: ResolutionSpec) -> dict[str, Any]:
    """Train a Splink model, unsupervised, on standardised records; return its JSON dict.

    Steps: the prior from deterministic rules (assumed recall ``spec.prior_recall``), u by
    random sampling (``spec.u_max_pairs`` pairs, ``spec.seed``), then m by EM in one session
    per rule of :data:`resolution.comparisons.EM_RULE_COLUMNS` whose block holds at least
    50 pairs (each session leaves the columns of its own rule untrained; others train them;
    a block over ``spec.em_max_pairs`` is sampled down to about that many pairs), and last
    the prior again, from the expected matches among the blocked pairs
    (:func:`_blocked_pairs_prior`).
    """
    with _splink_notes("training"):
        model = _train(std, spec)
    _release_linkers()
    return model


def _release_linkers() -> None:
    """Free the DuckDB databases of linkers no longer used.

    A Splink linker and its parts refer to each other, so a finished linker, its DuckDB
    connection and every table it cached (the training sessions' blocked pairs and samples:
    1.3 GB at 1M records) stay in memory until Python's cycle collector next runs, which can
    be well into the scoring that follows. Collected here, the peak resident memory of a
    1M-record run falls by that much.
    """
    import gc

    gc.collect()


def _train(std: pd.DataFrame, spec: ResolutionSpec) -> dict[str, Any]:
    skipped: set[tuple[str, ...]] = set()
    while True:
        try:
            return _train_once(std, spec, skipped)
        except _EmUnderflow as failed:
            # a small block can drive a level's m or u to exactly 0, which Splink refuses
            # mid-session and leaves the linker half-trained: start again without that block
            logging.getLogger("resolution").info(
                "EM on the block %s skipped: %s", " + ".join(failed.rule), failed.reason
            )
            skipped.add(failed.rule)


class _EmUnderflow(Exception):
    def __init__(self, rule: tuple[str, ...], reason: str) -> None:
        super().__init__(reason)
        self.rule, self.reason = rule, reason


def _train_once(
    std: pd.DataFrame, spec: ResolutionSpec, skipped: set[tuple[str, ...]]
) -> dict[str, Any]:
    base = _base_settings(std, spec)
    linker = _linker(std, base["creator"], spec.engine, spec.memory_limit_gb)
    cols = base["columns"]
    tr = linker.training
    tr.estimate_probability_two_random_records_match(
        deterministic_rules(cols), recall=spec.prior_recall
    )
    tr.estimate_u_using_random_sampling(max_pairs=spec.u_max_pairs, seed=spec.seed)
    trained = 0
    sessions = [
        (rule_cols, rule)
        for rule_cols in EM_RULE_COLUMNS
        if (rule := rule_for(rule_cols, cols)) is not None and tuple(rule_cols) not in skipped
    ]
    counts = block_pair_counts(std, [rule_cols for rule_cols, _rule in sessions])
    for (rule_cols, rule), block_pairs in zip(sessions, counts, strict=True):
        # an empty or tiny block cannot train anything, and a failed session leaves the
        # linker's prior corrupted (Splink 5): skip it up front
        if block_pairs < _MIN_EM_PAIRS:
            continue
        try:
            tr.estimate_parameters_using_expectation_maximisation(
                rule,
                estimate_without_term_frequencies=True,
                max_pairs=spec.em_max_pairs if block_pairs > spec.em_max_pairs else None,
            )
        except ValueError as exc:
            if "_probability value" not in str(exc):
                raise
            raise _EmUnderflow(
                tuple(rule_cols), f"a level's probability underflowed to 0 ({exc})"
            ) from exc
        trained += 1
    if trained == 0:
        raise SettingsError(
            "model_path", "too few similar records to train a model: give a saved model"
        )
    model: dict[str, Any] = linker.misc.save_model_to_json()
    model["probability_two_random_records_match"] = _blocked_pairs_prior(std, model, linker, spec)
    return model


def _blocked_pairs_prior(
    std: pd.DataFrame, model: dict[str, Any], linker: Any, spec: ResolutionSpec
) -> float:
    """The prior re-estimated from the blocked pairs: the EM update of the match proportion
    with m and u held at their trained values.

    The deterministic rules' prior rests on an assumed recall (``spec.prior_recall``), and
    that recall varies from one data set to another: on sparse records, exact name and date of
    birth find far fewer of the matches than on complete ones, and the prior comes out too low
    (historical_50k: 3x). Here every pair the prediction rules generate is scored with the
    trained m and u, and the prior set to the expected share of matches among all pairs,
    ``sum_i P(match | pair i) / (n (n - 1) / 2)``, iterated to its fixed point from the rules'
    estimate: the E- and M-step of Fellegi-Sunter EM for the proportion alone. Pairs no rule
    generates count as non-matches, so the estimate leans low. No labels are used. Cases
    over :data:`_PRIOR_MAX_RECORDS` records are estimated on a seeded sample of that many
    (blocked pairs and all pairs both shrink with the square of the sample).
    """
    import numpy as np

    start = float(model["probability_two_random_records_match"])
    if len(std) > _PRIOR_MAX_RECORDS:
        std = std.sample(_PRIOR_MAX_RECORDS, random_state=spec.seed)
        linker = _linker(std, model, spec.engine, spec.memory_limit_gb)
    sdf = linker.inference.predict()
    try:
        weights = linker.misc.query_sql(
            f"SELECT match_weight FROM {sdf.physical_name}", output_type="pandas"
        )["match_weight"].to_numpy(dtype=float)
    finally:
        sdf.drop_table_from_database_and_remove_from_cache()
    total = len(std) * (len(std) - 1) / 2
    if len(weights) == 0:
        return start
    log_bf = weights - math.log2(start / (1.0 - start))
    prior = start
    for _ in range(_PRIOR_ITERATIONS):
        log_odds = math.log2(prior / (1.0 - prior)) + log_bf
        expected = float((1.0 / (1.0 + np.exp2(-log_odds))).sum())
        new = min(max(expected / total, 1.0 / total), 0.5)
        done = abs(new - prior) <= 1e-4 * prior
        prior = new
        if done:
            break
    log.info("prior %.3g from the deterministic rules, %.3g from the blocked pairs", start, prior)
    return prior


def comparison_names(model: dict[str, Any]) -> list[str]:
    """Output column names of the model's comparisons, in model order."""
    return [str(c["output_column_name"]) for c in model["comparisons"]]


def predict_pairs(
    std: pd.DataFrame,
    model: dict[str, Any],
    *,
    threshold_probability: float,
    engine: Engine = "duckdb",
    memory_limit_gb: float = ResolutionSpec.memory_limit_gb,
) -> pd.DataFrame:
    """Score the blocked pairs of ``std`` with a trained ``model``.

    Returns one row per pair scoring at least ``threshold_probability``: ``id_l < id_r``
    (canonical; Arrow-backed strings on DuckDB), ``match_weight`` (log2 Bayes factor incl.
    prior), ``match_probability`` and ``mw_<comparison>`` — the match weight each comparison
    contributed (term-frequency adjustment included) — and ``tfw_<comparison>``, its
    term-frequency part, for explanations (:func:`resolution.review.waterfall`). DuckDB works within
    ``memory_limit_gb`` (spilling to disk beyond it).
    """
    settings = model_for_engine(model, engine)
    linker = _linker(std, settings, engine, memory_limit_gb)
    with _splink_notes("prediction"):
        sdf = linker.inference.predict(threshold_match_probability=threshold_probability)
    names = comparison_names(settings)
    try:
        shape = _duckdb_pairs if engine == "duckdb" else partial(_engine_pairs, linker)
        out = shape(sdf, names)
    finally:
        sdf.drop_table_from_database_and_remove_from_cache()
    del linker, sdf
    _release_linkers()
    log.info("scored %d pairs at p >= %s", len(out), threshold_probability)
    return out.reset_index(drop=True)


def _duckdb_pairs(sdf: Any, names: list[str]) -> pd.DataFrame:
    """The pairs frame from Splink's DuckDB predictions, streamed out as Arrow.

    Shaped in DuckDB, not in pandas (only the columns kept: Splink's frame also holds every
    gamma, Bayes factor and compared value; canonical order; term frequencies added in), and
    not stored as a table first. The record ids stay Arrow strings, the weights become
    numpy floats: at 4M pairs this needs about 0.9 GB less than a frame of Python strings
    fetched from a stored table.
    """
    import pyarrow as pa

    rel = sdf.as_duckdbpyrelation()
    table = rel.query("scored", _pairs_sql("scored", names, set(rel.columns))).to_arrow_table()
    return table.to_pandas(
        types_mapper=lambda t: (
            pd.ArrowDtype(t) if pa.types.is_string(t) or pa.types.is_large_string(t) else None
        ),
        split_blocks=True,
        self_destruct=True,  # each column's Arrow memory is freed once converted
    )


def _engine_pairs(linker: Any, sdf: Any, names: list[str]) -> pd.DataFrame:
    """The pairs frame from Splink's predictions on another engine (Spark), shaped there."""
    columns = set(
        linker.misc.query_sql(
            f"SELECT * FROM {sdf.physical_name} LIMIT 0", output_type="pandas"
        ).columns
    )
    kept = linker.misc.query_sql(_pairs_sql(sdf.physical_name, names, columns))
    try:
        out: pd.DataFrame = kept.as_pandas_dataframe()
    finally:
        kept.drop_table_from_database_and_remove_from_cache()
    return out


def _pairs_sql(table: str, names: list[str], columns: set[str]) -> str:
    """SQL: the pairs frame of :func:`predict_pairs` from Splink's predictions ``table``."""
    parts = [
        "CASE WHEN unique_id_l < unique_id_r THEN unique_id_l ELSE unique_id_r END AS id_l",
        "CASE WHEN unique_id_l < unique_id_r THEN unique_id_r ELSE unique_id_l END AS id_r",
        "CAST(match_weight AS DOUBLE) AS match_weight",
        "CAST(match_probability AS DOUBLE) AS match_probability",
    ]
    for name in names:
        tf = f"coalesce(CAST(mw_tf_adj_{name} AS DOUBLE), 0.0)"
        if f"mw_tf_adj_{name}" not in columns:
            tf = "CAST(0.0 AS DOUBLE)"
        parts.append(f"CAST(mw_{name} AS DOUBLE) + {tf} AS mw_{name}")
        parts.append(f"{tf} AS tfw_{name}")
    return f"SELECT {', '.join(parts)} FROM {table} ORDER BY id_l, id_r"


def prior_weight(model: dict[str, Any]) -> float:
    """Match weight of the prior (log2 odds of two random records matching)."""
    p = float(model["probability_two_random_records_match"])
    return math.log2(p / (1.0 - p))
