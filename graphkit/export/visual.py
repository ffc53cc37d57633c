"""What Gephi and yEd draw when they open an export: colour, size and position of each actor.

Colours are the case report's community colours (:mod:`graphkit.drawing`), sizes grow with
PageRank (with the weighted degree in the subgraph when the case has no analytics yet), and
positions come from the seeded force layout, so the file opens as a picture of the
communities instead of a grey hairball, the same for the same selection. Observed ties take
their community's colour when both ends share one (grey otherwise); hypotheses are red and
dashed.

* GEXF: ``viz:color``, ``viz:size``, ``viz:position`` on nodes; ``viz:color``,
  ``viz:thickness`` and ``viz:shape`` on edges (networkx writes them from ``viz`` dicts).
* GraphML: the attributes Gephi's importer maps to its own properties (``r``, ``g``, ``b``,
  ``x``, ``y``, ``size`` on nodes; ``r``, ``g``, ``b`` on edges) and yFiles graphics for yEd
  (``y:ShapeNode`` with geometry, fill and label; ``y:PolyLineEdge`` with colour, dashes and
  an arrow), which networkx reads back and igraph ignores without a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphkit.drawing import community_colour, force_layout, hex_to_rgb, node_sizes

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

__all__ = ["Look", "edge_colour", "node_looks", "write_yfiles_graphml"]

HYPOTHESIS_COLOUR = "#D62728"
TIE_COLOUR = "#9E9E9E"
#: layout units ([0, 1]) -> drawing coordinates in Gephi and yEd (points)
CANVAS = 1000.0
SMALLEST, LARGEST = 10.0, 60.0
NS_Y = "http://www.yworks.com/xml/graphml"
_YFILES_NODE, _YFILES_EDGE = "d_yfiles_node", "d_yfiles_edge"


@dataclass(frozen=True)
class Look:
    """How one actor is drawn: ``#RRGGBB`` colour, size (points) and position (points)."""

    colour: str
    size: float
    x: float
    y: float


def node_looks(nodes: pd.DataFrame, edges: pd.DataFrame, *, seed: int = 0) -> dict[str, Look]:
    """The look of every node of a subgraph (``nodes`` with ``id`` and, after ``analyze``,
    ``community`` and ``pagerank``; ``edges`` with ``src``, ``dst``, ``weight`` and
    ``hypothesis``). Only observed ties shape the layout; deterministic for ``seed``."""
    ids = [str(x) for x in nodes["id"]]
    if not ids:
        return {}
    observed = edges[~edges["hypothesis"].astype(bool)] if len(edges) else edges
    ties = [
        (str(s), str(d), _number(w))
        for s, d, w in zip(observed["src"], observed["dst"], observed["weight"], strict=True)
    ]
    community = (
        dict(zip(ids, nodes["community"], strict=True)) if "community" in nodes.columns else {}
    )
    if "pagerank" in nodes.columns and nodes["pagerank"].notna().any():
        centrality = [_number(v) for v in nodes["pagerank"]]
    else:  # before analyze: the weighted degree inside the subgraph
        degree: dict[str, float] = dict.fromkeys(ids, 0.0)
        for s, d, w in ties:
            degree[s] = degree.get(s, 0.0) + w
            degree[d] = degree.get(d, 0.0) + w
        centrality = [degree[i] for i in ids]
    sizes = node_sizes(centrality, smallest=SMALLEST, largest=LARGEST)
    positions = force_layout(ids, ties, community=community, seed=seed)
    return {
        i: Look(
            colour=community_colour(community.get(i)),
            size=round(size, 2),
            x=round(positions[i][0] * CANVAS, 2),
            y=round(positions[i][1] * CANVAS, 2),
        )
        for i, size in zip(ids, sizes, strict=True)
    }


def _number(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if math.isnan(x) else x


def edge_colour(src: str, dst: str, *, hypothesis: bool, looks: dict[str, Look]) -> str:
    """Red for a hypothesis; the community colour for a tie inside one; grey otherwise."""
    if hypothesis:
        return HYPOTHESIS_COLOUR
    a, b = looks.get(src), looks.get(dst)
    if a is not None and b is not None and a.colour == b.colour:
        return a.colour
    return TIE_COLOUR


def gexf_node_viz(look: Look) -> dict[str, Any]:
    """The ``viz`` dict networkx's GEXF writer turns into ``viz:`` elements."""
    r, g, b = hex_to_rgb(look.colour)
    return {
        "color": {"r": r, "g": g, "b": b, "a": 1.0},
        "size": look.size,
        "position": {"x": look.x, "y": -look.y, "z": 0.0},  # GEXF's y axis points up
    }


def gexf_edge_viz(colour: str, weight: Any, *, hypothesis: bool) -> dict[str, Any]:
    """The ``viz`` dict of an edge: its colour, a thickness growing with the log of its
    weight (1 for hypotheses, which have none), dashed for a hypothesis."""
    r, g, b = hex_to_rgb(colour)
    viz: dict[str, Any] = {
        "color": {"r": r, "g": g, "b": b, "a": 1.0},
        "thickness": round(1.0 + math.log1p(max(_number(weight), 0.0)), 3),
    }
    if hypothesis:
        viz["shape"] = "dashed"
    return viz


def graphml_node_attributes(look: Look) -> dict[str, Any]:
    """The node attributes Gephi's GraphML importer maps to colour, size and position."""
    r, g, b = hex_to_rgb(look.colour)
    return {"r": r, "g": g, "b": b, "x": look.x, "y": look.y, "size": look.size}


def write_yfiles_graphml(graph: nx.MultiDiGraph, looks: dict[str, Look]) -> bytes:
    """GraphML of ``graph`` (networkx's writer) with yFiles graphics for yEd: each node a
    filled ellipse at its position with its label, each edge a line in the colour of its
    ``r``/``g``/``b`` attributes, dashed for hypotheses, with an arrow at the target."""
    from xml.etree.ElementTree import Element, SubElement

    import networkx as nx

    class Writer(nx.readwrite.graphml.GraphMLWriter):  # type: ignore[misc,name-defined]
        def add_nodes(self, g: nx.MultiDiGraph, graph_element: Element) -> None:
            super().add_nodes(g, graph_element)
            for element in graph_element.iter("node"):
                look = looks.get(str(element.get("id")))
                if look is None:
                    continue
                data = SubElement(element, "data", key=_YFILES_NODE)
                shape = SubElement(data, "y:ShapeNode")
                SubElement(
                    shape,
                    "y:Geometry",
                    height=str(look.size),
                    width=str(look.size),
                    x=str(look.x - look.size / 2),
                    y=str(look.y - look.size / 2),
                )
                SubElement(shape, "y:Fill", color=look.colour, transparent="false")
                SubElement(shape, "y:BorderStyle", color="#FFFFFF", type="line", width="1.0")
                label = SubElement(shape, "y:NodeLabel")
                label.text = str(g.nodes[element.get("id")].get("label", element.get("id")))
                SubElement(shape, "y:Shape", type="ellipse")

        def add_edges(self, g: nx.MultiDiGraph, graph_element: Element) -> None:
            super().add_edges(g, graph_element)
            by_id = {str(k): d for _, _, k, d in g.edges(keys=True, data=True)}
            for element in graph_element.iter("edge"):
                d = by_id.get(str(element.get("id")), {})
                colour = "#{:02X}{:02X}{:02X}".format(*(int(d.get(c, 158)) for c in "rgb"))
                dashed = str(d.get("hypothesis")).lower() == "true"
                data = SubElement(element, "data", key=_YFILES_EDGE)
                line = SubElement(data, "y:PolyLineEdge")
                SubElement(
                    line,
                    "y:LineStyle",
                    color=colour,
                    type="dashed" if dashed else "line",
                    width="1.0",
                )
                SubElement(line, "y:Arrows", source="none", target="standard")

    writer = Writer(encoding="utf-8", prettyprint=True)
    writer.xml.set("xmlns:y", NS_Y)
    for scope, key in (("node", _YFILES_NODE), ("edge", _YFILES_EDGE)):
        writer.xml.append(
            Element("key", {"for": scope, "id": key, "yfiles.type": f"{scope}graphics"})
        )
    writer.add_graph_element(graph)
    return str(writer).encode("utf-8")
