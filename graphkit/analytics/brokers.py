"""Brokers: Gould-Fernandez brokerage roles, bridging actors, key-player fragmentation.

* Brokerage (Gould & Fernandez 1989, "Structures of mediation", Sociological Methodology 19):
  actor ``b`` brokers every open two-path ``a -> b -> c`` (``a != c``, no tie ``a -> c``).
  By the groups of ``a``, ``b`` and ``c`` the path is *coordinator* (all in one group),
  *itinerant* (a.k.a. consultant: ``a`` and ``c`` in one group, ``b`` outside),
  *representative* (``a`` with ``b``, ``c`` outside), *gatekeeper* (``a`` outside, ``b``
  with ``c``) or *liaison* (all three apart). Groups here are the communities.
* Bridging: the participation coefficient (Guimerà & Amaral 2005, doi:10.1038/nature03288),
  ``1 - sum_c (k_ic / k_i)^2`` over the tie strength ``k_ic`` an actor has into community
  ``c``, and the number of other communities it reaches.
* Key players (Borgatti 2006, "Identifying sets of key players in a social network",
  doi:10.1007/s10588-006-7084-x): fragmentation ``F = 1 - sum_k s_k (s_k - 1) / (n (n - 1))``
  over component sizes ``s_k``; for each candidate, how much ``F`` rises when it is removed,
  and a greedy set of actors whose joint removal fragments the network most.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.graph import new_graph
from graphkit.analytics.projections import Projection, projection_of

if TYPE_CHECKING:
    import igraph as ig
    from scipy import sparse

__all__ = [
    "ROLES",
    "KeyPlayers",
    "bridging",
    "brokerage_roles",
    "fragmentation",
    "key_players",
    "removal_effects",
]

log = logging.getLogger(__name__)

ROLES = ("coordinator", "itinerant", "representative", "gatekeeper", "liaison")


def brokerage_roles(
    g: ig.Graph | Projection, groups: np.ndarray, *, vertices: Sequence[int] | None = None
) -> pd.DataFrame:
    """Gould-Fernandez brokerage counts per actor and its main role.

    Ties are the layer-summed directed edges of ``g`` (weights ignored; a symmetric layer
    counts as ties both ways). ``vertices`` restricts the work to some actors (default:
    all). Returns one row per vertex asked for: ``vertex``, one count column per role in
    :data:`ROLES`, ``brokerage`` (their sum) and ``broker_role``: the role whose share of the
    actor's paths most exceeds that role's share of all paths counted (ties in :data:`ROLES`
    order; ``none`` when it brokers no path). All asked vertices are counted at once, in
    array operations (the closed pairs ``a -> c`` in chunks of a few million candidates).
    """
    p = g if isinstance(g, Projection) else projection_of(g)
    n = p.n
    adj = p.adjacency()
    adj.sum_duplicates()
    adj.data[:] = 1.0
    rev = adj.T.tocsr()
    groups = np.asarray(groups, dtype=np.int64)
    todo = np.arange(n) if vertices is None else np.asarray(vertices, dtype=np.int64)
    counts = _brokerage_counts(adj, rev, groups, todo)
    total = counts.sum(axis=1)
    # Main role: the role most over-represented in this actor's paths relative to the share of
    # that role among all paths counted (raw counts would name every broker a coordinator,
    # as most paths stay inside the large communities).
    overall = counts.sum(axis=0).astype(float)
    overall_share = overall / overall.sum() if overall.sum() > 0 else np.ones(len(ROLES))
    with np.errstate(invalid="ignore", divide="ignore"):
        lift = (counts / np.maximum(total, 1)[:, None]) / np.where(
            overall_share > 0, overall_share, 1.0
        )
    role = np.where(total > 0, np.asarray(ROLES, dtype=object)[lift.argmax(axis=1)], "none")
    frame = pd.DataFrame(counts, columns=list(ROLES))
    frame.insert(0, "vertex", todo)
    frame["brokerage"] = total
    frame["broker_role"] = role
    return frame


def _ranges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR rows ``rows``: the position in ``rows`` owning each stored entry, and the
    entry's index into the CSR ``indices``."""
    starts = indptr[rows].astype(np.int64)
    lens = indptr[rows + 1].astype(np.int64) - starts
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lens)
    offset = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
    return owner, offset + np.repeat(starts, lens)


_CHUNK = 4_000_000


def _brokerage_counts(
    adj: sparse.csr_matrix, rev: sparse.csr_matrix, groups: np.ndarray, todo: np.ndarray
) -> np.ndarray:
    """Open two-paths ``a -> b -> c`` through each ``b`` of ``todo``, by role: all in/out
    pairs counted by group, minus pairs with ``a == c``, minus pairs closed by ``a -> c``."""
    n, k = adj.shape[0], len(todo)
    counts = np.zeros((k, len(ROLES)), dtype=np.int64)
    if k == 0 or adj.nnz == 0:
        return counts
    n_groups = int(groups.max()) + 1
    gb = groups[todo]
    ri, pos = _ranges(rev.indptr, todo)
    a = rev.indices[pos].astype(np.int64)
    ro, pos = _ranges(adj.indptr, todo)
    c = adj.indices[pos].astype(np.int64)
    in_deg, out_deg = np.bincount(ri, minlength=k), np.bincount(ro, minlength=k)
    a_same, c_same = groups[a] == gb[ri], groups[c] == gb[ro]
    in_same, out_same = np.bincount(ri[a_same], minlength=k), np.bincount(ro[c_same], minlength=k)
    in_diff, out_diff = in_deg - in_same, out_deg - out_same
    # itinerant: a and c in one group other than b's
    kin, cin = np.unique(ri[~a_same] * n_groups + groups[a[~a_same]], return_counts=True)
    kout, cout = np.unique(ro[~c_same] * n_groups + groups[c[~c_same]], return_counts=True)
    both_g, i_in, i_out = np.intersect1d(kin, kout, assume_unique=True, return_indices=True)
    itinerant = np.zeros(k, dtype=np.int64)
    np.add.at(itinerant, both_g // n_groups, cin[i_in].astype(np.int64) * cout[i_out])
    counts[:, 0] = in_same * out_same
    counts[:, 1] = itinerant
    counts[:, 2] = in_same * out_diff
    counts[:, 3] = in_diff * out_same
    counts[:, 4] = in_diff * out_diff - itinerant
    # pairs with a == c
    in_keys, out_keys = ri * n + a, ro * n + c
    same_v = np.intersect1d(in_keys, out_keys, assume_unique=True)
    rows, v = same_v // n, same_v % n
    same = groups[v] == gb[rows]
    counts[:, 0] -= np.bincount(rows[same], minlength=k)
    counts[:, 1] -= np.bincount(rows[~same], minlength=k)
    # pairs closed by a direct tie a -> c: walk the out-ties of every in-neighbour a
    out_sorted = np.sort(out_keys)
    reach = np.diff(adj.indptr)[a]
    bounds = np.searchsorted(np.cumsum(reach), np.arange(_CHUNK, int(reach.sum()), _CHUNK))
    closed = np.zeros(k * len(ROLES), dtype=np.int64)
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(a)], strict=True):
        owner, pos = _ranges(adj.indptr, a[lo:hi])
        row, aa = ri[lo:hi][owner], a[lo:hi][owner]
        cc = adj.indices[pos].astype(np.int64)
        key = row * n + cc
        at = np.minimum(np.searchsorted(out_sorted, key), len(out_sorted) - 1)
        hit = (out_sorted[at] == key) & (aa != cc)
        row, ga, gc, gbr = row[hit], groups[aa[hit]], groups[cc[hit]], gb[row[hit]]
        role = np.where(
            ga == gbr,
            np.where(gc == gbr, 0, 2),
            np.where(gc == gbr, 3, np.where(ga == gc, 1, 4)),
        )
        closed += np.bincount(row * len(ROLES) + role, minlength=k * len(ROLES))
    return counts - closed.reshape(k, len(ROLES))


def bridging(g: ig.Graph | Projection, groups: np.ndarray) -> pd.DataFrame:
    """Participation coefficient and communities reached, per vertex (undirected strength).

    Columns ``participation`` (0 when all ties stay in one community, NaN for isolates),
    ``communities_reached`` (distinct communities other than its own among its contacts)
    and ``weight_outside`` (share of tie strength going to other communities).
    """
    u = (
        g
        if isinstance(g, Projection) and not g.directed
        else projection_of(_graph(g), directed=False)
    )
    n = u.n
    groups = np.asarray(groups, dtype=np.int64)
    src = np.r_[u.src, u.dst]
    dst = np.r_[u.dst, u.src]
    ww = np.r_[u.weight, u.weight]
    frame = pd.DataFrame({"v": src, "c": groups[dst], "w": ww})
    per = frame.groupby(["v", "c"], sort=False)["w"].sum().reset_index()
    strength = np.bincount(per["v"], weights=per["w"], minlength=n)
    share = per["w"].to_numpy() / strength[per["v"].to_numpy()]
    sq = np.bincount(per["v"], weights=share**2, minlength=n)
    other = per["c"].to_numpy() != groups[per["v"].to_numpy()]
    reached = np.bincount(per["v"][other], minlength=n)
    outside = np.bincount(per["v"][other], weights=per["w"][other], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        participation = np.where(strength > 0, 1.0 - sq, np.nan)
        weight_outside = np.where(strength > 0, outside / strength, np.nan)
    return pd.DataFrame(
        {
            "participation": participation,
            "communities_reached": reached.astype(np.int64),
            "weight_outside": weight_outside,
        }
    )


def _graph(g: ig.Graph | Projection) -> ig.Graph:
    return g.graph if isinstance(g, Projection) else g


def fragmentation(component_sizes: np.ndarray, n_vertices: int) -> float:
    """Borgatti's fragmentation: share of ordered pairs of vertices that cannot reach each
    other (1 for isolated vertices only, 0 for a connected graph)."""
    if n_vertices < 2:
        return 0.0
    s = np.asarray(component_sizes, dtype=float)
    return float(1.0 - np.sum(s * (s - 1.0)) / (n_vertices * (n_vertices - 1.0)))


@dataclass(frozen=True)
class KeyPlayers:
    """Result of :func:`key_players`.

    ``base`` is the fragmentation of the intact graph; ``single`` the effect of removing each
    candidate alone; ``greedy_set`` the chosen actors in order and ``greedy_fragmentation``
    the fragmentation after removing the first 1, 2, ... of them.
    """

    base: float
    single: pd.DataFrame
    greedy_set: tuple[int, ...]
    greedy_fragmentation: tuple[float, ...]


def removal_effects(u: ig.Graph | Projection, *, removed: Sequence[int] = ()) -> pd.DataFrame:
    """For every vertex of the undirected graph ``u``: fragmentation after removing it.

    Exact for all vertices in one pass over the block-cut tree (Hopcroft & Tarjan 1973):
    removing a cut vertex splits its component into the subtrees hanging off it, any other
    vertex only leaves its component. ``removed`` vertices are treated as already gone.
    Columns ``fragmentation_after``, ``pieces`` and ``largest_piece`` (of its component).
    """
    import igraph as ig

    p = (
        u
        if isinstance(u, Projection) and not u.directed
        else projection_of(_graph(u), directed=False)
    )
    n = p.n
    gone = np.zeros(n, dtype=bool)
    gone[np.asarray(list(removed), dtype=np.int64)] = True
    graph, src, dst = p.graph, p.src, p.dst
    if gone.any():
        cut_off = gone[src] | gone[dst]
        graph = graph.copy()
        graph.delete_edges(np.flatnonzero(cut_off).tolist())  # keeps the others' order
        src, dst = src[~cut_off], dst[~cut_off]
    n_eff = n - int(gone.sum())
    comps = graph.connected_components()
    memb = np.asarray(comps.membership, dtype=np.int64)
    sizes = np.asarray(comps.sizes(), dtype=np.int64)
    sizes_eff = sizes - np.bincount(memb[gone], minlength=len(sizes))
    total_sq = float(np.sum(sizes_eff * (sizes_eff - 1.0)))
    s = sizes_eff[memb].astype(float)
    pieces_sq = (s - 1.0) * (s - 2.0)
    pieces = (s > 1).astype(np.int64)
    largest = np.maximum(s - 1, 0).astype(np.int64)
    # spanning trees of the blocks, as edge ids (the raw igraph call: no vertex-set objects)
    trees, cut_list = ig.GraphBase.biconnected_components(graph, True)
    cuts = np.asarray(sorted(cut_list), dtype=np.int64)
    if len(cuts):
        child_sum, child_sq, child_n, child_max = _cut_vertex_pieces(n, trees, cuts, src, dst)
        up = s[cuts] - 1.0 - child_sum  # the side towards the root
        pieces_sq[cuts] = child_sq + up * (up - 1.0)
        pieces[cuts] = child_n + (up > 0)
        largest[cuts] = np.maximum(child_max, up).astype(np.int64)
    denom = (n_eff - 1.0) * (n_eff - 2.0)
    own = s * (s - 1.0)
    after = 1.0 - (total_sq - own + pieces_sq) / denom if denom > 0 else np.zeros(n)
    after = np.where(gone, np.nan, after)
    return pd.DataFrame({"fragmentation_after": after, "pieces": pieces, "largest_piece": largest})


def _cut_vertex_pieces(
    n: int, trees: list[list[int]], cuts: np.ndarray, src: np.ndarray, dst: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cut vertex, over the subtrees of the block-cut forest hanging below it (each tree
    rooted at its lowest-numbered node): summed vertex count, summed ``s (s - 1)``, number
    of subtrees, largest subtree."""
    from scipy import sparse
    from scipy.sparse import csgraph

    n_blocks = len(trees)
    lens = np.fromiter((len(t) for t in trees), dtype=np.int64, count=n_blocks)
    edge = np.fromiter(itertools.chain.from_iterable(trees), dtype=np.int64, count=int(lens.sum()))
    blk_e = np.repeat(np.arange(n_blocks, dtype=np.int64), lens)
    # the vertices of each block: the ends of its spanning-tree edges
    key = np.unique(np.r_[blk_e * n + src[edge], blk_e * n + dst[edge]])
    blk, ver = key // n, key % n
    cut_index = np.full(n, -1, dtype=np.int64)
    cut_index[cuts] = np.arange(len(cuts)) + n_blocks
    is_cut = cut_index[ver] >= 0
    weight = np.r_[np.bincount(blk[~is_cut], minlength=n_blocks), np.ones(len(cuts))]
    m = n_blocks + len(cuts)
    t_src, t_dst = blk[is_cut], cut_index[ver[is_cut]]
    # one breadth-first search from a virtual node joined to every tree's lowest node
    _, tree_comp = csgraph.connected_components(
        sparse.csr_matrix((np.ones(len(t_src)), (t_src, t_dst)), shape=(m, m)), directed=False
    )
    roots = np.unique(tree_comp, return_index=True)[1]
    tree = new_graph(
        m + 1, np.r_[t_src, np.full(len(roots), m)], np.r_[t_dst, roots], directed=False
    )
    vids, starts, parents = tree.bfs(m)
    vids_a = np.asarray(vids, dtype=np.int64)
    parent = np.asarray(parents, dtype=np.int64)[:m]
    parent[parent == m] = -1
    depth = np.zeros(m + 1, dtype=np.int64)
    depth[vids_a] = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    depth = depth[:m]
    sub = weight.astype(float)
    order = np.argsort(-depth, kind="stable")
    level_end = np.r_[np.flatnonzero(np.diff(depth[order])), m - 1] + 1
    lo = 0
    for hi in level_end.tolist():  # deepest level first: add each subtree into its parent
        at = order[lo:hi]
        if depth[at[0]] <= 1:
            break
        np.add.at(sub, parent[at], sub[at])
        lo = hi
    child = np.flatnonzero(parent >= n_blocks)  # blocks hanging off a cut vertex
    owner = parent[child] - n_blocks
    k = len(cuts)
    child_sum = np.bincount(owner, weights=sub[child], minlength=k)
    child_sq = np.bincount(owner, weights=sub[child] * (sub[child] - 1.0), minlength=k)
    child_n = np.bincount(owner, minlength=k)
    child_max = np.zeros(k)
    np.maximum.at(child_max, owner, sub[child])
    return child_sum, child_sq, child_n, child_max


def key_players(
    g: ig.Graph | Projection, candidates: Sequence[int] | None = None, *, set_size: int = 3
) -> KeyPlayers:
    """Fragmentation caused by removing each actor, and a greedy key-player set.

    ``single`` has one row per candidate (default: every vertex): ``vertex``,
    ``fragmentation_after``, ``fragmentation_gain`` (over the intact graph), ``pieces`` and
    ``largest_piece`` left of its component. The greedy set adds, ``set_size`` times, the
    candidate whose removal together with those already chosen fragments most (Borgatti
    2006's greedy heuristic; ties to the lower vertex index). Each step is one exact pass.
    """
    u = (
        g
        if isinstance(g, Projection) and not g.directed
        else projection_of(_graph(g), directed=False)
    )
    n = u.n
    comps = u.graph.connected_components()
    base = fragmentation(np.asarray(comps.sizes(), dtype=np.int64), n)
    pool = np.arange(n) if candidates is None else np.asarray(candidates, dtype=np.int64)
    effects = removal_effects(u)
    single = effects.iloc[pool].reset_index(drop=True)
    single.insert(0, "vertex", pool)
    single.insert(2, "fragmentation_gain", single["fragmentation_after"] - base)
    chosen: list[int] = []
    trail: list[float] = []
    for step in range(min(set_size, len(pool))):
        step_effects = effects if step == 0 else removal_effects(u, removed=chosen)
        after = step_effects["fragmentation_after"].to_numpy()[pool]
        after = np.where(np.isin(pool, chosen), -np.inf, np.nan_to_num(after, nan=-np.inf))
        best = int(np.argmax(after))  # first maximum: lowest position in the pool
        chosen.append(int(pool[best]))
        trail.append(float(after[best]))
    return KeyPlayers(base, single, tuple(chosen), tuple(trail))
