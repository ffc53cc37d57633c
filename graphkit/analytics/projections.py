"""Simple projections of the actor graph held twice: as an igraph graph and as edge arrays.

igraph runs the graph algorithms; numpy and scipy do the counting around them (brokerage,
bridging, community sizes, block-cut trees). Reading an edge list back out of igraph costs
about as much as building the graph (a Python tuple per edge), so a :class:`Projection`
keeps the arrays it was built from: edge ``k`` of ``graph`` is ``(src[k], dst[k])`` with
weight ``weight[k]``. :func:`project` gives exactly the graph that
:func:`graphkit.analytics.graph.collapse` gives (same vertices, same edge order, same weights).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from graphkit.analytics.graph import collapse, new_graph

if TYPE_CHECKING:
    import igraph as ig
    from scipy import sparse

__all__ = ["Projection", "edge_arrays", "project", "projection_of"]


@dataclass(frozen=True, eq=False)
class Projection:
    """A simple weighted graph (no parallel edges, no layers) and its edge arrays.

    ``graph`` is never mutated by the analytics; ``src``, ``dst`` (int64 vertex indices) and
    ``weight`` list its edges in igraph's edge order. Undirected projections keep
    ``src < dst``.
    """

    graph: ig.Graph
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray

    @property
    def n(self) -> int:
        return int(self.graph.vcount())

    @property
    def directed(self) -> bool:
        return bool(self.graph.is_directed())

    def adjacency(self, *, weighted: bool = False) -> sparse.csr_matrix:
        """Sparse adjacency, ``[i, j]`` for the edge ``i -> j`` (both ways when undirected);
        entries are weights, or 1 unless ``weighted``."""
        from scipy import sparse

        s, d = self.src, self.dst
        w = self.weight if weighted else np.ones(len(s))
        if not self.directed:
            s, d, w = np.r_[s, d], np.r_[d, s], np.r_[w, w]
        return sparse.csr_matrix((w, (s, d)), shape=(self.n, self.n))

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # pickled as arrays and rebuilt edge for edge (igraph's own pickle makes a Python
        # tuple per edge); for worker processes (graphkit.analytics.parallel)
        g = self.graph
        vertex = {k: g.vs[k] for k in g.vs.attributes()}
        edge = {k: g.es[k] for k in g.es.attributes() if k != "weight"}
        graph_attrs = {k: g[k] for k in g.attributes()}
        return (
            _rebuild,
            (
                self.n,
                self.src,
                self.dst,
                self.weight,
                self.directed,
                vertex,
                edge,
                graph_attrs,
                "weight" in g.es.attributes(),
            ),
        )


def _rebuild(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    directed: bool,
    vertex: dict[str, list[object]],
    edge: dict[str, list[object]],
    graph_attrs: dict[str, object],
    weighted: bool,
) -> Projection:
    g = new_graph(n, src, dst, directed=directed)
    for key, values in vertex.items():
        g.vs[key] = values
    if weighted:
        g.es["weight"] = weight.tolist()
    for key, values in edge.items():
        g.es[key] = values
    for key, value in graph_attrs.items():
        g[key] = value
    return Projection(g, src, dst, weight)


def edge_arrays(g: ig.Graph) -> tuple[np.ndarray, np.ndarray]:
    """Source and target index of every edge of ``g``, in edge order."""
    m = g.ecount()
    if m == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    flat = np.fromiter(itertools.chain.from_iterable(g.get_edgelist()), dtype=np.int64, count=2 * m)
    return flat[0::2].copy(), flat[1::2].copy()


def project(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    *,
    directed: bool,
    names: list[str] | None = None,
) -> Projection:
    """The simple graph on ``n`` vertices with the weights of parallel edges summed.

    Undirected: each pair in canonical order ``(min, max)``. Edges sorted by
    ``(src, dst)``, as :func:`graphkit.analytics.graph.collapse` orders them.
    """
    s = np.asarray(src, dtype=np.int64)
    d = np.asarray(dst, dtype=np.int64)
    if not directed:
        s, d = np.minimum(s, d), np.maximum(s, d)
    key = s * n + d
    uniq, inv = np.unique(key, return_inverse=True)
    w = np.asarray(weight, dtype=float)
    wsum = np.bincount(inv, weights=w, minlength=len(uniq)) if len(uniq) else np.zeros(0)
    s, d = uniq // max(n, 1), uniq % max(n, 1)
    g = new_graph(n, s, d, directed=directed)
    if names is not None:
        g.vs["name"] = names
    g.es["weight"] = wsum.tolist()
    g["collapsed"] = True
    return Projection(g, s, d, wsum)


def projection_of(g: ig.Graph, *, directed: bool | None = None) -> Projection:
    """The layer-summed projection of ``g`` (directed as ``g`` unless ``directed`` says
    otherwise) with its edge arrays; a graph that already is one is not rebuilt."""
    want = g.is_directed() if directed is None else directed
    simple = collapse(g, directed=want and g.is_directed())
    s, d = edge_arrays(simple)
    w = (
        np.asarray(simple.es["weight"], dtype=float)
        if simple.ecount() and "weight" in simple.es.attributes()
        else np.ones(simple.ecount())
    )
    return Projection(simple, s, d, w)
