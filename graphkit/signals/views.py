"""Views of the signal analytics: `blackouts` and `handoffs` (`graphkit show CASE VIEW`).

Both read what :mod:`graphkit.signals.stage` stored; phones are shown by the number
the case keys them by (E.164 where the ingested number was valid, the raw id otherwise).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from graphkit.hypotheses import id_sql
from graphkit.people import directory
from graphkit.signals.wording import (
    blackout_explanation,
    came_back,
    handoff_explanation,
    with_handoff_reviews,
)
from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["blackouts_view", "handoffs_view"]

_NO_LIMIT = 2**62


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _handoff_reviews(
    store: CaseStore, con: duckdb.DuckDBPyConnection
) -> dict[tuple[str, str], dict[str, Any]]:
    """Each stored hand-off's review id, status, reviewer and score by (old, new): read when
    shown, so a blackout names the hand-off it rests on as it stands now."""
    if not store.table_exists(con, "rel_same_user_as"):
        return {}
    rows = con.execute(
        f"""
        SELECT src, dst, {id_sql("H")} AS id, status, decided_by, score
        FROM rel_same_user_as WHERE model_version LIKE 'handoff-%'
        """
    ).fetchall()
    return {
        (str(src), str(dst)): {"id": hid, "status": status, "decided_by": by, "score": score}
        for src, dst, hid, status, by, score in rows
    }


@view(
    "blackouts",
    help="silences unlikely under each phone's, actor's or group's own rhythm, with p and q",
    actors=("id", "members"),
    json_only=("ended",),
)
def blackouts_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{kind, id, members, start, end, came_back, duration_h, expected_events, p_value,
    q_value, evidence, explanation, ended}``: groups first, then by p-value. ``ended``
    False = never came back; ``came_back`` says it in words, and for a phone whose silence a
    hand-off explains, where it went ("moved to ... (confirmed hand-off H...)", "likely moved
    to ... (hand-off H..., score ...)"); the hand-offs in ``evidence`` carry their review id
    and current status; ``explanation`` says the row's evidence in one paragraph."""
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
        reviews = _handoff_reviews(store, con) if rows else {}
    people = directory(store) if rows else None
    out = []
    for row in rows:
        evidence = with_handoff_reviews(_json(row.pop("evidence")) or {}, reviews)
        ended = row.pop("ended")
        full = {**row, "ended": ended, "evidence": evidence}
        text = came_back(full)
        # tables show ``came_back``, never the bare ``ended``: "False" beside a phone whose
        # user moved to a new number would read as a silent person
        # ``came_back`` next to the window it ends: a narrow table keeps it before the numbers
        shown: dict[str, Any] = {}
        for key, value in row.items():
            shown[key] = value
            if key == "end":
                shown["came_back"] = people.name_text(text) if people else text
        shown |= {"evidence": evidence, "explanation": blackout_explanation(full)}
        out.append(shown | {"ended": ended})
    return out


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
