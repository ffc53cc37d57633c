"""Activity rhythms that follow the ties a view shows, so that a hidden tie leaves no trace.

A :class:`PairActivity` keeps the events of each tie per hour of week (a sparse pairs x 168
matrix, rows keyed like the pair keys of :mod:`gnn.splits`) and, apart, each actor's events
with no tie of the graph behind them (to a number that is no actor, between two phones of one
actor). An actor's rhythm in a view is that background plus the rows of the ties the view
shows: hiding a tie for validation or test also takes its calls out of both ends' rhythms,
their event counts and their activity profiles. Without this, the node features of a random
split would still count the calls of the ties the split asks about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["HOURS_OF_WEEK", "PairActivity", "pair_activity"]

HOURS_OF_WEEK = 168


@dataclass(frozen=True, eq=False)
class PairActivity:
    """Events per tie and hour of week (``counts``: len(keys) x 168, CSR) and per actor with
    no tie of the graph (``background``: n x 168); ``keys`` are sorted pair keys min*n+max."""

    n_nodes: int
    keys: np.ndarray
    counts: sp.csr_matrix
    background: np.ndarray

    def hour_of_week(self, visible_keys: np.ndarray | None = None) -> np.ndarray:
        """Each actor's events per hour of week over the ties in ``visible_keys`` (sorted pair
        keys; None = every tie) plus its background."""
        if visible_keys is None:
            rows = np.arange(self.keys.size)
        else:
            rows = np.flatnonzero(np.isin(self.keys, visible_keys, assume_unique=False))
        n = self.n_nodes
        keys = self.keys[rows]
        ends = np.concatenate([keys // n, keys % n])
        incidence = sp.csr_matrix(
            (np.ones(ends.size), (ends, np.tile(np.arange(rows.size), 2))), shape=(n, rows.size)
        )
        how: np.ndarray = self.background + np.asarray((incidence @ self.counts[rows]).todense())
        return how


def pair_activity(events: pd.DataFrame, node_ids: np.ndarray) -> PairActivity:
    """Build a :class:`PairActivity` from an event frame ``a``, ``b`` (actor ids; ``b`` may be
    missing or unknown), ``how`` (0-167) and ``n`` (event count), over sorted ``node_ids``.

    Events between two actors count for their tie; an event with one end that is no actor,
    or with both ends on one actor, counts in that actor's background.
    """
    n = int(node_ids.size)
    ids = pd.Index(node_ids.astype(str))
    a = ids.get_indexer(events["a"].astype(str).to_numpy())
    b = ids.get_indexer(events["b"].astype(str).where(events["b"].notna(), "").to_numpy())
    how = events["how"].to_numpy(np.int64)
    count = events["n"].to_numpy(np.float64)
    tied = (a >= 0) & (b >= 0) & (a != b)
    background = np.zeros((n, HOURS_OF_WEEK))
    # both ends on one actor: one event, counted once
    for end, alone in ((a, (a >= 0) & ~tied), (b, (b >= 0) & ~tied & (b != a))):
        np.add.at(background, (end[alone], how[alone]), count[alone])
    lo, hi = np.minimum(a, b)[tied], np.maximum(a, b)[tied]
    pair = lo.astype(np.int64) * n + hi
    keys, inv = np.unique(pair, return_inverse=True)
    counts = sp.csr_matrix(
        (count[tied], (inv, how[tied])), shape=(keys.size, HOURS_OF_WEEK), dtype=np.float64
    )
    counts.sum_duplicates()
    return PairActivity(n_nodes=n, keys=keys, counts=counts, background=background)
