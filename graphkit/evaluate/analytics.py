"""Communities and leaders evaluator (the scoring lives in graphkit.analytics.groups_evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_analyze"]


@evaluator("analyze", help="group recovery NMI and true boss ranked first, vs the planted groups")
def evaluate_analyze(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.analytics.groups_evaluate import evaluate_groups

    return evaluate_groups(store, truth_dir)
