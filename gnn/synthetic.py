"""A small seeded graph with planted hidden ties whose ends share a behavioural signal.

Used by the tests and the benchmark until (and beside) the case simulator. Actors belong to
sparse groups; each group has its own weekly rhythm (the hours its members are active), so
members of a group call little but keep the same hours. A share of the within-group ties is
planted as *hidden*: real relationships absent from the observed calls. Structure alone
(common neighbours) finds few of them because groups are sparse; the rhythm finds more. This
is the situation the model is for, not evidence that real data behaves so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PlantedGraph", "planted_hidden_ties"]


@dataclass(frozen=True, eq=False)
class PlantedGraph:
    """Observed edges (src, dst, layer, weight, first, last), rhythms, and the hidden ties."""

    edges: pd.DataFrame
    node_ids: np.ndarray
    hour_of_week: np.ndarray
    hidden: pd.DataFrame
    group: np.ndarray


def planted_hidden_ties(
    *,
    seed: int,
    n_nodes: int = 400,
    group_size: int = 20,
    within_degree: float = 3.0,
    between_degree: float = 1.0,
    hidden_share: float = 0.3,
    rhythm_strength: float = 0.6,
    days: int = 60,
) -> PlantedGraph:
    """Generate a planted graph (stochastic block model with group rhythms).

    Expected within-group degree ``within_degree`` and between-group degree
    ``between_degree``; ``hidden_share`` of within-group ties are hidden; each actor's events
    follow its group's rhythm with weight ``rhythm_strength`` and a shared background rhythm
    otherwise. Node ids are ``A0000``...; deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    n_groups = max(1, n_nodes // group_size)
    group = np.arange(n_nodes) % n_groups
    a, b = np.triu_indices(n_nodes, k=1)
    same = group[a] == group[b]
    p_in = within_degree / max(group_size - 1, 1)
    p_out = between_degree / max(n_nodes - group_size, 1)
    tie = rng.random(a.size) < np.where(same, p_in, p_out)
    a, b, same = a[tie], b[tie], same[tie]
    hidden = same & (rng.random(a.size) < hidden_share)
    hours = np.arange(168)
    background = 1.0 + np.sin(2 * np.pi * (hours % 24 - 8) / 24).clip(0)  # daytime
    peaks = rng.integers(0, 168, size=(n_groups, 3))
    group_rhythm = np.zeros((n_groups, 168))
    for k in range(3):  # three peak hours per group, a few hours wide
        dist = np.abs(hours[None, :] - peaks[:, k : k + 1])
        group_rhythm += np.exp(-0.5 * (np.minimum(dist, 168 - dist) / 2.0) ** 2)
    group_rhythm /= group_rhythm.sum(axis=1, keepdims=True)
    rhythm = rhythm_strength * group_rhythm[group] + (1 - rhythm_strength) * (
        background / background.sum()
    )
    activity = rng.lognormal(mean=np.log(3 * days), sigma=0.8, size=n_nodes)
    how = rng.poisson(rhythm * activity[:, None]).astype(np.float64)
    ids = np.array([f"A{i:04d}" for i in range(n_nodes)], dtype=object)
    oa, ob = a[~hidden], b[~hidden]
    calls = rng.geometric(0.2, size=oa.size).astype(np.float64)
    start = pd.Timestamp("2026-01-01", tz="UTC")
    first_day = rng.integers(0, days, size=oa.size)
    last_day = np.minimum(days - 1, first_day + rng.integers(0, days, size=oa.size))
    edges = pd.DataFrame(
        {
            "src": ids[oa],
            "dst": ids[ob],
            "layer": "calls",
            "weight": calls,
            "first": start + pd.to_timedelta(first_day, unit="D"),
            "last": start + pd.to_timedelta(last_day, unit="D"),
        }
    )
    hidden_frame = pd.DataFrame({"a": ids[a[hidden]], "b": ids[b[hidden]]})
    return PlantedGraph(edges, ids, how, hidden_frame, group)
