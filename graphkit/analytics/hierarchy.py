"""Hierarchy inside communities: SpringRank ranks, levels, most likely superior, leadership.

By default (``rank_direction="caller"``) ``i -> j`` "``i`` contacts ``j``" is read as ``i``
above ``j`` (orders flow down a chain of command; SpringRank's convention ``A_ij``: ``i`` above
``j``); ``"callee"`` reads it the other way (reports flow up). See
:mod:`graphkit.analytics.springrank` for the model.

Only layers with a direction enter the ranking (symmetric ties such as meeting co-attendance
say nothing about who is above whom). Whether a community's ranking means anything is tested
by :func:`~graphkit.analytics.ordering.ordering_test` (degree- and direction-preserving
rewiring, FDR across communities, an effect size); only where it passes is an ordering
*stated* by it: levels, superiors and the direction-based leadership term exist only there.
A chain of command can also be stated by relayed orders alone
(:mod:`graphkit.analytics.relay_test`, one FDR family with the ordering tests); it draws no
levels.
Where the case has time-stamped calls, :func:`leadership_with_relays` puts the heads of relay
chains (:mod:`graphkit.analytics.relays`) first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.chain_claim import joint_claims
from graphkit.analytics.graph import directed_layers
from graphkit.analytics.ordering import OrderingTest, ordering_test
from graphkit.analytics.springrank import SpringSolver, _clean, fit_beta

if TYPE_CHECKING:
    import igraph as ig
    from scipy import sparse

    from graphkit.analytics.graph import EdgeTable

RELAY_TEST_NAME = (
    "relayed-orders test: onward contacts after each contact against before it (time "
    "reversal), exact sign-flip over episodes, Simes across sources; one Benjamini-Hochberg "
    "family with the ordering tests"
)

__all__ = [
    "hierarchy_analysis",
    "hierarchy_table",
    "leadership_score",
    "leadership_with_relays",
    "within_group_percentile",
]

log = logging.getLogger(__name__)


def within_group_percentile(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Mid-rank percentile of each value inside its group, in (0, 1); 0.5 for a singleton."""
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    order = np.lexsort((values, groups))
    sorted_groups = groups[order]
    sorted_values = values[order]
    out = np.empty(len(values))
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], len(values)]
    from scipy.stats import rankdata

    for lo, hi in zip(starts, ends, strict=True):
        ranks = rankdata(sorted_values[lo:hi])  # average ranks for ties
        out[order[lo:hi]] = (ranks - 0.5) / (hi - lo)
    return out


def leadership_score(
    pagerank: np.ndarray, rank_in_group: np.ndarray, hierarchy_significant: np.ndarray
) -> np.ndarray:
    """Leadership in (0, 1): prominence, and rank where the community has a hierarchy.

    ``pagerank`` percentile in the whole graph (communication flows to prominent actors) is
    combined, by geometric mean, with the actor's SpringRank percentile in its community
    where that community's hierarchy is statistically significant; elsewhere the PageRank
    percentile stands alone. The geometric mean is high only when both are; percentiles put
    the two on one scale. No weights are fitted.
    """
    from scipy.stats import rankdata

    pr = np.asarray(pagerank, dtype=float)
    if len(pr) == 0:
        return np.zeros(0)
    pr_pct = (rankdata(pr) - 0.5) / len(pr)
    combined = np.sqrt(pr_pct * np.asarray(rank_in_group, dtype=float))
    out: np.ndarray = np.where(np.asarray(hierarchy_significant, dtype=bool), combined, pr_pct)
    return out


def leadership_with_relays(leadership: np.ndarray, relay_tier: np.ndarray) -> np.ndarray:
    """Leadership in (0, 1) when relay chains were measured: ``(relay_tier + leadership) / 3``.

    Relay tiers (:mod:`graphkit.analytics.relays`): 2 = head of a relay chain (contacts
    relayed onward significantly more than the callees' own rates predict, and not itself a
    relayer), 1 = a middle link, 0 = neither. Relayed orders are direct behavioural evidence of
    command, volume and call direction only indirect, so the tier decides first and
    :func:`leadership_score` orders actors within a tier. Monotone in both; no fitted weights.
    """
    base = np.asarray(leadership, dtype=float)
    tier = np.nan_to_num(np.asarray(relay_tier, dtype=float), nan=0.0)
    out: np.ndarray = (np.clip(tier, 0, 2) + base) / 3.0
    return out


def _in_group_adjacency(
    g: ig.Graph, groups: np.ndarray, layers: list[str] | None, edges: EdgeTable | None = None
) -> sparse.csr_matrix:
    """The in-community ties of ``g``'s directed layers, summed per ``(i, j)``; ``edges``:
    ``g``'s :class:`~graphkit.analytics.graph.EdgeTable` where the caller kept it (reading
    a large graph's edges back out of igraph makes a Python tuple per edge)."""
    from scipy import sparse

    from graphkit.analytics.projections import edge_arrays

    directed = directed_layers(g) if layers is None else layers
    n = g.vcount()
    if not directed or g.ecount() == 0:
        return sparse.csr_matrix((n, n))
    # the directed layers summed per (i, j), as collapse() sums them, read straight from the
    # edge arrays: no intermediate igraph graph (on a 10M-tie graph that costs ~10 s)
    if edges is not None:
        src, dst, w = edges.src, edges.dst, np.asarray(edges.weight, dtype=float)
        names = np.asarray([str(x) for x in edges.layer_names], dtype=object)
        keep = np.isin(edges.layer, np.flatnonzero(np.isin(names, list(directed))))
        src, dst, w = src[keep], dst[keep], w[keep]
    else:
        src, dst = edge_arrays(g)
        attrs = g.es.attributes()
        w = np.asarray(g.es["weight"], dtype=float) if "weight" in attrs else np.ones(len(src))
        if "layer" in attrs:
            codes, names = pd.factorize(pd.Series(g.es["layer"], dtype=object).astype(str))
            keep = np.isin(codes, np.flatnonzero(np.isin(np.asarray(names), list(directed))))
            src, dst, w = src[keep], dst[keep], w[keep]
    key, inv = np.unique(src * n + dst, return_inverse=True)
    w = np.bincount(inv, weights=w, minlength=len(key))
    row, col = key // n, key % n
    inside = groups[row] == groups[col]
    return sparse.csr_matrix((w[inside], (row[inside], col[inside])), shape=(n, n))


def _members_below(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    n = len(scores)
    below = np.zeros(n, dtype=np.int64)
    if n == 0:
        return below
    order = np.lexsort((scores, groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], n]
    for lo, hi in zip(starts, ends, strict=True):
        vals = scores[order[lo:hi]]
        below[order[lo:hi]] = np.searchsorted(vals, vals, side="left")
    return below


def hierarchy_table(
    g: ig.Graph, communities: np.ndarray, pagerank: np.ndarray, **kwargs: object
) -> pd.DataFrame:
    """The per-actor frame of :func:`hierarchy_analysis`."""
    return hierarchy_analysis(g, communities, pagerank, **kwargs)[0]  # type: ignore[arg-type]


def hierarchy_analysis(
    g: ig.Graph,
    communities: np.ndarray,
    pagerank: np.ndarray,
    *,
    seed: int,
    alpha: float = 0.0,
    n_null: int = 999,
    significance: float = 0.05,
    min_effect: float = 0.01,
    null: str = "tie-lean",
    directed: list[str] | None = None,
    rank_direction: str = "caller",
    relay: pd.DataFrame | None = None,
    min_relay_ratio: float = 1.5,
    edges: EdgeTable | None = None,
) -> tuple[pd.DataFrame, OrderingTest]:
    """Per actor: SpringRank inside its community, level, most likely superior, leadership;
    per community: the ordering test.

    Only directed layers of ``g`` (``directed``, or those :func:`directed_layers` finds) and
    edges inside a community count. ``rank_direction``: ``caller`` ranks whoever initiates
    contact above whom they contact (orders flow down), ``callee`` the reverse (reports flow
    up); the test does not depend on it (docs/analytics.md). ``relay``: the communities'
    relayed-orders tests (:func:`~graphkit.analytics.relay_test.relay_community_test`, rows
    0..k-1), the second route to a claim; both tests share one Benjamini-Hochberg family
    (:func:`~graphkit.analytics.chain_claim.joint_claims`). Columns: ``springrank``;
    ``rank_in_community`` (percentile); ``hierarchy_stated`` (a chain of command is stated
    for the community by either test); ``ordering_stated`` (by :func:`ordering_test` at FDR
    ``significance`` with effect >= ``min_effect``: only there are levels drawn);
    ``level`` (0 = top: spring lengths below the community's highest placed member, rounded;
    -1 where no ordering is stated, and for a member with no directed contact inside its
    community, which the ordering cannot place); ``superior`` (vertex index of the
    in-community contact ranked above that maximises tie volume times the model probability
    of being above; -1 if none or no ordering stated) and ``superior_probability``;
    ``hierarchy_p_value`` and ``hierarchy_q_value`` of the community's ordering test; ``leadership``
    (:func:`leadership_score`, the rank term only for the members a stated ordering places);
    evidence:
    ``members_below``, ``members``,
    ``weight_out_in_community``, ``weight_in_in_community``. ``n_null``: the most null
    draws per community (fewer where the answer is clear early); ``null``: which null
    (:data:`graphkit.analytics.ordering.NULLS`). ``edges``: ``g``'s
    :class:`~graphkit.analytics.graph.EdgeTable`, where the caller kept it.
    """
    from scipy import sparse

    groups = np.asarray(communities, dtype=np.int64)
    n = len(groups)
    if rank_direction not in ("caller", "callee"):
        raise ValueError("rank_direction must be 'caller' or 'callee'")
    contacts = _clean(_in_group_adjacency(g, groups, directed, edges))  # i -> j: i contacted j
    a_in = contacts if rank_direction == "caller" else contacts.T.tocsr()  # i -> j: i above j
    scores = SpringSolver(a_in + a_in.T, alpha=alpha).solve(
        np.asarray(a_in.sum(axis=1)).ravel() - np.asarray(a_in.sum(axis=0)).ravel()
    )  # its factorisation is freed here, before the null draws factorise theirs
    beta = fit_beta(a_in, scores)
    pct = within_group_percentile(scores, groups)
    k = int(groups.max()) + 1 if n else 0
    sizes = np.bincount(groups, minlength=k)
    test = ordering_test(
        a_in,
        groups,
        seed=seed,
        max_draws=n_null,
        alpha=alpha,
        fdr=significance,
        min_effect=min_effect,
        null=null,
    )
    claims = joint_claims(
        test.table,
        relay,
        fdr=significance,
        min_effect=min_effect,
        min_relay_ratio=min_relay_ratio,
    )
    name = test.test if relay is None else f"{test.test}; {RELAY_TEST_NAME}"
    test = OrderingTest(claims, test.fdr, test.min_effect, name)
    claimed_c = claims["stated"].to_numpy(dtype=bool) if k else np.zeros(0, bool)
    ordered_c = claims["ordering_stated"].to_numpy(dtype=bool) if k else np.zeros(0, bool)
    claimed = claimed_c[groups] if n else np.zeros(0, bool)
    stated = ordered_c[groups] if n else np.zeros(0, bool)
    # a level is drawn only for a member the ordering can place: one with a directed contact
    # inside its community. A member without one sits at the springs' rest point (0), which
    # says nothing about where it stands; it gets no level (its explanation says why).
    weight_out = np.asarray(contacts.sum(axis=1)).ravel()
    weight_in = np.asarray(contacts.sum(axis=0)).ravel()
    placed = (weight_out + weight_in) > 0
    top = np.full(k, -np.inf)
    np.maximum.at(top, groups[placed], scores[placed])
    level = np.rint(top[groups] - scores) if n else np.zeros(0)
    level = np.where(stated & placed, level, -1).astype(np.int64)
    both = sparse.coo_matrix(a_in + a_in.T)
    i, j, vol = both.row, both.col, both.data
    above = scores[j] > scores[i]
    i, j, vol = i[above], j[above], vol[above]
    prob = 1.0 / (1.0 + np.exp(-2.0 * beta * (scores[j] - scores[i])))
    superior = np.full(n, -1, dtype=np.int64)
    superior_p = np.full(n, np.nan)
    if len(i):
        best = np.lexsort((j, -(vol * prob), i))  # per actor: highest merit, then lower index
        first = np.r_[True, i[best][1:] != i[best][:-1]]
        chosen = best[first]
        superior[i[chosen]] = j[chosen]
        superior_p[i[chosen]] = prob[chosen]
    superior = np.where(stated, superior, -1)
    superior_p = np.where(stated, superior_p, np.nan)
    p_c = test.table["p_value"].to_numpy(dtype=float)
    q_c = test.table["q_value"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "springrank": scores,
            "rank_in_community": pct,
            "hierarchy_stated": claimed,
            "ordering_stated": stated,
            "level": level,
            "superior": superior,
            "superior_probability": superior_p,
            "hierarchy_p_value": p_c[groups] if n else np.zeros(0),
            "hierarchy_q_value": q_c[groups] if n else np.zeros(0),
            # the rank term only for members the stated ordering places
            "leadership": leadership_score(pagerank, pct, stated & placed),
            "members_below": _members_below(scores, groups),
            "members": sizes[groups] if n else np.zeros(0, dtype=np.int64),
            "weight_out_in_community": weight_out,
            "weight_in_in_community": weight_in,
        }
    )
    return frame, test
