"""Training: folds of hidden ties, hard negatives, early stopping and selection by validation.

Training ties are split into ``folds``; in each epoch one fold is hidden from the graph and
predicted from the rest, so a training tie is never visible while it is being predicted (the
same leakage rule as the evaluation). Small graphs train full-batch; graphs above
``minibatch_above_edges`` train on mini-batches of pairs with sampled neighbourhoods
(:mod:`gnn.sampling`). Two variants are trained: ``gnn`` (encoder + pair features) and
``pairwise`` (pair features only, a learned combination of the heuristics); the one with the
better validation AUC is selected, so small graphs do not pay for an encoder they cannot fit.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gnn.data import LinkGraph, NodeFeatures, View, build_view
from gnn.features import HEURISTICS, heuristic_scores
from gnn.metrics import link_metrics
from gnn.splits import LinkSplit, active_nodes, pair_keys, sample_negatives
from graphkit.errors import InputError

if TYPE_CHECKING:
    from gnn.model import LinkPredictor

__all__ = ["TrainConfig", "TrainResult", "score_pairs", "train_link_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of :func:`train_link_model` (saved in the model card)."""

    epochs: int = 100
    hidden: int = 64
    encoder: str = "sage"
    lr: float = 0.01
    weight_decay: float = 5e-4
    dropout: float = 0.1
    folds: int = 5
    negatives_per_positive: int = 2
    hard_fraction: float = 0.1
    eval_every: int = 5
    minibatch_above_edges: int = 400_000
    batch_pairs: int = 4096
    fanouts: tuple[int, ...] = (10, 5)
    variants: tuple[str, ...] = ("gnn", "pairwise")

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.hidden < 1 or self.folds < 1 or self.eval_every < 1:
            raise InputError("epochs, hidden, folds and eval_every must be positive")
        if not 0 <= self.hard_fraction <= 1:
            raise InputError("hard_fraction must be in [0, 1]")
        if not set(self.variants) <= {"gnn", "pairwise"} or not self.variants:
            raise InputError("variants must be a non-empty subset of ('gnn', 'pairwise')")


@dataclass(frozen=True, eq=False)
class TrainResult:
    """A trained model with the names of its inputs and its metrics per split and scorer."""

    model: LinkPredictor
    variant: str
    config: TrainConfig
    seed: int
    x_names: tuple[str, ...]
    pair_names: tuple[str, ...]
    edge_attr_names: tuple[str, ...]
    metrics: dict[str, dict[str, dict[str, float]]]
    split: dict[str, Any]
    train_seconds: float
    history: dict[str, Any] = field(default_factory=dict)

    def card_config(self) -> dict[str, Any]:
        return {"variant": self.variant, "seed": self.seed, **asdict(self.config)}


@dataclass(frozen=True, eq=False)
class _Batch:
    view: View
    tensors: dict[str, Any]


def _tensors(view: View, pairs: np.ndarray, labels: np.ndarray | None) -> dict[str, Any]:
    import torch

    out = {
        "x": torch.from_numpy(view.x),
        "edge_index": torch.from_numpy(view.edge_index),
        "edge_attr": torch.from_numpy(view.edge_attr),
        "pairs": torch.from_numpy(pairs.T.copy()),
        "pair_x": torch.from_numpy(view.pair_x(pairs[:, 0], pairs[:, 1]).astype(np.float32)),
    }
    if labels is not None:
        out["labels"] = torch.from_numpy(labels.astype(np.float32))
    return out


def _folds(
    graph: LinkGraph,
    features: NodeFeatures,
    split: LinkSplit,
    config: TrainConfig,
    rng: np.random.Generator,
) -> list[_Batch]:
    n = graph.n_nodes
    keys = pair_keys(n, split.train_pos)
    rec_keys = graph.u * n + graph.v
    visible = split.train_records & graph.layer_mask(split.target_layers)
    hidden_by_folds = bool(np.isin(rec_keys[visible], keys).any())
    n_folds = min(config.folds, keys.size) if hidden_by_folds else 1
    parts = np.array_split(rng.permutation(keys), n_folds)
    batches = []
    for part in parts:
        records = split.train_records & ~(
            graph.layer_mask(split.target_layers) & np.isin(rec_keys, part)
        )
        view = build_view(graph, features, records, until_s=split.val_until_s)
        active = active_nodes(graph, records)
        part = part[active[part // n] & active[part % n]]
        if part.size == 0:
            continue
        neg = sample_negatives(
            view.adj,
            config.negatives_per_positive * part.size,
            exclude_keys=split.known_keys,
            hard_fraction=config.hard_fraction,
            rng=rng,
            nodes=np.flatnonzero(active),
        )
        pos = np.stack([part // n, part % n], axis=1)
        pairs = np.vstack([pos, neg])
        labels = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
        batches.append(_Batch(view, _tensors(view, pairs, labels)))
    if not batches:
        raise InputError("no training tie joins two visible actors")
    return batches


def score_pairs(
    model: LinkPredictor,
    view: View,
    pairs: np.ndarray,
    *,
    seed: int = 0,
    config: TrainConfig | None = None,
) -> np.ndarray:
    """Probabilities for ``pairs`` (k, 2) over ``view``: full graph, or sampled when large."""
    import torch

    cfg = config or TrainConfig()
    model.eval()
    with torch.no_grad():
        t = _tensors(view, pairs, None)
        if view.edge_index.shape[1] <= cfg.minibatch_above_edges:
            logits = model(t["x"], t["edge_index"], t["edge_attr"], t["pairs"], t["pair_x"])
        else:
            logits = _minibatch_logits(model, view, t, np.random.default_rng(seed), cfg, None)
    return torch.sigmoid(logits).numpy().astype(np.float64)


def _minibatch_logits(
    model: LinkPredictor,
    view: View,
    t: dict[str, Any],
    rng: np.random.Generator,
    cfg: TrainConfig,
    order: np.ndarray | None,
) -> Any:
    """Logits of t["pairs"] in batches over sampled neighbourhoods (``order`` = batch order)."""
    import torch

    from gnn.sampling import csr_by_target, sample_subgraph

    csr = csr_by_target(view.edge_index, view.n_nodes)
    pairs = t["pairs"].numpy()
    k = pairs.shape[1]
    idx = np.arange(k) if order is None else order
    out = []
    for start in range(0, k, cfg.batch_pairs):
        sel = idx[start : start + cfg.batch_pairs]
        p = pairs[:, sel]
        sub = sample_subgraph(csr, p.ravel(), cfg.fanouts, rng)
        srt = np.argsort(sub.nodes, kind="stable")
        local = srt[np.searchsorted(sub.nodes[srt], p)]
        x = t["x"][torch.from_numpy(sub.nodes)]
        ea = t["edge_attr"][torch.from_numpy(sub.edge_ids)]
        h = model.encode(x, torch.from_numpy(sub.edge_index), ea)
        pxs = model.standardise_pairs(t["pair_x"][torch.from_numpy(sel)])
        out.append(model.decode_std(h, torch.from_numpy(local), pxs))
    return torch.cat(out) if out else torch.zeros(0)


def _heuristic_metrics(view: View, pos: np.ndarray, neg: np.ndarray) -> dict[str, dict[str, float]]:
    hp = heuristic_scores(view.adj, pos[:, 0], pos[:, 1])
    hn = heuristic_scores(view.adj, neg[:, 0], neg[:, 1])
    return {name: link_metrics(hp[name], hn[name]) for name in HEURISTICS}


def _fit_variant(
    variant: str,
    folds: list[_Batch],
    val: dict[str, Any],
    val_view: View,
    n_val_pos: int,
    config: TrainConfig,
    seed: int,
) -> tuple[LinkPredictor, dict[str, Any]]:
    import torch

    from gnn.model import LinkPredictor

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    first = folds[0].tensors
    model = LinkPredictor(
        in_dim=first["x"].shape[1],
        edge_dim=first["edge_attr"].shape[1],
        pair_dim=first["pair_x"].shape[1],
        hidden=config.hidden,
        encoder=config.encoder,
        dropout=config.dropout,
        variant=variant,
    )
    model.set_standardisation(
        torch.cat([b.tensors["x"] for b in folds]), torch.cat([b.tensors["pair_x"] for b in folds])
    )
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    big = folds[0].view.edge_index.shape[1] > config.minibatch_above_edges
    best_auc, best_state, best_epoch, losses = -1.0, copy.deepcopy(model.state_dict()), 0, []
    for epoch in range(1, config.epochs + 1):
        t = folds[(epoch - 1) % len(folds)].tensors
        model.train()
        if big:
            order = rng.permutation(t["labels"].shape[0])
            for start in range(0, order.size, config.batch_pairs):
                sel = order[start : start + config.batch_pairs]
                opt.zero_grad()
                logits = _minibatch_logits(
                    model, folds[(epoch - 1) % len(folds)].view, t, rng, config, sel
                )
                loss = loss_fn(logits, t["labels"][torch.from_numpy(sel)])
                loss.backward()
                opt.step()
        else:
            opt.zero_grad()
            logits = model(t["x"], t["edge_index"], t["edge_attr"], t["pairs"], t["pair_x"])
            loss = loss_fn(logits, t["labels"])
            loss.backward()
            opt.step()
        losses.append(float(loss.detach()))
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            scores = _score_tensors(model, val_view, val, seed, config)
            auc = link_metrics(scores[:n_val_pos], scores[n_val_pos:])["auc"]
            if auc > best_auc:
                best_auc, best_epoch = auc, epoch
                best_state = copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    model.eval()
    return model, {"best_epoch": best_epoch, "best_val_auc": best_auc, "loss": losses[-1]}


def _score_tensors(
    model: LinkPredictor, view: View, t: dict[str, Any], seed: int, config: TrainConfig
) -> np.ndarray:
    import torch

    model.eval()
    with torch.no_grad():
        if view.edge_index.shape[1] <= config.minibatch_above_edges:
            logits = model(t["x"], t["edge_index"], t["edge_attr"], t["pairs"], t["pair_x"])
        else:
            logits = _minibatch_logits(model, view, t, np.random.default_rng(seed), config, None)
    return torch.sigmoid(logits).numpy().astype(np.float64)


def train_link_model(
    graph: LinkGraph,
    features: NodeFeatures,
    split: LinkSplit,
    *,
    seed: int,
    config: TrainConfig | None = None,
) -> TrainResult:
    """Train on ``split`` and report validation and test metrics beside the heuristics.

    Deterministic for a fixed ``seed`` on one machine with one thread; results vary with
    thread count and hardware in the last digits (floating-point summation order).
    """
    import torch

    cfg = config or TrainConfig()
    if split.train_pos.shape[0] < 2:
        raise InputError("too few training ties to learn from")
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    folds = _folds(graph, features, split, cfg, rng)
    val_view = build_view(graph, features, split.val_records, until_s=split.val_until_s)
    val = _tensors(val_view, np.vstack([split.val_pos, split.val_neg]), None)
    n_val = split.val_pos.shape[0]
    fitted = {v: _fit_variant(v, folds, val, val_view, n_val, cfg, seed) for v in cfg.variants}
    train_seconds = time.perf_counter() - t0
    variant = max(cfg.variants, key=lambda v: (fitted[v][1]["best_val_auc"], v == "gnn"))
    model = fitted[variant][0]
    test_view = build_view(graph, features, split.test_records, until_s=split.test_until_s)
    metrics: dict[str, dict[str, dict[str, float]]] = {}
    for name, view, pos, neg, t in (
        ("val", val_view, split.val_pos, split.val_neg, val),
        ("test", test_view, split.test_pos, split.test_neg, None),
    ):
        t = t if t is not None else _tensors(view, np.vstack([pos, neg]), None)
        row = _heuristic_metrics(view, pos, neg)
        for v, (m, _) in fitted.items():
            s = _score_tensors(m, view, t, seed, cfg)
            row[v] = link_metrics(s[: len(pos)], s[len(pos) :])
        row["selected"] = dict(row[variant])
        metrics[name] = row
    logger.info(
        "trained %s in %.1fs; test AUC %.3f",
        variant,
        train_seconds,
        metrics["test"]["selected"]["auc"],
    )
    return TrainResult(
        model=model,
        variant=variant,
        config=cfg,
        seed=seed,
        x_names=folds[0].view.x_names,
        pair_names=folds[0].view.pair_names,
        edge_attr_names=folds[0].view.edge_attr_names,
        metrics=metrics,
        split=dict(split.settings),
        train_seconds=train_seconds,
        history={v: info for v, (_, info) in fitted.items()},
    )
