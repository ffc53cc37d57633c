"""Statistics shared by the network analytics, the signals and link prediction: false
discovery rate control and the exact sign-flip test.

Pure functions over arrays; no case store, no pandas.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from graphkit.errors import InputError

__all__ = ["fdr_qvalues", "sign_flip_p"]


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


@lru_cache(maxsize=1024)
def _fair_coin_counts(k: int) -> npt.NDArray[np.float64]:
    """P(j heads in k fair tosses), j = 0..k (cached: the same few k recur)."""
    from scipy.special import gammaln

    j = np.arange(k + 1)
    row: npt.NDArray[np.float64] = np.exp(
        gammaln(k + 1) - gammaln(j + 1) - gammaln(k - j + 1) - k * np.log(2.0)
    )
    row.flags.writeable = False
    return row


def _convolve(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``a * b`` (full convolution): direct when small, by FFT when large (tiny negative
    rounding clipped)."""
    if a.size * b.size <= 1_000_000:
        return np.convolve(a, b)
    n = a.size + b.size - 1
    out: npt.NDArray[np.float64] = np.fft.irfft(np.fft.rfft(a, n) * np.fft.rfft(b, n), n)
    return np.clip(out, 0.0, None)


def sign_flip_p(d: Any) -> float:
    """Exact one-sided sign-flip p-value of ``sum(d)``: P(sum of ``s_i |d_i|`` >= sum(d)) with
    independent fair signs ``s_i`` (integers ``d``; 1.0 when all are zero). The paired
    permutation test: under the null each difference is as likely to have either sign."""
    d = np.asarray(d, dtype=np.int64)
    observed = int(d.sum())
    values, counts = np.unique(np.abs(d[d != 0]), return_counts=True)
    if len(values) == 0:
        return 1.0
    # distribution of P = sum of |d_i| signed +; sum = 2P - total
    dist = np.ones(1)
    for v, k in zip(values.tolist(), counts.tolist(), strict=True):
        spaced = np.zeros(v * k + 1)
        spaced[::v] = _fair_coin_counts(k)
        dist = _convolve(dist, spaced)
    total = len(dist) - 1
    need = int(np.ceil((observed + total) / 2.0 - 1e-9))
    return float(min(1.0, dist[max(need, 0) :].sum()))
