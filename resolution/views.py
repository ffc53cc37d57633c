"""Views of the resolution stage: ``persons`` and ``review`` (`graphkit show CASE VIEW`)."""

from __future__ import annotations

from typing import Any

from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["persons_view", "review_view"]

_NO_LIMIT = 2**62


@view("persons", help="resolved persons: records, names, dob, phones, accounts")
def persons_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "er_clusters"):
            return []
        cur = con.execute(
            """
            WITH p AS (
              SELECT person_id, full_name, names, dob, record_count
              FROM node_person ORDER BY record_count DESC, person_id LIMIT ?
            )
            SELECT p.person_id, p.full_name,
                   (SELECT list({'source': e.source, 'record_id': e.record_id}
                                ORDER BY e.anchor_rank)
                    FROM er_clusters c JOIN er_records e USING (record_key)
                    WHERE c.person_id = p.person_id) AS records,
                   p.names, p.dob,
                   coalesce((SELECT list(dst ORDER BY dst) FROM rel_uses u
                             WHERE u.src = p.person_id), []) AS phones,
                   coalesce((SELECT list(dst ORDER BY dst) FROM rel_holds h
                             WHERE h.src = p.person_id), []) AS accounts
            FROM p ORDER BY p.record_count DESC, p.person_id
            """,
            [limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


@view("review", help="the review queue: uncertain pairs, most uncertain first")
def review_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "review_queue"):
            return []
        cur = con.execute(
            """
            SELECT q.review_id, q.status, round(q.match_probability, 4) AS match_probability,
                   round(q.match_weight, 2) AS match_weight,
                   q.id_l AS record_l, coalesce(l.full_name,
                     concat_ws(' ', l.first_name, l.last_name)) AS name_l,
                   q.id_r AS record_r, coalesce(r.full_name,
                     concat_ws(' ', r.first_name, r.last_name)) AS name_r,
                   q.person_l, q.person_r
            FROM review_queue q
            LEFT JOIN er_records l ON l.record_key = q.id_l
            LEFT JOIN er_records r ON r.record_key = q.id_r
            ORDER BY q.status <> 'pending', abs(q.match_weight), q.review_id
            LIMIT ?
            """,
            [limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


_FIELDS = (
    "source",
    "record_id",
    "first_name",
    "last_name",
    "full_name",
    "dob",
    "address",
    "postcode",
    "id_number",
    "email",
    "phones",
    "accounts",
)


def review_items(
    store: CaseStore, *, limit: int | None = 5, review_id: str | None = None
) -> list[dict[str, Any]]:
    """Pending review items (or the one ``review_id``) with both records side by side and
    the match-weight waterfall of the pair (see :func:`resolution.review.waterfall`)."""
    import json

    from resolution.case import MODEL_FILE
    from resolution.review import waterfall

    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "review_queue"):
            return []
        where = "q.review_id = ?" if review_id else "q.status = 'pending'"
        params: list[Any] = [review_id] if review_id else []
        cur = con.execute(
            f"""SELECT q.review_id, q.status, q.person_l, q.person_r, p.*
                FROM review_queue q JOIN er_pairs p USING (id_l, id_r)
                WHERE {where} ORDER BY abs(q.match_weight), q.review_id LIMIT ?""",
            [*params, limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        pairs = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        keys = sorted({p["id_l"] for p in pairs} | {p["id_r"] for p in pairs})
        cur = con.execute(
            f"SELECT record_key, {', '.join(_FIELDS)} FROM er_records "
            "WHERE list_contains(?, record_key)",
            [keys],
        )
        rcols = [d[0] for d in cur.description]
        recs = {r[0]: dict(zip(rcols, r, strict=True)) for r in cur.fetchall()}
    model = json.loads((store.path / MODEL_FILE).read_text(encoding="utf-8"))
    items = []
    for p in pairs:
        left, right = recs.get(p["id_l"], {}), recs.get(p["id_r"], {})
        items.append(
            {
                "review_id": p["review_id"],
                "status": p["status"],
                "match_probability": p["match_probability"],
                "match_weight": p["match_weight"],
                "person_l": p["person_l"],
                "person_r": p["person_r"],
                "fields": [
                    {"field": f, "left": left.get(f), "right": right.get(f)} for f in _FIELDS
                ],
                "waterfall": waterfall(p, model),
            }
        )
    return items
