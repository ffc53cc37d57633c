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

from graphkit.analytics.graph import collapse

if TYPE_CHECKING:
    import igraph as ig

__all__ = [
    "ROLES",
    "KeyPlayers",
    "bridging",
    "brokerage_roles",
    "fragmentation",
    "key_players",
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
        lift = (counts / np.maximum(total, 1)[:, None]) / np.where(overall_share > 0, overall_share, 1.0)
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


def _fragmentation_without(
    u: ig.Graph, membership: np.ndarray, sizes: np.ndarray, removed: Sequence[int]
) -> tuple[float, int, int]:
    """Fragmentation after removing ``removed``; also the number of pieces and the largest
    piece left of the components that contained them."""
    n = u.vcount()
    touched = np.unique(membership[np.asarray(removed, dtype=np.int64)])
    keep_sizes = np.delete(sizes, touched)
    members = np.flatnonzero(np.isin(membership, touched))
    rest = np.setdiff1d(members, np.asarray(removed, dtype=np.int64), assume_unique=False)
    pieces = np.zeros(0, dtype=np.int64)
    if len(rest):
        sub = u.induced_subgraph(rest.tolist())
        pieces = np.asarray(sub.connected_components().sizes(), dtype=np.int64)
    total = np.r_[keep_sizes, pieces]
    largest = int(pieces.max()) if len(pieces) else 0
    return fragmentation(total, n - len(removed)), len(pieces), largest


def key_players(g: ig.Graph, candidates: Sequence[int], *, set_size: int = 3) -> KeyPlayers:
    """Fragmentation caused by removing each candidate, and a greedy key-player set.

    ``single`` has one row per candidate: ``vertex``, ``fragmentation_after``,
    ``fragmentation_gain`` (over the intact graph), ``pieces`` and ``largest_piece`` left of
    its component. The greedy set adds, ``set_size`` times, the candidate whose removal
    together with those already chosen fragments most (Borgatti 2006's greedy heuristic,
    restricted to the candidates).
    """
    u = collapse(g, directed=False)
    comps = u.connected_components()
    membership = np.asarray(comps.membership, dtype=np.int64)
    sizes = np.asarray(comps.sizes(), dtype=np.int64)
    base = fragmentation(sizes, u.vcount())
    cut = set(u.articulation_points()) if u.ecount() else set()
    rows = []
    for v in candidates:
        v = int(v)
        if v in cut:
            after, pieces, largest = _fragmentation_without(u, membership, sizes, [v])
        else:  # only the vertex itself leaves its component
            s = sizes[membership[v]]
            others = np.delete(sizes, membership[v])
            after = fragmentation(np.r_[others, [s - 1] if s > 1 else []], u.vcount() - 1)
            pieces, largest = int(s > 1), int(s - 1)
        rows.append((v, after, after - base, pieces, largest))
    single = pd.DataFrame(
        rows, columns=["vertex", "fragmentation_after", "fragmentation_gain", "pieces", "largest_piece"]
    )
    chosen: list[int] = []
    trail: list[float] = []
    pool = [int(v) for v in candidates]
    for _ in range(min(set_size, len(pool))):
        best_v, best_f = -1, -1.0
        for v in pool:
            if v in chosen:
                continue
            f, _, _ = _fragmentation_without(u, membership, sizes, [*chosen, v])
            if f > best_f + 1e-15:
                best_v, best_f = v, f
        chosen.append(best_v)
        trail.append(best_f)
    return KeyPlayers(base, single, tuple(chosen), tuple(trail))
