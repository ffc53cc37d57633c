"""Common contacts and the connecting network of a set of targets, over the actor graph.

* :func:`common_contacts`: the actors in contact (a tie in ``actor_edge``, either direction)
  with at least ``min_targets`` of the targets, with per target the number of contacts
  (``actor_edge.count``: calls, messages, transfers or contact rows) and the first and last
  time. One DuckDB query; every user value is a parameter.
* :func:`connecting_network`: i2's *Find Connecting Network*: a small set of actors and ties
  joining the targets by paths of at most ``max_steps`` ties.

Targets are what a user types (a name, a phone in any format, an id or its start), resolved
by :func:`graphkit.people.find_actor`. ``layers`` keeps ties of those layers (``contact``
stands for every ``contact:<kind>``); ``since`` / ``until`` keep the ties whose span
``[first, last]`` overlaps the window. The actor graph keeps one aggregated row per pair and
layer, so a kept tie counts all its contacts, including those outside the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import TYPE_CHECKING, Any

from graphkit.errors import InputError
from graphkit.people import Directory, directory

if TYPE_CHECKING:
    import networkx as nx

    from graphkit.store import CaseStore

__all__ = [
    "CommonContact",
    "ConnectingNetwork",
    "common_contacts",
    "connecting_network",
    "connecting_set",
]

Row = dict[str, Any]

# ties kept by the layer and time filters; $layers, $since, $until are parameters
_TIES = """
    SELECT src, dst, layer, count, first, last FROM actor_edge
    WHERE src <> dst
      AND ($layers::VARCHAR[] IS NULL OR list_contains($layers::VARCHAR[], layer)
           OR list_contains($layers::VARCHAR[], split_part(layer, ':', 1)))
      AND ($since::TIMESTAMP IS NULL OR last IS NULL OR last >= $since::TIMESTAMP)
      AND ($until::TIMESTAMP IS NULL OR first IS NULL OR first <= $until::TIMESTAMP)
"""


@dataclass(frozen=True)
class CommonContact:
    """One actor in contact with several targets; ``per_target``: for each target reached,
    ``target``, ``contacts``, ``first``, ``last`` (targets in the order given)."""

    actor_id: str
    name: str
    kind: str
    phones: tuple[str, ...]
    is_target: bool
    contacts: int
    per_target: tuple[Row, ...]

    @property
    def n_targets(self) -> int:
        return len(self.per_target)

    def to_row(self) -> Row:
        return {
            "actor_id": self.actor_id,
            "name": self.name,
            "phones": list(self.phones),
            "kind": self.kind,
            "is_target": self.is_target,
            "n_targets": self.n_targets,
            "contacts": self.contacts,
            "per_target": [dict(p) for p in self.per_target],
        }


@dataclass(frozen=True)
class ConnectingNetwork:
    """The actors and ties joining the targets; ``pairs``: each pair of targets with its
    ``steps`` (shortest path length within ``max_steps`` in the filtered graph, which the
    network keeps; None when no such path exists)."""

    targets: tuple[str, ...]
    max_steps: int
    actors: tuple[Row, ...]
    ties: tuple[Row, ...]
    pairs: tuple[Row, ...]


def _resolve(targets: Sequence[str], people: Directory) -> list[str]:
    """Actor ids of the targets, in order, without repeats; InputError (one line) otherwise."""
    if isinstance(targets, str):
        targets = [targets]
    ids: list[str] = []
    for query in targets:
        actor = people.find_one(query)
        if not actor.in_graph:
            raise InputError(f"{actor.label()} is not in the actor graph (run `graphkit build`)")
        if actor.actor_id not in ids:
            ids.append(actor.actor_id)
    if len(ids) < 2:
        raise InputError(f"give at least 2 different targets (got {len(ids)})")
    return ids


def _filters(layers: Sequence[str] | None, since: datetime | None, until: datetime | None) -> Row:
    if since is not None and until is not None and since > until:
        raise InputError(f"since ({since}) is after until ({until})")
    return {"layers": list(layers) if layers is not None else None, "since": since, "until": until}


def common_contacts(
    store: CaseStore,
    targets: Sequence[str],
    *,
    min_targets: int = 2,
    layers: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[CommonContact]:
    """The actors in contact with at least ``min_targets`` of ``targets``.

    In: target queries (see :func:`graphkit.people.find_actor`; at least two different
    actors), ``min_targets`` between 1 and their number. Out: one :class:`CommonContact` per
    actor, most targets first, then most contacts, then id. A target in contact with other
    targets is listed too (``is_target``). InputError for an unknown target or bad options.
    """
    people = directory(store)
    ids = _resolve(targets, people)
    if not 1 <= min_targets <= len(ids):
        raise InputError(f"min_targets must be between 1 and {len(ids)} (got {min_targets})")
    params = {"targets": ids, "min_targets": min_targets, **_filters(layers, since, until)}
    with store.connect() as con:
        rows = con.execute(
            f"""
            WITH e AS ({_TIES}),
            both_ways AS (SELECT src AS t, dst AS c, count, first, last FROM e
                          UNION ALL SELECT dst, src, count, first, last FROM e),
            per AS (
                SELECT c, t, sum(count)::BIGINT AS contacts, min(first) AS first,
                       max(last) AS last
                FROM both_ways WHERE list_contains($targets::VARCHAR[], t) GROUP BY c, t
            )
            SELECT c, sum(contacts)::BIGINT,
                   list({{'target': t, 'contacts': contacts, 'first': first, 'last': last}}
                        ORDER BY list_position($targets::VARCHAR[], t))
            FROM per GROUP BY c HAVING count(*) >= $min_targets
            ORDER BY count(*) DESC, sum(contacts) DESC, c
            """,  # _TIES is this module's constant
            params,
        ).fetchall()
    out = []
    for actor_id, contacts, per in rows:
        actor = people.get(actor_id)
        out.append(
            CommonContact(
                actor_id=actor_id,
                name=actor.name if actor else actor_id,
                kind=actor.kind if actor else "other",
                phones=actor.phones if actor else (),
                is_target=actor_id in ids,
                contacts=int(contacts),
                per_target=tuple(
                    {**dict(p), "target_name": _name_of(people.get(p["target"]), p["target"])}
                    for p in per
                ),
            )
        )
    return out


def _within(graph: nx.Graph, source: str, max_steps: int) -> dict[str, int]:
    import networkx as nx

    return dict(nx.single_source_shortest_path_length(graph, source, cutoff=max_steps))


def _pair_steps(
    graph: nx.Graph, targets: Sequence[str], max_steps: int
) -> dict[tuple[str, str], int]:
    dist = {t: _within(graph, t, max_steps) for t in targets}
    return {(a, b): dist[a][b] for a, b in combinations(targets, 2) if b in dist[a]}


def connecting_set(
    graph: nx.Graph, targets: Sequence[str], *, max_steps: int, allowed: set[str] | None = None
) -> tuple[set[str], dict[tuple[str, str], int]]:
    """The actors of the connecting network over a plain undirected graph, and the steps of
    each pair of targets joined within ``max_steps`` (paths pass only through ``allowed``
    actors besides the targets when given).

    Heuristic (minimum Steiner trees are NP-hard; this is in the spirit of the
    shortest-path 2-approximation): take the union of every shortest path of at most
    ``max_steps`` ties between each pair of targets (a node ``v`` lies on one iff
    ``d(a, v) + d(v, b) = d(a, b)``), then drop the non-target actors one at a time, those on
    the fewest pairs' paths first (ties broken by id), whenever every pair keeps its distance
    without them. Guarantee: every pair joined within ``max_steps`` in the graph is joined in
    the result by a path of the same length (so every direct tie between targets stays), and
    no actor can be dropped without breaking that. The size is not guaranteed to be minimal;
    on small random graphs it stays within 2x of the brute-force optimum (see the tests).
    Deterministic for a given graph.
    """
    if max_steps < 1:
        raise InputError(f"max_steps must be at least 1 (got {max_steps})")
    if allowed is not None:
        graph = graph.subgraph(set(allowed) | set(targets))
    dist = {t: _within(graph, t, max_steps) for t in targets}
    steps = {(a, b): dist[a][b] for a, b in combinations(targets, 2) if b in dist[a]}
    serves: dict[str, int] = {}
    for (a, b), d in steps.items():
        for v, da in dist[a].items():
            if da + dist[b].get(v, max_steps + 1) == d:
                serves[v] = serves.get(v, 0) + 1
    kept = set(serves) | set(targets)
    for v in sorted(set(serves) - set(targets), key=lambda v: (serves[v], v)):
        trial = kept - {v}
        if _pair_steps(graph.subgraph(trial), targets, max_steps) == steps:
            kept = trial
    return kept, steps


def _graph(store: CaseStore, params: Row) -> tuple[nx.Graph, dict[tuple[str, str], Row]]:
    """The filtered actor graph as an undirected networkx graph, and each tie's summary."""
    import networkx as nx

    with store.connect() as con:
        rows = con.execute(
            f"""
            WITH e AS ({_TIES})
            SELECT least(src, dst) AS a, greatest(src, dst) AS b,
                   list(DISTINCT layer ORDER BY layer), sum(count)::BIGINT, min(first), max(last)
            FROM e GROUP BY ALL ORDER BY a, b
            """,  # _TIES is this module's constant
            params,
        ).fetchall()
    graph: nx.Graph = nx.Graph()
    ties = {}
    for a, b, layers, contacts, first, last in rows:
        graph.add_edge(a, b)
        ties[(a, b)] = {"layers": list(layers), "contacts": int(contacts), "first": first}
        ties[(a, b)]["last"] = last
    return graph, ties


def connecting_network(
    store: CaseStore,
    targets: Sequence[str],
    *,
    max_steps: int = 2,
    layers: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    through_unresolved_only: bool = False,
) -> ConnectingNetwork:
    """i2's Find Connecting Network over the actor graph (ties taken both ways).

    In: target queries (at least two different actors), ``max_steps`` >= 1, the tie filters,
    and ``through_unresolved_only`` (paths pass only through phones attributed to no person,
    besides the targets). Out: the actors (targets first) and the ties on a shortest path
    between some pair of targets inside the network, and each pair's steps. The actors are
    :func:`connecting_set`'s heuristic, with its guarantee.
    """
    if max_steps < 1:
        raise InputError(f"max_steps must be at least 1 (got {max_steps})")
    people = directory(store)
    ids = _resolve(targets, people)
    graph, ties = _graph(store, _filters(layers, since, until))
    graph.add_nodes_from(ids)
    allowed = None
    if through_unresolved_only:
        allowed = {str(a.actor_id) for a in people.actors if a.kind == "phone" and a.in_graph}
    kept, steps = connecting_set(graph, ids, max_steps=max_steps, allowed=allowed)
    inside = graph.subgraph(kept)
    dist = {t: _within(inside, t, max_steps) for t in ids}
    on_path = set()
    for (a, b), d in steps.items():
        for u, v in inside.edges():
            for x, y in ((u, v), (v, u)):
                if dist[a].get(x, d + 1) + 1 + dist[b].get(y, d + 1) == d:
                    on_path.add((min(u, v), max(u, v)))
    actor_rows = []
    for actor_id in [*ids, *sorted(kept - set(ids))]:
        actor = people.get(actor_id)
        actor_rows.append(
            {
                "actor_id": actor_id,
                "name": actor.name if actor else actor_id,
                "phones": list(actor.phones) if actor else [],
                "kind": actor.kind if actor else "other",
                "is_target": actor_id in ids,
            }
        )
    tie_rows = [{"src": a, "dst": b, **ties[(a, b)]} for a, b in sorted(on_path)]
    pair_rows = [{"a": a, "b": b, "steps": steps.get((a, b))} for a, b in combinations(ids, 2)]
    return ConnectingNetwork(
        targets=tuple(ids),
        max_steps=max_steps,
        actors=tuple(actor_rows),
        ties=tuple(tie_rows),
        pairs=tuple(pair_rows),
    )


def _name_of(actor: object, actor_id: str) -> str:
    """An actor's display name, its id when the directory does not know it."""
    name = getattr(actor, "name", None)
    return str(name) if name else actor_id
