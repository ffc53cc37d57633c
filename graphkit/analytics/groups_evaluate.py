"""Communities and leaders found in a case, scored against the truth of a simulated case.

Reads the truth folder written by ``graphkit simulate`` (``groups.csv``, ``records.csv``,
``phones.csv``) and the ``analytics_actor`` table written by ``graphkit analyze``. Evaluator
signature ``(store, truth_dir) -> dict | None`` (None: the stage has not run), for
``graphkit evaluate``'s registry.

Definitions. Each actor is mapped to one true person: a person actor through the records it
was resolved from (``rel_resolved_from`` -> ``records.csv``, majority of the records' true
users), an actor with no such records (an unattributed phone) through its phones' true users
(``phones.csv``, shared household landlines left out; majority of numbers). *Group recovery*
is the NMI (arithmetic normalisation; ARI beside it) between the planted group and the found
community over the actors whose true person is a group member (role ``member``) and that
have at least one tie in the actor graph; an actor split in two by resolution counts twice.
An actor with no tie at all (in the simulated cases: a person resolved from a subscriber
record under a false name whose only phone the build gave to the other actor of the same
person) carries nothing a community method could read: every method leaves it alone, so it
would count as a split of its group whatever the method does. Such actors are left out of
``group_nmi`` and ``group_ari``, counted in ``member_actors_without_ties``, and kept in
``group_nmi_all_actors`` / ``group_ari_all_actors`` (each one its own community); which
actors are left out depends only on the input graph, never on the partition scored.
*Boss first*: for each planted group, the actor of its true boss
(the one with the highest leadership score when several map to the boss) is first when no
other actor of its community has a higher leadership score; the share is over all groups (a
boss with no actor counts as not first). ``boss_auc`` is the AUC of the leadership score for
"is the boss" among the members' actors with a tie, pooled over groups; like ``group_nmi`` it
leaves out actors without a tie (a boss's subscriber record under a false name, its own actor
with nothing to rank it by, scored 0.009 beside the boss's 0.989 on the demo case and counted
as a boss ranked last); ``boss_auc_all_actors`` keeps them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from graphkit.analytics.evaluate import (
    adjusted_rand_index,
    normalized_mutual_information,
    roc_auc,
)
from graphkit.errors import InputError
from graphkit.store import CaseStore

__all__ = ["actor_truth", "evaluate_groups", "score_groups"]

NMI_TARGET = 0.90
BOSS_FIRST_TARGET = 0.80


def _read(truth_dir: Path, name: str) -> pd.DataFrame:
    path = Path(truth_dir) / name
    if not path.is_file():
        raise InputError(f"{path} not found: not a simulation truth folder")
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _majority(pairs: pd.DataFrame) -> pd.Series:
    """actor_id -> the most frequent person_id of ``pairs`` (ties: the smallest id)."""
    counts = pairs.groupby(["actor_id", "person_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["actor_id", "n", "person_id"], ascending=[True, False, True])
    return counts.drop_duplicates("actor_id").set_index("actor_id")["person_id"]


def actor_truth(
    actor_phones: pd.DataFrame,
    actor_records: pd.DataFrame,
    records: pd.DataFrame,
    phones: pd.DataFrame,
) -> pd.Series:
    """actor_id -> true person_id.

    ``actor_phones``: actor_id, phone (one row per phone); ``actor_records``: actor_id,
    record_id (``source:record_id`` as resolution writes it); ``records`` and ``phones``: the
    truth files. Actors that map to no one are left out."""
    keyed = records.assign(record_id=records["source"] + ":" + records["record_id"])
    by_record = actor_records.merge(keyed[["record_id", "person_id"]], on="record_id")
    by_record = by_record[by_record["person_id"] != ""]
    via_records = _majority(by_record) if len(by_record) else pd.Series(dtype=str)
    personal = phones[phones.get("shared", "") != "true"][["msisdn", "person_id"]]
    by_phone = actor_phones.merge(personal, left_on="phone", right_on="msisdn")
    by_phone = by_phone[~by_phone["actor_id"].isin(via_records.index)]
    via_phones = _majority(by_phone) if len(by_phone) else pd.Series(dtype=str)
    return pd.concat([via_records, via_phones]).rename("person_id")


def _agreement(placed: pd.DataFrame) -> tuple[float, float]:
    """NMI and ARI between ``group_id`` and ``community`` (0, 0 when nothing is placed)."""
    if not len(placed):
        return 0.0, 0.0
    truth = placed["group_id"].to_numpy()
    found = placed["community"].astype(str).to_numpy()
    return normalized_mutual_information(truth, found), adjusted_rand_index(truth, found)


def _boss_auc(placed: pd.DataFrame) -> float:
    """AUC of the leadership score for "is the boss" among ``placed`` (NaN when undefined)."""
    is_boss = (placed["rank"] == "boss").to_numpy()
    if not 0 < is_boss.sum() < len(is_boss):
        return float("nan")
    return roc_auc(is_boss, placed["leadership"].fillna(0.0).to_numpy())


def score_groups(
    actors: pd.DataFrame,
    truth: pd.Series,
    groups: pd.DataFrame,
    stated: pd.Series | None = None,
) -> dict[str, Any]:
    """Group recovery NMI (and ARI), the boss-first share and, given ``stated`` (community ->
    whether a chain of command is stated there, by the ordering test or by relayed orders),
    the hierarchy claims.

    ``actors``: actor_id, community, leadership (rows of ``analytics_actor``), optionally
    ``ties`` (the actor's number of ties in the actor graph: actors with none are left out of
    ``group_nmi`` and ``group_ari``, see the module docstring); ``truth``: actor_id -> true
    person (:func:`actor_truth`); ``groups``: the truth ``groups.csv``. Returns ``metrics``
    and one row per planted group."""
    frame = actors.assign(person_id=actors["actor_id"].map(truth))
    members = groups[groups["role"] == "member"]
    placed = frame.merge(members[["person_id", "group_id", "rank"]], on="person_id")
    placed = placed[placed["community"].notna()]
    tied = placed[placed["ties"] > 0] if "ties" in placed.columns else placed
    nmi, ari = _agreement(tied)
    nmi_all, ari_all = _agreement(placed)
    rows: list[dict[str, Any]] = []
    for group_id, group in members.groupby("group_id", sort=True):
        boss = group.loc[group["rank"] == "boss", "person_id"]
        boss_actors = frame[frame["person_id"].isin(boss)].sort_values(
            "leadership", ascending=False
        )
        row: dict[str, Any] = {
            "group": group_id,
            "members": len(group),
            "boss": boss.iloc[0] if len(boss) else None,
        }
        if len(boss_actors) == 0 or pd.isna(boss_actors["community"].iloc[0]):
            rows.append({**row, "boss_actor": None, "boss_first": False})
            continue
        top = boss_actors.iloc[0]
        community = frame[frame["community"] == top["community"]]
        higher = community["leadership"] > top["leadership"]
        leader = community.sort_values("leadership", ascending=False).iloc[0]
        leader_rank = members.set_index("person_id")["rank"].get(leader["person_id"], "")
        rows.append(
            {
                **row,
                "boss_actor": top["actor_id"],
                "community": top["community"],
                "boss_rank_in_community": int(higher.sum()) + 1,
                "community_size": len(community),
                "leader_actor": leader["actor_id"],
                "leader_true_rank": leader_rank or "non-member",
                "boss_first": not bool(higher.any()),
            }
        )
    claims: dict[str, Any] = {}
    if stated is not None:
        home = (
            placed.groupby("group_id")["community"]
            .agg(lambda c: c.astype(str).value_counts().sort_index().idxmax())
            .to_dict()
        )
        said = {str(k): bool(v) for k, v in stated.items() if not pd.isna(v)}
        for row in rows:
            c = home.get(row["group"])
            row["hierarchy_stated"] = bool(said.get(c, False)) if c is not None else False
        sizes = frame["community"].dropna().astype(str).value_counts()
        elsewhere = [c for c in sizes.index if sizes[c] >= 3 and c not in set(home.values())]
        claims = {
            "hierarchy_stated_groups": sum(bool(r["hierarchy_stated"]) for r in rows),
            "hierarchy_stated_elsewhere": sum(said.get(c, False) for c in elsewhere),
            "communities_without_group": len(elsewhere),
        }
    n_groups = len(rows)
    first = sum(bool(r["boss_first"]) for r in rows)
    auc, auc_all = _boss_auc(tied), _boss_auc(placed)
    metrics = {
        "groups": n_groups,
        "member_actors": len(tied),
        "member_actors_without_ties": len(placed) - len(tied),
        "group_nmi": round(nmi, 4),
        "group_ari": round(ari, 4),
        "group_nmi_all_actors": round(nmi_all, 4),
        "group_ari_all_actors": round(ari_all, 4),
        "boss_first": first,
        "boss_first_share": round(first / n_groups, 4) if n_groups else 0.0,
        "boss_auc": round(auc, 4) if np.isfinite(auc) else None,
        "boss_auc_all_actors": round(auc_all, 4) if np.isfinite(auc_all) else None,
        **claims,
    }
    return {"metrics": metrics, "rows": rows}


def evaluate_groups(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Communities and leadership stored in the case vs ``truth_dir``; None when not run."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return None
        actors = con.execute(
            "SELECT actor_id, community, leadership, phones FROM analytics_actor"
        ).df()
        ties = (
            con.execute(
                "SELECT actor_id, count(DISTINCT other) AS ties FROM ("
                " SELECT src AS actor_id, dst AS other FROM actor_edge WHERE src <> dst"
                " UNION ALL SELECT dst, src FROM actor_edge WHERE src <> dst"
                ") GROUP BY actor_id"
            ).df()
            if store.table_exists(con, "actor_edge")
            else None
        )
        actor_records = (
            con.execute("SELECT src AS actor_id, dst AS record_id FROM rel_resolved_from").df()
            if store.table_exists(con, "rel_resolved_from")
            else pd.DataFrame({"actor_id": [], "record_id": []}, dtype=str)
        )
        communities = (
            con.execute("SELECT * FROM analytics_community").df()
            if store.table_exists(con, "analytics_community")
            else None
        )
    if "leadership" not in actors or actors["leadership"].isna().all():
        return None
    actor_phones = (
        actors[["actor_id", "phones"]].explode("phones").rename(columns={"phones": "phone"})
    )
    actor_phones = actor_phones[actor_phones["phone"].notna()].astype(str)
    truth = actor_truth(
        actor_phones, actor_records, _read(truth_dir, "records.csv"), _read(truth_dir, "phones.csv")
    )
    scored = actors[["actor_id", "community", "leadership"]]
    if ties is not None:
        counts = ties.set_index("actor_id")["ties"]
        scored = scored.assign(ties=scored["actor_id"].map(counts).fillna(0).astype(int))
    stated = (
        communities.set_index(communities["community"].astype(str))["hierarchy_stated"]
        if communities is not None and "hierarchy_stated" in communities
        else None
    )
    result = score_groups(scored, truth, _read(truth_dir, "groups.csv"), stated)
    if (Path(truth_dir) / "persons.csv").is_file():  # the boss by name beside the truth id
        persons = _read(truth_dir, "persons.csv")
        names = dict(
            zip(
                persons["person_id"],
                persons["first_name"] + " " + persons["last_name"],
                strict=True,
            )
        )
        for row in result["rows"]:
            row["boss_name"] = names.get(row["boss"])
    metrics = result["metrics"]
    passed = metrics["group_nmi"] >= NMI_TARGET and metrics["boss_first_share"] >= BOSS_FIRST_TARGET
    columns = [
        "group",
        "members",
        "boss",  # shown as "Name (id)" from boss_name
        "community",
        "boss_rank_in_community",
        "community_size",
        "leader_true_rank",
        "boss_first",
        *(["hierarchy_stated"] if stated is not None else []),
    ]
    return {**result, "columns": columns, "passed": passed}
