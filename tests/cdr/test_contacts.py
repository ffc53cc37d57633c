"""Common contacts and the connecting network: against brute force, on a simulated case and
on small random graphs; bad input; the two commands."""

from __future__ import annotations

import json
import random
import shlex
from collections import defaultdict
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from graphkit.build import build_graph
from graphkit.cdr.contacts import common_contacts, connecting_network, connecting_set
from graphkit.cli.contacts import register
from graphkit.errors import InputError
from graphkit.ingest import ingest_file
from graphkit.runfile import load_case_file
from graphkit.simulate import SimulationSpec, simulate
from graphkit.store import CaseStore


@pytest.fixture(scope="session")
def cdr_case(tmp_path_factory: pytest.TempPathFactory) -> CaseStore:
    """A simulated case (100 people, 14 days, 2 groups), ingested and built (a few seconds)."""
    base = tmp_path_factory.mktemp("cdr-contacts")
    result = simulate(base / "sim", spec=SimulationSpec(seed=7, people=100, days=14, groups=2))
    store = CaseStore.init(base / "case", name="contacts")
    for s in load_case_file(result.case_toml).sources:
        ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    build_graph(store)
    return store


def _edges(store: CaseStore) -> list[tuple[str, str, str, int, datetime, datetime]]:
    with store.connect() as con:
        return [
            tuple(r)  # type: ignore[misc]
            for r in con.execute(
                "SELECT src, dst, layer, count, first, last FROM actor_edge"
            ).fetchall()
        ]


def _busiest(store: CaseStore, n: int) -> list[str]:
    degree: dict[str, int] = defaultdict(int)
    for src, dst, *_ in _edges(store):
        degree[src] += 1
        degree[dst] += 1
    return sorted(degree, key=lambda a: (-degree[a], a))[:n]


def _brute_common(
    store: CaseStore, targets: list[str], min_targets: int
) -> dict[str, dict[str, list[Any]]]:
    per: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    for src, dst, _, count, first, last in _edges(store):
        if src == dst:
            continue
        for t, c in ((src, dst), (dst, src)):
            if t in targets:
                got = per[c].setdefault(t, [0, first, last])
                got[0] += count
                got[1], got[2] = min(got[1], first), max(got[2], last)
    return {c: by_t for c, by_t in per.items() if len(by_t) >= min_targets}


@pytest.mark.parametrize(("n_targets", "min_targets"), [(2, 2), (3, 2), (4, 3), (3, 1)])
def test_common_contacts_equal_brute_force(
    cdr_case: CaseStore, n_targets: int, min_targets: int
) -> None:
    targets = _busiest(cdr_case, n_targets)
    found = common_contacts(cdr_case, targets, min_targets=min_targets)
    expected = _brute_common(cdr_case, targets, min_targets)
    assert expected, "the case gives the targets common contacts"
    assert {c.actor_id for c in found} == set(expected)
    for c in found:
        got = {p["target"]: [p["contacts"], p["first"], p["last"]] for p in c.per_target}
        assert got == expected[c.actor_id]
        assert c.contacts == sum(v[0] for v in got.values())
        assert c.is_target == (c.actor_id in targets)
        assert c.phones  # simulated actors are phones
    keys = [(-c.n_targets, -c.contacts, c.actor_id) for c in found]
    assert keys == sorted(keys)


def test_common_contacts_layer_and_time_filters(cdr_case: CaseStore) -> None:
    targets = _busiest(cdr_case, 3)
    sms = common_contacts(cdr_case, targets, layers=["sms"])
    calls = common_contacts(cdr_case, targets, layers=["calls"])
    both = common_contacts(cdr_case, targets)
    assert {c.actor_id for c in sms} | {c.actor_id for c in calls} <= {c.actor_id for c in both}
    assert sum(c.contacts for c in calls) < sum(c.contacts for c in both)
    times = sorted(t for *_, first, last in _edges(cdr_case) for t in (first, last))
    middle = times[len(times) // 2]
    late = common_contacts(cdr_case, targets, since=middle)
    assert all(p["last"] >= middle for c in late for p in c.per_target)
    assert len(late) <= len(both)
    assert common_contacts(cdr_case, targets, layers=["money"]) == []


def _pair_distances(graph: nx.Graph, targets: list[str], k: int) -> dict[tuple[str, str], int]:
    out = {}
    for a, b in combinations(targets, 2):
        try:
            d = nx.shortest_path_length(graph, a, b)
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            continue
        if d <= k:
            out[(a, b)] = d
    return out


@pytest.mark.parametrize("max_steps", [1, 2, 3])
def test_connecting_network_keeps_direct_ties_and_shortest_paths(
    cdr_case: CaseStore, max_steps: int
) -> None:
    busiest = _busiest(cdr_case, 6)
    edges = _edges(cdr_case)
    # the busiest actor, one it calls directly, and three more: direct ties and longer paths
    tied = min(d for s, d, *_ in edges if s == busiest[0])
    targets = [busiest[0], tied, *[a for a in busiest[3:6] if a != tied]]
    net = connecting_network(cdr_case, targets, max_steps=max_steps)
    full = nx.Graph((s, d) for s, d, *_ in edges)
    expected = _pair_distances(full, targets, max_steps)
    assert expected, "some targets are joined"
    assert full.has_edge(busiest[0], tied)
    inside = nx.Graph((t["src"], t["dst"]) for t in net.ties)
    assert _pair_distances(inside, targets, max_steps) == expected
    steps = {(p["a"], p["b"]): p["steps"] for p in net.pairs}
    assert {k: v for k, v in steps.items() if v is not None} == expected
    for a, b in combinations(targets, 2):
        if full.has_edge(a, b):
            assert inside.has_edge(a, b)
    ids = {a["actor_id"] for a in net.actors}
    assert set(targets) <= ids
    assert set(inside.nodes) <= ids
    assert [a["actor_id"] for a in net.actors][: len(targets)] == targets


def test_connecting_network_through_unresolved_only_and_filters(cdr_case: CaseStore) -> None:
    targets = _busiest(cdr_case, 3)
    net = connecting_network(cdr_case, targets, max_steps=2, through_unresolved_only=True)
    assert all(a["kind"] == "phone" for a in net.actors if not a["is_target"])
    none = connecting_network(cdr_case, targets, layers=["money"])
    assert none.ties == () and all(p["steps"] is None for p in none.pairs)


def _optimum(graph: nx.Graph, targets: list[str], k: int) -> int:
    """Fewest actors (targets included) whose induced graph joins every pair of targets that
    the graph joins within k steps by a path of at most k steps: brute force over subsets."""
    need = _pair_distances(graph, targets, k)
    others = sorted(set(graph) - set(targets))
    for size in range(len(others) + 1):
        for extra in combinations(others, size):
            sub = graph.subgraph([*targets, *extra])
            got = _pair_distances(sub, targets, k)
            if set(got) == set(need):
                return len(targets) + size
    raise AssertionError("the whole graph always works")


@pytest.mark.parametrize("seed", range(40))
def test_connecting_set_within_twice_the_optimum_on_random_graphs(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(6, 11)
    graph = nx.gnp_random_graph(n, rng.uniform(0.15, 0.45), seed=seed)
    graph = nx.relabel_nodes(graph, {i: f"a{i:02d}" for i in graph})
    targets = sorted(rng.sample(sorted(graph), rng.randint(2, 4)))
    k = rng.randint(1, 4)
    kept, steps = connecting_set(graph, targets, max_steps=k)
    assert steps == _pair_distances(graph, targets, k)
    assert _pair_distances(graph.subgraph(kept), targets, k) == steps
    assert len(kept) <= 2 * _optimum(graph, targets, k)
    for v in kept - set(targets):  # no actor can be dropped
        assert _pair_distances(graph.subgraph(kept - {v}), targets, k) != steps


def test_connecting_set_prefers_the_shared_hub() -> None:
    """Targets pairwise joined by a private middle actor and by one hub: the hub alone."""
    graph = nx.Graph()
    targets = ["t1", "t2", "t3", "t4"]
    for a, b in combinations(targets, 2):
        graph.add_edges_from([(a, f"m-{a}-{b}"), (f"m-{a}-{b}", b)])
    graph.add_edges_from(("hub", t) for t in targets)
    kept, _ = connecting_set(graph, targets, max_steps=2)
    assert kept == {*targets, "hub"}


def test_bad_input_gives_one_line_errors(cdr_case: CaseStore) -> None:
    a, b = _busiest(cdr_case, 2)
    with pytest.raises(InputError, match="unknown actor 'nobody at all'") as err:
        common_contacts(cdr_case, [a, "nobody at all"])
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="unknown actor"):
        connecting_network(cdr_case, ["nobody at all", b])
    for call in (common_contacts, connecting_network):
        with pytest.raises(InputError, match="at least 2 different targets"):
            call(cdr_case, [a])
        with pytest.raises(InputError, match="at least 2 different targets"):
            call(cdr_case, [a, a])
    with pytest.raises(InputError, match="max_steps must be at least 1"):
        connecting_network(cdr_case, [a, b], max_steps=0)
    with pytest.raises(InputError, match="min_targets must be between 1 and 2"):
        common_contacts(cdr_case, [a, b], min_targets=3)


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_commands_print_tables_and_json_and_audit(cdr_case: CaseStore, cli: typer.Typer) -> None:
    runner = CliRunner()
    targets = _busiest(cdr_case, 3)
    case = str(cdr_case.path)
    r = runner.invoke(cli, ["common-contacts", case, *targets, "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [x["actor_id"] for x in rows] == [c.actor_id for c in common_contacts(cdr_case, targets)]
    r = runner.invoke(cli, ["common-contacts", case, *targets, "--min-targets", "3"])
    assert r.exit_code == 0, r.output
    assert "common contacts of 3 targets" in r.stdout
    r = runner.invoke(cli, ["common-contacts", case, *targets, "--until", "2000-01-01", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == []  # no tie so early
    r = runner.invoke(cli, ["connect", case, *targets, "--max-steps", "2", "--json"])
    assert r.exit_code == 0, r.output
    (out,) = json.loads(r.stdout)
    net = connecting_network(cdr_case, targets, max_steps=2)
    assert [a["actor_id"] for a in out["actors"]] == [a["actor_id"] for a in net.actors]
    assert len(out["ties"]) == len(net.ties)
    r = runner.invoke(cli, ["connect", case, *targets, "--since", "2000-01-01"])
    assert r.exit_code == 0, r.output
    assert "pairs of targets" in r.stdout
    audit = (Path(case) / "audit.jsonl").read_text().splitlines()
    commands = [json.loads(line).get("command") for line in audit]
    assert "common-contacts" in commands and "connect" in commands
    r = runner.invoke(cli, ["connect", case, targets[0], "nobody at all"])
    assert r.exit_code != 0
    assert isinstance(r.exception, InputError)
    r = runner.invoke(cli, ["connect", case, *targets, "--max-steps", "0"])
    assert r.exit_code == 2


def test_connect_says_how_to_export_exactly_its_network(
    cdr_case: CaseStore, tmp_path: Path
) -> None:
    """The export line connect prints names the network's actors, with no widening: run as
    printed, it writes those actors and no others."""
    from tests.cli.test_cli import gk

    targets = _busiest(cdr_case, 3)
    net = connecting_network(cdr_case, targets, max_steps=2)
    assert net.ties
    r = gk("connect", cdr_case.path, *targets, "--max-steps", "2")
    assert r.returncode == 0, r.stderr
    line = r.stdout.strip().splitlines()[-1].strip()
    args = shlex.split(line)
    assert args[:2] == ["graphkit", "export"] and "--hops" in args
    assert args[args.index("--hops") + 1] == "0"
    ids = args[args.index("--actors") + 1].split(",")
    assert sorted(ids) == sorted(a["actor_id"] for a in net.actors)
    out = tmp_path / "network.json"
    args[args.index("--out") + 1] = str(out)
    args[args.index("--format") + 1] = "json"
    args[args.index("--purpose") + 1] = "test"
    args[args.index("--recipient") + 1] = "test"
    r = gk(*args[1:])
    assert r.returncode == 0, r.stderr
    exported = json.loads(out.read_text())
    nodes = exported["elements"]["nodes"]
    assert sorted(n["data"]["id"] for n in nodes) == sorted(ids)
