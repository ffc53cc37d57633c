"""Compare what the pipeline found in a case with the truth of a simulated case, or with known
labels of a real network.

Two kinds of truth folder: a simulation's (``sources.csv`` and the other files
``graphkit simulate`` writes) and a *labels* folder (``attributes.csv`` with each node's known
group and title, in the Montagna format: ``node, familia, title``). Each evaluator declares
which kind it reads; a folder runs the evaluators of its kind.

Each stage registers an evaluator ``fn(store, truth_dir) -> dict | None`` with
:func:`evaluator`; ``None`` means the stage has not run in this case (reported as skipped).
A result holds ``metrics`` (flat name -> number) and optionally ``rows`` (a table of
details), ``columns`` (which of the rows' keys to show in a table) and ``passed`` (whether the
stage's own expectations hold). Modules defining
evaluators are listed in :data:`EVALUATOR_MODULES` and imported on first use, so a stage's
heavy dependencies load only when it is evaluated.

To add one (e.g. in ``resolution/evaluate.py``)::

    from graphkit.evaluate import evaluator

    @evaluator("resolve", help="pairwise and B-cubed precision/recall of persons")
    def evaluate_resolution(store, truth_dir):
        ...
        return {"metrics": {"f1": 0.97}, "rows": [...]}

and add the module to ``EVALUATOR_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "EVALUATOR_MODULES",
    "Evaluator",
    "all_evaluators",
    "evaluate_case",
    "evaluator",
    "truth_kind",
]

Result = dict[str, Any]
EvaluatorFn = Callable[["CaseStore", Path], Result | None]

EVALUATOR_MODULES: tuple[str, ...] = (
    "graphkit.evaluate.ingest",
    "graphkit.evaluate.resolution",
    "graphkit.evaluate.signals",
    "graphkit.evaluate.colocate",
    "graphkit.evaluate.links",
    "graphkit.evaluate.analytics",
    "graphkit.evaluate.labels",
    "graphkit.evaluate.devices",
    "graphkit.evaluate.scenes",
)


TRUTH_KINDS = ("simulation", "labels")


@dataclass(frozen=True)
class Evaluator:
    stage: str
    help: str
    fn: EvaluatorFn
    truth: str = "simulation"


_REGISTRY: dict[str, Evaluator] = {}


def evaluator(
    stage: str, *, help: str, truth: str = "simulation"
) -> Callable[[EvaluatorFn], EvaluatorFn]:
    """Register ``fn`` as the evaluator of ``stage``, reading a ``truth`` kind of folder."""
    if truth not in TRUTH_KINDS:
        raise ValueError(f"truth must be one of {TRUTH_KINDS}")

    def register(fn: EvaluatorFn) -> EvaluatorFn:
        _REGISTRY[stage] = Evaluator(stage, help, fn, truth)
        return fn

    return register


def all_evaluators() -> dict[str, Evaluator]:
    """Every registered evaluator by stage, in registration order."""
    for module in EVALUATOR_MODULES:
        importlib.import_module(module)
    return dict(_REGISTRY)


def truth_kind(truth_dir: Path) -> str:
    """``simulation`` (has ``sources.csv``) or ``labels`` (has ``attributes.csv``)."""
    if (truth_dir / "sources.csv").is_file():
        return "simulation"
    if (truth_dir / "attributes.csv").is_file():
        return "labels"
    raise InputError(
        f"{truth_dir} is not a truth folder: no sources.csv (simulation truth) "
        "and no attributes.csv (known labels)"
    )


def evaluate_case(
    store: CaseStore, truth_dir: Path, *, stages: Sequence[str] | None = None
) -> dict[str, Result]:
    """Run the evaluators of ``stages`` (default: all) on ``store`` against ``truth_dir``.

    Returns stage -> result; a stage that has not run gets ``{"status": "skipped"}``, the
    others ``{"status": "evaluated", "metrics": ..., ...}``.
    """
    truth_dir = Path(truth_dir)
    kind = truth_kind(truth_dir)
    registry = {k: e for k, e in all_evaluators().items() if e.truth == kind}
    wanted = list(stages) if stages else list(registry)
    unknown = [s for s in wanted if s not in registry]
    if unknown:
        raise InputError(
            f"no evaluator for {', '.join(unknown)} with a {kind} truth folder; "
            f"stages: {', '.join(registry)}"
        )
    results: dict[str, Result] = {}
    for stage in wanted:
        result = registry[stage].fn(store, truth_dir)
        results[stage] = (
            {"status": "skipped"} if result is None else {"status": "evaluated", **result}
        )
    return results
