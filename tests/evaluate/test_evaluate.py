"""`graphkit evaluate`: the registry, the ingest evaluator and the CLI on a simulated case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graphkit.cli import evaluate as evaluate_cli
from graphkit.cli import ingest as ingest_cli
from graphkit.cli import simulate as simulate_cli
from graphkit.errors import InputError
from graphkit.evaluate import all_evaluators, evaluate_case, evaluator
from graphkit.ingest import ingest_file
from graphkit.runfile import load_case_file
from graphkit.simulate import SimulationSpec, simulate
from graphkit.store import CaseStore

TINY = SimulationSpec(seed=2, people=300, days=14, groups=1)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "sim"
    simulate(out, spec=TINY)
    return out


def _ingest_all(sim: Path, case_dir: Path, *, skip: str = "") -> CaseStore:
    case_file = load_case_file(sim / "case.toml")
    store = CaseStore.init(case_dir, name=case_file.name)
    for src in case_file.sources:
        if src.name != skip:
            ingest_file(
                store, src.file, kind=src.kind, mapping_path=src.mapping, source_name=src.name
            )
    return store


def test_ingest_evaluator_passes_on_a_faithful_ingest(sim: Path, tmp_path: Path) -> None:
    store = _ingest_all(sim, tmp_path / "case")
    result = evaluate_case(store, sim / "truth")["ingest"]
    assert result["status"] == "evaluated" and result["passed"] is True
    metrics = result["metrics"]
    assert metrics["sources_ok"] == metrics["sources_expected"] == 8
    assert metrics["rejected"] == metrics["rejects_expected"] > 0
    assert metrics["reject_precision"] == metrics["reject_recall"] == 1.0


def test_ingest_evaluator_catches_a_missing_source_and_a_wrong_mapping(
    sim: Path, tmp_path: Path
) -> None:
    store = _ingest_all(sim, tmp_path / "case", skip="opA_cdr")
    bad_mapping = tmp_path / "opB_wrong.toml"
    text = (sim / "mappings" / "opB_cdr.toml").read_text()
    bad_mapping.write_text(text.replace('duration_s = "hms"', 'duration_s = "s"'))
    ingest_file(
        store,
        sim / "sources" / "opB_cdr.csv",
        kind="cdr",
        mapping_path=bad_mapping,
        source_name="opB_cdr",
        replace=True,
    )
    result = evaluate_case(store, sim / "truth")["ingest"]
    assert result["passed"] is False
    rows = {r["source"]: r for r in result["rows"]}
    assert rows["opA_cdr"]["found"] is False and rows["opA_cdr"]["ok"] is False
    assert rows["opB_cdr"]["ok"] is False
    assert rows["opB_cdr"]["rejected"] > rows["opB_cdr"]["expected_rejected"]
    assert result["metrics"]["reject_precision"] < 0.5
    assert rows["towers"]["ok"] is True


def test_skipped_when_nothing_ingested_and_errors_for_bad_input(sim: Path, tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "empty", name="empty")
    results = evaluate_case(store, sim / "truth")
    assert {"ingest", "blackouts", "handoffs", "links"} <= set(results)
    assert all(r == {"status": "skipped"} for r in results.values())
    with pytest.raises(InputError, match="truth"):
        evaluate_case(store, tmp_path)
    with pytest.raises(InputError, match="no evaluator"):
        evaluate_case(store, sim / "truth", stages=["nonsense"])


def test_registry_accepts_new_stages(sim: Path, tmp_path: Path) -> None:
    @evaluator("test-stage", help="counts persons in the truth")
    def _count(store: CaseStore, truth_dir: Path) -> dict[str, object]:
        lines = (truth_dir / "persons.csv").read_text().count("\n") - 1
        return {"metrics": {"persons": lines}}

    try:
        assert "test-stage" in all_evaluators()
        store = CaseStore.init(tmp_path / "c", name="c")
        result = evaluate_case(store, sim / "truth", stages=["test-stage"])
        assert result["test-stage"]["metrics"] == {"persons": TINY.people}
    finally:
        from graphkit import evaluate as registry

        registry._REGISTRY.pop("test-stage")


def test_cli_simulate_run_evaluate(tmp_path: Path) -> None:
    app = typer.Typer()
    for module in (simulate_cli, ingest_cli, evaluate_cli):
        module.register(app)
    runner = CliRunner()
    out = tmp_path / "sim"
    args = ["simulate", str(out), "--people", "300", "--days", "14", "--groups", "1", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)[0]
    assert summary["sources"]["towers"] > 0 and summary["handoffs"] > 0
    result = runner.invoke(app, ["run", str(out / "case.toml"), "--case", str(tmp_path / "case")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["evaluate", str(tmp_path / "case"), "--truth", str(out / "truth"), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ingest"]["passed"] is True
    store = CaseStore.open(tmp_path / "case")
    assert any(e["command"] == "evaluate" for e in store.audit.entries())
    # refuses to overwrite silently
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    shutil.rmtree(out)


def test_signal_stages_are_evaluated_once_they_have_run(sim: Path, tmp_path: Path) -> None:
    store = _ingest_all(sim, tmp_path / "case")
    before = evaluate_case(store, sim / "truth")
    assert before["blackouts"] == {"status": "skipped"}
    assert before["handoffs"] == {"status": "skipped"}
    from graphkit.signals.stage import detect_blackouts_in_case, detect_handoffs_in_case

    detect_blackouts_in_case(store)
    detect_handoffs_in_case(store, use_imei=False)
    after = evaluate_case(store, sim / "truth", stages=["blackouts", "handoffs"])
    assert after["blackouts"]["status"] == after["handoffs"]["status"] == "evaluated"
    assert after["handoffs"]["metrics"]["planted"] > 0
    assert 0.0 <= after["blackouts"]["metrics"]["recall"] <= 1.0
