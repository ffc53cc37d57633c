"""Views of the analyze stage: summary, communities, actors, leaders, brokers.

Actor identifiers are the ones the user ingested (phone numbers as normalised at ingest,
person ids minted by resolution, contact ids verbatim).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from graphkit.store import CaseStore, table_columns
from graphkit.views import community_sizes, format_number, view

__all__ = [
    "actors_view",
    "brokers_view",
    "burner_carriers",
    "burner_links",
    "communities_view",
    "leaders_view",
    "summary_view",
]

Row = dict[str, Any]
_NO_LIMIT = 2**62


_NEEDED = frozenset({"community", "pagerank", "leadership", "broker_role"})


def _query(
    store: CaseStore,
    sql: str,
    params: list[Any],
    *,
    drop: tuple[str, ...] = (),
    needed: frozenset[str] = _NEEDED,
) -> list[Row]:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return []
        cols = table_columns(con, "analytics_actor")
        if not needed <= cols:
            return []
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        for key in drop:
            r.pop(key, None)
        if isinstance(r.get("evidence"), str):
            r["evidence"] = json.loads(r["evidence"])
    return rows


@view("summary", help="the analyze run: settings, sizes, modularity, betweenness error")
def summary_view(store: CaseStore, *, limit: int | None = None) -> list[Row]:
    stage = store.stage("analyze")
    if stage is None:
        return []
    build = store.stage("build") or {}
    row = {
        "ran_at": stage.get("ran_at"),
        "seed": stage["settings"].get("seed"),
        "persons_used": build.get("summary", {}).get("persons_used"),
        "confirmed_hand_offs_applied": build.get("summary", {}).get("confirmed_same_user_as"),
        **{k: v for k, v in stage["summary"].items() if k != "tables"},
    }
    sizes = community_sizes(store)
    if sizes is not None:  # the stored count holds actors alone as communities of one
        counted = {
            "communities_of_2_plus": sum(1 for n in sizes if n >= 2),
            "actors_alone": sum(1 for n in sizes if n < 2),
        }
        keys = list(row)
        at = keys.index("communities") + 1 if "communities" in keys else len(keys)
        row = {**{k: row[k] for k in keys[:at]}, **counted, **{k: row[k] for k in keys[at:]}}
    return [row][:limit] if limit is not None else [row]


@view(
    "communities",
    help="communities, most organised first: tests passed, size, leader (where a test passed), "
    "the chain-of-command claim and its tests (ordering, relayed orders)",
    actors=("leader", "relay_test_source", "top_members"),
)
def communities_view(store: CaseStore, *, limit: int | None = None) -> list[Row]:
    """Communities with the tests of organisation each passed, those with most first
    (:func:`graphkit.analytics.organisation.organisation`)."""
    from graphkit.analytics.organisation import organisation

    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_community"):
            return []
        communities = con.execute("SELECT * FROM analytics_community").df()
        actors = con.execute(
            """SELECT a.actor_id, a.community, a.leadership, x.phones
               FROM analytics_actor a LEFT JOIN actor x USING (actor_id)"""
        ).df()
        blackouts = (
            con.execute("SELECT kind, members FROM analytics_blackout").df()
            if store.table_exists(con, "analytics_blackout")
            else None
        )
        handoffs = (
            con.execute("SELECT src, dst, status FROM rel_same_user_as").df()
            if store.table_exists(con, "rel_same_user_as")
            else None
        )
    ranked = organisation(communities, actors, blackouts, handoffs)
    top = (
        actors.sort_values(["leadership", "actor_id"], ascending=[False, True])
        .groupby("community")["actor_id"]
        .agg(lambda s: list(s)[:5])
    )
    keep = [
        "organisation_rank",
        "community",
        "evidence",
        "size",
        "leader",
        "hierarchy_stated",
        "hierarchy_basis",
        "hierarchy_q_value",
        "hierarchy_effect",
        "relay_test_q_value",
        "relay_test_source",
        "relay_test_onward",
        "relay_test_onward_before",
        "ties",
        "density",
        "downward_share",
        "expected_downward_share",
        "mean_confidence",
    ]
    ranked = ranked[[c for c in keep if c in ranked.columns]]
    rows: list[Row] = []
    for row in ranked.to_dict("records"):
        row["top_members"] = top.get(row["community"], [])
        rows.append({k: (None if v is pd.NA else v) for k, v in row.items()})
    return rows if limit is None else rows[:limit]


@view(
    "actors",
    help="every actor: phones, community, pagerank, betweenness, leadership, role",
    actors=("actor_id", "superior"),
)
def actors_view(store: CaseStore, *, limit: int | None = None) -> list[Row]:
    return _query(
        store,
        """
        SELECT actor_id, kind, phones, community, community_confidence,
               pagerank, betweenness, leadership, level, superior, broker_role, explanation
        FROM analytics_actor ORDER BY pagerank DESC, actor_id LIMIT ?
        """,
        [limit if limit is not None else _NO_LIMIT],
    )


@view(
    "leaders",
    help="actors by leadership, case-wide, with what it rests on and likely burners marked",
    actors=("actor_id", "superior", "burners", "same_person_as"),
    default_limit=20,
)
def leaders_view(store: CaseStore, *, limit: int | None = None) -> list[Row]:
    """Actors by their own leadership, case-wide: the ranking every other view, the report
    and `graphkit evaluate` use. A hand-off at or above its threshold and not rejected links
    an old phone's actor (the carrier) to the new phone's (a likely burner): both stay
    ranked on their own, the carrier lists the burner in ``burners`` and the burner names
    its carrier in ``same_person_as``, each with the hand-off's id, score and review status
    (an unreviewed hand-off is a hypothesis; a confirmed one merges the two actors at the
    next build)."""
    columns = _actor_columns(store)
    # a chain of command stated by relayed orders alone ranks nobody: the rank term rests on
    # the ordering test (cases analysed before that route existed have only the claim)
    ordered = "ordering_stated" if "ordering_stated" in columns else "hierarchy_stated"
    relay_tier = "a.relay_tier" if "relay_tier" in columns else "0"
    # a relay tier rests on a chain only where the community's relayed-orders test passed
    confirmed = (
        "coalesce((SELECT c.relay_test_stated FROM analytics_community c"
        " WHERE c.community = a.community), false)"
        if "relay_test_stated" in _community_columns(store)
        else "false"
    )
    rows = _query(
        store,
        f"""
        SELECT actor_id, community, leadership, level, superior,
               rank_in_community, hierarchy_stated, {ordered} AS ordering_stated,
               hierarchy_q_value, pagerank, explanation, evidence, {relay_tier} AS relay_tier,
               {confirmed} AS relay_confirmed
        FROM analytics_actor a ORDER BY leadership DESC, actor_id
        """,
        [],
        needed=frozenset({"community", "pagerank", "leadership", "hierarchy_stated"}),
    )
    by_id = {r["actor_id"]: r for r in rows}
    for burner, (owner, score, review_id, status) in burner_links(store).items():
        if burner not in by_id or owner not in by_id or burner == owner:
            continue
        link = {"hand_off": review_id, "score": score, "status": status}
        by_id[owner].setdefault("burners", []).append(burner)
        by_id[owner].setdefault("burner_evidence", []).append({"actor_id": burner, **link})
        by_id[burner]["same_person_as"] = owner
        by_id[burner]["same_person_evidence"] = {"actor_id": owner, **link}
        basis = _hand_off_words(review_id, score, status)
        likely = "" if status == "confirmed" else "likely "
        _add_sentence(by_id[owner], f"{likely}also the user of the number of {burner} ({basis})")
        _add_sentence(by_id[burner], f"{likely}the same person as {owner} ({basis})")
    stage = store.stage("analyze") or {}
    reading = (stage.get("settings") or {}).get("rank_direction", "caller")
    for r in rows:
        r.setdefault("burners", [])
        r.setdefault("same_person_as", None)
        r["rests_on"] = _basis(r, reading)
    return rows if limit is None else rows[:limit]


def _hand_off_words(review_id: str, score: float, status: str) -> str:
    """The hand-off a burner link rests on, with its score and whether anyone reviewed it."""
    if status == "confirmed":
        return (
            f"hand-off {review_id} confirmed, score {format_number(score)}; "
            "one actor after the next build"
        )
    return f"hand-off {review_id}, score {format_number(score)}, a hypothesis not yet reviewed"


def _add_sentence(row: Row, sentence: str) -> None:
    text = row.get("explanation") or ""
    row["explanation"] = f"{text}; {sentence}" if text else sentence


def _basis(row: Row, reading: str) -> str:
    """What an actor's leadership rests on, so that a reader knows which reading of the data
    it needs: the timing of contacts (relayed orders, found with or without their direction),
    call direction (a stated ordering), or prominence alone."""
    tier = row.get("relay_tier") or 0
    if tier and not row.get("relay_confirmed"):
        role = "a chain head's" if tier == 2 else "a middle link's"
        return (
            f"{role} relay pattern (timing of contacts; not confirmed by its community's "
            "relayed-orders test); then prominence"
        )
    if tier == 2:
        return "heads a relay chain (timing of contacts); then prominence"
    if tier == 1:
        return "relays orders (timing of contacts); then prominence"
    if row.get("ordering_stated") and row.get("level") is not None:
        above = "caller" if reading == "caller" else "callee"
        return f"prominence and rank in a stated ordering (direction read {above} above)"
    if row.get("ordering_stated"):
        return (
            "prominence alone (PageRank): no directed contact inside its community, so the "
            "stated ordering does not place it"
        )
    return "prominence alone (PageRank): no ordering stated, no relay chain"


def _actor_columns(store: CaseStore) -> set[str]:
    with store.connect(read_only=True) as con:
        return set(table_columns(con, "analytics_actor"))


def _community_columns(store: CaseStore) -> set[str]:
    with store.connect(read_only=True) as con:
        return set(table_columns(con, "analytics_community"))


def burner_links(store: CaseStore) -> dict[str, tuple[str, float, str, str]]:
    """burner actor -> (carrier actor, hand-off score, hand-off review id, review status),
    for hand-offs at or above their threshold and not rejected; the strongest per burner."""
    from graphkit.hypotheses import same_user_links

    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "rel_same_user_as") and store.table_exists(con, "actor")):
            return {}
        found = same_user_links(con)
    out: dict[str, tuple[str, float, str, str]] = {}
    for burner, owner, score, review_id, status in found:
        out.setdefault(burner, (owner, score, review_id, status))
    return out


def burner_carriers(store: CaseStore) -> dict[str, tuple[str, float, str]]:
    """burner actor -> (carrier actor, hand-off score, hand-off review id): :func:`burner_links`
    without the status."""
    return {b: (o, sc, rid) for b, (o, sc, rid, _) in burner_links(store).items()}


@view(
    "brokers",
    help="actors by betweenness (on most shortest paths first), with their Gould-Fernandez "
    "brokerage (role, paths brokered), bridging, key-player effect",
    actors=("actor_id",),
    default_limit=20,
)
def brokers_view(store: CaseStore, *, limit: int | None = None) -> list[Row]:
    return _query(
        store,
        """
        SELECT actor_id, community, broker_role, brokerage,
               coordinator, itinerant, representative, gatekeeper, liaison,
               participation, communities_reached, betweenness, fragmentation_gain,
               explanation
        FROM analytics_actor WHERE brokerage > 0
        ORDER BY betweenness DESC, brokerage DESC, actor_id LIMIT ?
        """,
        [limit if limit is not None else 20],
    )
