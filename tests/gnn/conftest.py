"""Fixtures for the link-prediction tests: one torch thread, small seeded graphs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def random_edges(seed: int, n: int = 40, p: float = 0.12) -> pd.DataFrame:
    """An Erdős-Rényi edge frame with string ids (both directions sometimes present)."""
    rng = np.random.default_rng(seed)
    a, b = np.triu_indices(n, k=1)
    keep = rng.random(a.size) < p
    a, b = a[keep], b[keep]
    flip = rng.random(a.size) < 0.5
    src = np.where(flip, b, a)
    dst = np.where(flip, a, b)
    return pd.DataFrame({"src": [f"n{i:03d}" for i in src], "dst": [f"n{i:03d}" for i in dst]})
