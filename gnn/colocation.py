"""Co-location as a pair signal: two actors' phones on the same cell within minutes, away
from where either of them usually is, on how many different days.

Every CDR event sights its caller's phone on a cell at a time. Two sightings of different
actors on one cell within ``window_s`` seconds are a *hit*; a hit on a cell that is one of
the two ends' :data:`HOME_CELLS` busiest cells says little (neighbours, colleagues, a busy
station) and is left out, the rest count once per pair and day. People who meet in person
(a planted meeting, a hidden tie that meets: docs/gnn.md) are seen together on several days
at places neither frequents; strangers rarely are.

Like the rhythms of :mod:`gnn.view_activity`, every sighting keeps the tie of the event
behind it (the pair key of caller and callee, or -1 when the callee is no actor or is the
same actor), and a view counts only the sightings of the ties it shows (and those with no
tie): a tie held out for validation takes its calls' sightings with it, out of the hits and
out of the busiest cells alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp

from graphkit.setops import unique

__all__ = ["HOME_CELLS", "WINDOW_S", "Colocation", "colocation"]

WINDOW_S = 1800
HOME_CELLS = 2
_DAY_S = 86_400

_HITS = """
    WITH b AS (SELECT actor, cell, t, tie, t // $w AS bucket FROM sight),
    shifted AS (SELECT actor, cell, t, tie, unnest([bucket, bucket + 1]) AS jb FROM b)
    SELECT least(x.actor, y.actor) AS lo, greatest(x.actor, y.actor) AS hi,
           x.t // $day AS day, x.cell, x.tie AS tie_x, y.tie AS tie_y
    FROM b x JOIN shifted y ON x.cell = y.cell AND x.bucket = y.jb
    WHERE x.actor <> y.actor AND abs(x.t - y.t) <= $w
"""


@dataclass(frozen=True, eq=False)
class Colocation:
    """Co-present sightings of actor pairs (one row per hit: pair key lo*n+hi, day, cell,
    the tie keys of the two events behind it) and each actor's sightings per cell and tie."""

    n_nodes: int
    n_cells: int
    hit_pair: np.ndarray
    hit_day: np.ndarray
    hit_cell: np.ndarray
    hit_tie_x: np.ndarray
    hit_tie_y: np.ndarray
    seen_actor: np.ndarray
    seen_cell: np.ndarray
    seen_tie: np.ndarray
    seen_n: np.ndarray

    def days(self, visible_keys: np.ndarray | None = None) -> sp.csr_matrix:
        """Symmetric n x n matrix: days on which each pair was seen together away from both
        ends' busiest cells, over the sightings of ``visible_keys`` (sorted pair keys of the
        view's ties; None = every tie) and those with no tie."""
        n, c = self.n_nodes, self.n_cells

        def shown(tie: np.ndarray) -> np.ndarray:
            if visible_keys is None:
                return np.ones(tie.size, dtype=bool)
            return (tie < 0) | np.isin(tie, visible_keys)

        m = shown(self.seen_tie)
        key = self.seen_actor[m] * c + self.seen_cell[m]
        cells, inv = np.unique(key, return_inverse=True)
        count = np.bincount(inv, weights=self.seen_n[m], minlength=cells.size)
        actor = cells // c
        order = np.lexsort((-count, actor))
        first = np.r_[0, np.flatnonzero(np.diff(actor[order])) + 1]
        rank = np.arange(order.size) - np.repeat(first, np.diff(np.r_[first, order.size]))
        home = np.sort(cells[order[rank < HOME_CELLS]])
        keep = shown(self.hit_tie_x) & shown(self.hit_tie_y)
        lo, hi = self.hit_pair // n, self.hit_pair % n
        keep &= ~np.isin(lo * c + self.hit_cell, home) & ~np.isin(hi * c + self.hit_cell, home)
        days = int(self.hit_day.max()) + 1 if self.hit_day.size else 1
        occasions = unique(self.hit_pair[keep] * days + self.hit_day[keep]) // days
        pairs, per_pair = np.unique(occasions, return_counts=True)
        a, b = pairs // n, pairs % n
        out = sp.csr_matrix(
            (np.r_[per_pair, per_pair].astype(np.float64), (np.r_[a, b], np.r_[b, a])),
            shape=(n, n),
        )
        return out


def colocation(
    sightings: pd.DataFrame, node_ids: np.ndarray, *, window_s: int = WINDOW_S
) -> Colocation:
    """Hits and sightings from a frame of CDR events: ``a`` (actor id of the phone sighted:
    the caller), ``b`` (actor id of the other end; missing or unknown = no tie), ``cell``
    and ``t`` (epoch seconds); over sorted ``node_ids``. Rows whose ``a`` is no actor are
    dropped. The self-join runs in DuckDB on cell and half-overlapping time buckets."""
    n = int(node_ids.size)
    ids = pd.Index(node_ids.astype(str))
    a = ids.get_indexer(sightings["a"].astype(str).to_numpy())
    b = ids.get_indexer(sightings["b"].astype(str).where(sightings["b"].notna(), "").to_numpy())
    ok = (a >= 0) & sightings["cell"].notna().to_numpy() & sightings["t"].notna().to_numpy()
    a, b = a[ok], b[ok]
    # cells numbered in name order: the busiest-cell ranking breaks ties by name, the same
    # whichever events a view leaves out
    cell_codes, cell_names = pd.factorize(sightings["cell"].astype(str).to_numpy()[ok], sort=True)
    tied = (b >= 0) & (b != a)
    tie = np.where(tied, np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b), -1)
    sight = pd.DataFrame(
        {
            "actor": a.astype(np.int64),
            "cell": cell_codes.astype(np.int64),
            "t": sightings["t"].to_numpy()[ok].astype(np.int64),
            "tie": tie,
        }
    )
    con = duckdb.connect()
    try:
        con.register("sight", sight)
        hits = con.execute(_HITS, {"w": int(window_s), "day": _DAY_S}).df()
        seen = con.execute("SELECT actor, cell, tie, count(*) AS n FROM sight GROUP BY ALL").df()
    finally:
        con.close()

    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        values: np.ndarray = frame[name].to_numpy(np.int64)
        return values

    return Colocation(
        n_nodes=n,
        n_cells=max(len(cell_names), 1),
        hit_pair=col(hits, "lo") * n + col(hits, "hi"),
        hit_day=col(hits, "day"),
        hit_cell=col(hits, "cell"),
        hit_tie_x=col(hits, "tie_x"),
        hit_tie_y=col(hits, "tie_y"),
        seen_actor=col(seen, "actor"),
        seen_cell=col(seen, "cell"),
        seen_tie=col(seen, "tie"),
        seen_n=seen["n"].to_numpy(np.float64),
    )
