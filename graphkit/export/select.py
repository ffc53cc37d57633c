"""Choosing the subgraph to export: around actors, one community, a time window.

The exported graph is the actor graph of ``graphkit build`` (``actor``, ``actor_edge``) with
the analytics results as node attributes and, on request, the hypotheses between selected
actors (PREDICTED_LINK, SAME_USER_AS) as edges marked ``hypothesis``, except those a reviewer
rejected. Hypotheses never widen the selection: only observed ties do.

A time window keeps the ties observed in it, and the actors with at least one of them (actors
asked for by name always stay). Calls, texts and transfers are re-counted from the events
inside the window (``src_cdr``, ``src_transactions``); pre-aggregated contact ties are kept
when their ``[first, last]`` span overlaps the window (their weight is the source's, not
re-counted) and dropped when they carry no time at all. The manifest of the export says so.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.errors import CaseError, InputError
from graphkit.hypotheses import Status, listed_handoff_sql
from graphkit.people import directory
from graphkit.settings import StageSettings
from graphkit.store import table_columns

if TYPE_CHECKING:
    import duckdb

    from graphkit.store import CaseStore

__all__ = ["NODE_LIST_COLUMNS", "Selection", "Subgraph", "select_subgraph"]

log = logging.getLogger(__name__)

# Node attributes that hold lists of identifiers (joined with "; " in flat formats).
NODE_LIST_COLUMNS = ("names", "phones", "imeis", "imsis", "accounts")
_ANALYTICS_COLUMNS = (
    "community",
    "community_confidence",
    "pagerank",
    "betweenness",
    "leadership",
    "level",
    "superior",
    "broker_role",
)
_REBUILD_NOTE = (
    "the case was built before call durations were kept: run `graphkit build` again for "
    "call seconds and per-type first/last times"
)
_OPEN_START = datetime(1900, 1, 1, tzinfo=UTC)
_OPEN_END = datetime(2200, 1, 1, tzinfo=UTC)
EDGE_COLUMNS = (
    "src",
    "dst",
    "layer",
    "weight",
    "count",
    "amount",
    "first",
    "last",
    "seconds",
    "hypothesis",
    "score",
    "status",
    "model_version",
    "evidence",
)


@dataclass(frozen=True)
class Selection(StageSettings):
    """What to export. Empty ``actors`` and no ``community``: the whole actor graph.

    ``actors`` name actors as ``graphkit show CASE actor QUERY`` does: a name, a phone in any
    format or an id (or its first characters), one actor each; ``hops`` widens them by that
    many steps over observed ties. ``community`` is
    ``C3`` or ``3``. ``start``/``end`` bound the time window (either may be open).
    """

    actors: tuple[str, ...] = ()
    hops: int = 1
    community: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    include_hypotheses: bool = False

    def validate(self) -> None:
        self.require(self.hops >= 0, "hops", "must be 0 or more")
        self.require(
            not (self.actors and self.community is not None),
            "actors",
            "choose actors or a `community`, not both",
        )
        for name, t in (("start", self.start), ("end", self.end)):
            self.require(
                t is None or t.tzinfo is not None,
                name,
                "a time window bound needs a time zone (UTC is assumed by the CLI)",
            )
        self.require(
            self.start is None or self.end is None or self.start < self.end,
            "start",
            "must be before `end`",
        )

    def community_number(self) -> int | None:
        if self.community is None:
            return None
        text = self.community.strip().removeprefix("C").removeprefix("c")
        if not text.isdigit():
            raise InputError(f"community {self.community!r} is not like C3 or 3")
        return int(text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, written to the export manifest and the audit log."""
        return {
            "actors": list(self.actors),
            "hops": self.hops if self.actors else None,
            "community": self.community,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "include_hypotheses": self.include_hypotheses,
        }


@dataclass(frozen=True)
class Subgraph:
    """Selected nodes and edges as frames (see the module docstring for their columns)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the source records entity resolution merged into each selected person (``person_id``,
    #: ``record_id``, ``source``, ``kind``, ``row_number``, ``match_probability``): the
    #: provenance ANX shows as the cards of a merged entity. Pseudonymised exports drop it.
    records: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def hypotheses(self) -> int:
        return int(self.edges["hypothesis"].sum()) if len(self.edges) else 0


def _exists(store: CaseStore, con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(store.table_exists(con, table))


def _observed_edges(
    store: CaseStore, con: duckdb.DuckDBPyConnection, sel: Selection
) -> tuple[pd.DataFrame, list[str]]:
    built = table_columns(con, "actor_edge")
    # cases built before call durations were kept: the column is absent until the next build
    seconds = "seconds" if "seconds" in built else "NULL::BIGINT AS seconds"
    base = (
        f'SELECT src, dst, layer, weight, "count", amount, "first", "last", {seconds} '
        "FROM actor_edge"
    )
    if sel.start is None and sel.end is None:
        notes = [] if "seconds" in built else [_REBUILD_NOTE]
        return con.execute(base + " ORDER BY src, dst, layer").df(), notes
    lo = sel.start or _OPEN_START
    hi = sel.end or _OPEN_END
    parts = [
        con.execute(
            base + ' WHERE layer LIKE \'contact:%\' AND "first" <= ? AND "last" >= ?', [hi, lo]
        ).df()
    ]
    row = con.execute(
        "SELECT count(*) FROM actor_edge WHERE layer LIKE 'contact:%' "
        'AND ("first" IS NULL OR "last" IS NULL)'
    ).fetchone()
    notes = ["contact ties kept when their first..last span overlaps the window"]
    if row and row[0]:
        notes.append(f"{row[0]} contact ties without time left out of the time window")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE export_phone_actor AS "
        "SELECT unnest(phones) AS msisdn, actor_id FROM actor"
    )
    if _exists(store, con, "src_cdr"):
        parts.append(
            con.execute(
                """
                WITH ev AS (
                    SELECT coalesce(s.actor_id, c.caller) AS src,
                           coalesce(d.actor_id, c.callee) AS dst,
                           CASE WHEN coalesce(c.event_type, 'call') = 'call' THEN 'calls'
                                WHEN c.event_type = 'sms' THEN 'sms' END AS layer,
                           c.start, c.duration_s
                    FROM src_cdr c
                    LEFT JOIN export_phone_actor s ON s.msisdn = c.caller
                    LEFT JOIN export_phone_actor d ON d.msisdn = c.callee
                    WHERE NOT coalesce(c.is_duplicate, false) AND c.caller IS NOT NULL
                      AND c.callee IS NOT NULL AND c.start >= ? AND c.start <= ?
                )
                SELECT src, dst, layer, count(*)::DOUBLE AS weight, count(*)::BIGINT AS "count",
                       NULL::DOUBLE AS amount, min(start) AS "first", max(start) AS "last",
                       CASE WHEN layer = 'calls' THEN coalesce(sum(duration_s), 0) END::BIGINT
                           AS seconds
                FROM ev WHERE layer IS NOT NULL AND src <> dst GROUP BY src, dst, layer
                """,
                [lo, hi],
            ).df()
        )
        notes.append("calls and texts re-counted from the CDR events inside the window")
    if _exists(store, con, "src_transactions"):
        parts.append(
            con.execute(
                """
                WITH holder AS (SELECT dst AS account_id, min(src) AS person_id
                                FROM rel_holds GROUP BY dst)
                SELECT hs.person_id AS src, hd.person_id AS dst, 'money' AS layer,
                       count(*)::DOUBLE AS weight, count(*)::BIGINT AS "count",
                       sum(t.amount) AS amount, min(t.timestamp) AS "first",
                       max(t.timestamp) AS "last", NULL::BIGINT AS seconds
                FROM src_transactions t
                JOIN holder hs ON hs.account_id = t.from_account
                JOIN holder hd ON hd.account_id = t.to_account
                WHERE NOT coalesce(t.is_duplicate, false) AND t.timestamp >= ?
                  AND t.timestamp <= ? AND hs.person_id <> hd.person_id
                GROUP BY ALL
                """,
                [lo, hi],
            ).df()
        )
        notes.append("transfers re-counted from the transactions inside the window")
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=list(EDGE_COLUMNS[:9])), notes
    edges = pd.concat(parts, ignore_index=True)
    return edges.sort_values(["src", "dst", "layer"], ignore_index=True), notes


def _resolve_actors(store: CaseStore, wanted: tuple[str, ...]) -> list[str]:
    """The actor ids that names, phones (any format) or ids name, one actor each (InputError
    with suggestions for a miss, with the candidates for an ambiguous query)."""
    people = directory(store)
    return sorted({people.find_one(q).actor_id for q in wanted})


def _widen(seeds: list[str], edges: pd.DataFrame, hops: int) -> set[str]:
    chosen = set(seeds)
    frontier = set(seeds)
    src, dst = edges["src"].astype(str), edges["dst"].astype(str)
    for _ in range(hops):
        out = set(dst[src.isin(frontier)]) | set(src[dst.isin(frontier)])
        frontier = out - chosen
        if not frontier:
            break
        chosen |= frontier
    return chosen


def _node_table(store: CaseStore, con: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    con.register("export_ids", pd.DataFrame({"actor_id": pd.Series(ids, dtype=object)}))
    has = {t: _exists(store, con, t) for t in ("analytics_actor", "src_cdr", "src_subscribers")}
    analytics = ""
    if has["analytics_actor"]:
        cols = dict(
            con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'analytics_actor'"
            ).fetchall()
        )
        picked = [c for c in _ANALYTICS_COLUMNS if c in cols]
        # communities are Community keys ('C3'); older cases stored the number alone
        keyed = cols.get("community") == "VARCHAR"
        analytics = ", " + ", ".join(
            ("an.community" if keyed else "'C' || an.community AS community")
            if c == "community"
            else f"an.{c}"
            for c in picked
        )
    # Identifier lists per actor through joins on the actor's phones (linear in phones).
    parts = {"imeis": "SELECT src AS msisdn, dst AS value FROM rel_used_device"}
    imsi_parts = []
    if has["src_cdr"]:
        imsi_parts.append("SELECT caller AS msisdn, imsi AS value FROM src_cdr")
    if has["src_subscribers"]:
        imsi_parts.append("SELECT msisdn, imsi FROM src_subscribers")
        parts["names"] = (
            "SELECT msisdn, coalesce(full_name, nullif(concat_ws(' ', first_name, last_name), "
            "'')) AS value FROM src_subscribers"
        )
    if imsi_parts:
        parts["imsis"] = " UNION ALL ".join(imsi_parts)
    ctes = [
        "ap AS (SELECT a.actor_id, unnest(a.phones) AS msisdn FROM export_ids i "
        "JOIN actor a USING (actor_id))"
    ]
    joins = []
    for name, sql in parts.items():
        ctes.append(
            f"x_{name} AS (SELECT ap.actor_id, list(DISTINCT v.value ORDER BY v.value) AS value "
            f"FROM ap JOIN ({sql}) v USING (msisdn) WHERE v.value IS NOT NULL GROUP BY ALL)"
        )
        joins.append(f"LEFT JOIN x_{name} ON x_{name}.actor_id = a.actor_id")
    names = "coalesce(p.names, x_names.value, [])" if "names" in parts else "coalesce(p.names, [])"
    imsis = "coalesce(x_imsis.value, [])" if "imsis" in parts else "[]::VARCHAR[]"
    frame = con.execute(
        f"""
        WITH {", ".join(ctes)},
        x_accounts AS (SELECT src AS actor_id, list(DISTINCT dst ORDER BY dst) AS value
                       FROM rel_holds GROUP BY ALL)
        SELECT a.actor_id AS id, a.kind,
               coalesce(p.full_name, a.actor_id) AS label,
               {names} AS names,
               a.phones,
               coalesce(x_imeis.value, []) AS imeis,
               {imsis} AS imsis,
               coalesce(x_accounts.value, []) AS accounts
               {analytics}
        FROM export_ids i JOIN actor a USING (actor_id)
        LEFT JOIN node_person p ON p.person_id = a.actor_id
        {" ".join(joins)}
        LEFT JOIN x_accounts ON x_accounts.actor_id = a.actor_id
        {"LEFT JOIN analytics_actor an ON an.actor_id = a.actor_id" if analytics else ""}
        ORDER BY a.actor_id
        """  # identifiers above are this module's constants
    ).df()
    con.unregister("export_ids")
    for col in NODE_LIST_COLUMNS:
        frame[col] = [
            sorted({str(v) for v in (x if x is not None else []) if v}) for x in frame[col]
        ]
    return frame


def _hypotheses(store: CaseStore, con: duckdb.DuckDBPyConnection, ids: set[str]) -> pd.DataFrame:
    frames = []
    sql = {
        "predicted_link": """
            SELECT src, dst, score, status, model_version, evidence::VARCHAR AS evidence,
                   NULL::TIMESTAMPTZ AS decided_at FROM rel_predicted_link""",
        # hand-offs as the review queue carries them: a runner-up is no finding
        "same_user_as": f"""
            WITH pa AS (SELECT unnest(phones) AS msisdn, actor_id FROM actor)
            SELECT coalesce(s.actor_id, h.src) AS src, coalesce(d.actor_id, h.dst) AS dst,
                   h.score, h.status, h.model_version, h.evidence::VARCHAR AS evidence,
                   h.decided_at
            FROM rel_same_user_as h LEFT JOIN pa s ON s.msisdn = h.src
            LEFT JOIN pa d ON d.msisdn = h.dst
            WHERE {listed_handoff_sql("h")}""",
    }
    for layer, query in sql.items():
        if not _exists(store, con, f"rel_{layer}"):
            continue
        rows = con.execute(query).df()
        # rejected hypotheses were judged wrong by a reviewer: they are not disclosed
        inside = rows["src"].isin(ids) & rows["dst"].isin(ids) & (rows["src"] != rows["dst"])
        rows = rows[inside & (rows["status"] != Status.REJECTED)]
        if len(rows):
            rows = rows.drop(columns=["decided_at"]).assign(layer=layer, hypothesis=True)
            frames.append(rows)
    if not frames:
        return pd.DataFrame(columns=list(EDGE_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _canonical_evidence(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        return json.dumps(json.loads(str(value)), sort_keys=True, ensure_ascii=False)
    except json.JSONDecodeError:
        return str(value)


def select_subgraph(store: CaseStore, selection: Selection) -> Subgraph:
    """The subgraph ``selection`` picks from the case's actor graph.

    Raises CaseError when the case has not been built (no actor graph) or a community is asked
    for before ``analyze``, InputError for unknown actors or communities.
    """
    with store.connect(read_only=True) as con:
        if not _exists(store, con, "actor") or not _exists(store, con, "actor_edge"):
            raise CaseError("the case has no actor graph yet: run `graphkit build` first")
    seeds = _resolve_actors(store, selection.actors) if selection.actors else []
    with store.connect(read_only=True) as con:
        edges, notes = _observed_edges(store, con, selection)
        community = selection.community_number()
        if selection.actors:
            ids = _widen(seeds, edges, selection.hops)
        elif community is not None:
            if not _exists(store, con, "analytics_actor"):
                raise CaseError("no communities yet: run `graphkit analyze` first")
            found = con.execute(
                "SELECT actor_id FROM analytics_actor WHERE CAST(community AS VARCHAR) IN (?, ?)",
                [str(community), f"C{community}"],
            ).fetchall()
            if not found:
                raise InputError(f"no community C{community} in this case")
            ids = {r[0] for r in found}
        else:
            ids = {r[0] for r in con.execute("SELECT actor_id FROM actor").fetchall()}
        if (selection.start or selection.end) and not selection.actors:
            # a time window keeps the actors with a tie in it (asked-for actors always stay)
            active = set(edges["src"]) | set(edges["dst"])
            dropped = len(ids - active)
            ids &= active
            if dropped:
                notes.append(f"{dropped} selected actors without a tie in the window left out")
        nodes = _node_table(store, con, sorted(ids))
        records = _merged_records(store, con, nodes)
        keep = edges["src"].isin(ids) & edges["dst"].isin(ids)
        chosen = edges[keep].assign(hypothesis=False)
        if selection.include_hypotheses:
            hyp = _hypotheses(store, con, ids)
            chosen = pd.concat([chosen, hyp], ignore_index=True) if len(hyp) else chosen
    for col in EDGE_COLUMNS:
        if col not in chosen.columns:
            chosen[col] = None
    chosen = chosen[list(EDGE_COLUMNS)].copy()
    chosen["hypothesis"] = chosen["hypothesis"].astype(bool)
    for col in ("count", "seconds"):  # whole numbers, missing on the ties they do not apply to
        chosen[col] = pd.to_numeric(chosen[col]).astype("Int64")
    chosen["evidence"] = [_canonical_evidence(v) for v in chosen["evidence"]]
    chosen = chosen.sort_values(["hypothesis", "src", "dst", "layer"], ignore_index=True)
    log.info("selected %d actors and %d ties", len(nodes), len(chosen))
    return Subgraph(nodes=nodes, edges=chosen, notes=tuple(notes), records=records)


def _merged_records(
    store: CaseStore, con: duckdb.DuckDBPyConnection, nodes: pd.DataFrame
) -> pd.DataFrame:
    """The source records resolved into the selected persons (see :attr:`Subgraph.records`),
    by person, then source and row."""
    people = nodes.loc[nodes["kind"] == "person", "id"].astype(str)
    if people.empty or not all(
        _exists(store, con, t) for t in ("rel_resolved_from", "node_record")
    ):
        return pd.DataFrame()
    con.register("export_people", pd.DataFrame({"person_id": people}))
    try:
        return con.execute(
            """
            SELECT r.src AS person_id, r.dst AS record_id, n.source, n.kind, n.row_number,
                   r.match_probability
            FROM rel_resolved_from r JOIN export_people p ON p.person_id = r.src
            LEFT JOIN node_record n ON n.record_id = r.dst
            ORDER BY r.src, n.source, n.row_number, r.dst
            """
        ).df()
    finally:
        con.unregister("export_people")
