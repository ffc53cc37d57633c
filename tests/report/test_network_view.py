"""The report's network view in headless Chromium, checked against the simulator's truth.

Every member of a criminal group (``truth/groups.csv``) is searched for by each of their phone
numbers (``truth/phones.csv``) as the case holds them, and by name where the case knows it: the
view must say it found them, select the actor that holds the number, centre and draw it. The
legend must run in natural order (C2 before C10) with the single actors as one entry, and no two
labels the page drew may overlap (their boxes are read back from the page) at three zooms.
"""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from graphkit.report import ReportResult, write_report
from graphkit.report.sections_network import natural_key
from graphkit.report.text import community_key
from graphkit.store import CaseStore
from tests.export.cases import copy_case


def _truth_dir(store: CaseStore) -> Path:
    """The simulator's ``truth/`` beside the ``sources/`` the case ingested."""
    files = [Path(s["file"]) for s in store.manifest["sources"].values()]
    truth = files[0].parent.parent / "truth"
    assert (truth / "groups.csv").is_file(), truth
    return truth


def _members_and_phones(truth: Path) -> dict[str, dict[str, object]]:
    with (truth / "persons.csv").open(encoding="utf-8") as f:
        names = {r["person_id"]: f"{r['first_name']} {r['last_name']}" for r in csv.DictReader(f)}
    phones: dict[str, list[str]] = defaultdict(list)
    with (truth / "phones.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            phones[r["person_id"]].append(r["msisdn"])
    with (truth / "groups.csv").open(encoding="utf-8") as f:
        members = [r["person_id"] for r in csv.DictReader(f)]
    return {p: {"name": names[p], "phones": phones[p]} for p in members}


@pytest.fixture(scope="module")
def view(
    report_case_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CaseStore, ReportResult]:
    tmp = tmp_path_factory.mktemp("network-view")
    store = copy_case(report_case_dir, tmp / "case")
    return store, write_report(store, out=tmp / "report.html")


# One script runs every search in the page: type the query, press Enter, read what the view
# says, which actor it selected, and where that actor is drawn relative to the canvas centre.
_SEARCH = """
var input = document.getElementById('gk-search'), out = [];
var r = graphkitNetwork.renderer, st = document.getElementById('gk-status');
for (const q of arguments[0]) {
  input.value = q;
  input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));
  var id = st.dataset.selected || null, off = null;
  if (id && r.getGraph().hasNode(id)) {
    var p = r.framedGraphToViewport(r.getNodeDisplayData(id)), d = r.getDimensions();
    off = Math.hypot(p.x - d.width / 2, p.y - d.height / 2);
  }
  out.push([q, document.getElementById('gk-found').textContent, id, off]);
}
return out;
"""


# the actors among arguments[0] whose dot is inside the canvas at the current zoom
_IN_VIEW = """
var r = graphkitNetwork.renderer, d = r.getDimensions();
return arguments[0].filter(id => {
  var p = r.framedGraphToViewport(r.getNodeDisplayData(id));
  return p.x > 20 && p.y > 20 && p.x < d.width - 20 && p.y < d.height - 20;
});
"""


def test_natural_order_puts_c2_before_c10() -> None:
    order = sorted(["C10", "C2", "C1", "C21", "C3"], key=natural_key)
    assert order == ["C1", "C2", "C3", "C10", "C21"]


def _overlapping(boxes: list[dict[str, float]]) -> list[tuple[str, str]]:
    bad = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            if (
                a["x"] < b["x"] + b["w"]
                and b["x"] < a["x"] + a["w"]
                and a["y"] < b["y"] + b["h"]
                and b["y"] < a["y"] + a["h"]
            ):
                bad.append((str(a["text"]), str(b["text"])))
    return bad


def test_every_group_member_found_legend_in_order_labels_apart(
    view: tuple[CaseStore, ReportResult],
) -> None:
    from tests.report.webdriver import session

    store, result = view
    members = _members_and_phones(_truth_dir(store))
    with store.connect(read_only=True) as con:
        actors = con.execute(
            "SELECT a.actor_id, a.phones, a.community, p.full_name FROM analytics_actor a "
            "LEFT JOIN node_person p ON p.person_id = a.actor_id"
            if store.table_exists(con, "node_person")
            else "SELECT actor_id, phones, community, NULL FROM analytics_actor"
        ).fetchall()
    holder = {p: a for a, phones, _, _ in actors for p in phones or []}
    sizes: dict[str | None, int] = defaultdict(int)
    for _, _, c, _ in actors:
        sizes[community_key(c)] += 1
    # a member is in the case when one of their phones is; the case must hold most of them
    queries = {p: ph for m in members.values() for p in m["phones"] if (ph := holder.get(p))}  # type: ignore[attr-defined]
    in_case = [m for m in members.values() if any(p in holder for p in m["phones"])]  # type: ignore[attr-defined]
    assert len(in_case) >= 0.9 * len(members) > 0

    with session(width=1400, height=1000) as s:
        s.open(result.path)
        s.wait_for("return Number(document.getElementById('gk-status').dataset.paintedPixels) > 0")
        assert s.run("return window.__gkErrors") == []
        status = s.run("return Object.assign({}, document.getElementById('gk-status').dataset)")
        assert int(status["nodes"]) == int(status["drawn"]) == len(actors)

        # every member's every phone in the case: found, the holder selected, centred, drawn
        found = s.run(_SEARCH, sorted(queries))
        for query, said, selected, offset in found:
            assert said.startswith("Found ") and "centred" in said, (query, said)
            assert selected == queries[query], (query, said)
            assert offset is not None and offset < 2, (query, offset)
        # by name where the case names the member's actor as the simulator does
        named = {a: n for a, _, _, n in actors if n}
        by_name = [m["name"] for m in in_case if m["name"] in named.values()]
        for query, said, selected, _ in s.run(_SEARCH, by_name):
            assert said.startswith("Found ") and named.get(selected) == query, (query, said)
        # and a search that finds nothing says so
        ((_, said, _, _),) = s.run(_SEARCH, ["no-such-actor-zz"])
        assert said == "No actor matches “no-such-actor-zz”."

        # legend: communities of two or more in natural order, then the single actors
        legend = s.run(
            "return [...document.querySelectorAll('#gk-legend .gk-leg')]"
            ".map(b => [b.dataset.community, b.textContent.trim()])"
        )
        multi = sorted((c for c, n in sizes.items() if c and n > 1), key=natural_key)
        singles = sum(n for c, n in sizes.items() if not c or n < 2)
        assert [c for c, _ in legend if c != "single"] == multi
        assert len(multi) >= 2
        if singles:
            assert legend[-1] == ["single", f"{singles:,} single actor{'s' * (singles != 1)}"]

        # labels: none overlaps another, at the whole view, zoomed in, and around a selection
        s.run("graphkitNetwork.fit(); graphkitNetwork.renderer.refresh();")
        whole = s.run("return graphkitNetwork.labels()")
        leads = s.run(
            "return graphkitNetwork.data.nodes.filter(n => n.roles.length).map(n => n.id)"
        )
        assert _overlapping(whole) == [] and len(whole) >= 5
        labelled = {b["id"] for b in whole}
        assert set(leads) <= labelled, sorted(set(leads) - labelled)  # leaders, brokers first
        s.run(
            "var c = graphkitNetwork.renderer.getCamera(); c.setState({ratio: 0.25});"
            "graphkitNetwork.renderer.refresh();"
        )
        zoomed = s.run("return graphkitNetwork.labels()")
        assert _overlapping(zoomed) == [] and len(zoomed) >= 5
        inside = s.run(_IN_VIEW, leads)
        assert set(inside) <= {b["id"] for b in zoomed}, sorted(
            set(inside) - {b["id"] for b in zoomed}
        )
        member = next(iter(queries))
        s.run(_SEARCH, [member])
        around = s.run("return graphkitNetwork.labels()")
        assert _overlapping(around) == [] and around[0]["id"] == queries[member]
        assert s.run("return window.__gkErrors") == []
        print(
            json.dumps({"searched": len(found), "labels": [len(whole), len(zoomed), len(around)]})
        )


# set the time range (UTC days, both included) as a user does, then read what the view shows
_TIME = """
var f = document.getElementById('gk-from'), t = document.getElementById('gk-to');
f.value = arguments[0]; t.value = arguments[1];
f.dispatchEvent(new Event('change')); t.dispatchEvent(new Event('change'));
var r = graphkitNetwork.renderer, g = r.getGraph();
var ties = g.filterEdges((k, a) => !a.hyp && !r.getEdgeDisplayData(k).hidden)
  .map(k => g.extremities(k).slice().sort().join(' '));
var shown = g.filterNodes(n => !r.getNodeDisplayData(n).hidden);
return [Object.assign({}, document.getElementById('gk-status').dataset), ties, shown,
        document.getElementById('gk-count').textContent];
"""


def test_time_filter_shows_the_ties_of_a_date_range_and_counts_what_it_hides(
    view: tuple[CaseStore, ReportResult],
) -> None:
    from tests.report.webdriver import session

    store, result = view
    with store.connect(read_only=True) as con:
        lo, hi = con.execute(
            "SELECT min(first)::DATE, max(last)::DATE FROM actor_edge WHERE src <> dst"
        ).fetchone()
        # a week in the middle of the case: ties with an interaction inside it, from the store
        start = lo + (hi - lo) / 2
        end = start + timedelta(days=6)
        expected = {
            f"{a} {b}"
            for a, b in con.execute(
                "SELECT least(src, dst), greatest(src, dst) FROM actor_edge WHERE src <> dst "
                "GROUP BY ALL HAVING min(first) < (?::DATE + 1)::TIMESTAMPTZ "
                "AND max(last) >= ?::DATE::TIMESTAMPTZ",
                [end, start],
            ).fetchall()
        }
        total = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT least(src, dst), greatest(src, dst) "
            "FROM actor_edge WHERE src <> dst)"
        ).fetchone()[0]
        communities = con.execute("SELECT actor_id, community FROM analytics_actor").fetchall()
    actors = len(communities)
    assert 0 < len(expected) < total
    active = {x for pair in expected for x in pair.split(" ")}

    with session(width=1400, height=1000) as s:
        s.open(result.path)
        s.wait_for("return Number(document.getElementById('gk-status').dataset.paintedPixels) > 0")
        assert s.run(
            "return [document.getElementById('gk-from').min, document.getElementById('gk-to').max]"
        ) == [lo.isoformat(), hi.isoformat()]
        status, ties, shown, text = s.run(_TIME, start.isoformat(), end.isoformat())
        assert set(ties) == expected
        assert set(shown) == active
        assert int(status["tiesVisible"]) == len(expected)
        assert int(status["tiesHidden"]) == total - len(expected)
        assert int(status["idleHidden"]) == actors - len(active)
        assert int(status["visible"]) == len(active)
        assert (
            f"Ties: {len(expected):,} of {total:,} had an interaction in these dates; "
            f"{total - len(expected):,} hidden, and {actors - len(active):,} actors with none."
        ) in text
        assert f"ties from {start.isoformat()} to {end.isoformat()}" in text
        keep = os.environ.get("GRAPHKIT_SCREENSHOT_DIR")
        if keep:  # the picture in docs/report.md
            s.screenshot(".gk-interactive", Path(keep) / "report-network.png")

        # with a community picked too, both filters hold; clearing restores everything
        picked = s.run(
            "var b = document.querySelector('#gk-legend .gk-leg'); b.click();"
            "return b.dataset.community"
        )
        inside = {a for a, c in communities if community_key(c) == picked} & active
        both = s.run("return document.getElementById('gk-status').dataset.visible")
        assert int(both) == len(inside) > 0
        s.run("document.getElementById('gk-clear').click()")
        status, ties, shown, text = s.run(_TIME, lo.isoformat(), hi.isoformat())
        assert len(ties) == total and len(shown) == actors
        assert status["tiesHidden"] == "0" and "Ties:" not in text
        assert s.run("return window.__gkErrors") == []
