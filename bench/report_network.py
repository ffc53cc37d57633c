"""Benchmark: the report's network view at 2k-10k actors in headless Chromium, sigma.js beside
the vis-network view it replaced, on the same graph and layout in the same run.

For each size a synthetic case (communities of lognormal sizes, most ties inside them, PageRank
from igraph, names and phones) goes through the report's own network section
(:func:`graphkit.report.sections_network.network_section`: layout, picture for print, data)
and renderer (:func:`graphkit.report.html.render_html`). The old view is rebuilt from git
(``network.js``, ``report.css`` and ``vendor/vis-network.min.js`` at ``--old-rev``) with the
same positions and data in the shape it read. Each page is opened in headless Chromium
(chromedriver; WebGL through SwiftShader, on the CPU) and timed:

* first paint: ``performance.now()`` when the view first finished drawing (ms after
  navigation), as the page records it in ``#gk-status``;
* pan and zoom: 60 animation frames that each move or zoom the camera; the time between
  frames (median and 95th percentile; 16.7 ms is the display's 60 Hz cap).

Usage: python bench/report_network.py [--actors 2300,10000] [--old-rev ecea548]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphkit.report.collect import CaseFacts  # noqa: E402
from graphkit.report.html import render_html  # noqa: E402
from graphkit.report.sections_network import network_section  # noqa: E402
from tests.report.webdriver import Session, session  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NETWORK_JS = "graphkit/report/network.js"
GIVEN = ("Anna", "Ben", "Chiara", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon")
FAMILY = ("Rossi", "Smith", "Kaur", "Nowak", "Okafor", "Murphy", "Silva", "Chen", "Haddad")


def synthetic_facts(n: int, *, seed: int = 0) -> CaseFacts:
    """``n`` actors in communities of lognormal sizes (singletons included), about 2.5 ties
    per member inside a community and one in ten actors tied across; PageRank by igraph."""
    import igraph as ig

    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(min(n - sum(sizes), max(1, rng.lognormal(2.2, 1.2)))))
    starts = np.concatenate([[0], np.cumsum(sizes)])
    pairs = [
        np.stack([rng.integers(0, s, int(s * 2.5)), rng.integers(0, s, int(s * 2.5))], 1)
        + starts[c]
        for c, s in enumerate(sizes)
        if s > 1
    ]
    pairs.append(rng.integers(0, n, size=(n // 10, 2)))
    both = np.concatenate(pairs)
    both = np.unique(np.sort(both[both[:, 0] != both[:, 1]], axis=1), axis=0)
    weights = rng.integers(1, 40, len(both)).astype(float)
    g = ig.Graph(n=n, edges=both.tolist())
    pagerank = np.asarray(g.pagerank(weights=weights.tolist()))
    ids = np.array([f"P{i:06d}" for i in range(n)])
    community = np.repeat(np.arange(len(sizes)), sizes)
    actors = pd.DataFrame(
        {
            "actor_id": ids,
            "kind": "person",
            "phones": [[f"+44770{i:07d}"] for i in range(n)],
            "name": [
                f"{GIVEN[i % len(GIVEN)]} {FAMILY[(i // 7) % len(FAMILY)]} {i}" for i in range(n)
            ],
            "community": [f"C{c}" for c in community],
            "pagerank": pagerank,
            "betweenness": rng.random(n),
            "leadership": pagerank,
            "level": np.nan,
            "broker_role": np.where(rng.random(n) < 0.05, "liaison", "none"),
            "brokerage": rng.random(n),
            "explanation": "ranks here because of its ties (synthetic case)",
        }
    )
    ties = pd.DataFrame(
        {
            "a": ids[both[:, 0]],
            "b": ids[both[:, 1]],
            "weight": weights,
            "layers": [["calls"]] * len(both),
        }
    )
    empty = pd.DataFrame()
    hyp = pd.DataFrame(columns=["src", "dst", "score", "status"])
    return CaseFacts(
        name="bench", case_id="bench", created_at="", generated_at="", manifest_sha256="",
        sources=[], counts={}, stages={}, models={}, versions={}, actors=actors, ties=ties,
        communities=empty, key_players=empty, activity=empty, daily=empty, blackouts=empty,
        handoffs=hyp, predicted=hyp, review=empty, sensitivity=empty, sensitivity_info={},
        period=(None, None),
    )  # fmt: skip


def _git(rev: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), "show", f"{rev}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def old_page(data: dict[str, Any], rev: str) -> str:
    """The vis-network view as it was at ``rev``, on the same actors, ties and positions."""
    n = len(data["nodes"])
    spread = max(1.0, (n / 250) ** 0.5)
    nodes = [
        {
            **{k: v for k, v in node.items() if k not in ("x", "y", "size")},
            "named": i < 25,
            "x": round(node["x"] / 1000 * 1400 * spread, 1),
            "y": round(node["y"] / 1000 * 1000 * spread, 1),
            "size": round(6 + (node["size"] - 2.5) / 13.5 * 34, 1),
        }
        for i, node in enumerate(data["nodes"])
    ]
    ids = [x["id"] for x in nodes]
    old = {
        "nodes": nodes,
        "edges": [
            {"from": ids[a], "to": ids[b], "w": w, "layers": []} for a, b, w, *_ in data["edges"]
        ],
        "hypotheses": [],
        "communities": [
            {"id": c["id"], "size": c["size"], "color": c["color"]} for c in data["communities"]
        ],
        "label_size": round(22 * spread),
    }
    payload = json.dumps(old).replace("<", "\\u003c")
    css, hook = _git(rev, "graphkit/report/report.css"), _git(rev, "graphkit/report/hook.js")
    vis, view = _git(rev, "graphkit/report/vendor/vis-network.min.js"), _git(rev, NETWORK_JS)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{css}</style>'
        f"<script>{hook}</script></head><body>"
        '<div id="gk-status" data-errors="[]" data-painted-pixels="-1" data-load-ms="-1"></div>'
        '<main><section><div class="gk-interactive"><div class="gk-controls">'
        '<input type="search" id="gk-search" list="gk-names"><datalist id="gk-names"></datalist>'
        '<select id="gk-community"><option value="">all</option></select>'
        '<input type="checkbox" id="gk-hyp" checked><button type="button" id="gk-fit">fit</button>'
        '</div><div class="gk-net"><div class="gk-canvas" id="gk-network"></div>'
        '<aside class="gk-side" id="gk-details"></aside></div>'
        f'<script type="application/json" id="gk-data">{payload}</script></div></section></main>'
        f"<script>{vis}</script><script>{view}</script></body></html>"
    )


# 60 frames, each moving (pan) or zooming the camera; the rAF timestamps of each frame.
_FRAMES = """
var mode = arguments[0], old = !graphkitNetwork.renderer, k = 0, stamps = [];
var net = graphkitNetwork.network, cam = old ? null : graphkitNetwork.renderer.getCamera();
var base = old ? net.getViewPosition() : null, scale = old ? net.getScale() : 1;
function move(k) {
  var a = Math.sin(k / 9), b = Math.cos(k / 9);
  if (old) {
    var s = mode === 'zoom' ? scale * (1 + 2 * (1 + a) / 2) : scale;
    var p = mode === 'pan' ? {x: base.x + 250 * a / scale, y: base.y + 250 * b / scale} : base;
    net.moveTo({position: p, scale: s, animation: false});
  } else if (mode === 'pan') { cam.setState({x: 0.5 + 0.15 * a, y: 0.5 + 0.15 * b, ratio: 1}); }
  else { cam.setState({x: 0.5, y: 0.5, ratio: 1 / (1 + 2 * (1 + a) / 2)}); }
}
window.__frames = null; window.__settle = null;
function settle() {  // from the last move to the frame after the next full drawing
  var t0 = performance.now(), r = graphkitNetwork.renderer;
  if (!r || document.getElementById('gk-status').dataset.motion !== 'image') {
    window.__settle = -1;  // every frame is a full drawing
    return;
  }
  r.once('afterRender', function () {
    requestAnimationFrame(function () { window.__settle = performance.now() - t0; });
  });
}
function tick(t) {
  stamps.push(t);
  if (k < 61) { move(k++); requestAnimationFrame(tick); }
  else { settle(); window.__frames = stamps; }
}
requestAnimationFrame(tick);
"""


# Main-thread time of one redraw (JS and draw calls; a software renderer rasterises later).
_REDRAW = """
var old = !graphkitNetwork.renderer, t = performance.now();
for (var i = 0; i < 10; i++) {
  if (old) {
    var net = graphkitNetwork.network, p = net.getViewPosition();
    net.moveTo({position: {x: p.x + 5, y: p.y}, animation: false}); net.redraw();
  } else {
    var r = graphkitNetwork.renderer;
    r.getCamera().setState({x: 0.5 + i * 0.002}); r.refresh({skipIndexation: true});
  }
}
return (performance.now() - t) / 10;
"""


def _measure(s: Session, page: Path) -> dict[str, float]:
    s.open(page)
    s.wait_for(
        "return Number(document.getElementById('gk-status').dataset.paintedPixels) > 0",
        timeout_s=180,
    )
    status = s.run("return Object.assign({}, document.getElementById('gk-status').dataset)")
    errors = json.loads(status.get("errors", "[]"))
    assert errors == [], errors
    out = {"first_paint_ms": float(status["loadMs"])}
    s.run("document.getElementById('gk-network').scrollIntoView({block: 'center'})")
    for mode in ("pan", "zoom"):
        s.run(_FRAMES, mode)
        stamps = np.asarray(s.wait_for("return window.__frames", timeout_s=300), dtype=float)
        gaps = np.diff(stamps)[1:]  # the first frame only starts the loop
        out[f"{mode}_median_ms"] = float(np.median(gaps))
        out[f"{mode}_p95_ms"] = float(np.percentile(gaps, 95))
        out[f"{mode}_settle_ms"] = float(
            s.wait_for("return window.__settle === null ? false : window.__settle", timeout_s=300)
        )
    out["redraw_ms"] = float(s.run(_REDRAW))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actors", default="2300,10000")
    parser.add_argument("--old-rev", default="ecea548", help="last commit with vis-network")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="gk-bench-net-") as tmp, session() as s:
        for n in (int(x) for x in args.actors.split(",")):
            facts = synthetic_facts(n)
            started = time.perf_counter()
            section, _ = network_section(facts, seed=0)
            html = render_html([section], title="bench", subtitle="synthetic")
            python_s = time.perf_counter() - started
            data = next(b.data for b in section.blocks if hasattr(b, "data"))
            pages = {"sigma.js (WebGL)": Path(tmp) / f"new-{n}.html"}
            pages["sigma.js (WebGL)"].write_text(html, encoding="utf-8")
            pages["vis-network (canvas)"] = Path(tmp) / f"old-{n}.html"
            pages["vis-network (canvas)"].write_text(old_page(data, args.old_rev), encoding="utf-8")
            for view, page in pages.items():
                m = _measure(s, page)
                rows.append((n, len(facts.ties), view, page.stat().st_size, python_s, m))
                print(f"measured {view} at {n:,} actors", file=sys.stderr, flush=True)
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores; python {platform.python_version()}")
    print(
        "| actors | ties | view | page MB | Python (layout, picture, data) s | first paint ms "
        "| pan frame ms median / p95 | zoom frame ms median / p95 "
        "| drawn afresh after pan / zoom ms | main thread ms per redraw |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, ties, view, size, python_s, m in rows:
        print(
            f"| {n:,} | {ties:,} | {view} | {size / 1e6:.1f} | {python_s:.1f} | "
            f"{m['first_paint_ms']:,.0f} | {m['pan_median_ms']:.1f} / {m['pan_p95_ms']:.1f} | "
            f"{m['zoom_median_ms']:.1f} / {m['zoom_p95_ms']:.1f} | {_settle(m)} | "
            f"{m['redraw_ms']:.1f} |"
        )


def _settle(m: dict[str, float]) -> str:
    """Time from the last camera move to the next full drawing, where frames move an image."""
    if m["pan_settle_ms"] < 0:
        return "every frame drawn"
    return f"{m['pan_settle_ms']:,.0f} / {m['zoom_settle_ms']:,.0f}"


if __name__ == "__main__":
    main()
