"""Everything a report shows, read from the case once into plain frames and dicts.

Every stage is optional: a table that is missing leaves its part empty and the report says
which stage to run. Nothing here draws or formats; :mod:`graphkit.report.figures` draws and
:mod:`graphkit.report.html` / :mod:`graphkit.report.markdown` lay out.
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit import __version__
from graphkit.analytics.views import burner_carriers, leaders_view
from graphkit.hypotheses import id_sql, listed_handoff_sql
from graphkit.model import NODES, RELATIONSHIPS
from graphkit.store import table_columns

if TYPE_CHECKING:
    import duckdb

    from graphkit.people import Directory
    from graphkit.store import CaseStore

__all__ = ["CaseFacts", "collect"]

log = logging.getLogger(__name__)

_PACKAGES = (
    "duckdb",
    "igraph",
    "leidenalg",
    "networkx",
    "scipy",
    "numpy",
    "pandas",
    "splink",
    "torch",
    "torch-geometric",
    "matplotlib",
)
#: the analysis columns the report reads, each with the SQL that stands in for it where a case
#: lacks it: a case analysed in part (``graphkit analyze --only communities``) has no
#: centrality or brokers, which the report shows as not measured (a typed NULL) instead of
#: failing; no hierarchy part run, no chain of command stated
_ACTOR_COLUMNS = {
    "community": "CAST(NULL AS VARCHAR)",
    "community_confidence": "CAST(NULL AS DOUBLE)",
    "pagerank": "CAST(NULL AS DOUBLE)",
    "betweenness": "CAST(NULL AS DOUBLE)",
    "degree": "CAST(NULL AS DOUBLE)",
    "leadership": "CAST(NULL AS DOUBLE)",
    "level": "CAST(NULL AS DOUBLE)",
    "springrank": "CAST(NULL AS DOUBLE)",
    "superior": "CAST(NULL AS VARCHAR)",
    "rank_in_community": "CAST(NULL AS DOUBLE)",
    "hierarchy_stated": "false",
    "hierarchy_q_value": "CAST(NULL AS DOUBLE)",
    "relay_tier": "CAST(NULL AS DOUBLE)",
    "relay_q_value": "CAST(NULL AS DOUBLE)",
    "broker_role": "CAST(NULL AS VARCHAR)",
    "brokerage": "CAST(NULL AS DOUBLE)",
    "communities_reached": "CAST(NULL AS DOUBLE)",
    "fragmentation_gain": "CAST(NULL AS DOUBLE)",
    "explanation": "CAST(NULL AS VARCHAR)",
}


@dataclass(frozen=True)
class CaseFacts:
    """What the report shows. Frames are empty (not None) when their stage has not run."""

    name: str
    case_id: str
    created_at: str
    generated_at: str
    manifest_sha256: str
    sources: list[dict[str, Any]]
    counts: dict[str, int]
    stages: dict[str, dict[str, Any]]
    models: dict[str, dict[str, Any]]
    versions: dict[str, str]
    actors: pd.DataFrame
    ties: pd.DataFrame
    communities: pd.DataFrame
    key_players: pd.DataFrame
    activity: pd.DataFrame
    daily: pd.DataFrame
    blackouts: pd.DataFrame
    handoffs: pd.DataFrame
    predicted: pd.DataFrame
    review: pd.DataFrame
    sensitivity: pd.DataFrame
    sensitivity_info: dict[str, Any]
    period: tuple[datetime | None, datetime | None]
    missing: dict[str, str] = field(default_factory=dict)
    #: burner actor -> (carrier actor, hand-off score, review id), as `show leaders` folds them
    #: (:func:`graphkit.analytics.views.burner_carriers`)
    carriers: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    #: stored hand-off candidates the joint matching did not choose (not in ``handoffs``)
    handoff_alternatives: int = 0
    #: the stored hotspot forecast (graphkit.hotspots): summary, settings, cells, grid, and
    #: where the phones of the leading community were active; empty if it has not run
    hotspots: dict[str, Any] = field(default_factory=dict)
    #: time wheels (graphkit.cdr.activity, local time) of the top actors by leadership score
    wheels: list[Any] = field(default_factory=list)
    #: towers and the trails (graphkit.cdr.maps) of the top actors by leadership score
    towers: pd.DataFrame = field(default_factory=pd.DataFrame)
    trails: list[Any] = field(default_factory=list)
    #: the case-wide leaders view (`graphkit show CASE leaders`), every actor, best first
    leaders: list[dict[str, Any]] = field(default_factory=list)

    def has(self, part: str) -> bool:
        return part not in self.missing


def _versions() -> dict[str, str]:
    out = {"graphkit": __version__, "python": platform.python_version()}
    for pkg in _PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    vendor = Path(__file__).with_name("vendor") / "VENDOR.json"
    if vendor.is_file():
        info = json.loads(vendor.read_text(encoding="utf-8"))
        for pkg in info.get("packages", [info]):
            out[pkg["package"]] = f"{pkg['version']} (vendored, npm)"
    return out


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _as_lists(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """DuckDB list columns arrive as numpy arrays; make them plain lists (never None)."""
    for c in columns:
        if c in frame.columns:
            frame[c] = [[] if v is None else [str(x) for x in v] for v in frame[c]]
    return frame


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _counts(store: CaseStore, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = [n.table for n in NODES] + [r.table for r in RELATIONSHIPS] + ["actor", "actor_edge"]
    out = {}
    for t in tables:
        if store.table_exists(con, t):
            row = con.execute(f'SELECT count(*) FROM "{t}"').fetchone()
            out[t] = int(row[0]) if row else 0
    return out


def _registered(actor: Any, kind: Any, name: Any) -> Any:
    """The report's name for an actor: a person whose only name is a phone's subscription
    while another person's record lists that phone is named as
    :func:`graphkit.people.directory` names it, ``Other Name, registered as Subscriber
    Name``; every other actor keeps its name."""
    if kind == "person" and actor is not None and ", registered as " in actor.name:
        return actor.name
    return name


#: the same for the community rows: no hierarchy part run, no chain of command stated
_COMMUNITY_COLUMNS: dict[str, Any] = {
    "leader": None,
    "hierarchy_stated": False,
    "hierarchy_p_value": float("nan"),
    "hierarchy_q_value": float("nan"),
    "hierarchy_effect": float("nan"),
    "downward_share": float("nan"),
    "expected_downward_share": float("nan"),
    "hierarchy_draws": float("nan"),
    "hierarchy_basis": None,
    "ordering_stated": False,
    "relay_test_p_value": float("nan"),
    "relay_test_q_value": float("nan"),
    "relay_test_stated": False,
    "relay_test_source": None,
    "relay_test_onward": float("nan"),
    "relay_test_onward_before": float("nan"),
    "relay_test_ratio": float("nan"),
    "relay_test_sources": float("nan"),
}


def _actors(store: CaseStore, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    if not store.table_exists(con, "analytics_actor"):
        return pd.DataFrame()
    cols = table_columns(con, "analytics_actor")
    picked = ", ".join(
        f"a.{c}" if c in cols else f"{empty} AS {c}" for c, empty in _ACTOR_COLUMNS.items()
    )
    subscriber = ""
    join = ""
    if store.table_exists(con, "src_subscribers"):
        # the subscriber name of the actor's first-listed phone that has one (a join, not a
        # per-actor scan, so it stays linear in the number of phones)
        join = """
        LEFT JOIN (
            SELECT ap.actor_id, first(coalesce(s.full_name, concat_ws(' ', s.first_name,
                   s.last_name)) ORDER BY ap.k, s.row_number) AS subscriber_name
            FROM (SELECT actor_id, unnest(phones) AS msisdn,
                         generate_subscripts(phones, 1) AS k FROM analytics_actor) ap
            JOIN src_subscribers s USING (msisdn)
            WHERE coalesce(s.full_name, s.first_name, s.last_name) IS NOT NULL
            GROUP BY ap.actor_id
        ) sn ON sn.actor_id = a.actor_id"""
        subscriber = ", sn.subscriber_name"
    return _as_lists(
        _df(
            con,
            f"""
        SELECT a.actor_id, a.kind, a.phones,
               coalesce(p.full_name{subscriber}) AS name, {picked}
        FROM analytics_actor a LEFT JOIN node_person p ON p.person_id = a.actor_id {join}
        ORDER BY a.actor_id
        """,
        ),
        "phones",
    )


def _activity(store: CaseStore, con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, ...]:
    """Hour-of-week counts per actor and daily counts per phone and per actor."""
    if not (store.table_exists(con, "src_cdr") and store.table_exists(con, "actor")):
        return pd.DataFrame(), pd.DataFrame()
    con.execute("""
        CREATE OR REPLACE TEMP VIEW report_events AS
        WITH ends AS (
            SELECT caller AS phone, start FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
            UNION ALL
            SELECT callee, start FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
        ), owner AS (SELECT unnest(phones) AS phone, actor_id FROM actor)
        SELECT e.phone, coalesce(o.actor_id, e.phone) AS actor_id, e.start
        FROM ends e LEFT JOIN owner o USING (phone)
        WHERE e.phone IS NOT NULL AND e.start IS NOT NULL
    """)
    how = _df(
        con,
        """
        SELECT actor_id, ((isodow(start) - 1) * 24 + hour(start))::INT AS how,
               count(*)::BIGINT AS events
        FROM report_events GROUP BY ALL ORDER BY actor_id, how
    """,
    )
    daily = _df(
        con,
        """
        SELECT 'phone' AS level, phone AS entity, date_trunc('day', start) AS day,
               count(*)::BIGINT AS events FROM report_events GROUP BY ALL
        UNION ALL
        SELECT 'actor', actor_id, date_trunc('day', start), count(*)::BIGINT
        FROM report_events GROUP BY ALL
    """,
    )
    return how, daily


def _optional(
    store: CaseStore, con: duckdb.DuckDBPyConnection, table: str, sql: str
) -> pd.DataFrame:
    if not store.table_exists(con, table):
        return pd.DataFrame()
    frame = _df(con, sql)
    if "evidence" in frame.columns:
        frame["evidence"] = [_json(v) for v in frame["evidence"]]
    return _as_lists(frame, "layers", "members")


#: the review queue with each record's name (as `graphkit show CASE review` gives them)
_REVIEW_WITH_NAMES = """
    SELECT q.*,
           nullif(trim(coalesce(l.full_name, concat_ws(' ', l.first_name, l.last_name))), '')
             AS name_l,
           nullif(trim(coalesce(r.full_name, concat_ws(' ', r.first_name, r.last_name))), '')
             AS name_r
    FROM review_queue q
    LEFT JOIN er_records l ON l.record_key = q.id_l
    LEFT JOIN er_records r ON r.record_key = q.id_r
    ORDER BY q.status <> 'pending', abs(q.match_weight), q.review_id
"""


def collect(store: CaseStore) -> CaseFacts:
    """Read the case into :class:`CaseFacts` (read-only; nothing in the case changes).

    Sensitivity of the leader and broker rankings comes from ``analytics_sensitivity`` and
    the manifest stage ``sensitivity``, both written by ``graphkit analyze``
    (:mod:`graphkit.analytics.sensitivity_case`).
    """
    manifest = store.manifest
    missing: dict[str, str] = {}
    with store.connect(read_only=True) as con:
        counts = _counts(store, con)
        actors = _actors(store, con)
        ties = _optional(
            store,
            con,
            "actor_edge",
            """
            SELECT least(src, dst) AS a, greatest(src, dst) AS b, sum(weight) AS weight,
                   list(DISTINCT layer ORDER BY layer) AS layers,
                   epoch(min("first")) AS first_s, epoch(max("last")) AS last_s
            FROM actor_edge WHERE src <> dst GROUP BY ALL ORDER BY a, b""",
        )
        communities = _optional(
            store,
            con,
            "analytics_community",
            "SELECT * FROM analytics_community ORDER BY community",
        )
        if len(communities):  # analysed in part: what was not measured is shown as such
            for col, empty in _COMMUNITY_COLUMNS.items():
                if col not in communities.columns:
                    communities[col] = empty
        key_players = _optional(
            store, con, "analytics_key_player", "SELECT * FROM analytics_key_player ORDER BY rank"
        )
        activity, daily = _activity(store, con)
        blackouts = _optional(
            store,
            con,
            "analytics_blackout",
            "SELECT * FROM analytics_blackout ORDER BY q_value, start",
        )
        handoffs = _optional(
            store,
            con,
            "rel_same_user_as",
            f"""
            SELECT {id_sql("H")} AS review_id, src, dst, score, threshold, model_version,
                   evidence, status, decided_by, decided_at, {listed_handoff_sql()} AS listed
            FROM rel_same_user_as ORDER BY score DESC, src, dst""",
        )
        # the hand-offs the review queue carries; the candidates the joint matching did not
        # choose are only counted (each is its old number's alternative in `show handoffs`)
        handoff_alternatives = int((~handoffs["listed"].astype(bool)).sum()) if len(handoffs) else 0
        if len(handoffs):
            handoffs = handoffs[handoffs["listed"].astype(bool)].drop(columns=["listed"])
            handoffs = handoffs.reset_index(drop=True)
        predicted = _optional(
            store,
            con,
            "rel_predicted_link",
            f"""
            SELECT {id_sql("L")} AS review_id, src, dst, score, threshold, model_version,
                   evidence, status, decided_by, decided_at
            FROM rel_predicted_link ORDER BY score DESC, src, dst""",
        )
        review = _optional(
            store,
            con,
            "review_queue",
            _REVIEW_WITH_NAMES
            if store.table_exists(con, "er_records")
            else "SELECT * FROM review_queue "
            "ORDER BY status <> 'pending', abs(match_weight), review_id",
        )
        stored = _optional(
            store, con, "analytics_sensitivity", "SELECT * FROM analytics_sensitivity"
        )
        period: tuple[datetime | None, datetime | None] = (None, None)
        if store.table_exists(con, "src_cdr"):
            row = con.execute("SELECT min(start), max(start) FROM src_cdr").fetchone()
            period = (row[0], row[1]) if row else (None, None)
    from graphkit.report.text import community_key

    for frame in (actors, communities):
        if "community" in frame.columns:
            frame["community"] = [community_key(v) for v in frame["community"]]
    leaders = leaders_view(store) if len(actors) and "leadership" in actors.columns else []
    if len(actors):
        # a relay tier is worded as a chain only where the community's relayed-orders test
        # passed, as the leaders view reads it (graphkit.analytics.relays.explain_relay)
        confirmed = {r["actor_id"]: bool(r.get("relay_confirmed")) for r in leaders}
        actors["relay_confirmed"] = [confirmed.get(a, False) for a in actors["actor_id"]]
    from graphkit.people import directory

    people = directory(store)  # read once: names here, the wheels and the trails below
    if len(actors):
        if "name" in actors.columns:
            actors["name"] = [
                _registered(people.get(a), k, n)
                for a, k, n in zip(actors["actor_id"], actors["kind"], actors["name"], strict=True)
            ]
        if "explanation" in actors.columns:  # ids inside explanations become names
            actors["explanation"] = [
                people.name_text(t) if isinstance(t, str) else t for t in actors["explanation"]
            ]
    stages = manifest.get("stages", {})
    for part, stage in (
        ("graph", "build"),
        ("analytics", "analyze"),
        ("persons", "resolve"),
        ("blackouts", "blackouts"),
        ("handoffs", "handoffs"),
        ("predicted", "predict-links"),
    ):
        if part == "predicted":
            if predicted.empty:
                missing[part] = "no predicted links (run `graphkit predict-links`)"
            continue
        if stage not in stages:
            missing[part] = f"`{stage}` has not run"
    if actors.empty:
        missing.setdefault("analytics", "`analyze` has not run")
    only = ((stages.get("analyze") or {}).get("settings") or {}).get("only") or []
    if only and "hierarchy" not in only:
        missing["hierarchy"] = (
            f"the analysis ran without its hierarchy part (`graphkit analyze --only "
            f"{' --only '.join(only)}`); `graphkit analyze` runs it"
        )
    if activity.empty:
        missing["activity"] = "no call records with times (ingest a cdr source)"
    info: dict[str, Any] = {}
    if not stored.empty:
        info = dict((store.stage("sensitivity") or {}).get("summary", {}))
    if stored.empty or not info:
        stored, info = stored.iloc[0:0], {}
        missing["sensitivity"] = (
            "needs entity resolution with a review band (`graphkit resolve`), then "
            "`graphkit analyze`"
        )
    hotspots = _hotspots(store, actors)
    wheels = [] if activity.empty else _leader_wheels(store, actors, people)
    towers, trails = _leader_trails(store, [w.subject for w in wheels], people)
    if not hotspots:
        missing["hotspots"] = "`graphkit hotspots` has not run (it needs incidents)"
    return CaseFacts(
        name=str(manifest.get("name", store.path.name)),
        case_id=str(manifest.get("case_id", "")),
        created_at=str(manifest.get("created_at", "")),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        manifest_sha256=store.manifest_sha256(),
        sources=[{"name": k, **v} for k, v in sorted(manifest.get("sources", {}).items())],
        counts=counts,
        stages=stages,
        models=manifest.get("models", {}),
        versions=_versions(),
        actors=actors,
        ties=ties,
        communities=communities,
        key_players=key_players,
        activity=activity,
        daily=daily,
        blackouts=blackouts,
        handoffs=handoffs,
        predicted=predicted,
        review=review,
        sensitivity=stored,
        sensitivity_info=info,
        period=period,
        missing=missing,
        carriers=burner_carriers(store),
        leaders=leaders,
        handoff_alternatives=handoff_alternatives,
        hotspots=hotspots,
        wheels=wheels,
        towers=towers,
        trails=trails,
    )


#: leaders whose trails the report maps
TRAIL_LEADERS = 3


def _leader_trails(
    store: CaseStore, leader_ids: list[str], people: Directory
) -> tuple[pd.DataFrame, list[Any]]:
    """Towers with positions and the trails of the first leaders, when the case has towers."""
    from graphkit.cdr.maps import towers, trail

    with store.connect(read_only=True) as con:
        if not leader_ids or not store.table_exists(con, "src_towers"):
            return pd.DataFrame(), []
    frame = towers(store)
    if frame.empty:
        return frame, []
    trails = []
    for actor_id in leader_ids[:TRAIL_LEADERS]:
        actor = people.get(actor_id)
        if actor is not None:
            found = trail(store, actor)
            if found.records:
                trails.append(found)
    return frame, trails


#: leaders whose time wheels the report draws
WHEEL_LEADERS = 6


def _leader_wheels(store: CaseStore, actors: pd.DataFrame, people: Directory) -> list[Any]:
    """Time wheels of the top actors by leadership score that have call records (local
    time)."""
    from graphkit.cdr.activity import activity_matrix

    if actors.empty or "leadership" not in actors.columns:
        return []
    ranked = actors[actors["leadership"].notna()].sort_values(
        ["leadership", "actor_id"], ascending=[False, True]
    )
    wheels = []
    for actor_id in ranked["actor_id"].head(3 * WHEEL_LEADERS):
        wheel = activity_matrix(store, str(actor_id), people=people)
        if wheel.events > 0:
            wheels.append(wheel)
        if len(wheels) == WHEEL_LEADERS:
            break
    return wheels


def _hotspots(store: CaseStore, actors: pd.DataFrame) -> dict[str, Any]:
    """The stored forecast and, over it, the cells where the phones of the community of the
    actor with the highest leadership score made calls (tower positions binned into the
    forecast grid)."""
    from graphkit.hotspots import CELL_TABLE
    from graphkit.hotspots.grid import Grid
    from graphkit.hotspots.network import phone_activity

    stage = store.stage("hotspots")
    if stage is None:
        return {}
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, CELL_TABLE):
            return {}
        cells = con.execute(f"SELECT * FROM {CELL_TABLE} ORDER BY rank").df()
    grid = Grid(**stage["summary"]["grid"])
    out: dict[str, Any] = {
        "summary": stage["summary"],
        "settings": stage["settings"],
        "cells": cells,
        "grid": grid,
        "overlay": None,
        "overlay_label": "",
    }
    chosen = stage["summary"].get("phones_of")
    if chosen:  # the analyst named whose phones go on the map (hotspots --phones-of)
        overlay = phone_activity(store, grid, list(chosen["actor_ids"]))
        if overlay is not None and overlay.sum() > 0:
            out["overlay"], out["overlay_label"] = overlay, chosen["label"]
        return out
    needed = {"leadership", "community", "actor_id"}
    if not actors.empty and needed <= set(actors.columns) and actors["leadership"].notna().any():
        top = actors.sort_values("leadership", ascending=False).iloc[0]
        members = actors.loc[actors["community"] == top["community"], "actor_id"].tolist()
        overlay = phone_activity(store, grid, [str(m) for m in members])
        if overlay is not None and overlay.sum() > 0:
            name = top.get("name") if isinstance(top.get("name"), str) else top["actor_id"]
            out["overlay"] = overlay
            out["overlay_label"] = (
                f"community {top['community']} ({len(members)} members, among them {name}, the "
                "highest leadership score in the case)"
            )
    return out
