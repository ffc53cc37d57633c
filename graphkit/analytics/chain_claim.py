"""Is a chain of command stated for a community? Two tests, one false discovery rate.

A community's chain of command is stated when either test passes, each with its effect
floor, at Benjamini-Hochberg q-values computed over the *joint* family of every ordering
test and every relayed-orders test of the case (so the false discovery rate holds for the
claim as a whole, not for each route apart):

* **ordering** (:mod:`graphkit.analytics.ordering`): who contacts whom lines up along one
  ordering; q <= ``fdr`` and downward excess >= ``min_effect``. Only this route draws
  SpringRank levels and superiors: relayed orders show that orders pass down, not who sits
  at which level.
* **relayed orders** (:mod:`graphkit.analytics.relay_test`): a member's contacts are passed
  on by their callees to other members more often after the contact than before it; q <=
  ``fdr`` and the best source's after/before ratio >= ``min_relay_ratio`` (1.5, fixed before
  any measurement, docs/analytics.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphkit.stats import fdr_qvalues

__all__ = [
    "BASES",
    "joint_claims",
    "named_leader",
    "passed",
    "relay_tier_of",
    "untested_relay",
]

BASES = ("ordering", "relayed orders", "ordering and relayed orders")


def passed(value: Any) -> bool:
    """A stored test outcome as a bool, missing (None, NaN, NA) as not passed."""
    return bool(value) if value is not None and not pd.isna(value) else False


def relay_tier_of(value: Any) -> int:
    """A stored relay tier as an int, missing as 0 (no tier)."""
    return int(value) if value is not None and not pd.isna(value) else 0


def named_leader(
    *, relay_tier: Any, relay_confirmed: Any, ordering_stated: Any, level: Any
) -> bool:
    """Whether an actor may be called its community's leader: it heads a relay chain
    (``relay_tier`` 2) in a community whose relayed-orders test passed, or it sits at the top
    level (0) of an ordering the ordering test stated. Otherwise it is at most first in the
    leadership ranking, a measurement (missing values count as not passed)."""
    relay = relay_tier_of(relay_tier) == 2
    top = level is not None and not pd.isna(level) and int(level) == 0
    return (relay and passed(relay_confirmed)) or (top and passed(ordering_stated))


def untested_relay(*, relay_tier: Any, relay_confirmed: Any) -> bool:
    """Whether an actor carries a relay tier its community's relayed-orders test did not
    confirm: a pattern, which may place it in the leadership ranking but names nothing."""
    return relay_tier_of(relay_tier) > 0 and not passed(relay_confirmed)


def joint_claims(
    ordering: pd.DataFrame,
    relay: pd.DataFrame | None,
    *,
    fdr: float,
    min_effect: float,
    min_relay_ratio: float,
) -> pd.DataFrame:
    """``ordering`` (the ordering test's table, one row per community 0..k-1) with the
    claim: ``q_value`` (the ordering test's, in the joint family), ``ordering_stated``,
    ``relay_test_q_value``, ``relay_test_stated``, ``stated`` (either) and ``basis`` (which of
    :data:`BASES`, or None). ``relay``: :func:`~graphkit.analytics.relay_test.relay_community_test`
    rows aligned with ``ordering`` (None: no time-stamped contacts, the ordering test alone)."""
    out = ordering.copy()
    k = len(out)
    if relay is None:
        relay = pd.DataFrame({"relay_test_tested": np.zeros(k, bool), "relay_test_p_value": np.nan})
    relay = relay.reindex(range(k))
    relay["relay_test_tested"] = relay["relay_test_tested"].fillna(False).astype(bool)
    tested_o = out["tested"].to_numpy(dtype=bool)
    tested_r = relay["relay_test_tested"].to_numpy(dtype=bool)
    p = np.r_[
        out["p_value"].to_numpy(dtype=float)[tested_o],
        relay["relay_test_p_value"].to_numpy(dtype=float)[tested_r],
    ]
    q = fdr_qvalues(p) if len(p) else np.zeros(0)
    q_o, q_r = np.full(k, np.nan), np.full(k, np.nan)
    q_o[tested_o] = q[: tested_o.sum()]
    q_r[tested_r] = q[tested_o.sum() :]
    effect = out["effect"].to_numpy(dtype=float)
    ratio = relay.get("relay_test_ratio", pd.Series(np.nan, index=relay.index)).to_numpy(
        dtype=float
    )
    with np.errstate(invalid="ignore"):
        by_ordering = tested_o & (q_o <= fdr) & (effect >= min_effect)
        by_relays = tested_r & (q_r <= fdr) & (ratio >= min_relay_ratio)
    for column in relay.columns:
        out[column] = relay[column].to_numpy()
    out["q_value"] = q_o
    out["relay_test_q_value"] = q_r
    out["ordering_stated"] = by_ordering
    out["relay_test_stated"] = by_relays
    out["stated"] = by_ordering | by_relays
    out["basis"] = [
        BASES[2] if o and r else BASES[0] if o else BASES[1] if r else None
        for o, r in zip(by_ordering.tolist(), by_relays.tolist(), strict=True)
    ]
    return out
