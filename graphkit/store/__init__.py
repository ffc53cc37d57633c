"""The case store: a DuckDB file, a manifest and an audit log per case."""

from __future__ import annotations

from graphkit.store.case import CaseStore

__all__ = ["CaseStore"]
