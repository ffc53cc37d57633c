"""False discovery rate control (graphkit/stats.py)."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.errors import InputError
from graphkit.stats import fdr_qvalues


def test_fdr_qvalues_match_the_step_up_definition() -> None:
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.random(200), rng.random(20) * 1e-4])
    q = fdr_qvalues(p)
    for alpha in (0.01, 0.05, 0.2):
        order = np.sort(p)
        below = np.flatnonzero(order <= alpha * np.arange(1, len(p) + 1) / len(p))
        k = below.max() + 1 if len(below) else 0
        assert (q <= alpha).sum() == k
    assert np.all(fdr_qvalues(p, method="by") >= q)
    with pytest.raises(InputError):
        fdr_qvalues(p, method="holm")  # type: ignore[arg-type]
