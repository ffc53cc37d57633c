"""Export formats: each renders a :class:`Subgraph` to bytes (no file access here).

* GraphML and GEXF (networkx writers): a directed multigraph, one edge per tie layer (edge
  ids ``e0, e1 …`` unique in the file; ``layer`` and ``relationship`` as edge attributes),
  readable by networkx, igraph, Gephi, yEd and Cytoscape, drawn in community colours, sized
  by PageRank and laid out (:mod:`graphkit.export.visual`).
* Every format: each tie's ``first`` and ``last`` time are those of its own interaction type
  (calls, texts, transfers, contacts), ``count`` its events and ``seconds`` the total duration
  of the calls (on ``calls`` ties).
* JSON: Cytoscape.js elements (``{"elements": {"nodes": [{"data": …}], "edges": […]}}``),
  which Cytoscape desktop imports and vis-network reads after a one-line mapping.
* CSV: ``nodes`` and ``edges`` tables with formula-like cells neutralised.
* Cypher: a parameterised script for ``cypher-shell -f``: rows are passed with ``:param``
  and written with ``UNWIND $rows … MERGE``; labels, types and keys come from the declared
  model and match what ``graphkit publish`` writes (Person / Phone, CALLED with calls, sms
  and seconds; ``first_call``/``last_call`` and ``first_sms``/``last_sms`` besides the
  overall ``first``/``last``).
* ANX: i2 Analyst's Notebook exchange file written with ``anxwritter``; hypotheses are drawn
  dashed (strength ``Hypothesis``).

List attributes (names, phones …) are joined with ``"; "`` where a format has no lists.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from graphkit.drawing import hex_to_rgb
from graphkit.export import visual
from graphkit.export.files import neutralise_cell
from graphkit.export.select import NODE_LIST_COLUMNS, Subgraph
from graphkit.export.visual import node_looks
from graphkit.model import ACTOR, node, relationship

__all__ = ["FORMATS", "edge_type", "node_label", "render"]

LIST_SEPARATOR = "; "
_LAYER_TYPES = {
    "calls": "CALLED",
    "sms": "CALLED",
    "money": "TRANSFERRED",
    "predicted_link": "PREDICTED_LINK",
    "same_user_as": "SAME_USER_AS",
}
_KIND_LABELS = {"person": "Person", "phone": "Phone"}
_CYPHER_BATCH = 1000
#: seed of the force layout in GraphML and GEXF (the same selection, the same picture)
LAYOUT_SEED = 0


def node_label(kind: str) -> str:
    """Declared label of an actor of ``kind`` (``Actor`` for identifiers of no known kind)."""
    label = _KIND_LABELS.get(kind)
    return node(label).label if label else ACTOR


def edge_type(layer: str) -> str:
    """Declared relationship type of a tie layer (contact layers are CONTACT)."""
    return relationship(_LAYER_TYPES.get(layer, "CONTACT")).type


def _scalar(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _scalar(value.item())
    return value


def _node_rows(sub: Subgraph, *, flat: bool) -> list[dict[str, Any]]:
    rows = []
    for rec in sub.nodes.to_dict("records"):
        row: dict[str, Any] = {}
        for key, value in rec.items():
            if key in NODE_LIST_COLUMNS:
                row[key] = LIST_SEPARATOR.join(value) if flat else list(value)
            else:
                row[key] = _scalar(value)
        row["type"] = node_label(str(rec["kind"]))
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _edge_rows(sub: Subgraph) -> list[dict[str, Any]]:
    rows = []
    for i, rec in enumerate(sub.edges.to_dict("records")):
        row = {k: _scalar(v) for k, v in rec.items()}
        row["relationship"] = edge_type(str(rec["layer"]))
        row["id"] = f"e{i}"
        if not row["hypothesis"]:
            for k in ("score", "status", "model_version", "evidence"):
                row.pop(k, None)
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def _networkx(sub: Subgraph, meta: dict[str, Any], *, gexf: bool) -> Any:
    """The subgraph as a networkx multigraph with its drawing (:mod:`graphkit.export.visual`):
    ``viz`` dicts for GEXF, Gephi's ``r g b x y size`` attributes for GraphML."""
    import networkx as nx

    looks = node_looks(sub.nodes, sub.edges, seed=LAYOUT_SEED)
    g = nx.MultiDiGraph(**{k: str(v) for k, v in meta.items()})
    for row in _node_rows(sub, flat=True):
        ident = row.pop("id")
        look = looks[str(ident)]
        if gexf:
            row["label"] = str(row.get("label", ""))
            row["viz"] = visual.gexf_node_viz(look)
        else:
            row.update(visual.graphml_node_attributes(look))
        g.add_node(ident, **row)
    for row in _edge_rows(sub):
        # the key becomes the GraphML edge id, unique in the file; as a GraphML attribute too
        # it would clash with that id (igraph warns and drops one). GEXF takes it from ``id``.
        src, dst = row.pop("src"), row.pop("dst")
        key = row["id"] if gexf else row.pop("id")
        hyp = bool(row.get("hypothesis"))
        colour = visual.edge_colour(str(src), str(dst), hypothesis=hyp, looks=looks)
        if gexf:
            row["viz"] = visual.gexf_edge_viz(colour, row.get("weight"), hypothesis=hyp)
        else:
            row.update(dict(zip("rgb", hex_to_rgb(colour), strict=True)))
        g.add_edge(src, dst, key=key, **row)
    return g, looks


def render_graphml(sub: Subgraph, *, meta: dict[str, Any]) -> bytes:
    """GraphML text (networkx writer) of the subgraph, with ``meta`` as graph attributes and
    the drawing Gephi and yEd read (:mod:`graphkit.export.visual`)."""
    g, looks = _networkx(sub, meta, gexf=False)
    return visual.write_yfiles_graphml(g, looks)


def render_gexf(sub: Subgraph, *, meta: dict[str, Any]) -> bytes:
    """GEXF 1.2 text (networkx writer) of the subgraph with ``viz:`` colours, sizes and
    positions, for Gephi."""
    import networkx as nx

    g, _ = _networkx(sub, meta, gexf=True)
    return "\n".join(nx.generate_gexf(g)).encode("utf-8")


def render_json(sub: Subgraph, *, meta: dict[str, Any]) -> bytes:
    """Cytoscape.js elements JSON, with ``meta`` under ``data``."""
    nodes = [{"data": row} for row in _node_rows(sub, flat=False)]
    edges = []
    for row in _edge_rows(sub):
        row["source"], row["target"] = row.pop("src"), row.pop("dst")
        if "evidence" in row:
            row["evidence"] = json.loads(row["evidence"])
        edges.append({"data": row})
    doc = {
        "format": "cytoscape.js elements",
        "data": meta,
        "elements": {"nodes": nodes, "edges": edges},
    }
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if v is None:
                cells.append("")
            elif isinstance(v, str):
                cells.append(neutralise_cell(v))
            else:
                cells.append(v)
        writer.writerow(cells)
    return buf.getvalue().encode("utf-8")


def render_csv(sub: Subgraph, *, meta: dict[str, Any]) -> dict[str, bytes]:
    """Two files: ``nodes`` and ``edges`` (suffixes given by the caller)."""
    del meta
    node_cols = ["id", "type", *[c for c in sub.nodes.columns if c != "id"]]
    edge_cols = [
        "id",
        "src",
        "dst",
        "relationship",
        *[c for c in sub.edges.columns if c not in ("src", "dst")],
    ]
    return {
        "nodes": _csv(_node_rows(sub, flat=True), node_cols),
        "edges": _csv(_edge_rows(sub), edge_cols),
    }


def cypher_literal(value: Any) -> str:
    """A Cypher literal for a JSON-like value (strings escaped as in JSON, which Cypher
    accepts; map keys quoted with backticks)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"`{str(k).replace('`', '``')}`: {cypher_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return cypher_literal(str(value))


#: per-type spans of a CALLED relationship (calls and texts in one, as ``publish`` writes it)
_CALLED_TIMES = ("first_call", "last_call", "first_sms", "last_sms")


def _cypher_time(keys: tuple[str, ...]) -> str:
    """SET items turning ISO strings into Cypher datetimes (null stays null)."""
    return ", ".join(
        f"r.{k} = CASE WHEN row.props.{k} IS NULL THEN NULL ELSE datetime(row.props.{k}) END"
        for k in keys
    )


def _cypher_relationships(
    sub: Subgraph, labels: dict[str, str]
) -> dict[tuple[str, ...], list[Any]]:
    """Rows ``{src, dst, props}`` per (type, start label, end label), shaped like the published
    graph: calls and texts of a pair in one CALLED, contact kinds apart (CONTACT ``kind``)."""
    groups: dict[tuple[str, ...], dict[tuple[str, ...], dict[str, Any]]] = {}
    for row in _edge_rows(sub):
        rel, layer = row["relationship"], str(row["layer"])
        src, dst = str(row["src"]), str(row["dst"])
        group = groups.setdefault((rel, labels[src], labels[dst]), {})
        kind = layer.removeprefix("contact:") if rel == "CONTACT" else ""
        props = group.setdefault((src, dst, kind), {})
        if rel == "CALLED":
            kind = "call" if layer == "calls" else "sms"
            props["calls" if kind == "call" else "sms"] = row.get("count")
            props[f"first_{kind}"], props[f"last_{kind}"] = row.get("first"), row.get("last")
            if kind == "call":
                props["seconds"] = row.get("seconds")
        elif rel == "TRANSFERRED":
            props.update(count=row.get("count"), amount=row.get("amount"))
        elif rel == "CONTACT":
            props.update(kind=kind, weight=row.get("weight"))
        else:
            for k in ("score", "status", "model_version", "evidence"):
                props[k] = row.get(k)
            props["hypothesis"] = True
        for k, pick in (("first", min), ("last", max)):
            if row.get(k) is not None:
                props[k] = pick(props[k], row[k]) if props.get(k) else row[k]
    return {
        key: [
            {"src": s, "dst": d, "props": {k: v for k, v in p.items() if v is not None}}
            for (s, d, _), p in sorted(rows.items())
        ]
        for key, rows in sorted(groups.items())
    }


def render_cypher(sub: Subgraph, *, meta: dict[str, Any]) -> bytes:
    """A cypher-shell script: ``:param rows`` batches and fixed ``UNWIND`` statements.

    Nodes and relationships follow the published graph (:mod:`graphkit.publish`): actors are
    Person nodes (``person_id``) or Phone nodes (``msisdn``; identifiers of no known kind are
    Phones, as the model says), relationships carry the declared types and properties.
    """
    person, phone = node("Person"), node("Phone")
    keys = {person.label: person.key, phone.label: phone.key}
    lines = [
        "// graphkit export: a parameterised Cypher script (Cypher 5).",
        "// Run with: cypher-shell -f THIS_FILE. Each batch of rows is set with :param and",
        "// written by a fixed UNWIND $rows ... MERGE statement: no value is spliced into one.",
        *(f"// {k}: {json.dumps(v, ensure_ascii=True)}" for k, v in meta.items()),
        *(
            f"CREATE INDEX graphkit_export_{label.lower()} IF NOT EXISTS "
            f"FOR (n:{label}) ON (n.{key});"
            for label, key in keys.items()
        ),
    ]
    labels: dict[str, str] = {}
    by_label: dict[str, list[dict[str, Any]]] = {}
    for row in _node_rows(sub, flat=False):
        label = person.label if row["kind"] == "person" else phone.label
        labels[str(row["id"])] = label
        row.pop("type")
        by_label.setdefault(label, []).append({"key": row.pop("id"), "props": row})
    for label, rows in sorted(by_label.items()):
        stmt = (
            f"UNWIND $rows AS row MERGE (n:{label} {{{keys[label]}: row.key}}) SET n += row.props;"
        )
        lines += _batches(rows, stmt)
    for (rel, start, end), rows in _cypher_relationships(sub, labels).items():
        merge = f"[r:{rel} {{kind: row.props.kind}}]" if rel == "CONTACT" else f"[r:{rel}]"
        times = ("first", "last", *(_CALLED_TIMES if rel == "CALLED" else ()))
        stmt = (
            f"UNWIND $rows AS row MATCH (a:{start} {{{keys[start]}: row.src}}) "
            f"MATCH (b:{end} {{{keys[end]}: row.dst}}) MERGE (a)-{merge}->(b) "
            f"SET r += row.props, {_cypher_time(times)};"
        )
        lines += _batches(rows, stmt)
    lines.append(":param rows => [];")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _batches(rows: list[dict[str, Any]], statement: str) -> list[str]:
    out = []
    for start in range(0, len(rows), _CYPHER_BATCH):
        batch = rows[start : start + _CYPHER_BATCH]
        out.append(f":param rows => {cypher_literal(batch)};")
        out.append(statement)
    return out


#: i2 icon and colour of each entity type (colour-blind-safe, Okabe & Ito 2008)
_ANX_TYPES = {
    "Person": ("Person", "#0072B2"),
    "Phone": ("Mobile Phone", "#E69F00"),
    ACTOR: ("Unknown", "#999999"),
}
_ANX_CARD_FIELDS = (
    ("names", "names"),
    ("phones", "phones"),
    ("imeis", "handsets (IMEI)"),
    ("imsis", "SIMs (IMSI)"),
    ("accounts", "accounts"),
)


def _anx_when(value: Any) -> tuple[str | None, str | None]:
    """ISO time -> ANX ``(yyyy-MM-dd, HH:mm:ss)`` in UTC; (None, None) when missing."""
    if not value:
        return None, None
    t = pd.Timestamp(value)
    t = t.tz_convert("UTC") if t.tzinfo else t
    return t.strftime("%Y-%m-%d"), t.strftime("%H:%M:%S")


def _anx_link_card(row: dict[str, Any]) -> dict[str, Any]:
    """The card of a tie: what it counts, over which span (UTC), dated at its first event."""
    date, time = _anx_when(row.get("first"))
    counted = [f"{row['layer']}: {row['count']}" if row.get("count") is not None else row["layer"]]
    if row.get("seconds") is not None:
        counted.append(f"{row['seconds']} s of calls")
    if row.get("amount") is not None:
        counted.append(f"amount {row['amount']:.2f}")
    span = f"first {row.get('first') or '?'}, last {row.get('last') or '?'} (UTC)"
    return {"summary": "; ".join(counted), "description": span, "date": date, "time": time}


def _anx_record_cards(sub: Subgraph) -> dict[str, list[dict[str, Any]]]:
    """A merged entity's cards: one per source record entity resolution joined into the
    person (source, row, kind, match probability), as i2 keeps the cards of merged items."""
    from graphkit.views import format_number

    cards: dict[str, list[dict[str, Any]]] = {}
    if sub.records.empty:
        return cards
    for r in sub.records.to_dict("records"):
        where = f"row {int(r['row_number'])} of {r['source']}" if pd.notna(r["row_number"]) else ""
        prob = r.get("match_probability")
        said = [
            f"{r['kind']} record" if isinstance(r.get("kind"), str) else "record",
            where,
            f"match probability {format_number(float(prob))}" if pd.notna(prob) else "",
        ]
        cards.setdefault(str(r["person_id"]), []).append(
            {
                "summary": f"merged from {r['record_id']}",
                "description": "; ".join(s for s in said if s),
            }
        )
    return cards


def render_anx(sub: Subgraph, *, meta: dict[str, Any]) -> bytes:
    """i2 Analyst's Notebook exchange bytes (UTF-16) written with anxwritter: entity types
    with their own icon and colour, an identifier card on each entity and, on a person merged
    from several source records, one card per record (a merged entity); each tie dated at its
    first event with a card giving its count, call seconds and span; hypotheses dashed and
    undated (strength ``Hypothesis``). The chart passes anxwritter's validator first."""
    del meta  # ANX has no chart-level properties for it; the manifest carries it
    from anxwritter import ANXChart
    from anxwritter.enums import DotStyle

    from graphkit.errors import GraphkitError

    arrange = "fr" if len(sub.nodes) <= 300 else "grid"
    chart = ANXChart(settings={"extra_cfg": {"arrange": arrange}})
    chart.add_strength(name="Hypothesis", dot_style=DotStyle.DASHED)
    for name, (icon, colour) in _ANX_TYPES.items():
        chart.add_entity_type(name=name, icon_file=icon, color=colour, shade_color=colour)
        chart.add_legend_item(name=name, item_type="Icon", image_name=icon, shade_color=colour)
    chart.add_legend_item(name="Hypothesis", item_type="Line", color="#D62728", dash_style="Dot")
    merged = _anx_record_cards(sub)
    for row in _node_rows(sub, flat=True):
        ident, label, kind = row.pop("id"), row.pop("label", None), row.pop("type")
        attrs = {k: v for k, v in row.items() if isinstance(v, str | int | float | bool)}
        held = [f"{title}: {row[k]}" for k, title in _ANX_CARD_FIELDS if row.get(k)]
        cards = [{"summary": "identifiers", "description": "\n".join(held)}] if held else []
        cards += merged.get(str(ident), [])
        chart.add_icon(
            id=str(ident),
            type=kind,
            label=str(label or ident),
            color=_ANX_TYPES[kind][1],
            attributes=attrs,
            cards=cards,
        )
    for row in _edge_rows(sub):
        hyp = bool(row.get("hypothesis"))
        attrs = {
            k: v
            for k, v in row.items()
            if k not in ("src", "dst", "relationship", "id")
            and isinstance(v, str | int | float)
            and not isinstance(v, bool)
        }
        attrs["hypothesis"] = hyp
        date, time = (None, None) if hyp else _anx_when(row.get("first"))
        chart.add_link(
            from_id=str(row["src"]),
            to_id=str(row["dst"]),
            type=row["relationship"],
            arrow=None if hyp else "ArrowOnHead",
            label=str(row["layer"]),
            date=date,
            time=time,
            strength="Hypothesis" if hyp else None,
            attributes=attrs,
            cards=[] if hyp else [_anx_link_card(row)],
        )
    problems = chart.validate()
    if problems:
        raise GraphkitError(f"ANX chart refused by anxwritter's validator: {problems[:3]}")
    return b"".join(chart.iter_anx_bytes())


Renderer = Callable[..., Any]
FORMATS: dict[str, Renderer] = {
    "graphml": render_graphml,
    "gexf": render_gexf,
    "json": render_json,
    "csv": render_csv,
    "cypher": render_cypher,
    "anx": render_anx,
}


def render(sub: Subgraph, fmt: str, *, meta: dict[str, Any]) -> dict[str, bytes]:
    """Bytes of each file of the export: ``{"": data}``, or ``{"nodes": …, "edges": …}``."""
    out = FORMATS[fmt](sub, meta=meta)
    return out if isinstance(out, dict) else {"": out}
