"""Consensus communities in forked worker processes give exactly the sequential result."""

from __future__ import annotations

import numpy as np
import pandas as pd

from graphkit.analytics.communities import consensus_communities
from graphkit.analytics.graph import collapse, from_edges


def _planted(n: int, m: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 12, n)
    src = rng.integers(0, n, m)
    dst = np.where(
        rng.random(m) < 0.55,
        [rng.choice(np.flatnonzero(group == group[s])) for s in src],
        rng.integers(0, n, m),
    )
    return pd.DataFrame({"src": [f"v{i:04d}" for i in src], "dst": [f"v{i:04d}" for i in dst]})


def test_workers_give_the_sequential_result() -> None:
    u = collapse(from_edges(_planted(600, 2400, seed=3)), directed=False)
    one = consensus_communities(u, seed=11, n_runs=5)
    two = consensus_communities(u, seed=11, n_runs=5, workers=2)
    assert one.rounds >= 1 and one.n_communities > 1  # the consensus rounds ran too
    np.testing.assert_array_equal(one.membership, two.membership)
    np.testing.assert_array_equal(one.confidence, two.confidence)
    assert (one.rounds, one.converged, one.modularity) == (
        two.rounds,
        two.converged,
        two.modularity,
    )
