"""Human decisions on stored hypotheses: hand-offs (SAME_USER_AS) and predicted links.

Model output is a hypothesis until a person decides (ARCHITECTURE.md, "Principles").
Each hypothesis has a deterministic review id, like the entity-resolution review queue's
``R...`` ids (:func:`resolution.review.review_id`):

* ``H`` + 12 hex digits: a hand-off ``old -> new`` in ``rel_same_user_as`` (directed: the id of
  ``a -> b`` is not the id of ``b -> a``);
* ``L`` + 12 hex digits: a predicted tie ``a - b`` in ``rel_predicted_link`` (undirected);
* ``S``, ``T``, ``C`` + 12 hex digits: a SIM moved to another handset, a handset that took
  another SIM, a cloned SIM (``rel_moved_to_handset``, ``rel_took_sim``, ``rel_cloned_sim``:
  :mod:`graphkit.cdr.device_store`).

:func:`decide` is the one function for every review decision, whatever its kind (``R...``
entity-resolution pairs through the decider :mod:`resolution.stage` registers, ``H...`` and
``L...`` through :func:`decide_hypothesis`); it runs inside the store's write path (one
``alteration`` audit entry with the table change). :class:`Judgement` is what a reviewer says,
:class:`Status` what a hypothesis row holds. Re-runs of the detectors keep decided rows.
Which stored hand-offs are findings, and what each candidate is to its old number's review
item once reviewers decided (:class:`Standing`: a rejected choice gives way to the next
candidate, a confirmed successor settles the item), follows from the stored statuses alone
(:func:`handoff_standing_sql`, :func:`listed_handoff_sql`). A confirmed
hand-off changes the actor graph at the next ``graphkit build`` (its two numbers become one
actor); a confirmed predicted link is kept as confirmed for reports and exports, and is never
predicted again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from graphkit.errors import CaseError, InputError
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "FINDINGS",
    "HYPOTHESIS_KINDS",
    "PROPOSALS",
    "HypothesisKind",
    "Judgement",
    "Standing",
    "Status",
    "decide",
    "decide_hypothesis",
    "handoff_standing_sql",
    "hypothesis_id",
    "hypothesis_state",
    "id_sql",
    "listed_handoff_sql",
    "register_decider",
    "same_user_links",
    "status_words",
]


class Status(StrEnum):
    """The review status of a stored hypothesis."""

    HYPOTHESIS = "hypothesis"  # model output nobody has decided on
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def status_words(row: Mapping[str, Any]) -> str:
    """A stored hypothesis's review status as an explanation says it: "not reviewed",
    "confirmed by REVIEWER", "rejected by REVIEWER" (``row``: ``status``, ``decided_by``)."""
    status, by = row.get("status"), row.get("decided_by")
    if status in (Status.CONFIRMED, Status.REJECTED):
        return f"{status}" + (f" by {by}" if by else "")
    return "not reviewed"


class Judgement(StrEnum):
    """A reviewer's decision on a review item."""

    ACCEPT = "accept"
    REJECT = "reject"

    @property
    def status(self) -> Status:
        return Status.CONFIRMED if self is Judgement.ACCEPT else Status.REJECTED

    @classmethod
    def parse(cls, value: str) -> Judgement:
        try:
            return cls(value)
        except ValueError:
            raise InputError(f"decision must be accept or reject, not {value!r}") from None


#: ``decider(store, review_id, judgement, actor, note) -> row`` for review ids of one prefix
Decider = Callable[["CaseStore", str, Judgement, "str | None", "str | None"], dict[str, Any]]
_DECIDERS: dict[str, Decider] = {}


def register_decider(prefix: str, decider: Decider) -> None:
    """Make :func:`decide` send review ids starting with ``prefix`` to ``decider``."""
    _DECIDERS[prefix] = decider


_ID_HEX = 12


@dataclass(frozen=True)
class HypothesisKind:
    """One kind of reviewable hypothesis: id prefix, table, name, whether it has a direction,
    the command that stores it and the `graphkit review --queue` that lists it."""

    prefix: str
    table: str
    noun: str
    directed: bool
    stage: str
    queue: str


HYPOTHESIS_KINDS: dict[str, HypothesisKind] = {
    "H": HypothesisKind(
        "H",
        "rel_same_user_as",
        "hand-off",
        True,
        "analyze --only handoffs",
        "handoffs",
    ),
    "L": HypothesisKind(
        "L",
        "rel_predicted_link",
        "predicted link",
        False,
        "predict-links",
        "links",
    ),
    "S": HypothesisKind("S", "rel_moved_to_handset", "SIM move", True, "devices", "devices"),
    "T": HypothesisKind("T", "rel_took_sim", "handset SIM change", True, "devices", "devices"),
    "C": HypothesisKind("C", "rel_cloned_sim", "cloned SIM", True, "devices", "devices"),
}


def hypothesis_id(prefix: str, src: str, dst: str) -> str:
    """Deterministic review id of a stored hypothesis (stable across re-runs).

    Undirected kinds (predicted links) give the same id in both orders.
    """
    kind = HYPOTHESIS_KINDS[prefix]
    a, b = (src, dst) if kind.directed or src <= dst else (dst, src)
    return prefix + hashlib.sha256(f"{a}\x1f{b}".encode()).hexdigest()[:_ID_HEX]


def id_sql(prefix: str, src: str = "src", dst: str = "dst") -> str:
    """SQL expression (DuckDB) computing :func:`hypothesis_id` over columns ``src``, ``dst``.

    ``prefix`` and the column names come from this module's callers, never from user input.
    """
    kind = HYPOTHESIS_KINDS[prefix]
    a, b = (src, dst) if kind.directed else (f"least({src}, {dst})", f"greatest({src}, {dst})")
    return f"('{prefix}' || substr(sha256({a} || chr(31) || {b}), 1, {_ID_HEX}))"


def _kind_of(hid: str) -> HypothesisKind:
    kind = HYPOTHESIS_KINDS.get(hid[:1])
    body = hid[1:]
    if kind is None or len(body) != _ID_HEX or any(c not in "0123456789abcdef" for c in body):
        raise InputError(
            f"{hid!r} is not a hypothesis id (H + 12 hex digits for a hand-off, "
            "L + 12 for a predicted link, S, T or C + 12 for a device swap or clone; see "
            "`graphkit show CASE handoffs`, `predicted-links` or `devices`)"
        )
    return kind


def _stored(con: Any, kind: HypothesisKind, hid: str) -> list[tuple[Any, ...]]:
    """(src, dst, best score, [statuses]) of the rows of ``hid`` (an undirected pair may be
    stored in both orders: one tuple each)."""
    rows: list[tuple[Any, ...]] = con.execute(
        f"SELECT src, dst, max(score), list(DISTINCT status) FROM {kind.table} "
        f"WHERE {id_sql(kind.prefix)} = ? GROUP BY src, dst",
        [hid],
    ).fetchall()
    return rows


def hypothesis_state(store: CaseStore, hid: str) -> dict[str, Any] | None:
    """``{id, kind, src, dst, status}`` of the stored hypothesis ``hid`` (read-only: a caller
    can tell a decision that changes nothing before it writes, and audits, anything); None when
    the case has no such row. ``status`` lists every status the row has, comma-separated (an
    undirected pair stored in both orders has one each)."""
    kind = _kind_of(hid)
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, kind.table):
            return None
        found = _stored(con, kind, hid)
    if not found:
        return None
    src, dst, _, _ = min(found)
    statuses = sorted({str(s) for *_, row in found for s in row})
    return {
        "id": hid,
        "kind": kind.noun,
        "src": str(src),
        "dst": str(dst),
        "status": ", ".join(statuses),
    }


@writes("review", operation="alteration")
def decide_hypothesis(
    store: CaseStore,
    hid: str,
    *,
    decision: str,
    actor: str | None,
) -> dict[str, Any]:
    """Confirm (``decision="accept"``) or reject the hypothesis ``hid``; return what changed.

    The row keeps its score, evidence and model version; ``status``, ``decided_by`` and
    ``decided_at`` record the decision. A decision can be changed by deciding again (the audit
    keeps both). Returns ``{id, kind, src, dst, score, previous_status, status, decided_by,
    decided_at}``.
    """
    kind = _kind_of(hid)
    status = Judgement.parse(decision).status.value
    with store.connect() as con:
        if not store.table_exists(con, kind.table):
            raise CaseError(f"no {kind.noun}s stored: run `graphkit {kind.stage}` first")
        found = _stored(con, kind, hid)
        if not found:
            raise InputError(
                f"no {kind.noun} {hid!r} in this case (they come from `graphkit {kind.stage}`; "
                f"`graphkit review CASE --queue {kind.queue}` lists them)"
            )
        decided_at = datetime.now(UTC)
        # one statement: an undirected pair stored in both orders is decided in both
        con.execute(
            f"UPDATE {kind.table} SET status = ?, decided_by = ?, decided_at = ? "
            f"WHERE {id_sql(kind.prefix)} = ?",
            [status, actor, decided_at, hid],
        )
    src, dst, score, previous = min(found)
    return {
        "id": hid,
        "kind": kind.noun,
        "src": str(src),
        "dst": str(dst),
        "score": float(score) if score is not None else None,
        "previous_status": ", ".join(sorted(str(s) for s in previous)),
        "status": status,
        "decided_by": actor,
        "decided_at": decided_at,
    }


@writes("review", operation="alteration")
def decide(
    store: CaseStore,
    review_id: str,
    judgement: Judgement | str,
    *,
    actor: str | None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a reviewer's decision on any review item: ``R...`` (an entity-resolution pair,
    re-clustered at once), ``H...`` (a hand-off) or ``L...`` (a predicted link).

    Runs in the caller's operation, or as one of its own (audited as an ``alteration``).
    Returns what the decider reports (the item, its previous and new status, who, when).
    """
    judged = Judgement.parse(str(judgement))
    if review_id[:1] in HYPOTHESIS_KINDS:
        return decide_hypothesis(store, review_id, decision=judged.value, actor=actor)
    decider = _DECIDERS.get(review_id[:1])
    if decider is None:
        raise InputError(
            f"{review_id!r} is not a review id (R... pairs, H... hand-offs, L... predicted "
            "links, S/T/C... device swaps and clones; `graphkit review CASE --queue "
            "pairs|handoffs|links|devices` lists them)"
        )
    return decider(store, review_id, judged, actor, note)


class Standing(StrEnum):
    """What a stored hand-off candidate is to its old number's review item (one item per old
    number; :func:`handoff_standing_sql` decides). The first four are findings
    (:func:`listed_handoff_sql`)."""

    CHOSEN = "chosen"  # the joint matching's choice, at or above its threshold: the proposal
    NEXT = "next"  # the best runner-up still open after a reviewer ruled the choice out
    CONFIRMED = "confirmed"  # a reviewer's decision (settles the item)
    REJECTED = "rejected"  # a reviewer's decision (kept on the record)
    NOT_CHOSEN = "not chosen"  # another candidate of its old number was confirmed
    TAKEN = "taken"  # its new number is another old number's open choice or confirmed successor
    BELOW_THRESHOLD = "below threshold"
    RUNNER_UP = "runner-up"  # waits behind its item's proposal


#: standings that are findings: queued (the two open ones), published, exported, reported
FINDINGS = (Standing.CHOSEN, Standing.NEXT, Standing.CONFIRMED, Standing.REJECTED)
#: standings of an item's open proposal (at most one per old number)
PROPOSALS = (Standing.CHOSEN, Standing.NEXT)


def handoff_standing_sql() -> str:
    """SQL query (DuckDB) giving every hand-off candidate of the detector's in
    ``rel_same_user_as`` its :class:`Standing`: columns ``src``, ``dst``, ``standing``,
    ``holder`` (for ``taken``: the old number that holds the new one; for ``not chosen``: the
    new number confirmed instead; else NULL) and ``held_as`` (for ``taken``: ``confirmed`` or
    ``chosen``).

    The rule, per old number (its review item):

    * a reviewer's decision is a finding as decided (``confirmed``, ``rejected``);
    * a confirmed successor settles the item: its other undecided candidates are ``not
      chosen`` (left undecided: only a reviewer decides), neither queued nor findings;
    * else the joint matching's choice at or above its threshold is the item's proposal
      (``chosen``), unless a reviewer confirmed its new number as another old number's
      successor;
    * once a reviewer ruled the choice out (rejected it, or confirmed its new number for
      another old number), the best undecided runner-up at or above the threshold whose new
      number no other item holds (confirmed there, or that item's open choice) is proposed
      instead (``next``): a hypothesis like the choice it replaces, what the one-to-one matching
      would choose with the reviewers' decisions as constraints. Reopened items do not share a
      proposal: their open runners-up are taken greedily, highest score first, one new number
      per item (in a group-wide swap several old numbers often have the same best runner-up).
      With none left, the item is settled: no successor found for the number.

    A proposal is a finding while pending, the next candidate as much as the choice: the queue,
    Neo4j, exports, the report and :func:`same_user_links` show one open proposal per number,
    so what a reviewer is asked and what an investigator sees never differ, and both are
    hypotheses (status ``hypothesis``, "likely", never stated as fact) until a reviewer
    confirms one. Nothing here changes a status: deciding again recomputes all of it from the
    reviewers' statuses alone.
    """
    return f"""
        WITH RECURSIVE h AS (
            SELECT x.src, x.dst, x.status, x.score, x.threshold,
                   coalesce(CAST(json_extract(x.evidence, '$.assigned') AS BOOLEAN), true)
                       AS assigned
            FROM rel_same_user_as x WHERE x.model_version LIKE 'handoff-%'
        ),
        confirmed AS (SELECT x.src, x.dst FROM h x WHERE x.status = 'confirmed'),
        h2 AS (
            SELECT x.*, x.src IN (SELECT c.src FROM confirmed c) AS settled,
                   (SELECT min(c.src) FROM confirmed c WHERE c.dst = x.dst AND c.src <> x.src)
                       AS confirmed_for
            FROM h x
        ),
        chosen AS (
            SELECT x.src, x.dst FROM h2 x
            WHERE x.assigned AND x.status = 'hypothesis' AND x.score >= x.threshold
              AND NOT x.settled AND x.confirmed_for IS NULL
        ),
        reopened AS (
            SELECT DISTINCT x.src FROM h2 x
            WHERE x.assigned AND NOT x.settled
              AND (x.status = 'rejected' OR x.confirmed_for IS NOT NULL)
              AND x.src NOT IN (SELECT c.src FROM chosen c)
        ),
        h3 AS (
            SELECT x.*, (SELECT min(c.src) FROM chosen c WHERE c.dst = x.dst AND c.src <> x.src)
                       AS chosen_for
            FROM h2 x
        ),
        open_next AS (
            SELECT x.src, x.dst,
                   row_number() OVER (ORDER BY x.score DESC, x.src, x.dst) AS k
            FROM h3 x
            WHERE x.status = 'hypothesis' AND x.score >= x.threshold
              AND x.src IN (SELECT r.src FROM reopened r)
              AND x.confirmed_for IS NULL AND x.chosen_for IS NULL
        ),
        -- one new number per reopened item and one item per new number: the open pairs
        -- taken greedily, highest score first (a pair whose old or new number is already
        -- taken is passed over), as the detector's own matching does
        walk AS (
            SELECT 0::BIGINT AS k, []::VARCHAR[] AS olds, []::VARCHAR[] AS news
            UNION ALL
            SELECT w.k + 1,
                   CASE WHEN list_contains(w.olds, o.src) OR list_contains(w.news, o.dst)
                        THEN w.olds ELSE list_append(w.olds, o.src) END,
                   CASE WHEN list_contains(w.olds, o.src) OR list_contains(w.news, o.dst)
                        THEN w.news ELSE list_append(w.news, o.dst) END
            FROM walk w JOIN open_next o ON o.k = w.k + 1
        ),
        nxt AS (
            SELECT unnest(w.olds) AS src, unnest(w.news) AS dst
            FROM walk w WHERE w.k = (SELECT max(k) FROM walk)
        )
        SELECT x.src, x.dst, x.standing,
               CASE x.standing
                   WHEN '{Standing.TAKEN}' THEN coalesce(x.confirmed_for, x.chosen_for)
                   WHEN '{Standing.NOT_CHOSEN}'
                       THEN (SELECT min(c.dst) FROM confirmed c WHERE c.src = x.src)
               END AS holder,
               CASE
                   WHEN x.standing <> '{Standing.TAKEN}' THEN NULL
                   WHEN x.confirmed_for IS NOT NULL THEN '{Standing.CONFIRMED}'
                   ELSE '{Standing.CHOSEN}'
               END AS held_as
        FROM (
            SELECT x.*,
                   CASE
                       WHEN x.status = 'confirmed' THEN '{Standing.CONFIRMED}'
                       WHEN x.status = 'rejected' THEN '{Standing.REJECTED}'
                       WHEN c.src IS NOT NULL THEN '{Standing.CHOSEN}'
                       WHEN n.src IS NOT NULL THEN '{Standing.NEXT}'
                       WHEN x.settled THEN '{Standing.NOT_CHOSEN}'
                       WHEN x.score < x.threshold THEN '{Standing.BELOW_THRESHOLD}'
                       WHEN coalesce(x.confirmed_for, x.chosen_for) IS NOT NULL
                           THEN '{Standing.TAKEN}'
                       ELSE '{Standing.RUNNER_UP}'
                   END AS standing
            FROM h3 x
            LEFT JOIN chosen c ON c.src = x.src AND c.dst = x.dst
            LEFT JOIN nxt n ON n.src = x.src AND n.dst = x.dst
        ) x
    """


def listed_handoff_sql(alias: str = "") -> str:
    """SQL condition (DuckDB) true for the rows of ``rel_same_user_as`` that are findings: a
    pair a reviewer decided, or its old number's open proposal (:func:`handoff_standing_sql`:
    the joint matching's choice at or above its threshold, or once a reviewer ruled that out,
    the best runner-up still open). The review queue lists the proposals; publish, export,
    the report, the views and :func:`same_user_links` read all findings. The other stored
    candidates (runners-up waiting behind a proposal, candidates of a number whose successor
    was confirmed, pairs below the threshold) are model output kept for the record and for
    ``graphkit evaluate``'s top-3 accuracy: they are shown as the alternatives of their old
    number's item, and are never queued, published, exported or read as one user's numbers.
    Rows of another method than the hand-off detector (``model_version`` not ``handoff-...``)
    are findings as stored. ``alias``: the table's alias in the caller's query (this module's
    callers, never user input); without one the table is named ``rel_same_user_as``."""
    t = alias or "rel_same_user_as"
    proposals = ", ".join(f"'{s}'" for s in PROPOSALS)
    return (
        f"({t}.status <> 'hypothesis' OR {t}.model_version NOT LIKE 'handoff-%' OR EXISTS ("
        f"SELECT 1 FROM ({handoff_standing_sql()}) standing WHERE standing.src = {t}.src "
        f"AND standing.dst = {t}.dst AND standing.standing IN ({proposals})))"
    )


def same_user_links(con: Any) -> list[tuple[str, str, float, str, str]]:
    """(new number's actor, old number's actor, score, review id, status) of every hand-off
    finding not rejected that joins two actors of the actor graph, strongest first: one
    user's two numbers, whatever the graph drew them as. Only findings count
    (:func:`listed_handoff_sql`): each old number's open proposal (a hypothesis, at or above
    its threshold) or confirmed successor; a runner-up nobody proposed or confirmed is not
    one user's number, however high its score. ``con``: a connection to a case with
    ``rel_same_user_as`` and ``actor`` (checked by the caller)."""
    rows = con.execute(
        f"""
        WITH owner AS (SELECT actor_id, unnest(phones) AS phone FROM actor)
        SELECT n.actor_id AS burner, o.actor_id AS carrier, h.score,
               {id_sql("H", "h.src", "h.dst")} AS review_id, h.status
        FROM rel_same_user_as h
        JOIN owner o ON o.phone = h.src
        JOIN owner n ON n.phone = h.dst
        WHERE h.status <> 'rejected'
          AND (h.score >= h.threshold OR h.status = 'confirmed')
          AND {listed_handoff_sql("h")}
          AND n.actor_id <> o.actor_id
        ORDER BY h.score DESC, burner, carrier
        """
    ).fetchall()
    return [(str(b), str(c), float(s), str(r), str(st)) for b, c, s, r, st in rows]
