"""Candidate pairs: the unobserved pairs a ranking considers, reaching three hops.

On a small graph every pair of visible actors is a candidate. On a larger one, each actor
keeps its ``per_node`` best partners by the Katz index truncated at three steps (the pairs
it shares contacts with first, then the ones joined by 3-hop paths), computed on sparse rows
in chunks; the candidate set is the union over actors. Two hops alone miss the hidden ties
whose ends share no contact (178 of 471 on the demo case, see docs/gnn.md).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from gnn.features import dense_matrix, use_dense
from graphkit.setops import setdiff, union, unique

__all__ = ["candidate_keys", "coverage", "top_per_row", "walk_pair_keys"]

_ROW_BUDGET = 30_000_000  # non-zeros of the 3-step rows held at once
_BETA = 0.05


def top_per_row(mat: sp.csr_matrix, k: int) -> sp.coo_matrix:
    """The ``k`` largest entries of each row of ``mat`` (ties broken by column), as COO."""
    mat = mat.tocsr()
    counts = np.diff(mat.indptr)
    rows = np.repeat(np.arange(mat.shape[0]), counts)
    order = np.lexsort((mat.indices, -mat.data, rows))
    rank = np.arange(order.size) - np.repeat(mat.indptr[:-1], counts)
    keep = order[rank < k]
    return sp.coo_matrix((mat.data[keep], (rows[keep], mat.indices[keep])), shape=mat.shape)


def candidate_keys(
    adj: sp.csr_matrix,
    *,
    exclude_keys: np.ndarray,
    per_node: int = 200,
    all_pairs_below: int = 300_000,
    max_hops: int = 3,
    extra_keys: np.ndarray | None = None,
) -> np.ndarray:
    """Sorted pair keys (min*n+max) of the candidate pairs, without ``exclude_keys``.

    Every pair of actors with a visible tie when there are at most ``all_pairs_below``;
    otherwise each actor's ``per_node`` best pairs by Katz truncated at ``max_hops`` (2 or
    3) steps, plus ``extra_keys`` (pairs that other evidence joins, e.g. seen together on
    towers: :meth:`gnn.data.View.side_keys`). Actors without a visible tie are never
    candidates (no cold start).
    """
    if extra_keys is not None and extra_keys.size:
        keys = candidate_keys(
            adj,
            exclude_keys=exclude_keys,
            per_node=per_node,
            all_pairs_below=all_pairs_below,
            max_hops=max_hops,
        )
        return union(keys, setdiff(extra_keys, exclude_keys))
    n = adj.shape[0]
    active = np.flatnonzero(np.diff(adj.indptr) > 0)
    if active.size < 2:
        return np.zeros(0, dtype=np.int64)
    if active.size * (active.size - 1) // 2 <= all_pairs_below:
        i, j = np.triu_indices(active.size, k=1)
        keys = active[i] * n + active[j]
        return setdiff(keys, exclude_keys)
    if use_dense(adj):
        keys = _dense_top_keys(adj, active, per_node=per_node, max_hops=max_hops)
        return setdiff(keys, exclude_keys)
    deg = np.diff(adj.indptr).astype(np.float64)
    two = np.asarray(adj @ deg).ravel()
    cost = np.asarray(adj @ two).ravel() if max_hops >= 3 else two  # ~ 3-step row size
    cum = np.cumsum(np.minimum(cost[active], n) + 1.0)
    parts, start = [], 0
    while start < active.size:
        base = cum[start - 1] if start else 0.0
        stop = max(int(np.searchsorted(cum, base + _ROW_BUDGET, side="right")), start + 1)
        rows = active[start:stop]
        r1 = adj[rows]
        r2 = r1 @ adj
        score = r2 * _BETA**2
        if max_hops >= 3:
            score = score + (r2 @ adj) * _BETA**3
        score = score.tocsr()
        score.data = score.data + 1e-12  # keep explicit entries through the next step
        own = sp.csr_matrix((np.ones(rows.size), (np.arange(rows.size), rows)), shape=score.shape)
        score = score - score.multiply(own) - score.multiply(r1)  # not itself, not its ties
        score.eliminate_zeros()
        top = top_per_row(score, per_node)
        a, b = rows[top.row], top.col.astype(np.int64)
        parts.append(np.minimum(a, b) * n + np.maximum(a, b))
        start = stop
    keys = unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)
    return setdiff(keys, exclude_keys)


def _dense_top_keys(
    adj: sp.csr_matrix, active: np.ndarray, *, per_node: int, max_hops: int
) -> np.ndarray:
    """:func:`candidate_keys`' Katz top per actor read from the cached dense walk counts
    (same scores, same ties broken by column): a case-sized graph in a fraction of a second."""
    n = adj.shape[0]
    parts = []
    block = max(1, 4_000_000 // n)  # rows scored and sorted at once
    for start in range(0, active.size, block):
        rows = active[start : start + block]
        score = dense_matrix(adj, "A2")[rows] * _BETA**2
        if max_hops >= 3:
            score += dense_matrix(adj, "A3")[rows] * _BETA**3
        score[np.arange(rows.size), rows] = 0.0  # not itself
        score[dense_matrix(adj, "A1")[rows] > 0] = 0.0  # not its ties
        positive = score > 0
        full = positive.sum(axis=1) > per_node  # rows with more partners than the budget
        a_all, b_all = np.nonzero(positive & ~full[:, None])  # every partner of the others
        a, b = rows[a_all], b_all.astype(np.int64)
        parts.append(np.minimum(a, b) * n + np.maximum(a, b))
        if full.any():
            order = np.argsort(-score[full], axis=1, kind="stable")[:, :per_node]
            kept = np.take_along_axis(score[full], order, axis=1) > 0
            a = np.broadcast_to(rows[full][:, None], order.shape)[kept]
            b = order[kept].astype(np.int64)
            parts.append(np.minimum(a, b) * n + np.maximum(a, b))
    return unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def coverage(candidates: np.ndarray, wanted: np.ndarray) -> float:
    """Share of the pair keys ``wanted`` that are among the ``candidates`` keys."""
    wanted = unique(wanted)
    return float(np.isin(wanted, candidates).mean()) if wanted.size else float("nan")


def walk_pair_keys(
    adj: sp.csr_matrix,
    size: int,
    *,
    exclude_keys: np.ndarray,
    rng: np.random.Generator,
    max_hops: int = 3,
) -> np.ndarray:
    """About ``size`` distinct pair keys drawn like the candidates, without computing them:
    the two ends of random walks of 2 to ``max_hops`` steps from uniformly drawn actors
    with a visible tie (a pair is drawn in proportion to its walk count, the terms Katz
    sums), minus ``exclude_keys`` and self-pairs. Cheap hard negatives for training."""
    n = adj.shape[0]
    deg = np.diff(adj.indptr)
    active = np.flatnonzero(deg > 0)
    if active.size < 2 or size < 1:
        return np.zeros(0, dtype=np.int64)
    excl = unique(exclude_keys)
    out = np.zeros(0, dtype=np.int64)
    for _ in range(8):  # draws shrink by duplicates and exclusions: a few rounds at most
        want = 2 * (size - out.size) + 16
        start = active[rng.integers(0, active.size, want)]
        steps = rng.integers(2, max_hops + 1, want)
        cur = start.copy()
        for step in range(max_hops):
            move = steps > step
            pick = adj.indptr[cur[move]] + (rng.random(int(move.sum())) * deg[cur[move]]).astype(
                np.int64
            )
            cur[move] = adj.indices[pick]
        lo, hi = np.minimum(start, cur), np.maximum(start, cur)
        keys = unique(lo[lo != hi].astype(np.int64) * n + hi[lo != hi])
        keys = keys[~np.isin(keys, excl)]
        out = union(out, keys)
        if out.size >= size:
            break
    if out.size > size:
        out = np.sort(rng.choice(out, size, replace=False))
    return out
