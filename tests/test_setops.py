"""graphkit.setops gives numpy's answers (values, order, dtype) by sorting."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.setops import intersect, setdiff, union, unique


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64])
@pytest.mark.parametrize("size", [0, 1, 2, 1000])
def test_same_answers_as_numpy(dtype: type, size: int) -> None:
    rng = np.random.default_rng(size)
    a = rng.integers(0, max(size // 3, 1), size).astype(dtype)
    b = rng.integers(0, max(size // 2, 1), size // 2 + 1).astype(dtype)
    for ours, theirs in (
        (unique(a), np.unique(a)),
        (union(a, b), np.union1d(a, b)),
        (setdiff(a, b), np.setdiff1d(a, b)),
        (intersect(a, b), np.intersect1d(a, b)),
    ):
        np.testing.assert_array_equal(ours, theirs)
        assert ours.dtype == theirs.dtype
