"""The report's network section: every actor, laid out in Python, drawn in the browser.

The interactive view (``network.js``, sigma.js on WebGL) gets every actor up to
``MAX_NETWORK_ACTORS`` with the position :func:`graphkit.drawing.force_layout` gave it (the
layout the exports hand Gephi and yEd), so the browser lays nothing out. Actors beyond the cap
(the least central) are still in the data without a position, with their ties
(``more_edges``): the view shows how many are not drawn, and search, or a drawn actor's details,
draws them on request beside the actors they are tied to. Ties travel as index lists
``[i, j, weight, first_h, last_h]`` into ``nodes`` to keep the file small, with the first and
last interaction of the tie in hours from ``time.start_s``: the view's time filter shows the
ties active in a range of days and the actors they join, and counts what it hides.

Roles on the view follow the community cards: an actor is called *leader* only where a test
passed (heads a relay chain in a community whose relayed-orders test passed, or tops a stated
ordering); otherwise the community's top actor by
leadership score is its *most prominent*, or *first by leadership* where a relay pattern its
community's test did not confirm put it there. Brokers are those the community cards name: the top
three of each community by brokerage among the actors with a Gould-Fernandez role.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from graphkit.analytics.chain_claim import named_leader, untested_relay
from graphkit.report import figures
from graphkit.report.blocks import Block, Figure, Interactive, Para, Section
from graphkit.report.collect import CaseFacts
from graphkit.report.text import community_key, label_of, short_label
from graphkit.report.text import fmt as _fmt

__all__ = ["MAX_NETWORK_ACTORS", "MAX_PRINTED_ACTORS", "natural_key", "network_section"]

#: actors drawn in the interactive view (pan and zoom at 60 Hz without a GPU at 10k-20k:
#: docs/report.md); the others are drawn on request
MAX_NETWORK_ACTORS = 20_000
#: actors in the static picture for print (a picture of 10k dots reads as a smudge)
MAX_PRINTED_ACTORS = 1500
#: brokers named per community, as on the community cards
BROKERS_PER_COMMUNITY = 3
#: a position grid of this many units per side; rounded to 0.1 unit in the file
_SPAN = 1000.0


def natural_key(text: Any) -> tuple[Any, ...]:
    """Sort key that orders digits by value: ``C2`` before ``C10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower())
        for part in re.split(r"(\d+)", str(text))
        if part
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _roles(actors: pd.DataFrame) -> dict[str, list[str]]:
    """Each actor's roles on the view: leader / most prominent (one per community of two or
    more), broker (the top ``BROKERS_PER_COMMUNITY`` of a community by brokerage)."""
    roles: dict[str, list[str]] = {}
    comm = actors["community"].map(community_key) if "community" in actors else None
    if comm is not None and "leadership" in actors:
        sized = comm.map(comm.value_counts())
        ranked = actors.assign(_c=comm, _n=sized)
        ranked = ranked[ranked["_c"].notna() & (ranked["_n"] > 1) & ranked["leadership"].notna()]
        ranked = ranked.sort_values(["leadership", "actor_id"], ascending=[False, True])
        for _, r in ranked.drop_duplicates("_c").iterrows():
            stated = (
                bool(r.get("hierarchy_stated"))
                if not _missing(r.get("hierarchy_stated"))
                else False
            )
            leader = named_leader(
                relay_tier=r.get("relay_tier"),
                relay_confirmed=r.get("relay_confirmed"),
                ordering_stated=stated,
                level=r.get("level"),
            )
            # placed there by a relay pattern its community's test did not confirm
            untested = untested_relay(
                relay_tier=r.get("relay_tier"), relay_confirmed=r.get("relay_confirmed")
            )
            roles.setdefault(str(r["actor_id"]), []).append(
                "leader" if leader else ("first by leadership" if untested else "most prominent")
            )
    if "broker_role" in actors and comm is not None:
        # the brokers a community card names: its top three by brokerage
        brokers = actors.assign(_c=comm)[
            actors["broker_role"].map(lambda r: isinstance(r, str) and r not in ("", "none"))
        ]
        if "brokerage" in brokers:
            brokers = brokers.sort_values(["brokerage", "actor_id"], ascending=[False, True])
        for actor_id in brokers.groupby("_c", sort=False).head(BROKERS_PER_COMMUNITY)["actor_id"]:
            roles.setdefault(str(actor_id), []).append("broker")
    return roles


def _community_sizes(actors: pd.DataFrame) -> dict[str, int]:
    if "community" not in actors:
        return {}
    keys = actors["community"].map(community_key).dropna()
    return {str(k): int(n) for k, n in keys.value_counts().items()}


def _network_data(
    facts: CaseFacts, positions: dict[str, tuple[float, float]], *, drawn: set[str]
) -> dict[str, Any]:
    """The view's data: nodes (every actor), ties as index triples, hypotheses, legend."""
    a = facts.actors.sort_values(["pagerank", "actor_id"], ascending=[False, True])
    sizes = figures.node_sizes(a["pagerank"], smallest=2.5, largest=16)
    roles = _roles(a)
    sizes_by_comm = _community_sizes(a)
    nodes: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for r, size in zip(a.to_dict("records"), sizes, strict=True):
        actor_id = str(r["actor_id"])
        comm = community_key(r.get("community"))
        single = comm is None or sizes_by_comm.get(comm, 0) < 2
        name = r.get("name")
        xy = positions.get(actor_id) if actor_id in drawn else None
        index[actor_id] = len(nodes)
        nodes.append(
            {
                "id": actor_id,
                "label": label_of(r),
                "name": name if isinstance(name, str) and name.strip() else None,
                "short": short_label(r),
                "x": round(xy[0] * _SPAN, 1) if xy else None,
                "y": round(xy[1] * _SPAN, 1) if xy else None,
                "size": round(float(size), 1),
                "community": comm,
                "single": single,
                "color": figures.community_colour(None if single else comm),
                "kind": r.get("kind"),
                "phones": list(r["phones"]) if r.get("phones") is not None else [],
                "roles": roles.get(actor_id, []),
                "pagerank": _fmt(r.get("pagerank")),
                "betweenness": _fmt(r.get("betweenness")),
                "leadership": _fmt(r.get("leadership")),
                "level": _fmt(r.get("level")),
                "superior": r.get("superior") if isinstance(r.get("superior"), str) else None,
                "role": r.get("broker_role") if isinstance(r.get("broker_role"), str) else None,
                "why": r.get("explanation") or "",
            }
        )
    t = facts.ties
    if len(t):
        t = t[t["a"].isin(index) & t["b"].isin(index)]
    timed, span = _timed_edges(t, index)
    # ties between drawn actors are drawn; the others wait until an end is drawn on request
    both = (t["a"].isin(drawn) & t["b"].isin(drawn)).tolist() if len(t) else []
    edges = [e for e, ok in zip(timed, both, strict=True) if ok]
    more_edges = [e for e, ok in zip(timed, both, strict=True) if not ok]
    owner = {
        p: a
        for a, phones in zip(facts.actors["actor_id"], facts.actors["phones"], strict=True)
        for p in (phones if phones is not None else [])
    }
    hypotheses = []
    for kind, frame in (("predicted link", facts.predicted), ("hand-off", facts.handoffs)):
        for h in frame.itertuples():
            s, d = owner.get(h.src, h.src), owner.get(h.dst, h.dst)
            if s in index and d in index and s != d:
                hypotheses.append(
                    {
                        "from": s,
                        "to": d,
                        "kind": kind,
                        "score": _fmt(float(h.score)),
                        "status": h.status,
                    }
                )
    communities = [
        {"id": c, "size": n, "color": figures.community_colour(c)}
        for c, n in sorted(sizes_by_comm.items(), key=lambda kv: natural_key(kv[0]))
        if n > 1
    ]
    return {
        "nodes": nodes,
        "edges": edges,
        "more_edges": more_edges,
        "hypotheses": hypotheses,
        "communities": communities,
        "singletons": sum(1 for n in nodes if n["single"]),
        "single_color": figures.community_colour(None),
        "drawn": len(drawn),
        "total": len(nodes),
        "time": span,
    }


_HOUR_S = 3600.0


def _timed_edges(
    ties: pd.DataFrame, index: dict[str, int]
) -> tuple[list[list[float | int | None]], dict[str, Any] | None]:
    """Ties as ``[i, j, weight, first_h, last_h]``: the first and last interaction in whole
    hours from ``span["start_s"]`` (None for a tie recorded without times, such as a
    pre-aggregated contact), and the span of every tie's times (None when no tie has one)."""
    a, b, w = ties.get("a", []), ties.get("b", []), ties.get("weight", [])
    if "first_s" in ties and "last_s" in ties and len(ties):
        first = pd.to_numeric(ties["first_s"], errors="coerce").to_numpy(dtype=float)
        last = pd.to_numeric(ties["last_s"], errors="coerce").to_numpy(dtype=float)
    else:
        first = last = np.full(len(ties), np.nan)
    timed = ~(np.isnan(first) | np.isnan(last))
    if not timed.any():
        return [
            [index[x], index[y], round(float(v), 2), None, None]
            for x, y, v in zip(a, b, w, strict=True)
        ], None
    start = float(np.floor(first[timed].min() / _HOUR_S) * _HOUR_S)
    # [first_h, last_h): the hours from the one of the first interaction to the one after
    # the last, so a range [from, to) holds a tie exactly when first < to and last >= from
    first_h = np.floor((first - start) / _HOUR_S)
    last_h = np.floor((last - start) / _HOUR_S) + 1
    end = start + float(np.nanmax(last_h)) * _HOUR_S
    edges: list[list[float | int | None]] = [
        [
            index[x],
            index[y],
            round(float(v), 2),
            int(f) if ok else None,
            int(e) if ok else None,
        ]
        for x, y, v, f, e, ok in zip(a, b, w, first_h, last_h, timed, strict=True)
    ]
    return edges, {"start_s": start, "end_s": end, "untimed": int((~timed).sum())}


def network_section(
    facts: CaseFacts, *, seed: int
) -> tuple[Section, dict[str, tuple[float, float]]]:
    """The interactive network view and the static picture; returns the layout used."""
    if facts.actors.empty:
        return Section(
            "network",
            "Network",
            (
                Para(
                    "No network yet: "
                    + facts.missing.get("analytics", "run `graphkit analyze`")
                    + "."
                ),
            ),
        ), {}
    shown = facts.actors.nlargest(MAX_NETWORK_ACTORS, "pagerank")
    positions = figures.network_layout(shown, facts.ties, seed=seed)
    printed = shown.nlargest(MAX_PRINTED_ACTORS, "pagerank")
    png = figures.network_png(printed, facts.ties, positions)
    static = Figure(
        "network",
        png,
        "The actor network for print: colour = community, size = PageRank centrality; the "
        "most central actors are named"
        + (
            f" ({len(printed):,} most central of {len(facts.actors):,} actors)."
            if len(printed) < len(facts.actors)
            else "."
        ),
    )
    blocks: list[Block] = [
        Para(
            "Each dot is an actor (a resolved person, or a phone number no person is known to "
            "use); lines are observed ties: calls, texts, money and recorded contacts. Colour "
            "shows the community (grey: actors in no community of two or more), size the "
            "PageRank centrality. Search by name, number or id; pick communities in the legend "
            "or a role; hover a dot for its card, click it for its details and why it ranks "
            "where it does. Red lines are hypotheses (predicted links, hand-offs), not observed "
            "ties."
        ),
    ]
    if len(shown) < len(facts.actors):
        blocks.append(
            Para(
                f"Drawing the {len(shown):,} most central of {len(facts.actors):,} actors; "
                f"search, or the details of an actor tied to them, draws any of the other "
                f"{len(facts.actors) - len(shown):,}.",
                muted=True,
            )
        )
    drawn = set(shown["actor_id"].astype(str))
    blocks.append(Interactive(_network_data(facts, positions, drawn=drawn), fallback=static))
    blocks.append(static)
    return Section("network", "Network", tuple(blocks)), positions
