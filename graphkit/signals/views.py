"""Views of the signal analytics: `blackouts` and `handoffs` (`graphkit show CASE VIEW`).

Both read what :mod:`graphkit.signals.stage` stored; phones are shown by the number
the case keys them by (E.164 where the ingested number was valid, the raw id otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import duckdb

from graphkit.hypotheses import (
    FINDINGS,
    PROPOSALS,
    Standing,
    Status,
    handoff_standing_sql,
    id_sql,
)
from graphkit.people import Directory, directory
from graphkit.signals.wording import (
    blackout_explanation,
    came_back,
    handoff_explanation,
    with_handoff_reviews,
)
from graphkit.store import CaseStore
from graphkit.views import format_number, view

__all__ = [
    "blackouts_view",
    "handoff_decision_note",
    "handoff_item",
    "handoffs_view",
    "record_owners",
]

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
    json_only=("standing",),
)
def handoffs_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, old, new, score, rank, assigned, status, standing, same_person,
    alternatives, evidence, decided_by, decided_at, explanation}`` of the hand-off findings
    (:func:`graphkit.hypotheses.listed_handoff_sql`): each old number's open proposal (the
    joint matching's choice at or above the threshold, or once a reviewer ruled it out, the
    next candidate) and every pair a reviewer decided. First those whose two numbers the
    records do not already give to one person, then those they do, best first within each.
    ``standing``: what the row is to its old number's item (:class:`Standing`). The other
    stored candidates of the same old number are the row's ``alternatives`` (``{id, new,
    name, score, rank, status, standing, note}``, best first; ``note`` says the standing in
    words: "rejected by R", "not chosen: NEW was confirmed by R", "the successor chosen for
    OLD"), not rows of their own. ``same_person``: the person the records give both numbers
    (None when they give them to two persons, or one number to nobody). ``id`` is the review
    id (``graphkit review --accept``; an alternative's id too)."""
    rows = _handoff_rows(store, lambda r: bool(r["listed"]))
    return rows[: limit if limit is not None else _NO_LIMIT]


def handoff_item(store: CaseStore, hid: str) -> dict[str, Any] | None:
    """The stored hand-off candidate ``hid`` as a row of the ``handoffs`` view, whatever its
    standing (a runner-up, one not chosen), for `graphkit review --id`; None when the case
    has no such candidate of the detector's. Actors are not yet named (the caller names)."""
    rows = _handoff_rows(store, lambda r: r["id"] == hid)
    return rows[0] if rows else None


def _handoff_rows(store: CaseStore, keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The stored hand-off candidates ``keep`` selects, as rows of the ``handoffs`` view."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_same_user_as"):
            return []
        # listed: a finding (listed_handoff_sql), read off the standing already joined here
        # rather than that rule's own pass over the standings for every row
        cur = con.execute(
            f"""
            SELECT {id_sql("H")} AS id, src AS old, dst AS new, score,
                   CAST(json_extract(evidence, '$.rank') AS BIGINT) AS "rank",
                   CAST(json_extract(evidence, '$.assigned') AS BOOLEAN) AS assigned,
                   status, s.standing, s.holder, s.held_as, evidence, decided_by, decided_at,
                   s.standing IN ({", ".join(f"'{f}'" for f in FINDINGS)}) AS listed
            FROM rel_same_user_as
            JOIN ({handoff_standing_sql()}) s USING (src, dst)
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
    rows = sorted((r for r in stored if keep(r)), key=agreed)
    if not rows:
        return []
    people = directory(store)
    by_old: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(stored, key=lambda r: (r["rank"] or 0, -float(r["score"]), r["new"])):
        by_old.setdefault(str(r["old"]), []).append(r)
    out = []
    for stored_row in rows:
        row = dict(stored_row)
        row.pop("listed")
        for key in ("holder", "held_as"):
            row.pop(key)
        evidence = _json(row.pop("evidence"))
        decided = {k: row.pop(k) for k in ("decided_by", "decided_at")}
        old_person, new_person = owners.get(str(row["old"])), owners.get(str(row["new"]))
        row["same_person"] = old_person if old_person and old_person == new_person else None
        candidates = by_old[str(row["old"])]
        row["alternatives"] = [
            _alternative(r, people, candidates) for r in candidates if r["id"] != row["id"]
        ]
        row |= {"evidence": evidence, **decided}
        lead = _next_lead(row, candidates)
        outcome = _outcome(stored_row, candidates)
        text = handoff_explanation(row, owners=(old_person, new_person))
        if outcome:  # what the item holds now, before the row's own status
            head, _, status = text.rpartition("; ")
            text = f"{head}; {outcome}; {status}"
        row["explanation"] = f"{lead}: {text}" if lead else text
        out.append(row)
    return out


def _reviewer(row: dict[str, Any]) -> str:
    by = row.get("decided_by")
    return f" by {by}" if by else ""


def _confirmed_of(candidates: list[dict[str, Any]], new: Any) -> dict[str, Any] | None:
    return next(
        (r for r in candidates if r["new"] == new and r["status"] == Status.CONFIRMED), None
    )


def _standing_note(row: dict[str, Any], candidates: list[dict[str, Any]]) -> str:
    """A candidate's standing in words, as its old number's item lists it."""
    standing, holder = row["standing"], row.get("holder")
    if standing in (Standing.CONFIRMED, Standing.REJECTED):
        return f"{standing}{_reviewer(row)}"
    if standing == Standing.NEXT:
        return "the next candidate, proposed for review"
    if standing == Standing.NOT_CHOSEN:
        by = _confirmed_of(candidates, holder) or {}
        return f"not chosen: {holder} was confirmed{_reviewer(by)}"
    if standing == Standing.TAKEN:
        if row.get("held_as") == Standing.CONFIRMED:
            return f"confirmed as the successor of {holder}"
        return f"the joint matching's choice for {holder}"
    if standing == Standing.BELOW_THRESHOLD:
        return "below the threshold"
    return ""


def _proposal_words(r: dict[str, Any]) -> str:
    return f"{r['new']}, score {format_number(float(r['score']))}, {r['id']}"


def _item_words(old: str, candidates: list[dict[str, Any]]) -> str:
    """What the item of the old number ``old`` holds now: its successor, its proposal, or no
    successor at all."""
    confirmed = [r for r in candidates if r["standing"] == Standing.CONFIRMED]
    if confirmed:
        named = "; ".join(f"{r['new']} ({r['id']}, confirmed{_reviewer(r)})" for r in confirmed)
        return f"the successor of {old} is {named}: the item is settled"
    proposal = next((r for r in candidates if r["standing"] in PROPOSALS), None)
    if proposal is not None:
        if proposal["standing"] == Standing.NEXT:
            return f"next candidate for {old}: {_proposal_words(proposal)} (pending review)"
        return (
            f"proposed for {old}: {_proposal_words(proposal)} (the joint matching's choice, "
            "pending review)"
        )
    counts = {
        "rejected": sum(r["standing"] == Standing.REJECTED for r in candidates),
        "below the threshold": sum(r["standing"] == Standing.BELOW_THRESHOLD for r in candidates),
        "another number's choice or successor": sum(
            r["standing"] == Standing.TAKEN for r in candidates
        ),
    }
    why = ", ".join(f"{n} {what}" for what, n in counts.items() if n)
    return f"no successor found for {old}: the item is settled ({why})"


def _next_lead(row: dict[str, Any], candidates: list[dict[str, Any]]) -> str:
    """For a runner-up proposed after the joint matching's choice was ruled out: what it
    replaces, first in its explanation ("next candidate for OLD after NEW (H...) was
    rejected by R")."""
    if row["standing"] != Standing.NEXT:
        return ""
    out = []
    for r in candidates:
        if r["standing"] == Standing.REJECTED:
            out.append(f"{r['new']} ({r['id']}) was rejected{_reviewer(r)}")
        elif r["assigned"] and r["standing"] == Standing.TAKEN:
            out.append(f"the choice {r['new']} ({r['id']}) was confirmed for {r['holder']}")
    return f"next candidate for {row['old']} after " + "; ".join(out)


def _outcome(row: dict[str, Any], candidates: list[dict[str, Any]]) -> str:
    """What a row that is not its item's proposal says of the item: a rejected one names the
    next candidate or says no successor was found; a confirmed one that its item is settled;
    a candidate not proposed, why."""
    standing, old = row["standing"], str(row["old"])
    if standing in PROPOSALS:
        return ""
    if standing == Standing.CONFIRMED:
        others = [
            r for r in candidates if r["standing"] == Standing.CONFIRMED and r["id"] != row["id"]
        ]
        text = "the item is settled"
        if any(r["standing"] == Standing.NOT_CHOSEN for r in candidates):
            text += ": its undecided candidates are not chosen (left undecided)"
        if others:  # a reviewer's call, not undone here: said, so that it is seen
            text += "; " + ", ".join(f"{r['new']} ({r['id']})" for r in others)
            text += f" is confirmed as a successor of {old} too"
        return text
    if standing == Standing.REJECTED:
        return _item_words(old, candidates)
    if standing == Standing.NOT_CHOSEN:  # the item is settled: say by whom, once
        by = _confirmed_of(candidates, row.get("holder")) or {}
        return (
            f"not chosen: {row.get('holder')} ({by.get('id')}) was confirmed{_reviewer(by)}: "
            "the item is settled"
        )
    note = _standing_note(row, candidates)
    if standing == Standing.RUNNER_UP:
        note = "a runner-up, not proposed"
    return f"{note}; {_item_words(old, candidates)}"


def _alternative(
    row: dict[str, Any], people: Directory, candidates: list[dict[str, Any]]
) -> dict[str, Any]:
    """Another candidate of a hand-off's old number, as the chosen row lists it."""
    actor = people.get(row["new"])
    return {
        "id": row["id"],
        "new": row["new"],
        "name": actor.name if actor is not None and actor.named else None,
        "score": row["score"],
        "rank": row["rank"],
        "status": row["status"],
        "standing": row["standing"],
        "note": _standing_note(row, candidates),
    }


def handoff_decision_note(
    store: CaseStore, hid: str, *, before: Mapping[str, tuple[str, ...]] | None = None
) -> str:
    """What a decision on the hand-off ``hid`` does, in words, for the review command to
    print after it: to the actor graph (a confirmed one joins its two numbers into one actor
    at the next ``build``, unless the records already give both to one person, nothing
    changes, or to two, each number keeps its person; a rejected one keeps them apart, unless
    the records join them) and to the review queue (a confirmed one settles its old number's
    item, its other candidates not chosen; a rejected one gives way to the next candidate, or
    leaves no successor). ``before``: :func:`handoff_items` read before the decision; the
    items of other old numbers that the decision changed are named too."""
    row = handoff_item(store, hid)
    if row is None:  # not a hand-off of the detector's: what build does with any pair
        return "`graphkit build` then `graphkit analyze` make the two numbers one actor"
    with store.connect(read_only=True) as con:
        owners = record_owners(store, con)
    old, new = str(row["old"]), str(row["new"])
    old_person, new_person = owners.get(old), owners.get(new)
    same = old_person if old_person and old_person == new_person else None
    if row["status"] == Status.CONFIRMED:
        if same:
            text = (
                f"both numbers already belong to {same} in the records: the actor graph does "
                "not change; the hand-off is kept as confirmed (blackouts and reports state "
                "the move as fact)"
            )
        elif old_person and new_person:
            text = (
                f"the records give {old} to {old_person} and {new} to {new_person}: "
                "`graphkit build` keeps each number with its person and counts a conflict; "
                "if they are one person, decide it in entity resolution (`graphkit review "
                f"{store.path} --queue pairs`)"
            )
        else:
            text = "`graphkit build` then `graphkit analyze` make the two numbers one actor"
    elif same:
        text = (
            f"the records still give both numbers to {same}: rejecting the hand-off does not "
            "part them (entity resolution does)"
        )
    else:
        text = "`graphkit build` keeps the two numbers apart"
    return f"{text}; {_queue_change(store, row, before)}"


def _touched(store: CaseStore, hid: str) -> list[dict[str, Any]]:
    """The stored candidates of every old number a decision on ``hid`` can move: its own,
    and those of the old numbers with a candidate among its old number's new numbers (a
    new number confirmed, or freed, for one old number is taken from, or open to, another)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_same_user_as"):
            return []
        cur = con.execute(
            f"""
            WITH decided AS (
                SELECT src FROM rel_same_user_as
                WHERE {id_sql("H")} = ? AND model_version LIKE 'handoff-%'
            ),
            numbers AS (
                SELECT dst FROM rel_same_user_as
                WHERE src IN (SELECT src FROM decided) AND model_version LIKE 'handoff-%'
            ),
            items AS (
                SELECT DISTINCT src FROM rel_same_user_as
                WHERE dst IN (SELECT dst FROM numbers) AND model_version LIKE 'handoff-%'
            )
            SELECT {id_sql("H")} AS id, src AS old, dst AS new, score, status, decided_by,
                   s.standing, s.holder, s.held_as
            FROM rel_same_user_as JOIN ({handoff_standing_sql()}) s USING (src, dst)
            WHERE model_version LIKE 'handoff-%' AND src IN (SELECT src FROM items)
            ORDER BY old, score DESC, new
            """,
            [hid],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _item_key(candidates: list[dict[str, Any]]) -> tuple[str, ...]:
    """What an item holds, to tell whether a decision changed it: its proposal and its
    confirmed successors."""
    return tuple(
        f"{r['standing']}:{r['id']}"
        for r in candidates
        if r["standing"] in (*PROPOSALS, Standing.CONFIRMED)
    )


def _by_old(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r["old"]), []).append(r)
    return out


def handoff_items(store: CaseStore, hid: str) -> dict[str, tuple[str, ...]]:
    """What each review item a decision on the hand-off ``hid`` can move holds now (its
    proposal, its confirmed successors), by old number: read before the decision and given
    to :func:`handoff_decision_note` after it, which names the items that changed."""
    return {old: _item_key(c) for old, c in _by_old(_touched(store, hid)).items()}


def _queue_change(
    store: CaseStore, row: dict[str, Any], before: Mapping[str, tuple[str, ...]] | None
) -> str:
    """What the review queue holds after a decision on ``row``: its old number's item, and
    the other items the decision changed (``before``: :func:`handoff_items`)."""
    old = str(row["old"])
    by_old = _by_old(_touched(store, str(row["id"])))
    mine = by_old.pop(old, [])
    text = _item_words(old, mine)
    if row["status"] == Status.CONFIRMED:
        undecided = [r for r in mine if r["standing"] == Standing.NOT_CHOSEN]
        if undecided:
            listed = "; ".join(f"{r['new']} ({r['id']})" for r in undecided)
            text += f"; not chosen, out of the queue (left undecided): {listed}"
        also = [r for r in mine if r["standing"] == Standing.CONFIRMED and r["id"] != row["id"]]
        if also:  # allowed (a number can pass to two phones), but rarely meant
            listed = "; ".join(f"{r['new']} ({r['id']})" for r in also)
            text += (
                f"; warning: {old} now has {len(also) + 1} confirmed successors (also "
                f"{listed}): if one is a mistake, reject it"
            )
    for other, cands in by_old.items():
        if before is not None and before.get(other, ()) != _item_key(cands):
            text += f"; {_item_words(other, cands)}"
    return text
