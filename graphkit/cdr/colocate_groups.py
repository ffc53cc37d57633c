"""Co-location groups: three phones or more seen *all together*, repeatedly, at places none of
them usually is.

Joining co-located pairs into connected components chains friends of friends: on a simulated
case of 2,000 people one such component held 1,381 of 2,274 phones. A group here is instead
stated from the occasions themselves:

**Gatherings.** Each unusual occasion of a reported pair (its first and last record, its cells)
is a piece of evidence; two pieces on a common cell whose spans come within ``window_s`` of
each other are one *gathering* (the phones at one place at one time). A gathering is short and
on one place: it cannot chain across days or across the city.

**Group.** A set of three phones or more such that (1) every two of them are a reported pair,
and (2) all of them were at one gathering on :data:`MIN_GROUP_OCCASIONS` (3) occasions or
more, or ``min_times`` where that is more. Only the largest
such sets are stated (a set inside a stated group is not stated again).

**Test.** Each pair passed the pair test at the false discovery rate (Benjamini-Hochberg over
every pair tested). The group claim is that *every* pair among its phones was co-located: an
intersection-union test (Berger 1982), whose p-value is the largest of its pairs' p-values;
the group's ``q_value`` is likewise the largest of its pairs' q-values, so the group stands at
the rate each of its pairs does. The gatherings are the evidence shown with it (times, cells);
two tie meetings that happen to fall on one cell at one time give a gathering of four phones
once, never the same four again, and are not a group.

Where results can vary: a member whose phone was silent at a meeting, or whose records fell on
a neighbouring cell (with ``distance_m`` unset), is not at that gathering; a circle whose
members changed phones part-way shows as two groups, one per set of phones.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

__all__ = ["MIN_GROUP", "MIN_GROUP_OCCASIONS", "find_groups"]

MIN_GROUP = 3
"""phones in the smallest group"""
MIN_GROUP_OCCASIONS = 3
"""gatherings with all of a group's phones it needs at least (or ``min_times`` if more). With
two, a third phone near a meeting pair by chance twice made two reported pairs out of the same
two coincidences and a false group: on five simulated cases of 2,000 people, 15 of 77 groups
were false, all with two occasions; with three, none of 45 (recall over the planted circles
0.875 to 1, 0.925 on average; tests/cdr/test_colocate.py, docs/cdr.md)"""


def _gatherings(pairs: list[dict[str, Any]], window_s: int) -> list[dict[str, Any]]:
    """The pairs' unusual occasions merged where they share a cell and their spans come
    within ``window_s`` of each other: phones, first, last and cells of each gathering."""
    pieces = [
        (r["a"], r["b"], o["first"], o["last"], tuple(o["cells"])) for r in pairs for o in r["seen"]
    ]
    parent = list(range(len(pieces)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_cell: dict[str, list[int]] = defaultdict(list)
    for i, piece in enumerate(pieces):
        for cell in piece[4]:
            by_cell[cell].append(i)
    for members in by_cell.values():
        members.sort(key=lambda i: pieces[i][2])
        head, end = members[0], pieces[members[0]][3]
        for i in members[1:]:
            if (pieces[i][2] - end).total_seconds() <= window_s:
                parent[root(i)] = root(head)
                end = max(end, pieces[i][3])
            else:
                head, end = i, pieces[i][3]
    merged: dict[int, list[int]] = defaultdict(list)
    for i in range(len(pieces)):
        merged[root(i)].append(i)
    out = []
    for members in merged.values():
        phones = {p for i in members for p in pieces[i][:2]}
        if len(phones) < MIN_GROUP:
            continue
        out.append(
            {
                "phones": frozenset(phones),
                "first": min(pieces[i][2] for i in members),
                "last": max(pieces[i][3] for i in members),
                "cells": sorted({c for i in members for c in pieces[i][4]}),
            }
        )
    out.sort(key=lambda g: g["first"])
    return out


def _candidates(sets: list[frozenset[str]], min_times: int) -> set[frozenset[str]]:
    """Sets of three phones or more that lie in ``min_times`` of ``sets`` or more: the
    intersections of the sets, closed under intersection (a handful of gatherings of three
    or more phones: a loop)."""
    found = (
        {s for s in sets if len(s) >= MIN_GROUP}
        if min_times <= 1
        else {a & b for a, b in combinations(sets, 2) if len(a & b) >= MIN_GROUP}
    )
    frontier = set(found)
    while frontier:
        fresh = {c & s for c in frontier for s in sets if len(c & s) >= MIN_GROUP} - found
        found |= fresh
        frontier = fresh
    return {c for c in found if sum(c <= s for s in sets) >= min_times}


def _cliques(phones: frozenset[str], paired: set[tuple[str, str]]) -> list[frozenset[str]]:
    """Maximal sets of three phones or more in ``phones`` of which every two are a pair."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_edges_from((a, b) for a, b in combinations(sorted(phones), 2) if (a, b) in paired)
    return [frozenset(c) for c in nx.find_cliques(graph) if len(c) >= MIN_GROUP]


def find_groups(
    pairs: list[dict[str, Any]], *, window_s: int, min_times: int
) -> list[dict[str, Any]]:
    """Groups among the reported ``pairs`` (rows of :func:`graphkit.cdr.colocate.
    find_colocations`, each with ``a`` < ``b``, ``seen``, ``p_value``, ``q_value`` and names
    where known), largest first: see the module docstring. Each group: ``phones`` (sorted),
    ``phones_names``, ``phones_actors`` (actor ids where the case is built), ``size``,
    ``pairs`` (every two of its phones), ``occasions`` (how many gatherings had all of them)
    and ``seen`` (those gatherings: first, last, cells, phones present), ``first``, ``last``,
    ``p_value`` and ``q_value`` (the largest of its pairs')."""
    if not pairs:
        return []
    need = max(min_times, MIN_GROUP_OCCASIONS)
    gatherings = _gatherings(pairs, window_s)
    by_pair = {(r["a"], r["b"]): r for r in pairs}
    groups: set[frozenset[str]] = set()
    for candidate in _candidates([g["phones"] for g in gatherings], need):
        for clique in _cliques(candidate, set(by_pair)):
            if sum(clique <= g["phones"] for g in gatherings) >= need:
                groups.add(clique)
    stated = [g for g in groups if not any(g < other for other in groups)]
    names = {r[s]: r.get(f"{s}_name") for r in pairs for s in ("a", "b")}
    actors = {r[s]: r.get(f"{s}_actor") for r in pairs for s in ("a", "b")}
    out = []
    for members in stated:
        phones = sorted(members)
        inside = [by_pair[(a, b)] for a, b in combinations(phones, 2)]
        met = [g for g in gatherings if members <= g["phones"]]
        out.append(
            {
                "phones": phones,
                "phones_names": [names.get(p) for p in phones],
                "phones_actors": [actors.get(p) for p in phones],
                "size": len(phones),
                "pairs": len(inside),
                "occasions": len(met),
                "first": met[0]["first"],
                "last": met[-1]["last"],
                "p_value": max(r["p_value"] for r in inside),
                "q_value": max(r["q_value"] for r in inside),
                "seen": [
                    {
                        "first": g["first"],
                        "last": g["last"],
                        "cells": g["cells"],
                        "phones_present": len(g["phones"]),
                    }
                    for g in met
                ],
            }
        )
    out.sort(key=lambda g: (-g["size"], -g["occasions"], g["q_value"], g["phones"]))
    return out
