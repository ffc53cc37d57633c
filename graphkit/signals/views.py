"""Views of the signal analytics: `blackouts` and `handoffs` (`graphkit show CASE VIEW`).

Both read what :mod:`graphkit.signals.stage` stored; phones are shown by the number
the case keys them by (E.164 where the ingested number was valid, the raw id otherwise).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from graphkit.hypotheses import id_sql, listed_handoff_sql
from graphkit.people import Directory, directory
from graphkit.signals.wording import (
    blackout_explanation,
    came_back,
    handoff_explanation,
    with_handoff_reviews,
)
from graphkit.store import CaseStore
from graphkit.views import format_number, view

__all__ = ["blackouts_view", "handoffs_view", "record_owners"]

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


def record_owners(store: CaseStore, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The person the records give each phone (``USES`` from entity resolution; a phone of
    several persons goes to the latest use, then the smallest id, as ``build`` decides), not
    counting what confirmed hand-offs joined: what a reviewer's decision adds to."""
    if not store.table_exists(con, "rel_uses"):
        return {}
    rows = con.execute(
        """
        SELECT dst, first(src ORDER BY last DESC NULLS LAST, src)
        FROM rel_uses WHERE dst IS NOT NULL AND src IS NOT NULL GROUP BY dst
        """
    ).fetchall()
    return {str(phone): str(person) for phone, person in rows}


@view(
    "handoffs",
    help="SAME_USER_AS hand-offs: which new number took over from an old one, with the "
    "candidates it was chosen over",
    actors=("old", "new", "same_person"),
)
def handoffs_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, old, new, score, rank, assigned, status, same_person, alternatives,
    evidence, decided_by, decided_at, explanation}``: first those whose two numbers the
    records do not already give to one person, then those they do, best first within each;
    the hand-offs the joint matching chose (at or above the threshold) and every pair a
    reviewer decided
    (:func:`graphkit.hypotheses.listed_handoff_sql`). The other stored candidates of the same
    old number are the row's ``alternatives`` (``{id, new, name, score, rank, status}``, best
    first), not rows of their own. ``same_person``: the person the records give both numbers
    (None when they give them to two persons, or one number to nobody). ``id`` is the review
    id (``graphkit review --accept``; an alternative's id too)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_same_user_as"):
            return []
        cur = con.execute(
            f"""
            SELECT {id_sql("H")} AS id, src AS old, dst AS new, score,
                   CAST(json_extract(evidence, '$.rank') AS BIGINT) AS "rank",
                   CAST(json_extract(evidence, '$.assigned') AS BOOLEAN) AS assigned,
                   status, evidence, decided_by, decided_at, {listed_handoff_sql()} AS listed
            FROM rel_same_user_as
            WHERE model_version LIKE 'handoff-%'
            ORDER BY "rank", score DESC, old, new
            """
        )
        cols = [d[0] for d in cur.description]
        stored = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        owners = record_owners(store, con) if stored else {}

    def agreed(r: dict[str, Any]) -> bool:
        old_person = owners.get(str(r["old"]))
        return bool(old_person) and old_person == owners.get(str(r["new"]))

    # the decisions that matter first: a hand-off the records do not already explain (an
    # unregistered successor, or one in another name) before one they agree with; best first
    # within each (a stable sort keeps the query's order)
    listed = sorted((r for r in stored if r["listed"]), key=agreed)
    rows = listed[: limit if limit is not None else _NO_LIMIT]
    if not rows:
        return []
    people = directory(store)
    by_old: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(stored, key=lambda r: (r["rank"] or 0, -float(r["score"]), r["new"])):
        by_old.setdefault(str(r["old"]), []).append(r)
    out = []
    for row in rows:
        row.pop("listed")
        evidence = _json(row.pop("evidence"))
        decided = {k: row.pop(k) for k in ("decided_by", "decided_at")}
        old_person, new_person = owners.get(str(row["old"])), owners.get(str(row["new"]))
        row["same_person"] = old_person if old_person and old_person == new_person else None
        row["alternatives"] = [
            _alternative(r, people) for r in by_old[str(row["old"])] if r["id"] != row["id"]
        ]
        row |= {"evidence": evidence, **decided}
        row["explanation"] = handoff_explanation(row, owners=(old_person, new_person))
        out.append(row)
    return out


def _alternative(row: dict[str, Any], people: Directory) -> dict[str, Any]:
    """Another candidate of a hand-off's old number, as the chosen row lists it."""
    actor = people.get(row["new"])
    return {
        "id": row["id"],
        "new": row["new"],
        "name": actor.name if actor is not None and actor.named else None,
        "score": row["score"],
        "rank": row["rank"],
        "status": row["status"],
    }


def handoff_decision_note(store: CaseStore, hid: str) -> str:
    """What a decision on the hand-off ``hid`` does, in words, for the review command to
    print after it: a confirmed one joins its two numbers into one actor at the next
    ``build``, unless the records already give both to one person (nothing changes) or to
    two (each number keeps its person); a rejected one keeps them apart, unless the records
    join them, and names the old number's other candidates a reviewer may accept instead."""
    row = next((r for r in handoffs_view(store) if r["id"] == hid), None)
    if row is None:  # not a hand-off of the detector's: what build does with any pair
        return "`graphkit build` then `graphkit analyze` make the two numbers one actor"
    with store.connect(read_only=True) as con:
        owners = record_owners(store, con)
    old, new = str(row["old"]), str(row["new"])
    old_person, new_person = owners.get(old), owners.get(new)
    same = old_person if old_person and old_person == new_person else None
    if row["status"] == "confirmed":
        if same:
            return (
                f"both numbers already belong to {same} in the records: the actor graph does "
                "not change; the hand-off is kept as confirmed (blackouts and reports state "
                "the move as fact)"
            )
        if old_person and new_person:
            return (
                f"the records give {old} to {old_person} and {new} to {new_person}: "
                "`graphkit build` keeps each number with its person and counts a conflict; "
                "if they are one person, decide it in entity resolution (`graphkit review "
                f"{store.path} --queue pairs`)"
            )
        return "`graphkit build` then `graphkit analyze` make the two numbers one actor"
    if same:
        text = (
            f"the records still give both numbers to {same}: rejecting the hand-off does not "
            "part them (entity resolution does)"
        )
    else:
        text = "`graphkit build` keeps the two numbers apart"
    pending = [a for a in row["alternatives"] if a["status"] == "hypothesis"]
    if pending:
        listed = "; ".join(
            f"{a['new']}, score {format_number(float(a['score']))} ({a['id']})" for a in pending
        )
        text += f"; other candidates for {old}: {listed} (accept the successor by its id)"
    return text
