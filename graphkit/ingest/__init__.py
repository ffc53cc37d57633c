"""Ingest: source files of known kinds -> typed, normalised staging tables with rejects.

The kinds load at once; the ingest machinery (pyarrow, the parsers and normalisers) when it
is first used, so that a command that ingests nothing starts without it (``graphkit``'s
startup: 0.15 s less).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from graphkit.ingest.kinds import KINDS, KindSpec, get_kind

if TYPE_CHECKING:
    from graphkit.ingest.mapping import Mapping, load_mapping
    from graphkit.ingest.stage import IngestResult, Settings, ingest_file, run

__all__ = [
    "KINDS",
    "IngestResult",
    "KindSpec",
    "Mapping",
    "Settings",
    "get_kind",
    "ingest_file",
    "load_mapping",
    "run",
]

_LAZY = {
    "Mapping": "graphkit.ingest.mapping",
    "load_mapping": "graphkit.ingest.mapping",
    "IngestResult": "graphkit.ingest.stage",
    "Settings": "graphkit.ingest.stage",
    "ingest_file": "graphkit.ingest.stage",
    "run": "graphkit.ingest.stage",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'graphkit.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
