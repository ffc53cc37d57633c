"""Ranked predicted ties with evidence, from a trained model over the whole observed graph."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gnn.data import LinkGraph, NodeFeatures, View, build_view
from gnn.evidence import pair_evidence
from gnn.splits import active_nodes
from graphkit.errors import InputError

if TYPE_CHECKING:
    from gnn.model import LinkPredictor
    from gnn.train import TrainConfig

__all__ = ["candidate_pairs", "predict_links"]

logger = logging.getLogger(__name__)


def _embedding_neighbours(
    model: LinkPredictor, view: View, nodes: np.ndarray, k: int
) -> np.ndarray:
    """Pair keys of each node's ``k`` nearest nodes by embedding dot product (chunked)."""
    import torch

    with torch.no_grad():
        h = model.encode(
            torch.from_numpy(view.x),
            torch.from_numpy(view.edge_index),
            torch.from_numpy(view.edge_attr),
        )[torch.from_numpy(nodes)]
    keys = []
    for start in range(0, nodes.size, 2048):
        block = h[start : start + 2048] @ h.T
        rows = torch.arange(block.shape[0])
        block[rows, rows + start] = -torch.inf
        top = torch.topk(block, min(k, nodes.size - 1), dim=1).indices.numpy()
        a = np.repeat(nodes[start : start + 2048], top.shape[1])
        b = nodes[top.ravel()]
        keys.append(np.minimum(a, b) * view.n_nodes + np.maximum(a, b))
    return np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)


def candidate_pairs(
    view: View,
    *,
    max_pairs: int = 2_000_000,
    model: LinkPredictor | None = None,
    knn: int = 10,
    exclude_keys: np.ndarray | None = None,
) -> np.ndarray:
    """Unobserved pairs worth scoring, as a (k, 2) array with a < b.

    Every pair of visible actors when there are at most ``max_pairs``; otherwise the pairs two
    hops apart (the ``max_pairs`` with most common neighbours) plus each actor's ``knn``
    nearest actors in the model's embedding space (which reaches ties that share behaviour but
    no contact). Actors without a visible tie are not
    candidates (no cold start). Pairs in ``exclude_keys`` (default: the view's ties) are
    left out.
    """
    n = view.n_nodes
    active = np.flatnonzero(np.diff(view.adj.indptr) > 0)
    if active.size < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if active.size * (active.size - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(active.size, k=1)
        keys = active[i] * n + active[j]
    else:
        two = (view.adj @ view.adj).tocoo()
        up = two.row < two.col
        keys = two.row[up].astype(np.int64) * n + two.col[up]
        if keys.size > max_pairs:  # keep the pairs with the most common neighbours
            keys = keys[np.argpartition(-two.data[up], max_pairs)[:max_pairs]]
        if model is not None and model.variant == "gnn":
            keys = np.union1d(keys, _embedding_neighbours(model, view, active, knn))
    keys = np.setdiff1d(keys, view.pair_keys if exclude_keys is None else exclude_keys)
    return np.stack([keys // n, keys % n], axis=1).astype(np.int64)


def predict_links(
    model: LinkPredictor,
    graph: LinkGraph,
    features: NodeFeatures,
    *,
    top_k: int,
    seed: int,
    config: TrainConfig | None = None,
    max_pairs: int = 2_000_000,
    records: np.ndarray | None = None,
    target_layers: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """The ``top_k`` highest-scoring unobserved pairs over all observed ties, with evidence.

    Columns: ``a``, ``b`` (actor ids, a < b), ``score`` (probability in [0, 1]), ``evidence``
    (dict: shared contacts, connecting paths, heuristics, top contributing features). Ties
    between equal scores are broken by the pair ids, so the ranking is deterministic.
    ``records`` (default: all) are the visible ties; pairs already tied in ``target_layers``
    (default: any layer) are not candidates.
    """
    from gnn.train import score_pairs

    if top_k < 1:
        raise InputError("top_k must be at least 1")
    visible = np.ones(graph.n_records, dtype=bool) if records is None else records
    view = build_view(graph, features, visible)
    if not active_nodes(graph, visible).any():
        raise InputError("the graph has no ties to predict from")
    known = graph.layer_mask(target_layers) if target_layers else np.ones(graph.n_records, bool)
    known_keys = np.unique(graph.u[known] * graph.n_nodes + graph.v[known])
    pairs = candidate_pairs(view, max_pairs=max_pairs, model=model, exclude_keys=known_keys)
    logger.info("scoring %d candidate pairs", len(pairs))
    scores = score_pairs(model, view, pairs, seed=seed, config=config)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -scores))[:top_k]
    rows: list[dict[str, Any]] = []
    for i in order:
        a, b = int(pairs[i, 0]), int(pairs[i, 1])
        rows.append(
            {
                "a": str(graph.node_ids[a]),
                "b": str(graph.node_ids[b]),
                "score": float(scores[i]),
                "evidence": pair_evidence(model, view, graph.node_ids, a, b),
            }
        )
    return pd.DataFrame(rows, columns=["a", "b", "score", "evidence"])
