"""What the analyst reads: a ranked list of candidate pairs, and how many true ties it holds.

A :class:`RankingSet` is the question a view asks: its candidate pairs (:mod:`gnn.candidates`,
up to three hops) labelled by whether they are the ties the split holds out. Selection,
the fallback and the benchmark read hits@k (true ties in the top k) and average precision
on it, the metrics of the list an investigator works through, beside the AUC against
uniform non-ties. When a view has more candidates than ``eval_candidates``, negatives are
sampled and weighted by the inverse sampling rate, so hits@k estimate the full list's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gnn.candidates import candidate_keys
from gnn.data import View
from gnn.metrics import ranked_hits, ranked_list, weighted_average_precision
from graphkit.setops import union, unique

__all__ = ["RANKING_KS", "RankingSet", "per_node_budget", "ranking_metrics", "ranking_set"]

RANKING_KS: tuple[int, ...] = (20, 50, 100, 500)


@dataclass(frozen=True, eq=False)
class RankingSet:
    """Candidate pairs of one view with labels and weights (1, or 1 / sampling rate)."""

    view: View
    pairs: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    n_candidates: int
    n_positives: int
    coverage: float


def per_node_budget(view: View, max_candidates: int) -> int:
    """Candidates kept per actor so that the union stays near ``max_candidates``."""
    active = int((np.diff(view.adj.indptr) > 0).sum())
    return max(50, 2 * max_candidates // max(active, 1))


def ranking_set(
    view: View,
    positives: np.ndarray,
    *,
    exclude_keys: np.ndarray,
    max_candidates: int,
    eval_candidates: int,
    rng: np.random.Generator,
) -> RankingSet:
    """The view's candidate pairs (minus its ties and ``exclude_keys``) with ``positives``
    (k, 2) marked; negatives beyond ``eval_candidates`` are sampled and weighted."""
    n = view.n_nodes
    excl = union(view.pair_keys, exclude_keys)
    keys = candidate_keys(
        view.adj,
        exclude_keys=excl,
        per_node=per_node_budget(view, max_candidates),
        extra_keys=view.side_keys(),
    )
    pos = unique(
        np.minimum(positives[:, 0], positives[:, 1]) * n
        + np.maximum(positives[:, 0], positives[:, 1])
    )
    is_pos = np.isin(keys, pos)
    neg = keys[~is_pos]
    weight = 1.0
    if neg.size > eval_candidates:
        weight = neg.size / eval_candidates
        neg = np.sort(rng.choice(neg, eval_candidates, replace=False))
    kept = np.concatenate([keys[is_pos], neg])
    return RankingSet(
        view=view,
        pairs=np.stack([kept // n, kept % n], axis=1).astype(np.int64),
        labels=np.r_[np.ones(int(is_pos.sum()), bool), np.zeros(neg.size, bool)],
        weights=np.r_[np.ones(int(is_pos.sum())), np.full(neg.size, weight)],
        n_candidates=int(keys.size),
        n_positives=int(pos.size),
        coverage=float(is_pos.sum() / pos.size) if pos.size else float("nan"),
    )


def ranking_metrics(scores: np.ndarray, rs: RankingSet) -> dict[str, float]:
    """hits@k for :data:`RANKING_KS`, average precision and the candidates' coverage."""
    ranked = ranked_list(scores, rs.labels, rs.weights)
    out = ranked_hits(scores, rs.labels, ks=RANKING_KS, weights=rs.weights, ranked=ranked)
    out["ap_candidates"] = weighted_average_precision(scores, rs.labels, rs.weights, ranked=ranked)
    out["positives"] = float(rs.n_positives)
    out["coverage"] = rs.coverage
    return out
