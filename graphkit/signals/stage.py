"""Blackouts and hand-offs of a case: read ``src_cdr``, run the detectors, store the results.

Results go to the table ``analytics_blackout`` (one row per phone, actor or group blackout) and
to the declared hypothesis table ``rel_same_user_as`` (SAME_USER_AS, old number -> new number).
Re-running replaces earlier hypotheses of this method but keeps every pair a reviewer already
confirmed or rejected. Phones are collapsed to actors through the ``actor`` table and actors to
communities through ``rel_member_of`` when the build and analyze stages have made them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from graphkit.ingest.call_records import load_cdr_events
from graphkit.settings import StageSettings
from graphkit.signals.candidates import is_fixed_line
from graphkit.store import writes

if TYPE_CHECKING:
    import duckdb

    from graphkit.store import CaseStore

__all__ = [
    "BLACKOUT_FDR",
    "BLACKOUT_TABLE",
    "HandoffSettings",
    "Settings",
    "detect_blackouts_in_case",
    "detect_handoffs_in_case",
    "detect_signals_in_case",
    "run",
]

log = logging.getLogger(__name__)

BLACKOUT_TABLE = "analytics_blackout"
# The false discovery rate at which a case's blackouts are reported. Benjamini-Hochberg
# bounds the *expected* share of false rows; one case reports a dozen to a few dozen actor
# rows, where at 0.05 a realised share above 10% is common (a Poisson count with mean 0.05 R
# reaching 0.1 R + 1: about one case in five at R = 17), at 0.01 rare (one in 80). The
# detection functions keep the conventional 0.05 as their own default.
BLACKOUT_FDR = 0.01
_SAME_USER_AS = "rel_same_user_as"


@dataclass(frozen=True)
class HandoffSettings(StageSettings):
    """How hand-off candidates are found and scored (:mod:`graphkit.signals.handoffs`)."""

    use_imei: bool = True
    window_hours: float = 72.0
    match_score: float = 0.5
    top_k: int = 3
    min_score: float = 0.05

    def validate(self) -> None:
        self.require(self.window_hours > 0, "window_hours", "must be positive")
        self.require(0 <= self.match_score <= 1, "match_score", "must lie in [0, 1]")
        self.require(self.top_k >= 1, "top_k", "must be at least 1")
        self.require(0 <= self.min_score <= 1, "min_score", "must lie in [0, 1]")


_HANDOFF = HandoffSettings()


@dataclass(frozen=True)
class Settings(StageSettings):
    """The signals stage: which results to store and at which false discovery rate."""

    blackouts: bool = True
    handoffs: bool = True
    blackout_fdr: float = BLACKOUT_FDR
    handoff: HandoffSettings = field(default_factory=HandoffSettings)

    def validate(self) -> None:
        self.require(0 < self.blackout_fdr < 1, "blackout_fdr", "must lie strictly in (0, 1)")


def _phone_to_actor(con: duckdb.DuckDBPyConnection, store: CaseStore) -> dict[str, str]:
    """Person actors' phones, fixed lines left out.

    A fixed line serves a household or an office: resolution attributes it to its
    subscriber, but the others who use it keep it busy while that person is silent, and
    fall silent with it when the household does. A person's silence is therefore judged on
    the phones they carry; a person whose only number is a fixed line has no actor row (the
    line keeps its phone rows, and its silence is the household's, not that person's).
    """
    if not store.table_exists(con, "actor"):
        return {}
    rows = con.execute(
        "SELECT DISTINCT unnest(phones) AS phone, actor_id FROM actor WHERE kind = 'person'"
    ).fetchall()
    return {str(p): str(a) for p, a in rows if p is not None and not is_fixed_line(str(p))}


def _communities(con: duckdb.DuckDBPyConnection, store: CaseStore) -> dict[str, str]:
    if not store.table_exists(con, "rel_member_of"):
        return {}
    rows = con.execute("SELECT src, dst FROM rel_member_of").fetchall()
    return {str(a): str(c) for a, c in rows}


@writes("analyze", operation="combination")
def detect_blackouts_in_case(
    store: CaseStore,
    *,
    q_threshold: float = BLACKOUT_FDR,
    min_silence_hours: float = 24.0,
    min_events: int = 20,
    min_group_members: int = 3,
    fdr_method: Literal["bh", "by"] = "bh",
    use_actors: bool = True,
    use_communities: bool = True,
    explain_handoffs: bool = True,
    handoffs: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Detect blackouts in the case's call records and store them in ``analytics_blackout``.

    Phones are collapsed to actors when the case has an ``actor`` table (from ``build``) and
    ``use_actors``; group blackouts are looked for when communities exist (``rel_member_of``
    from ``analyze``) and ``use_communities``. With ``explain_handoffs`` the numbers of each
    assigned hand-off (``handoffs``, else detected here with the default settings of
    :func:`detect_handoffs_in_case`) count as one user for actors and groups, and the old
    number's phone row is marked as explained by it. ``events``: the case's call records when
    the caller has them already (:func:`graphkit.ingest.call_records.load_cdr_events`).
    Returns the rows stored (see :func:`graphkit.signals.blackouts.detect_blackouts`) and
    records the stage ``blackouts`` in the manifest with its settings and a summary.
    """
    from graphkit.signals.blackouts import detect_blackouts

    events = load_cdr_events(store) if events is None else events
    with store.connect(read_only=True) as con:
        owners = _phone_to_actor(con, store) if use_actors else {}
        communities = _communities(con, store) if use_communities else {}
    if communities and not owners:
        communities = {}  # communities are of actors; without the actor table they cannot apply
    settings = {
        "q_threshold": q_threshold,
        "min_silence_hours": min_silence_hours,
        "min_events": min_events,
        "min_group_members": min_group_members,
        "fdr_method": fdr_method,
        "actors": bool(owners),
        "communities": bool(communities),
        "explain_handoffs": explain_handoffs,
    }
    if explain_handoffs and handoffs is None:
        handoffs = _handoffs(events, _phone_silences(events, min_events=min_events))
    if explain_handoffs and handoffs is not None:
        handoffs = _with_decisions(store, handoffs)
    result = detect_blackouts(
        events,
        phone_to_actor=owners or None,
        actor_to_community=communities or None,
        q_threshold=q_threshold,
        min_silence_hours=min_silence_hours,
        min_events=min_events,
        min_group_members=min_group_members,
        fdr_method=fdr_method,
        handoffs=handoffs if explain_handoffs else None,
    )
    table = pd.DataFrame(
        {
            "kind": result["kind"].astype(str),
            "id": result["id"].astype(str),
            "members": result["members"],
            "start": pd.to_datetime(result["start"], utc=True),
            "end": pd.to_datetime(result["end"], utc=True),
            "duration_h": result["duration_h"].astype(float),
            "expected_events": result["expected_events"].astype(float),
            "p_value": result["p_value"].astype(float),
            "q_value": result["q_value"].astype(float),
            "ended": result["ended"].astype(bool),
            "evidence": [json.dumps(e, sort_keys=True) for e in result["evidence"]],
        }
    )
    with store.connect() as con:
        con.register("blackout_frame", table)
        con.execute(
            f"""
            CREATE OR REPLACE TABLE {BLACKOUT_TABLE} AS
            SELECT kind, id, CAST(members AS VARCHAR[]) AS members, start, "end", duration_h,
                   expected_events, p_value, q_value, ended, CAST(evidence AS JSON) AS evidence
            FROM blackout_frame ORDER BY kind DESC, p_value, id, start
            """
        )
        con.unregister("blackout_frame")
    counts = result["kind"].value_counts().to_dict()
    summary = {k: int(counts.get(k, 0)) for k in ("phone", "actor", "group")}
    summary["never_came_back"] = int((~result["ended"].astype(bool)).sum()) if len(result) else 0
    summary["explained_by_handoff"] = sum("explained_by_handoff" in e for e in result["evidence"])
    store.record_stage("blackouts", settings=settings, summary=summary)
    log.info("blackouts stored: %s", summary)
    return result


def detect_handoffs_in_case(
    store: CaseStore,
    *,
    use_imei: bool = _HANDOFF.use_imei,
    window_hours: float = _HANDOFF.window_hours,
    match_score: float = _HANDOFF.match_score,
    top_k: int = _HANDOFF.top_k,
    min_score: float = _HANDOFF.min_score,
    use_silences: bool = True,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Detect hand-offs in the case's call records and store them as SAME_USER_AS hypotheses.

    Numbers that end are looked at always; numbers that went silent and came back too when
    ``use_silences``: phone silences at q <= 0.05, the hand-off screen's own level, whatever
    level blackouts are reported at (so that the candidates do not depend on which stage ran
    first or on ``--blackout-fdr``).

    Each candidate (up to ``top_k`` per number that stopped) becomes a ``rel_same_user_as``
    row ``src`` = old number, ``dst`` = new number, with its score, the threshold
    ``match_score``, the model version, its evidence (features, shared contacts and cells,
    rank, whether the joint assignment chose it) and status ``hypothesis``. Earlier
    hypotheses of this method are replaced; pairs a reviewer decided on are kept as decided.
    """
    from graphkit.signals.handoffs import MODEL_VERSION

    events = load_cdr_events(store) if events is None else events
    silences = _phone_silences(events, min_events=20) if use_silences else None
    result = _handoffs(
        events,
        silences,
        use_imei=use_imei,
        window_hours=window_hours,
        match_score=match_score,
        top_k=top_k,
        min_score=min_score,
    )
    settings = {
        "use_imei": use_imei,
        "window_hours": window_hours,
        "match_score": match_score,
        "top_k": top_k,
        "min_score": min_score,
        "silences": silences is not None,
        "model_version": MODEL_VERSION,
    }
    _store_handoffs(store, result, settings)
    return result


@writes("analyze", operation="combination")
def _store_handoffs(store: CaseStore, result: pd.DataFrame, settings: dict[str, Any]) -> None:
    """Replace this method's hypotheses by ``result``, keeping reviewers' decisions."""
    match_score = float(settings["match_score"])
    model_version = str(settings["model_version"])
    rows = pd.DataFrame(
        {
            "src": result["old"].astype(str),
            "dst": result["new"].astype(str),
            "score": result["score"].astype(float),
            "threshold": float(match_score),
            "model_version": model_version,
            "evidence": [
                json.dumps({**e, "rank": int(r), "assigned": bool(a)}, sort_keys=True)
                for e, r, a in zip(
                    result["evidence"], result["rank"], result["assigned"], strict=True
                )
            ],
        }
    )
    with store.connect() as con:
        con.execute(
            f"DELETE FROM {_SAME_USER_AS} WHERE status = 'hypothesis' AND model_version LIKE ?",
            ["handoff-%"],
        )
        con.register("handoff_frame", rows)
        con.execute(
            f"""
            INSERT INTO {_SAME_USER_AS}
                (src, dst, score, threshold, model_version, evidence, status)
            SELECT h.src, h.dst, h.score, h.threshold, h.model_version,
                   CAST(h.evidence AS JSON), 'hypothesis'
            FROM handoff_frame h
            WHERE NOT EXISTS (
                SELECT 1 FROM {_SAME_USER_AS} d WHERE d.src = h.src AND d.dst = h.dst
            )
            ORDER BY h.src, h.score DESC, h.dst
            """
        )
        con.unregister("handoff_frame")
    summary: dict[str, Any] = {
        "numbers_stopped": int(result["old"].nunique()) if len(result) else 0,
        "candidates": len(result),
        "assigned": int(result["assigned"].sum()) if len(result) else 0,
    }
    store.record_stage("handoffs", settings=settings, summary=summary)
    log.info("hand-offs stored: %s", summary)


def _chosen(found: pd.DataFrame) -> int:
    """How many hand-offs the joint matching chose (one per old number at most): the findings
    the review queue holds, beside every candidate stored for the record."""
    return int(found["assigned"].astype(bool).sum()) if len(found) else 0


def _phone_silences(events: pd.DataFrame, *, min_events: int) -> pd.DataFrame:
    """Phone silences at q <= 0.05: the stops and returns hand-offs start from."""
    from graphkit.signals.silences import detect_silences

    rows = detect_silences(events, min_events=min_events, q_threshold=0.05)
    return rows[["kind", "id", "start", "ended"]]


def _with_decisions(store: CaseStore, handoffs: pd.DataFrame) -> pd.DataFrame:
    """The detected hand-offs as reviewers left them: a rejected pair never joins two numbers,
    a confirmed one joins them whether or not the detector assigned it this time."""
    if handoffs.empty or "assigned" not in handoffs.columns:
        return handoffs
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, _SAME_USER_AS):
            return handoffs
        decided = con.execute(
            f"SELECT src, dst, status FROM {_SAME_USER_AS} "
            "WHERE status IN ('confirmed', 'rejected')"
        ).fetchall()
    if not decided:
        return handoffs
    status = {(str(a), str(b)): str(st) for a, b, st in decided}
    pair = list(zip(handoffs["old"].astype(str), handoffs["new"].astype(str), strict=True))
    out = handoffs.copy()
    out["assigned"] = [
        status.get(p) == "confirmed" or (bool(a) and status.get(p) != "rejected")
        for p, a in zip(pair, handoffs["assigned"], strict=True)
    ]
    return out


def _handoffs(
    events: pd.DataFrame,
    silences: pd.DataFrame | None,
    *,
    use_imei: bool = True,
    window_hours: float = 72.0,
    match_score: float = 0.5,
    top_k: int = 3,
    min_score: float = 0.05,
) -> pd.DataFrame:
    from graphkit.signals.handoffs import detect_handoffs

    return detect_handoffs(
        events,
        silences=silences,
        use_imei=use_imei,
        window_hours=window_hours,
        match_score=match_score,
        top_k=top_k,
        min_score=min_score,
    )


def detect_signals_in_case(
    store: CaseStore,
    *,
    blackouts: bool = True,
    handoffs: bool = True,
    q_threshold: float = BLACKOUT_FDR,
) -> dict[str, int]:
    """Blackouts and hand-offs of the case in the order each needs the other, at defaults.

    Phone silences first (silent numbers that came back are hand-off stops too), then
    hand-offs (stored when ``handoffs``), then blackouts with the assigned hand-offs joining
    each user's numbers (stored when ``blackouts``); the call records are read once and the
    hand-offs computed once. Returns the number of rows of each stored result.
    """
    counts: dict[str, int] = {}
    if not (blackouts or handoffs):
        return counts
    events = load_cdr_events(store)
    if not blackouts:
        found = detect_handoffs_in_case(store, events=events)
        counts["handoffs_chosen"] = _chosen(found)
        counts["handoff_candidates"] = len(found)
        return counts
    from graphkit.signals.handoffs import MODEL_VERSION

    found = _handoffs(events, _phone_silences(events, min_events=20))
    result = detect_blackouts_in_case(store, handoffs=found, events=events, q_threshold=q_threshold)
    counts["blackouts"] = len(result)
    if handoffs:
        settings = {**_HANDOFF.to_dict(), "silences": True, "model_version": MODEL_VERSION}
        _store_handoffs(store, found, settings)
        counts["handoffs_chosen"] = _chosen(found)
        counts["handoff_candidates"] = len(found)
    return counts


def run(store: CaseStore, settings: Settings) -> dict[str, int]:
    """The signals stage: blackouts and hand-offs from the call records, when the case has
    any (see :func:`detect_signals_in_case`); returns the number of rows stored of each."""
    if not (settings.blackouts or settings.handoffs):
        return {}
    with store.connect() as con:
        has_cdr = store.table_exists(con, "src_cdr") and bool(
            (con.execute("SELECT count(*) FROM src_cdr").fetchone() or (0,))[0]
        )
    if not has_cdr:
        log.info("no call records: blackouts and hand-offs skipped")
        return {}
    return detect_signals_in_case(
        store,
        blackouts=settings.blackouts,
        handoffs=settings.handoffs,
        q_threshold=settings.blackout_fdr,
    )
