"""Blackouts of phones, actors and groups: the silences, groups and hand-offs put together.

Phones are tested on their own rhythm (:mod:`graphkit.signals.silences`); the numbers of each
assigned hand-off are joined into one user (:mod:`graphkit.signals.successors`) before actors
(phones collapsed to the person using them) are tested; members of one community silent
together are group blackouts (:mod:`graphkit.signals.groups`). Every row is a hypothesis with
its evidence: a silence can also come from a lost phone, a network fault or missing records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import pandas as pd

from graphkit.errors import InputError
from graphkit.signals.events import as_event_frame
from graphkit.signals.groups import group_blackouts_from_tests, neighbours_of, with_member_phones
from graphkit.signals.silences import empty_blackouts, silence_rows, silence_tests
from graphkit.signals.successors import explain_phone_rows, join_handoffs, without_switch_overs

__all__ = ["detect_blackouts"]


def detect_blackouts(
    events: Any,
    *,
    phone_to_actor: Mapping[str, str] | None = None,
    actor_to_community: Mapping[str, str] | None = None,
    q_threshold: float = 0.05,
    min_silence_hours: float = 24.0,
    min_events: int = 20,
    min_group_members: int = 3,
    min_overlap_hours: float = 12.0,
    prior_hours: float = 1.0,
    dispersion: float | None = None,
    fdr_method: Literal["bh", "by"] = "bh",
    window_end: Any = None,
    handoffs: Any = None,
) -> pd.DataFrame:
    """Blackouts of phones, actors (phones collapsed via ``phone_to_actor``) and groups.

    Returns rows of ``kind`` 'phone', 'actor' (the actors ``phone_to_actor`` names, i.e.
    persons: silent when all their phones are; phones attributed to no one are actors under
    their own number and have their phone rows) and 'group' (members of one community of
    ``actor_to_community``, keyed by actor when ``phone_to_actor`` is given and by phone
    otherwise, silent in an overlapping window; see
    :func:`graphkit.signals.groups.detect_group_blackouts`).
    Given ``handoffs`` (rows with ``old``, ``new``, ``score``, ``assigned``, as
    :func:`graphkit.signals.handoffs.detect_handoffs` returns), the numbers of each assigned
    hand-off count as one user for actors and groups (the user went on talking on the new
    number: no actor or group blackout), and the old number's phone row carries the hand-off
    as ``explained_by_handoff`` (:mod:`graphkit.signals.successors`); actor and group rows
    whose numbers were joined list those hand-offs (review id, old, new, score) as
    ``handoffs``, since they rest on them.
    Columns: :data:`graphkit.signals.silences.BLACKOUT_COLUMNS`. Every row is a hypothesis
    with its evidence.
    """
    if not 0.0 < q_threshold < 1.0:
        raise InputError("q_threshold must lie strictly between 0 and 1")
    frame = as_event_frame(events)
    settings: dict[str, Any] = {
        "min_silence_hours": min_silence_hours,
        "min_events": min_events,
        "prior_hours": prior_hours,
        "dispersion": dispersion,
        "window_end": window_end,
    }
    phone_tests = silence_tests(frame, **settings)
    phones = silence_rows(phone_tests, "phone", q_threshold, fdr_method, min_silence_hours, False)
    reportable = set((phone_to_actor or {}).values())
    join = join_handoffs(
        handoffs if handoffs is not None else [],
        phone_to_actor=phone_to_actor,
        actor_to_community=actor_to_community,
    )
    if join.joined:
        phones = explain_phone_rows(phones, join, frame)
        phone_to_actor, reportable = join.phone_to_entity, reportable | set(join.joined)
        actor_to_community = join.entity_to_community if actor_to_community else None
    parts = [phones]
    group_tests = phone_tests
    if phone_to_actor:
        group_tests = silence_tests(frame, phone_to_entity=phone_to_actor, **settings)
        if group_tests is not None and join.joined:
            group_tests = without_switch_overs(group_tests, join, frame, min_silence_hours)
        actors = silence_rows(
            group_tests, "actor", q_threshold, fdr_method, min_silence_hours, False
        )
        actors = actors[actors["id"].isin(reportable)]
        evidence = [
            {**e, "handoffs": join.joined[i]} if i in join.joined else e
            for i, e in zip(actors["id"], actors["evidence"], strict=True)
        ]
        parts.append(actors.assign(evidence=evidence))
    if actor_to_community and group_tests is not None:
        groups = with_member_phones(
            group_blackouts_from_tests(
                group_tests,
                actor_to_community,
                neighbours=neighbours_of(group_tests, frame, phone_to_actor),
                q_threshold=q_threshold,
                min_members=min_group_members,
                min_overlap_hours=min_overlap_hours,
                min_silence_hours=min_silence_hours,
                fdr_method=fdr_method,
            ),
            phone_to_actor or {},
        )
        parts.append(_with_joins(groups, join.joined))
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_blackouts()
    return pd.concat(parts, ignore_index=True)


def _with_joins(groups: pd.DataFrame, joined: Mapping[str, list[dict[str, Any]]]) -> pd.DataFrame:
    """Group rows with the hand-offs that joined their members' numbers (``handoffs`` in the
    evidence, as actor rows have): a group's silence then rests on those hand-offs too."""
    if groups.empty or not joined:
        return groups
    evidence = []
    for e, members in zip(groups["evidence"], groups["members"], strict=True):
        used = [h for m in members for h in joined.get(str(m), [])]
        evidence.append({**e, "handoffs": used} if used else e)
    return groups.assign(evidence=evidence)
