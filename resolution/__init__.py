"""Entity resolution: person records -> persons (Splink 5), phones/accounts/devices by id.

The public surface: standardise records, train and apply a Splink model, cluster with review
constraints, mint stable ids, score against truth, and run the whole stage on a case.
Splink is imported only when a model is trained or applied.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from resolution.cluster import cluster_records
    from resolution.evaluate import ERMetrics, er_metrics
    from resolution.ids import assign_person_ids, mint_person_id
    from resolution.linkage import predict_pairs, train_model
    from resolution.spec import ResolutionSpec
    from resolution.standardise import standardise

# imported on first use, so that `resolution.spec` (read by the CLI for its defaults) is light
_EXPORTS = {
    "cluster_records": "cluster",
    "ERMetrics": "evaluate",
    "er_metrics": "evaluate",
    "assign_person_ids": "ids",
    "mint_person_id": "ids",
    "predict_pairs": "linkage",
    "train_model": "linkage",
    "ResolutionSpec": "spec",
    "standardise": "standardise",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'resolution' has no attribute {name!r}")
    return getattr(importlib.import_module(f"resolution.{_EXPORTS[name]}"), name)


__all__ = [
    "ERMetrics",
    "ResolutionSpec",
    "assign_person_ids",
    "cluster_records",
    "er_metrics",
    "mint_person_id",
    "predict_pairs",
    "standardise",
    "train_model",
]
