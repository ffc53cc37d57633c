"""Report section: the connecting network of the case's top actors (i2's Find Connecting
Network, :func:`graphkit.cdr.contacts.connecting_set`).

Whom it connects: the actors ranked highest by leadership score (:data:`CONNECT_TOP`, as the
time wheels and trails pick them; ties broken by id), or the targets the caller names. What it
shows: for each pair of targets, how many ties apart they are in the actor graph (within
:data:`CONNECT_STEPS`); the actors through whom they are joined (the heuristic's smallest set
that keeps every pair's distance), with how many pairs each joins and their community; and
the ``graphkit export`` command that hands exactly that network on. Everything is read from
:class:`graphkit.report.collect.CaseFacts` (``actors``, ``ties``): no query of its own.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

from graphkit.report.blocks import Block, Para, Section, Stats, Table
from graphkit.report.text import display_names

if TYPE_CHECKING:
    from graphkit.report.collect import CaseFacts

__all__ = ["CONNECT_STEPS", "CONNECT_TOP", "connecting_network_sections", "top_actors"]

CONNECT_TOP = 4
"""actors ranked highest by leadership score whose connecting network the report shows"""
CONNECT_STEPS = 3
"""the longest path (in ties) that joins two of them: three, one more than ``graphkit
connect``'s default, because the top actors are often in different groups, which brokers
join through a lieutenant on each side (on a simulated 600-person case, 2 of the 6 pairs of
the top four were joined within two ties, 5 within three)"""
MAX_ROWS = 25


def top_actors(facts: CaseFacts, n: int = CONNECT_TOP) -> list[str]:
    """The ``n`` actors ranked highest by leadership score (then by id) that have a tie."""
    actors, ties = facts.actors, facts.ties
    if actors.empty or ties.empty or "leadership" not in actors.columns:
        return []
    tied = set(ties["a"].astype(str)) | set(ties["b"].astype(str))
    ranked = actors[actors["leadership"].notna()].assign(
        actor_id=lambda f: f["actor_id"].astype(str)
    )
    ranked = ranked[ranked["actor_id"].isin(tied)]
    ranked = ranked.sort_values(["leadership", "actor_id"], ascending=[False, True])
    return list(ranked["actor_id"].head(n))


def connecting_network_sections(
    facts: CaseFacts,
    *,
    targets: Sequence[str] | None = None,
    max_steps: int = CONNECT_STEPS,
) -> list[Section]:
    """The section (a list of one, or empty when the case has no actor graph or fewer than
    two targets): ``targets`` are actor ids, else :func:`top_actors`."""
    import networkx as nx

    from graphkit.cdr.contacts import connecting_set

    if facts.ties.empty:
        return []
    ids = list(dict.fromkeys(str(t) for t in targets)) if targets else top_actors(facts)
    if len(ids) < 2:
        return []
    graph: nx.Graph = nx.Graph()
    graph.add_edges_from(zip(facts.ties["a"].astype(str), facts.ties["b"].astype(str), strict=True))
    graph.add_nodes_from(ids)
    kept, steps = connecting_set(graph, ids, max_steps=max_steps)
    inside = graph.subgraph(kept)
    dist = {
        t: dict(nx.single_source_shortest_path_length(inside, t, cutoff=max_steps)) for t in ids
    }
    joins: dict[str, int] = {}
    for (a, b), d in steps.items():
        for v in kept - set(ids):
            if dist[a].get(v, d + 1) + dist[b].get(v, d + 1) == d:
                joins[v] = joins.get(v, 0) + 1
    names = display_names(facts)
    community = _communities(facts)
    chosen = (
        "named for this report"
        if targets
        else (f"the {len(ids)} actors ranked highest by leadership score")
    )
    blocks: list[Block] = [
        Para(
            f"Who links {chosen} ({', '.join(names.get(t, t) for t in ids)}): the actors "
            f"through whom each pair is joined by a shortest path of at most {max_steps} ties "
            "in the actor graph (calls, texts, money and contact records, either direction), "
            "kept as few as the shortest-path heuristic finds while every pair keeps its "
            "distance (i2's Find Connecting Network; the smallest such set is NP-hard to "
            "find, docs/cdr.md). A tie is an observed contact, not a relationship's nature."
        ),
        Stats(
            (
                ("targets", str(len(ids))),
                ("pairs joined", f"{len(steps)} of {len(ids) * (len(ids) - 1) // 2}"),
                ("actors between", str(len(kept) - len(ids))),
            )
        ),
        Table(
            ("target", "target", "ties apart"),
            tuple(
                (
                    names.get(a, a),
                    names.get(b, b),
                    str(steps[(a, b)]) if (a, b) in steps else f"not within {max_steps}",
                )
                for a, b in combinations(ids, 2)
            ),
            caption="Each pair of targets",
        ),
    ]
    between = sorted(kept - set(ids), key=lambda v: (-joins.get(v, 0), v))
    if between:
        blocks.append(
            Table(
                ("actor", "pairs joined", "community"),
                tuple(
                    (names.get(v, v), str(joins.get(v, 0)), community.get(v, ""))
                    for v in between[:MAX_ROWS]
                ),
                caption="Actors between the targets"
                + (f" (first {MAX_ROWS} of {len(between)})" if len(between) > MAX_ROWS else ""),
            )
        )
    members = ",".join([*ids, *between])
    blocks.append(
        Para(
            "The same network, with its filters (layers, time window, only through unresolved "
            f"numbers): `graphkit connect CASE {' '.join(shlex.quote(t) for t in ids)} "
            f"--max-steps {max_steps}`; to hand it on (its actors and every observed tie among "
            f"them): `graphkit export CASE --actors {shlex.quote(members)} --hops 0 --format "
            "gexf --out network.gexf --purpose PURPOSE --recipient RECIPIENT`.",
            muted=True,
        )
    )
    return [Section("connecting-network", "Connecting network of the top actors", tuple(blocks))]


def _communities(facts: CaseFacts) -> dict[str, str]:
    actors = facts.actors
    if actors.empty or "community" not in actors.columns:
        return {}
    out = {}
    for a, c in zip(actors["actor_id"], actors["community"], strict=True):
        if c is None or c != c:  # NaN: no community
            continue
        out[str(a)] = str(int(c)) if isinstance(c, float) and c.is_integer() else str(c)
    return out
