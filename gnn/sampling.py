"""Neighbour sampling for mini-batch training on large graphs (GraphSAGE-style).

Hamilton, Ying & Leskovec (2017, "Inductive representation learning on large graphs"): each
seed node keeps at most ``fanout`` sampled in-neighbours per hop. PyG's ``LinkNeighborLoader``
does this in C++ but needs ``pyg-lib`` or ``torch-sparse``; this vectorised numpy version needs
neither. Sampling is with replacement above the fanout, then de-duplicated, so a hub keeps
at most ``fanout`` distinct neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from graphkit.setops import setdiff, unique

__all__ = ["CSR", "Subgraph", "csr_by_target", "sample_subgraph"]


@dataclass(frozen=True, eq=False)
class CSR:
    """In-neighbour index: target t has sources ``src[indptr[t]:indptr[t+1]]``, edge ids ``eid``."""

    indptr: np.ndarray
    src: np.ndarray
    eid: np.ndarray


@dataclass(frozen=True, eq=False)
class Subgraph:
    """Sampled subgraph: ``nodes`` are global ids (seeds first), ``edge_index`` is local."""

    nodes: np.ndarray
    edge_index: np.ndarray
    edge_ids: np.ndarray
    n_seeds: int


def csr_by_target(edge_index: np.ndarray, n_nodes: int) -> CSR:
    """Group a (2, E) edge index (row 0 source, row 1 target) by target."""
    order = np.argsort(edge_index[1], kind="stable")
    counts = np.bincount(edge_index[1], minlength=n_nodes)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return CSR(indptr=indptr, src=edge_index[0][order], eid=order.astype(np.int64))


def sample_subgraph(
    csr: CSR, seeds: np.ndarray, fanouts: tuple[int, ...], rng: np.random.Generator
) -> Subgraph:
    """Sample ``len(fanouts)`` hops of in-neighbours around the (unique) ``seeds``."""
    nodes = unique(np.asarray(seeds, dtype=np.int64))
    frontier = nodes
    srcs, dsts, eids = [], [], []
    for k in fanouts:
        start = csr.indptr[frontier]
        deg = csr.indptr[frontier + 1] - start
        small = deg <= k
        d_small = deg[small]
        offsets = np.arange(int(d_small.sum())) - np.repeat(np.cumsum(d_small) - d_small, d_small)
        pos_small = np.repeat(start[small], d_small) + offsets
        own_small = np.repeat(frontier[small], d_small)
        big = ~small
        draws = (rng.random((int(big.sum()), k)) * deg[big][:, None]).astype(np.int64)
        pos_big = unique((start[big][:, None] + draws).ravel())
        own_big = np.searchsorted(csr.indptr, pos_big, side="right") - 1
        pos = np.concatenate([pos_small, pos_big])
        srcs.append(csr.src[pos])
        dsts.append(np.concatenate([own_small, own_big]))
        eids.append(csr.eid[pos])
        new = setdiff(csr.src[pos], nodes)
        nodes = np.concatenate([nodes, new])
        frontier = new
        if frontier.size == 0:
            break
    src = np.concatenate(srcs) if srcs else np.zeros(0, dtype=np.int64)
    dst = np.concatenate(dsts) if dsts else np.zeros(0, dtype=np.int64)
    order = np.argsort(nodes, kind="stable")
    local_src = order[np.searchsorted(nodes[order], src)]
    local_dst = order[np.searchsorted(nodes[order], dst)]
    n_seeds = int(unique(seeds).size)
    return Subgraph(
        nodes=nodes,
        edge_index=np.vstack([local_src, local_dst]).astype(np.int64),
        edge_ids=np.concatenate(eids) if eids else np.zeros(0, dtype=np.int64),
        n_seeds=n_seeds,
    )
