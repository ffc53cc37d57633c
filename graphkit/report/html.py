"""One self-contained HTML file: inline CSS, inline PNG figures, vendored vis-network inline.

The page fetches nothing: no fonts, scripts, styles or images from the network. Every value
from the case is escaped (``html.escape`` for markup, ``<`` escaped inside the embedded JSON),
and the network view's details panel writes text nodes only.

For automated checks the page records script errors and what the network view drew into
``#gk-status`` (``data-errors``, ``data-painted-pixels``, ``data-load-ms``), which a headless
browser's ``--dump-dom`` shows without a DevTools connection.
"""

from __future__ import annotations

import base64
import html
import json
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


def _vendored_js() -> str:
    return (resources.files("graphkit.report") / "vendor" / "vis-network.min.js").read_text(
        encoding="utf-8"
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


def _interactive(block: Interactive) -> str:
    payload = json.dumps(block.data, ensure_ascii=False, default=str).replace("<", "\\u003c")
    legend = "".join(
        f'<span><i style="background:{_e(c["color"])}"></i>{_e(c["id"])} ({int(c["size"])})</span>'
        for c in block.data["communities"][:30]
    )
    static = _figure(block.fallback) if block.fallback else ""
    return f"""<div class="gk-interactive">
<div class="gk-controls"><input type="search" id="gk-search" list="gk-names"
 placeholder="Search a name or number…" aria-label="search actors"><datalist id="gk-names">
</datalist><select id="gk-community" aria-label="filter by community"><option value="">all
communities</option></select><label><input type="checkbox" id="gk-hyp" checked> show
hypotheses (dashed red)</label><button type="button" id="gk-fit">fit view</button></div>
<div class="legend">{legend}</div>
<div class="gk-net"><div class="gk-canvas" id="gk-network"></div>
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
    scripts = (
        f"<script>{_vendored_js()}</script><script>{_asset('network.js')}</script>"
        if has_network
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:;
 style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{_e(title)}</title><style>{_asset("report.css")}</style><script>{_asset("hook.js")}</script></head>
<body><div id="gk-status" data-errors="[]" data-painted-pixels="-1" data-load-ms="-1"></div>
<header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header><nav>{nav}</nav>
<main>{body}</main>{scripts}</body></html>
"""
