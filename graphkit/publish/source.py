"""Reads what to publish from a case store (DuckDB): one SELECT per generated write statement.

Each :class:`WriteStep` pairs a generated statement with the SQL producing its rows, so that a
batch is a slice of one ordered result set. The SQL is built from identifiers of the declared
model and :mod:`graphkit.publish.properties` only (never from data), and it keeps Neo4j's
property rules: lists without nulls, JSON as text, missing merge discriminators as ''.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from graphkit.model import NODES, RELATIONSHIPS, NodeType, Property, RelType, node
from graphkit.publish.properties import (
    ACTOR_LABELS,
    ANALYSIS_PROPERTIES,
    BLACKOUT_PROPERTIES,
    CONNECTED_VIA_HOURS,
    MERGE_DISCRIMINATORS,
    end_labels,
)
from graphkit.publish.statements import Statement, node_write, relationship_writes

__all__ = ["WriteStep", "iter_batches", "plan_writes", "table_columns"]

logger = logging.getLogger(__name__)

ANALYTICS_ACTOR = "analytics_actor"
ANALYTICS_BLACKOUT = "analytics_blackout"
# Blackout kinds whose flags go onto each label ('group' blackouts stay in the case store).
_BLACKOUT_KIND = {"Phone": "phone", "Person": "actor"}


@dataclass(frozen=True)
class WriteStep:
    """A generated statement, the SQL of its rows and how many rows that SQL gives."""

    statement: Statement
    kind: Literal["node", "relationship"]
    table: str
    sql: str
    rows: int
    skipped: int = 0  # rows of the table that cannot be written (an end node is missing)


def table_columns(con: Any, table: str) -> list[str]:
    """Columns of ``table`` in the main schema, in order; empty when there is no such table."""
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def _value(alias: str, p: Property) -> str:
    col = f'{alias}."{p.name}"'
    if p.dtype.endswith("[]"):
        return f"list_filter({col}, lambda x: x IS NOT NULL)"
    if p.dtype == "JSON":
        return f"CAST({col} AS VARCHAR)"
    return col


def _struct(fields: list[tuple[str, str]]) -> str:
    return "struct_pack(" + ", ".join(f'"{name}" := {expr}' for name, expr in fields) + ")"


def _node_sql(con: Any, n: NodeType) -> str:
    have = set(table_columns(con, n.table))
    fields = [(p.name, _value("n", p)) for p in n.properties if p.name in have]
    joins = ""
    if n.label in ACTOR_LABELS:
        actor_cols = set(table_columns(con, ANALYTICS_ACTOR))
        if "actor_id" in actor_cols:
            extra = [p for p in ANALYSIS_PROPERTIES if p.name in actor_cols]
            fields += [(p.name, f'an."{p.name}"') for p in extra]
            joins += f' LEFT JOIN {ANALYTICS_ACTOR} an ON an.actor_id = n."{n.key}"'
    blackout = _blackout_sql(con, _BLACKOUT_KIND.get(n.label))
    if blackout:
        names = [p.name for p in BLACKOUT_PROPERTIES]
        fields += [(name, f"bo.{name}") for name in names if name in blackout[1]]
        joins += f' LEFT JOIN ({blackout[0]}) bo ON bo.id = n."{n.key}"'
    return (
        f'SELECT n."{n.key}" AS key, {_struct(fields)} AS props '  # noqa: S608 (model names)
        f"FROM {n.table} n{joins} ORDER BY key"
    )


def _blackout_sql(con: Any, kind: str | None) -> tuple[str, set[str]] | None:
    """Per-id aggregate of the blackout table for ``kind``, and the flag names it yields."""
    cols = set(table_columns(con, ANALYTICS_BLACKOUT))
    if kind is None or not {"kind", "id", "start", "end"} <= cols:
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
        f"SELECT CAST(id AS VARCHAR) AS id, {', '.join(parts)} "  # noqa: S608 (fixed names)
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


def _relationship_steps(con: Any, r: RelType, counts: dict[str, int]) -> list[WriteStep]:
    have = set(table_columns(con, r.table))
    if not {"src", "dst"} <= have:
        return []
    disc = MERGE_DISCRIMINATORS.get(r.type, ())
    fields = []
    for p in r.properties:
        if p.name in disc:
            fields.append((p.name, f"coalesce(CAST(r.\"{p.name}\" AS VARCHAR), '')"))
        elif p.name in have:
            fields.append((p.name, _value("r", p)))
    hours_join = ""
    hours = _hours_sql(con) if r.type == "CONNECTED_VIA" else None
    if hours:
        fields.append((CONNECTED_VIA_HOURS.name, "h.hours"))
        hours_join = f" LEFT JOIN ({hours}) h ON h.src = r.src AND h.dst = r.dst"
    statements = relationship_writes(r)
    combos = [(s, e) for s in end_labels(r.start) for e in end_labels(r.end)]
    steps = []
    for stmt, (start, end) in zip(statements, combos, strict=True):
        sql = (
            f"SELECT r.src, r.dst, {_struct(fields)} AS props "  # noqa: S608 (model names)
            f"FROM {r.table} r {_end_join('a', 'src', start, r.start)} "
            f"{_end_join('b', 'dst', end, r.end)}{hours_join} ORDER BY r.src, r.dst"
        )
        steps.append(WriteStep(stmt, "relationship", r.table, sql, _count(con, sql)))
    total = counts.setdefault(r.table, _count(con, f"SELECT * FROM {r.table}"))  # noqa: S608
    skipped = total - sum(s.rows for s in steps)
    if skipped:
        logger.warning("%s: %d rows name an end node the case does not have", r.table, skipped)
        steps[0] = dataclasses.replace(steps[0], skipped=skipped)
    return [s for s in steps if s.rows or s.skipped]


def _count(con: Any, sql: str) -> int:
    rows = con.execute(f"SELECT count(*) FROM ({sql})").fetchall()  # noqa: S608 (built here)
    return int(rows[0][0])


def plan_writes(con: Any) -> list[WriteStep]:
    """The write steps for the case open on ``con``: nodes of each label, then relationships.

    Tables the case does not have yet (e.g. before ``analyze``) are left out, with a log line.
    """
    steps: list[WriteStep] = []
    for n in NODES:
        if not table_columns(con, n.table):
            logger.info("no table %s: no %s nodes to publish", n.table, n.label)
            continue
        sql = _node_sql(con, n)
        steps.append(WriteStep(node_write(n), "node", n.table, sql, _count(con, sql)))
    counts: dict[str, int] = {}
    for r in RELATIONSHIPS:
        if not table_columns(con, r.table):
            logger.info("no table %s: no %s relationships to publish", r.table, r.type)
            continue
        steps += _relationship_steps(con, r, counts)
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
