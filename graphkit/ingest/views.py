"""Views of the ingest stage: `sources` and `rejects`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["rejects_view", "sources_view"]


@view(
    "sources",
    help="ingested sources with hashes and row counts",
    json_only=("sha256", "file"),
)
def sources_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """One row per source. The table shows the file's name and the first 12 hex digits of
    its SHA-256 (whole paths and hashes folded across three lines each); ``--json`` keeps
    both whole."""
    rows = []
    for name, s in sorted(store.manifest.get("sources", {}).items()):
        rows.append(
            {
                "source": name,
                "kind": s.get("kind"),
                "status": s.get("status"),
                "rows_read": s.get("rows_read"),
                "accepted": s.get("accepted"),
                "rejected": s.get("rejected"),
                "duplicates": s.get("duplicates"),
                "sha256_12": (s.get("sha256") or "")[:12] or None,
                "file_name": Path(s["file"]).name if s.get("file") else None,
                "sha256": s.get("sha256"),
                "file": s.get("file"),
            }
        )
    return rows[:limit] if limit is not None else rows


@view("rejects", help="rows that could not be ingested: source, row, column, error, excerpt")
def rejects_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    with store.connect() as con:
        if not store.table_exists(con, "rejects"):
            return []
        cur = con.execute(
            """
            SELECT source_name AS source, kind, row_number AS "row", column_name AS "column",
                   error_type, raw_excerpt, detail
            FROM rejects ORDER BY source_name, row_number LIMIT ?
            """,
            [limit if limit is not None else 2**62],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
