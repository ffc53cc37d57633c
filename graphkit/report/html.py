"""One self-contained HTML file: inline CSS, inline PNG figures, vendored sigma.js inline.

The page fetches nothing: no fonts, scripts, styles or images from the network. Every value
from the case is escaped (``html.escape`` for markup, ``<`` escaped inside the embedded JSON),
and the network view's details panel writes text nodes only.

For automated checks the page records script errors and what the network view drew into
``#gk-status`` (``data-errors``, ``data-painted-pixels``, ``data-load-ms``, ``data-nodes``,
``data-drawn``), which a headless browser's ``--dump-dom`` shows without a DevTools connection.

The network view is sigma.js on WebGL over a graphology graph (``vendor/``, MIT, pinned in
``vendor/VENDOR.json``); positions come from the report's layout, so the page lays nothing
out.
"""

from __future__ import annotations

import base64
import html
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from graphkit.report.blocks import (
    Block,
    Box,
    Card,
    Cards,
    Figure,
    Interactive,
    Para,
    Section,
    Stats,
    Table,
)

__all__ = ["render_html"]


#: the vendored scripts the network view needs, in load order (graphology before sigma)
VENDORED_JS = ("graphology.umd.min.js", "sigma.min.js")


def _vendored_js() -> str:
    folder = resources.files("graphkit.report") / "vendor"
    return "".join(
        f"<script>{(folder / name).read_text(encoding='utf-8')}</script>" for name in VENDORED_JS
    )


def _asset(name: str) -> str:
    return (resources.files("graphkit.report") / name).read_text(encoding="utf-8")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _figure(f: Figure) -> str:
    data = base64.b64encode(f.png).decode("ascii")
    mime = "image/svg+xml" if f.kind == "svg" else "image/png"  # an <img> SVG runs no script
    return (
        f'<figure><img src="data:{mime};base64,{data}" alt="{_e(f.caption)}">'
        f"<figcaption>{_e(f.caption)}</figcaption></figure>"
    )


def _table(t: Table) -> str:
    mono = {i for i, c in enumerate(t.columns) if c in t.mono}
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=mono' if i in mono else ''}>{_e(v)}</td>" for i, v in enumerate(row)
        )
        + "</tr>"
        for row in t.rows
    )
    narrow = ' class="narrow"' if len(t.columns) <= 3 else ""
    if t.collapsed:
        table = f"<table{narrow}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return f"<details><summary>{_e(t.caption or 'table')}</summary>{table}</details>"
    caption = f"<caption>{_e(t.caption)}</caption>" if t.caption else ""
    return f"<table{narrow}>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _legend(data: dict[str, Any]) -> str:
    """Communities in natural order (C2 before C10) as filter toggles, singletons as one."""
    items = [
        f'<button type="button" class="gk-leg" data-community="{_e(c["id"])}" '
        f'aria-pressed="false"><i style="background:{_e(c["color"])}"></i>{_e(c["id"])} '
        f"({int(c['size'])})</button>"
        for c in data.get("communities", [])
        if int(c.get("size", 0)) > 1
    ]
    single = int(data.get("singletons", 0))
    if single:
        colour = _e(data.get("single_color", "#9E9E9E"))
        items.append(
            f'<button type="button" class="gk-leg" data-community="single" aria-pressed="false">'
            f'<i style="background:{colour}"></i>{single:,} single '
            f"actor{'s' if single != 1 else ''}</button>"
        )
    return "".join(items)


def _day(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()


def _time_inputs(data: dict[str, Any]) -> str:
    """From and to dates over the ties' span (UTC days); nothing when no tie has a time."""
    span = data.get("time")
    if not span:
        return ""
    first, last = _day(float(span["start_s"])), _day(float(span["end_s"]) - 1)
    return (
        '<span class="gk-time" role="group" aria-label="ties active between two dates (UTC)">'
        f'ties from <input type="date" id="gk-from" min="{first}" max="{last}" '
        f'value="{first}" aria-label="from (UTC)"> to <input type="date" id="gk-to" '
        f'min="{first}" max="{last}" value="{last}" aria-label="to (UTC), included"></span>'
    )


def _interactive(block: Interactive) -> str:
    payload = json.dumps(block.data, ensure_ascii=False, default=str).replace("<", "\\u003c")
    static = _figure(block.fallback) if block.fallback else ""
    return f"""<div class="gk-interactive">
<div class="gk-controls"><span class="gk-find"><input type="search" id="gk-search"
 autocomplete="off" placeholder="Search a name, phone or id…" aria-label="search actors by name,
 phone or id" aria-controls="gk-results"><ol id="gk-results" class="gk-results" hidden></ol>
</span><select id="gk-role" aria-label="filter by role"><option value="">every role</option>
<option value="lead">each community's first (leaders where tested)</option>
<option value="broker">brokers</option>
<option value="hypothesis">in a hypothesis</option></select><label><input type="checkbox"
 id="gk-hyp" checked> show hypotheses (red)</label>{_time_inputs(block.data)}<button
 type="button" id="gk-fit">fit view</button><button type="button" id="gk-clear">clear
 filters</button></div>
<p class="gk-found" id="gk-found" role="status" aria-live="polite">Type a name, phone or id
 and press Enter.</p>
<div class="legend" id="gk-legend" aria-label="communities: click to filter">
{_legend(block.data)}</div>
<p class="gk-count muted" id="gk-count"></p>
<div class="gk-net"><div class="gk-canvas" id="gk-network"><div class="gk-card" id="gk-card"
 hidden></div></div>
<aside class="gk-side" id="gk-details"><p class="muted">Click an actor to see its details and
why it ranks where it does.</p></aside></div>
<script type="application/json" id="gk-data">{payload}</script></div>
<div class="print-only">{static}</div>"""


def _card(c: Card) -> str:
    """A community card: text on top, then the picture beside the leader/broker table,
    then the rest."""
    head = [b for b in c.blocks if isinstance(b, Para)]
    figs = [b for b in c.blocks if isinstance(b, Figure)]
    tables = [b for b in c.blocks if isinstance(b, Table)]
    side, rest = tables[:1], tables[1:]
    body = (
        (
            f'<div class="card-body"><div>{"".join(_block(x) for x in figs)}</div>'
            f"<div>{''.join(_block(x) for x in side)}</div></div>"
        )
        if figs
        else "".join(_block(x) for x in side)
    )
    return (
        f'<div class="card" style="--c:{_e(c.colour)}"><h3>{_e(c.title)}</h3>'
        + "".join(_block(x) for x in head)
        + body
        + "".join(_block(x) for x in rest)
        + "</div>"
    )


def _block(b: Block) -> str:
    if isinstance(b, Para):
        return f"<p{' class=muted' if b.muted else ''}>{_e(b.text)}</p>"
    if isinstance(b, Figure):
        return "" if b.key == "network" else _figure(b)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Stats):
        tiles = "".join(
            f'<div class="tile"><b>{_e(v)}</b><span>{_e(k)}</span></div>' for k, v in b.items
        )
        return f'<div class="tiles">{tiles}</div>'
    if isinstance(b, Box):
        badge = {"hypothesis": "HYPOTHESIS", "fact": "OBSERVED", "note": "NOTE"}[b.kind]
        inner = "".join(_block(x) for x in b.blocks)
        return (
            f'<div class="box {b.kind}"><h3><span class="badge">{badge}</span>'
            f"{_e(b.title)}</h3>{inner}</div>"
        )
    if isinstance(b, Cards):
        cards = "".join(_card(c) for c in b.cards)
        return f'<div class="cards">{cards}</div>'
    if isinstance(b, Interactive):
        return _interactive(b)
    raise TypeError(f"unknown block {type(b).__name__}")


def render_html(sections: list[Section], *, title: str, subtitle: str) -> str:
    """The whole report as one HTML document."""
    nav = "".join(
        f'<a href="#{_e(s.anchor)}">{_e(s.title.split(",")[0].split(" (")[0])}</a>'
        for s in sections
    )
    body = "".join(
        f'<section id="{_e(s.anchor)}"><h2>{_e(s.title)}</h2>'
        + "".join(_block(b) for b in s.blocks)
        + "</section>"
        for s in sections
    )
    has_network = any(isinstance(b, Interactive) for s in sections for b in s.blocks)
    scripts = f"{_vendored_js()}<script>{_asset('network.js')}</script>" if has_network else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:;
 style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{_e(title)}</title><style>{_asset("report.css")}</style><script>{_asset("hook.js")}</script></head>
<body><div id="gk-status" data-errors="[]" data-painted-pixels="-1" data-load-ms="-1"
 data-nodes="-1" data-drawn="-1"></div>
<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav>
<main>{body}</main>{scripts}</body></html>
"""
