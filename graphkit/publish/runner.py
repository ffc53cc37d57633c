"""The narrow interface to Neo4j: ``run(statement, parameters, metadata)``.

:class:`Neo4jRunner` runs each call as one managed write (or read) transaction of the official
driver, which retries transient failures (deadlocks, leader switches, lost connections) by
re-running the whole transaction: a batch of MERGEs either commits once or not at all, so a
retry cannot duplicate anything. :class:`RecordingRunner` keeps every call for tests and for
``--dry-run`` and never connects.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphkit.errors import GraphkitError, InputError

__all__ = ["Call", "Neo4jRunner", "RecordingRunner", "Result", "Runner", "plain_value"]

logger = logging.getLogger(__name__)

BOLT_SCHEMES = ("neo4j+s", "neo4j+ssc", "neo4j", "bolt+s", "bolt+ssc", "bolt")
COUNTER_NAMES = (
    "nodes_created",
    "nodes_deleted",
    "relationships_created",
    "relationships_deleted",
    "properties_set",
    "labels_added",
    "constraints_added",
    "indexes_added",
)


@dataclass(frozen=True)
class Result:
    """Records returned (as plain dicts) and the update counters of one statement."""

    records: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)


class Runner(Protocol):
    """Runs one statement in its own transaction, with transaction metadata."""

    def run(
        self,
        statement: str,
        parameters: dict[str, Any],
        metadata: dict[str, Any],
        *,
        write: bool = True,
    ) -> Result: ...


@dataclass(frozen=True)
class Call:
    """One recorded call of a :class:`RecordingRunner`."""

    statement: str
    parameters: dict[str, Any]
    metadata: dict[str, Any]
    write: bool


class RecordingRunner:
    """Keeps every call and answers with ``results`` (default: no records, no counters).

    ``results`` maps a statement text to the :class:`Result` to give for it, so tests can
    simulate a server. ``fail_after`` raises after that many calls, like a crash mid-publish.
    """

    def __init__(
        self,
        results: dict[str, Result] | None = None,
        *,
        fail_after: int | None = None,
    ) -> None:
        self.calls: list[Call] = []
        self._results = results or {}
        self._fail_after = fail_after

    def run(
        self,
        statement: str,
        parameters: dict[str, Any],
        metadata: dict[str, Any],
        *,
        write: bool = True,
    ) -> Result:
        if self._fail_after is not None and len(self.calls) >= self._fail_after:
            raise GraphkitError("recording runner: simulated failure")
        self.calls.append(Call(statement, dict(parameters), dict(metadata), write))
        return self._results.get(statement, Result())


def _caption(n: Any) -> str:
    from graphkit.model import NODES

    keys = {t.label: t.key for t in NODES}
    for label in sorted(n.labels):
        if label in keys and keys[label] in n:
            return f"({label} {n[keys[label]]})"
    return f"({':'.join(sorted(n.labels))} {n.element_id})"


def plain_value(value: Any) -> Any:
    """A driver value as plain data for tables and JSON.

    Nodes become ``(Label key)``, relationships ``[:TYPE]``, paths
    ``(A a)-[:T]->(B b)...``, temporal values ISO 8601 text; lists and maps recursively.
    """
    from neo4j import graph, time

    if isinstance(value, graph.Node):
        return _caption(value)
    if isinstance(value, graph.Relationship):
        return f"[:{value.type}]"
    if isinstance(value, graph.Path):
        parts = [_caption(value.start_node)]
        prev = value.start_node
        for rel in value.relationships:
            forward = rel.start_node is not None and rel.start_node.element_id == prev.element_id
            nxt = rel.end_node if forward else rel.start_node
            arrow = f"-[:{rel.type}]->" if forward else f"<-[:{rel.type}]-"
            parts.append(arrow + (_caption(nxt) if nxt is not None else "()"))
            prev = nxt if nxt is not None else prev
        return "".join(parts)
    if isinstance(value, time.DateTime | time.Date | time.Time | time.Duration):
        return value.iso_format()
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value


class Neo4jRunner:
    """Runs statements on a Neo4j server through the official driver (neo4j 5/6).

    ``uri`` may be ``neo4j+s://`` (TLS, recommended), ``neo4j://``, ``bolt://`` or
    ``bolt+s://``. ``max_retry_time_s`` bounds the driver's retries of transient errors.
    """

    def __init__(
        self,
        uri: str,
        *,
        user: str | None = None,
        password: str | None = None,
        database: str | None = None,
        max_retry_time_s: float = 60.0,
        timeout_s: float | None = None,
    ) -> None:
        import neo4j  # the driver loads lazily: `import graphkit` stays fast

        scheme = uri.partition("://")[0]
        if scheme not in BOLT_SCHEMES:
            raise InputError(
                f"cannot use Neo4j URI {uri!r}: the scheme must be one of "
                + ", ".join(BOLT_SCHEMES)
            )
        auth = (user, password) if user is not None and password is not None else None
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, max_transaction_retry_time=max_retry_time_s
            )
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise InputError(f"cannot use Neo4j URI {uri!r}: {exc}") from exc
        self._database = database
        self._timeout_s = timeout_s
        self._neo4j = neo4j

    def verify(self) -> None:
        """Connects once and authenticates; raises GraphkitError with a one-line reason."""
        try:
            self._driver.verify_connectivity()
        except self._neo4j.exceptions.AuthError as exc:
            raise InputError(f"Neo4j refused the credentials: {exc.message}") from exc
        except (self._neo4j.exceptions.ServiceUnavailable, OSError) as exc:
            raise GraphkitError(f"Neo4j is not reachable: {exc}") from exc

    def run(
        self,
        statement: str,
        parameters: dict[str, Any],
        metadata: dict[str, Any],
        *,
        write: bool = True,
    ) -> Result:
        neo4j = self._neo4j

        def work(tx: Any) -> Result:
            result = tx.run(statement, parameters)
            records = [{k: plain_value(v) for k, v in r.items()} for r in result]
            counters = result.consume().counters
            return Result(records, {name: int(getattr(counters, name)) for name in COUNTER_NAMES})

        # Metadata (case, actor, purpose, run) is visible to the server's transaction listing
        # and query log; the timeout bounds one attempt, retries are the driver's.
        unit: Any = neo4j.unit_of_work(metadata=metadata, timeout=self._timeout_s)(work)
        try:
            with self._driver.session(database=self._database) as session:
                if write:
                    return session.execute_write(unit)  # type: ignore[no-any-return]
                return session.execute_read(unit)  # type: ignore[no-any-return]
        except neo4j.exceptions.AuthError as exc:
            raise InputError(f"Neo4j refused the credentials: {exc.message}") from exc
        except neo4j.exceptions.ClientError as exc:
            raise GraphkitError(f"Neo4j rejected a statement: {exc.message}") from exc
        except (neo4j.exceptions.ServiceUnavailable, neo4j.exceptions.SessionExpired) as exc:
            raise GraphkitError(f"Neo4j is not reachable: {exc}") from exc
        except neo4j.exceptions.Neo4jError as exc:  # e.g. transient errors after all retries
            raise GraphkitError(f"Neo4j failed: {exc.message or exc}") from exc
        except neo4j.exceptions.DriverError as exc:
            raise GraphkitError(f"Neo4j driver error: {exc}") from exc

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Neo4jRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
