"""``analyze``: run the network analytics on a case's actor graph and store the results.

Reads ``actor`` and ``actor_edge`` (written by ``graphkit build``), runs
:func:`graphkit.analytics.measures.analyze_edges`, and writes:

* ``analytics_actor``: one row per actor (measures, community, hierarchy, brokerage,
  ``evidence`` JSON and ``explanation`` text);
* ``analytics_community``: one row per community (size, ties, density, leader, p-value);
* ``analytics_key_player``: the greedy key-player set with the fragmentation after removal;
* the model tables ``node_community`` and ``rel_member_of`` (with membership confidence);
* with part ``sensitivity`` (on cases with entity resolution): ``analytics_sensitivity``,
  leaders and brokers under a looser and a stricter match threshold
  (:mod:`graphkit.analytics.sensitivity_case`). Results of an earlier run are dropped
  when the graph parts run again without it, so they never describe another ranking.

Settings (seed, spec) and a summary are recorded in the manifest as stage ``analyze``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.analytics.measures import PARTS, AnalysisSpec, analyze_edges
from graphkit.errors import CaseError, InputError
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["ALL_PARTS", "RESULT_TABLES", "SIGNAL_PARTS", "analyze", "load_actor_graph"]

log = logging.getLogger(__name__)

RESULT_TABLES = ("analytics_actor", "analytics_community", "analytics_key_player")
# Parts read from the call records rather than the actor graph; they run after communities,
# which group blackouts need.
SIGNAL_PARTS = ("blackouts", "handoffs")
# Re-runs of resolution, build and analysis at other match thresholds; after everything else.
SENSITIVITY_PART = "sensitivity"
ALL_PARTS = (*PARTS, *SIGNAL_PARTS, SENSITIVITY_PART)


def load_actor_graph(store: CaseStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``actor`` and ``actor_edge`` tables of the case (CaseError before ``build``)."""
    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "actor") and store.table_exists(con, "actor_edge")):
            raise CaseError("the case has no actor graph yet: run `graphkit build` first")
        actors = con.execute("SELECT actor_id, kind, phones FROM actor ORDER BY actor_id").df()
        edges = con.execute(
            "SELECT src, dst, layer, weight FROM actor_edge ORDER BY src, dst, layer"
        ).df()
    return actors, edges


@writes("analyze", operation="combination")
def analyze(
    store: CaseStore,
    *,
    seed: int = 0,
    only: Iterable[str] | None = None,
    spec: AnalysisSpec | None = None,
) -> dict[str, Any]:
    """Analyse the case's actor graph and store the results; returns the stage summary."""
    parts = list(only) if only is not None else list(ALL_PARTS)
    unknown = sorted(set(parts) - set(ALL_PARTS))
    if unknown:
        raise InputError(f"unknown analysis part(s) {unknown}; choose from {', '.join(ALL_PARTS)}")
    signal_parts = [p for p in parts if p in SIGNAL_PARTS]
    sensitivity = SENSITIVITY_PART in parts
    parts = [p for p in parts if p in PARTS]
    if not parts:
        summary = _signals(store, signal_parts, summary={}, spec=spec or AnalysisSpec())
        return _sensitivity(store, summary) if sensitivity else summary
    spec = spec or AnalysisSpec()
    started = time.perf_counter()
    actors, edges = load_actor_graph(store)
    if actors.empty:
        raise CaseError("the actor graph is empty: ingest sources and run `graphkit build`")
    contacts = None
    if "hierarchy" in parts:  # relayed orders need time stamps: the call records, if any
        from graphkit.analytics.relays import load_actor_contacts

        contacts = load_actor_contacts(store)
    result = analyze_edges(
        edges,
        actors=actors["actor_id"].tolist(),
        seed=seed,
        spec=spec,
        only=parts,
        contacts=contacts,
    )
    table = actors.merge(result.actors, on="actor_id", how="right")
    encode = json.JSONEncoder(sort_keys=True).encode  # json.dumps(e, sort_keys=True), one setup
    table["evidence"] = [encode(e) for e in table["evidence"]]
    comm = result.communities
    if "community" in table.columns:  # stored ids are the Community keys: C0 = the largest
        table["community"] = "C" + table["community"].astype(str)
        comm = comm.assign(community="C" + comm["community"].astype(str))
    with store.connect() as con:
        con.register("actor_frame", table)
        con.execute(
            "CREATE OR REPLACE TABLE analytics_actor AS "
            "SELECT * REPLACE (evidence::JSON AS evidence) FROM actor_frame ORDER BY actor_id"
        )
        con.unregister("actor_frame")
        if comm.empty:
            comm = pd.DataFrame({"community": pd.Series([], dtype="object")})
        con.register("community_frame", comm)
        con.execute("CREATE OR REPLACE TABLE analytics_community AS SELECT * FROM community_frame")
        con.unregister("community_frame")
        con.register("kp_frame", result.key_players)
        con.execute("CREATE OR REPLACE TABLE analytics_key_player AS SELECT * FROM kp_frame")
        con.unregister("kp_frame")
        con.execute("DROP TABLE IF EXISTS analytics_sensitivity")  # about the old ranking
        con.execute("DELETE FROM rel_member_of")
        con.execute("DELETE FROM node_community")
        if "community" in table.columns:
            con.execute(
                "INSERT INTO node_community SELECT community, 0, size, density "
                "FROM analytics_community"
            )
            con.execute(
                "INSERT INTO rel_member_of SELECT actor_id, community, "
                "community_confidence FROM analytics_actor"
            )
    summary = {
        **result.summary,
        "seconds": round(time.perf_counter() - started, 3),
        "tables": list(RESULT_TABLES),
    }
    store.record_stage(
        "analyze", settings={"seed": seed, "only": parts, "spec": spec.to_dict()}, summary=summary
    )
    store.drop_stage(SENSITIVITY_PART)  # its table was dropped above: about the old ranking
    summary = _signals(store, signal_parts, summary=summary, spec=spec)
    return _sensitivity(store, summary) if sensitivity else summary


def _sensitivity(store: CaseStore, summary: dict[str, Any]) -> dict[str, Any]:
    """Leaders and brokers at the review band's thresholds, when the case has resolution."""
    from graphkit.analytics.sensitivity_case import resolution_sensitivity, store_sensitivity

    found = resolution_sensitivity(store)
    if found is None:
        log.info("no entity resolution with a review band: sensitivity skipped")
        return summary
    summary["sensitivity_survivors"] = store_sensitivity(store, found)["survivors"]
    return summary


def _signals(
    store: CaseStore, parts: list[str], *, summary: dict[str, Any], spec: AnalysisSpec
) -> dict[str, Any]:
    """Blackouts and hand-offs from the call records, when the case has any."""
    from graphkit.signals.stage import detect_signals_in_case

    with store.connect() as con:
        has_cdr = store.table_exists(con, "src_cdr") and bool(
            (con.execute("SELECT count(*) FROM src_cdr").fetchone() or (0,))[0]
        )
    if not has_cdr:
        if parts:
            log.info("no call records: blackouts and hand-offs skipped")
        return summary
    # hand-offs need the phone silences, and actor and group blackouts the hand-offs
    counts = detect_signals_in_case(
        store,
        blackouts="blackouts" in parts,
        handoffs="handoffs" in parts,
        q_threshold=spec.blackout_fdr,
    )
    summary.update(counts)
    return summary
