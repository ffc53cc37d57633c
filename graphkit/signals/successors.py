"""Silences explained by hand-offs: a number replaced by a successor is not a silent user.

When a hand-off is assigned (old number -> new number, see
:mod:`graphkit.signals.handoffs`), the user kept talking on the new number: the old
number's end is a real event of that *phone*, but not a silence of the *person* or of their
group. Before actors and groups are tested, the numbers joined by assigned hand-offs are
therefore collapsed onto one entity (union-find over the actors that own them), so that the
person's activity runs on across the swap; a later blackout on the new number is then a
silence of that entity like any other. The old number's own phone row stays (the number did
stop) and carries the hand-off as its explanation. Joining is a hypothesis built on
hypotheses: the hand-off rows say what was joined, by which hand-off (its review id) and with
what score, so that every view can say which join rests on a hand-off nobody has reviewed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from graphkit.hypotheses import hypothesis_id
from graphkit.signals.events import to_hours
from graphkit.signals.silences import SilenceTests

__all__ = [
    "HandoffJoin",
    "explain_phone_rows",
    "explained_gaps",
    "join_handoffs",
    "without_switch_overs",
]


@dataclass(frozen=True)
class HandoffJoin:
    """Entities after joining hand-offs: phone -> entity, entity -> community, evidence."""

    phone_to_entity: dict[str, str]
    entity_to_community: dict[str, str]
    joined: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    successor: dict[str, dict[str, Any]] = field(default_factory=dict)


def _assigned(handoffs: Any) -> pd.DataFrame:
    frame = pd.DataFrame(handoffs)
    if frame.empty:
        return pd.DataFrame({"old": [], "new": [], "score": []})
    if "assigned" in frame.columns:
        frame = frame[frame["assigned"].astype(bool)]
    score = frame["score"] if "score" in frame.columns else pd.Series(1.0, index=frame.index)
    out = pd.DataFrame(
        {
            "old": frame["old"].astype(str),
            "new": frame["new"].astype(str),
            "score": score.astype(float),
        }
    )
    return out.sort_values(["old", "new"], kind="stable").reset_index(drop=True)


def join_handoffs(
    handoffs: Any,
    *,
    phone_to_actor: Mapping[str, str] | None = None,
    actor_to_community: Mapping[str, str] | None = None,
) -> HandoffJoin:
    """Collapse the numbers of assigned hand-offs onto one entity per user.

    ``handoffs``: rows with ``old``, ``new`` and optionally ``score`` and ``assigned`` (only
    assigned rows are used, as :func:`graphkit.signals.handoffs.detect_handoffs` returns).
    A phone's entity is its actor (``phone_to_actor``) or itself; entities linked by a
    hand-off are merged (union-find) under one representative: the one with a community,
    then a named actor, then the smallest id. The merged entity's community is the
    representative's, else the first of its parts' in id order. Deterministic.
    """
    owners = dict(phone_to_actor or {})
    communities = dict(actor_to_community or {})
    pairs = _assigned(handoffs)
    named = set(owners.values())

    def entity(phone: str) -> str:
        return owners.get(phone, phone)

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    def rank(x: str) -> tuple[int, int, str]:
        return (0 if x in communities else 1, 0 if x in named else 1, x)

    for old, new in zip(pairs["old"], pairs["new"], strict=True):
        a, b = find(entity(old)), find(entity(new))
        if a != b:
            keep, drop = sorted((a, b), key=rank)
            parent[drop] = keep
    phone_to_entity = {p: entity(p) for p in (*pairs["old"], *pairs["new"])}
    phone_to_entity.update(owners)
    members: dict[str, list[str]] = {}
    for ent in sorted(set(phone_to_entity.values()) | set(parent)):
        members.setdefault(find(ent), []).append(ent)
    mapping = {p: find(e) for p, e in phone_to_entity.items()}
    entity_to_community = dict(communities)
    for rep, parts in members.items():
        if len(parts) > 1 and rep not in communities:
            found = [communities[p] for p in parts if p in communities]
            if found:
                entity_to_community[rep] = found[0]
    joined: dict[str, list[dict[str, Any]]] = {}
    successor: dict[str, dict[str, Any]] = {}
    for old, new, score in zip(pairs["old"], pairs["new"], pairs["score"], strict=True):
        # the score as detected: rounding would print a hypothesis at 1-2.6e-05 as "1"
        item = {"id": hypothesis_id("H", old, new), "old": old, "new": new, "score": float(score)}
        joined.setdefault(find(entity(old)), []).append(item)
        successor.setdefault(old, item)
    return HandoffJoin(mapping, entity_to_community, joined, successor)


def explain_phone_rows(rows: pd.DataFrame, join: HandoffJoin, events: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the hand-off explaining each phone silence added to its evidence.

    A phone row is explained when an assigned hand-off starts from its number and the new
    number's first event falls inside the silence: the user may have gone on with the new
    number. The evidence gains ``explained_by_handoff`` (the hand-off's review id, old, new,
    score, the new number's first event).
    Returns a new frame; ``rows`` is not changed.
    """
    if rows.empty or not join.successor:
        return rows
    news = {item["new"] for item in join.successor.values()}
    ends = pd.concat(
        [
            events[["caller", "start"]].rename(columns={"caller": "phone"}),
            events[["callee", "start"]].rename(columns={"callee": "phone"}),
        ],
        ignore_index=True,
    )
    ends = ends[ends["phone"].isin(news)]
    first = pd.to_datetime(ends["start"], utc=True).groupby(ends["phone"].to_numpy()).min()
    evidence = list(rows["evidence"])
    for i in np.flatnonzero(rows["kind"].to_numpy() == "phone"):
        item = join.successor.get(str(rows["id"].iat[i]))
        if item is None or item["new"] not in first.index:
            continue
        began = first[item["new"]]
        if not (rows["start"].iat[i] <= began <= rows["end"].iat[i]):
            continue
        evidence[i] = {
            **evidence[i],
            "explained_by_handoff": {**item, "new_first_event": began.isoformat()},
        }
    return rows.assign(evidence=evidence)


def explained_gaps(
    join: HandoffJoin,
    events: pd.DataFrame,
    entity_ids: Any,
    gap_entity: Any,
    lo_h: Any,
    hi_h: Any,
    *,
    min_silence_hours: float,
) -> npt.NDArray[np.bool_]:
    """Which gaps of joined entities are the switch-over of one of their hand-offs.

    The switch-over of a hand-off runs from the old number's last event to the new number's
    first. A gap (``gap_entity`` indexes ``entity_ids``; bounds in hours as
    :func:`graphkit.signals.events.to_hours`) is explained when what is left of it
    outside its entity's switch-overs is shorter than ``min_silence_hours``.
    """
    lo = np.asarray(lo_h, dtype=np.float64)
    hi = np.asarray(hi_h, dtype=np.float64)
    explained = np.zeros(len(lo), dtype=bool)
    if not join.joined or len(lo) == 0:
        return explained
    involved = {x for items in join.joined.values() for i in items for x in (i["old"], i["new"])}
    both = pd.concat(
        [
            pd.DataFrame({"phone": events["caller"], "t": to_hours(events["start"])}),
            pd.DataFrame({"phone": events["callee"], "t": to_hours(events["start"])}),
        ],
        ignore_index=True,
    )
    both = both[both["phone"].isin(involved)].groupby("phone")["t"].agg(["min", "max"])
    index = {str(e): k for k, e in enumerate(np.asarray(entity_ids).astype(str))}
    switches: dict[int, list[tuple[float, float]]] = {}
    for rep, items in join.joined.items():
        if rep not in index:
            continue
        for item in items:
            if item["old"] in both.index and item["new"] in both.index:
                a, b = float(both.at[item["old"], "max"]), float(both.at[item["new"], "min"])
                switches.setdefault(index[rep], []).append((a, max(a, b)))
    gap_entity = np.asarray(gap_entity)
    order = np.argsort(gap_entity, kind="stable")
    bounds = np.searchsorted(gap_entity[order], sorted(switches), side="left")
    ends = np.searchsorted(gap_entity[order], sorted(switches), side="right")
    for ent, a0, a1 in zip(sorted(switches), bounds, ends, strict=True):
        spans = switches[ent]
        for k in order[a0:a1]:
            covered = sum(max(0.0, min(hi[k], b) - max(lo[k], a)) for a, b in spans)
            explained[k] = (hi[k] - lo[k]) - covered < min_silence_hours
    return explained


def without_switch_overs(
    tests: SilenceTests, join: HandoffJoin, events: pd.DataFrame, min_silence_hours: float
) -> SilenceTests:
    """``tests`` with the switch-over gaps of joined entities set to p = 1: still counted in
    the false-discovery multiplicity, never reported (the user was changing numbers)."""
    switch = explained_gaps(
        join,
        events,
        tests.ev.ids,
        tests.entity,
        tests.lo_h,
        tests.hi_h,
        min_silence_hours=min_silence_hours,
    )
    return replace(tests, p_value=np.where(switch, 1.0, tests.p_value))
