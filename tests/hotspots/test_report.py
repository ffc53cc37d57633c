"""The report's hotspot section on the real police.uk months: the offline map, the riskiest
cells by street, the capture curve, and the governance box saying what the forecast cannot
say; rendered in HTML and Markdown from the stored forecast."""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import pytest

from graphkit.hotspots.stage import Settings, run
from graphkit.report.stage import write_report
from graphkit.store import CaseStore


@pytest.fixture(scope="module")
def forecast_case(police_case: CaseStore, tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    target = tmp_path_factory.mktemp("report") / "case"
    shutil.copytree(police_case.path, target)
    store = CaseStore.open(target)
    run(store, Settings(train="2016-07..2017-07", forecast="2018-07", types=("Burglary",)))
    return store


def _section(html: str) -> str:
    start = html.index('id="hotspots"')
    return html[start : html.index("</section>", start)]


def test_html_section_has_map_cells_curve_and_governance(
    forecast_case: CaseStore, tmp_path: Path
) -> None:
    out = write_report(forecast_case, out=tmp_path / "r.html").path
    html = out.read_text(encoding="utf-8")
    assert '<a href="#hotspots">' in html  # in the table of contents
    part = _section(html)
    assert "Where Burglary incidents are most likely in 2018-07-01" in part
    # the map: vector SVG inside the file (an <img>, so it runs no script), no tile server
    found = re.search(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', part)
    assert found is not None
    svg = base64.b64decode(found.group(1)).decode("utf-8")
    assert "<svg" in svg and "km" in svg  # projected coordinates in km, a scale bar
    assert not re.search(r'(xlink:href|href|src)="https?://', svg)  # loads nothing
    # ten riskiest cells, by rank, with the street the incidents were recorded on
    assert "<th>place</th>" in part
    ranks = re.findall(r"<tr><td>(\d+)</td><td>On or near ", part)
    assert ranks == [str(k) for k in range(1, 11)]
    assert "data:image/png;base64," in part  # the capture curve
    assert "What this forecast can and cannot say" in part
    for phrase in ("ranks places, never people", "Reporting bias", "Displacement", "months"):
        assert phrase in part, phrase
    # the window has passed: the section says how the stored forecast did
    assert re.search(r"the riskiest 5 % of the area caught \d+\.\d% of its [\d,]+ incidents", part)


def test_markdown_section_says_the_same(forecast_case: CaseStore, tmp_path: Path) -> None:
    out = write_report(forecast_case, out=tmp_path / "r.md", fmt="md").path
    text = out.read_text(encoding="utf-8")
    part = text[text.index("Where next: hotspot forecast") :]
    assert "What this forecast can and cannot say" in part
    assert "On or near" in part and "ranks places, never people" in part
