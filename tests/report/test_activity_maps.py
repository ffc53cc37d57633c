"""The report's time wheels and trails of the actors ranked highest by leadership score, by
name and phones: in the case's local time (the counts `graphkit show CASE activity` gives, on
one labelled scale) and on a map of the towers (the trails `graphkit map` gives)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from graphkit.cdr.activity import activity_matrix
from graphkit.cdr.maps import trail
from graphkit.report.collect import TRAIL_LEADERS, WHEEL_LEADERS, collect
from graphkit.report.stage import write_report
from graphkit.store import CaseStore


def test_wheels_are_the_top_leaders_with_records(report_case: CaseStore) -> None:
    facts = collect(report_case)
    assert 0 < len(facts.wheels) <= WHEEL_LEADERS
    ranked = facts.actors.sort_values(["leadership", "actor_id"], ascending=[False, True])
    shown = [w.subject for w in facts.wheels]
    # in leadership order, skipping only leaders without call records
    order = [a for a in ranked["actor_id"] if a in set(shown)]
    assert shown == order
    skipped = ranked["actor_id"].tolist()[: ranked["actor_id"].tolist().index(shown[-1])]
    for actor_id in set(skipped) - set(shown):
        assert activity_matrix(report_case, actor_id).events == 0
    for wheel in facts.wheels:
        again = activity_matrix(report_case, wheel.subject)
        assert np.array_equal(wheel.matrix, again.matrix) and wheel.events > 0


def test_report_names_each_wheel_and_its_scale(report_case: CaseStore, tmp_path: Path) -> None:
    html = write_report(report_case, out=tmp_path / "r.html").path.read_text(encoding="utf-8")
    facts = collect(report_case)
    assert (
        f"Time wheels of the {len(facts.wheels)} actors ranked highest by leadership score" in html
    )
    for wheel in facts.wheels:
        summary = wheel.summary()
        assert f"{summary['events']:,} records, busiest {summary['peak']}" in html
    assert facts.wheels[0].timezone in html


def test_trails_map_the_first_leaders_over_the_towers(
    report_case: CaseStore, tmp_path: Path
) -> None:
    facts = collect(report_case)
    assert 0 < len(facts.trails) <= TRAIL_LEADERS
    wheel_order = [w.subject for w in facts.wheels]
    shown = [t.actor.actor_id for t in facts.trails]
    assert shown == [a for a in wheel_order[:TRAIL_LEADERS] if a in shown]
    for t in facts.trails:
        again = trail(report_case, t.actor)
        assert again.stops.equals(t.stops) and t.records > 0
    assert set(facts.towers["cell_id"]) >= {c for t in facts.trails for c in t.stops["cell_id"]}
    html = write_report(report_case, out=tmp_path / "r.html").path.read_text(encoding="utf-8")
    assert (
        f"Where the phones of the {len(facts.trails)} actors ranked highest by leadership score"
        in html
    )
    for t in facts.trails:
        s = t.summary()
        assert f"{s['records_placed']:,} records at {s['towers']} towers" in html
