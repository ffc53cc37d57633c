"""The `graphkit evaluate` evaluator of the resolve stage (:mod:`resolution.evaluate`).

Registered here, not in :mod:`resolution`, so that ``resolution/`` depends only on graphkit's
store, model and errors (the import contracts in ``pyproject.toml``).
"""

from __future__ import annotations

from graphkit.evaluate import evaluator
from resolution.evaluate import evaluate_resolution

__all__ = ["evaluate_resolution"]

evaluator("resolve", help="pairwise and B-cubed precision / recall / F1 of persons")(
    evaluate_resolution
)
