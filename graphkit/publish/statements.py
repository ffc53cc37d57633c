"""Cypher statements generated from the declared model.

Every label, relationship type and property key in these statements comes from
:mod:`graphkit.model` or :mod:`graphkit.publish.properties`; every value is a parameter. The
same text is checked in under ``cypher/schema`` and ``cypher/write`` (see
:mod:`graphkit.publish.generate`), and a test keeps the two equal.

Nodes are keyed by ``(case_id, key)`` so that several cases can share one database without
merging into each other; relationships are MERGEd between their two bound end nodes (plus the
discriminating properties of :data:`MERGE_DISCRIMINATORS`), which keeps them unique per case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphkit.model import NODES, RELATIONSHIPS, NodeType, RelType, node
from graphkit.publish.properties import (
    CASE_KEY,
    MERGE_DISCRIMINATORS,
    RUN_KEY,
    end_labels,
    temporal_properties,
)

__all__ = [
    "ACTOR_SEARCH",
    "QUERY_INDEXES",
    "Statement",
    "node_write",
    "relationship_writes",
    "schema_statements",
    "stale_statements",
]

GENERATED_NOTE = "// Generated from graphkit/model.py by `python -m graphkit.publish.generate`."


@dataclass(frozen=True)
class Statement:
    """One Cypher statement: ``name`` is its file path under ``cypher/`` without suffix."""

    name: str
    purpose: str
    parameters: tuple[str, ...]
    text: str

    def file_text(self) -> str:
        """The statement as checked in: a header comment, then the statement."""
        header = [GENERATED_NOTE, "// Do not edit: change the model and regenerate.", ""]
        header.append(f"// {self.purpose}")
        for p in self.parameters:
            header.append(f"// Parameter: {p}")
        return "\n".join(header) + "\n" + self.text + "\n"


# (label or relationship type, property, index kind): what the query library filters and
# sorts on. Kind RANGE serves equality and ranges, TEXT serves CONTAINS / STARTS WITH.
QUERY_INDEXES: tuple[tuple[str, str, str], ...] = (
    ("Person", "full_name", "TEXT"),
    ("Person", "community", "RANGE"),
    ("Phone", "community", "RANGE"),
    ("Person", "leadership", "RANGE"),
    ("Phone", "leadership", "RANGE"),
    ("Person", "betweenness", "RANGE"),
    ("Phone", "betweenness", "RANGE"),
    ("Community", "level", "RANGE"),
    ("SAME_USER_AS", "status", "RANGE"),
    ("PREDICTED_LINK", "status", "RANGE"),
    ("CO_LOCATED_WITH", "status", "RANGE"),
    ("MOVED_TO_HANDSET", "status", "RANGE"),
    ("TOOK_SIM", "status", "RANGE"),
    ("CLONED_SIM", "status", "RANGE"),
)

#: the full-text index over actors' names, aliases and numbers (no stop words: "De", "La"
#: and "Van" are parts of names)
ACTOR_SEARCH = "actor_search"

_ROWS = "$rows LIST<MAP>"
_CASE = "$case_id STRING: the case the items belong to"
_RUN = "$run_id STRING: this publish run"
_LIMIT = "$limit INTEGER: most items deleted per transaction"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _is_relationship(name: str) -> bool:
    return name.isupper()


def schema_statements() -> list[Statement]:
    """Uniqueness constraints for every key MERGEd on, and the indexes publish and queries use."""
    out: list[Statement] = []
    for n in NODES:
        s = _snake(n.label)
        out.append(
            Statement(
                f"schema/constraint_{s}_key",
                f"{n.label} nodes are unique by ({CASE_KEY}, {n.key}): the key MERGE uses.",
                (),
                f"CREATE CONSTRAINT {s}_key IF NOT EXISTS\n"
                f"FOR (n:{n.label}) REQUIRE (n.{CASE_KEY}, n.{n.key}) IS UNIQUE",
            )
        )
        out.append(
            Statement(
                f"schema/index_{s}_run",
                f"Finds {n.label} nodes of a case left by an earlier publish run.",
                (),
                f"CREATE INDEX {s}_run IF NOT EXISTS\n"
                f"FOR (n:{n.label}) ON (n.{CASE_KEY}, n.{RUN_KEY})",
            )
        )
    for r in RELATIONSHIPS:
        s = r.type.lower()
        out.append(
            Statement(
                f"schema/index_{s}_run",
                f"Finds {r.type} relationships of a case left by an earlier publish run.",
                (),
                f"CREATE INDEX {s}_run IF NOT EXISTS\n"
                f"FOR ()-[r:{r.type}]-() ON (r.{CASE_KEY}, r.{RUN_KEY})",
            )
        )
    out.append(
        Statement(
            f"schema/fulltext_{ACTOR_SEARCH}",
            "Finds people and phones by any word of their names or aliases, in any case "
            "(queries/find_actor.cypher).",
            (),
            f"CREATE FULLTEXT INDEX {ACTOR_SEARCH} IF NOT EXISTS\n"
            "FOR (x:Person|Phone) ON EACH [x.full_name, x.names, x.aliases, x.msisdn]\n"
            "OPTIONS {indexConfig: {`fulltext.analyzer`: 'standard-no-stop-words'}}",
        )
    )
    for target, prop, kind in QUERY_INDEXES:
        rel = _is_relationship(target)
        s = (target.lower() if rel else _snake(target)) + "_" + prop
        pattern = f"()-[x:{target}]-()" if rel else f"(x:{target})"
        out.append(
            Statement(
                f"schema/index_{s}",
                f"Serves queries of the library that filter or sort on {target}.{prop}.",
                (),
                f"CREATE {kind} INDEX {s} IF NOT EXISTS\nFOR {pattern} ON (x.{prop})",
            )
        )
    return out


def _set_temporal(var: str, label_or_type: str) -> str:
    """SET items turning epoch-millisecond properties into UTC DateTime values."""
    items = []
    for name, is_list in temporal_properties(label_or_type):
        value = f"row.props.{name}"
        if is_list:
            items.append(f"{var}.{name} = [x IN {value} | datetime.fromepochmillis(x)]")
        else:
            items.append(
                f"{var}.{name} = CASE WHEN {value} IS NULL THEN NULL "
                f"ELSE datetime.fromepochmillis({value}) END"
            )
    return "".join(f",\n  {item}" for item in items)


def node_write(n: NodeType) -> Statement:
    """``UNWIND $rows`` MERGE of ``n`` nodes; rows are ``{key, props}``, props replace all."""
    return Statement(
        f"write/node_{_snake(n.label)}",
        f"Creates or updates {n.label} nodes; their properties become exactly row.props "
        "(timestamps arrive as epoch milliseconds).",
        (f"{_ROWS}: {{key: {n.key}, props: MAP}}", _CASE, _RUN),
        "UNWIND $rows AS row\n"
        f"MERGE (n:{n.label} {{{CASE_KEY}: $case_id, {n.key}: row.key}})\n"
        f"SET n = row.props, n.{CASE_KEY} = $case_id, n.{RUN_KEY} = $run_id"
        + _set_temporal("n", n.label),
    )


def relationship_writes(r: RelType) -> list[Statement]:
    """MERGE statements for ``r``: one per (start label, end label) an ``Actor`` end allows.

    Rows are ``{src, dst, props}``; both end nodes must exist (they are written first).
    """
    out = []
    disc = MERGE_DISCRIMINATORS.get(r.type, ())
    merge_props = ", ".join(f"{d}: row.props.{d}" for d in disc)
    rel_pattern = f"[r:{r.type} {{{merge_props}}}]" if disc else f"[r:{r.type}]"
    for start in end_labels(r.start):
        for end in end_labels(r.end):
            a, b = node(start), node(end)
            name = f"write/rel_{r.type.lower()}"
            if (start, end) != (r.start, r.end):
                name += f"__{_snake(start)}__{_snake(end)}"
            out.append(
                Statement(
                    name,
                    f"Creates or updates {r.type} relationships from {start} to {end} "
                    "(timestamps arrive as epoch milliseconds).",
                    (f"{_ROWS}: {{src: {a.key}, dst: {b.key}, props: MAP}}", _CASE, _RUN),
                    "UNWIND $rows AS row\n"
                    f"MATCH (a:{start} {{{CASE_KEY}: $case_id, {a.key}: row.src}})\n"
                    f"MATCH (b:{end} {{{CASE_KEY}: $case_id, {b.key}: row.dst}})\n"
                    f"MERGE (a)-{rel_pattern}->(b)\n"
                    f"SET r = row.props, r.{CASE_KEY} = $case_id, r.{RUN_KEY} = $run_id"
                    + _set_temporal("r", r.type),
                )
            )
    return out


def stale_statements() -> list[Statement]:
    """Deletes, batch by batch, what an earlier run of the case wrote and this run did not.

    Relationships first (cheap, and it keeps node deletes small), then nodes.
    """
    out = []
    for r in RELATIONSHIPS:
        out.append(
            Statement(
                f"write/stale_rel_{r.type.lower()}",
                f"Deletes up to $limit {r.type} relationships of the case not written by $run_id.",
                (_CASE, _RUN, _LIMIT),
                f"MATCH ()-[r:{r.type}]->()\n"
                f"WHERE r.{CASE_KEY} = $case_id AND r.{RUN_KEY} <> $run_id\n"
                "WITH r LIMIT $limit\nDELETE r\nRETURN count(*) AS deleted",
            )
        )
    for n in NODES:
        out.append(
            Statement(
                f"write/stale_node_{_snake(n.label)}",
                f"Deletes up to $limit {n.label} nodes of the case not written by $run_id.",
                (_CASE, _RUN, _LIMIT),
                f"MATCH (n:{n.label})\n"
                f"WHERE n.{CASE_KEY} = $case_id AND n.{RUN_KEY} <> $run_id\n"
                "WITH n LIMIT $limit\nDETACH DELETE n\nRETURN count(*) AS deleted",
            )
        )
    return out


def all_statements() -> list[Statement]:
    """Every generated statement, in the order publish runs them."""
    out = schema_statements()
    out += [node_write(n) for n in NODES]
    for r in RELATIONSHIPS:
        out += relationship_writes(r)
    out += stale_statements()
    return out
