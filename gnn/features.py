"""Structural, activity and pairwise features for link prediction (numpy / scipy sparse).

Everything here is vectorised over sparse matrices: no Python loop over nodes, edges or pairs.
The pairwise heuristics are the classic local similarity indices surveyed by Liben-Nowell &
Kleinberg (2007, "The link-prediction problem for social networks") and Lü & Zhou (2011,
"Link prediction in complex networks: a survey"): common neighbours, Jaccard, Adamic-Adar
(Adamic & Adar 2003), resource allocation (Zhou, Lü & Zhang 2009) and preferential attachment
(Barabási et al. 2002), plus the shortest path length capped at 3 hops and the number of
3-hop paths (the first terms of the Katz index).
"""

from __future__ import annotations

import logging
import threading

import numpy as np
import scipy.sparse as sp

__all__ = [
    "HEURISTICS",
    "PAIR_FEATURE_NAMES",
    "activity_features",
    "adjacency",
    "dense_matrix",
    "heuristic_scores",
    "pair_feature_columns",
    "pair_features",
    "profile_cosine",
    "structural_features",
    "use_dense",
    "walk_counts",
]

logger = logging.getLogger(__name__)

HEURISTICS: tuple[str, ...] = (
    "common_neighbours",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
)
PAIR_FEATURE_NAMES: tuple[str, ...] = (
    "common_neighbours",
    "jaccard",
    "adamic_adar",
    "resource_allocation",
    "preferential_attachment",
    "inverse_distance",
    "paths_3",
    "walks_4",
    "katz",
)
KATZ_BETA = 0.05
_ROW_BUDGET = 20_000_000  # non-zeros of the 2-step rows held at once
_DENSE_NODES = 3072  # graphs up to this many nodes get dense pair matrices (72 MB each)
_DENSE_CACHE_SIZE = 2
#: each thread keeps its own cache of the last adjacencies it asked about: predict-links
#: builds the final list's view in a worker thread while training reads the fold,
#: validation and test views (gnn.stage); one shared cache would evict either's matrices
_DENSE_CACHES = threading.local()
_COSINE_CHUNK = 1024  # pairs whose profiles are gathered at once (stay in cache: 3x faster)


def adjacency(n_nodes: int, src: np.ndarray, dst: np.ndarray) -> sp.csr_matrix:
    """Binary symmetric adjacency (CSR, float64) of an undirected graph without self-loops."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    rows = np.concatenate([src[keep], dst[keep]])
    cols = np.concatenate([dst[keep], src[keep]])
    mat = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float64), (rows, cols)), shape=(n_nodes, n_nodes)
    )
    mat.data[:] = 1.0  # duplicates were summed; keep the matrix binary
    mat.sort_indices()
    return mat


def _common(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> sp.csr_matrix:
    """Row i holds the common neighbours of (u[i], v[i]) as a 0/1 sparse row."""
    return adj[u].multiply(adj[v]).tocsr()


def heuristic_scores(
    adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, *, dense: bool = True
) -> dict[str, np.ndarray]:
    """The five classic heuristics for the pairs ``(u[i], v[i])`` over adjacency ``adj``.

    Returns a dict name -> float64 array, names as in :data:`HEURISTICS`. Scores of a pair
    that is itself an edge of ``adj`` count that edge as structure; callers score non-edges.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    deg = np.asarray(adj.sum(axis=1)).ravel()
    if u.size == 0:
        empty = np.zeros(0)
        return {name: empty for name in HEURISTICS}
    if dense and use_dense(adj):
        cn = dense_matrix(adj, "A2")[u, v]
        aa = dense_matrix(adj, "AA")[u, v]
        ra = dense_matrix(adj, "RA")[u, v]
    else:
        common = _common(adj, u, v)
        cn = np.asarray(common.sum(axis=1)).ravel()
        aa = common @ _inverse_log(deg)
        ra = common @ _inverse(deg)
    union = deg[u] + deg[v] - cn
    return {
        "common_neighbours": cn,
        "jaccard": np.divide(cn, union, out=np.zeros_like(cn), where=union > 0),
        "adamic_adar": aa,
        "resource_allocation": ra,
        "preferential_attachment": deg[u] * deg[v],
    }


def _inverse_log(deg: np.ndarray) -> np.ndarray:
    """Adamic-Adar's weight of a common neighbour: 1/log(degree), 0 below degree 2."""
    with np.errstate(divide="ignore"):
        return np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2.0)), 0.0)


def _inverse(deg: np.ndarray) -> np.ndarray:
    """Resource allocation's weight of a common neighbour: 1/degree, 0 for isolated nodes."""
    return np.where(deg > 0, 1.0 / np.maximum(deg, 1.0), 0.0)


def walk_counts(
    adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, *, max_len: int = 4, dense: bool = True
) -> np.ndarray:
    """Number of walks of length 1..``max_len`` (<= 4) from ``u[i]`` to ``v[i]``: (k, max_len).

    Length 1 is the tie itself, 2 the common neighbours, 3 and 4 the products of the two
    ends' 1- and 2-step rows. Graphs of up to ``_DENSE_NODES`` nodes read them from dense
    matrix powers (cached per adjacency); larger ones in chunks of pairs bounded by the rows'
    non-zeros.
    """
    if not 1 <= max_len <= 4:
        raise ValueError("max_len must be 1 to 4")
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    out = np.zeros((u.size, max_len))
    if u.size == 0:
        return out
    if dense and use_dense(adj):
        for k in range(max_len):
            out[:, k] = dense_matrix(adj, f"A{k + 1}")[u, v]
        return out
    deg = np.diff(adj.indptr).astype(np.float64)
    two_nnz = np.asarray(adj @ deg).ravel()  # about the non-zeros of a 2-step row
    cost = two_nnz[u] + two_nnz[v] + 1.0
    cum = np.cumsum(cost)
    start = 0
    while start < u.size:
        base = cum[start - 1] if start else 0.0
        stop = max(int(np.searchsorted(cum, base + _ROW_BUDGET, side="right")), start + 1)
        au, av = adj[u[start:stop]], adj[v[start:stop]]
        out[start:stop, 0] = np.asarray(adj[u[start:stop], v[start:stop]]).ravel()
        if max_len >= 2:
            out[start:stop, 1] = np.asarray(au.multiply(av).sum(axis=1)).ravel()
        if max_len >= 3:
            a2u = au @ adj
            out[start:stop, 2] = np.asarray(a2u.multiply(av).sum(axis=1)).ravel()
            if max_len >= 4:
                a2v = av @ adj
                out[start:stop, 3] = np.asarray(a2u.multiply(a2v).sum(axis=1)).ravel()
        start = stop
    return out


def use_dense(adj: sp.csr_matrix) -> bool:
    """Whether pair scores of ``adj`` are read from dense matrices (:func:`dense_matrix`)."""
    return bool(adj.shape[0] <= _DENSE_NODES)


def dense_matrix(adj: sp.csr_matrix, name: str) -> np.ndarray:
    """A dense pair matrix of ``adj``, kept for the last few adjacencies asked about.

    ``A1``-``A4`` are the walk counts (matrix powers), ``AA`` and ``RA`` the Adamic-Adar and
    resource-allocation sums ``A diag(w) A``. Link prediction asks about the same view's
    adjacency many times (features of training, validation and candidate pairs, Katz as a
    baseline); on a case-sized graph a few dense products cost well under a second where
    the per-pair sparse rows cost tens. Each thread has its own cache. A cached entry is the
    same object with the same non-zeros (views are never edited in place; the count guards
    against it).
    """
    cache: list[tuple[sp.csr_matrix, int, dict[str, np.ndarray]]] = (
        _DENSE_CACHES.__dict__.setdefault("entries", [])
    )  # most recent last
    hit = [i for i, (cached, nnz, _) in enumerate(cache) if cached is adj and nnz == adj.nnz]
    if hit:
        cache.append(cache.pop(hit[0]))
    else:
        cache.append((adj, adj.nnz, {}))
        del cache[:-_DENSE_CACHE_SIZE]
    mats = cache[-1][2]
    if name not in mats:
        if name == "A1":
            mats[name] = adj.toarray()
        elif name == "A2":
            # sparse times sparse: the 2-step matrix is still mostly empty on a case graph
            mats[name] = (adj @ adj).toarray()
        elif name in ("A3", "A4"):
            # one more step by the sparse adjacency: walk counts are integers, so the sum is
            # exact in any order and equals the dense product's, at nnz * n instead of n^3
            mats[name] = np.asarray(adj @ dense_matrix(adj, f"A{int(name[1]) - 1}"))
        elif name in ("AA", "RA"):
            deg = np.diff(adj.indptr).astype(np.float64)
            weight = _inverse_log(deg) if name == "AA" else _inverse(deg)
            # sparse times sparse adds each pair's common neighbours' weights in the same
            # order as a dense product (which only adds zeros besides): the same sums
            mats[name] = (adj @ (sp.diags(weight) @ adj)).toarray()
        else:
            raise KeyError(name)
    return mats[name]


def pair_features(adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Pairwise structural features, columns named by :data:`PAIR_FEATURE_NAMES`.

    Counts are log1p-compressed so that they can be standardised; ``inverse_distance`` is
    1/d for a shortest path of d <= 3 hops and 0 beyond (or when unreachable); ``katz`` is
    log10 of the Katz index truncated at 4 steps (beta 0.05), floored at 1e-8.
    """
    cols = pair_feature_columns(adj, u, v)
    return np.stack(cols, axis=1) if np.size(u) else np.zeros((0, len(cols)))


def pair_feature_columns(
    adj: sp.csr_matrix, u: np.ndarray, v: np.ndarray, *, dense: bool = True
) -> list[np.ndarray]:
    """The columns of :func:`pair_features` (float64 arrays), for callers that place them.

    ``dense=False`` reads the sparse rows even on a graph small enough for the cached dense
    matrices (the same values: a view asked about a few thousand pairs once, a training
    fold's, does not pay for six n x n matrices)."""
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    h = heuristic_scores(adj, u, v, dense=dense)
    walks = walk_counts(adj, u, v, max_len=4, dense=dense)
    direct = walks[:, 0] > 0
    p3 = walks[:, 2]
    katz = walks @ (KATZ_BETA ** np.arange(1, 5))
    inv_dist = np.where(direct, 1.0, np.where(h["common_neighbours"] > 0, 0.5, 0.0))
    inv_dist = np.where((inv_dist == 0) & (p3 > 0), 1.0 / 3.0, inv_dist)
    return [
        np.log1p(h["common_neighbours"]),
        h["jaccard"],
        np.log1p(h["adamic_adar"]),
        h["resource_allocation"],
        np.log1p(h["preferential_attachment"]),
        inv_dist,
        np.log1p(p3),
        np.log1p(walks[:, 3]),
        np.log10(katz + 1e-8),
    ]


def structural_features(adj: sp.csr_matrix, strength: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Per-node structural features: degree, strength, neighbour degree, clustering.

    ``strength`` is the total tie volume of each node (e.g. sum of call counts).
    """
    deg = np.asarray(adj.sum(axis=1)).ravel()
    nbr_deg = np.divide(adj @ deg, deg, out=np.zeros_like(deg), where=deg > 0)
    triangles = np.asarray((adj @ adj).multiply(adj).sum(axis=1)).ravel() / 2.0
    pairs = deg * (deg - 1) / 2.0
    clustering = np.divide(triangles, pairs, out=np.zeros_like(deg), where=pairs > 0)
    names = ["log_degree", "log_strength", "log_mean_neighbour_degree", "clustering"]
    values = np.stack(
        [
            np.log1p(deg),
            np.log1p(np.asarray(strength, dtype=np.float64)),
            np.log1p(nbr_deg),
            clustering,
        ],
        axis=1,
    )
    return names, values


def activity_features(hour_of_week: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Rhythm features from a (n, 168) matrix of event counts per hour of week (Monday 00h first).

    Returns the share of events per hour of day (24), per day of week (7), the night share
    (00-06h) and log1p of the total. Nodes without events get zeros.
    """
    how = np.asarray(hour_of_week, dtype=np.float64)
    if how.ndim != 2 or how.shape[1] != 168:
        raise ValueError("hour_of_week must have shape (n, 168)")
    total = how.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)[:, None]
    by_hour = how.reshape(-1, 7, 24).sum(axis=1) / safe
    by_day = how.reshape(-1, 7, 24).sum(axis=2) / safe
    night = by_hour[:, :6].sum(axis=1, keepdims=True)
    names = [f"hour_share_{h:02d}" for h in range(24)]
    names += [f"day_share_{d}" for d in range(7)] + ["night_share", "log_events"]
    return names, np.hstack([by_hour, by_day, night, np.log1p(total)[:, None]])


def profile_cosine(profiles: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cosine similarity of two nodes' activity profiles (0 where either profile is empty)."""
    prof = np.asarray(profiles, dtype=np.float64)
    norm = np.linalg.norm(prof, axis=1)
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    dots = np.zeros(u.size)
    for start in range(0, u.size, _COSINE_CHUNK):  # two gathered rows per pair: bounded memory
        end = start + _COSINE_CHUNK
        dots[start:end] = np.einsum("ij,ij->i", prof[u[start:end]], prof[v[start:end]])
    den = norm[u] * norm[v]
    out: np.ndarray = np.divide(dots, den, out=np.zeros_like(dots), where=den > 0)
    return out
