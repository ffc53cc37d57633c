"""The network view past its drawing cap, and while the camera moves, in headless Chromium.

With the cap lowered to a third of the test case's actors: the view says how many are not
drawn; search draws one on request with its ties to the drawn actors; a drawn actor's details
draw the actors tied to it. Headless Chromium has no GPU (WebGL runs in SwiftShader), so the
view moves the last picture as an image while the camera moves: the dots must stay where the
camera puts them, and the view is drawn afresh when the camera rests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.report import ReportResult, write_report
from tests.export.cases import copy_case


@pytest.fixture(scope="module")
def capped(
    report_case_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ReportResult, int]:
    from graphkit.report import sections_network

    tmp = tmp_path_factory.mktemp("network-cap")
    store = copy_case(report_case_dir, tmp / "case")
    with store.connect(read_only=True) as con:
        (actors,) = con.execute("SELECT count(*) FROM analytics_actor").fetchone()
    cap = actors // 3
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sections_network, "MAX_NETWORK_ACTORS", cap)
        return write_report(store, out=tmp / "report.html"), cap


def _status(s) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return s.run("return Object.assign({}, document.getElementById('gk-status').dataset)")


# actors not drawn, each with the drawn actors it is tied to (from the view's own data)
_UNDRAWN = """
var d = graphkitNetwork.data, out = {};
d.more_edges.forEach(function (e) {
  [[e[0], e[1]], [e[1], e[0]]].forEach(function (p) {
    var n = d.nodes[p[0]], m = d.nodes[p[1]];
    if (n.x === null) { (out[n.id] = out[n.id] || []); if (m.x !== null) { out[n.id].push(m.id); } }
  });
});
return out;
"""

_SEARCH = """
var input = document.getElementById('gk-search');
input.value = arguments[0];
input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));
var r = graphkitNetwork.renderer, g = r.getGraph(), id = arguments[0];
var p = r.framedGraphToViewport(r.getNodeDisplayData(id)), dims = r.getDimensions();
return [document.getElementById('gk-found').textContent, g.hasNode(id),
        g.neighbors(id).slice().sort(), Math.hypot(p.x - dims.width / 2, p.y - dims.height / 2),
        document.getElementById('gk-count').textContent];
"""


def test_actors_past_the_cap_are_drawn_on_request(capped: tuple[ReportResult, int]) -> None:
    from tests.report.webdriver import session

    result, cap = capped
    with session(width=1400, height=1000) as s:
        s.open(result.path)
        s.wait_for("return Number(document.getElementById('gk-status').dataset.paintedPixels) > 0")
        status = _status(s)
        total = int(status["nodes"])
        assert int(status["drawn"]) == cap < total
        assert f"{total - cap:,} less central actors are not drawn" in s.run(
            "return document.getElementById('gk-count').textContent"
        )
        undrawn = s.run(_UNDRAWN)
        assert len(undrawn) == total - cap

        # search draws one, beside the drawn actors it is tied to, and says so
        target = next(a for a, tied in sorted(undrawn.items()) if len(tied) >= 2)
        said, has, neighbours, offset, count = s.run(_SEARCH, target)
        assert said.startswith("Found ") and "drawn on request" in said, said
        assert has and offset < 2
        assert neighbours == sorted(set(undrawn[target]))
        assert int(_status(s)["drawn"]) == cap + 1
        assert "1 drawn on request." in count

        # a name several actors share: Enter shows the first and says the others exist
        common = s.run(
            "var c = {}; graphkitNetwork.data.nodes.forEach(n => { if (n.name) {"
            " var w = n.name.split(' ')[0]; c[w] = (c[w] || 0) + 1; } });"
            "return Object.keys(c).sort().find(w => c[w] > 1);"
        )
        n_match = s.run("return graphkitNetwork.matches(arguments[0]).length", common)
        said = s.run(
            "var i = document.getElementById('gk-search'); i.value = arguments[0];"
            "i.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'}));"
            "return document.getElementById('gk-found').textContent",
            common,
        )
        assert n_match > 1 and f"It is the first of {n_match:,} actors matching “{common}”" in said

        # a drawn actor's details draw every actor tied to it that is not drawn
        hub = s.run(
            "var d = graphkitNetwork.data, c = {};"
            "d.more_edges.forEach(function (e) { [e[0], e[1]].forEach(function (i) {"
            "  var n = d.nodes[i];"
            "  if (n.x !== null && !n.onRequest) { c[n.id] = (c[n.id] || 0) + 1; }"
            "}); });"
            "return Object.keys(c).sort(function (a, b) { return c[b] - c[a]; })[0];"
        )
        hidden = sorted(a for a, tied in undrawn.items() if hub in tied and a != target)
        s.run("graphkitNetwork.select(arguments[0])", hub)
        button = s.run("var b = document.getElementById('gk-draw-tied'); return b && b.textContent")
        assert button and f"Draw the {len(hidden):,} actor" in button, button
        s.run("document.getElementById('gk-draw-tied').click()")
        assert int(_status(s)["drawn"]) == cap + 1 + len(hidden)
        assert hidden and s.run(
            "var g = graphkitNetwork.renderer.getGraph(), hub = arguments[1];"
            "return arguments[0].every(id => g.hasNode(id) && g.areNeighbors(id, hub))",
            hidden,
            hub,
        )
        assert s.run("return document.getElementById('gk-draw-tied')") is None
        assert s.run("return window.__gkErrors") == []


# where dots are on screen: their position in the picture as last drawn, moved by the layers'
# transform (the image the user sees), and where the camera as it is now puts them; read in
# one go, while the picture is still moving
_WHERE_FN = """function (ids) {
  var r = graphkitNetwork.renderer;
  var m = new DOMMatrix(getComputedStyle(r.getCanvases().nodes).transform);
  return [m.a, m.d, m.e, m.f, document.getElementById('gk-status').dataset.moving,
          ids.map(id => r.framedGraphToViewport(r.getNodeDisplayData(id)))];
}"""
_WHERE = f"return ({_WHERE_FN})(arguments[0]);"


def test_moving_the_camera_moves_the_picture_and_then_redraws_it(
    capped: tuple[ReportResult, int],
) -> None:
    from tests.report.webdriver import session

    result, _ = capped
    with session(width=1400, height=1000) as s:
        s.open(result.path)
        s.wait_for("return Number(document.getElementById('gk-status').dataset.paintedPixels) > 0")
        if _status(s)["motion"] != "image":
            pytest.skip(f"this Chromium draws WebGL on a GPU ({_status(s).get('webgl')})")
        some = s.run(
            "return graphkitNetwork.data.nodes.filter(n => n.x !== null).slice(0, 5).map(n => n.id)"
        )
        *still, moving, before = s.run(_WHERE, some)
        assert still == [1, 1, 0, 0] and moving == "false"
        # move the camera and read the page in the next frame (sigma's frame runs first)
        s.run(
            "var some = arguments[0]; window.__moved = null;"
            "graphkitNetwork.renderer.getCamera().setState({x: 0.62, y: 0.41, ratio: 0.55});"
            f"requestAnimationFrame(() => {{ window.__moved = ({_WHERE_FN})(some); }});",
            some,
        )
        kx, ky, e, f, moving, now = s.wait_for("return window.__moved")
        assert moving == "true"
        assert abs(kx - 1 / 0.55) < 1e-4 and abs(ky - kx) < 1e-4
        for b, p in zip(
            before, now, strict=True
        ):  # the moved image puts each dot where the camera does
            assert abs(kx * b["x"] + e - p["x"]) < 0.5 and abs(ky * b["y"] + f - p["y"]) < 0.5
        # and once the camera rests, the view is drawn afresh there
        s.wait_for("return document.getElementById('gk-status').dataset.moving === 'false'")
        *still, _, after = s.run(_WHERE, some)
        assert still == [1, 1, 0, 0]
        assert all(abs(a["x"] - p["x"]) < 1e-6 for a, p in zip(after, now, strict=True))
        assert s.run("return window.__gkErrors") == []
