"""Which leaders and brokers survive another entity-resolution threshold (analyze part
``sensitivity``).

The case's persons come from clustering scored record pairs at one match threshold. A looser
threshold (the bottom of the review band) merges more records, a stricter one (its top)
fewer; either gives other persons, another actor graph and possibly other leaders and
brokers. :func:`graphkit.pipeline.sensitivity` re-runs the real stages for each variant on a
throw-away copy of the case; :func:`compare_rankings` here compares the top of each ranking
with :func:`graphkit.analytics.sensitivity.rank_survival` (actors matched through their
phones) and :func:`store_sensitivity` stores the result.

Stored: table ``analytics_sensitivity`` (``ranking`` = ``leaders`` | ``brokers``,
``actor_id``, ``rank``, ``rank_loose``, ``rank_strict``, ``survives``) and the manifest stage
``sensitivity`` (thresholds, top-k overlap and Kendall tau per ranking and variant). The
case's own results are only read.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.analytics.sensitivity import actor_keys, rank_survival, ranking_agreement
from graphkit.store import writes
from graphkit.views import view

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "RANKINGS",
    "ResolutionSensitivity",
    "compare_rankings",
    "held_communities",
    "sensitivity_view",
    "store_sensitivity",
    "variant_thresholds",
]

log = logging.getLogger(__name__)

#: ranking name -> the ``analytics_actor`` column it orders by (as ``show leaders`` and
#: ``show brokers`` do)
RANKINGS = {"leaders": "leadership", "brokers": "betweenness"}
_VARIANTS = ("loose", "strict")


@dataclass(frozen=True)
class ResolutionSensitivity:
    """Top-``top_k`` leaders and brokers and their rank under each threshold variant."""

    table: pd.DataFrame  # ranking, actor_id, rank, rank_loose, rank_strict, survives
    thresholds: dict[str, float]  # "base" and each variant -> match threshold
    agreement: dict[str, dict[str, dict[str, float]]]  # ranking -> variant -> measures
    top_k: int
    #: per variant: wall and CPU seconds of its re-run and whether the measures were re-run;
    #: ``total`` where the variants ran side by side (else the sum of theirs)
    seconds: dict[str, dict[str, Any]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        survivors = self.table.groupby("ranking")["survives"].agg(["sum", "size"])
        variants = {k: v for k, v in self.seconds.items() if k != "total"}
        total = self.seconds.get("total") or {
            "wall": round(sum(float(s.get("wall", 0.0)) for s in variants.values()), 3),
            "cpu": round(sum(float(s.get("cpu", 0.0)) for s in variants.values()), 3),
        }
        return {
            "thresholds": self.thresholds,
            "agreement": self.agreement,
            "top_k": self.top_k,
            "seconds": {**variants, "total": total},
            "survivors": {
                str(r): f"{int(s['sum'])} of {int(s['size'])}" for r, s in survivors.iterrows()
            },
        }


def variant_thresholds(resolve_settings: dict[str, Any]) -> tuple[float, dict[str, float]]:
    """The base match threshold and the review band's edges that differ from it."""
    base = float(resolve_settings.get("threshold_probability", 0.9))
    band = {
        "loose": float(resolve_settings.get("review_low_probability", base)),
        "strict": float(resolve_settings.get("review_high_probability", base)),
    }
    return base, {k: v for k, v in band.items() if abs(v - base) > 1e-9}


def held_communities(actors: pd.DataFrame, case_communities: pd.DataFrame) -> dict[str, int]:
    """The case's communities carried over to a variant's actors, matched as the rankings are
    (:func:`graphkit.analytics.sensitivity.actor_keys`: through their phones, or their own id
    when they have none). Each actor of ``actors`` (``actor_id``, ``phones``) takes the
    community most of its keys have in ``case_communities`` (``actor_id``, ``phones``,
    ``community`` as an integer label >= 0; a tie: the lowest label); an actor none of whose
    keys the case holds is a community of its own. Independent of the frames' row order."""
    case = actor_keys(case_communities).merge(
        case_communities[["actor_id", "community"]], on="actor_id"
    )
    community_of = dict(zip(case["key"], case["community"].astype(int), strict=True))
    alone = max(community_of.values(), default=-1) + 1
    held: dict[str, int] = {}
    keys = actor_keys(actors).groupby("actor_id", sort=True)["key"]
    for actor_id, its_keys in keys:
        counts = Counter(community_of[k] for k in its_keys if k in community_of)
        if counts:
            top = max(counts.values())
            held[str(actor_id)] = min(c for c, n in counts.items() if n == top)
        else:
            held[str(actor_id)] = alone
            alone += 1
    return held


def compare_rankings(
    base: pd.DataFrame,
    variants: dict[str, pd.DataFrame],
    thresholds: dict[str, float],
    *,
    top_k: int = 10,
    seconds: dict[str, dict[str, Any]] | None = None,
) -> ResolutionSensitivity:
    """The top-``top_k`` leaders and brokers of ``base`` and their ranks in each variant
    (frames of ``actor_id``, ``phones``, ``leadership``, ``betweenness``; actors matched
    through their phones). ``thresholds``: ``base`` and each variant's match threshold;
    ``seconds``: what each variant's re-run cost (kept in the summary)."""
    tables = []
    agreement: dict[str, dict[str, dict[str, float]]] = {}
    for ranking, column in RANKINGS.items():
        t = rank_survival(base, variants, column=column, top_k=top_k)
        for v in _VARIANTS:  # one schema whichever variants exist
            if f"rank_{v}" not in t.columns:
                t[f"rank_{v}"] = pd.Series(dtype="float64")
        tables.append(t.assign(ranking=ranking))
        agreement[ranking] = {
            n: ranking_agreement(base, v, column=column, top_k=top_k) for n, v in variants.items()
        }
    cols = ["ranking", "actor_id", "rank", *(f"rank_{v}" for v in _VARIANTS), "survives"]
    table = pd.concat(tables, ignore_index=True)[cols]
    return ResolutionSensitivity(table, thresholds, agreement, top_k, dict(seconds or {}))


@writes("analyze", operation="combination")
def store_sensitivity(store: CaseStore, result: ResolutionSensitivity) -> dict[str, Any]:
    """Write ``analytics_sensitivity`` and record stage ``sensitivity``; returns its summary."""
    with store.connect() as con:
        con.register("sensitivity_frame", result.table)
        con.execute(
            "CREATE OR REPLACE TABLE analytics_sensitivity AS "
            "SELECT ranking, actor_id, CAST(rank AS INTEGER) AS rank, "
            "CAST(rank_loose AS INTEGER) AS rank_loose, "
            "CAST(rank_strict AS INTEGER) AS rank_strict, survives "
            "FROM sensitivity_frame ORDER BY ranking DESC, rank"
        )
        con.unregister("sensitivity_frame")
    summary = result.summary()
    store.record_stage("sensitivity", settings={"top_k": result.top_k}, summary=summary)
    return summary


@view(
    "sensitivity",
    help="top leaders and brokers and their rank when entity resolution is looser or stricter",
    actors=("actor_id",),
)
def sensitivity_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_sensitivity"):
            return []
        cur = con.execute(
            "SELECT ranking, actor_id, rank, rank_loose, rank_strict, survives "
            "FROM analytics_sensitivity ORDER BY ranking DESC, rank LIMIT ?",
            [limit if limit is not None else 2**62],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
