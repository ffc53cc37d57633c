"""Evidence for each predicted tie: shared contacts, connecting paths, contributing features.

Feature contributions are gradient x input on the standardised inputs (Shrikumar et al. 2016,
"Not just a black box"; Simonyan et al. 2014 for plain gradients): for the logit of one pair,
the gradient of each input times its standardised value, for the pair features and for the
node features of both ends. They say what moved this score away from an average pair, to
first order; they are not causal effects and can vary with the seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from gnn.data import View
from graphkit.setops import intersect

if TYPE_CHECKING:
    from gnn.predictor import LinkPredictor

__all__ = ["connecting_paths", "feature_contributions", "pair_evidence", "shared_contacts"]


def shared_contacts(adj: sp.csr_matrix, a: int, b: int) -> np.ndarray:
    """Indices of the common neighbours of ``a`` and ``b`` (sorted)."""
    return intersect(
        adj.indices[adj.indptr[a] : adj.indptr[a + 1]],
        adj.indices[adj.indptr[b] : adj.indptr[b + 1]],
    )


def connecting_paths(adj: sp.csr_matrix, a: int, b: int, *, limit: int = 5) -> list[list[int]]:
    """Up to ``limit`` shortest connecting paths of at most 3 hops (as node index lists)."""
    if adj[a, b] != 0:
        return [[a, b]]
    common = shared_contacts(adj, a, b)
    if common.size:
        return [[a, int(w), b] for w in common[:limit]]
    na = adj.indices[adj.indptr[a] : adj.indptr[a + 1]]
    nb = adj.indices[adj.indptr[b] : adj.indptr[b + 1]]
    if na.size == 0 or nb.size == 0:
        return []
    block = adj[na][:, nb].tocoo()
    return [
        [a, int(na[i]), int(nb[j]), b]
        for i, j in zip(block.row[:limit], block.col[:limit], strict=True)
    ]


def feature_contributions(
    model: LinkPredictor, view: View, a: int, b: int, *, top: int = 5
) -> list[dict[str, Any]]:
    """The ``top`` inputs with the largest |gradient x input| for the logit of (a, b).

    Runs on the 2-hop neighbourhood of the pair, which is all a 2-layer encoder reads.
    """
    import torch

    from gnn.predictor import k_hop_subgraph

    ei = torch.from_numpy(view.edge_index)
    subset, sub_ei, mapping, edge_mask = k_hop_subgraph(
        torch.tensor([a, b]), 2, ei, num_nodes=view.n_nodes
    )
    model.eval()
    xs = model.standardise_x(torch.from_numpy(view.x)[subset]).detach().requires_grad_(True)
    raw_pair = view.pair_x(np.array([a]), np.array([b])).astype(np.float32)
    ps = model.standardise_pairs(torch.from_numpy(raw_pair)).detach().requires_grad_(True)
    h = model.encode_std(xs, sub_ei, torch.from_numpy(view.edge_attr)[edge_mask])
    logit = model.decode_std(h, mapping.view(2, 1), ps)
    logit.sum().backward()  # type: ignore[no-untyped-call]
    # the pairwise variant reads no node feature: its node gradients are absent, i.e. zero
    x_grad = xs.grad if xs.grad is not None else torch.zeros_like(xs)
    p_grad = ps.grad if ps.grad is not None else torch.zeros_like(ps)
    pair_contrib = (p_grad * ps).detach().numpy()[0]
    node_contrib = (x_grad * xs).detach().numpy()[mapping.numpy()]
    rows: list[dict[str, Any]] = [
        {
            "feature": f"pair:{name}",
            "value": float(raw_pair[0, i]),
            "contribution": float(pair_contrib[i]),
        }
        for i, name in enumerate(view.pair_names)
    ]
    for end, idx in (("a", a), ("b", b)):
        k = 0 if end == "a" else 1
        rows += [
            {
                "feature": f"{end}:{name}",
                "value": float(view.x[idx, i]),
                "contribution": float(node_contrib[k, i]),
            }
            for i, name in enumerate(view.x_names)
        ]
    rows = [r for r in rows if r["contribution"] != 0.0]
    rows.sort(key=lambda r: -abs(r["contribution"]))
    return [
        {**r, "contribution": round(r["contribution"], 4), "value": round(r["value"], 4)}
        for r in rows[:top]
    ]


_SIDE_UNITS = {"colocation": "days", "shared_money": "counterparties"}


def pair_evidence(
    model: LinkPredictor,
    view: View,
    node_ids: np.ndarray,
    a: int,
    b: int,
    *,
    max_contacts: int = 10,
    max_paths: int = 5,
    top_features: int = 5,
) -> dict[str, Any]:
    """Human-checkable evidence for the pair (a, b), with ids as the user ingested them."""
    from gnn.features import heuristic_scores

    common = shared_contacts(view.adj, a, b)
    paths = connecting_paths(view.adj, a, b, limit=max_paths)
    heur = heuristic_scores(view.adj, np.array([a]), np.array([b]))
    return {
        "shared_contacts": [str(node_ids[w]) for w in common[:max_contacts]],
        "n_shared_contacts": int(common.size),
        "paths": [[str(node_ids[w]) for w in p] for p in paths],
        "shortest_path_hops": (len(paths[0]) - 1) if paths else None,
        "heuristics": {k: round(float(v[0]), 4) for k, v in heur.items()},
        # what the case shows beyond the tie graph: days seen together on one cell away
        # from both ends' busiest cells, and money counterparties they share
        **{
            f"{name}_{_SIDE_UNITS[name]}": int(
                view.side_score(name, np.array([a]), np.array([b]))[0]
            )
            for name in view.side
        },
        "top_features": (
            feature_contributions(model, view, a, b, top=top_features) if top_features else []
        ),
    }
