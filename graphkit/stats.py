"""Statistics shared by the network analytics and the signals: false discovery rate control.

Pure functions over arrays of p-values; no case store, no pandas.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from graphkit.errors import InputError

__all__ = ["fdr_qvalues"]


def fdr_qvalues(p_values: Any, *, method: Literal["bh", "by"] = "bh") -> npt.NDArray[np.float64]:
    """Benjamini-Hochberg (1995) or Benjamini-Yekutieli (2001) adjusted p-values (q-values)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scale = m / np.arange(1, m + 1)
    if method == "by":
        scale = scale * np.sum(1.0 / np.arange(1, m + 1))
    elif method != "bh":
        raise InputError(f"unknown FDR method {method!r}; use 'bh' or 'by'")
    adjusted = np.minimum.accumulate((p[order] * scale)[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(adjusted, 1.0)
    return q
