"""How the actor graph is drawn, wherever it is drawn: community colours, node sizes, layout.

Pure functions over plain data, shared by the exports (GEXF ``viz:``, GraphML for Gephi and
yEd) so that a subgraph opened in Gephi or yEd shows the communities in the colours the case
report uses (the same palette as :mod:`graphkit.report.figures`), sized by PageRank and laid
out the same way for the same seed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "NO_COMMUNITY",
    "PALETTE",
    "community_colour",
    "community_number",
    "force_layout",
    "hex_to_rgb",
    "node_sizes",
]

# Colour-blind-safe first (Okabe & Ito 2008), then CARTO "Bold" for many communities.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F3C8D",
    "#11A579",
    "#3969AC",
    "#F2B701",
    "#E73F74",
    "#80BA5A",
    "#E68310",
    "#008695",
    "#CF1C90",
    "#F97B72",
    "#4B4B8F",
    "#A5AA99",
    "#000000",
)
NO_COMMUNITY = "#9E9E9E"
# igraph's Fruchterman-Reingold switches to its grid variant from this many vertices
GRID_LAYOUT_FROM = 1000


def community_number(value: Any) -> int | None:
    """The number of a community key (``C3``, ``3`` or 3 -> 3); None when it has none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip().removeprefix("C").removeprefix("c")
    return int(text) if text.isdigit() else None


def community_colour(community: Any) -> str:
    """``#RRGGBB`` of a community (``C3`` or 3); grey when it has none."""
    index = community_number(community)
    return NO_COMMUNITY if index is None else PALETTE[index % len(PALETTE)]


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` -> (r, g, b) in 0..255."""
    text = colour.lstrip("#")
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def node_sizes(
    centrality: Sequence[float | None], *, smallest: float, largest: float
) -> list[float]:
    """Sizes growing with the square root of a centrality (area ~ centrality); missing values
    count as 0, and all get ``smallest`` when no value is positive."""
    values = np.array([0.0 if v is None else float(v) for v in centrality], dtype=float)
    values = np.nan_to_num(values, nan=0.0)
    if len(values) == 0 or values.max() <= 0:
        return [smallest] * len(values)
    return [float(x) for x in smallest + (largest - smallest) * np.sqrt(values / values.max())]


def force_layout(
    ids: Sequence[str],
    ties: Sequence[tuple[str, str, float]],
    *,
    community: dict[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1]^2: Fruchterman & Reingold (1991) force layout of the largest
    connected component, ties inside a community pulled 5x harder (weights ``log1p(w)``), the
    other components on a grid at the right. Deterministic for ``seed``: the start positions
    and igraph's random generator are drawn from it (igraph's process-wide generator is put
    back to Python's ``random`` afterwards). From ``GRID_LAYOUT_FROM`` vertices igraph uses its
    grid variant, started spread over the area the drawing will fill. Results vary with the
    igraph version."""
    import igraph as ig

    ids = [str(x) for x in ids]
    if not ids:
        return {}
    index = {a: i for i, a in enumerate(ids)}
    comm = community or {}
    edges, weights = [], []
    for a, b, w in ties:
        if a in index and b in index and a != b:
            same = comm.get(a) is not None and comm.get(a) == comm.get(b)
            edges.append((index[a], index[b]))
            weights.append((5.0 if same else 1.0) * math.log1p(max(float(w), 0.0)))
    g = ig.Graph(n=len(ids), edges=edges)
    g.es["weight"] = weights
    parts = list(g.connected_components())
    giant = max(range(len(parts)), key=lambda k: (len(parts[k]), -k))
    core = parts[giant] if len(parts[giant]) > 1 else []
    xy = np.zeros((len(ids), 2))
    if core:
        sub = g.induced_subgraph(core)
        # The grid variant only compares vertices in nearby cells: started inside [-1, 1]^2 all
        # share one cell and it runs quadratic (207 s at 10k actors); spread, 3 s.
        spread = 1.0 if len(core) < GRID_LAYOUT_FROM else math.sqrt(len(core)) / 2
        start = (np.random.default_rng(seed).uniform(-1, 1, size=(len(core), 2)) * spread).tolist()
        ig.set_random_number_generator(random.Random(seed))
        try:
            layout = sub.layout_fruchterman_reingold(
                weights=sub.es["weight"], seed=start, niter=300
            )
        finally:
            ig.set_random_number_generator(random)
        pts = np.asarray(layout.coords, dtype=float).reshape(-1, 2)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pts = (pts - lo) / np.where(hi - lo > 0, hi - lo, 1.0)
        width = 0.84 if len(core) < len(ids) else 1.0
        xy[core, 0], xy[core, 1] = pts[:, 0] * width, pts[:, 1]
    rest = [v for k, comp in enumerate(parts) if k != giant or not core for v in comp]
    if rest:
        per_column = max(1, math.ceil(math.sqrt(len(rest) * 4)))
        left = 0.88 if core else 0.0
        columns = math.ceil(len(rest) / per_column)
        for i, v in enumerate(rest):
            col, row = divmod(i, per_column)
            xy[v, 0] = left + (1 - left) * (col + 0.5) / max(columns, 1)
            xy[v, 1] = (row + 0.5) / per_column
    return {a: (float(x), float(y)) for a, (x, y) in zip(ids, xy, strict=True)}
