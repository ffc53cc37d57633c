"""Ranking metrics for link prediction: ROC AUC, average precision and Hits@K (numpy only)."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["auc", "average_precision", "hits_at_k", "link_metrics"]


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
