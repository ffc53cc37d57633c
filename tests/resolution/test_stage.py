"""Resolution of a case: persons, stable ids, review decisions, errors."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd
import pytest

from graphkit.errors import CaseError, InputError
from graphkit.store import CaseStore
from resolution.evaluate import er_metrics
from resolution.spec import ResolutionSpec
from resolution.stage import decide, resolve_case
from tests.resolution.conftest import new_case, truth_by_record_key

SPEC = ResolutionSpec(u_max_pairs=3e5)


def _clusters(store: CaseStore) -> pd.Series:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        df = con.execute("SELECT record_key, person_id FROM er_clusters").df()
    return df.set_index("record_key")["person_id"]


def _anchors(store: CaseStore) -> pd.DataFrame:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        return con.execute("SELECT person_id, anchor_record FROM er_anchors").df()


@pytest.fixture
def case(tmp_path: Path, fake_sources: dict[str, Path], trained_model: Path) -> CaseStore:
    store = new_case(tmp_path / "case", fake_sources, ("persons", "subs"))
    resolve_case(store, spec=SPEC, model_path=trained_model)
    return store


def test_records_become_persons_with_graph_tables(case: CaseStore, er_dir: Path) -> None:
    clusters = _clusters(case)
    truth = truth_by_record_key(er_dir)
    m = er_metrics(clusters.to_numpy(), [truth[k] for k in clusters.index])
    assert m.pair_precision >= 0.97
    assert m.pair_f1 >= 0.85
    with case.operation("test fixture", operation="alteration"), case.connect() as con:
        n_person = con.execute("SELECT count(*) FROM node_person").fetchone()[0]
        assert n_person == clusters.nunique()
        resolved = con.execute("SELECT dst, count(*) FROM rel_resolved_from GROUP BY dst").df()
        assert len(resolved) == len(clusters) and (resolved.iloc[:, 1] == 1).all()
        # every subscriber's number is used by the person its record resolved into
        uses = con.execute(
            """SELECT count(*) FROM src_subscribers s
               JOIN er_clusters c ON c.record_key = 'subs:' || s.record_id
               LEFT JOIN rel_uses u ON u.src = c.person_id AND u.dst = s.msisdn
               WHERE u.src IS NULL"""
        ).fetchone()[0]
        assert uses == 0
        phones = con.execute("SELECT count(*), bool_and(valid_number) FROM node_phone").fetchone()
        assert phones[0] > 0 and phones[1]
        actors = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE actor_id LIKE 'P%'),
                      count(*) FILTER (WHERE len(persons) = 1 AND actor_id <> persons[1])
               FROM phone_actor"""
        ).fetchone()
        assert actors[0] == phones[0] and actors[1] > 0 and actors[2] == 0
        recs = con.execute("SELECT count(*) FROM node_record WHERE kind IS NOT NULL").fetchone()
        assert recs[0] == len(clusters)
    manifest = case.manifest
    assert manifest["models"]["resolution"]["sha256"]
    assert manifest["stages"]["resolve"]["summary"]["persons"] == clusters.nunique()


def test_ids_stable_across_rerun_with_an_added_source(
    case: CaseStore, fake_sources: dict[str, Path], trained_model: Path
) -> None:
    from graphkit.ingest.stage import ingest_file

    before = _anchors(case)
    rerun = resolve_case(case, spec=SPEC, model_path=trained_model)
    assert rerun.new_person_ids == 0 and rerun.retired_person_ids == 0
    pd.testing.assert_frame_equal(
        _anchors(case).sort_values("person_id").reset_index(drop=True),
        before.sort_values("person_id").reset_index(drop=True),
    )
    ingest_file(case, fake_sources["late"], kind="subscribers", source_name="late")
    summary = resolve_case(case, spec=SPEC, model_path=trained_model)
    after = _clusters(case)
    with case.operation("test fixture", operation="alteration"), case.connect() as con:
        rank = con.execute("SELECT record_key, anchor_rank FROM er_records").df()
    rank = rank.set_index("record_key")["anchor_rank"]
    kept = 0
    for pid, anchor in before.itertuples(index=False):
        new_pid = after[anchor]
        if new_pid == pid:
            kept += 1
            continue
        # only a merge with an earlier previous anchor may take the id away
        members = after[after == new_pid].index
        earlier = before[before["anchor_record"].isin(members)]
        assert rank[earlier["anchor_record"]].min() < rank[anchor]
    assert kept == summary.kept_person_ids
    assert kept >= 0.95 * len(before)
    assert any(k.startswith("late:") for k in after.index)


def _queue(store: CaseStore) -> pd.DataFrame:
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        return con.execute("SELECT * FROM review_queue").df()


def test_review_decisions_are_honoured_after_reclustering(
    case: CaseStore, trained_model: Path
) -> None:
    queue = _queue(case)
    together = queue[(queue["person_l"] == queue["person_r"]) & (queue["status"] == "pending")]
    apart = queue[(queue["person_l"] != queue["person_r"]) & (queue["status"] == "pending")]
    assert len(together) and len(apart), "the queue has merged and unmerged pairs"
    rej, acc = together.iloc[0], apart.iloc[0]
    decide(case, rej["review_id"], decision="reject", actor="analyst")
    decide(case, acc["review_id"], decision="accept", actor="analyst")
    for _ in range(2):  # after the decision, and after a full re-run
        clusters = _clusters(case)
        assert clusters[rej["id_l"]] != clusters[rej["id_r"]]
        assert clusters[acc["id_l"]] == clusters[acc["id_r"]]
        status = _queue(case).set_index("review_id")["status"]
        assert status[rej["review_id"]] == "rejected"
        assert status[acc["review_id"]] == "accepted"
        resolve_case(case, spec=SPEC, model_path=trained_model)
    with pytest.raises(InputError, match="no review item"):
        decide(case, "Rnope", decision="accept", actor=None)
    with pytest.raises(InputError, match="accept or reject"):
        decide(case, rej["review_id"], decision="maybe", actor=None)


def test_no_person_source_is_one_clear_error(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "empty")
    with pytest.raises(InputError, match="no person records to resolve"):
        resolve_case(store, spec=SPEC)


def test_empty_source_is_one_clear_error(tmp_path: Path) -> None:
    from graphkit.ingest.stage import ingest_file

    store = CaseStore.init(tmp_path / "c")
    empty = tmp_path / "people.csv"
    empty.write_text("id,first_name,surname,dob\n")
    with contextlib.suppress(InputError):  # ingest may refuse it: also one clear error
        ingest_file(store, empty, kind="persons")
    with pytest.raises(InputError, match="no person records to resolve"):
        resolve_case(store, spec=SPEC)


def test_missing_staging_columns_are_one_clear_error(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "c")
    with store.operation("test fixture", operation="alteration"), store.connect() as con:
        con.execute(
            "CREATE TABLE src_persons (source_name VARCHAR, row_number BIGINT, "
            "record_id VARCHAR, is_duplicate BOOLEAN, first_name VARCHAR)"
        )
        con.execute("INSERT INTO src_persons VALUES ('p', 1, '1', false, 'ann')")
    with pytest.raises(InputError, match="src_persons lacks column"):
        resolve_case(store, spec=SPEC)


def test_model_file_errors_and_recluster_before_resolve(tmp_path: Path, case: CaseStore) -> None:
    from resolution.stage import recluster_case

    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not a Splink JSON model"):
        resolve_case(case, spec=SPEC, model_path=bad)
    with pytest.raises(InputError, match="not found"):
        resolve_case(case, spec=SPEC, model_path=tmp_path / "missing.json")
    with pytest.raises(CaseError, match="has not run"):
        recluster_case(CaseStore.init(tmp_path / "fresh"))


def test_spec_validates_thresholds() -> None:
    with pytest.raises(InputError, match=r"^threshold_probability: must lie inside the review"):
        ResolutionSpec(threshold_probability=0.3, review_low_probability=0.5)
    with pytest.raises(InputError, match="engine"):
        ResolutionSpec(engine="oracle")  # type: ignore[arg-type]


def test_evaluate_case_resolution_against_truth(case: CaseStore, er_dir: Path) -> None:
    from resolution.evaluate import evaluate_case_resolution

    truth = truth_by_record_key(er_dir)
    frame = pd.DataFrame({"record_key": list(truth), "entity": list(truth.values())})
    m = evaluate_case_resolution(case, frame)
    assert m.records == len(_clusters(case))
    assert m.pair_f1 >= 0.85 and m.bcubed_f1 >= 0.88
    with pytest.raises(InputError, match="no resolved record"):
        evaluate_case_resolution(case, frame.assign(record_key="x:" + frame["record_key"]))


def test_evaluator_reads_simulator_truth(case: CaseStore, er_dir: Path, tmp_path: Path) -> None:
    from resolution.evaluate import evaluate_resolution

    truth = truth_by_record_key(er_dir)
    source, record_id = zip(*(k.split(":") for k in truth), strict=True)
    records = pd.DataFrame(
        {"source": source, "record_id": record_id, "person_id": "", "identity_id": truth.values()}
    )
    records.to_csv(tmp_path / "records.csv", index=False)
    result = evaluate_resolution(case, tmp_path)
    assert result is not None
    assert result["metrics"]["pair_f1"] >= 0.85
    assert result["passed"] is (result["metrics"]["pair_f1"] >= 0.95)
    assert evaluate_resolution(CaseStore.init(tmp_path / "fresh"), tmp_path) is None
