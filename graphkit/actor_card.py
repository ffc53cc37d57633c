"""The ``actor`` view: one actor's card (``graphkit show CASE actor QUERY``).

The query is a name, a phone in any format or an id (or its first characters), found with
:func:`graphkit.people.Directory.find_one`. The card gathers what the case holds about the
actor: who it is (name, other names seen, phones), where it sits (community, level, superior),
its key measures with their case-wide ranks, whether its ranks survive another entity-
resolution threshold, and every hypothesis (predicted link, hand-off) and blackout that
involves it, read through the views that show them (so ids and explanations are the same).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from graphkit.people import Actor, Directory, directory
from graphkit.store import table_columns
from graphkit.views import get_view, view

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["actor_card_view"]

Row = dict[str, Any]

# analytics_actor columns the card shows, in this order, when the case has them: where the
# actor sits, then its measures
_PLACE = ("community", "community_confidence", "level", "superior", "rank_in_community")
_READ = (*_PLACE, "ordering_stated")  # read, not shown: whether the rank means anything
_SCORES = (
    "leadership",
    "pagerank",
    "betweenness",
    "broker_role",
    "brokerage",
    "communities_reached",
    "fragmentation_gain",
)
_MEASURES = (*_READ, *_SCORES, "explanation")
# analytics_community columns shown with the actor's community, as the card names them
_COMMUNITY = {
    "size": "community_size",
    "leader": "community_leader",
    "hierarchy_stated": "hierarchy_stated",
    "hierarchy_q_value": "hierarchy_q_value",
    "hierarchy_p_value": "hierarchy_p_value",
}
_RANKED = ("leadership", "pagerank", "betweenness")  # each with its rank among all actors


def _measures(store: CaseStore, actor_id: str) -> Row:
    out: Row = {}
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return out
        have = table_columns(con, "analytics_actor")
        picked = [c for c in _MEASURES if c in have]
        ranked = [c for c in _RANKED if c in have]
        ranks = "".join(f", rank() OVER (ORDER BY {c} DESC NULLS LAST) AS {c}_rank" for c in ranked)
        if not picked:
            return out
        cur = con.execute(
            f"""
            WITH r AS (SELECT actor_id, {", ".join(picked)}{ranks},
                              count(*) OVER () AS actors_ranked
                       FROM analytics_actor)
            SELECT * EXCLUDE (actor_id) FROM r WHERE actor_id = ?
            """,  # column names above are this module's constants, checked against the table
            [actor_id],
        )
        names = [d[0] for d in cur.description]
        found = cur.fetchone()
        if found is None:
            return out
        row = dict(zip(names, found, strict=True))
        community = row.get("community")
        if community is not None and store.table_exists(con, "analytics_community"):
            cur = con.execute(
                "SELECT * FROM analytics_community WHERE CAST(community AS VARCHAR) IN (?, ?)",
                [str(community), str(community).removeprefix("C")],
            )
            fields = [d[0] for d in cur.description]
            group = cur.fetchone()
            if group is not None:
                found_group = dict(zip(fields, group, strict=True))
                row |= {key: found_group[c] for c, key in _COMMUNITY.items() if c in found_group}
        sens = []
        if store.table_exists(con, "analytics_sensitivity"):
            sens = con.execute(
                "SELECT ranking, rank, rank_loose, rank_strict, survives "
                "FROM analytics_sensitivity WHERE actor_id = ? ORDER BY ranking DESC",
                [actor_id],
            ).fetchall()
    order = [*_PLACE[:2], *_COMMUNITY.values(), *_PLACE[2:]]
    for c in _SCORES:
        order += [c, f"{c}_rank"] if c in _RANKED else [c]
    order += ["actors_ranked"]
    out = {k: row[k] for k in order if k in row}
    if "community_leader" in out and out["community_leader"] is None:
        # a community's first member by leadership is its leader only where a test passed
        out["community_leader"] = "none named (no leader test passed)"
    # a case analysed before orderings were stated apart reads its chain-of-command claim
    ordered = row.get("ordering_stated")
    ordered = row.get("hierarchy_stated") if ordered is None else ordered
    if "rank_in_community" in out and not ordered:
        out["rank_in_community"] = None  # a seniority rank only within a stated ordering
    for ranking, rank, loose, strict, survives in sens:
        out[f"{ranking}_top_rank"] = (
            f"#{rank}; #{loose} with looser and #{strict} with stricter resolution"
            + (" (survives)" if survives else " (does not survive)")
        )
    if "explanation" in row:
        out["explanation"] = row["explanation"]
    return out


def _hypotheses(store: CaseStore, actor: Actor, people: Directory) -> list[Row]:
    mine = {actor.actor_id, *actor.phones}
    out: list[Row] = []
    for row in get_view("predicted-links").fn(store, limit=None):
        if mine & {row["a"], row["b"]}:
            other = row["b"] if row["a"] in mine else row["a"]
            out.append(_hypothesis(row, "predicted link", other, people))
    for row in get_view("handoffs").fn(store, limit=None):
        if mine & {row["old"], row["new"]}:
            gave = row["old"] in mine
            other = row["new"] if gave else row["old"]
            kind = f"hand-off: {row['old']} -> {row['new']}"
            out.append(_hypothesis(row, kind, other, people))
    return sorted(out, key=lambda r: -(r["score"] or 0.0))


def _hypothesis(row: Row, kind: str, other: str, people: Directory) -> Row:
    found = people.get(other)
    return {
        "id": row["id"],
        "hypothesis": kind,
        "other": other,
        "other_name": found.name if found else None,
        "other_phones": list(found.phones) if found else [],
        "score": row["score"],
        "status": row["status"],
        "explanation": people.name_text(str(row.get("explanation") or "")),
    }


def _blackouts(store: CaseStore, actor: Actor, people: Directory) -> list[Row]:
    mine = {actor.actor_id, *actor.phones}
    out = []
    for row in get_view("blackouts").fn(store, limit=None):
        if row["id"] in mine or mine & set(row.get("members") or ()):
            out.append(
                {
                    k: row.get(k)
                    for k in (
                        "kind",
                        "id",
                        "start",
                        "end",
                        "duration_h",
                        "p_value",
                        "q_value",
                        "came_back",
                    )
                }
                | {"explanation": people.name_text(str(row.get("explanation") or ""))}
            )
    return out


@view(
    "actor",
    help="one actor's card: who, phones, community, measures, hypotheses, blackouts "
    "(graphkit show CASE actor QUERY: a name, a phone in any format or an id)",
    actors=("actor_id", "community_leader", "superior"),
    query=True,
)
def actor_card_view(store: CaseStore, *, limit: int | None = None, query: str) -> list[Row]:
    """One row: the card of the actor ``query`` names (InputError when none or several
    match). ``limit`` is not used: the card's lists are complete."""
    people = directory(store)
    actor = people.find_one(query)
    card: Row = {
        "actor_id": actor.actor_id,
        "name": actor.name,
        "kind": actor.kind,
        "phones": list(actor.phones),
        "other_names": [n for n in actor.names if n != actor.name],
    }
    if not actor.in_graph:
        card["note"] = "a resolved person the actor graph does not hold (no phone or tie)"
    card |= _measures(store, actor.actor_id)
    card["hypotheses"] = _hypotheses(store, actor, people)
    card["blackouts"] = _blackouts(store, actor, people)
    return [card]
