"""Path-based link-prediction scores: walk counts, Katz and personalised PageRank.

Katz (1953, "A new status index derived from sociometric analysis") sums the walks between
two actors, damped by ``beta`` per step; here truncated at ``max_len`` steps (4 by default),
which on sparse graphs is within a fraction of a percent of the full series for beta = 0.05.
Personalised PageRank (Haveliwala 2002; as a link predictor, Liben-Nowell & Kleinberg 2007)
is the stationary visit probability of a walk restarting at one end with probability
``alpha``; the pair score sums both directions. The classic local indices are in
:mod:`gnn.features`. :func:`score_pairs_by` gives every baseline of the benchmark and of the
fallback one signature.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from gnn.features import heuristic_scores, walk_counts
from graphkit.setops import unique

__all__ = [
    "BASELINES",
    "SHARED_NEIGHBOUR_INDICES",
    "katz_scores",
    "ppr_matrix",
    "ppr_scores",
    "score_pairs_by",
    "walk_counts",
]

#: the scorers a learned model is compared with (and falls back to), best-known first
BASELINES: tuple[str, ...] = (
    "katz",
    "adamic_adar",
    "resource_allocation",
    "common_neighbours",
    "ppr",
)
#: the baselines that score 0 for every pair whose ends share no neighbour (most pairs of a
#: sparse graph): a ranking by one of them orders those pairs below the others by a path-based
#: index (:func:`gnn.train.path_fill`), as a side signal's ranking does
SHARED_NEIGHBOUR_INDICES: tuple[str, ...] = (
    "adamic_adar",
    "resource_allocation",
    "common_neighbours",
)
_DENSE_BUDGET = 20_000_000  # cells of the dense PPR block held at once


def katz_scores(
    adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, *, beta: float = 0.05, max_len: int = 4
) -> np.ndarray:
    """Truncated Katz index ``sum_l beta^l (A^l)_uv`` for l = 1..``max_len``."""
    walks = walk_counts(adj, u, v, max_len=max_len)
    weights = beta ** np.arange(1, max_len + 1)
    scores: np.ndarray = walks @ weights
    return scores


def ppr_scores(
    adj: sp.csr_matrix,
    u: np.ndarray,
    v: np.ndarray,
    *,
    alpha: float = 0.15,
    iterations: int = 30,
) -> np.ndarray:
    """``ppr_u(v) + ppr_v(u)``: personalised PageRank with restart probability ``alpha``,
    by power iteration from every end (dense blocks of sources, bounded in size)."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    n = adj.shape[0]
    out = np.zeros(u.size)
    if u.size == 0:
        return out
    deg = np.diff(adj.indptr).astype(np.float64)
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    walk = sp.diags(inv) @ adj  # row-stochastic where the degree is positive
    walk_t = walk.T.tocsr()
    sources = unique(np.concatenate([u, v]))
    block = max(1, _DENSE_BUDGET // max(n, 1))
    for start in range(0, sources.size, block):
        src = sources[start : start + block]
        restart = np.zeros((n, src.size))
        restart[src, np.arange(src.size)] = alpha
        x = restart / alpha
        for _ in range(iterations):
            x = restart + (1 - alpha) * (walk_t @ x)
        # pairs whose u (then v) is in this block read the visit probability of the other end
        for ends, others in ((u, v), (v, u)):
            hit = np.isin(ends, src)
            if hit.any():
                out[hit] += x[others[hit], np.searchsorted(src, ends[hit])]
    return out


def ppr_matrix(adj: sp.csr_matrix, *, alpha: float = 0.15, iterations: int = 30) -> np.ndarray:
    """Dense n x n float32 matrix whose column j is the personalised PageRank of a walk
    restarting at j (as :func:`ppr_scores`: ``ppr_u(v) + ppr_v(u)`` is ``m[v, u] + m[u, v]``),
    by ``iterations`` steps of power iteration; for graphs small enough to hold it.

    In float32: within 4e-8 of the float64 iteration on the demo case (2,290 actors; the same
    top 5,000 pairs) at a third of its CPU (0.8 instead of 2.2 s per view). A tolerance does
    not stop it sooner: a view's two-actor components (bipartite) oscillate, damped only by
    ``1 - alpha`` per step (still moving by 9e-3 at step 30 on the demo's validation view).
    """
    n = adj.shape[0]
    deg = np.diff(adj.indptr).astype(np.float64)
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    walk_t = (sp.diags(inv) @ adj).T.tocsr().astype(np.float32)
    diag = np.arange(n)
    x = np.eye(n, dtype=np.float32)
    for _ in range(iterations):
        # alpha * I + (1 - alpha) * W^T x, in place: the restart adds to the diagonal only
        # (adding 0.0 elsewhere changes no value), one n x n pass instead of three
        x = np.asarray(walk_t @ x)
        x *= np.float32(1 - alpha)
        x[diag, diag] += np.float32(alpha)
    return x


def score_pairs_by(name: str, adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Scores of the pairs by one baseline: ``katz``, ``ppr`` or a :data:`gnn.features.HEURISTICS`
    name (common neighbours, Jaccard, Adamic-Adar, resource allocation, preferential
    attachment)."""
    if name == "katz":
        return katz_scores(adj, u, v)
    if name == "ppr":
        return ppr_scores(adj, u, v)
    scores = heuristic_scores(adj, u, v)
    if name not in scores:
        raise ValueError(f"unknown scorer {name!r}")
    return scores[name]
