"""`graphkit status` in a few lines (`--detail` for the tables); list views stop at a default
limit and say how many rows are left; help reflows to the width it is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphkit.cli.app import app
from graphkit.views import LIST_LIMIT

runner = CliRunner()


def gk(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def resolved_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("status")
    gk("simulate", root / "sim", "--people", "120", "--days", "14", "--groups", "2", "--seed", "5")
    gk("run", root / "sim" / "case.toml", "--case", root / "case")
    gk("resolve", root / "case")
    return root / "case"


def test_status_is_a_short_summary_and_detail_has_the_tables(resolved_case: Path) -> None:
    short = gk("status", resolved_case).strip().splitlines()
    assert 3 <= len(short) <= 8, short
    info = json.loads(gk("status", resolved_case, "--json"))[0]
    resolve = info["stages"]["resolve"]
    line = next(x for x in short if x.strip().startswith("resolve"))
    assert f"{resolve['records']:,} records -> {resolve['persons']:,} persons" in line
    assert f"{info['totals']['rows_read']:,} rows read" in "\n".join(short)
    detail = gk("status", resolved_case, "--detail").strip().splitlines()
    assert len(detail) > 3 * len(short)
    assert any("model_sha256" in x for x in detail)  # every field of the stage


def test_a_list_view_stops_at_the_default_limit_and_says_how_many_more(
    resolved_case: Path,
) -> None:
    every = json.loads(gk("show", resolved_case, "persons", "--json"))
    assert len(every) > LIST_LIMIT  # JSON, for scripts: every row unless asked for fewer
    table = gk("show", resolved_case, "persons")
    assert f"persons ({LIST_LIMIT} of {len(every)})" in table
    assert f"… {len(every) - LIST_LIMIT} more not shown (--limit 0 shows all)" in table
    assert len(json.loads(gk("show", resolved_case, "persons", "--json", "--limit", "3"))) == 3


def test_help_paragraphs_reflow_to_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.rich_utils

    for width in (100, 140):
        monkeypatch.setattr(typer.rich_utils, "MAX_WIDTH", width)
        lines = gk("show", "--help").splitlines()
        assert max(len(x) for x in lines) == width
        # the docstring's own line breaks (after "People are") do not survive: the paragraph
        # fills each line to the width
        views = next(x.rstrip() for x in lines if "Views:" in x)
        assert len(views) > width - 20, (width, views)


def test_the_tool_kit_stages_read_as_sentences() -> None:
    """colocate, devices and hotspots summaries (as those stages record them) get their key
    counts in words, not the first numbers found."""
    from graphkit.cli.case import stage_line

    devices = {
        "clones": {"candidates": 33, "reported": 2},
        "not_checked": {},
        "sim_changed": {"candidates": 48, "reported": 48},
        "sim_moved": {"candidates": 32, "reported": 32},
    }
    assert stage_line("devices", devices) == (
        "SIM moved to another handset 32, handset took another SIM 48, cloned or shared "
        "numbers 2 (hypotheses)"
    )
    colocate = {"tested": 68550, "with_occasions": 300, "reported": 57, "groups": 9}
    assert stage_line("colocate", colocate) == (
        "57 pairs together at unusual places (of 68,550 tested), 9 groups"
    )
    hotspots = {"forecast": "2024-02", "train": "2024-01", "incidents_trained_on": 1549}
    assert stage_line("hotspots", {**hotspots, "area_cells": 2890}) == (
        "forecast 2024-02 from 2024-01: 1,549 incidents, 2,890 cells"
    )


def test_single_actors_are_not_counted_as_communities() -> None:
    """43 communities of which 28 are one actor each read as 15 communities and 28 actors
    alone (issue B6), in the status line too."""
    from graphkit.cli.case import stage_line
    from graphkit.views import communities_phrase

    sizes = [84, 62, 44, *[3] * 12, *[1] * 28]
    assert communities_phrase(sizes) == "15 communities of 2+ actors, 28 actors alone"
    assert communities_phrase([2, 1]) == "1 community of 2+ actors, 1 actor alone"
    assert communities_phrase([5, 4]) == "2 communities of 2+ actors"
    summary = {"communities": 43, "tables": {"actor": 2318}}
    text = communities_phrase(sizes)
    assert stage_line("analyze", {**summary, "communities_text": text}) == (
        "15 communities of 2+ actors, 28 actors alone (2,318 actors)"
    )
    assert stage_line("analyze", summary) == "43 communities (2,318 actors)"  # no table read


def test_the_link_predictions_line_says_what_its_actors_count() -> None:
    """`status` said "predict_links ... actors 2,290" under "build ... 2,318 actors": the
    link graph holds the actors with a tie. The line now says so, with what was stored."""
    from graphkit.cli.case import stage_line

    summary = {"stored": 20, "ranked_by": "colocation", "actors": 2290, "candidates": 1404619}
    assert stage_line("predict_links", summary) == (
        "20 predicted links stored, ranked by colocation (of 1,404,619 candidate pairs among "
        "the 2,290 actors with a tie)"
    )
