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
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gnn.calibration import Calibration, expected_calibration_error, fit_platt, reliability_curve
from gnn.candidates import candidate_keys, walk_pair_keys
from gnn.data import SIDE_SIGNALS, LinkGraph, NodeFeatures, View, build_view
from gnn.features import HEURISTICS, heuristic_scores
from gnn.metrics import link_metrics
from gnn.ranking import (
    RankingSet,
    paired_hits_p,
    ranking_metrics,
    ranking_set,
)
from gnn.scorers import BASELINES, SHARED_NEIGHBOUR_INDICES, ppr_matrix, score_pairs_by
from gnn.splits import LinkSplit, active_nodes, pair_keys, sample_negatives
from graphkit.errors import InputError
from graphkit.setops import setdiff, union

if TYPE_CHECKING:
    from gnn.predictor import LinkPredictor

__all__ = [
    "EvaluationLists",
    "ScoredList",
    "TrainConfig",
    "TrainResult",
    "baseline_signal",
    "baseline_signals",
    "evaluation_lists",
    "filled_below",
    "heldout_ranking_set",
    "path_fill",
    "path_fill_name",
    "score_pairs",
    "train_link_model",
    "validation_set",
    "view_baselines",
    "warm_path_fill",
]

logger = logging.getLogger(__name__)

_ALL_PAIRS_BELOW = 300_000  # up to this many pairs of visible actors, every pair is a candidate
_PPR_DENSE_MAX = 25_000_000  # cells of a view's whole personalised-PageRank matrix kept
_TEST_STREAM = 0x7E57  # the test list's sample: numpy's generator seeded with (seed, this)
_VAL_STREAM = 0x7A1  # the validation list's sample, likewise


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
    negatives_per_positive: int = 4
    hard_fraction: float = 0.75  # share of training negatives drawn from the candidate pairs
    ranking_weight: float = 1.0  # weight of the pairwise ranking loss beside the BCE
    hits_k: int = 50  # selection and fallback compare hits at this depth of the list
    #: the learned model ranks only when it holds more validation ties in its top ``hits_k``
    #: than the best baseline and the paired sign-flip test puts that above chance at this level
    selection_alpha: float = 0.05
    #: candidate negatives scored per evaluation (sampled above): the ``eval_head`` best by
    #: each baseline, the rest drawn uniformly and weighted by the inverse sampling rate
    eval_candidates: int = 100_000
    eval_head: int = 2_000
    max_candidates: int = 2_000_000  # candidate pairs of a view (3 hops, Katz top per actor)
    eval_every: int = 5
    #: stop once this many evaluations in a row bring no better validation list (after
    #: ``min_epochs``); 0 = train every epoch
    patience_evals: int = 6
    min_epochs: int = 50
    minibatch_above_edges: int = 400_000
    batch_pairs: int = 4096
    fanouts: tuple[int, ...] = (10, 5)
    variants: tuple[str, ...] = ("gnn", "pairwise")

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.hidden < 1 or self.folds < 1 or self.eval_every < 1:
            raise InputError("epochs, hidden, folds and eval_every must be positive")
        if not 0 <= self.dropout < 1:
            raise InputError("dropout must be in [0, 1)")
        if not 0 <= self.hard_fraction <= 1:
            raise InputError("hard_fraction must be in [0, 1]")
        if self.ranking_weight < 0 or self.hits_k < 1 or self.eval_candidates < 1:
            raise InputError("ranking_weight must be >= 0, hits_k and eval_candidates >= 1")
        if self.eval_head < 0:
            raise InputError("eval_head must be >= 0")
        if not 0 < self.selection_alpha <= 1:
            raise InputError("selection_alpha must be in (0, 1]")
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
    metrics: dict[str, Any]
    split: dict[str, Any]
    train_seconds: float
    history: dict[str, Any] = field(default_factory=dict)
    ranked_by: str = ""  # the learned variant, or the baseline the ranking fell back to
    calibration: Calibration = field(default_factory=Calibration)
    calibration_report: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)

    @property
    def falls_back(self) -> bool:
        """True when validation kept a baseline: the learned model did not beat it."""
        return bool(self.ranked_by) and self.ranked_by != self.variant

    def card_config(self) -> dict[str, Any]:
        return {"variant": self.variant, "seed": self.seed, **asdict(self.config)}


@dataclass(frozen=True, eq=False)
class _Batch:
    view: View
    tensors: dict[str, Any]


def _tensors(
    view: View, pairs: np.ndarray, labels: np.ndarray | None, pair_x: np.ndarray | None = None
) -> dict[str, Any]:
    """The model's inputs; ``pair_x``: the pairs' float32 features when already computed."""
    import torch

    if pair_x is None:
        pair_x = view.pair_x(pairs[:, 0], pairs[:, 1], dtype=np.float32)
    out = {
        "x": torch.from_numpy(view.x),
        "edge_index": torch.from_numpy(view.edge_index),
        "edge_attr": torch.from_numpy(view.edge_attr),
        "pairs": torch.from_numpy(pairs.T.copy()),
        "pair_x": torch.from_numpy(pair_x),
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
        # a fold's view is asked for the features of its ~50k training pairs only: from sparse
        # rows (the same values), not six n x n matrices per fold (demo: 0.95 vs 1.3 s CPU)
        view = build_view(graph, features, records, until_s=split.val_until_s, dense_pairs=False)
        active = active_nodes(graph, records)
        part = part[active[part // n] & active[part % n]]
        if part.size == 0:
            continue
        n_neg = config.negatives_per_positive * part.size
        # hard negatives drawn from the pairs the ranking will consider: on a small graph
        # every pair (as candidate_keys); otherwise ends of 2-3 step walks, drawn like the
        # 3-hop Katz candidates without computing them, plus a fifth from the pairs that side
        # signals such as co-location join; the rest uniform so that the model still places
        # distant pairs
        excl = union(split.known_keys, view.pair_keys)
        n_hard = round(n_neg * config.hard_fraction)
        n_active = int((np.diff(view.adj.indptr) > 0).sum())
        if n_active * (n_active - 1) // 2 <= _ALL_PAIRS_BELOW:
            cands = candidate_keys(view.adj, exclude_keys=excl, all_pairs_below=_ALL_PAIRS_BELOW)
            hard = rng.choice(cands, min(cands.size, n_hard), replace=False)
        else:
            side = setdiff(view.side_keys(), excl)
            n_side = min(side.size, n_hard // 5)
            walked = walk_pair_keys(view.adj, n_hard - n_side, exclude_keys=excl, rng=rng)
            near = rng.choice(side, n_side, replace=False) if n_side else side[:0]
            hard = union(walked, near)
        uniform = sample_negatives(
            view.adj,
            n_neg - hard.size,
            exclude_keys=union(split.known_keys, hard),
            hard_fraction=0.0,
            rng=rng,
            nodes=np.flatnonzero(active),
        )
        pos = np.stack([part // n, part % n], axis=1)
        pairs = np.vstack([pos, np.stack([hard // n, hard % n], axis=1), uniform])
        labels = np.r_[np.ones(len(pos)), np.zeros(len(pairs) - len(pos))]
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


def _ranking_loss(logits: Any, labels: Any, generator: Any) -> Any:
    """Pairwise logistic ranking loss (RankNet, Burges et al. 2005): each negative against a
    random positive of the batch, ``softplus(s_neg - s_pos)``."""
    import torch

    pos, neg = logits[labels > 0.5], logits[labels < 0.5]
    if pos.numel() == 0 or neg.numel() == 0:
        return logits.new_zeros(())
    match = torch.randint(pos.numel(), (neg.numel(),), generator=generator)
    return torch.nn.functional.softplus(neg - pos[match]).mean()


class _Adam:
    """Adam (Kingma & Ba 2015) with L2 weight decay: ``torch.optim.Adam``'s single-tensor CPU
    update, operation for operation (the same weights bit for bit, checked in
    tests/gnn/test_train.py). ``torch.optim`` imports ``torch._dynamo`` at the first step
    (1.1 s of CPU per command); this does not."""

    def __init__(self, params: Any, *, lr: float, weight_decay: float) -> None:
        import torch

        self.params = [p for p in params if p.requires_grad]
        self.lr, self.weight_decay = lr, weight_decay
        self.beta1, self.beta2, self.eps = 0.9, 0.999, 1e-8
        self.state: dict[int, tuple[Any, Any, Any]] = {}
        self._torch = torch

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        torch = self._torch
        with torch.no_grad():
            for i, param in enumerate(self.params):
                if param.grad is None:
                    continue
                if i not in self.state:
                    self.state[i] = (
                        torch.tensor(0.0),
                        torch.zeros_like(param, memory_format=torch.preserve_format),
                        torch.zeros_like(param, memory_format=torch.preserve_format),
                    )
                step_t, exp_avg, exp_avg_sq = self.state[i]
                step_t += 1
                grad = param.grad
                if self.weight_decay != 0:
                    grad = grad.add(param, alpha=self.weight_decay)
                exp_avg.lerp_(grad, 1 - self.beta1)
                exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
                step = step_t.item()
                step_size = self.lr / (1 - self.beta1**step)
                bias_correction2_sqrt = (1 - self.beta2**step) ** 0.5
                denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(self.eps)
                param.addcdiv_(exp_avg, denom, value=-step_size)


def _select_key(metrics: dict[str, float], k: int) -> tuple[float, float]:
    return (metrics[f"hits@{k}"], metrics["ap_candidates"])


def _new_model(variant: str, folds: list[_Batch], config: TrainConfig, seed: int) -> LinkPredictor:
    """A variant's untrained model: weights initialised from torch's global generator seeded
    with ``seed``, the feature standardisation fitted on the folds, and a generator of its
    own for dropout. Made in the calling thread, one variant after the other."""
    import torch

    from gnn.predictor import LinkPredictor

    torch.manual_seed(seed)
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
    model.generator = torch.Generator().manual_seed(seed)
    return model


def _fit_variants(
    folds: list[_Batch],
    lists: EvaluationLists,
    config: TrainConfig,
    seed: int,
    *,
    side_by_side: bool = True,
) -> dict[str, tuple[LinkPredictor, dict[str, Any]]]:
    """Every variant of ``config`` trained (:func:`_fit_variant`): the first in this thread,
    with ``side_by_side`` the others in threads of their own (torch releases the GIL; on the
    demo case the pairwise variant's 1 s leaves the main thread), otherwise one after the
    other here. Each variant reads only its own generators, so the weights are the same
    either way."""
    models = {v: _new_model(v, folds, config, seed) for v in config.variants}
    first, *others = config.variants
    if not others or not side_by_side:
        return {v: _fit_variant(models[v], folds, lists, config, seed) for v in config.variants}
    with ThreadPoolExecutor(max_workers=len(others), thread_name_prefix="link-fit") as pool:
        futures = {
            v: pool.submit(_fit_variant, models[v], folds, lists, config, seed) for v in others
        }
        fitted = {first: _fit_variant(models[first], folds, lists, config, seed)}
        fitted.update({v: f.result() for v, f in futures.items()})
    return {v: fitted[v] for v in config.variants}


def _fit_variant(
    model: LinkPredictor,
    folds: list[_Batch],
    lists: EvaluationLists,
    config: TrainConfig,
    seed: int,
) -> tuple[LinkPredictor, dict[str, Any]]:
    """Train ``model`` (:func:`_new_model`) on the folds, keeping the epoch with the best
    validation list; its random draws come from generators of its own, seeded with ``seed``.

    Every ``eval_every`` epochs the weights are scored on the validation list. Until that
    list is ready (a worker thread makes it) the weights are kept and training goes on; the
    kept weights are scored, in order, as soon as it is, and before the first epoch at which
    training may stop (``min_epochs``). Scoring weights later gives the scores scoring them
    then would, so the model is the one a training that waited for the list gives."""
    import torch

    from gnn.predictor import LinkPredictor

    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    opt = _Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    bce = torch.nn.BCEWithLogitsLoss()
    scorer = LinkPredictor(**model.config)  # scores kept weights; never trained
    val: RankingSet | None = None
    val_std: dict[str, Any] = {}
    waiting: list[tuple[int, dict[str, Any]]] = []  # (epoch, weights) not scored yet

    def loss_fn(logits: Any, labels: Any) -> Any:
        return bce(logits, labels) + config.ranking_weight * _ranking_loss(logits, labels, gen)

    big = folds[0].view.edge_index.shape[1] > config.minibatch_above_edges
    best_key, best_state, best_epoch, losses = (-1.0, -1.0), None, 0, []
    for epoch in range(1, config.epochs + 1):
        batch = folds[(epoch - 1) % len(folds)]
        t = batch.tensors
        model.train()
        if big:
            order = rng.permutation(t["labels"].shape[0])
            for start in range(0, order.size, config.batch_pairs):
                sel = order[start : start + config.batch_pairs]
                opt.zero_grad()
                logits = _minibatch_logits(model, batch.view, t, rng, config, sel)
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
        if not (epoch % config.eval_every == 0 or epoch == config.epochs):
            continue
        waiting.append((epoch, copy.deepcopy(model.state_dict())))
        must = epoch >= config.min_epochs or epoch == config.epochs
        if val is None and not (must or lists.validation_ready()):
            continue
        if val is None:
            made = lists.validation()
            val = made.rs
            # the standardisation is fixed: standardise the validation pairs once, not at
            # each evaluation (the same values the model's forward would compute)
            with torch.no_grad():
                val_std = {
                    **made.tensors,
                    "pair_xs": model.standardise_pairs(made.tensors["pair_x"]),
                }
        for at, state in waiting:
            scorer.load_state_dict(state)
            key = _select_key(
                ranking_metrics(_logits(scorer, val.view, val_std, seed, config), val),
                config.hits_k,
            )
            if key > best_key or best_state is None:
                best_key, best_epoch, best_state = key, at, state
        waiting.clear()
        stale = (epoch - best_epoch) // config.eval_every
        if config.patience_evals and epoch >= config.min_epochs and stale >= config.patience_evals:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return model, {
        "best_epoch": best_epoch,
        f"best_val_hits@{config.hits_k}": best_key[0],
        "best_val_ap_candidates": best_key[1],
        "epochs_run": len(losses),
        "loss": losses[-1],
    }


def _logits(
    model: LinkPredictor, view: View, t: dict[str, Any], seed: int, config: TrainConfig
) -> np.ndarray:
    """Logits of t["pairs"]; t["pair_xs"], when given, holds their pair features already
    standardised by this model (as its forward would)."""
    import torch

    model.eval()
    with torch.no_grad():
        if view.edge_index.shape[1] > config.minibatch_above_edges:
            logits = _minibatch_logits(model, view, t, np.random.default_rng(seed), config, None)
        elif "pair_xs" in t:
            h = model.encode(t["x"], t["edge_index"], t["edge_attr"])
            logits = model.decode_std(h, t["pairs"], t["pair_xs"])
        else:
            logits = model(t["x"], t["edge_index"], t["edge_attr"], t["pairs"], t["pair_x"])
    return logits.numpy().astype(np.float64)  # type: ignore[no-any-return]


def _score_tensors(
    model: LinkPredictor, view: View, t: dict[str, Any], seed: int, config: TrainConfig
) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-_logits(model, view, t, seed, config)))
    return out


def ppr_is_kept(view: View) -> bool:
    """Whether personalised PageRank is one of the view's baselines: only where its whole
    matrix is kept (:data:`_PPR_DENSE_MAX` cells, 5,000 actors). Beyond, every pair's score
    is a power iteration from both of its ends, and the lists' pairs reach nearly every actor:
    at 25,000 actors (100,000 ties) training took 167 s with it and 32 s without. Katz, the other
    path-based index, stays."""
    return view.n_nodes**2 <= _PPR_DENSE_MAX


def view_baselines(view: View) -> tuple[str, ...]:
    """The baselines of a view: the topological ones (:data:`gnn.scorers.BASELINES`, without
    personalised PageRank on large views: :func:`ppr_is_kept`) and the plain count of every
    side signal the view carries (co-location days, shared money counterparties), so a model
    that sees those data is compared with them alone."""
    topological = tuple(b for b in BASELINES if b != "ppr" or ppr_is_kept(view))
    return (*topological, *view.side)


def baseline_signal(
    name: str, view: View, pairs: np.ndarray, *, katz: np.ndarray | None = None
) -> np.ndarray:
    """A baseline's score as the input of its calibration (log of a positive score).

    A side signal (co-location days, shared money counterparties) ranks the pairs that have
    it by its count, and below every one of them the pairs without it by a path-based index
    (:func:`path_fill`): most pairs share no cell and no counterparty, and a count of 0 would
    leave them all tied. The top of the list is the count's alone (equal counts in pair
    order: breaking them by Katz put fewer hidden ties in the demo's top 100 on seeds 7-10,
    59, 62, 53, 63 against 68, 65, 60, 69); the AUC against uniform non-ties is no longer
    that of a coin for the pairs without it (demo seed 7, co-location: 0.665 with none,
    0.943 with Katz, 0.953 with personalised PageRank). ``katz``: the pairs' Katz scores
    when the caller has them."""
    if name in SIDE_SIGNALS:
        count = view.side_score(name, pairs[:, 0], pairs[:, 1])
        fill = path_fill(view, pairs, katz=katz)
        below: np.ndarray = 0.5 * fill / (1.0 + fill)  # < 0.5 <= 1 + 0.5 for any count
        return np.log(np.where(count > 0, count + 0.5, below) + 1e-12)
    if name == "ppr" and ppr_is_kept(view):
        raw = _kept_ppr(view, pairs)
    elif name == "katz":
        raw = (
            katz if katz is not None else score_pairs_by("katz", view.adj, pairs[:, 0], pairs[:, 1])
        )
    else:
        raw = score_pairs_by(name, view.adj, pairs[:, 0], pairs[:, 1])
        if name in SHARED_NEIGHBOUR_INDICES:
            return _neighbourhood_signal(raw, path_fill(view, pairs, katz=katz))
    out: np.ndarray = np.log(raw + 1e-9)
    return out


def filled_below(name: str) -> bool:
    """Whether a ranking by baseline ``name`` orders the pairs it scores 0 by a path-based
    index below the others (:func:`path_fill`): a side signal's count, or an index of shared
    neighbours."""
    return name in SIDE_SIGNALS or name in SHARED_NEIGHBOUR_INDICES


def _neighbourhood_signal(score: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """An index of shared neighbours (:data:`gnn.scorers.SHARED_NEIGHBOUR_INDICES`) as a
    signal: ``log(score)`` where the two ends share a neighbour, as before; the pairs that share
    none, which the index leaves tied at 0 (Montagna, 20 random hold-outs: 86-87 % of the uniform
    non-ties on both layers; 6.6 % of the held-out meeting ties, 42.5 % of the phone-call
    ties), below every one of them and in
    the order of ``fill`` (in ``[log 1e-9 - log 2, log 1e-9)``, under any positive score's
    ``log(score + 1e-9)``). The top of the list does not move; the AUC against uniform non-ties
    on Montagna, 20 random hold-outs (docs/gnn.md): resource allocation 0.946 alone, 0.961 with
    personalised PageRank below (meetings); 0.736 and 0.819 (phone calls)."""
    below = np.log(1e-9) + np.log(0.5 + 0.5 * fill / (1.0 + fill))
    out: np.ndarray = np.where(score > 0, np.log(score + 1e-9), below)
    return out


def path_fill(view: View, pairs: np.ndarray, *, katz: np.ndarray | None = None) -> np.ndarray:
    """The path-based index that orders the pairs a side signal leaves at 0: personalised
    PageRank where its matrix is kept (:func:`ppr_is_kept`), Katz beyond. On the demo seeds
    7-10 PPR put the planted hidden ties above uniform non-ties more often than Katz (AUC
    0.920-0.926 against 0.889-0.905 alone; below co-location 0.946-0.953 against
    0.925-0.943)."""
    if ppr_is_kept(view):
        return _kept_ppr(view, pairs)
    if katz is not None:
        return katz
    out: np.ndarray = score_pairs_by("katz", view.adj, pairs[:, 0], pairs[:, 1])
    return out


def path_fill_name(view: View) -> str:
    """The baseline name of :func:`path_fill` on ``view``: ``ppr`` or ``katz``."""
    return "ppr" if ppr_is_kept(view) else "katz"


def warm_path_fill(view: View) -> View:
    """Compute now what :func:`path_fill` reads of ``view`` (the kept PPR matrix), so a worker
    thread can make it while the model trains; returns the view."""
    if ppr_is_kept(view):
        _kept_ppr_matrix(view)
    return view


def _kept_ppr_matrix(view: View) -> np.ndarray:
    """The view's whole PPR matrix, computed once and kept with the view (the lists, the
    metrics and the final list reuse it)."""
    if "ppr" not in view.memo:
        view.memo["ppr"] = ppr_matrix(view.adj)
    mat: np.ndarray = view.memo["ppr"]
    return mat


def _kept_ppr(view: View, pairs: np.ndarray) -> np.ndarray:
    """``ppr_u(v) + ppr_v(u)`` from :func:`_kept_ppr_matrix`."""
    mat = _kept_ppr_matrix(view)
    out: np.ndarray = (
        mat[pairs[:, 1], pairs[:, 0]].astype(np.float64) + mat[pairs[:, 0], pairs[:, 1]]
    )
    return out


def baseline_signals(
    view: View, pairs: np.ndarray, *, heur: dict[str, np.ndarray] | None = None
) -> dict[str, np.ndarray]:
    """:func:`baseline_signal` of every baseline of the view (:func:`view_baselines`), the
    classic heuristics and Katz (which the side signals also read) computed once. ``heur``:
    the pairs' :func:`gnn.features.heuristic_scores` when the caller has them."""
    u, v = pairs[:, 0], pairs[:, 1]
    heur = heur if heur is not None else heuristic_scores(view.adj, u, v)
    katz = score_pairs_by("katz", view.adj, u, v)
    fill = path_fill(view, pairs, katz=katz)
    out = {}
    for name in view_baselines(view):
        if name in SHARED_NEIGHBOUR_INDICES:
            out[name] = _neighbourhood_signal(heur[name], fill)
        elif name in HEURISTICS:
            out[name] = np.log(heur[name] + 1e-9)
        else:
            out[name] = baseline_signal(name, view, pairs, katz=katz)
    return out


def validation_set(
    graph: LinkGraph, features: NodeFeatures, split: LinkSplit, *, seed: int, config: TrainConfig
) -> ScoredList:
    """The validation list (:func:`gnn.ranking.ranking_set`) with its model inputs, sampled
    with a generator of its own (seeded with ``(seed, 0x7A1)``): nothing the folds draw
    changes it, so a worker thread can make it while the folds are drawn and the training
    starts."""
    val_view = build_view(graph, features, split.val_records, until_s=split.val_until_s)
    # validation asks for its own ties: the test ties (also hidden there) are neither
    rs = ranking_set(
        val_view,
        split.val_pos,
        exclude_keys=union(split.known_keys, pair_keys(graph.n_nodes, split.test_pos)),
        max_candidates=config.max_candidates,
        eval_candidates=config.eval_candidates,
        rng=np.random.default_rng((seed, _VAL_STREAM)),
        priors=lambda pairs: baseline_signals(val_view, pairs),
        head=config.eval_head,
    )
    return _scored(rs, split.val_pos, split.val_neg)


def heldout_ranking_set(
    graph: LinkGraph, features: NodeFeatures, split: LinkSplit, *, seed: int, config: TrainConfig
) -> ScoredList:
    """The test list with its model inputs, sampled with a generator of its own (seeded with
    ``(seed, 0x7E57)``): nothing the training or the selection reads depends on it."""
    test_view = build_view(graph, features, split.test_records, until_s=split.test_until_s)
    rs = ranking_set(
        test_view,
        split.test_pos,
        exclude_keys=split.known_keys,
        max_candidates=config.max_candidates,
        eval_candidates=config.eval_candidates,
        rng=np.random.default_rng((seed, _TEST_STREAM)),
        priors=lambda pairs: baseline_signals(test_view, pairs),
        head=config.eval_head,
    )
    return _scored(rs, split.test_pos, split.test_neg)


@dataclass(frozen=True, eq=False)
class ScoredList:
    """A ranking list (:class:`~gnn.ranking.RankingSet`) and the model's inputs for its pairs
    (:func:`_tensors`), with those of the split's held-out ties and sampled non-ties of the
    same view (``pos``, then ``neg``: the AUC and AP against uniform non-ties)."""

    rs: RankingSet
    tensors: dict[str, Any]
    pos: np.ndarray
    neg: np.ndarray
    auc_tensors: dict[str, Any]
    #: AUC and AP of every baseline of the view (:func:`view_baselines`) and of every classic
    #: heuristic on ``pos`` against ``neg``
    baseline_metrics: dict[str, dict[str, float]]


def _scored(rs: RankingSet, pos: np.ndarray, neg: np.ndarray) -> ScoredList:
    """The model's inputs and the baselines' metrics of a list, made in the thread that made
    the list: the view's dense pair matrices are in that thread's cache
    (:func:`gnn.features.dense_matrix`)."""
    view, both, n = rs.view, np.vstack([pos, neg]), len(pos)
    heur = heuristic_scores(view.adj, both[:, 0], both[:, 1])
    row = {name: link_metrics(heur[name][:n], heur[name][n:]) for name in HEURISTICS}
    # a baseline's row is that of the ranking by it; an index of shared neighbours alone
    # (its pairs without one tied at 0) keeps its row as ``<name>_alone``
    for b in SHARED_NEIGHBOUR_INDICES:
        row[f"{b}_alone"] = row[b]
    signals = baseline_signals(view, both, heur=heur)
    for b in view_baselines(view):
        row[b] = link_metrics(signals[b][:n], signals[b][n:])
    return ScoredList(rs, _tensors(view, rs.pairs, None), pos, neg, _tensors(view, both, None), row)


class _Once:
    """A call made at most once, by whichever thread asks first (the others wait for it)."""

    def __init__(self, make: Callable[[], ScoredList]) -> None:
        self._make, self._lock = make, threading.Lock()
        self._value: ScoredList | None = None

    def __call__(self) -> ScoredList:
        with self._lock:
            if self._value is None:
                self._value = self._make()
            return self._value


@dataclass(frozen=True, eq=False)
class EvaluationLists:
    """How :func:`train_link_model` gets the validation and the test list: each a call that
    returns it (made then, once, or a worker's future's ``result``). ``validation_ready``
    says whether the validation list can be had without waiting: until it can, training
    goes on and keeps the weights each evaluation would have scored (:func:`_fit_variant`)."""

    validation: Callable[[], ScoredList]
    test: Callable[[], ScoredList]
    validation_ready: Callable[[], bool]


def evaluation_lists(
    graph: LinkGraph,
    features: NodeFeatures,
    split: LinkSplit,
    *,
    seed: int,
    config: TrainConfig | None = None,
    executor: Executor | None = None,
) -> EvaluationLists:
    """The validation and the test list of :func:`train_link_model`. With an ``executor``
    both are submitted to it now (validation first), so a worker thread makes them while the
    folds are drawn and the model trains (numpy and scipy release the GIL; the values are the
    same as made in the calling thread); without, they are made when first asked."""
    cfg = config or TrainConfig()
    if executor is None:
        return EvaluationLists(
            validation=_Once(lambda: validation_set(graph, features, split, seed=seed, config=cfg)),
            test=_Once(lambda: heldout_ranking_set(graph, features, split, seed=seed, config=cfg)),
            validation_ready=lambda: False,
        )
    val = executor.submit(validation_set, graph, features, split, seed=seed, config=cfg)
    test = executor.submit(heldout_ranking_set, graph, features, split, seed=seed, config=cfg)
    return EvaluationLists(validation=val.result, test=test.result, validation_ready=val.done)


def train_link_model(
    graph: LinkGraph,
    features: NodeFeatures,
    split: LinkSplit,
    *,
    seed: int,
    config: TrainConfig | None = None,
    lists: EvaluationLists | None = None,
    side_by_side: bool = True,
) -> TrainResult:
    """Train on ``split`` and report validation and test metrics beside the baselines.

    Each variant keeps the epoch with the most validation ties in its top ``hits_k``
    candidates (then the better average precision); the variant with more is selected,
    then compared with the baselines (:func:`view_baselines`) on the same
    validation list: unless it holds more ties there by more than chance (the paired
    sign-flip test of :func:`~gnn.ranking.paired_hits_p`, p <= ``selection_alpha``), the
    ranking falls back to the best baseline (``ranked_by``). The ranking's scores are
    Platt-calibrated on validation; the test split reports hits@k, AP, AUC and the
    calibration error. Deterministic for a fixed
    ``seed`` on one machine with one thread. ``lists``: :func:`evaluation_lists` of these
    arguments (default: made here, after the folds). ``side_by_side``: train the variants in
    threads of their own (:func:`_fit_variants`; the same weights either way).
    """
    import torch

    cfg = config or TrainConfig()
    if split.train_pos.shape[0] < 2:
        raise InputError("too few training ties to learn from")
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lists = lists or evaluation_lists(graph, features, split, seed=seed, config=cfg)
    folds = _folds(graph, features, split, cfg, rng)
    fitted = _fit_variants(folds, lists, cfg, seed, side_by_side=side_by_side)
    train_seconds = time.perf_counter() - t0
    val_list, test_list = lists.validation(), lists.test()
    val_rs, val_t = val_list.rs, val_list.tensors
    test_rs, test_t = test_list.rs, test_list.tensors
    signals: dict[str, dict[str, np.ndarray]] = {"val": {}, "test": {}}
    for v, (m, _) in fitted.items():
        signals["val"][v] = _logits(m, val_rs.view, val_t, seed, cfg)
        signals["test"][v] = _logits(m, test_rs.view, test_t, seed, cfg)
    baselines = view_baselines(val_rs.view)
    for part, rs in (("val", val_rs), ("test", test_rs)):
        signals[part].update(rs.priors or baseline_signals(rs.view, rs.pairs))
    ranking = {
        part: {name: ranking_metrics(sig, rs) for name, sig in signals[part].items()}
        for part, rs in (("val", val_rs), ("test", test_rs))
    }
    k = cfg.hits_k
    variant = max(cfg.variants, key=lambda v: (*_select_key(ranking["val"][v], k), v == "gnn"))
    best_baseline = max(baselines, key=lambda b: _select_key(ranking["val"][b], k))
    ahead = _select_key(ranking["val"][variant], k) > _select_key(ranking["val"][best_baseline], k)
    # more validation ties by a margin chance would give is not a reason to prefer a model
    # over a plain index: the learned model ranks only when the paired test says it is ahead
    beat_p = paired_hits_p(signals["val"][variant], signals["val"][best_baseline], val_rs, k)
    learned_wins = ahead and beat_p <= cfg.selection_alpha
    ranked_by = variant if learned_wins else best_baseline
    calibration = fit_platt(signals["val"][ranked_by], val_rs.labels, val_rs.weights)
    prob = calibration.apply(signals["test"][ranked_by])
    order = np.argsort(-prob, kind="stable")
    top = order[: int(np.searchsorted(np.cumsum(test_rs.weights[order]), 500)) + 1]
    calib_report = {
        "method": "platt",
        "fitted_on": "validation candidates",
        **calibration.as_dict(),
        "test_ece": expected_calibration_error(prob, test_rs.labels, test_rs.weights),
        "test_ece_top500": expected_calibration_error(
            prob[top], test_rs.labels[top], test_rs.weights[top]
        ),
        "test_reliability": reliability_curve(prob, test_rs.labels, test_rs.weights),
    }
    metrics: dict[str, Any] = {}
    for name, made in (("val", val_list), ("test", test_list)):
        row = dict(made.baseline_metrics)
        for v, (m, _) in fitted.items():
            sc = _score_tensors(m, made.rs.view, made.auc_tensors, seed, cfg)
            row[v] = link_metrics(sc[: len(made.pos)], sc[len(made.pos) :])
        row["selected"] = dict(row[ranked_by])
        metrics[name] = row
    for part in ("val", "test"):
        ranking[part]["selected"] = dict(ranking[part][ranked_by])
    metrics["val_ranking"], metrics["test_ranking"] = ranking["val"], ranking["test"]
    selection = {
        "learned_variant": variant,
        "best_baseline": best_baseline,
        "ranked_by": ranked_by,
        "learned_beats_baseline": bool(learned_wins),
        "learned_ahead_on_validation": bool(ahead),
        "learned_vs_baseline_p": beat_p,
        "criterion": (
            f"validation hits@{k} over candidate pairs, then average precision; the learned "
            f"model ranks only when it is ahead of the best baseline and the paired sign-flip "
            f"test over the validation ties gives p <= {cfg.selection_alpha:g}"
        ),
        "candidates": {"val": val_rs.n_candidates, "test": test_rs.n_candidates},
    }
    logger.info(
        "trained %s in %.1fs; ranking by %s; test hits@%d %.1f",
        variant,
        train_seconds,
        ranked_by,
        k,
        ranking["test"][ranked_by][f"hits@{k}"],
    )
    return TrainResult(
        model=fitted[variant][0],
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
        ranked_by=ranked_by,
        calibration=calibration,
        calibration_report=calib_report,
        selection=selection,
    )
