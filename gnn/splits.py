"""Splits that match the investigator's question, and negative sampling. All seeded.

* :func:`random_split` hides a random share of the ties of the target layer(s).
* :func:`temporal_split` shows the ties seen up to a time t and asks for the ties that first
  appear after t (only between actors already active before t).
* :func:`cross_layer_split` shows the source layers only (e.g. phone calls) and asks for the
  ties of the target layer (e.g. meetings).

Evaluation negatives are uniform non-ties of the target layer, as in the usual protocol (e.g.
Lichtenwalter et al. 2010 discuss its optimism); training negatives mix uniform pairs and hard
2-hop non-ties (pairs that share a neighbour but are not tied), which are the candidates an
analyst actually has to tell apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from gnn.data import LinkGraph
from graphkit.errors import InputError
from graphkit.setops import intersect, union, unique

__all__ = [
    "LinkSplit",
    "active_nodes",
    "cross_layer_split",
    "hidden_tie_split",
    "pair_keys",
    "random_split",
    "sample_negatives",
    "temporal_split",
]

_MAX_EVAL_NEGATIVES = 5000


@dataclass(frozen=True, eq=False)
class LinkSplit:
    """Record masks (which ties are visible) and labelled pairs for train, validation and test.

    Training sees ``train_records`` minus the fold being predicted; validation pairs are
    scored over ``val_records`` and test pairs over ``test_records``. Pairs are (k, 2) int
    arrays with ``a < b``; ``target_keys`` are all true target pairs (never negatives).
    """

    kind: str
    target_layers: tuple[str, ...]
    train_records: np.ndarray
    train_pos: np.ndarray
    val_records: np.ndarray
    val_pos: np.ndarray
    val_neg: np.ndarray
    test_records: np.ndarray
    test_pos: np.ndarray
    test_neg: np.ndarray
    known_keys: np.ndarray = field(repr=False)
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def val_until_s(self) -> float | None:
        """The time cut of the validation (and training) views; None unless temporal."""
        value = self.settings.get("t_val_s")
        return float(value) if value is not None else None

    @property
    def test_until_s(self) -> float | None:
        """The time cut of the test view; None unless temporal."""
        value = self.settings.get("t_test_s")
        return float(value) if value is not None else None


def pair_keys(n_nodes: int, pairs: np.ndarray) -> np.ndarray:
    """Sorted-pair keys ``min * n + max`` (int64) of a (k, 2) pair array."""
    a = np.minimum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    b = np.maximum(pairs[:, 0], pairs[:, 1]).astype(np.int64)
    keys: np.ndarray = a * n_nodes + b
    return keys


def _keys_to_pairs(n_nodes: int, keys: np.ndarray) -> np.ndarray:
    return np.stack([keys // n_nodes, keys % n_nodes], axis=1).astype(np.int64)


def _target_pairs(graph: LinkGraph, layers: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    mask = graph.layer_mask(layers)
    keys = graph.u[mask] * graph.n_nodes + graph.v[mask]
    uniq, inv = np.unique(keys, return_inverse=True)
    first = np.full(uniq.size, np.inf)
    np.minimum.at(first, inv, np.where(np.isnan(graph.first_s[mask]), np.inf, graph.first_s[mask]))
    return uniq, first


def sample_negatives(
    adj: sp.csr_matrix,
    count: int,
    *,
    exclude_keys: np.ndarray,
    hard_fraction: float,
    rng: np.random.Generator,
    nodes: np.ndarray | None = None,
) -> np.ndarray:
    """``count`` distinct non-target pairs: a share of 2-hop pairs (hard) and uniform pairs.

    ``exclude_keys`` (sorted pair keys) are never returned. ``nodes`` limits uniform pairs to
    those nodes. Fewer pairs come back when the graph has fewer candidates.
    """
    n = adj.shape[0]
    pool = np.arange(n) if nodes is None else np.asarray(nodes, dtype=np.int64)
    excl = np.sort(exclude_keys)
    n_hard = round(count * hard_fraction)
    deg = np.diff(adj.indptr)
    chosen: list[np.ndarray] = []
    have = np.zeros(0, dtype=np.int64)

    def _accept(keys: np.ndarray, want: int) -> None:
        nonlocal have
        keys = unique(keys)
        keys = keys[~np.isin(keys, excl) & ~np.isin(keys, have)]
        keys = rng.permutation(keys)[:want]
        chosen.append(keys)
        have = np.sort(np.concatenate([have, keys]))

    if n_hard and deg.sum() > 0:
        starts = np.flatnonzero(deg > 0)
        for _ in range(4):
            need = n_hard - have.size
            if need <= 0:
                break
            m = need * 3
            a = rng.choice(starts, m)
            mid = adj.indices[adj.indptr[a] + (rng.random(m) * deg[a]).astype(np.int64)]
            b = adj.indices[adj.indptr[mid] + (rng.random(m) * deg[mid]).astype(np.int64)]
            ok = a != b
            _accept(np.minimum(a, b)[ok] * n + np.maximum(a, b)[ok], need)
    for _ in range(8):
        need = count - have.size
        if need <= 0 or pool.size < 2:
            break
        m = need * 2 + 16
        a, b = rng.choice(pool, m), rng.choice(pool, m)
        ok = a != b
        _accept(np.minimum(a, b)[ok] * n + np.maximum(a, b)[ok], need)
    keys = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    return _keys_to_pairs(n, keys)


def _eval_negatives(
    n: int, count: int, exclude: np.ndarray, rng: np.random.Generator, nodes: np.ndarray
) -> np.ndarray:
    """Uniform non-target pairs among ``nodes``; all of them when there are few."""
    possible = nodes.size * (nodes.size - 1) // 2
    if possible <= 2 * count:
        a, b = np.triu_indices(nodes.size, k=1)
        keys = nodes[a] * n + nodes[b]
        keys = keys[~np.isin(keys, exclude)]
        keys = np.sort(rng.permutation(keys)[:count])
        return _keys_to_pairs(n, keys)
    dummy = sp.csr_matrix((n, n))
    return sample_negatives(
        dummy, count, exclude_keys=exclude, hard_fraction=0.0, rng=rng, nodes=nodes
    )


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
        raise InputError("val_fraction and test_fraction must be in (0, 1) with a sum below 1")


def _finish(
    graph: LinkGraph,
    kind: str,
    layers: tuple[str, ...],
    records: tuple[np.ndarray, np.ndarray, np.ndarray],
    pos: tuple[np.ndarray, np.ndarray, np.ndarray],
    all_keys: np.ndarray,
    rng: np.random.Generator,
    settings: dict[str, Any],
    neg_nodes: tuple[np.ndarray, np.ndarray],
) -> LinkSplit:
    n = graph.n_nodes
    # Ask only about actors the model can see: an actor whose every tie is hidden would be
    # isolated, and "isolated in the view" would betray the hidden tie (a split artefact).
    act_val, act_test = active_nodes(graph, records[1]), active_nodes(graph, records[2])
    pos = (pos[0], _between(pos[1], act_val, n), _between(pos[2], act_test, n))
    neg_nodes = (
        intersect(neg_nodes[0], np.flatnonzero(act_val)),
        intersect(neg_nodes[1], np.flatnonzero(act_test)),
    )
    if pos[1].size == 0 or pos[2].size == 0:
        raise InputError("the split leaves no hidden ties between visible actors")
    n_neg_val = min(_MAX_EVAL_NEGATIVES, max(50 * pos[1].size, 500))
    n_neg_test = min(_MAX_EVAL_NEGATIVES, max(50 * pos[2].size, 500))
    val_neg = _eval_negatives(n, n_neg_val, all_keys, rng, neg_nodes[0])
    test_neg = _eval_negatives(n, n_neg_test, all_keys, rng, neg_nodes[1])
    known = np.sort(np.concatenate([pos[0], _visible_target_keys(graph, records[0], layers)]))
    return LinkSplit(
        kind=kind,
        target_layers=layers,
        train_records=records[0],
        train_pos=_keys_to_pairs(n, pos[0]),
        val_records=records[1],
        val_pos=_keys_to_pairs(n, pos[1]),
        val_neg=val_neg,
        test_records=records[2],
        test_pos=_keys_to_pairs(n, pos[2]),
        test_neg=test_neg,
        known_keys=unique(known),
        settings=settings,
    )


def active_nodes(graph: LinkGraph, records: np.ndarray) -> np.ndarray:
    """Boolean mask of the nodes with at least one visible record."""
    seen = np.zeros(graph.n_nodes, dtype=bool)
    seen[graph.u[records]] = True
    seen[graph.v[records]] = True
    return seen


def _between(keys: np.ndarray, active: np.ndarray, n: int) -> np.ndarray:
    kept: np.ndarray = keys[active[keys // n] & active[keys % n]]
    return kept


def _visible_target_keys(
    graph: LinkGraph, records: np.ndarray, layers: tuple[str, ...]
) -> np.ndarray:
    mask = records & graph.layer_mask(layers)
    return unique(graph.u[mask] * graph.n_nodes + graph.v[mask])


def _hide(graph: LinkGraph, layers: tuple[str, ...], keys: np.ndarray) -> np.ndarray:
    rec_keys = graph.u * graph.n_nodes + graph.v
    return ~(graph.layer_mask(layers) & np.isin(rec_keys, keys))


def _layers(graph: LinkGraph, target_layers: tuple[str, ...] | None) -> tuple[str, ...]:
    return tuple(target_layers) if target_layers else graph.layers


def random_split(
    graph: LinkGraph,
    *,
    seed: int,
    target_layers: tuple[str, ...] | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    thin: bool = False,
) -> LinkSplit:
    """Hide a random ``test_fraction`` (and ``val_fraction``) of the target-layer ties.

    ``thin``: a tie is hidden with a probability inversely proportional to its volume (events
    over its target-layer records), so the question resembles the ties that were never
    observed: a tie with rate r goes unseen with probability exp(-r T), so unobserved ties are
    the low-volume kind, and a tie seen once is their closest observed relative.
    """
    _check_fractions(val_fraction, test_fraction)
    layers = _layers(graph, target_layers)
    rng = np.random.default_rng(seed)
    keys, _ = _target_pairs(graph, layers)
    if keys.size < 10:
        raise InputError(f"too few ties to split ({keys.size}); need at least 10")
    if thin:
        mask = graph.layer_mask(layers)
        rec = graph.u[mask] * graph.n_nodes + graph.v[mask]
        volume = np.zeros(keys.size)
        np.add.at(volume, np.searchsorted(keys, rec), np.maximum(graph.weight[mask], 0.0))
        p = 1.0 / np.maximum(volume, 1.0)
        perm = rng.choice(keys, keys.size, replace=False, p=p / p.sum())
    else:
        perm = rng.permutation(keys)
    n_test = max(1, round(test_fraction * keys.size))
    n_val = max(1, round(val_fraction * keys.size))
    test, val, train = perm[:n_test], perm[n_test : n_test + n_val], perm[n_test + n_val :]
    test_records = _hide(graph, layers, test)
    val_records = test_records & _hide(graph, layers, val)
    every = np.arange(graph.n_nodes)
    settings = {
        "kind": "random",
        "thin": thin,
        "seed": seed,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "target_layers": list(layers),
    }
    return _finish(
        graph,
        "random",
        layers,
        (val_records, val_records, test_records),
        (np.sort(train), np.sort(val), np.sort(test)),
        keys,
        rng,
        settings,
        (every, every),
    )


def temporal_split(
    graph: LinkGraph,
    *,
    seed: int,
    target_layers: tuple[str, ...] | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> LinkSplit:
    """Ties first seen up to t are visible; predict the target ties that first appear after t.

    t (and t_val < t for validation) are quantiles of the target ties' first times. Only pairs
    of actors already active before the cut are asked for (a model cannot place a stranger).
    Volumes of visible ties are totals over the whole period (a limitation of the aggregated
    actor graph; documented in the model card).
    """
    _check_fractions(val_fraction, test_fraction)
    layers = _layers(graph, target_layers)
    rng = np.random.default_rng(seed)
    keys, first = _target_pairs(graph, layers)
    if not np.isfinite(first).any():
        raise InputError("no tie has a first time; use a random split")
    times = np.sort(first[np.isfinite(first)])
    t_test = float(times[int((1 - test_fraction) * (times.size - 1))])
    t_val = float(times[int((1 - test_fraction - val_fraction) * (times.size - 1))])
    rec_first = np.where(np.isnan(graph.first_s), -np.inf, graph.first_s)
    test_records, val_records = rec_first <= t_test, rec_first <= t_val

    def _active(records: np.ndarray) -> np.ndarray:
        return active_nodes(graph, records)

    def _asked(lo: float, hi: float, records: np.ndarray) -> np.ndarray:
        sel = keys[(first > lo) & (first <= hi)]
        act = _active(records)
        return np.sort(sel[act[sel // graph.n_nodes] & act[sel % graph.n_nodes]])

    train = np.sort(keys[first <= t_val])
    val = _asked(t_val, t_test, val_records)
    test = _asked(t_test, np.inf, test_records)
    if val.size == 0 or test.size == 0:
        raise InputError("the temporal split leaves no new ties between active actors")
    settings = {
        "kind": "temporal",
        "seed": seed,
        "t_val_s": t_val,
        "t_test_s": t_test,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "target_layers": list(layers),
    }
    return _finish(
        graph,
        "temporal",
        layers,
        (val_records, val_records, test_records),
        (train, val, test),
        keys,
        rng,
        settings,
        (np.flatnonzero(_active(val_records)), np.flatnonzero(_active(test_records))),
    )


def cross_layer_split(
    graph: LinkGraph,
    *,
    seed: int,
    source_layers: tuple[str, ...],
    target_layers: tuple[str, ...],
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
) -> LinkSplit:
    """Only the source layers are visible; target-layer ties are split into train/val/test."""
    _check_fractions(val_fraction, test_fraction)
    if set(source_layers) & set(target_layers):
        raise InputError("source and target layers must differ")
    rng = np.random.default_rng(seed)
    keys, _ = _target_pairs(graph, tuple(target_layers))
    if keys.size < 10:
        raise InputError(f"too few target ties to split ({keys.size}); need at least 10")
    perm = rng.permutation(keys)
    n_test = max(1, round(test_fraction * keys.size))
    n_val = max(1, round(val_fraction * keys.size))
    test, val, train = perm[:n_test], perm[n_test : n_test + n_val], perm[n_test + n_val :]
    records = graph.layer_mask(source_layers)
    every = np.arange(graph.n_nodes)
    settings = {
        "kind": "cross_layer",
        "seed": seed,
        "source_layers": list(source_layers),
        "target_layers": list(target_layers),
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
    }
    return _finish(
        graph,
        "cross_layer",
        tuple(target_layers),
        (records, records, records),
        (np.sort(train), np.sort(val), np.sort(test)),
        keys,
        rng,
        settings,
        (every, every),
    )


def hidden_tie_split(
    graph: LinkGraph,
    hidden_pairs: np.ndarray,
    *,
    seed: int,
    val_fraction: float = 0.1,
) -> LinkSplit:
    """Everything observed is visible; the test asks for ``hidden_pairs`` (k, 2 node indices),
    ties known to exist but absent from the data (e.g. a simulator's planted hidden ties).

    Validation hides ``val_fraction`` of the observed ties; training uses the rest.
    """
    _check_fractions(val_fraction, 0.5)
    layers = graph.layers
    rng = np.random.default_rng(seed)
    keys, _ = _target_pairs(graph, layers)
    hidden = unique(pair_keys(graph.n_nodes, np.asarray(hidden_pairs, dtype=np.int64)))
    hidden = hidden[~np.isin(hidden, keys)]
    if keys.size < 10 or hidden.size == 0:
        raise InputError("need at least 10 observed ties and one hidden tie not observed")
    perm = rng.permutation(keys)
    n_val = max(1, round(val_fraction * keys.size))
    val, train = perm[:n_val], perm[n_val:]
    test_records = np.ones(graph.n_records, dtype=bool)
    val_records = _hide(graph, layers, val)
    every = np.arange(graph.n_nodes)
    settings = {
        "kind": "hidden_ties",
        "seed": seed,
        "val_fraction": val_fraction,
        "hidden_pairs": int(hidden.size),
    }
    all_keys = union(keys, hidden)
    return _finish(
        graph,
        "hidden_ties",
        layers,
        (val_records, val_records, test_records),
        (np.sort(train), np.sort(val), hidden),
        all_keys,
        rng,
        settings,
        (every, every),
    )
