"""What lets sparse records meet and score (issue 23, historical_50k): dates of birth kept as far
as they are sound, partial dates compared at their own levels, any one name token as a blocking
key and a comparison level, and the prior re-estimated from the blocked pairs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import resolution.linkage as linkage
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore
from resolution.comparisons import blocking_rules, prediction_rule_candidates, settings_creator
from resolution.datasets import load_fake_1000, load_febrl3
from resolution.linkage import predict_pairs, train_model
from resolution.records import load_person_records
from resolution.spec import ResolutionSpec
from resolution.standardise import standardise

SPEC = ResolutionSpec(u_max_pairs=3e5)  # as test_accuracy: fewer u pairs keeps it quick


def test_a_date_ingest_cannot_read_keeps_its_sound_parts(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(
        "id,first_name,last_name,dob\n"
        "1,Ann,Lee,1985-13-02\n"  # month 13: the year is sound
        "2,Bob,Lee,1985-02-45\n"  # day 45: year and month are
        "3,Cy,Lee,1985-02-03\n"
        "4,Di,Lee,no idea\n"
    )
    store = CaseStore.init(tmp_path / "case")
    result = ingest_file(store, path, kind="persons", source_name="p")
    assert result.rejected == 0
    with store.connect(read_only=True) as con:
        canonical = con.execute("SELECT dob FROM src_persons ORDER BY row_number").fetchall()
        records = load_person_records(con, store.manifest)
    assert [d for (d,) in canonical] == [None, None, "1985-02-03", None]  # ingest as before
    std = standardise(records).set_index("unique_id")
    assert std["dob"].to_dict() == {
        "p:1": "1985",
        "p:2": "1985-02",
        "p:3": "1985-02-03",
        "p:4": None,
    }


def _levels(std: pd.DataFrame, cols: frozenset[str], comparison: str) -> dict[tuple[str, str], str]:
    """The level of ``comparison`` each blocked pair of ``std`` falls in, by its label: a model
    whose k-th non-null level weighs k bits, scored by Splink."""
    rules = [r for _, r in prediction_rule_candidates(cols)]
    model = settings_creator(cols, rules).create_settings_dict("duckdb")
    model["probability_two_random_records_match"] = 0.01
    labels: dict[int, str] = {}
    for comp in model["comparisons"]:
        k = 0
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            k += 1
            level["m_probability"], level["u_probability"] = 0.5, 0.5 / 2**k
            if comp["output_column_name"] == comparison:
                labels[k] = str(level.get("label_for_charts"))
    pairs = predict_pairs(std, model, threshold_probability=1e-9)
    bits = (pairs[f"mw_{comparison}"] - pairs[f"tfw_{comparison}"]).round().astype(int)
    return {
        (a, b): labels.get(k, "null")
        for a, b, k in zip(pairs["id_l"], pairs["id_r"], bits, strict=True)
    }


def test_partial_dates_agree_at_their_own_levels() -> None:
    std = standardise(
        pd.DataFrame(
            {
                "unique_id": ["a", "b", "c", "d"],
                "first_name": "Ann",
                "last_name": "Lee",
                "dob": ["1850", "1850-03-02", "1850-03", "1850-07-09"],
            }
        )
    )
    levels = _levels(std, frozenset({"given", "surname", "dob"}), "dob")
    assert levels[("b", "c")] == "same year and month, no day on one side"
    # full dates (or a year-month) that differ in the month: the weaker level; and a year
    # alone agreeing stays there too (households: see resolution.comparisons)
    assert levels[("b", "d")] == levels[("c", "d")] == "same year"
    assert levels[("a", "b")] == levels[("a", "d")] == "same year"


def test_a_single_name_meets_the_full_name_it_belongs_to() -> None:
    std = standardise(
        pd.DataFrame(
            {
                "unique_id": ["a", "b", "c"],
                "first_name": ["Stevenson", None, "Mary"],
                "last_name": [None, None, "Smith"],
                "full_name": [None, "Robert Louis Stevenson", None],
                "birth_place": "Edinburgh",
            }
        )
    )
    cols = frozenset({"given", "surname", "name_tokens", "birth_place"})
    # the name token + birth place rule is generated and kept (a handful of pairs)
    kept = [str(r.get_blocking_rule("duckdb").blocking_rule_sql) for r in blocking_rules(cols)]
    assert any("name_tokens" in r and "birth_place" in r for r in kept)
    levels = _levels(std, cols, "name")
    assert levels[("a", "b")] == "a name token shared"
    assert ("a", "c") not in levels or levels[("a", "c")] != "a name token shared"


def _true_prior(truth: pd.Series) -> float:
    sizes = truth.value_counts()
    n = len(truth)
    return float((sizes * (sizes - 1) / 2).sum() / (n * (n - 1) / 2))


def test_prior_from_the_blocked_pairs_near_the_true_share(er_dir: Path) -> None:
    """fake_1000: the deterministic rules' prior (assumed recall 0.7) is 0.0021, half the
    true share of matching pairs (0.0041); re-estimated from the blocked pairs it is 0.0030
    (pairs no rule generates count as non-matches, so it stays below)."""
    records = load_fake_1000(er_dir)
    std = standardise(records.drop(columns="truth"))
    prior = train_model(std, spec=SPEC)["probability_two_random_records_match"]
    true = _true_prior(records["truth"])
    assert true / 1.5 <= prior <= true * 1.05


def test_prior_of_a_large_case_from_a_sample(er_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = load_fake_1000(er_dir)
    std = standardise(records.drop(columns="truth"))
    full = train_model(std, spec=SPEC)["probability_two_random_records_match"]
    monkeypatch.setattr(linkage, "_PRIOR_MAX_RECORDS", 600)
    sampled = train_model(std, spec=SPEC)["probability_two_random_records_match"]
    assert sampled != full
    assert abs(sampled / full - 1) < 0.2


@pytest.mark.slow
def test_prior_of_a_complete_data_set_is_the_true_share(er_dir: Path) -> None:
    """FEBRL 3: blocking finds nearly every match, so the estimate meets the truth (0.000518
    against 0.000523; the rules' estimate was 0.000678)."""
    records = load_febrl3(er_dir)
    std = standardise(records.drop(columns="truth"))
    prior = train_model(std, spec=SPEC)["probability_two_random_records_match"]
    assert abs(prior / _true_prior(records["truth"]) - 1) < 0.05
