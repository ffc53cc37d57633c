"""The build stage: knowledge-graph tables and the actor graph, from staged sources.

``run(store, Settings())`` (or ``build_graph(store)``) is the one entry point; see
:mod:`graphkit.build.knowledge` and :mod:`graphkit.build.actors` for what each table holds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphkit.build.actors import ACTOR_TABLES, ActorGraph, HandoffMerge, build_actor_graph
from graphkit.build.knowledge import KNOWLEDGE_TABLES, build_knowledge_graph
from graphkit.settings import StageSettings
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "ACTOR_TABLES",
    "KNOWLEDGE_TABLES",
    "ActorGraph",
    "HandoffMerge",
    "Settings",
    "build_graph",
    "run",
]


@dataclass(frozen=True)
class Settings(StageSettings):
    """``confirmed_handoffs``: join the numbers of reviewer-confirmed hand-offs into one actor
    (default), or leave them apart."""

    confirmed_handoffs: bool = True


log = logging.getLogger(__name__)


def build_graph(store: CaseStore, **options: Any) -> dict[str, Any]:
    """:func:`run` with :class:`Settings` given as keywords (``confirmed_handoffs``)."""
    return run(store, Settings(**options))


@writes("build", operation="combination")
def run(store: CaseStore, settings: Settings) -> dict[str, Any]:
    """Rebuild the knowledge graph and the actor graph of the case; record the stage.

    ``settings.confirmed_handoffs``: join numbers of reviewer-confirmed SAME_USER_AS hand-offs
    into one actor (default), or build the actor graph without them; the stage settings record
    which (``"confirmed_handoffs": "applied" | "ignored"``) so reports can say it.

    Returns the summary recorded in the manifest: row counts per table, whether resolved
    persons were used (``persons_used``), the confirmed hand-offs applied
    (``confirmed_same_user_as``, 0 when ignored), the hand-off groups whose numbers belong to
    several persons (``handoff_conflicts``), and the seconds taken.
    """
    started = time.perf_counter()
    confirmed_handoffs = settings.confirmed_handoffs
    with store.connect() as con:  # the caller's operation: one transaction with the record
        counts = build_knowledge_graph(con, sources=store.manifest.get("sources", {}))
        actors = build_actor_graph(con, confirmed_handoffs=confirmed_handoffs)
        counts.update(actors.tables)
        row = con.execute("SELECT count(*) FROM rel_uses").fetchone()
        persons_used = bool(row and row[0])
    handoffs = actors.handoffs
    summary: dict[str, Any] = {
        "tables": counts,
        "persons_used": persons_used,
        "confirmed_same_user_as": handoffs.applied,
        "handoff_groups": handoffs.components,
        "handoff_numbers_reassigned": handoffs.reassigned,
        "handoff_conflicts": handoffs.conflicts,
        "seconds": round(time.perf_counter() - started, 3),
    }
    store.record_stage(
        "build",
        settings={
            "duplicates": "excluded",
            "actors": "persons" if persons_used else "phones",
            "confirmed_handoffs": "applied" if confirmed_handoffs else "ignored",
        },
        summary=summary,
    )
    return summary
