"""Ingest: source files of known kinds -> typed, normalised staging tables with rejects."""

from __future__ import annotations

from graphkit.ingest.kinds import KINDS, KindSpec, get_kind
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
