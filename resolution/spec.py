"""Resolution settings: a frozen, self-validating spec saved with every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from graphkit.errors import InputError

__all__ = ["Engine", "ResolutionSpec"]

Engine = Literal["duckdb", "spark"]


@dataclass(frozen=True)
class ResolutionSpec:
    """How person records are resolved.

    ``threshold_probability``: pairs at or above it are merged by clustering.
    ``review_low_probability`` <= p < ``review_high_probability``: pairs queued for review.
    ``u_max_pairs``: pairs sampled at random to estimate u (Splink default 1e6).
    ``em_sample_proportion``: share of records used in each EM session's blocked pairs.
    ``prior_recall``: assumed recall of the deterministic rules that estimate the prior.
    ``min_column_fill``: a column takes part in the model only when at least this share of
    records has it.
    """

    threshold_probability: float = 0.9
    review_low_probability: float = 0.5
    review_high_probability: float = 0.99
    seed: int = 42
    engine: Engine = "duckdb"
    u_max_pairs: float = 1e6
    em_sample_proportion: float = 1.0
    prior_recall: float = 0.7
    min_column_fill: float = 0.01

    def __post_init__(self) -> None:
        lo, mid, hi = (
            self.review_low_probability,
            self.threshold_probability,
            self.review_high_probability,
        )
        if not 0.0 < lo <= mid <= hi <= 1.0:
            raise InputError(
                "thresholds must satisfy 0 < review_low <= threshold <= review_high <= 1"
                f" (got {lo}, {mid}, {hi})"
            )
        if self.engine not in ("duckdb", "spark"):
            raise InputError(f"unknown engine {self.engine!r}: use duckdb or spark")
        if not 0.0 < self.em_sample_proportion <= 1.0:
            raise InputError("em_sample_proportion must be in (0, 1]")
        if not 0.0 < self.prior_recall <= 1.0:
            raise InputError("prior_recall must be in (0, 1]")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for manifests and audit entries."""
        return asdict(self)
