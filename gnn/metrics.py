"""Ranking metrics for link prediction: ROC AUC, average precision and Hits@K (numpy only)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = [
    "auc",
    "average_precision",
    "hits_at_k",
    "link_metrics",
    "rank_order",
    "ranked_hits",
    "weighted_average_precision",
]


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney probability that a positive outscores a negative (ties 1/2)."""
    pos, neg = np.asarray(pos, dtype=np.float64), np.asarray(neg, dtype=np.float64)
    if pos.size == 0 or neg.size == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([pos, neg]))
    return float((ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2) / (pos.size * neg.size))


def average_precision(pos: np.ndarray, neg: np.ndarray) -> float:
    """Average precision (area under the precision-recall step curve, tied scores grouped)."""
    scores = np.concatenate([pos, neg]).astype(np.float64)
    labels = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    if len(pos) == 0:
        return float("nan")
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    last_of_group = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(y)[last_of_group]
    seen = (np.flatnonzero(last_of_group) + 1).astype(np.float64)
    precision = tp / seen
    recall_gain = np.diff(np.r_[0.0, tp]) / len(pos)
    return float(np.sum(precision * recall_gain))


def hits_at_k(pos: np.ndarray, neg: np.ndarray, *, k: int = 20) -> float:
    """Share of positives scored strictly above the k-th best negative (OGB's Hits@K)."""
    neg = np.asarray(neg, dtype=np.float64)
    if len(pos) == 0:
        return float("nan")
    if neg.size < k:
        return 1.0
    kth = np.partition(neg, -k)[-k]
    return float(np.mean(np.asarray(pos) > kth))


def link_metrics(pos: np.ndarray, neg: np.ndarray, *, k: int = 20) -> dict[str, float]:
    """``{"auc", "ap", "hits@k"}`` for positive and negative scores."""
    return {
        "auc": auc(pos, neg),
        "ap": average_precision(pos, neg),
        f"hits@{k}": hits_at_k(pos, neg, k=k),
    }


def rank_order(scores: np.ndarray) -> np.ndarray:
    """Indices of ``scores`` best first, equal scores in their given order (a stable sort):
    the list :func:`ranked_hits` and :func:`weighted_average_precision` read, computed once
    when both are wanted (the sort is most of their cost)."""
    order: np.ndarray = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    return order


def ranked_hits(
    scores: np.ndarray,
    labels: np.ndarray,
    *,
    ks: tuple[int, ...] = (20, 50, 100, 500),
    weights: np.ndarray | None = None,
    order: np.ndarray | None = None,
) -> dict[str, float]:
    """How many positives a ranked list holds in its top k, for each k: ``{"hits@k": count}``.

    ``scores`` rank every candidate (best first), ``labels`` mark the true ties. ``weights``
    (default 1) say how many candidates each row stands for: a negative kept with
    probability r from a larger candidate set weighs 1/r, so a place in the list is the
    weight above it. Equal scores are not ordered by chance or by id: the group of equal
    scores that straddles the k-th place counts its positives in proportion to the places
    it gets (the expected count over random tie-breaks), so an index with few distinct values
    (common neighbours) is neither flattered nor penalised by the order of the ids. ``order``
    is :func:`rank_order` of ``scores`` when the caller has it.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    w_all = np.ones(scores.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if order is None:
        order = rank_order(scores)
    s, y, w = scores[order], labels[order].astype(np.float64), w_all[order]
    out = {f"hits@{k}": 0.0 for k in ks}
    if s.size == 0:
        return out
    new = np.r_[True, s[1:] != s[:-1]]
    group = np.cumsum(new) - 1
    g_weight = np.bincount(group, weights=w)
    g_pos = np.bincount(group, weights=y)
    g_end = np.cumsum(g_weight)
    g_start = g_end - g_weight
    cum_pos = np.r_[0.0, np.cumsum(g_pos)]
    for k in ks:
        g = int(np.searchsorted(g_end, k, side="left"))  # the group holding the k-th place
        if g >= g_end.size:
            out[f"hits@{k}"] = float(cum_pos[-1])
            continue
        share = (k - g_start[g]) / g_weight[g]
        out[f"hits@{k}"] = float(cum_pos[g] + g_pos[g] * min(max(share, 0.0), 1.0))
    return out


def weighted_average_precision(
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    order: np.ndarray | None = None,
) -> float:
    """Average precision over a ranked list whose rows stand for ``weights`` candidates
    (``order``: :func:`rank_order` of ``scores`` when the caller has it)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    w = np.ones(scores.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if not labels.any():
        return float("nan")
    if order is None:
        order = rank_order(scores)
    y, ww = labels[order], w[order]
    precision = np.cumsum(y) / np.cumsum(ww)
    return float(precision[y].mean())
