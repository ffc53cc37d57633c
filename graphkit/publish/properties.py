"""What publish adds to the declared model, declared in one place.

The declared model (:mod:`graphkit.model`) says what the knowledge graph holds. Publishing to
Neo4j adds four things, all declared here so that statements, linting and documentation come
from one list:

* bookkeeping on every node and relationship: the case it belongs to and the publish run that
  last wrote it (``case_id``, ``publish_run``);
* analysis properties copied onto actor nodes (Person, or Phone) from the analysis tables, and
  blackout flags onto Phone and Person nodes;
* ``score_text`` on hypotheses: the score written as people read it, for captions;
* ``hours`` on CONNECTED_VIA: the hours in which a phone was seen on a cell, which co-location
  and tower-dump queries need and the aggregated relationship does not keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphkit.model import ACTOR, NODES, RELATIONSHIPS

__all__ = [
    "ACTOR_LABELS",
    "ANALYSIS_PROPERTIES",
    "BLACKOUT_PROPERTIES",
    "CASE_KEY",
    "CONNECTED_VIA_HOURS",
    "MERGE_DISCRIMINATORS",
    "ROW_KEYS",
    "RUN_KEY",
    "SCORE_TEXT",
    "ExtraProperty",
    "end_labels",
    "lint_schema",
    "temporal_properties",
]

# Keys of the row maps write statements UNWIND (map access reads like property access).
ROW_KEYS = ("key", "src", "dst", "props")
CASE_KEY = "case_id"
RUN_KEY = "publish_run"
ACTOR_LABELS: tuple[str, ...] = ("Person", "Phone")


@dataclass(frozen=True)
class ExtraProperty:
    """A property publish sets beyond the declared model. ``dtype`` is a DuckDB type name."""

    name: str
    dtype: str
    doc: str


# Columns of ``analytics_actor`` (keyed by actor_id) copied onto the actor's node. Only the
# columns present in the case are read; anything else in the table is not published.
ANALYSIS_PROPERTIES: tuple[ExtraProperty, ...] = (
    ExtraProperty("community", "VARCHAR", "community id of the actor (finest level)"),
    ExtraProperty("community_confidence", "DOUBLE", "share of consensus runs agreeing"),
    ExtraProperty("degree_in", "BIGINT", "distinct actors contacting this actor"),
    ExtraProperty("degree_out", "BIGINT", "distinct actors this actor contacts"),
    ExtraProperty("strength_in", "DOUBLE", "weighted in-degree"),
    ExtraProperty("strength_out", "DOUBLE", "weighted out-degree"),
    ExtraProperty("pagerank", "DOUBLE", "PageRank on the actor graph"),
    ExtraProperty("betweenness", "DOUBLE", "betweenness centrality (exact or sampled)"),
    ExtraProperty("coreness", "BIGINT", "k-core number"),
    ExtraProperty("constraint", "DOUBLE", "Burt's constraint (low = spans structural holes)"),
    ExtraProperty("articulation", "BOOLEAN", "removing the actor disconnects the graph"),
    ExtraProperty("rank", "DOUBLE", "hierarchy rank within the community (SpringRank)"),
    ExtraProperty("leadership", "DOUBLE", "leadership score"),
    ExtraProperty("level", "BIGINT", "hierarchy level within the community (0 = top)"),
    ExtraProperty("superior", "VARCHAR", "actor_id of the most likely superior"),
    ExtraProperty("broker_role", "VARCHAR", "Gould-Fernandez brokerage role"),
    ExtraProperty("brokerage", "DOUBLE", "brokerage score"),
    ExtraProperty("fragmentation", "DOUBLE", "fragmentation caused by removing the actor"),
)

# Aggregated from ``analytics_blackout`` rows of kind 'phone' (onto Phone) and 'actor' (onto
# Person): parallel lists, one entry per significant silence, ordered by start.
BLACKOUT_PROPERTIES: tuple[ExtraProperty, ...] = (
    ExtraProperty("blackout_count", "BIGINT", "number of significant silences"),
    ExtraProperty("blackout_starts", "TIMESTAMPTZ[]", "start of each silence"),
    ExtraProperty("blackout_ends", "TIMESTAMPTZ[]", "end of each silence"),
    ExtraProperty("blackout_p_values", "DOUBLE[]", "p-value of each silence"),
    ExtraProperty("blackout_ended", "BOOLEAN[]", "whether activity resumed after each silence"),
    ExtraProperty("went_dark", "BOOLEAN", "a silence never ended: the number never came back"),
)

#: on every hypothesis (any relationship with a ``score``): the score as the CLI and report
#: write it (three significant digits, never "1" for a score below 1), for Browser captions,
#: which cannot format numbers
SCORE_TEXT = ExtraProperty("score_text", "VARCHAR", "score as people read it, e.g. 1-1.2e-05")

CONNECTED_VIA_HOURS = ExtraProperty(
    "hours", "TIMESTAMPTZ[]", "start of each hour (UTC) with an event of the phone on the cell"
)

# Relationships of one type between the same two nodes that the model keeps apart. MERGE
# matches on these properties too (a missing value is published as '').
MERGE_DISCRIMINATORS: dict[str, tuple[str, ...]] = {
    "TRANSFERRED": ("currency",),
    "CONTACT": ("kind",),
}


def temporal_properties(label_or_type: str) -> tuple[tuple[str, bool], ...]:
    """(name, is_list) of the timestamp properties publish writes for a label or type.

    Timestamps travel as epoch milliseconds (integers pack far faster than datetimes in the
    driver) and are turned into UTC DateTime values by the write statement.
    """
    from graphkit.model import node, relationship

    declared: list[tuple[str, str]]
    if label_or_type.isupper():
        declared = [(p.name, p.dtype) for p in relationship(label_or_type).properties]
        if label_or_type == "CONNECTED_VIA":
            declared.append((CONNECTED_VIA_HOURS.name, CONNECTED_VIA_HOURS.dtype))
    else:
        declared = [(p.name, p.dtype) for p in node(label_or_type).properties]
        if label_or_type in ACTOR_LABELS:
            declared += [(p.name, p.dtype) for p in (*ANALYSIS_PROPERTIES, *BLACKOUT_PROPERTIES)]
    return tuple(
        (name, dtype.endswith("[]")) for name, dtype in declared if dtype.startswith("TIMESTAMPTZ")
    )


def end_labels(label: str) -> tuple[str, ...]:
    """The node labels a relationship end may have: Person or Phone for ``Actor``."""
    return ACTOR_LABELS if label == ACTOR else (label,)


def lint_schema(cypher_version: str = "CYPHER 5") -> dict[str, Any]:
    """Labels, relationship types and property keys that published graphs contain.

    Given to Neo4j's Cypher linter so that a misspelt label, type or property is an error;
    ``cypher_version`` is the language the statements are checked against (Neo4j 5 speaks
    ``CYPHER 5``; ``CYPHER 25`` is opt-in from Neo4j 2025).
    """
    keys = {CASE_KEY, RUN_KEY, CONNECTED_VIA_HOURS.name, SCORE_TEXT.name, *ROW_KEYS}
    keys |= {p.name for n in NODES for p in n.properties}
    keys |= {p.name for r in RELATIONSHIPS for p in r.properties}
    keys |= {p.name for p in (*ANALYSIS_PROPERTIES, *BLACKOUT_PROPERTIES)}
    return {
        "labels": sorted(n.label for n in NODES),
        "relationshipTypes": sorted(r.type for r in RELATIONSHIPS),
        "propertyKeys": sorted(keys),
        "defaultLanguage": cypher_version,
    }
