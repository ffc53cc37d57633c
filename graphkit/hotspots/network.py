"""Where the network meets the map: the grid cells where a set of actors' phones were active.

A call record places its caller's phone at the cell tower it used (``src_cdr.cell_id`` ->
``src_towers`` latitude/longitude; rows flagged as exact duplicates at ingest left out); the
tower is binned into the forecast grid. A tower
position is where the mast stands, not where the phone was: a phone a few kilometres away
can use it, so the cells are a coarse footprint, not a track.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graphkit.errors import CaseError
from graphkit.hotspots.grid import WGS84, FloatArray, Grid, project

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["PhonesOf", "phone_activity", "phone_footprint", "phones_of"]


def phone_activity(store: CaseStore, grid: Grid, actor_ids: list[str]) -> FloatArray | None:
    """Call records per cell made by the phones of ``actor_ids`` (a (ny, nx) array), or None
    when the case has no call records with cell ids or no tower positions. Records at towers
    beyond the grid are not in it (:func:`phone_footprint` counts them)."""
    found = phone_footprint(store, grid, actor_ids)
    return None if found is None else found[0]


def phone_footprint(
    store: CaseStore, grid: Grid, actor_ids: list[str]
) -> tuple[FloatArray, int] | None:
    """(call records per cell, records at towers beyond the grid) for the phones of
    ``actor_ids``; None when the case has no call records with cell ids or no towers."""
    with store.connect() as con:
        for table in ("src_cdr", "src_towers", "actor"):
            if not store.table_exists(con, table):
                return None
        rows = con.execute(
            """
            WITH phones AS (
              SELECT DISTINCT unnest(phones) AS phone FROM actor WHERE list_contains($ids, actor_id)
            ), towers AS (
              SELECT cell_id, any_value(lat) AS lat, any_value(lon) AS lon FROM src_towers
              WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY cell_id
            )
            SELECT t.lon, t.lat, count(*) AS records
            FROM src_cdr c JOIN phones p ON c.caller = p.phone
            JOIN towers t ON t.cell_id = c.cell_id
            WHERE NOT coalesce(c.is_duplicate, false)
            GROUP BY t.lon, t.lat
            """,
            {"ids": actor_ids},
        ).fetchall()
    if not rows:
        return None
    lon, lat, records = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    x, y = project(lon, lat, src=WGS84, dst=grid.crs)
    cells = grid.cell_of(x, y)
    return grid.histogram(cells, records), int(records[cells < 0].sum())


_COMMUNITY = re.compile(r"^\s*[Cc](\d+)\s*$")


@dataclass(frozen=True)
class PhonesOf:
    """Whose phones go on the map: the actors, and how a reader is told who they are."""

    actor_ids: tuple[str, ...]
    label: str

    def to_dict(self) -> dict[str, Any]:
        return {"actor_ids": list(self.actor_ids), "label": self.label}


def _community_members(store: CaseStore, number: int) -> list[str]:
    with store.connect() as con:
        if not store.table_exists(con, "analytics_actor"):
            raise CaseError("no communities yet: run `graphkit analyze` first")
        rows = con.execute(
            "SELECT actor_id FROM analytics_actor WHERE CAST(community AS VARCHAR) IN (?, ?) "
            "ORDER BY actor_id",
            [str(number), f"C{number}"],
        ).fetchall()
    if not rows:
        raise CaseError(f"no community C{number} in the case (graphkit show CASE communities)")
    return [str(r[0]) for r in rows]


def phones_of(store: CaseStore, queries: tuple[str, ...]) -> PhonesOf:
    """The actors ``queries`` name: a community (``C3``) or a name, phone or id each (as
    ``graphkit show CASE actor`` finds them; one-line errors for what matches nothing)."""
    from graphkit.people import find_actors

    ids: list[str] = []
    labels: list[str] = []
    for query in queries:
        found = _COMMUNITY.match(query)
        if found:
            members = _community_members(store, int(found.group(1)))
            ids.extend(members)
            labels.append(f"community C{int(found.group(1))} ({len(members)} members)")
            continue
        for actor in find_actors(store, query):
            ids.append(actor.actor_id)
            phones = f", phones {', '.join(actor.phones)}" if actor.phones and actor.named else ""
            labels.append(f"{actor.label()}{phones}")
    unique = tuple(dict.fromkeys(ids))
    return PhonesOf(unique, "; ".join(labels))
