"""Device swap and clone evaluators (the scoring lives in graphkit.cdr.evaluate)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_clones", "evaluate_swaps"]


@evaluator("swaps", help="precision/recall of SIM and handset swaps vs the planted ones")
def evaluate_swaps(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.cdr.evaluate import evaluate_swaps as score

    return score(store, truth_dir)


@evaluator("clones", help="recall of cloned SIMs and false alarms per 1,000 numbers")
def evaluate_clones(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.cdr.evaluate import evaluate_clones as score

    return score(store, truth_dir)
