"""Saved models are data, not code: hostile model files are refused, graphkit's round-trip.

Also the DuckDB lock-down (:mod:`graphkit.sqlsafety`) every model-scoring connection gets.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest

import resolution.model_file as model_file
from graphkit.errors import InputError
from graphkit.sqlsafety import lock_down
from resolution.datasets import load_fake_1000
from resolution.linkage import model_for_engine, predict_pairs, train_model
from resolution.model_file import MAX_MODEL_BYTES, load_saved_model, rebuild_model
from resolution.spec import ResolutionSpec
from resolution.standardise import standardise

SPEC = ResolutionSpec(u_max_pairs=3e5)
PASSWD = "/etc/passwd"

Model = dict[str, Any]


@pytest.fixture(scope="module")
def std(er_dir: Path) -> pd.DataFrame:
    """fake_1000 with a phone on every third record, so a rule explodes an array column."""
    records = load_fake_1000(er_dir).drop(columns="truth")
    truth = load_fake_1000(er_dir)["truth"]
    records["phones"] = [
        [f"+39 333 {1000000 + int(c)}"] if int(u) % 3 == 0 else None
        for u, c in zip(records["unique_id"], truth, strict=True)
    ]
    return standardise(records)


@pytest.fixture(scope="module")
def model(std: pd.DataFrame) -> Model:
    trained = train_model(std, spec=SPEC)
    names = [c["output_column_name"] for c in trained["comparisons"]]
    assert "phones" in names and "name" in names
    rules = trained["blocking_rules_to_generate_predictions"]
    assert any(r.get("arrays_to_explode") for r in rules)
    return trained


@pytest.fixture(scope="module")
def model_path(model: Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "resolution.json"
    path.write_text(json.dumps(model, indent=2, sort_keys=True), encoding="utf-8")
    return path


def _refused(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_saved_model(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert len(message) < 200, message
    assert "passwd" not in message and "read_" not in message, message
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, InputError)
    return message


# -- a model saved by graphkit round-trips -----------------------------------------------


def test_graphkit_model_round_trips_with_the_same_predictions(
    std: pd.DataFrame, model: Model, model_path: Path
) -> None:
    loaded = load_saved_model(model_path)
    # the same settings as the file, rebuilt: only the random linker id is dropped
    expected = {k: v for k, v in model.items() if k != "linker_uid"}
    assert "linker_uid" not in loaded
    assert loaded["comparisons"] == expected["comparisons"]
    assert (
        loaded["probability_two_random_records_match"]
        == (model["probability_two_random_records_match"])
    )
    strip = [
        {k: v for k, v in r.items() if v is not None}
        for r in model["blocking_rules_to_generate_predictions"]
    ]
    assert [
        {k: v for k, v in r.items() if v is not None}
        for r in loaded["blocking_rules_to_generate_predictions"]
    ] == strip
    # and what Splink computes from it equals what it computes from the file as written
    ours = predict_pairs(std, loaded, threshold_probability=0.5)
    from splink import DuckDBAPI, Linker

    linker = Linker(DuckDBAPI(connection=duckdb.connect()).register(std), copy.deepcopy(model))
    raw = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    pairs = {
        tuple(sorted(p)): w
        for p, w in zip(
            zip(raw["unique_id_l"].astype(str), raw["unique_id_r"].astype(str), strict=True),
            raw["match_weight"],
            strict=True,
        )
    }
    assert len(ours) == len(pairs) > 100
    got = {
        (a, b): w for a, b, w in zip(ours["id_l"], ours["id_r"], ours["match_weight"], strict=True)
    }
    assert got.keys() == pairs.keys()
    np.testing.assert_allclose([got[k] for k in pairs], list(pairs.values()), rtol=1e-9)
    # saving the rebuilt model and loading it again is a fixed point
    again = model_path.parent / "again.json"
    again.write_text(json.dumps(loaded))
    assert load_saved_model(again) == loaded


def test_train_model_output_passes_predict_pairs_unchanged(std: pd.DataFrame, model: Model) -> None:
    direct = predict_pairs(std, model, threshold_probability=0.9)
    rebuilt = predict_pairs(std, rebuild_model(model), threshold_probability=0.9)
    pd.testing.assert_frame_equal(direct, rebuilt)


def test_spark_dialect_is_rebuilt_not_translated(model: Model) -> None:
    spark = model_for_engine(model, "spark")
    assert spark["sql_dialect"] == "spark"
    assert all(r["sql_dialect"] == "spark" for r in spark["blocking_rules_to_generate_predictions"])
    assert "`" in spark["blocking_rules_to_generate_predictions"][0]["blocking_rule"]
    back = rebuild_model(spark, dialect="duckdb")
    assert back["comparisons"] == rebuild_model(model)["comparisons"]


def test_cosmetic_and_random_fields_never_reach_the_result(model: Model, tmp_path: Path) -> None:
    """Chart labels and the linker id are not compared: they are dropped for graphkit's."""
    evil = copy.deepcopy(model)
    evil["linker_uid"] = f"x; SELECT * FROM read_text('{PASSWD}') --"
    evil["comparisons"][0]["comparison_levels"][1]["label_for_charts"] = f"read_text('{PASSWD}')"
    evil["comparisons"][0]["comparison_description"] = f"COPY x TO '{PASSWD}'"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(evil))
    loaded = load_saved_model(path)
    assert PASSWD not in json.dumps(loaded)
    assert loaded == load_saved_model_from(model, tmp_path)


def load_saved_model_from(model: Model, tmp_path: Path) -> Model:
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(model))
    return load_saved_model(path)


# -- hostile models ------------------------------------------------------------------------


def _rule(sql: str) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m["blocking_rules_to_generate_predictions"][0]["blocking_rule"] = sql

    return edit


def _level(sql: str, comparison: int = 0, level: int = 1) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        m["comparisons"][comparison]["comparison_levels"][level]["sql_condition"] = sql

    return edit


def _set(*keys: Any, value: Any) -> Callable[[Model], None]:
    def edit(m: Model) -> None:
        target = m
        for k in keys[:-1]:
            target = target[k]
        target[keys[-1]] = value

    return edit


_FIRST_RULE = '(l."given" = r."given") AND (l."surname" = r."surname")'
_EXACT_NAME = '"name_concat_l" = "name_concat_r"'

HOSTILE: dict[str, Callable[[Model], None]] = {
    "rule read_csv": _rule(f"{_FIRST_RULE} AND EXISTS (SELECT * FROM read_csv('{PASSWD}'))"),
    "rule read_text": _rule(f"l.given = (SELECT content FROM read_text('{PASSWD}'))"),
    "rule read_text in error": _rule(
        f"CAST((SELECT content FROM read_text('{PASSWD}')) AS INTEGER) = 1"
    ),
    "rule COPY": _rule(f"{_FIRST_RULE}; COPY (SELECT 1) TO '/tmp/graphkit_pwned.csv'"),
    "rule ATTACH": _rule(f"{_FIRST_RULE}; ATTACH '/tmp/graphkit_pwned.db' AS x"),
    "rule PRAGMA": _rule(f"{_FIRST_RULE}; PRAGMA enable_profiling='json'"),
    "rule INSTALL": _rule(f"{_FIRST_RULE}; INSTALL httpfs; LOAD httpfs"),
    "rule SET": _rule(f"{_FIRST_RULE}; SET enable_external_access = true"),
    "rule comment trick": _rule(f"{_FIRST_RULE} -- ' AND read_text('{PASSWD}') IS NULL"),
    "rule block comment": _rule(f"{_FIRST_RULE} /* */ OR 1 = 1"),
    "rule nested quotes": _rule(
        '(l."given" = r."given"" OR 1=1 --") AND (l."surname" = r."surname")'
    ),
    "rule always true": _rule("1 = 1"),
    "rule explodes another column": _set(
        "blocking_rules_to_generate_predictions", 0, "arrays_to_explode", value=["given"]
    ),
    "rule extra key": _set(
        "blocking_rules_to_generate_predictions", 0, "salting_partitions", value=1000000
    ),
    "rule other dialect": _set(
        "blocking_rules_to_generate_predictions", 0, "sql_dialect", value="postgres"
    ),
    "rule not an object": _set("blocking_rules_to_generate_predictions", 0, value=_FIRST_RULE),
    "no rules": _set("blocking_rules_to_generate_predictions", value=[]),
    "rules not a list": _set("blocking_rules_to_generate_predictions", value=_FIRST_RULE),
    "rule twice": lambda m: m["blocking_rules_to_generate_predictions"].append(
        copy.deepcopy(m["blocking_rules_to_generate_predictions"][0])
    ),
    "level read_csv": _level(f"{_EXACT_NAME} OR EXISTS (SELECT * FROM read_csv('{PASSWD}'))"),
    "level read_text": _level(f"(SELECT content FROM read_text('{PASSWD}')) IS NOT NULL"),
    "level COPY": _level(f"{_EXACT_NAME}; COPY (SELECT 1) TO '/tmp/graphkit_pwned.csv'"),
    "level ATTACH": _level(f"{_EXACT_NAME}; ATTACH ':memory:' AS x"),
    "level PRAGMA": _level(f"{_EXACT_NAME}; PRAGMA database_list"),
    "level INSTALL": _level(f"{_EXACT_NAME}; INSTALL httpfs"),
    "level comment trick": _level(f"{_EXACT_NAME} -- \n OR read_text('{PASSWD}') IS NULL"),
    "level nested quotes": _level('"name_concat_l" = "name_concat_r"" OR ""x"'),
    "level ELSE swapped in": _level("ELSE"),
    "level tf column": _set(
        "comparisons",
        0,
        "comparison_levels",
        1,
        "tf_adjustment_column",
        value=f"name_concat\" FROM read_text('{PASSWD}') --",
    ),
    "level tf weight": _set(
        "comparisons", 0, "comparison_levels", 1, "tf_adjustment_weight", value=50.0
    ),
    "level extra key": _set(
        "comparisons", 0, "comparison_levels", 1, "sql_condition_2", value=f"read_text('{PASSWD}')"
    ),
    "level null flag moved": _set(
        "comparisons", 0, "comparison_levels", 1, "is_null_level", value=True
    ),
    "level not an object": _set("comparisons", 0, "comparison_levels", 1, value="ELSE"),
    "unknown comparison": lambda m: m["comparisons"].append(
        {**copy.deepcopy(m["comparisons"][-1]), "output_column_name": "passport"}
    ),
    "comparison name injected": _set(
        "comparisons", 0, "output_column_name", value=f"name\" FROM read_text('{PASSWD}') --"
    ),
    "comparison twice": lambda m: m["comparisons"].append(copy.deepcopy(m["comparisons"][0])),
    "comparisons reordered": lambda m: m["comparisons"].reverse(),
    "comparison dropped": lambda m: m["comparisons"].pop(0),
    "comparison extra key": _set("comparisons", 0, "sql", value=f"read_text('{PASSWD}')"),
    "comparisons not a list": _set("comparisons", value={"name": 1}),
    "level missing": lambda m: m["comparisons"][0]["comparison_levels"].pop(3),
    "level added": lambda m: m["comparisons"][1]["comparison_levels"].insert(
        2, copy.deepcopy(m["comparisons"][1]["comparison_levels"][2])
    ),
    "levels swapped": lambda m: m["comparisons"][0]["comparison_levels"].insert(
        2, m["comparisons"][0]["comparison_levels"].pop(3)
    ),
    "m above one": _set("comparisons", 0, "comparison_levels", 1, "m_probability", value=1.5),
    "u negative": _set("comparisons", 0, "comparison_levels", 1, "u_probability", value=-0.1),
    "m as text": _set("comparisons", 0, "comparison_levels", 1, "m_probability", value="0.5"),
    "m as bool": _set("comparisons", 0, "comparison_levels", 1, "m_probability", value=True),
    "m huge int": _set("comparisons", 0, "comparison_levels", 1, "m_probability", value=10**400),
    "prior zero": _set("probability_two_random_records_match", value=0),
    "prior one": _set("probability_two_random_records_match", value=1.0),
    "prior missing": lambda m: m.pop("probability_two_random_records_match"),
    "prior as SQL": _set("probability_two_random_records_match", value=f"read_text('{PASSWD}')"),
    "unique id injected": _set(
        "unique_id_column_name",
        value=f"unique_id\", (SELECT content FROM read_text('{PASSWD}')) AS \"x",
    ),
    "prefix injected": _set(
        "match_weight_column_prefix", value=f"mw_\" FROM read_text('{PASSWD}')--"
    ),
    "retained columns": _set(
        "additional_columns_to_retain", value=[f"(SELECT content FROM read_text('{PASSWD}'))"]
    ),
    "link type": _set("link_type", value="link_and_dedupe"),
    "dialect": _set("sql_dialect", value=f"duckdb'; ATTACH '{PASSWD}"),
    "extra top-level key": _set("sql", value=f"SELECT * FROM read_text('{PASSWD}')"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_model_is_refused_in_one_line(name: str, model: Model, tmp_path: Path) -> None:
    evil = copy.deepcopy(model)
    HOSTILE[name](evil)
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(evil), encoding="utf-8")
    message = _refused(path)
    assert message.startswith("model file evil.json"), message
    # the same dict handed straight to scoring is refused too (predict_pairs rebuilds it)
    with pytest.raises(InputError):
        model_for_engine(copy.deepcopy(evil), "duckdb")


def test_nan_and_infinity_are_refused(model: Model, tmp_path: Path) -> None:
    for token in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(model).replace(
            json.dumps(model["comparisons"][0]["comparison_levels"][1]["m_probability"]), token, 1
        )
        assert token in text
        path = tmp_path / "nan.json"
        path.write_text(text)
        assert "NaN or Infinity" in _refused(path)
    evil = copy.deepcopy(model)
    evil["comparisons"][0]["comparison_levels"][1]["m_probability"] = float("nan")
    with pytest.raises(InputError, match="not finite"):
        rebuild_model(evil)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2, 3]", "not an object"),
        (b'"/etc/passwd"', "not an object"),
        (b"{}", "no comparisons"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "not valid JSON"),
        (b'{"comparisons": []}', "no comparisons"),
        (b'{"comparisons": [{"output_column_name": "dob"}, 7]}', "not an object"),
    ],
)
def test_files_that_are_not_models_are_refused(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert reason in _refused(path)


def test_huge_missing_and_odd_files_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.write(b"{" + b" " * MAX_MODEL_BYTES + b"}")
    assert "larger than" in _refused(huge)
    assert "not found" in _refused(tmp_path / "missing.json")
    assert "not a regular file" in _refused(tmp_path)
    odd = tmp_path / ("x\n" + "y" * 200 + ".json")
    odd.write_text("nope")
    message = _refused(odd)
    assert "x?y" in message


# -- the DuckDB lock-down ------------------------------------------------------------------


def test_lock_down_keeps_registered_frames_and_refuses_the_outside(tmp_path: Path) -> None:
    con = duckdb.connect(":memory:", config={"memory_limit": "1GB"})
    lock_down(con)
    con.register("frame", pd.DataFrame({"a": [1, 2, 3]}))
    assert con.execute("SELECT sum(a) FROM frame").fetchall() == [(6,)]
    con.execute("CREATE TEMP TABLE t AS SELECT a * 2 AS b FROM frame")
    assert con.execute("SELECT max(b) FROM t").fetchall() == [(6,)]
    target = tmp_path / "out.csv"
    refused = [
        f"SELECT * FROM read_csv('{PASSWD}')",
        f"SELECT * FROM read_text('{PASSWD}')",
        f"SELECT * FROM read_blob('{PASSWD}')",
        "SELECT * FROM glob('/etc/*')",
        f"COPY (SELECT 1) TO '{target}'",
        f"EXPORT DATABASE '{tmp_path / 'export'}'",
        f"ATTACH '{tmp_path / 'x.db'}' AS x",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "RESET enable_external_access",
        "SET lock_configuration = false",
        "SET memory_limit = '100GB'",
    ]
    for sql in refused:
        with pytest.raises(duckdb.Error):
            con.execute(sql).fetchall()
    assert not target.exists() and not (tmp_path / "x.db").exists()
    assert con.execute("SELECT current_setting('enable_external_access')").fetchall() == [(False,)]
    con.close()


def test_scoring_connection_is_locked_down(std: pd.DataFrame, model: Model) -> None:
    from resolution.linkage import _db_api

    api = _db_api("duckdb", 1.0)
    con = api.duckdb_con
    assert con.execute(
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')"
    ).fetchall() == [(False, True)]
    with pytest.raises(duckdb.Error):
        con.execute(f"SELECT * FROM read_text('{PASSWD}')").fetchall()


def test_model_saved_before_the_edit_shortcut_still_loads(model: Model, tmp_path: Path) -> None:
    """Models saved before the within-one-edit levels tested halves first (the distance
    alone): the same levels, so they load, rebuilt with the shortcut."""
    old = copy.deepcopy(model)
    changed = 0
    for comp in old["comparisons"]:
        for level in comp["comparison_levels"]:
            sql = level["sql_condition"]
            level["sql_condition"] = model_file._before_shortcut(sql)
            changed += level["sql_condition"] != " ".join(sql.split())
    assert changed >= 3  # postcode, town and address at least
    assert "CAST(floor(" not in json.dumps(old["comparisons"])
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    assert load_saved_model(path)["comparisons"] == rebuild_model(model)["comparisons"]
    # anything else in place of the distance is still refused
    level = next(
        lv
        for comp in old["comparisons"]
        for lv in comp["comparison_levels"]
        if "damerau_levenshtein" in lv["sql_condition"] and "postcode" in lv["sql_condition"]
    )
    level["sql_condition"] = level["sql_condition"].replace("<= 1", "<= 2")
    path.write_text(json.dumps(old))
    assert "differs from graphkit's" in _refused(path)


def test_bounded_connection_spills_to_its_own_folder_not_the_working_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import tempfile

    from graphkit.sqlsafety import bounded_connection

    monkeypatch.chdir(tmp_path)
    con = bounded_connection(0.05)  # 50 MB: a 10M-row table has to go to disk
    ((spill,),) = con.execute("SELECT current_setting('temp_directory')").fetchall()
    assert Path(spill).parent == Path(tempfile.gettempdir()) and Path(spill).is_dir()
    con.execute("CREATE TEMP TABLE big AS SELECT i, random() AS r FROM range(10000000) t(i)")
    assert con.execute("SELECT count(*) FROM big WHERE r >= 0").fetchall() == [(10_000_000,)]
    (spilled,) = con.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()
    assert spilled > 0 and any(Path(spill).iterdir())
    assert not (tmp_path / ".tmp").exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(duckdb.Error):  # locked down like the others
        con.execute("SET temp_directory = '.'")
    con.close()
    del con
    gc.collect()
    assert not Path(spill).exists()
