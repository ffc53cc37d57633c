"""Tower-dump scenes evaluator (the scoring lives in graphkit.cdr.evaluate_scenes)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_scenes"]


@evaluator("scenes", help="multi-scene phones, one-time visitors and silent phones vs the planted")
def evaluate_scenes(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    from graphkit.cdr.evaluate_scenes import evaluate_scenes as score

    return score(store, truth_dir)
