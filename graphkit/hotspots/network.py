"""Where the network meets the map: the grid cells where a set of actors' phones were active.

A call record places its caller's phone at the cell tower it used (``src_cdr.cell_id`` ->
``src_towers`` latitude/longitude); the tower is binned into the forecast grid. A tower
position is where the mast stands, not where the phone was: a phone a few kilometres away
can use it, so the cells are a coarse footprint, not a track.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from graphkit.hotspots.grid import WGS84, FloatArray, Grid, project

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["phone_activity"]


def phone_activity(store: CaseStore, grid: Grid, actor_ids: list[str]) -> FloatArray | None:
    """Call records per cell made by the phones of ``actor_ids`` (a (ny, nx) array), or None
    when the case has no call records with cell ids or no tower positions."""
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
            GROUP BY t.lon, t.lat
            """,
            {"ids": actor_ids},
        ).fetchall()
    if not rows:
        return None
    lon, lat, records = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    x, y = project(lon, lat, src=WGS84, dst=grid.crs)
    return grid.histogram(grid.cell_of(x, y), records)
