"""The case store: a DuckDB file, a manifest and an audit log per case."""

from __future__ import annotations

from graphkit.store.case import CaseStore, table_columns, writes
from graphkit.store.operation import Operation

__all__ = ["CaseStore", "Operation", "table_columns", "writes"]
