"""The build stage: knowledge-graph tables and the actor graph, from staged sources.

``build_graph(store)`` is the one entry point; see :mod:`graphkit.build.knowledge` and
:mod:`graphkit.build.actors` for what each table holds.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from graphkit.build.actors import ACTOR_TABLES, build_actor_graph
from graphkit.build.knowledge import KNOWLEDGE_TABLES, build_knowledge_graph

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["ACTOR_TABLES", "KNOWLEDGE_TABLES", "build_graph"]

log = logging.getLogger(__name__)


def build_graph(store: CaseStore) -> dict[str, Any]:
    """Rebuild the knowledge graph and the actor graph of the case; record the stage.

    Returns the summary recorded in the manifest: row counts per table, whether resolved
    persons were used (``persons_used``), confirmed hand-offs applied, and the seconds taken.
    """
    started = time.perf_counter()
    with store.connect() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            counts = build_knowledge_graph(con, sources=store.manifest.get("sources", {}))
            counts.update(build_actor_graph(con))
            row = con.execute("SELECT count(*) FROM rel_uses").fetchone()
            persons_used = bool(row and row[0])
            row = con.execute(
                "SELECT count(*) FROM rel_same_user_as WHERE status = 'confirmed'"
            ).fetchone()
            confirmed = int(row[0]) if row else 0
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    summary: dict[str, Any] = {
        "tables": counts,
        "persons_used": persons_used,
        "confirmed_same_user_as": confirmed,
        "seconds": round(time.perf_counter() - started, 3),
    }
    store.record_stage(
        "build",
        settings={"duplicates": "excluded", "actors": "persons" if persons_used else "phones"},
        summary=summary,
    )
    return summary
