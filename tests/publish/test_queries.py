"""The query library: headers parse, parameters are declared, typed and bound from the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphkit.errors import InputError
from graphkit.publish.queries import (
    bind_parameters,
    list_queries,
    load_query,
    parse_query,
    run_query,
)
from graphkit.publish.runner import RecordingRunner

REQUIRED = {
    "actor_profile",
    "neighbourhood",
    "shortest_paths",
    "common_contacts",
    "community_members",
    "leaders_per_community",
    "top_brokers",
    "blackouts_in_window",
    "review_queue",
    "money_trail",
    "co_location",
    "tower_dump",
    "imei_multi_sim",
    "sim_multi_imei",
    "multi_scene",
    "time_wheel",
    "connecting_network",
}

HEADER = """// Title: T
// Description: D
//   more D
// Param: case_id STRING, e.g. "c": the case
// Param: n INTEGER, default 3: a number
// Returns: R
"""


def test_the_library_has_every_query_the_issue_asks_for() -> None:
    queries = {q.name: q for q in list_queries()}
    assert set(queries) >= REQUIRED
    for q in queries.values():
        assert q.title and q.description and q.returns
        assert q.param("case_id").type == "STRING"
        for p in q.params:
            assert p.doc, (q.name, p.name)


def test_header_parsing() -> None:
    q = parse_query("t", HEADER + "MATCH (n) WHERE n.case_id = $case_id RETURN n LIMIT $n")
    assert q.description == "D more D"
    assert [(p.name, p.required, p.value) for p in q.params] == [
        ("case_id", True, "c"),
        ("n", False, 3),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "RETURN $case_id, $n, $other", "parameters used"),
        (HEADER + "RETURN $case_id", "parameters used"),
        (HEADER.replace("// Returns: R\n", "") + "RETURN $case_id, $n", "no Returns"),
        (HEADER.replace("INTEGER", "NUMBER") + "RETURN $case_id, $n", "unknown type"),
        (HEADER.replace("default 3", "default three") + "RETURN $case_id, $n", "not JSON"),
        ("// Title: T\n// Oops\nRETURN 1", "not understood"),
    ],
)
def test_bad_headers_are_rejected(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_query("t", text)


def test_binding_types_and_defaults() -> None:
    q = load_query("money_trail")
    params = bind_parameters(q, {"account_id": "IT60X", "hops": "3"}, case_id="c1")
    assert params == {
        "case_id": "c1",
        "account_id": "IT60X",
        "hops": 3,
        "min_amount": 0.0,
        "limit": 100,
    }
    q = load_query("common_contacts")
    assert bind_parameters(q, {"msisdns": "+391, +392"}, case_id="c")["msisdns"] == ["+391", "+392"]
    assert bind_parameters(q, {"msisdns": '["a,b"]'}, case_id="c")["msisdns"] == ["a,b"]
    q = load_query("multi_scene")
    scenes = '[{"name": "S1", "cells": ["c1", "c2"], "start": "2024-03-05T14:00:00Z"}]'
    bound = bind_parameters(q, {"scenes": scenes}, case_id="c")
    assert bound["scenes"] == [
        {"name": "S1", "cells": ["c1", "c2"], "start": "2024-03-05T14:00:00Z"}
    ]
    assert bound["min_scenes"] == 2
    q = load_query("blackouts_in_window")
    params = bind_parameters(
        q, {"from": "2024-03-10", "to": "2024-03-20T01:00:00+01:00"}, case_id="c"
    )
    assert params["from"] == "2024-03-10T00:00:00Z"
    assert params["to"] == "2024-03-20T00:00:00Z"


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("money_trail", {}, "needs parameter account_id"),
        ("money_trail", {"account_id": "x", "hops": "two"}, "not a INTEGER"),
        ("money_trail", {"account_id": "x", "color": "red"}, "no parameter 'color'"),
        ("money_trail", {"account_id": "x", "case_id": "other"}, "comes from the case"),
        ("blackouts_in_window", {"from": "yesterday", "to": "2024-01-01"}, "not a DATETIME"),
        ("multi_scene", {"scenes": '{"name": "S1"}'}, "not a LIST<MAP>"),
        ("multi_scene", {"scenes": '["S1"]'}, "not a LIST<MAP>"),
        ("multi_scene", {"scenes": "S1,S2"}, "not a LIST<MAP>"),
    ],
)
def test_binding_errors(name: str, raw: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        bind_parameters(load_query(name), raw, case_id="c")


def test_unknown_query_names_the_library() -> None:
    with pytest.raises(InputError, match="money_trail"):
        load_query("money_trial")
    with pytest.raises(InputError, match="not a query name"):
        load_query("../secrets")


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    )
)
def test_datetime_parameters_keep_the_instant(moment: datetime) -> None:
    q = load_query("tower_dump")
    bound = bind_parameters(
        q, {"cell_id": "c", "from": moment.isoformat(), "to": moment.isoformat()}, case_id="c"
    )
    assert bound["from"].endswith("Z")
    assert datetime.fromisoformat(bound["from"].replace("Z", "+00:00")) == moment


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1)))
def test_list_parameters_round_trip_as_json(values: list[str]) -> None:
    import json

    q = load_query("common_contacts")
    bound = bind_parameters(q, {"msisdns": json.dumps(values)}, case_id="c")
    assert bound["msisdns"] == values


def test_run_query_reads_with_metadata() -> None:
    runner = RecordingRunner()
    q = load_query("top_brokers")
    run_query(runner, q, {"case_id": "c", "limit": 5}, metadata={"case": "c", "actor": "a"})
    (call,) = runner.calls
    assert call.statement == q.text and call.write is False
    assert call.metadata == {"case": "c", "actor": "a", "query": "top_brokers"}
