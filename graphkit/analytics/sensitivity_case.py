"""Which leaders and brokers survive another entity-resolution threshold (analyze part
``sensitivity``).

The case's persons come from clustering scored record pairs at one match threshold. A looser
threshold (the bottom of the review band) merges more records, a stricter one (its top)
fewer; either gives other persons, another actor graph and possibly other leaders and
brokers. For each variant this runs the real stages on a throw-away copy of the case
(:meth:`graphkit.store.CaseStore.scratch_copy`; re-cluster the stored pairs with
:func:`resolution.stage.recluster_case`,
:func:`graphkit.build.build_graph`, :func:`graphkit.analytics.stage.analyze` with the recorded
seed and settings) and compares the top of each ranking with
:func:`graphkit.analytics.sensitivity.rank_survival` (actors matched through their phones).

Stored: table ``analytics_sensitivity`` (``ranking`` = ``leaders`` | ``brokers``,
``actor_id``, ``rank``, ``rank_loose``, ``rank_strict``, ``survives``) and the manifest stage
``sensitivity`` (thresholds, top-k overlap and Kendall tau per ranking and variant). The
case's own results are only read.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.analytics.sensitivity import rank_survival, ranking_agreement
from graphkit.store import writes
from graphkit.views import view

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "RANKINGS",
    "ResolutionSensitivity",
    "rerun_at_threshold",
    "resolution_sensitivity",
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

    def summary(self) -> dict[str, Any]:
        survivors = self.table.groupby("ranking")["survives"].agg(["sum", "size"])
        return {
            "thresholds": self.thresholds,
            "agreement": self.agreement,
            "top_k": self.top_k,
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


def _analysis_spec(settings: dict[str, Any]) -> Any:
    from graphkit.analytics.measures import AnalysisSpec

    known = {f.name for f in fields(AnalysisSpec)}
    raw = {k: v for k, v in settings.get("spec", {}).items() if k in known}
    if isinstance(raw.get("directed_tokens"), list):
        raw["directed_tokens"] = tuple(raw["directed_tokens"])
    return AnalysisSpec(**raw)


def rerun_at_threshold(
    store: CaseStore, workdir: Path, name: str, threshold: float
) -> pd.DataFrame:
    """Resolution, build and analysis re-run at ``threshold`` on a copy of the case under
    ``workdir``; returns the copy's ``actor_id``, ``phones``, ``leadership``, ``betweenness``."""
    from graphkit.analytics.stage import analyze
    from graphkit.build import build_graph
    from resolution.spec import ResolutionSpec
    from resolution.stage import recluster_case

    resolve = store.stage("resolve") or {}
    variant = store.scratch_copy(workdir / name)
    known = {f.name for f in fields(ResolutionSpec)}
    spec = ResolutionSpec(**{k: v for k, v in resolve.get("settings", {}).items() if k in known})
    built = (store.stage("build") or {}).get("settings", {})
    settings = (store.stage("analyze") or {}).get("settings", {})
    # the copy is a scratch case: its stages run through its own write path and are thrown away
    with variant.operation("sensitivity re-run", operation="combination") as op:
        recluster_case(variant, spec=replace(spec, threshold_probability=threshold))
        build_graph(variant, confirmed_handoffs=built.get("confirmed_handoffs") != "ignored")
        analyze(
            variant,
            seed=int(settings.get("seed", 0)),
            only=["hierarchy", "brokers"],
            spec=_analysis_spec(settings),
        )
        return op.con.execute(
            "SELECT actor_id, phones, leadership, betweenness FROM analytics_actor"
        ).df()


def resolution_sensitivity(store: CaseStore, *, top_k: int = 10) -> ResolutionSensitivity | None:
    """Leaders and brokers under the review band's loose and strict thresholds; None when the
    case has no entity resolution with a review band, or no leaders and brokers yet."""
    resolve = store.stage("resolve")
    if resolve is None:
        return None
    base_threshold, chosen = variant_thresholds(resolve.get("settings", {}))
    if not chosen:
        return None
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return None
        base = con.execute(
            "SELECT actor_id, phones, leadership, betweenness FROM analytics_actor"
        ).df()
    if base.empty:
        return None
    variants: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="graphkit-sensitivity-") as tmp:
        for name, threshold in chosen.items():
            log.info("sensitivity: re-running resolution at %.3f (%s)", threshold, name)
            variants[name] = rerun_at_threshold(store, Path(tmp), name, threshold)
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
    return ResolutionSensitivity(table, {"base": base_threshold, **chosen}, agreement, top_k)


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
