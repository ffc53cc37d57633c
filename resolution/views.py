"""Views of the resolution stage: ``persons``, ``review`` and ``shared-phones``
(`graphkit show CASE VIEW`)."""

from __future__ import annotations

from typing import Any

from graphkit.store import CaseStore
from graphkit.views import view

__all__ = ["persons_view", "review_view", "shared_phones_view"]

_NO_LIMIT = 2**62


@view(
    "persons",
    help="resolved persons: records, names, dob, phones, accounts",
    actors=("person_id",),  # its display name: "registered as" where records disagree
)
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


@view(
    "review",
    help="the review queue: uncertain pairs, most uncertain first",
    actors=("person_l", "person_r"),
)
def review_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "review_queue"):
            return []
        cur = con.execute(
            """
            SELECT q.review_id, q.status, q.match_probability, q.match_weight,
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


@view(
    "shared-phones",
    help="numbers that several resolved persons use: possible false registrations or aliases",
    actors=("attributed_to",),
)
def shared_phones_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{phone, persons, attributed_to, explanation}``, one per number that two or more
    resolved persons use (``USES`` from different records, e.g. a SIM registered under one
    name and listed for another person by the police). ``persons``: ``{person_id, full_name,
    records, last_use, other_phones}``, latest use first; ``attributed_to``: the actor the
    actor graph gives the number to (``build``: the latest user). A hypothesis to review (a
    false registration, an alias, or a shared or passed-on phone), not a fact."""
    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "rel_uses") and store.table_exists(con, "node_person")):
            return []
        actor = (
            "(SELECT unnest(phones) AS phone, actor_id FROM actor)"
            if store.table_exists(con, "actor")
            else "(SELECT NULL::VARCHAR AS phone, NULL::VARCHAR AS actor_id WHERE false)"
        )
        cur = con.execute(
            f"""
            WITH shared AS (
              SELECT dst FROM rel_uses GROUP BY dst HAVING count(DISTINCT src) > 1
            ),
            phones_of AS (SELECT src, count(DISTINCT dst) AS n FROM rel_uses GROUP BY src)
            SELECT u.dst AS phone,
                   list({{'person_id': u.src, 'full_name': p.full_name,
                          'records': coalesce(u.source_records, []), 'last_use': u.last,
                          'other_phones': o.n - 1}}
                        ORDER BY u.last DESC NULLS LAST, u.src) AS persons,
                   any_value(a.actor_id) AS attributed_to
            FROM rel_uses u
            JOIN shared s ON s.dst = u.dst
            LEFT JOIN node_person p ON p.person_id = u.src
            LEFT JOIN phones_of o ON o.src = u.src
            LEFT JOIN {actor} a ON a.phone = u.dst
            GROUP BY u.dst ORDER BY len(persons) DESC, u.dst LIMIT ?
            """,
            [limit if limit is not None else _NO_LIMIT],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        row["explanation"] = _shared_phone_explanation(row)
    return rows


def _shared_phone_explanation(row: dict[str, Any]) -> str:
    def who(person: dict[str, Any]) -> str:
        records = ", ".join(person["records"][:3]) or "no record listed"
        alone = "; no other number" if person["other_phones"] == 0 else ""
        name = person["full_name"] or person["person_id"]
        return f"{name} ({person['person_id']}: {records}{alone})"

    persons = row["persons"]
    text = f"{row['phone']} is used by {len(persons)} resolved persons: " + "; ".join(
        who(p) for p in persons
    )
    if row["attributed_to"] is not None:
        rule = "latest use" if any(p["last_use"] for p in persons) else "no use dated: smallest id"
        text += f". The actor graph gives it to {row['attributed_to']} ({rule})"
    return (
        text + ". One number under several names is a possible false registration or alias "
        "(or a shared phone): a hypothesis to review"
    )


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

    from resolution.review import waterfall
    from resolution.stage import MODEL_FILE

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
