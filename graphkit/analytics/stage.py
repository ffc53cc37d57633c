"""``analyze``: run the network analytics on a case's actor graph and store the results.

Reads ``actor`` and ``actor_edge`` (written by ``graphkit build``), runs
:func:`graphkit.analytics.measures.analyze_edges`, and writes:

* ``analytics_actor``: one row per actor (measures, community, hierarchy, brokerage,
  ``evidence`` JSON and ``explanation`` text);
* ``analytics_community``: one row per community (size, ties, density, leader, p-value);
* ``analytics_key_player``: the greedy key-player set with the fragmentation after removal;
* the model tables ``node_community`` and ``rel_member_of`` (with membership confidence);
* ``analytics_sensitivity`` of an earlier run is dropped (it described another ranking);
  :func:`graphkit.pipeline.analyze` runs the signals and the sensitivity after this stage.

Settings (seed, parts, spec) and a summary are recorded in the manifest as stage ``analyze``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.analytics.measures import PARTS, AnalysisSpec, analyze_edges
from graphkit.errors import CaseError
from graphkit.settings import StageSettings
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "ALL_PARTS",
    "RESULT_TABLES",
    "SENSITIVITY_PART",
    "SIGNAL_PARTS",
    "Settings",
    "load_actor_graph",
    "run",
]

log = logging.getLogger(__name__)

RESULT_TABLES = ("analytics_actor", "analytics_community", "analytics_key_player")
# Parts read from the call records rather than the actor graph; they run after communities,
# which group blackouts need.
SIGNAL_PARTS = ("blackouts", "handoffs")
# Re-runs of resolution, build and analysis at other match thresholds; after everything else.
SENSITIVITY_PART = "sensitivity"
ALL_PARTS = (*PARTS, *SIGNAL_PARTS, SENSITIVITY_PART)


def load_actor_graph(store: CaseStore) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``actor`` and ``actor_edge`` tables of the case (CaseError before ``build``).

    The edges' ``src`` and ``dst`` are categoricals over the actor ids in sorted order and
    ``layer`` one over the layer names: a large case's ties are read as integer codes, not
    as a Python string per end and per row (at 1M actors / 9.7M ties the strings alone were
    gigabytes). A tie whose end is not in ``actor`` (a case built by other tools) is read
    with its ids as text instead."""
    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "actor") and store.table_exists(con, "actor_edge")):
            raise CaseError("the case has no actor graph yet: run `graphkit build` first")
        actors = con.execute("SELECT actor_id, kind, phones FROM actor ORDER BY actor_id").df()
        codes = con.execute(
            """
            WITH ids AS (SELECT actor_id, (row_number() OVER (ORDER BY actor_id) - 1)::INTEGER
                                AS i FROM actor),
                 lay AS (SELECT layer, (row_number() OVER (ORDER BY layer) - 1)::INTEGER AS j
                         FROM (SELECT DISTINCT layer FROM actor_edge))
            SELECT s.i AS src, d.i AS dst, l.j AS layer, e.weight
            FROM actor_edge e
            LEFT JOIN ids s ON s.actor_id = e.src
            LEFT JOIN ids d ON d.actor_id = e.dst
            LEFT JOIN lay l ON l.layer IS NOT DISTINCT FROM e.layer
            ORDER BY s.i, d.i, l.j
            """
        ).df()
        distinct = "SELECT DISTINCT layer FROM actor_edge ORDER BY layer"
        layers = [r[0] for r in con.execute(distinct).fetchall()]
        unusable = codes[["src", "dst", "layer"]].isna().any().any() or any(
            x is None for x in layers
        )
        if unusable or not actors["actor_id"].is_unique:
            edges = con.execute(
                "SELECT src, dst, layer, weight FROM actor_edge ORDER BY src, dst, layer"
            ).df()
            return actors, edges
    ids = pd.Index(actors["actor_id"].astype(str))
    edges = pd.DataFrame(
        {
            "src": pd.Categorical.from_codes(codes["src"].to_numpy(dtype="int32"), ids),
            "dst": pd.Categorical.from_codes(codes["dst"].to_numpy(dtype="int32"), ids),
            "layer": pd.Categorical.from_codes(
                codes["layer"].to_numpy(dtype="int32"), pd.Index([str(x) for x in layers])
            ),
            "weight": codes["weight"].to_numpy(),
        }
    )
    return actors, edges


@dataclass(frozen=True)
class Settings(StageSettings):
    """What ``analyze`` computes on the actor graph: its ``parts`` (of
    :data:`graphkit.analytics.measures.PARTS`), the ``seed`` and the algorithms' ``spec``."""

    seed: int = 0
    parts: tuple[str, ...] = PARTS
    spec: AnalysisSpec = field(default_factory=AnalysisSpec)

    def validate(self) -> None:
        unknown = sorted(set(self.parts) - set(PARTS))
        self.require(not unknown, "parts", f"unknown {unknown}; choose from {', '.join(PARTS)}")
        self.require(bool(self.parts), "parts", "name at least one part")


@writes("analyze", operation="combination")
def run(
    store: CaseStore, settings: Settings, *, communities: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Analyse the case's actor graph and store the results; returns the stage summary.

    ``communities`` (actor id -> label) holds the partition instead of detecting it: the ER
    sensitivity's re-runs hold the case's (:func:`graphkit.pipeline.sensitivity`).

    Blackouts, hand-offs and the sensitivity to entity resolution are other stages, run after
    this one by :func:`graphkit.pipeline.analyze`.
    """
    seed, spec, parts = settings.seed, settings.spec, list(settings.parts)
    started = time.perf_counter()
    actors, edges = load_actor_graph(store)
    if actors.empty:
        raise CaseError("the actor graph is empty: ingest sources and run `graphkit build`")
    contacts = None
    if "hierarchy" in parts:  # relayed orders need time stamps: call records, contact logs
        from graphkit.analytics.relays import load_actor_contacts

        contacts = load_actor_contacts(store)
    result = analyze_edges(
        edges,
        actors=actors["actor_id"].tolist(),
        seed=seed,
        spec=spec,
        only=parts,
        contacts=contacts,
        communities=communities,
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
    return summary
