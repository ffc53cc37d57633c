"""What the analyst reads: a ranked list of candidate pairs, and how many true ties it holds.

A :class:`RankingSet` is the question a view asks: its candidate pairs (:mod:`gnn.candidates`,
up to three hops) labelled by whether they are the ties the split holds out. Selection,
the fallback and the benchmark read hits@k (true ties in the top k) and average precision
on it, the metrics of the list an investigator works through, beside the AUC against
uniform non-ties. When a view has more candidates than ``eval_candidates``, negatives are
sampled and weighted by the inverse sampling rate, so hits@k estimate the full list's; the
sample is stratified when the caller gives prior scores (the baselines): the ``head`` best
negatives by each prior are all kept (weight 1), so every baseline's list is exact down to
``head`` places and the places at the top of a learned list, where its negatives are mostly
those the baselines also rank high, are counted rather than estimated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from gnn.candidates import candidate_keys
from gnn.data import View
from gnn.metrics import ranked_hits, ranked_list, top_k_share, weighted_average_precision
from graphkit.setops import union, unique
from graphkit.stats import sign_flip_p

__all__ = [
    "RANKING_KS",
    "RankingCandidates",
    "RankingSet",
    "draw_ranking_set",
    "paired_hits_p",
    "per_node_budget",
    "ranking_candidates",
    "ranking_metrics",
    "ranking_set",
]

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
    #: the prior scores of ``pairs`` (by name) when the sample was stratified by them
    priors: dict[str, np.ndarray] = field(default_factory=dict)


def per_node_budget(view: View, max_candidates: int) -> int:
    """Candidates kept per actor so that the union stays near ``max_candidates``."""
    active = int((np.diff(view.adj.indptr) > 0).sum())
    return max(50, 2 * max_candidates // max(active, 1))


@dataclass(frozen=True, eq=False)
class RankingCandidates:
    """A view's candidate keys, positives first, with what :func:`draw_ranking_set` keeps
    whole: everything in it is fixed by the view; only the sample drawn from it is random."""

    view: View
    keys: np.ndarray
    n_pos: int
    n_positives: int
    kept_neg: np.ndarray | None  # negatives kept whole (the priors' heads); None: all kept
    scored: dict[str, np.ndarray]
    eval_candidates: int


def ranking_candidates(
    view: View,
    positives: np.ndarray,
    *,
    exclude_keys: np.ndarray,
    max_candidates: int,
    eval_candidates: int,
    priors: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
    head: int = 0,
) -> RankingCandidates:
    """The deterministic part of :func:`ranking_set` (candidates, priors, the heads kept
    whole): it needs no generator, so it can be computed beside other work."""
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
    order = np.r_[np.flatnonzero(is_pos), np.flatnonzero(~is_pos)]  # positives first
    keys, n_pos = keys[order], int(is_pos.sum())
    n_neg = keys.size - n_pos
    scored: dict[str, np.ndarray] = {}
    if priors is not None and (head > 0 or n_neg <= eval_candidates):
        scored = priors(np.stack([keys // n, keys % n], axis=1).astype(np.int64))
    kept_neg = None
    if n_neg > eval_candidates:
        kept_neg = np.zeros(n_neg, dtype=bool)
        if scored and head > 0:
            for score in scored.values():
                neg_score = score[n_pos:]
                if head < n_neg:
                    kept_neg[np.argpartition(-neg_score, head - 1)[:head]] = True
                else:
                    kept_neg[:] = True
    return RankingCandidates(
        view=view,
        keys=keys,
        n_pos=n_pos,
        n_positives=int(pos.size),
        kept_neg=kept_neg,
        scored=scored,
        eval_candidates=eval_candidates,
    )


def draw_ranking_set(cands: RankingCandidates, rng: np.random.Generator) -> RankingSet:
    """:func:`ranking_set` from its candidates: the negatives beyond ``eval_candidates`` that
    are not kept whole are drawn uniformly and weighted by the inverse sampling rate."""
    keys, n_pos, n = cands.keys, cands.n_pos, cands.view.n_nodes
    weights = np.ones(keys.size)
    rows = np.arange(keys.size)
    if cands.kept_neg is not None:
        kept_neg = cands.kept_neg
        rest = np.flatnonzero(~kept_neg)
        n_draw = min(rest.size, max(cands.eval_candidates - int(kept_neg.sum()), 0))
        drawn = np.sort(rng.choice(rest, n_draw, replace=False)) if n_draw else rest[:0]
        rows = np.r_[np.arange(n_pos), n_pos + np.flatnonzero(kept_neg), n_pos + drawn]
        weights = np.r_[
            np.ones(n_pos + int(kept_neg.sum())),
            np.full(drawn.size, rest.size / max(drawn.size, 1)),
        ]
    kept = keys[rows]
    n_positives = cands.n_positives
    return RankingSet(
        view=cands.view,
        pairs=np.stack([kept // n, kept % n], axis=1).astype(np.int64),
        labels=np.r_[np.ones(n_pos, bool), np.zeros(kept.size - n_pos, bool)],
        weights=weights,
        n_candidates=int(keys.size),
        n_positives=n_positives,
        coverage=float(n_pos / n_positives) if n_positives else float("nan"),
        priors={name: score[rows] for name, score in cands.scored.items()},
    )


def ranking_set(
    view: View,
    positives: np.ndarray,
    *,
    exclude_keys: np.ndarray,
    max_candidates: int,
    eval_candidates: int,
    rng: np.random.Generator,
    priors: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None,
    head: int = 0,
) -> RankingSet:
    """The view's candidate pairs (minus its ties and ``exclude_keys``) with ``positives``
    (k, 2) marked; negatives beyond ``eval_candidates`` are sampled and weighted.
    ``priors`` maps (k, 2) pairs to scores by name (higher = better); with ``head`` > 0 the
    ``head`` best negatives by each are kept whole (weight 1) and the others sampled
    uniformly to fill ``eval_candidates`` (weight: the inverse of their sampling rate). The
    priors of the kept pairs are returned in ``priors``. :func:`ranking_candidates`, then
    :func:`draw_ranking_set`."""
    cands = ranking_candidates(
        view,
        positives,
        exclude_keys=exclude_keys,
        max_candidates=max_candidates,
        eval_candidates=eval_candidates,
        priors=priors,
        head=head,
    )
    return draw_ranking_set(cands, rng)


def ranking_metrics(scores: np.ndarray, rs: RankingSet) -> dict[str, float]:
    """hits@k for :data:`RANKING_KS`, average precision and the candidates' coverage."""
    ranked = ranked_list(scores, rs.labels, rs.weights)
    out = ranked_hits(scores, rs.labels, ks=RANKING_KS, weights=rs.weights, ranked=ranked)
    out["ap_candidates"] = weighted_average_precision(scores, rs.labels, rs.weights, ranked=ranked)
    out["positives"] = float(rs.n_positives)
    out["coverage"] = rs.coverage
    return out


#: a positive's share in a top-k list is counted in steps of 1 / this in the paired test
_SHARE_STEPS = 20


def paired_hits_p(better: np.ndarray, other: np.ndarray, rs: RankingSet, k: int) -> float:
    """One-sided p-value that the list ranked by ``better`` holds more of ``rs``'s positives
    in its top ``k`` than the list ranked by ``other`` only by chance: the exact paired
    sign-flip test over the positives, each contributing its place in the first top k minus
    its place in the second (1, 0 or a share where equal scores straddle the k-th place,
    :func:`~gnn.metrics.top_k_share`). Under the null that the two lists are equally good,
    a positive found by one and missed by the other is as likely to fall either way."""
    pos = np.flatnonzero(rs.labels)
    if pos.size == 0:
        return 1.0
    d = top_k_share(better, k, rs.weights)[pos] - top_k_share(other, k, rs.weights)[pos]
    return sign_flip_p(np.rint(d * _SHARE_STEPS).astype(np.int64))
