"""Views of the signal analytics: `blackouts` and `handoffs` (`graphkit show CASE VIEW`).

Both read what :mod:`graphkit.signals.stage` stored; phones are shown by the number
the case keys them by (E.164 where the ingested number was valid, the raw id otherwise).
"""

from __future__ import annotations

import json
from typing import Any

from graphkit.hypotheses import id_sql
from graphkit.signals.wording import blackout_explanation, handoff_explanation
from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["blackouts_view", "handoffs_view"]

_NO_LIMIT = 2**62


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@view(
    "blackouts",
    help="silences unlikely under each phone's, actor's or group's own rhythm, with p and q",
    actors=("id", "members"),
)
def blackouts_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{kind, id, members, start, end, duration_h, expected_events, p_value, q_value,
    ended, evidence, explanation}``: groups first, then by p-value. ``ended`` False = never
    came back; ``explanation`` says the row's evidence in one paragraph."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_blackout"):
            return []
        cur = con.execute(
            """
            SELECT kind, id, members, start, "end", duration_h, expected_events, p_value,
                   q_value, ended, evidence
            FROM analytics_blackout
            ORDER BY CASE kind WHEN 'group' THEN 0 WHEN 'actor' THEN 1 ELSE 2 END,
                     p_value, id, start
            LIMIT ?
            """,
            [limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["evidence"] = _json(row["evidence"])
        row["explanation"] = blackout_explanation(row)
    return rows


@view(
    "handoffs",
    help="SAME_USER_AS hypotheses: which new number took over from an old one",
    actors=("old", "new"),
)
def handoffs_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, old, new, score, rank, assigned, status, evidence, decided_by, decided_at,
    explanation}``, best first: the joint assignment's choices, then the other candidates;
    reviewed pairs show their decision. ``id`` is the review id (``graphkit review --accept``)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_same_user_as"):
            return []
        cur = con.execute(
            f"""
            SELECT {id_sql("H")} AS id, src AS old, dst AS new, score,
                   CAST(json_extract(evidence, '$.rank') AS BIGINT) AS "rank",
                   CAST(json_extract(evidence, '$.assigned') AS BOOLEAN) AS assigned,
                   status, evidence, decided_by, decided_at
            FROM rel_same_user_as
            WHERE model_version LIKE 'handoff-%'
            ORDER BY "rank", score DESC, old, new
            LIMIT ?
            """,
            [limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["evidence"] = _json(row["evidence"])
        row["explanation"] = handoff_explanation(row)
    return rows
