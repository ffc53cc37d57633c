"""Actor graphs as igraph objects, built from plain edge frames.

The analytics work on one directed, weighted, possibly multi-layer graph: vertex ``i`` is the
``i``-th actor id in sorted order (so the same input always gives the same vertex numbering),
every edge carries ``weight`` and ``layer``, and parallel edges of one layer are summed. The
algorithms then ask for the projection they need: one layer, the layers summed, or the
undirected version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.errors import InputError

if TYPE_CHECKING:
    import igraph as ig

__all__ = [
    "DEFAULT_LAYER",
    "EdgeTable",
    "collapse",
    "directed_layers",
    "edge_table",
    "from_edges",
    "graph_of",
    "layer_graphs",
    "layers",
    "new_graph",
    "normalise_layers",
    "vertex_ids",
]

log = logging.getLogger(__name__)

DEFAULT_LAYER = "all"


@dataclass(frozen=True, eq=False)
class EdgeTable:
    """The edges :func:`from_edges` builds its graph from, as arrays: edge ``k`` of the graph
    is ``src[k] -> dst[k]`` in layer ``layer_names[layer[k]]`` with ``weight[k]`` summed over
    ``count[k]`` input rows; ``names`` are the vertices' ids in vertex order. Kept by callers
    that read the edges again (reading them back out of igraph makes a Python tuple per edge).
    """

    names: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    count: np.ndarray
    layer: np.ndarray
    layer_names: np.ndarray
    directed: bool


def from_edges(
    edges: pd.DataFrame,
    *,
    nodes: Iterable[str] | None = None,
    directed: bool = True,
    drop_self_loops: bool = True,
) -> ig.Graph:
    """Build a directed weighted multi-layer igraph graph from an edge frame.

    ``edges`` has the columns ``src``, ``dst``, optionally ``weight`` (default 1.0) and
    ``layer`` (default :data:`DEFAULT_LAYER`). ``nodes`` adds actors without edges. Vertices are
    the sorted union of ids (vertex attribute ``name``); edges of the same ``(src, dst,
    layer)`` are summed (edge attributes ``weight``, ``layer``, and ``count``: how many input
    rows were summed). Self-loops are dropped unless ``drop_self_loops`` is false. For an
    undirected graph, ``(src, dst)`` is put in canonical order before summing.
    """
    return graph_of(
        edge_table(edges, nodes=nodes, directed=directed, drop_self_loops=drop_self_loops)
    )


def graph_of(table: EdgeTable) -> ig.Graph:
    """The graph of :func:`from_edges` from its :class:`EdgeTable`."""
    g = new_graph(len(table.names), table.src, table.dst, directed=table.directed)
    g.vs["name"] = table.names.tolist()
    g.es["weight"] = table.weight.tolist()
    g.es["layer"] = table.layer_names[table.layer].tolist() if len(table.src) else []
    g.es["count"] = table.count.tolist()
    g["simple_per_layer"] = True
    log.debug("actor graph: %d vertices, %d edges", g.vcount(), g.ecount())
    return g


def edge_table(
    edges: pd.DataFrame,
    *,
    nodes: Iterable[str] | None = None,
    directed: bool = True,
    drop_self_loops: bool = True,
) -> EdgeTable:
    """The aggregated edges of :func:`from_edges` (same arguments) as arrays."""
    missing = {"src", "dst"} - set(edges.columns)
    if missing:
        raise InputError(f"edge frame lacks column(s) {sorted(missing)}")
    weight = (
        pd.to_numeric(edges["weight"], errors="coerce").to_numpy(dtype=float)
        if "weight" in edges.columns
        else np.ones(len(edges))
    )
    if np.isnan(weight).any() or (weight < 0).any():
        raise InputError("edge weights must be non-negative numbers")
    coded = _coded_ends(edges, nodes)
    if coded is not None:
        names, s, d = coded
    else:
        src = edges["src"].astype(str).to_numpy()
        dst = edges["dst"].astype(str).to_numpy()
        extra = np.asarray([str(x) for x in nodes], dtype=object) if nodes is not None else None
        every = np.concatenate([src, dst] + ([extra] if extra is not None else [])).astype(object)
        codes_all, uniques = pd.factorize(every)  # one hash pass over every id
        uniques = np.asarray(uniques, dtype=object).astype(str)
        order = np.argsort(uniques, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        names = uniques[order]
        s = rank[codes_all[: len(src)]]
        d = rank[codes_all[len(src) : 2 * len(src)]]
    if "layer" not in edges.columns:
        layer_names = np.asarray([DEFAULT_LAYER], dtype=object)
        layer_codes = np.zeros(len(edges), dtype=np.int64)
    elif isinstance(edges["layer"].dtype, pd.CategoricalDtype):  # codes: no string per row
        cats = np.asarray([str(x) for x in edges["layer"].cat.categories], dtype=object)
        raw_codes = edges["layer"].cat.codes.to_numpy(dtype=np.int64)
        if (raw_codes < 0).any():
            raise InputError("edge layers must not be missing")
        layer_names, remap = np.unique(cats, return_inverse=True)
        layer_codes = remap.astype(np.int64)[raw_codes]
        used = np.unique(layer_codes)  # only the layers present, as factorize would give
        layer_names = layer_names[used]
        layer_codes = np.searchsorted(used, layer_codes)
    else:
        layer = edges["layer"].astype(str).to_numpy()
        codes, uniques = pd.factorize(pd.Series(layer, dtype=object).astype(str), sort=True)
        layer_names, layer_codes = np.asarray(uniques, dtype=object), codes.astype(np.int64)
    if drop_self_loops:
        keep = s != d
        s, d, weight, layer_codes = s[keep], d[keep], weight[keep], layer_codes[keep]
    if not directed:
        s, d = np.minimum(s, d), np.maximum(s, d)
    n, n_layers = len(names), max(len(layer_names), 1)
    # one int64 key per (src, dst, layer), sorted: the same input always gives the same order
    key = (s * n + d) * n_layers + layer_codes
    uniq, inverse = np.unique(key, return_inverse=True)
    wsum = np.bincount(inverse, weights=weight, minlength=len(uniq))
    count = np.bincount(inverse, minlength=len(uniq))
    pair, lay = uniq // n_layers, uniq % n_layers
    return EdgeTable(
        names=np.asarray(names),
        src=pair // n,
        dst=pair % n,
        weight=wsum,
        count=count,
        layer=lay,
        layer_names=np.asarray(layer_names, dtype=object),
        directed=directed,
    )


def _coded_ends(
    edges: pd.DataFrame, nodes: Iterable[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Sorted vertex names and the ends' vertex indices, read from the codes where ``src`` and
    ``dst`` are categoricals over the same ids (as :func:`graphkit.analytics.stage.
    load_actor_graph` reads a case) and ``nodes`` adds none; None otherwise."""
    src, dst = edges["src"], edges["dst"]
    if not (
        isinstance(src.dtype, pd.CategoricalDtype) and isinstance(dst.dtype, pd.CategoricalDtype)
    ):
        return None
    cats = src.cat.categories
    if not cats.equals(dst.cat.categories):
        return None
    names = np.asarray([str(x) for x in cats], dtype=object).astype(str)
    if not pd.Index(names).is_unique:  # categories that are one id once written as text
        return None
    if nodes is not None:
        extra = pd.Index([str(x) for x in nodes])
        if not extra.isin(names).all():
            return None
    s_codes = src.cat.codes.to_numpy(dtype=np.int64)
    d_codes = dst.cat.codes.to_numpy(dtype=np.int64)
    if (s_codes < 0).any() or (d_codes < 0).any():
        raise InputError("edge ends must not be missing")
    # only the ids in use or named in nodes become vertices, in sorted order (as the
    # string path makes them)
    used = np.zeros(len(names), dtype=bool)
    used[s_codes] = True
    used[d_codes] = True
    if nodes is not None:
        used[pd.Index(names).get_indexer(extra)] = True
    order = np.argsort(names, kind="stable")
    order = order[used[order]]
    rank = np.full(len(names), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return names[order], rank[s_codes], rank[d_codes]


def new_graph(n: int, src: np.ndarray, dst: np.ndarray, *, directed: bool) -> ig.Graph:
    """An igraph graph from two index arrays (igraph reads Python int pairs several times
    faster than rows of a numpy array)."""
    import igraph as ig

    return ig.Graph(n=n, edges=zip(src.tolist(), dst.tolist(), strict=True), directed=directed)


def vertex_ids(g: ig.Graph) -> list[str]:
    """The actor ids of ``g`` in vertex order."""
    return (
        list(g.vs["name"]) if "name" in g.vs.attributes() else [str(i) for i in range(g.vcount())]
    )


def layers(g: ig.Graph) -> list[str]:
    """The sorted layer names present in ``g``."""
    if g.ecount() == 0 or "layer" not in g.es.attributes():
        return [DEFAULT_LAYER] if g.ecount() else []
    return sorted(set(g.es["layer"]))


def _edge_arrays(g: ig.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if g.ecount() == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    el = np.asarray(g.get_edgelist(), dtype=np.int64)
    w = (
        np.asarray(g.es["weight"], dtype=float)
        if "weight" in g.es.attributes()
        else np.ones(g.ecount())
    )
    return el[:, 0], el[:, 1], w


def collapse(
    g: ig.Graph,
    *,
    directed: bool = True,
    layers_kept: Sequence[str] | None = None,
    layer_weights: dict[str, float] | None = None,
) -> ig.Graph:
    """One simple graph: the (chosen) layers summed, optionally made undirected.

    Weights of parallel edges are summed, each layer's weights first multiplied by its
    ``layer_weights`` entry (default 1). The undirected projection sums both directions.
    The result has the same vertices (and names) as ``g`` and no ``layer`` attribute. A graph
    that already is such a projection is returned as it is, not copied.
    """

    plain = layers_kept is None and not layer_weights and g.is_directed() == directed
    already = "collapsed" in g.attributes() and g["collapsed"] and "layer" not in g.es.attributes()
    if already and plain:
        return g  # nothing to do: the projections are never mutated
    if (
        plain
        and "simple_per_layer" in g.attributes()
        and g["simple_per_layer"]
        and len(layers(g)) == 1
    ):
        out = g.copy()  # one layer, parallel edges already summed: drop the layer bookkeeping
        for attr in ("layer", "count"):
            if attr in out.es.attributes():
                del out.es[attr]
        out["collapsed"] = True
        return out
    s, d, w = _edge_arrays(g)
    if g.ecount() and "layer" in g.es.attributes():
        lay = np.asarray(g.es["layer"], dtype=object)
        keep = np.ones(len(s), dtype=bool)
        if layers_kept is not None:
            keep = np.isin(lay, list(layers_kept))
        if layer_weights:
            factor = np.array([layer_weights.get(x, 1.0) for x in lay], dtype=float)
            w = w * factor
        s, d, w = s[keep], d[keep], w[keep]
    if not directed:
        s, d = np.minimum(s, d), np.maximum(s, d)
    n = g.vcount()
    key = s * n + d
    uniq, inv = np.unique(key, return_inverse=True)
    wsum = np.bincount(inv, weights=w, minlength=len(uniq)) if len(uniq) else np.zeros(0)
    out = new_graph(n, uniq // n, uniq % n, directed=directed)
    if "name" in g.vs.attributes():
        out.vs["name"] = g.vs["name"]
    out.es["weight"] = wsum.tolist()
    out["collapsed"] = True
    return out


def layer_graphs(g: ig.Graph, *, directed: bool = False) -> dict[str, ig.Graph]:
    """One simple graph per layer over the same vertex set (undirected unless asked)."""
    return {name: collapse(g, directed=directed, layers_kept=[name]) for name in layers(g)}


def normalise_layers(g: ig.Graph) -> ig.Graph:
    """A copy of ``g`` whose every layer's weights sum to 1.

    Layers measure different things in different units (calls, seconds, euros, meetings);
    normalising gives each layer the same total say when layers are summed.
    """
    out = g.copy()
    if g.ecount() == 0:
        return out
    lay = np.asarray(g.es["layer"], dtype=object) if "layer" in g.es.attributes() else None
    w = np.asarray(g.es["weight"], dtype=float)
    if lay is None:
        total = w.sum()
        out.es["weight"] = (w / total if total > 0 else w).tolist()
        return out
    names, inv = np.unique(lay.astype(str), return_inverse=True)
    totals = np.bincount(inv, weights=w, minlength=len(names))
    out.es["weight"] = (w / np.where(totals > 0, totals, 1.0)[inv]).tolist()
    return out


def directed_layers(g: ig.Graph) -> list[str]:
    """Layers whose ties have a direction: not every edge is matched by its reverse with the
    same weight (meeting co-attendance and other symmetric ties are excluded)."""
    if g.ecount() == 0 or not g.is_directed():
        return []
    el = np.asarray(g.get_edgelist(), dtype=np.int64)
    w = np.asarray(g.es["weight"], dtype=float)
    lay = (
        np.asarray(g.es["layer"], dtype=object).astype(str)
        if "layer" in g.es.attributes()
        else np.full(len(w), DEFAULT_LAYER)
    )
    out = []
    for name in sorted(set(lay)):
        m = lay == name
        fwd = pd.DataFrame({"a": el[m, 0], "b": el[m, 1], "w": w[m]})
        rev = fwd.rename(columns={"a": "b", "b": "a"})
        joined = fwd.merge(rev, on=["a", "b"], how="left", suffixes=("", "_rev"))
        if not np.allclose(joined["w"], joined["w_rev"].fillna(-1.0)):
            out.append(name)
    return out
