"""Scores an analyst can read as probabilities: Platt scaling on validation, and its check.

Platt (1999) scaling fits ``p = sigmoid(a * s + b)`` to a score ``s`` (a model's logit, or a
heuristic's log1p score) by weighted logistic regression on a validation split: ``a`` is an
inverse temperature (Guo et al. 2017, "On calibration of modern neural networks"), ``b``
moves the scores to the rate of ties among candidate pairs, which ranking-trained logits do
not know. Negatives subsampled for validation carry weight ``1 / sampling rate``, so the
fitted probabilities refer to the whole candidate set. The expected calibration error
(Naeini et al. 2015) and the reliability curve are measured on a different split (test).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

__all__ = ["Calibration", "expected_calibration_error", "fit_platt", "reliability_curve"]


@dataclass(frozen=True)
class Calibration:
    """``p = sigmoid(slope * score + intercept)``; saved in the model card."""

    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, score: np.ndarray) -> np.ndarray:
        z = self.slope * np.asarray(score, dtype=np.float64) + self.intercept
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))
        return out

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def fit_platt(
    score: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None
) -> Calibration:
    """Weighted maximum-likelihood Platt scaling of ``score`` against 0/1 ``labels``."""
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=np.float64)
    if s.size == 0 or y.min() == y.max():
        return Calibration()
    mu, sd = float(s.mean()), float(s.std()) or 1.0
    z = (s - mu) / sd

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        t = theta[0] * z + theta[1]
        p = 1.0 / (1.0 + np.exp(-np.clip(t, -50, 50)))
        ll = w * (np.logaddexp(0.0, t) - y * t)
        g = w * (p - y)
        return float(ll.sum() / w.sum()), np.array([(g * z).sum(), g.sum()]) / w.sum()

    prior = float(np.average(y, weights=w))
    start = np.array([1.0, np.log(prior / (1 - prior))])
    fit = minimize(loss, start, jac=True, method="L-BFGS-B")
    a, b = float(fit.x[0]), float(fit.x[1])
    return Calibration(slope=a / sd, intercept=b - a * mu / sd)


def reliability_curve(
    prob: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None, *, bins: int = 10
) -> list[dict[str, Any]]:
    """Per bin of predicted probability (equal width): weight, mean prediction, observed rate."""
    p = np.asarray(prob, dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=np.float64)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        wt = float(w[m].sum())
        rows.append(
            {
                "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
                "pairs": wt,
                "mean_predicted": float(np.average(p[m], weights=w[m])),
                "observed_rate": float(np.average(y[m], weights=w[m])),
            }
        )
    return rows


def expected_calibration_error(
    prob: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None, *, bins: int = 10
) -> float:
    """ECE: the weight-averaged |mean prediction - observed rate| over equal-width bins."""
    rows = reliability_curve(prob, labels, weights, bins=bins)
    total = sum(r["pairs"] for r in rows)
    if not total:
        return float("nan")
    return float(
        sum(r["pairs"] * abs(r["mean_predicted"] - r["observed_rate"]) for r in rows) / total
    )
