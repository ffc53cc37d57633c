"""Resolution settings: a frozen, self-validating spec saved with every run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from graphkit.settings import StageSettings

__all__ = ["Engine", "ResolutionSpec"]

Engine = Literal["duckdb", "spark"]


@dataclass(frozen=True)
class ResolutionSpec(StageSettings):
    """How person records are resolved.

    ``threshold_probability``: pairs at or above it are merged by clustering.
    ``review_low_probability`` <= p < ``review_high_probability``: pairs queued for review.
    ``u_max_pairs``: pairs sampled at random to estimate u (Splink default 1e6).
    ``em_max_pairs``: EM sessions whose block is larger are trained on a hash sample of it.
    ``max_pairs_per_record``: a prediction blocking rule generating more than this many pairs
    per record (and more than 1e6 in all) is left out, so cost stays near-linear.
    ``memory_limit_gb``: DuckDB's memory limit while training and scoring (it spills beyond);
    2.5 GB keeps a 1M-record case under 4 GB of resident memory in all (docs/resolution.md).
    ``prior_recall``: assumed recall of the deterministic rules that give the first estimate
    of the prior (after training, the prior is re-estimated from the blocked pairs).
    ``min_column_fill``: a column takes part in the model only when at least this share of
    records has it.
    """

    threshold_probability: float = 0.9
    review_low_probability: float = 0.5
    review_high_probability: float = 0.99
    seed: int = 42
    engine: Engine = "duckdb"
    u_max_pairs: float = 1e6
    em_max_pairs: float = 2e6
    max_pairs_per_record: float = 10.0
    memory_limit_gb: float = 2.5
    prior_recall: float = 0.7
    min_column_fill: float = 0.01

    def validate(self) -> None:
        lo, mid, hi = (
            self.review_low_probability,
            self.threshold_probability,
            self.review_high_probability,
        )
        self.require(
            0.0 < lo <= mid <= hi <= 1.0,
            "threshold_probability",
            "must lie inside the review band: 0 < review low <= threshold <= review high <= 1 "
            f"(got {lo}, {mid}, {hi})",
        )
        self.require(self.engine in ("duckdb", "spark"), "engine", "duckdb or spark")
        self.require(self.em_max_pairs >= 1000, "em_max_pairs", "must be at least 1000")
        self.require(self.u_max_pairs >= 1000, "u_max_pairs", "must be at least 1000")
        self.require(self.memory_limit_gb > 0, "memory_limit_gb", "must be positive")
        self.require(self.max_pairs_per_record > 0, "max_pairs_per_record", "must be positive")
        self.require(0.0 < self.prior_recall <= 1.0, "prior_recall", "must be in (0, 1]")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for manifests and audit entries."""
        return asdict(self)
