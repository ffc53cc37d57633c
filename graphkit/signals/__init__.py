"""Signals in the call records: blackouts (silences against each entity's rhythm) and hand-offs.

Modules follow the data, each importing only those before it: :mod:`.events` (event frames,
time axis, hour-of-week baselines) -> :mod:`.silences` (each phone's or actor's gaps, FDR) ->
:mod:`.groups` (community members silent together) -> :mod:`.successors` (silences explained
by hand-offs) -> :mod:`.candidates` -> :mod:`.features` -> :mod:`.handoffs` (burner hand-offs,
joint assignment) -> :mod:`.blackouts` (phones, actors and groups together) -> :mod:`.wording`
(sentences for analysts) -> :mod:`.stage` (read ``src_cdr``, run, store) -> :mod:`.views` ->
:mod:`.evaluate` (against a simulated case's truth). Names are imported on first use, so
importing a submodule (e.g. the views) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphkit.signals.blackouts import detect_blackouts
    from graphkit.signals.groups import detect_group_blackouts
    from graphkit.signals.handoffs import HANDOFF_COLUMNS, HandoffWeights, detect_handoffs
    from graphkit.signals.silences import BLACKOUT_COLUMNS, detect_silences
    from graphkit.signals.stage import (
        detect_blackouts_in_case,
        detect_handoffs_in_case,
        detect_signals_in_case,
    )

_EXPORTS = {
    "BLACKOUT_COLUMNS": "silences",
    "HANDOFF_COLUMNS": "handoffs",
    "HandoffWeights": "handoffs",
    "detect_blackouts": "blackouts",
    "detect_blackouts_in_case": "stage",
    "detect_group_blackouts": "groups",
    "detect_handoffs": "handoffs",
    "detect_handoffs_in_case": "stage",
    "detect_signals_in_case": "stage",
    "detect_silences": "silences",
}

__all__ = [
    "BLACKOUT_COLUMNS",
    "HANDOFF_COLUMNS",
    "HandoffWeights",
    "detect_blackouts",
    "detect_blackouts_in_case",
    "detect_group_blackouts",
    "detect_handoffs",
    "detect_handoffs_in_case",
    "detect_signals_in_case",
    "detect_silences",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"graphkit.signals.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'graphkit.signals' has no attribute {name!r}")
