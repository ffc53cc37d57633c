"""Leader sensitivity to the resolution threshold: a control run reproduces the ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from graphkit.report.collect import collect
from graphkit.report.html import render_html
from graphkit.report.sections import build_sections
from graphkit.report.sensitivity import _variant
from graphkit.store import CaseStore
from tests.export.cases import resolved_case

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def resolved(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    return CaseStore.open(resolved_case(tmp_path_factory.mktemp("resolved")))


def test_rerun_at_the_recorded_threshold_reproduces_the_leaders(
    resolved: CaseStore, tmp_path: Path
) -> None:
    base = collect(resolved, sensitivity=False).actors
    stage = resolved.stage("resolve")
    assert stage is not None
    same = _variant(
        resolved, tmp_path, "control", stage["settings"]["threshold_probability"], stage
    )
    merged = base[["actor_id", "leadership"]].merge(same, on="actor_id", suffixes=("", "_re"))
    assert len(merged) == len(base) == len(same)
    pd.testing.assert_series_equal(merged["leadership"], merged["leadership_re"], check_names=False)


def test_leader_sensitivity_table_in_the_report(resolved: CaseStore) -> None:
    before = sorted(p.name for p in resolved.path.iterdir())
    facts = collect(resolved)
    assert sorted(p.name for p in resolved.path.iterdir()) == before  # the case is only read
    info, t = facts.sensitivity_info, facts.sensitivity
    assert set(info["thresholds"]) == {"base", "loose", "strict"}
    k = info["top_k"]
    assert list(t["rank"]) == list(range(1, len(t) + 1)) and len(t) <= k
    ranks = t[["rank_loose", "rank_strict"]]
    assert (((ranks >= 1) & (ranks <= k)) | ranks.isna()).all().all()
    assert (t["survives"] == ranks.notna().all(axis=1)).all()
    html = render_html(build_sections(facts), title="t", subtitle="s")
    assert "Sensitivity of the leader ranking" in html and "(strict)" in html
    assert f"stays in top {k}" in html
