"""Reads what to publish from a case store (DuckDB): one selection per generated write statement.

A :class:`Selection` lists the fields of one statement's rows (name, SQL expression, DuckDB
type) and where they come from; :class:`WriteStep` pairs it with the generated statement. The
Bolt publisher reads it as ``{key, props}`` / ``{src, dst, props}`` maps, the neo4j-admin
export as flat CSV columns. All SQL is built from identifiers of the declared model and
:mod:`graphkit.publish.properties` (never from data) and keeps Neo4j's property rules: lists
without nulls, JSON as text, a missing merge discriminator as ''.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from graphkit.hypotheses import listed_handoff_sql
from graphkit.model import NODES, RELATIONSHIPS, NodeType, Property, RelType, node
from graphkit.publish.properties import (
    ACTOR_LABELS,
    ANALYSIS_PROPERTIES,
    BLACKOUT_PROPERTIES,
    CONNECTED_VIA_HOURS,
    MERGE_DISCRIMINATORS,
    SCORE_TEXT,
    end_labels,
)
from graphkit.publish.statements import Statement, node_write, relationship_writes
from graphkit.views import score_text_sql

__all__ = ["Field", "Selection", "WriteStep", "iter_batches", "plan_writes", "table_columns"]

logger = logging.getLogger(__name__)

ANALYTICS_ACTOR = "analytics_actor"
ANALYTICS_BLACKOUT = "analytics_blackout"
# Blackout kinds whose flags go onto each label ('group' blackouts stay in the case store).
_BLACKOUT_KIND = {"Phone": "phone", "Person": "actor"}


@dataclass(frozen=True)
class Field:
    """One property of the rows: its name, SQL expression and DuckDB type."""

    name: str
    expr: str
    dtype: str


@dataclass(frozen=True)
class Selection:
    """The rows of one write statement: ids (``key`` or ``src``/``dst``) and property fields."""

    ids: tuple[tuple[str, str], ...]  # (name, SQL expression)
    fields: tuple[Field, ...]
    source: str  # FROM ... JOIN ... clause

    def sql(self) -> str:
        """Rows as ids plus one ``props`` struct, ordered by the ids.

        Timestamps become epoch milliseconds here; the write statement turns them back into
        DateTime values (see :func:`graphkit.publish.properties.temporal_properties`).
        """
        ids = ", ".join(f"{expr} AS {name}" for name, expr in self.ids)
        props = ", ".join(f'"{f.name}" := {_bolt_value(f)}' for f in self.fields)
        order = ", ".join(name for name, _ in self.ids)
        return f"SELECT {ids}, struct_pack({props}) AS props {self.source} ORDER BY {order}"


@dataclass(frozen=True)
class WriteStep:
    """A generated statement, the selection of its rows and how many rows it gives."""

    statement: Statement
    kind: Literal["node", "relationship"]
    label_or_type: str
    ends: tuple[str, str] | None  # start and end label of a relationship step
    selection: Selection
    rows: int
    skipped: int = 0  # rows of the table that cannot be written (an end node is missing)
    merged: int = 0  # rows whose merge key an earlier row has: they update one relationship

    @property
    def sql(self) -> str:
        return self.selection.sql()


def _bolt_value(f: Field) -> str:
    if f.dtype == "TIMESTAMPTZ":
        return f"epoch_ms({f.expr})"
    if f.dtype == "TIMESTAMPTZ[]":
        return f"list_transform({f.expr}, lambda x: epoch_ms(x))"
    return f.expr


def table_columns(con: Any, table: str) -> list[str]:
    """Columns of ``table`` in the main schema, in order; empty when there is no such table."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _field(alias: str, p: Property) -> Field:
    col = f'{alias}."{p.name}"'
    if p.dtype.endswith("[]"):
        return Field(p.name, f"list_filter({col}, lambda x: x IS NOT NULL)", p.dtype)
    if p.dtype == "JSON":
        return Field(p.name, f"CAST({col} AS VARCHAR)", "VARCHAR")
    return Field(p.name, col, p.dtype)


def _node_selection(con: Any, n: NodeType) -> Selection:
    have = set(table_columns(con, n.table))
    fields = [_field("n", p) for p in n.properties if p.name in have]
    source = f"FROM {n.table} n"
    if n.label in ACTOR_LABELS:
        actor_cols = set(table_columns(con, ANALYTICS_ACTOR))
        if "actor_id" in actor_cols:
            fields += [
                Field(p.name, f'an."{p.name}"', p.dtype)
                for p in ANALYSIS_PROPERTIES
                if p.name in actor_cols
            ]
            source += f' LEFT JOIN {ANALYTICS_ACTOR} an ON an.actor_id = n."{n.key}"'
        blackout = _blackout_sql(con, _BLACKOUT_KIND[n.label])
        if blackout:
            fields += [
                Field(p.name, f"bo.{p.name}", p.dtype)
                for p in BLACKOUT_PROPERTIES
                if p.name in blackout[1]
            ]
            source += f' LEFT JOIN ({blackout[0]}) bo ON bo.id = n."{n.key}"'
    return Selection((("key", f'n."{n.key}"'),), tuple(fields), source)


def _blackout_sql(con: Any, kind: str) -> tuple[str, set[str]] | None:
    """Per-id aggregate of the blackout table for ``kind``, and the flag names it yields."""
    cols = set(table_columns(con, ANALYTICS_BLACKOUT))
    if not {"kind", "id", "start", "end"} <= cols:
        return None
    order = 'ORDER BY "start"'
    parts = [
        "count(*) AS blackout_count",
        f'list("start" {order}) AS blackout_starts',
        f'list(coalesce("end", "start") {order}) AS blackout_ends',
    ]
    if "p_value" in cols:
        parts.append(f"list(coalesce(p_value, 1.0) {order}) AS blackout_p_values")
    if "ended" in cols:
        parts.append(f"list(coalesce(ended, true) {order}) AS blackout_ended")
        parts.append("bool_or(NOT coalesce(ended, true)) AS went_dark")
    names = {p.split(" AS ")[-1] for p in parts}
    sql = (
        f"SELECT CAST(id AS VARCHAR) AS id, {', '.join(parts)} "  # identifiers: fixed names
        f"FROM {ANALYTICS_BLACKOUT} WHERE kind = '{kind}' AND \"start\" IS NOT NULL GROUP BY 1"
    )
    return sql, names


def _hours_sql(con: Any) -> str | None:
    """Hours per (phone, cell) from the CDR staging table, when the case has one."""
    if not {"caller", "cell_id", "start"} <= set(table_columns(con, "src_cdr")):
        return None
    return (
        "SELECT caller AS src, CAST(cell_id AS VARCHAR) AS dst, "
        "list_sort(list_distinct(list(date_trunc('hour', \"start\")))) AS hours "
        "FROM src_cdr WHERE caller IS NOT NULL AND cell_id IS NOT NULL "
        'AND "start" IS NOT NULL GROUP BY 1, 2'
    )


def _end_join(alias: str, column: str, label: str, declared: str) -> str:
    n = node(label)
    join = f'JOIN {n.table} {alias} ON {alias}."{n.key}" = r.{column}'
    if declared != label and label == "Phone":
        # An Actor id that is a person's id is a Person end, never a Phone end.
        join += f' AND r.{column} NOT IN (SELECT "{node("Person").key}" FROM node_person)'
    return join


def _relationship_steps(con: Any, r: RelType) -> list[WriteStep]:
    have = set(table_columns(con, r.table))
    if not {"src", "dst"} <= have:
        return []
    disc = MERGE_DISCRIMINATORS.get(r.type, ())
    fields = []
    for p in r.properties:
        if p.name in disc:
            fields.append(Field(p.name, f"coalesce(CAST(r.\"{p.name}\" AS VARCHAR), '')", p.dtype))
        elif p.name in have:
            fields.append(_field("r", p))
    if "score" in have:
        fields.append(Field(SCORE_TEXT.name, score_text_sql('r."score"'), SCORE_TEXT.dtype))
    hours_join = ""
    hours = _hours_sql(con) if r.type == "CONNECTED_VIA" else None
    if hours:
        fields.append(Field(CONNECTED_VIA_HOURS.name, "h.hours", CONNECTED_VIA_HOURS.dtype))
        hours_join = f" LEFT JOIN ({hours}) h ON h.src = r.src AND h.dst = r.dst"
    statements = relationship_writes(r)
    combos = [(s, e) for s in end_labels(r.start) for e in end_labels(r.end)]
    # hand-offs: what the review queue carries (chosen or decided); a runner-up the joint
    # matching did not choose stays in the case store as its chosen pair's alternative
    where = f" WHERE {listed_handoff_sql('r')}" if r.type == "SAME_USER_AS" else ""
    steps = []
    for stmt, (start, end) in zip(statements, combos, strict=True):
        source = (
            f"FROM {r.table} r {_end_join('a', 'src', start, r.start)} "
            f"{_end_join('b', 'dst', end, r.end)}{hours_join}{where}"
        )
        sel = Selection((("src", "r.src"), ("dst", "r.dst")), tuple(fields), source)
        rows = _count(con, sel.sql())
        key = ", ".join(["r.src", "r.dst", *(f.expr for f in fields if f.name in disc)])
        distinct = _count(con, f"SELECT DISTINCT {key} {source}")
        if distinct < rows:
            logger.warning(
                "%s: %d rows repeat the key of an earlier row; the last one wins",
                stmt.name,
                rows - distinct,
            )
        steps.append(
            WriteStep(stmt, "relationship", r.type, (start, end), sel, rows, merged=rows - distinct)
        )
    total = _count(con, f"SELECT * FROM {r.table} r{where}")  # identifiers: model name
    if where:
        left = _count(con, f"SELECT * FROM {r.table}") - total
        if left:
            logger.info("%s: %d candidates not chosen, not published", r.table, left)
    skipped = total - sum(s.rows for s in steps)
    if skipped:
        logger.warning("%s: %d rows name an end node the case does not have", r.table, skipped)
        steps[0] = dataclasses.replace(steps[0], skipped=skipped)
    return [s for s in steps if s.rows or s.skipped]


def _count(con: Any, sql: str) -> int:
    rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()  # identifiers: built here
    return int(rows[0][0])


def plan_writes(con: Any) -> list[WriteStep]:
    """The write steps for the case open on ``con``: nodes of each label, then relationships.

    Tables the case does not have (yet) are left out, with a log line.
    """
    steps: list[WriteStep] = []
    for n in NODES:
        if not table_columns(con, n.table):
            logger.info("no table %s: no %s nodes to publish", n.table, n.label)
            continue
        sel = _node_selection(con, n)
        steps.append(WriteStep(node_write(n), "node", n.label, None, sel, _count(con, sel.sql())))
    for r in RELATIONSHIPS:
        if not table_columns(con, r.table):
            logger.info("no table %s: no %s relationships to publish", r.table, r.type)
            continue
        steps += _relationship_steps(con, r)
    return steps


def iter_batches(con: Any, step: WriteStep, *, batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    """The rows of ``step`` as lists of parameter maps, ``batch_rows`` at a time, in key order.

    Every batch but the last has exactly ``batch_rows`` rows (DuckDB's own chunks vary).
    """
    pending: list[dict[str, Any]] = []
    for chunk in con.sql(step.sql).to_arrow_reader(batch_rows):
        pending.extend(chunk.to_pylist())
        while len(pending) >= batch_rows:
            yield pending[:batch_rows]
            pending = pending[batch_rows:]
    if pending:
        yield pending
