"""Predicted-link evaluator (the scoring lives in gnn.evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_links"]


@evaluator(
    "links", help="hidden ties among the stored predicted links: hits@k, precision, recovered"
)
def evaluate_links(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from gnn.evaluate import evaluate_predicted_links

    return evaluate_predicted_links(store, truth_dir)
