"""Export a subgraph of a case for other tools (GraphML, GEXF, JSON, CSV, Cypher, i2 ANX).

``run(store, Settings(fmt=..., out=..., selection=Selection(...), purpose=...,
recipient=...))`` (or ``export_case(store, fmt=..., ...)``) selects, optionally pseudonymises,
writes atomically with a manifest beside the file, and records the disclosure in the audit log.
"""

from __future__ import annotations

from graphkit.export.formats import FORMATS
from graphkit.export.select import Selection, Subgraph, select_subgraph
from graphkit.export.stage import ExportResult, Settings, export_case, export_paths, run

__all__ = [
    "FORMATS",
    "ExportResult",
    "Selection",
    "Settings",
    "Subgraph",
    "export_case",
    "export_paths",
    "run",
    "select_subgraph",
]
