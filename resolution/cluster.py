"""Clustering scored pairs into entities, honouring must-link and cannot-link constraints."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["cluster_records"]

log = logging.getLogger(__name__)


def _canon(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(a, b) if a < b else (b, a) for a, b in pairs if a != b}


def cluster_records(
    record_ids: Sequence[str],
    pairs: pd.DataFrame,
    *,
    threshold_probability: float,
    must_link: Iterable[tuple[str, str]] = (),
    cannot_link: Iterable[tuple[str, str]] = (),
) -> pd.Series:
    """Cluster records: connected components of the pairs at or above the threshold.

    ``pairs`` has ``id_l``, ``id_r``, ``match_probability``. ``must_link`` pairs are always
    joined (reviewer accepted); ``cannot_link`` pairs never end in one cluster (reviewer
    rejected), even through other records. Components without a cannot-link conflict are
    found vectorised (scipy); a component that would join a cannot-link pair is rebuilt by
    union-find over its edges, must-links first, then by falling probability, refusing any
    union that would put a cannot-link pair together — the greedy constrained clustering of
    Wagstaff et al. (COP-KMeans' rule, ICML 2001) applied to single linkage. Ties in
    probability are broken by the pair ids, so the result is deterministic.

    Returns a Series indexed by record id with an integer cluster label (0..k-1, numbered by
    the first record of each cluster in ``record_ids`` order).
    """
    ids = pd.Index(pd.unique(np.asarray(record_ids, dtype=object)))
    n = len(ids)
    cannot = _canon(cannot_link)
    must = _canon(must_link) - cannot
    keep = pairs.loc[
        pairs["match_probability"] >= threshold_probability, ["id_l", "id_r", "match_probability"]
    ]
    edges = keep
    if must:
        must_edges = pd.DataFrame(
            {
                "id_l": [a for a, _ in sorted(must)],
                "id_r": [b for _, b in sorted(must)],
                "match_probability": np.full(len(must), 2.0),  # before any scored edge
            }
        )
        edges = must_edges if keep.empty else pd.concat([keep, must_edges], ignore_index=True)
    if cannot:
        key = pd.MultiIndex.from_arrays([edges["id_l"], edges["id_r"]])
        edges = edges[~key.isin(list(cannot))]
    li = ids.get_indexer(edges["id_l"])
    ri = ids.get_indexer(edges["id_r"])
    ok = (li >= 0) & (ri >= 0)
    edges, li, ri = edges[ok], li[ok], ri[ok]
    graph = coo_matrix((np.ones(len(li)), (li, ri)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    labels = labels.astype(np.int64)

    conflicts = _conflicting_components(ids, labels, cannot)
    if conflicts:
        next_label = int(labels.max()) + 1
        in_conflict = np.isin(labels, list(conflicts))
        sub = edges[in_conflict[li]]
        sub_labels = _constrained_union_find(ids[in_conflict], sub, cannot)
        labels[in_conflict] = sub_labels + next_label
        log.info("re-clustered %d components with cannot-link constraints", len(conflicts))
    # renumber by first appearance, so labels do not depend on scipy's numbering
    _, first = np.unique(labels, return_index=True)
    order = np.argsort(first)
    remap = np.empty(order.size, dtype=np.int64)
    remap[order] = np.arange(order.size)
    uniq = np.unique(labels)
    return pd.Series(remap[np.searchsorted(uniq, labels)], index=ids, name="cluster")


def _conflicting_components(
    ids: pd.Index, labels: np.ndarray, cannot: set[tuple[str, str]]
) -> set[int]:
    if not cannot:
        return set()
    a = ids.get_indexer([x for x, _ in cannot])
    b = ids.get_indexer([y for _, y in cannot])
    ok = (a >= 0) & (b >= 0)
    same = labels[a[ok]] == labels[b[ok]]
    return {int(c) for c in labels[a[ok]][same]}


def _constrained_union_find(
    ids: pd.Index, edges: pd.DataFrame, cannot: set[tuple[str, str]]
) -> np.ndarray:
    """Labels for ``ids`` by greedy union-find that refuses cannot-link unions."""
    pos = {rid: i for i, rid in enumerate(ids)}
    parent = list(range(len(ids)))
    members: list[set[int]] = [{i} for i in range(len(ids))]
    forbid: list[set[int]] = [set() for _ in range(len(ids))]
    for a, b in cannot:
        if a in pos and b in pos:
            forbid[pos[a]].add(pos[b])
            forbid[pos[b]].add(pos[a])

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ordered = edges.sort_values(
        ["match_probability", "id_l", "id_r"], ascending=[False, True, True], kind="stable"
    )
    for a, b in zip(ordered["id_l"], ordered["id_r"], strict=True):
        ra, rb = find(pos[a]), find(pos[b])
        if ra == rb:
            continue
        if forbid[ra] & members[rb]:
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra] |= members[rb]
        forbid[ra] |= forbid[rb]
        members[rb] = set()
        forbid[rb] = set()
    roots = np.array([find(i) for i in range(len(ids))], dtype=np.int64)
    _, labels = np.unique(roots, return_inverse=True)
    return labels.astype(np.int64)
