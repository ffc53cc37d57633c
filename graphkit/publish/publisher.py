"""Publishes a case to Neo4j: schema, then batched idempotent MERGEs, then stale removal.

Why the result is the same graph after any sequence of complete, failed or repeated runs:

* every node is MERGEd on ``(case_id, key)`` under a uniqueness constraint, every relationship
  between its two bound end nodes, and properties are *replaced* (``SET n = row.props``), so
  writing a row twice leaves one item with the row's properties;
* each batch is one managed transaction (retried whole by the driver on transient errors);
* every item gets this run's ``publish_run`` id; only after all writes succeeded are the case's
  items with another run id deleted, so a crash leaves a mix that the next run completes.

One publisher per case at a time: two concurrent publishes of one case may each MERGE the same
relationship before the other commits.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphkit.errors import InputError
from graphkit.publish.runner import Runner
from graphkit.publish.source import WriteStep, iter_batches, plan_writes
from graphkit.publish.statements import Statement, schema_statements, stale_statements

__all__ = ["PublishSummary", "StepSummary", "new_run_id", "publish_case"]

logger = logging.getLogger(__name__)

DEFAULT_BATCH_ROWS = 10_000
# (step name, rows done, rows total) after every batch.
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class StepSummary:
    """What one statement did: rows sent, transactions and the counters the server reported."""

    name: str
    rows: int = 0
    transactions: int = 0
    skipped: int = 0
    merged: int = 0
    counters: dict[str, int] = field(default_factory=dict)

    def add(self, counters: dict[str, int]) -> None:
        for k, v in counters.items():
            self.counters[k] = self.counters.get(k, 0) + v


@dataclass
class PublishSummary:
    """The outcome of :func:`publish_case`."""

    case_id: str
    run_id: str
    steps: list[StepSummary] = field(default_factory=list)
    duration_s: float = 0.0

    def totals(self) -> dict[str, int]:
        """Counters summed over all steps (``rows``, ``transactions`` included)."""
        out: dict[str, int] = {"rows": 0, "transactions": 0, "skipped": 0, "merged": 0}
        for s in self.steps:
            out["rows"] += s.rows
            out["transactions"] += s.transactions
            out["skipped"] += s.skipped
            out["merged"] += s.merged
            for k, v in s.counters.items():
                out[k] = out.get(k, 0) + v
        return out


def new_run_id() -> str:
    """A fresh publish run id: UTC time (sortable) and a random suffix (unique)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def publish_case(
    con: Any,
    runner: Runner,
    *,
    case_id: str,
    actor: str,
    purpose: str,
    run_id: str | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    delete_batch: int = DEFAULT_BATCH_ROWS,
    on_progress: ProgressCallback | None = None,
) -> PublishSummary:
    """Publishes the case open on ``con`` (a DuckDB connection to its store) through ``runner``.

    Runs the schema statements, then every write step of :func:`plan_writes` in batches of
    ``batch_rows`` rows (one transaction each), then removes the case's items left by earlier
    runs. Every transaction carries the metadata ``{case, actor, purpose, run, step}``.
    Nothing is formatted into statement text: rows, case and run ids are parameters.
    """
    if batch_rows < 1 or delete_batch < 1:
        raise InputError("batch sizes must be at least 1")
    if not case_id:
        raise InputError("the case id must not be empty")
    run_id = run_id or new_run_id()
    started = time.perf_counter()
    summary = PublishSummary(case_id, run_id)
    base = {"case": case_id, "actor": actor, "purpose": purpose, "run": run_id}
    plan = plan_writes(con)
    total_rows = sum(s.rows for s in plan)

    for stmt in schema_statements():
        step = StepSummary(stmt.name)
        step.add(runner.run(stmt.text, {}, {**base, "step": stmt.name}).counters)
        step.transactions = 1
        summary.steps.append(step)

    done = 0
    for ws in plan:
        step = _write(con, runner, ws, base, case_id, run_id, batch_rows)
        summary.steps.append(step)
        done += step.rows
        if on_progress:
            on_progress(ws.statement.name, done, total_rows)

    for stmt in stale_statements():
        summary.steps.append(_delete_stale(runner, stmt, base, case_id, run_id, delete_batch))
    summary.duration_s = time.perf_counter() - started
    logger.info("published case %s run %s: %s", case_id, run_id, summary.totals())
    return summary


def _write(
    con: Any,
    runner: Runner,
    ws: WriteStep,
    base: dict[str, Any],
    case_id: str,
    run_id: str,
    batch_rows: int,
) -> StepSummary:
    step = StepSummary(ws.statement.name, skipped=ws.skipped, merged=ws.merged)
    meta = {**base, "step": ws.statement.name}
    for rows in iter_batches(con, ws, batch_rows=batch_rows):
        params = {"rows": rows, "case_id": case_id, "run_id": run_id}
        step.add(runner.run(ws.statement.text, params, meta).counters)
        step.rows += len(rows)
        step.transactions += 1
    return step


def _delete_stale(
    runner: Runner,
    stmt: Statement,
    base: dict[str, Any],
    case_id: str,
    run_id: str,
    limit: int,
) -> StepSummary:
    step = StepSummary(stmt.name)
    params = {"case_id": case_id, "run_id": run_id, "limit": limit}
    while True:
        result = runner.run(stmt.text, params, {**base, "step": stmt.name})
        step.add(result.counters)
        step.transactions += 1
        deleted = int(result.records[0]["deleted"]) if result.records else 0
        step.rows += deleted
        if deleted < limit:
            return step
