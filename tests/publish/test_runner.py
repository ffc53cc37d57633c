"""Runners without a server: driver values made plain, connection errors as one line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from neo4j import graph, time

from graphkit.errors import GraphkitError, InputError
from graphkit.publish.runner import Neo4jRunner, RecordingRunner, Result, plain_value


def _graph() -> tuple[graph.Node, graph.Node, graph.Relationship]:
    g = graph.Graph()
    a = graph.Node(g, "e1", 1, ["Person"], {"person_id": "P-1", "case_id": "c"})
    b = graph.Node(g, "e2", 2, ["Phone"], {"msisdn": "+391"})
    r = g.relationship_type("USES")(g, "r1", 3, {})
    r._start_node, r._end_node = a, b
    return a, b, r


def test_plain_values_for_tables_and_json() -> None:
    a, b, r = _graph()
    assert plain_value(a) == "(Person P-1)"
    assert plain_value(r) == "[:USES]"
    assert plain_value(graph.Path(a, r)) == "(Person P-1)-[:USES]->(Phone +391)"
    assert plain_value(graph.Path(b, r)) == "(Phone +391)<-[:USES]-(Person P-1)"
    dt = time.DateTime.from_native(datetime(2024, 3, 1, 10, tzinfo=UTC))
    assert plain_value({"x": [dt, 1]}) == {"x": ["2024-03-01T10:00:00.000000000+00:00", 1]}


def test_recording_runner_answers_and_fails_on_request() -> None:
    runner = RecordingRunner({"RETURN 1": Result([{"x": 1}])}, fail_after=1)
    assert runner.run("RETURN 1", {}, {"a": 1}).records == [{"x": 1}]
    with pytest.raises(GraphkitError):
        runner.run("RETURN 1", {}, {})
    assert len(runner.calls) == 1


def test_bad_uri_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cannot use Neo4j URI"):
        Neo4jRunner("http://localhost:7474")


def test_unreachable_server_is_one_line() -> None:
    runner = Neo4jRunner("bolt://127.0.0.1:1", user="neo4j", password="x", max_retry_time_s=0)
    with pytest.raises(GraphkitError, match="not reachable"):
        runner.verify()
    runner.close()
