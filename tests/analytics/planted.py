"""Random directed edges with planted groups, for tests that compare two ways of computing."""

from __future__ import annotations

import numpy as np
import pandas as pd


def planted_edges(
    n: int, m: int, *, groups: int, p_within: float, seed: int, prefix: str = "v"
) -> pd.DataFrame:
    """``m`` edges among ``n`` vertices in ``groups`` random groups; each edge stays within
    its source's group with probability ``p_within``. Columns ``src``, ``dst`` (ids
    ``<prefix><index>``, zero-padded) and ``weight`` (1-3). Same arguments, same edges."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    src = rng.integers(0, n, m)
    dst = np.where(
        rng.random(m) < p_within,
        [rng.choice(np.flatnonzero(group == group[s])) for s in src],
        rng.integers(0, n, m),
    )
    width = len(str(n - 1))
    return pd.DataFrame(
        {
            "src": [f"{prefix}{i:0{width}d}" for i in src],
            "dst": [f"{prefix}{i:0{width}d}" for i in dst],
            "weight": rng.integers(1, 4, m).astype(float),
        }
    )
