"""The case report: rendered in headless Chromium, hypotheses apart, Markdown, audit, CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from graphkit.audit import sha256_file
from graphkit.hypotheses import hypothesis_id
from graphkit.ingest import ingest_file
from graphkit.report import ReportResult, default_report_path, write_report
from graphkit.report.blocks import Interactive, Para, Section, Table
from graphkit.report.html import render_html
from graphkit.report.sections import MAX_COMMUNITY_CARDS
from graphkit.report.text import community_key
from graphkit.store import CaseStore
from tests.export.cases import copy_case, montagna_case
from tests.report.browser import dump_dom, screenshot

MAX_HTML_BYTES = 6_000_000


def _status(dom: str) -> dict[str, str]:
    tag = re.search(r'<div id="gk-status"([^>]*)>', dom)
    assert tag, "no status element in the rendered page"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(1)))


class _Boxes(HTMLParser):
    """Text inside hypothesis boxes, and text outside them."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.inside: list[str] = []
        self.outside: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.depth or (tag == "div" and "hypothesis" in classes):
            self.depth += 1 if tag == "div" else 0

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag == "div":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        (self.inside if self.depth else self.outside).append(data)


@pytest.fixture(scope="module")
def html_report(
    report_case_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[CaseStore, ReportResult, str]:
    """One HTML report of a private copy of the case, shared by the read-only tests."""
    tmp = tmp_path_factory.mktemp("html")
    store = copy_case(report_case_dir, tmp / "case")
    before = store.manifest_sha256()
    return store, write_report(store, out=tmp / "report.html"), before


def _check_in_browser(store: CaseStore, result: ReportResult, png: Path) -> None:
    """No script error, a drawn network canvas, a reported load time, size, a screenshot.

    How long the page takes is not asserted: on a shared 2-core machine the browser's clock
    says more about the other processes than about the report (a fresh clone's suite once
    failed a 5 s bound at 5.3 s); speed belongs in benchmarks.
    """
    assert result.size_bytes == result.path.stat().st_size < MAX_HTML_BYTES
    dom, _seconds = dump_dom(result.path)
    status = _status(dom)
    assert json.loads(status["errors"].replace("&quot;", '"')) == []
    assert int(status["painted-pixels"]) > 5_000  # the network canvas is drawn, not blank
    with store.connect() as con:
        actors = con.execute("SELECT count(*) FROM analytics_actor").fetchone()
    assert actors is not None and int(status["nodes"]) == actors[0]
    assert int(status["load-ms"]) > 0  # the page timed its first drawing of the network
    screenshot(result.path, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    keep = os.environ.get("GRAPHKIT_SCREENSHOT_DIR")
    if keep:
        shutil.copy(png, Path(keep) / png.name)


def test_html_report_renders_in_headless_chromium(
    html_report: tuple[CaseStore, ReportResult, str], tmp_path: Path
) -> None:
    store, result, _ = html_report
    _check_in_browser(store, result, tmp_path / "report-simulated.png")


def test_demo_report_renders_in_headless_chromium(
    tmp_path_factory: pytest.TempPathFactory, montagna_dir: Path, tmp_path: Path
) -> None:
    store = copy_case(
        montagna_case(tmp_path_factory.mktemp("demo"), montagna_dir), tmp_path / "case"
    )
    result = write_report(store, out=tmp_path / "demo.html")
    _check_in_browser(store, result, tmp_path / "report-demo.png")


def test_report_is_self_contained(html_report: tuple[CaseStore, ReportResult, str]) -> None:
    html = html_report[1].path.read_text(encoding="utf-8")
    assert "default-src 'none'" in html  # the browser itself refuses any fetch
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert "sigma" in html and "graphology" in html and "data:image/png;base64," in html


def test_hypotheses_stand_apart_with_evidence_and_status(
    html_report: tuple[CaseStore, ReportResult, str],
) -> None:
    report_case, result, _ = html_report
    html = result.path.read_text(encoding="utf-8")
    with report_case.connect() as con:
        top = con.execute(
            "SELECT src, dst FROM rel_same_user_as ORDER BY score DESC, src, dst LIMIT 3"
        ).fetchall()
        predicted = con.execute("SELECT src FROM rel_predicted_link").fetchall()
    boxes = _Boxes()
    boxes.feed(html[html.index('<section id="hypotheses"') : html.index('<section id="methods"')])
    inside = " ".join(boxes.inside)
    assert top and predicted
    for src, dst in top:
        assert src in inside and dst in inside
        assert hypothesis_id("H", src, dst) in inside  # what `graphkit review --accept` takes
    assert "SAME_USER_AS" in inside and "PREDICTED_LINK" in inside
    # predicted links are called what they are: the top of a ranking with scores calibrated on
    # held-out observed ties (not on the hidden ties sought),
    # never "likely" ties, and without a "threshold" that is only the last score listed
    with report_case.connect() as con:
        (best,) = con.execute("SELECT max(score) FROM rel_predicted_link").fetchone()
    assert "likely tied" not in inside and "calibrated on observed ties held out" in inside
    assert "not the chance that a pair is tied" in inside  # hidden ties need not follow it
    assert ("about 1 in" in inside) == (best < 0.5)
    predicted_box = inside[inside.index("PREDICTED_LINK") :].split("Entity resolution")[0]
    assert "threshold" not in predicted_box
    assert inside.count("hypothesis") >= len(top)  # each row shows its review status
    assert html.count('<div class="box hypothesis">') >= 2


def test_review_pairs_name_their_records(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The entity-resolution pairs show each record's name beside its id (issue B3), as
    `graphkit show CASE review` does."""
    import html as html_lib

    from tests.export.cases import resolved_case

    tmp = tmp_path_factory.mktemp("review-names")
    report_case = copy_case(resolved_case(tmp), tmp / "case")
    result = write_report(report_case, out=tmp / "report.html")
    page = html_lib.unescape(result.path.read_text(encoding="utf-8"))
    box = page[page.index("Entity resolution: pairs waiting for review") :]
    with report_case.connect(read_only=True) as con:
        pairs = con.execute(
            "SELECT q.id_l, coalesce(l.full_name, concat_ws(' ', l.first_name, l.last_name)), "
            "q.id_r, coalesce(r.full_name, concat_ws(' ', r.first_name, r.last_name)) "
            "FROM review_queue q "
            "JOIN er_records l ON l.record_key = q.id_l "
            "JOIN er_records r ON r.record_key = q.id_r "
            "ORDER BY q.status <> 'pending', abs(q.match_weight), q.review_id LIMIT 5"
        ).fetchall()
    assert pairs
    for id_l, name_l, id_r, name_r in pairs:
        assert f"{name_l.strip()} ({id_l})" in box and f"{name_r.strip()} ({id_r})" in box


def test_single_actors_are_counted_apart_from_communities(
    report_case: CaseStore, tmp_path: Path
) -> None:
    """The report's key numbers and `graphkit status` count communities of two or more
    actors, and the actors alone apart (issue B6)."""
    from graphkit.cli.app import app
    from graphkit.views import communities_phrase, community_sizes

    with (
        report_case.operation("test fixture", operation="alteration"),
        report_case.connect() as con,
    ):
        for n in range(3):  # three actors alone, as the analysis stores them: size 1
            con.execute(
                "INSERT INTO analytics_community SELECT * REPLACE (? AS community, 1 AS size) "
                "FROM analytics_community LIMIT 1",
                [f"C{900 + n}"],
            )
    result = write_report(report_case, out=tmp_path / "report.html")
    sizes = community_sizes(report_case)
    assert sizes is not None
    groups, alone = sum(n >= 2 for n in sizes), sum(n < 2 for n in sizes)
    assert groups and alone  # the case has both, or the test shows nothing
    text = re.sub(r"<[^>]+>", " ", result.path.read_text(encoding="utf-8"))
    assert re.search(rf"\b{groups:,}\s+communities of 2\+ actors", text)
    assert re.search(rf"\b{alone:,}\s+actors alone \(no community\)", text)
    status = CliRunner().invoke(app, ["status", str(report_case.path)])
    assert status.exit_code == 0, status.output
    assert f"{communities_phrase(sizes)} (" in status.output
    assert f"{len(sizes):,} communities" not in status.output


def test_manifest_hash_and_audit(html_report: tuple[CaseStore, ReportResult, str]) -> None:
    report_case, result, before = html_report
    assert before in result.path.read_text(encoding="utf-8")
    entry = report_case.audit.entries()[-1]
    assert entry["operation"] == "consultation" and entry["command"] == "report"
    assert entry["inputs"]["case_manifest"] == before
    assert entry["outputs"] == {str(result.path): sha256_file(result.path)}
    assert report_case.audit.verify().ok


def test_values_from_the_case_are_escaped() -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    network = {
        "nodes": [{"id": hostile, "label": hostile}],
        "edges": [],
        "hypotheses": [],
        "communities": [{"id": 0, "size": 1, "color": "#000000"}],
    }
    sections = [
        Section(
            "s",
            hostile,
            (Para(hostile), Table(("a",), ((hostile,),), hostile), Interactive(network)),
        )
    ]
    html = render_html(sections, title=hostile, subtitle=hostile)
    assert hostile not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    data = html[html.index('id="gk-data">') :]
    assert "\\u003cscript>" in data[: data.index("</script>")]


def test_report_of_an_unanalysed_case_says_what_is_missing(
    tmp_path: Path, montagna_dir: Path
) -> None:
    store = CaseStore.init(tmp_path / "case")
    ingest_file(store, montagna_dir / "phone.csv", kind="contacts", source_name="montagna_phone")
    html = write_report(store, out=tmp_path / "r.html").path.read_text(encoding="utf-8")
    assert "No network yet" in html and "`build` has not run" in html
    assert "montagna_phone" in html and 'id="gk-data"' not in html


def test_report_of_a_case_analysed_in_part_names_no_one_without_a_measure(
    report_case: CaseStore, tmp_path: Path
) -> None:
    """`analyze --only communities` stores no centrality, hierarchy or brokers: the report is
    written all the same, says why no ordering was tested, and names no leader."""
    from graphkit.cli.app import app

    out = CliRunner().invoke(app, ["analyze", str(report_case.path), "--only", "communities"])
    assert out.exit_code == 0, out.output
    html = write_report(report_case, out=tmp_path / "r.html").path.read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert (
        "No ordering was tested: the analysis ran without its hierarchy part (`graphkit "
        "analyze --only communities`)" in text
    )
    assert "No leader or broker is named: the analysis measured neither leadership nor" in text
    assert "Leader and brokers, with the evidence" not in text
    assert "Chain of command" not in text and "most prominent (no leader test passed)" not in text
    data = json.loads(re.search(r'id="gk-data">(.*?)</script>', html, re.S).group(1))
    assert data["nodes"] and not any(n["roles"] for n in data["nodes"])


def test_refuses_to_overwrite_without_force(report_case: CaseStore, tmp_path: Path) -> None:
    from graphkit.errors import InputError

    (tmp_path / "r.html").write_text("old")
    with pytest.raises(InputError, match="exists"):
        write_report(report_case, out=tmp_path / "r.html")
    assert (tmp_path / "r.html").read_text() == "old"
    assert report_case.audit.entries()[-1]["outcome"] == "failure"


def test_cli_writes_the_markdown_report(report_case: CaseStore, tmp_path: Path) -> None:
    from graphkit.cli.report import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    out = tmp_path / "case.md"
    args = ["report", str(report_case.path), "--format", "md", "--out", str(out), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)[0]
    assert row["report"] == str(out) and row["sha256"] == sha256_file(out)
    text = out.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == len(row["figures"]) >= 3
    # a hierarchy diagram only for communities whose ordering test passed
    with report_case.connect(read_only=True) as con:
        stated = con.execute(
            "SELECT count(*) FROM analytics_community WHERE hierarchy_stated AND size > 1"
        ).fetchone()[0]
    assert sum("hierarchy" in link for link in links) == min(stated, MAX_COMMUNITY_CARDS)
    for link in links:  # pictures are PNG, maps SVG, each named for what it is
        head = (tmp_path / link).read_bytes()[:1024]
        assert head[:4] == b"\x89PNG" if link.endswith(".png") else b"<svg" in head, link
    for heading in ("## Case summary", "## Network", "## Hypotheses", "## Methods"):
        assert heading in text
    # the communities' rhythms, and the same against the case's: where they differ
    assert {"heatmaps.png", "heatmaps_relative.png"} <= {Path(link).name for link in links}
    # burners of hand-offs at or above threshold are named in their community's card
    from graphkit.analytics.views import burner_carriers

    carried = burner_carriers(report_case)
    assert carried and "is likely the same person as" in text  # the fixture has hand-offs
    # leaders ranked case-wide, by name with id and phones, with what each score rests on
    from graphkit.views import get_view

    leaders = get_view("leaders")(report_case, limit=None)
    assert f"the first 15 of {len(leaders)} actors by leadership score" in text
    first = leaders[0]
    with report_case.connect(read_only=True) as con:
        phones = con.execute(
            "SELECT phones FROM actor WHERE actor_id = ?", [first["actor_id"]]
        ).fetchone()[0]
    row_line = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert first["actor_id"] in row_line and first["rests_on"] in row_line
    assert all(p in row_line for p in phones[:2])
    assert "> **HYPOTHESIS: Hand-offs" in text
    entry = report_case.audit.entries()[-1]
    assert entry["detail"]["format"] == "md"
    assert entry["outputs"] == {p: sha256_file(Path(p)) for p in [str(out), *row["figures"]]}
    assert default_report_path(report_case, "html").parent == report_case.path / "reports"


def test_network_view_search_click_and_filter(
    html_report: tuple[CaseStore, ReportResult, str],
) -> None:
    from tests.report.webdriver import session

    store, result, _ = html_report
    with store.connect() as con:
        top = con.execute(
            "SELECT actor_id, community FROM analytics_actor ORDER BY pagerank DESC LIMIT 30"
        ).fetchall()
        outside = con.execute(
            "SELECT count(*) FROM analytics_actor WHERE community <> ?", [top[0][1]]
        ).fetchone()
    with session() as s:
        s.open(result.path)
        s.wait_for("return document.getElementById('gk-status').dataset.paintedPixels > 0")
        details = "return document.querySelector('#gk-details h3')?.textContent"
        # search: type a number, press Enter -> that actor is selected and described
        s.run(
            "var i = document.getElementById('gk-search'); i.value = arguments[0];"
            "i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));",
            top[0][0],
        )
        assert top[0][0] in s.wait_for(details)
        # click: a real mouse press on the dot of a central actor that no other dot overlaps
        s.run(
            "document.getElementById('gk-network').scrollIntoView({block: 'center'});"
            "graphkitNetwork.fit(); graphkitNetwork.renderer.refresh();"
        )
        target = s.run(
            "var r = graphkitNetwork.renderer;"
            "var at = id => r.framedGraphToViewport(r.getNodeDisplayData(id));"
            "var all = r.getGraph().nodes().map(k => [k, at(k)]);"
            "for (const id of arguments[0]) { if (!r.getGraph().hasNode(id)) continue;"
            "  var p = at(id);"
            "  if (!all.some(([k, q]) => k !== id && Math.hypot(q.x - p.x, q.y - p.y) < 20))"
            "    return id; }"
            "return null;",
            [r[0] for r in top[1:]],
        )
        assert target, "no central actor stands clear of its neighbours in the picture"
        x, y, w, h = s.run(
            "var r = graphkitNetwork.renderer, c = document.querySelector('#gk-network canvas');"
            "var p = r.framedGraphToViewport(r.getNodeDisplayData(arguments[0]));"
            "return [p.x, p.y, c.clientWidth, c.clientHeight];",
            target,
        )
        s.click_at(s.element("#gk-network canvas"), x - w / 2, y - h / 2)
        assert target in s.wait_for(
            f"var t = document.querySelector('#gk-details h3')?.textContent || '';"
            f"return t.indexOf({json.dumps(target)}) >= 0 ? t : null;"
        )
        # filter: one community from the legend -> every other actor hidden
        s.run(
            "document.querySelector('#gk-legend [data-community=\"' + arguments[0] + '\"]')"
            ".click();",
            community_key(top[0][1]),
        )
        shown = s.run("return Number(document.getElementById('gk-status').dataset.visible)")
        total = s.run("return graphkitNetwork.data.nodes.length")
        assert outside is not None and total - shown == outside[0] > 0
        assert s.run("return window.__gkErrors") == []
