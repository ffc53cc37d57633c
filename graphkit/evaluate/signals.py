"""Blackout and hand-off evaluators (the scoring lives in graphkit.signals.evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_blackouts", "evaluate_handoffs"]


@evaluator("blackouts", help="precision/recall of blackouts vs the planted ones")
def evaluate_blackouts(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.signals.evaluate import evaluate_blackouts as score

    return score(store, truth_dir)


@evaluator("handoffs", help="top-1 accuracy and precision of hand-offs vs the planted ones")
def evaluate_handoffs(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.signals.evaluate import evaluate_handoffs as score

    return score(store, truth_dir)
