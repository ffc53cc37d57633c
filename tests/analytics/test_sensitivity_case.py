"""Leaders and brokers under other resolution thresholds (analyze part ``sensitivity``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.analytics.sensitivity_case import RANKINGS, sensitivity_view
from graphkit.pipeline import _reusable_base, analyze, rerun_at_threshold
from graphkit.report.collect import collect
from graphkit.report.html import render_html
from graphkit.report.sections import build_sections
from graphkit.store import CaseStore
from tests.export.cases import FAST, copy_case, resolved_case, simulated_case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    return CaseStore.open(resolved_case(tmp_path_factory.mktemp("resolved")))


def _stored(store: CaseStore) -> pd.DataFrame:
    with store.connect(read_only=True) as con:
        return con.execute("SELECT * FROM analytics_sensitivity").df()


def test_rerun_at_the_recorded_threshold_reproduces_both_rankings(
    resolved: CaseStore, tmp_path: Path
) -> None:
    stage = resolved.stage("resolve")
    assert stage is not None
    threshold = stage["settings"]["threshold_probability"]
    same = rerun_at_threshold(resolved, tmp_path, "control", threshold)
    with resolved.connect(read_only=True) as con:
        base = con.execute("SELECT actor_id, leadership, betweenness FROM analytics_actor").df()
    merged = base.merge(same, on="actor_id", suffixes=("", "_re"))
    assert len(merged) == len(base) == len(same)
    for column in RANKINGS.values():
        pd.testing.assert_series_equal(merged[column], merged[f"{column}_re"], check_names=False)


def test_a_rerun_that_rebuilds_the_same_graph_keeps_the_case_rankings(
    resolved: CaseStore, tmp_path: Path
) -> None:
    """At the recorded threshold the rebuilt actor graph is the case's own (the test above
    shows that the measures re-run on it give the case's rankings), so they are not re-run."""
    stage = resolved.stage("resolve")
    assert stage is not None
    digest = _reusable_base(resolved)
    assert digest is not None
    same = rerun_at_threshold(
        resolved,
        tmp_path,
        "control",
        stage["settings"]["threshold_probability"],
        base_digest=digest,
    )
    assert same is None
    low = stage["settings"]["review_low_probability"]  # merges more records: another graph
    looser = rerun_at_threshold(resolved, tmp_path, "loose", low, base_digest=digest)
    assert looser is not None and set(looser.columns) >= set(RANKINGS.values())


def test_analyze_stores_leaders_and_brokers_with_their_survival(resolved: CaseStore) -> None:
    info = resolved.stage("sensitivity")
    assert info is not None
    summary = info["summary"]
    assert set(summary["thresholds"]) == {"base", "loose", "strict"}
    assert summary["thresholds"]["loose"] < summary["thresholds"]["base"]
    assert summary["thresholds"]["strict"] > summary["thresholds"]["base"]
    k = summary["top_k"]
    t = _stored(resolved)
    assert set(t["ranking"]) == set(RANKINGS)
    for ranking, column in RANKINGS.items():
        part = t[t["ranking"] == ranking]
        assert list(part["rank"]) == list(range(1, len(part) + 1)) and len(part) <= k
        ranks = part[["rank_loose", "rank_strict"]]
        assert (((ranks >= 1) & (ranks <= k)) | ranks.isna()).all().all()
        assert (part["survives"] == ranks.notna().all(axis=1)).all()
        with resolved.connect(read_only=True) as con:
            top = con.execute(
                f"SELECT actor_id FROM analytics_actor ORDER BY {column} DESC, actor_id LIMIT ?",
                [k],
            ).fetchall()
        assert list(part["actor_id"]) == [r[0] for r in top]
        agreement = summary["agreement"][ranking]
        assert set(agreement) == {"loose", "strict"}
        assert all(0.0 <= a["top_k_overlap"] <= 1.0 for a in agreement.values())
    rows = sensitivity_view(resolved, limit=None)
    assert len(rows) == len(t) and rows[0]["ranking"] == "leaders" and rows[0]["rank"] == 1
    seconds = summary["seconds"]  # each re-run's own time, and the whole
    assert set(seconds) == {"loose", "strict", "total"}
    each = [seconds["loose"], seconds["strict"]]
    assert seconds["total"]["cpu"] == pytest.approx(sum(s["cpu"] for s in each), abs=0.01)
    if seconds["total"].get("side_by_side"):  # with workers: from the copies to the last end
        assert seconds["total"]["wall"] >= max(s["wall"] for s in each)
    else:
        assert seconds["total"]["wall"] == pytest.approx(sum(s["wall"] for s in each), abs=0.01)


def test_the_report_shows_both_rankings_and_only_reads(resolved: CaseStore) -> None:
    before = sorted(p.name for p in resolved.path.iterdir())
    facts = collect(resolved)
    assert sorted(p.name for p in resolved.path.iterdir()) == before
    k = facts.sensitivity_info["top_k"]
    html = render_html(build_sections(facts), title="t", subtitle="s")
    assert "Sensitivity of the leader ranking" in html
    assert "Sensitivity of the broker ranking" in html
    assert "(strict)" in html and f"stays in top {k}" in html


def test_a_new_ranking_drops_the_old_sensitivity(resolved: CaseStore, tmp_path: Path) -> None:
    copy = copy_case(resolved.path, tmp_path / "copy")
    analyze(copy, seed=2, only=["hierarchy"], spec=FAST)
    with copy.connect(read_only=True) as con:
        assert not copy.table_exists(con, "analytics_sensitivity")
    assert copy.stage("sensitivity") is None  # the manifest no longer claims it either
    facts = collect(copy)
    assert "sensitivity" in facts.missing and facts.sensitivity.empty


def test_no_resolution_no_sensitivity(tmp_path_factory: pytest.TempPathFactory) -> None:
    store = CaseStore.open(simulated_case(tmp_path_factory.mktemp("sim")))
    assert store.stage("sensitivity") is None
    assert sensitivity_view(store, limit=None) == []
    assert "graphkit resolve" in collect(store).missing["sensitivity"]
