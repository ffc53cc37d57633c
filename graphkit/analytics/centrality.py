"""Centrality of actors: degree, strength, PageRank, betweenness, k-core, constraint, cut points.

Everything is computed by igraph's C routines on the layer-summed actor graph; this module
chooses the projection each measure needs and, for betweenness on large graphs, samples
source pivots with a stated error bound.

Betweenness sampling (Brandes & Pich 2007, "Centrality estimation in large networks",
doi:10.1142/S0218127407018403): ``k`` sources ("pivots") drawn uniformly without replacement,
exact single-source dependencies accumulated from them (igraph's subset betweenness), scaled by
``n / k``. Each pivot's dependency on ``v`` divided by ``n - 2`` lies in [0, 1], so by
Hoeffding's inequality (which holds for sampling without replacement) and a union bound over the
``n`` vertices, with probability at least ``1 - delta`` every estimate is within
``epsilon * n * (n - 2)`` of the exact value when ``k >= ln(2 n / delta) / (2 epsilon^2)``. We
either take ``k`` from a target ``epsilon`` or, with a pivot budget, report the ``epsilon`` that
``k`` pivots guarantee.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.graph import collapse, vertex_ids

if TYPE_CHECKING:
    import igraph as ig

__all__ = [
    "BetweennessEstimate",
    "betweenness",
    "centrality_table",
    "pagerank_of",
    "pivots_needed",
    "sampling_error",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BetweennessEstimate:
    """Betweenness per vertex with its guarantee.

    ``values`` use the raw scale of Freeman betweenness (ordered pairs for directed graphs,
    unordered for undirected). ``exact`` is true when every vertex was a source. Otherwise,
    with probability ``1 - delta``, every value is within ``error_bound`` (raw units;
    ``epsilon`` normalised by ``n (n - 2)``) of the exact one.
    """

    values: np.ndarray
    exact: bool
    pivots: int
    epsilon: float
    delta: float

    @property
    def error_bound(self) -> float:
        n = len(self.values)
        return 0.0 if self.exact else self.epsilon * n * max(n - 2, 0)


def pivots_needed(n_vertices: int, *, epsilon: float, delta: float) -> int:
    """Pivots that guarantee normalised additive error ``epsilon`` with probability 1 - delta."""
    if not (0 < epsilon < 1 and 0 < delta < 1):
        raise ValueError("epsilon and delta must lie in (0, 1)")
    return math.ceil(math.log(2 * max(n_vertices, 1) / delta) / (2 * epsilon**2))


def sampling_error(n_vertices: int, *, pivots: int, delta: float) -> float:
    """The normalised additive error that ``pivots`` pivots guarantee with probability 1 - delta."""
    return math.sqrt(math.log(2 * max(n_vertices, 1) / delta) / (2 * max(pivots, 1)))


def betweenness(
    g: ig.Graph,
    *,
    seed: int,
    directed: bool = True,
    weighted: bool = False,
    exact_max_vertices: int = 5000,
    epsilon: float | None = None,
    max_pivots: int = 512,
    delta: float = 0.1,
) -> BetweennessEstimate:
    """Betweenness centrality: exact up to ``exact_max_vertices``, else pivot-sampled.

    With ``weighted`` the path length of an edge is ``1 / weight`` (strong ties are short).
    When sampling, the number of pivots is :func:`pivots_needed` for ``epsilon`` if given,
    capped at ``max_pivots``; the estimate reports the error that its pivots guarantee.
    Deterministic for a fixed ``seed``.
    """
    s = collapse(g, directed=directed and g.is_directed())
    n = s.vcount()
    lengths = [1.0 / w for w in s.es["weight"]] if weighted and s.ecount() else None
    if n <= exact_max_vertices:
        values = np.asarray(s.betweenness(directed=s.is_directed(), weights=lengths), dtype=float)
        return BetweennessEstimate(values, exact=True, pivots=n, epsilon=0.0, delta=0.0)
    k = (
        max_pivots
        if epsilon is None
        else min(pivots_needed(n, epsilon=epsilon, delta=delta), max_pivots)
    )
    k = min(k, n)
    rng = np.random.default_rng(seed)
    pivots = np.sort(rng.choice(n, size=k, replace=False))
    partial = np.asarray(
        s.betweenness(directed=s.is_directed(), weights=lengths, sources=pivots.tolist()),
        dtype=float,
    )
    values = partial * (n / k)
    eps = sampling_error(n, pivots=k, delta=delta)
    log.info("betweenness sampled with %d pivots: epsilon=%.3g at delta=%.2g", k, eps, delta)
    return BetweennessEstimate(values, exact=False, pivots=k, epsilon=eps, delta=delta)


def pagerank_of(g: ig.Graph, *, damping: float = 0.85) -> np.ndarray:
    """The ``pagerank`` column of :func:`centrality_table` (directed, weighted, ``damping``)."""
    return _pagerank(collapse(g, directed=g.is_directed()), damping)


def _pagerank(d: ig.Graph, damping: float) -> np.ndarray:
    weight = "weight" if d.ecount() else None
    return np.asarray(
        d.pagerank(weights=weight, damping=damping, directed=d.is_directed()), dtype=float
    )


def centrality_table(
    g: ig.Graph,
    *,
    seed: int,
    damping: float = 0.85,
    exact_max_vertices: int = 5000,
    max_pivots: int = 512,
    undirected: ig.Graph | None = None,
    pagerank: np.ndarray | None = None,
) -> tuple[pd.DataFrame, BetweennessEstimate]:
    """One row per actor with the standard centralities of the layer-summed actor graph.

    Columns: ``actor_id``, ``degree_in``, ``degree_out``, ``degree`` (distinct neighbours),
    ``strength_in``, ``strength_out`` (summed weights), ``pagerank`` (directed, weighted,
    ``damping``; Brin & Page 1998), ``betweenness`` (see :func:`betweenness`, unweighted
    directed paths), ``coreness`` (k-core number of the undirected graph; Seidman 1983),
    ``constraint`` (Burt 1992, on the undirected weighted graph; NaN for isolates) and
    ``articulation`` (removing the actor disconnects its component; Hopcroft & Tarjan 1973).
    The betweenness estimate is returned beside the table for its error bound.
    ``undirected``: the undirected projection of ``g`` when the caller already has it;
    ``pagerank``: :func:`pagerank_of` ``g`` with ``damping``, when the caller already has it.
    """
    d = collapse(g, directed=g.is_directed())
    u = undirected if undirected is not None else collapse(g, directed=False)
    n = d.vcount()
    weight = "weight" if d.ecount() else None
    between = betweenness(
        d, seed=seed, exact_max_vertices=exact_max_vertices, max_pivots=max_pivots
    )
    cut = np.zeros(n, dtype=bool)
    if u.ecount():
        cut[np.asarray(u.articulation_points(), dtype=np.int64)] = True
    constraint = (
        np.asarray(u.constraint(weights="weight"), dtype=float)
        if u.ecount()
        else np.full(n, np.nan)
    )
    constraint[np.asarray(u.degree()) == 0] = np.nan
    table = pd.DataFrame(
        {
            "actor_id": vertex_ids(d),
            "degree_in": np.asarray(d.degree(mode="in"), dtype=np.int64),
            "degree_out": np.asarray(d.degree(mode="out"), dtype=np.int64),
            "degree": np.asarray(u.degree(), dtype=np.int64),
            "strength_in": np.asarray(d.strength(mode="in", weights=weight), dtype=float),
            "strength_out": np.asarray(d.strength(mode="out", weights=weight), dtype=float),
            "pagerank": pagerank if pagerank is not None else _pagerank(d, damping),
            "betweenness": between.values,
            "coreness": np.asarray(u.coreness(), dtype=np.int64),
            "constraint": constraint,
            "articulation": cut,
        }
    )
    return table, between
