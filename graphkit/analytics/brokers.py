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

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.analytics.graph import collapse, new_graph

if TYPE_CHECKING:
    import igraph as ig

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
    g: ig.Graph, groups: np.ndarray, *, vertices: Sequence[int] | None = None
) -> pd.DataFrame:
    """Gould-Fernandez brokerage counts per actor and its main role.

    Ties are the layer-summed directed edges of ``g`` (weights ignored; a symmetric layer
    counts as ties both ways). ``vertices`` restricts the work to some actors (default:
    all). Returns one row per vertex asked for: ``vertex``, one count column per role in
    :data:`ROLES`, ``brokerage`` (their sum) and ``broker_role``: the role whose share of the
    actor's paths most exceeds that role's share of all paths counted (ties in :data:`ROLES`
    order; ``none`` when it brokers no path).
    """
    from scipy import sparse

    d = collapse(g, directed=True) if g.is_directed() else collapse(g, directed=False)
    n = d.vcount()
    el = np.asarray(d.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    if not d.is_directed():
        el = np.vstack([el, el[:, ::-1]])
    adj = sparse.csr_matrix((np.ones(len(el)), (el[:, 0], el[:, 1])), shape=(n, n))
    adj.sum_duplicates()
    adj.data[:] = 1.0
    rev = adj.T.tocsr()
    groups = np.asarray(groups, dtype=np.int64)
    todo = np.arange(n) if vertices is None else np.asarray(vertices, dtype=np.int64)
    counts = np.zeros((len(todo), len(ROLES)), dtype=np.int64)
    for row, b in enumerate(todo):
        ins = rev.indices[rev.indptr[b] : rev.indptr[b + 1]]
        outs = adj.indices[adj.indptr[b] : adj.indptr[b + 1]]
        if len(ins) == 0 or len(outs) == 0:
            continue
        counts[row] = _count_paths(adj, groups, int(b), ins, outs)
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


def _count_paths(
    adj: object, groups: np.ndarray, b: int, ins: np.ndarray, outs: np.ndarray
) -> np.ndarray:
    """Open two-paths through ``b`` by role: all pairs by group, minus ``a == c``, minus
    pairs closed by a direct tie ``a -> c``."""
    gb = groups[b]
    g_in, g_out = groups[ins], groups[outs]
    in_same = int(np.sum(g_in == gb))
    out_same = int(np.sum(g_out == gb))
    in_diff, out_diff = len(ins) - in_same, len(outs) - out_same
    gi, ci = np.unique(g_in[g_in != gb], return_counts=True)
    go, co = np.unique(g_out[g_out != gb], return_counts=True)
    _, ii, oi = np.intersect1d(gi, go, assume_unique=True, return_indices=True)
    itinerant = int(np.sum(ci[ii] * co[oi]))
    c = np.array(
        [
            in_same * out_same,
            itinerant,
            in_same * out_diff,
            in_diff * out_same,
            in_diff * out_diff - itinerant,
        ],
        dtype=np.int64,
    )
    both = np.intersect1d(ins, outs, assume_unique=True)  # pairs with a == c
    if len(both):
        same = int(np.sum(groups[both] == gb))
        c[0] -= same
        c[1] -= len(both) - same
    closed = adj[ins][:, outs].tocoo()  # type: ignore[index]
    if closed.nnz:
        a, cc = ins[closed.row], outs[closed.col]
        keep = a != cc
        ga, gc = groups[a[keep]], groups[cc[keep]]
        role = np.where(
            ga == gb,
            np.where(gc == gb, 0, 2),
            np.where(gc == gb, 3, np.where(ga == gc, 1, 4)),
        )
        c -= np.bincount(role, minlength=len(ROLES))
    return c


def bridging(g: ig.Graph, groups: np.ndarray) -> pd.DataFrame:
    """Participation coefficient and communities reached, per vertex (undirected strength).

    Columns ``participation`` (0 when all ties stay in one community, NaN for isolates),
    ``communities_reached`` (distinct communities other than its own among its contacts)
    and ``weight_outside`` (share of tie strength going to other communities).
    """
    u = collapse(g, directed=False)
    n = u.vcount()
    groups = np.asarray(groups, dtype=np.int64)
    el = np.asarray(u.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    w = np.asarray(u.es["weight"], dtype=float) if u.ecount() else np.zeros(0)
    src = np.r_[el[:, 0], el[:, 1]]
    dst = np.r_[el[:, 1], el[:, 0]]
    ww = np.r_[w, w]
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


def removal_effects(u: ig.Graph, *, removed: Sequence[int] = ()) -> pd.DataFrame:
    """For every vertex of the undirected graph ``u``: fragmentation after removing it.

    Exact for all vertices in one pass over the block-cut tree (Hopcroft & Tarjan 1973):
    removing a cut vertex splits its component into the subtrees hanging off it, any other
    vertex only leaves its component. ``removed`` vertices are treated as already gone.
    Columns ``fragmentation_after``, ``pieces`` and ``largest_piece`` (of its component).
    """
    from scipy.sparse import csgraph

    n = u.vcount()
    gone = np.zeros(n, dtype=bool)
    gone[np.asarray(list(removed), dtype=np.int64)] = True
    if gone.any():
        u = u.copy()
        u.delete_edges([e for v in np.flatnonzero(gone) for e in u.incident(int(v))])
    n_eff = n - int(gone.sum())
    comps = u.connected_components()
    memb = np.asarray(comps.membership, dtype=np.int64)
    sizes = np.asarray(comps.sizes(), dtype=np.int64)
    sizes_eff = sizes - np.bincount(memb[gone], minlength=len(sizes))
    total_sq = float(np.sum(sizes_eff * (sizes_eff - 1.0)))
    s = sizes_eff[memb].astype(float)
    pieces_sq = (s - 1.0) * (s - 2.0)
    pieces = (s > 1).astype(np.int64)
    largest = np.maximum(s - 1, 0).astype(np.int64)
    blocks, cuts = u.biconnected_components(return_articulation_points=True)
    cuts = np.asarray(sorted(cuts), dtype=np.int64)
    if len(cuts):
        lens = np.fromiter((len(b) for b in blocks), dtype=np.int64, count=len(blocks))
        blk = np.repeat(np.arange(len(blocks)), lens)
        ver = np.fromiter((v for b in blocks for v in b), dtype=np.int64, count=int(lens.sum()))
        n_blocks = len(blocks)
        cut_index = np.full(n, -1, dtype=np.int64)
        cut_index[cuts] = np.arange(len(cuts)) + n_blocks
        is_cut = cut_index[ver] >= 0
        weight = np.r_[np.bincount(blk[~is_cut], minlength=n_blocks), np.ones(len(cuts))]
        m = n_blocks + len(cuts)
        tree = new_graph(m, blk[is_cut], cut_index[ver[is_cut]], directed=False)
        # root every tree of the block-cut forest, then sum vertex counts bottom-up
        _, tree_comp = csgraph.connected_components(tree.get_adjacency_sparse(), directed=False)
        roots = np.unique(tree_comp, return_index=True)[1]
        parent = np.full(m, -1, dtype=np.int64)
        depth = np.zeros(m, dtype=np.int64)
        for r in roots:
            vids, starts, parents = tree.bfs(int(r))
            vids_a, parents_a = np.asarray(vids), np.asarray(parents)
            parent[vids_a] = parents_a[vids_a]
            parent[int(r)] = -1
            level = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
            depth[vids_a] = level
        sub = weight.astype(float)
        for dep in range(int(depth.max()), 0, -1):
            at = np.flatnonzero(depth == dep)
            np.add.at(sub, parent[at], sub[at])
        child = np.flatnonzero(parent >= n_blocks)  # blocks hanging off a cut vertex
        owner = parent[child] - n_blocks
        k = len(cuts)
        child_sum = np.bincount(owner, weights=sub[child], minlength=k)
        child_sq = np.bincount(owner, weights=sub[child] * (sub[child] - 1.0), minlength=k)
        child_n = np.bincount(owner, minlength=k)
        child_max = np.zeros(k)
        np.maximum.at(child_max, owner, sub[child])
        up = s[cuts] - 1.0 - child_sum  # the side towards the root
        pieces_sq[cuts] = child_sq + up * (up - 1.0)
        pieces[cuts] = child_n + (up > 0)
        largest[cuts] = np.maximum(child_max, up).astype(np.int64)
    denom = (n_eff - 1.0) * (n_eff - 2.0)
    own = s * (s - 1.0)
    after = 1.0 - (total_sq - own + pieces_sq) / denom if denom > 0 else np.zeros(n)
    after = np.where(gone, np.nan, after)
    return pd.DataFrame({"fragmentation_after": after, "pieces": pieces, "largest_piece": largest})


def key_players(
    g: ig.Graph, candidates: Sequence[int] | None = None, *, set_size: int = 3
) -> KeyPlayers:
    """Fragmentation caused by removing each actor, and a greedy key-player set.

    ``single`` has one row per candidate (default: every vertex): ``vertex``,
    ``fragmentation_after``, ``fragmentation_gain`` (over the intact graph), ``pieces`` and
    ``largest_piece`` left of its component. The greedy set adds, ``set_size`` times, the
    candidate whose removal together with those already chosen fragments most (Borgatti
    2006's greedy heuristic; ties to the lower vertex index). Each step is one exact pass.
    """
    u = collapse(g, directed=False)
    n = u.vcount()
    comps = u.connected_components()
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
