"""The `predicted-links` view: stored PREDICTED_LINK hypotheses with their evidence."""

from __future__ import annotations

import json
from typing import Any

from graphkit.hypotheses import id_sql
from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["predicted_links_view"]


@view("predicted-links", help="predicted hidden ties (hypotheses): a, b, score, evidence")
def predicted_links_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, a, b, score, status, model_version, evidence}``, best score first; ``id``
    is the review id (``graphkit review --accept``)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_predicted_link"):
            return []
        cur = con.execute(
            f"""
            SELECT {id_sql("L")} AS id, src AS a, dst AS b, score, status, model_version, evidence
            FROM rel_predicted_link ORDER BY score DESC, src, dst LIMIT ?
            """,
            [limit if limit is not None else 2**62],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        if isinstance(row["evidence"], str):
            row["evidence"] = json.loads(row["evidence"])
    return rows
