"""Which communities look organised: the tests each one passed, and an order to read them in.

An analyst should meet the communities that carry evidence of organisation first, not
community C0 because it is the largest. Each community is credited with the tests it passed,
each named (a claim is a test that passed):

* ``ordering``: the ordering test (:mod:`graphkit.analytics.ordering`) stated a chain of
  command (q-value and effect size both passed);
* ``relayed orders``: the community's relayed-orders test stated a chain of command
  (:mod:`graphkit.analytics.relay_test`). A member's relay tier alone
  (:mod:`graphkit.analytics.relays`: contacts relayed onward more than the callees' own rates
  predict) is not counted: that comparison fires on bursts of everyday calls (on bursty
  households without orders it names heads in most communities, docs/analytics.md);
* ``group blackout``: two or more members fell silent together in a blackout that passed the
  blackout test (:mod:`graphkit.signals.groups`, stored only when significant);
* ``hand-offs``: a member's phone is in a hand-off confirmed by review (a hypothesis above
  its threshold is not enough: on the demo case nearly every community has one).

Communities are ordered by the number of tests passed, then by the ordering test's q-value,
then by size. Nothing here is a new test: it only counts the ones above.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["EVIDENCE", "organisation"]

EVIDENCE = ("ordering", "relayed orders", "group blackout", "hand-offs")


def _phone_owner(actors: pd.DataFrame) -> dict[str, str]:
    owner: dict[str, str] = {}
    for actor_id, phones in zip(actors["actor_id"], actors.get("phones", []), strict=False):
        owner[str(actor_id)] = str(actor_id)
        if phones is None or (isinstance(phones, float) and math.isnan(phones)):
            continue
        for phone in phones:
            owner.setdefault(str(phone), str(actor_id))
    return owner


def organisation(
    communities: pd.DataFrame,
    actors: pd.DataFrame,
    blackouts: pd.DataFrame | None = None,
    handoffs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``communities`` with ``evidence`` (the tests passed, in :data:`EVIDENCE` order),
    ``evidence_count`` and ``organisation_rank`` (1 = read first), sorted by that rank."""
    out = communities.copy()
    if out.empty:
        return out.assign(evidence=[], evidence_count=[], organisation_rank=[])
    community_of = dict(zip(actors["actor_id"].astype(str), actors["community"], strict=True))
    owner = _phone_owner(actors)
    passed: dict[object, set[str]] = {c: set() for c in out["community"]}

    ordered = "ordering_stated" if "ordering_stated" in out else "hierarchy_stated"
    if ordered in out:
        for c, stated in zip(out["community"], out[ordered], strict=True):
            if bool(stated) and not pd.isna(stated):
                passed[c].add("ordering")
    if "relay_test_stated" in out:
        for c, stated in zip(out["community"], out["relay_test_stated"], strict=True):
            if bool(stated) and not pd.isna(stated):
                passed[c].add("relayed orders")
    if blackouts is not None and len(blackouts):
        for members in blackouts.loc[blackouts["kind"] == "group", "members"]:
            seen = pd.Series(
                [community_of.get(owner.get(str(m), str(m))) for m in list(members)]
            ).value_counts()
            for c in seen[seen >= 2].index:
                passed.setdefault(c, set()).add("group blackout")
    if handoffs is not None and len(handoffs):
        strong = handoffs[handoffs["status"] == "confirmed"]
        for phone in np.r_[strong["src"].to_numpy(), strong["dst"].to_numpy()]:
            c = community_of.get(owner.get(str(phone), ""))
            if c is not None:
                passed.setdefault(c, set()).add("hand-offs")

    out["evidence"] = [[e for e in EVIDENCE if e in passed.get(c, set())] for c in out["community"]]
    out["evidence_count"] = out["evidence"].map(len)
    q = out["hierarchy_q_value"] if "hierarchy_q_value" in out else pd.Series(1.0, index=out.index)
    out = (
        out.assign(_q=q.fillna(1.0))
        .sort_values(
            ["evidence_count", "_q", "size", "community"], ascending=[False, True, False, True]
        )
        .drop(columns="_q")
    )
    out["organisation_rank"] = np.arange(1, len(out) + 1)
    return out
