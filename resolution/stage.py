"""Resolution of a case: records -> persons, written into the case store.

:func:`resolve_case` runs the whole stage (identities, standardisation, Splink model,
scoring, constrained clustering, stable ids, review queue, knowledge-graph tables);
:func:`recluster_case` re-applies review decisions to the stored pairs without re-scoring;
:func:`decide` records a review decision. Tables written (all rebuilt each run):

``er_records`` person-bearing records as resolved; ``er_pairs`` scored pairs at or above the
review floor with per-comparison weights; ``er_clusters`` record -> person; ``er_anchors``
person -> anchor record (stable ids); ``review_queue``; and the declared ``node_person``,
``node_record``, ``rel_resolved_from``, ``rel_uses``, ``rel_holds``, plus ``node_phone``,
``node_account``, ``node_device`` (:mod:`resolution.identities`). ``review_decision`` is
append-only and never rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from graphkit.errors import CaseError, InputError
from graphkit.hypotheses import Judgement, register_decider
from graphkit.store import CaseStore, writes
from resolution.cluster import cluster_records
from resolution.identities import build_identities
from resolution.ids import assign_person_ids
from resolution.records import load_person_records
from resolution.review import constraints_from_decisions, review_id, review_queue
from resolution.spec import ResolutionSpec
from resolution.standardise import standardise
from resolution.writes import write_graph

__all__ = ["MODEL_FILE", "ResolveSummary", "decide", "recluster_case", "resolve_case"]

log = logging.getLogger(__name__)

MODEL_FILE = "models/resolution.json"
Step = Callable[[str], None]

_DECISION_DDL = """
CREATE TABLE IF NOT EXISTS review_decision (
  review_id VARCHAR, id_l VARCHAR, id_r VARCHAR, decision VARCHAR,
  decided_by VARCHAR, decided_at TIMESTAMPTZ, note VARCHAR
)"""


@dataclass(frozen=True)
class ResolveSummary:
    """What a resolution run produced."""

    records: int
    persons: int
    merged_records: int
    pairs_scored: int
    review_pending: int
    review_decided: int
    phones: int
    accounts: int
    devices: int
    new_person_ids: int
    kept_person_ids: int
    retired_person_ids: int
    model_sha256: str
    engine: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _decisions(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    con.execute(_DECISION_DDL)
    return con.execute(
        "SELECT id_l, id_r, decision FROM review_decision ORDER BY decided_at, rowid"
    ).df()


def _previous_anchors(con: duckdb.DuckDBPyConnection, store: CaseStore) -> pd.DataFrame | None:
    if not store.table_exists(con, "er_anchors"):
        return None
    return con.execute("SELECT person_id, anchor_record FROM er_anchors").df()


@writes("resolve", operation="combination")
def resolve_case(
    store: CaseStore,
    *,
    spec: ResolutionSpec,
    model_path: Path | None = None,
    step: Step | None = None,
) -> ResolveSummary:
    """Resolve the persons of a case and write the results (see the module docstring).

    Trains a Splink model on the case's own records unless ``model_path`` names a saved
    one; the model used is saved as ``models/resolution.json`` and its hash recorded in the
    manifest. Review decisions already taken are honoured as constraints.
    """
    from resolution.linkage import predict_pairs, train_model
    from resolution.model_file import load_saved_model

    say = step or (lambda _m: None)
    with store.connect() as con:
        say("reading person records")
        records = load_person_records(con, store.manifest)
        previous = _previous_anchors(con, store)
        decisions = _decisions(con)
    say(f"standardising {len(records)} records")
    std = standardise(records)
    if model_path is not None:
        model = load_saved_model(model_path)  # rebuilt by graphkit: no SQL from the file
    else:
        say("training the model (u by random sampling, m by EM)")
        model = train_model(std, spec=spec)
    model_text = json.dumps(model, indent=2, sort_keys=True)
    model_sha = _sha256_text(model_text)
    # renamed into place when the operation commits, with the tables and the manifest record
    store.active_operation().write_file(
        store.path / MODEL_FILE, model_text.encode("utf-8"), inside_case=True
    )
    store.set_model(
        "resolution",
        path=MODEL_FILE,
        sha256=model_sha,
        trained=model_path is None,
        reused_from=str(model_path) if model_path else None,
    )
    say("scoring pairs")
    pairs = predict_pairs(
        std,
        model,
        threshold_probability=spec.review_low_probability,
        engine=spec.engine,
        memory_limit_gb=spec.memory_limit_gb,
    )
    with store.connect() as con:
        say("building identities")
        ident = build_identities(con)
        con.execute("DROP TABLE IF EXISTS er_records")
        con.register("recs", records)
        con.execute(
            """CREATE TABLE er_records AS
               SELECT record_key, source, kind, record_id, row_number, anchor_rank,
                      first_name, last_name, full_name, aliases, dob, address, postcode,
                      id_number, email, phones, accounts, activated, deactivated FROM recs"""
        )
        con.unregister("recs")
        con.execute("DROP TABLE IF EXISTS er_pairs")
        con.register("pairs_df", pairs)
        con.execute("CREATE TABLE er_pairs AS SELECT * FROM pairs_df")
        con.unregister("pairs_df")
        summary = _cluster_and_write(
            con, store, spec=spec, previous=previous, decisions=decisions, say=say
        )
    result = ResolveSummary(
        **summary,
        pairs_scored=len(pairs),
        phones=ident["node_phone"],
        accounts=ident["node_account"],
        devices=ident["node_device"],
        model_sha256=model_sha,
        engine=spec.engine,
    )
    store.record_stage("resolve", settings=spec.to_dict(), summary=result.as_dict())
    return result


@writes("resolve", operation="combination")
def recluster_case(store: CaseStore, *, spec: ResolutionSpec | None = None) -> dict[str, int]:
    """Re-cluster the stored pairs with the current review decisions (no re-scoring)."""
    stage = store.stage("resolve")
    if stage is None:
        raise CaseError("resolution has not run on this case: run `graphkit resolve` first")
    spec = spec or ResolutionSpec(**stage["settings"])
    with store.connect() as con:
        previous = _previous_anchors(con, store)
        decisions = _decisions(con)
        return _cluster_and_write(
            con, store, spec=spec, previous=previous, decisions=decisions, say=lambda _m: None
        )


def _cluster_and_write(
    con: duckdb.DuckDBPyConnection,
    store: CaseStore,
    *,
    spec: ResolutionSpec,
    previous: pd.DataFrame | None,
    decisions: pd.DataFrame,
    say: Step,
) -> dict[str, int]:
    records = con.execute(
        "SELECT record_key, anchor_rank FROM er_records ORDER BY anchor_rank"
    ).df()
    pairs = con.execute("SELECT * FROM er_pairs").df()
    must, cannot = constraints_from_decisions(decisions)
    say("clustering")
    labels = cluster_records(
        records["record_key"],
        pairs,
        threshold_probability=spec.threshold_probability,
        must_link=must,
        cannot_link=cannot,
    )
    assignment, anchors = assign_person_ids(records, labels, previous_anchors=previous)
    queue = review_queue(
        pairs,
        low_probability=spec.review_low_probability,
        high_probability=spec.review_high_probability,
        decisions=decisions,
    )
    say("writing persons")
    sources = store.manifest.get("sources", {})
    hashes = {name: str(s.get("sha256", "")) for name, s in sources.items()}
    write_graph(
        con, assignment=assignment, anchors=anchors, pairs=pairs, queue=queue, hashes=hashes
    )
    prev_ids = set(previous["person_id"]) if previous is not None else set()
    now_ids = set(anchors["person_id"])
    sizes = assignment.groupby("person_id").size()
    return {
        "records": len(records),
        "persons": len(now_ids),
        "merged_records": int(sizes[sizes > 1].sum()),
        "review_pending": int((queue["status"] == "pending").sum()),
        "review_decided": int(decisions.drop_duplicates(["id_l", "id_r"]).shape[0]),
        "new_person_ids": len(now_ids - prev_ids),
        "kept_person_ids": len(now_ids & prev_ids),
        "retired_person_ids": len(prev_ids - now_ids),
    }


@writes("review", operation="alteration")
def decide(
    store: CaseStore,
    rid: str,
    *,
    decision: str,
    actor: str | None,
    note: str | None = None,
) -> dict[str, Any]:
    """Record a review decision on queue item ``rid`` and re-cluster with it.

    ``decision`` is ``accept`` (the two records are one person: must-link) or ``reject``
    (never one person: cannot-link). Returns the decision row. The caller audits it.
    """
    decision = Judgement.parse(decision).value
    with store.connect() as con:
        if not store.table_exists(con, "review_queue"):
            raise CaseError("no review queue: run `graphkit resolve` first")
        row = con.execute(
            "SELECT id_l, id_r FROM review_queue WHERE review_id = ?", [rid]
        ).fetchone()
        if row is None:
            raise InputError(f"no review item {rid!r} (see `graphkit show CASE review`)")
        id_l, id_r = str(row[0]), str(row[1])
        if review_id(id_l, id_r) != rid:  # the queue was edited outside graphkit
            raise CaseError(f"review item {rid} does not match its pair: re-run resolve")
        con.execute(_DECISION_DDL)
        decided_at = datetime.now(UTC)
        con.execute(
            "INSERT INTO review_decision VALUES (?, ?, ?, ?, ?, ?, ?)",
            [rid, id_l, id_r, decision, actor, decided_at, note],
        )
    summary = recluster_case(store)
    return {
        "review_id": rid,
        "id_l": id_l,
        "id_r": id_r,
        "decision": decision,
        "decided_by": actor,
        "decided_at": decided_at.isoformat(),
        "persons": summary["persons"],
    }


def _decide_pair(
    store: CaseStore, rid: str, judgement: Judgement, actor: str | None, note: str | None
) -> dict[str, Any]:
    return decide(store, rid, decision=judgement.value, actor=actor, note=note)


register_decider("R", _decide_pair)  # graphkit.hypotheses.decide sends R... ids here


Settings = ResolutionSpec  # the stage's settings, under the name every stage uses


def run(
    store: CaseStore,
    settings: ResolutionSpec,
    *,
    model_path: Path | None = None,
    step: Step | None = None,
) -> dict[str, Any]:
    """The resolve stage (:func:`resolve_case`); returns its summary as a dict."""
    return resolve_case(store, spec=settings, model_path=model_path, step=step).as_dict()
