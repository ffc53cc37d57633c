"""The CDR queries of the library (multi_scene, time_wheel, connecting_network) against a real
Neo4j (set NEO4J_URI, and NEO4J_USER / NEO4J_PASSWORD / NEO4J_DATABASE): each gives in Neo4j
what graphkit's own function gives on the case it was published from.

The case: simulated (200 people, 14 days, 2 groups, tower-dump scenes planted), ingested,
resolved and built; published under its own case id and removed afterwards. The scenes are the
planted ones with their windows widened to whole hours, the resolution the published graph
keeps (CONNECTED_VIA hours), so the multi-scene lists must be equal.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pytest

from graphkit.store import CaseStore

pytestmark = [
    pytest.mark.neo4j,
    pytest.mark.skipif(
        not os.environ.get("NEO4J_URI"), reason="NEO4J_URI is not set: no Neo4j server to test"
    ),
]

SEED, PEOPLE, DAYS = 7, 200, 14


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[CaseStore, Path]:
    """(the built case, its simulation folder)."""
    from graphkit.build import build_graph
    from graphkit.ingest import ingest_file
    from graphkit.runfile import load_case_file
    from graphkit.simulate import SimulationSpec, simulate
    from resolution.spec import ResolutionSpec
    from resolution.stage import resolve_case

    base = tmp_path_factory.mktemp("cdr-queries")
    spec = SimulationSpec(seed=SEED, people=PEOPLE, days=DAYS, groups=2, scenes=True)
    result = simulate(base / "sim", spec=spec)
    store = CaseStore.init(base / "case", name="cdr-queries")
    for s in load_case_file(result.case_toml).sources:
        ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    resolve_case(store, spec=ResolutionSpec(u_max_pairs=2e5))
    build_graph(store)
    return store, base / "sim"


@pytest.fixture(scope="module")
def published(built: tuple[CaseStore, Path]) -> Iterator[tuple[Any, str]]:
    """(a runner on the server, the case id the case was published under)."""
    from graphkit.publish.publisher import publish_case
    from graphkit.publish.runner import Neo4jRunner

    runner = Neo4jRunner(
        os.environ["NEO4J_URI"],
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD"),
        database=os.environ.get("NEO4J_DATABASE"),
    )
    runner.verify()
    case_id = "test-" + uuid.uuid4().hex[:10]
    store, _ = built
    try:
        with store.connect(read_only=True) as con:
            publish_case(con, runner, case_id=case_id, actor="pytest", purpose="integration test")
        yield runner, case_id
    finally:
        while runner.run(
            "MATCH (n) WHERE n.case_id = $case_id WITH n LIMIT 5000 DETACH DELETE n "
            "RETURN count(*) AS deleted",
            {"case_id": case_id},
            {"purpose": "test clean-up"},
        ).records[0]["deleted"]:
            pass
        runner.close()


def _run(published: tuple[Any, str], name: str, raw: dict[str, str]) -> list[dict[str, Any]]:
    from graphkit.publish.queries import bind_parameters, load_query, run_query

    runner, case_id = published
    query = load_query(name)
    params = bind_parameters(query, raw, case_id=case_id)
    return run_query(runner, query, params, metadata={"case": case_id, "actor": "pytest"})


def _whole_hours(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window widened to the hours it touches: HH:00:00 to HH:59:59."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1, seconds=-1)
    return first, last


def test_multi_scene_equals_the_scenes_list(
    built: tuple[CaseStore, Path], published: tuple[Any, str]
) -> None:
    from graphkit.cdr.scenes import load_scenes, scene_lists

    store, sim = built
    scenes = tuple(
        replace(s, start=w[0], end=w[1])
        for s in load_scenes(sim / "scenes.toml")
        for w in [_whole_hours(s.start, s.end)]
    )
    with store.connect(read_only=True) as con:
        columns = {r[0] for r in con.execute("DESCRIBE src_cdr").fetchall()}
    assert "callee_cell_id" not in columns  # the graph keeps the caller's cell only
    for min_scenes in (2, 1):
        lists = scene_lists(store, scenes)
        want: dict[str, set[str]] = {
            r["phone"]: {s["scene"] for s in r["scenes"]} for r in lists.multi_scene
        }
        if min_scenes == 1:
            want |= {r["phone"]: {r["scene"]} for r in lists.one_time}
        raw = [
            {"name": s.name, "cells": list(s.cells), "start": s.start.isoformat(),
             "end": s.end.isoformat()}
            for s in scenes
        ]  # fmt: skip
        rows = _run(
            published, "multi_scene", {"scenes": json.dumps(raw), "min_scenes": str(min_scenes)}
        )
        got = {r["phone"]: {s["scene"] for s in r["scenes"]} for r in rows}
        assert len(got) == len(rows)
        if min_scenes == 2:
            assert got == want and len(want) >= 2  # the planted crew, at least
            assert all(r["n_scenes"] == len(got[r["phone"]]) for r in rows)
        else:  # one-time visitors are a subset of the phones seen at one scene
            assert {p: s for p, s in want.items() if len(s) >= 2} == {
                p: s for p, s in got.items() if len(s) >= 2
            }
            assert want.items() <= got.items()


def _actor_phones(store: CaseStore) -> dict[str, tuple[str, ...]]:
    with store.connect(read_only=True) as con:
        return {
            a: tuple(p)
            for a, p in con.execute(
                "SELECT actor_id, phones FROM actor WHERE kind = 'person' AND len(phones) > 0"
            ).fetchall()
        }


def test_time_wheel_equals_the_library_in_utc(
    built: tuple[CaseStore, Path], published: tuple[Any, str]
) -> None:
    from graphkit.cdr.activity import activity_matrix

    store, _ = built
    phones_of = _actor_phones(store)
    with store.connect(read_only=True) as con:
        busiest = [
            r[0]
            for r in con.execute(
                """
                SELECT a.actor_id FROM actor a, unnest(a.phones) AS u(phone)
                JOIN src_cdr c ON c.caller = u.phone OR c.callee = u.phone
                WHERE a.kind = 'person' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3
                """
            ).fetchall()
        ]
    assert busiest
    for actor_id in busiest:
        phones = phones_of[actor_id]
        wheel = activity_matrix(store, actor_id, kind="actor", timezone="UTC")
        with store.connect(read_only=True) as con:
            own = con.execute(  # calls between two of the actor's phones: once per phone here
                """
                SELECT isodow(start) - 1, hour(start), count(*) FROM src_cdr
                WHERE NOT coalesce(is_duplicate, false) AND start IS NOT NULL
                  AND list_contains($p::VARCHAR[], caller) AND list_contains($p::VARCHAR[], callee)
                GROUP BY ALL
                """,
                {"p": list(phones)},
            ).fetchall()
        expected = wheel.matrix.copy()
        for d, h, n in own:
            expected[int(d), int(h)] += int(n)
        rows = _run(published, "time_wheel", {"actor_id": actor_id})
        assert [r["day"] for r in rows] == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        assert sorted(rows[0]["phones"]) == sorted(phones)
        got = np.array([r["by_hour"] for r in rows], dtype=np.int64)
        np.testing.assert_array_equal(got, expected)
        assert [r["events"] for r in rows] == expected.sum(axis=1).tolist()
        assert wheel.events > 20


def test_connecting_network_has_the_library_steps_and_every_shortest_chain(
    built: tuple[CaseStore, Path], published: tuple[Any, str]
) -> None:
    from graphkit.cdr.contacts import connecting_network

    store, _ = built
    with store.connect(read_only=True) as con:
        edges = con.execute("SELECT src, dst FROM actor_edge WHERE src <> dst").fetchall()
    graph: nx.Graph = nx.Graph()
    graph.add_edges_from(edges)
    persons = sorted(
        _actor_phones(store), key=lambda a: (-(graph.degree(a) if a in graph else 0), a)
    )
    checked = 0
    for max_steps, targets in ((1, persons[:3]), (2, persons[3:6]), (3, persons[6:8])):
        network = connecting_network(store, targets, max_steps=max_steps)
        dist = {
            t: nx.single_source_shortest_path_length(graph, t, cutoff=max_steps) for t in targets
        }
        # every actor on a shortest chain of at most max_steps ties (brute force)
        union = set(targets)
        for a, b in combinations(targets, 2):
            if b in dist[a]:
                d = dist[a][b]
                union |= {v for v, da in dist[a].items() if da + dist[b].get(v, d + 1) == d}
        raw = {"targets": ",".join(targets), "max_steps": str(max_steps)}
        rows = _run(published, "connecting_network", raw)
        got = {r["actor_id"] for r in rows}
        assert got == union, max_steps
        assert {a["actor_id"] for a in network.actors} <= got  # the library prunes
        steps = {frozenset((p["a"], p["b"])): p["steps"] for r in rows for p in r["pairs"]}
        assert steps == {
            frozenset((p["a"], p["b"])): p["steps"] for p in network.pairs if p["steps"] is not None
        }
        assert {r["actor_id"] for r in rows if r["is_target"]} == set(targets)
        assert all(r["name"] and r["phones"] for r in rows if r["actor_id"] in persons)
        checked += len(steps)
    assert checked >= 3  # some pairs of targets are joined
