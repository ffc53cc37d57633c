"""Summary values in tables as text (issue B4): no raw dicts, JSON or Python lists."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from graphkit.cli.cells import readable, readable_rows


def test_summaries_and_records_read_as_text() -> None:
    assert readable({"leaders": "6 of 10", "brokers": "8 of 10"}) == (
        "leaders 6 of 10, brokers 8 of 10"
    )
    timings = {"wall": {"graph": 0.3634, "hierarchy": 2.705}, "cpu": {"graph": 0.16}}
    assert readable(timings) == "wall: graph 0.363, hierarchy 2.71; cpu: graph 0.16"
    records = [
        {"source": "opB_subscribers", "record_id": "BS0000347"},
        {"source": "police_persons", "record_id": "PNC000029"},
        {"source": "opB_subscribers", "record_id": "BS0000348"},
    ]
    assert readable(records) == "opB_subscribers BS0000347, BS0000348; police_persons PNC000029"
    assert readable(["+447374250245", "+447374250246"]) == "+447374250245, +447374250246"
    evidence = {"paths": [["a", "b"]], "score": 0.5}
    assert readable(evidence) is evidence  # structured evidence is left to the table
    card = [{"id": "H1", "score": 0.9}]
    rows = readable_rows([{"records": records, "hypotheses": card, "phones": ["+4477"]}])
    assert rows == [
        {
            "records": "opB_subscribers BS0000347, BS0000348; police_persons PNC000029",
            "hypotheses": card,
            "phones": ["+4477"],
        }
    ]


@pytest.mark.slow
def test_show_and_review_print_no_raw_values(tmp_path_factory: pytest.TempPathFactory) -> None:
    from graphkit.cli.app import app
    from tests.export.cases import resolved_case

    root = tmp_path_factory.mktemp("cells")
    case = root / "case"
    shutil.copytree(resolved_case(root), case)
    runner = CliRunner()
    summary = runner.invoke(app, ["show", str(case), "summary"])
    assert summary.exit_code == 0, summary.output
    assert "seconds_by_part" in summary.output and '{"' not in summary.output
    assert "wall: " in summary.output
    persons = runner.invoke(app, ["show", str(case), "persons", "--limit", "3"])
    assert persons.exit_code == 0, persons.output
    assert '{"source"' not in persons.output and '"record_id"' not in persons.output
    as_json = runner.invoke(app, ["show", str(case), "persons", "--limit", "3", "--json"])
    assert isinstance(json.loads(as_json.output)[0]["records"][0], dict)  # --json unchanged
    review = runner.invoke(app, ["review", str(case), "--limit", "5"])
    assert review.exit_code == 0, review.output
    assert "['" not in review.output
