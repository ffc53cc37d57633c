"""How a forecast is scored: hit rate and the Predictive Accuracy Index at a share of the area.

Flag the riskiest cells covering a share ``a`` of the study area; the *hit rate* is the share of
the forecast window's incidents that fall in them and the *PAI* is hit rate / ``a`` (Chainey,
Tompson and Uhlig 2008): 1 is no better than flagging cells at random, higher is better. The
*capture curve* is the hit rate over every share of the area.

Cells of equal risk at the cut are taken in proportion (the expected hit rate when ties are
broken at random), so a method that cannot tell cells apart earns no credit from the order the
cells happen to be stored in. The study area is the set of cells the caller passes (see
graphkit.hotspots.stage: cells near any training incident).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from graphkit.hotspots.grid import FloatArray

__all__ = ["AREA_SHARES", "capture_curve", "hit_rate", "score"]

AREA_SHARES = (0.01, 0.05, 0.10)


def _ordered(risk: FloatArray, observed: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct risk levels, highest first: (cells per level, hits per level, risk level)."""
    levels, inverse = np.unique(-risk, return_inverse=True)
    cells: FloatArray = np.bincount(inverse).astype(np.float64)
    hits = np.asarray(np.bincount(inverse, weights=observed), dtype=np.float64)
    return cells, hits, -levels.astype(float)


def hit_rate(
    risk: FloatArray, observed: FloatArray, share: float, *, total: float | None = None
) -> float:
    """Share of ``observed`` incidents in the riskiest ``share`` of the cells (ties shared).

    ``total`` counts incidents outside these cells too (misses for every method); default: the
    sum of ``observed``.
    """
    risk, observed = np.ravel(risk), np.ravel(observed).astype(float)
    total = float(observed.sum()) if total is None else float(total)
    if total <= 0 or len(risk) == 0:
        return float("nan")
    cells, hits, _ = _ordered(risk, observed)
    budget = share * len(risk)
    cum_cells = np.cumsum(cells)
    full = cum_cells <= budget
    caught = float(hits[full].sum())
    k = int(full.sum())
    if k < len(cells):
        taken = budget - (cum_cells[k - 1] if k else 0.0)
        caught += hits[k] * taken / cells[k]
    return caught / total


def capture_curve(
    risk: FloatArray, observed: FloatArray, *, total: float | None = None, points: int = 101
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(share of area, hit rate) at ``points`` evenly spaced shares from 0 to 1 (the same
    tie rule as :func:`hit_rate`, computed for every share at once)."""
    shares = np.linspace(0.0, 1.0, points)
    risk, observed = np.ravel(risk), np.ravel(observed).astype(float)
    total = float(observed.sum()) if total is None else float(total)
    if total <= 0 or len(risk) == 0:
        return shares, np.full(points, np.nan)
    cells, hits, _ = _ordered(risk, observed)
    cum_cells = np.concatenate([[0.0], np.cumsum(cells)])
    cum_hits = np.concatenate([[0.0], np.cumsum(hits)])
    budget = shares * len(risk)
    k = np.clip(np.searchsorted(cum_cells, budget, side="right") - 1, 0, len(cells) - 1)
    partial = np.where(budget > cum_cells[k], hits[k] * (budget - cum_cells[k]) / cells[k], 0.0)
    caught = np.minimum(cum_hits[k] + partial, cum_hits[-1])
    return shares, caught / total


def score(
    risk: FloatArray, observed: FloatArray, *, total: float | None = None
) -> dict[str, float]:
    """``hit_rate_<p>`` and ``pai_<p>`` at 1, 5 and 10 % of the area (``p`` in per cent)."""
    out: dict[str, float] = {}
    for share in AREA_SHARES:
        pct = round(share * 100)
        rate = hit_rate(risk, observed, share, total=total)
        out[f"hit_rate_{pct}"] = rate
        out[f"pai_{pct}"] = rate / share
    return out
