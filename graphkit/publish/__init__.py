"""Publish a case to Neo4j and query it: generated schema and writes, the query library.

Public surface:

* :func:`publish_case` with a :class:`Runner` (:class:`Neo4jRunner` for a server,
  :class:`RecordingRunner` for tests and dry runs) -> :class:`PublishSummary`;
* :func:`export_neo4j_import` for first loads with ``neo4j-admin database import full``;
* :func:`load_query`, :func:`list_queries`, :func:`bind_parameters`, :func:`run_query` for the
  library in ``cypher/queries``.

The neo4j driver is imported only when a :class:`Neo4jRunner` is made.
"""

from __future__ import annotations

from graphkit.publish.admin_import import ImportExport, export_neo4j_import
from graphkit.publish.publisher import PublishSummary, new_run_id, publish_case
from graphkit.publish.queries import (
    LibraryQuery,
    bind_parameters,
    list_queries,
    load_query,
    run_query,
)
from graphkit.publish.runner import Neo4jRunner, RecordingRunner, Result, Runner

__all__ = [
    "ImportExport",
    "LibraryQuery",
    "Neo4jRunner",
    "PublishSummary",
    "RecordingRunner",
    "Result",
    "Runner",
    "bind_parameters",
    "export_neo4j_import",
    "list_queries",
    "load_query",
    "new_run_id",
    "publish_case",
    "run_query",
]
