"""Sensitivity of the leader ranking to the entity-resolution threshold, for the report.

The case's persons come from clustering scored record pairs at one match threshold. A looser
threshold (the bottom of the review band) merges more records, a stricter one (its top)
fewer; either gives other persons, another actor graph and possibly other leaders. For each
variant this runs the real stages on a throw-away copy of the case (re-cluster the stored
pairs with :func:`resolution.case.recluster_case`, :func:`graphkit.build.build_graph`,
:func:`graphkit.analytics.run.analyze` with the recorded seed and settings) and compares the
top of the leadership ranking with :func:`graphkit.analytics.sensitivity.rank_survival`.
The case itself is only read.

When the analytics stage stores its own ``analytics_sensitivity`` table, the report shows that
instead; this module is the fallback that keeps the report complete until then.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["LeaderSensitivity", "leader_sensitivity"]

log = logging.getLogger(__name__)

_SKIP = {"reports", "keys", "audit.jsonl"}


@dataclass(frozen=True)
class LeaderSensitivity:
    """Top-``top_k`` leaders and their rank under each threshold variant."""

    table: pd.DataFrame  # actor_id, rank, rank_<variant>..., survives
    thresholds: dict[str, float]  # variant name -> match threshold (base included)
    agreement: dict[str, dict[str, float]]  # variant -> jaccard_top_k, kendall_tau
    top_k: int


def _analysis_spec(settings: dict[str, Any]) -> Any:
    from graphkit.analytics.actors import AnalysisSpec

    known = {f.name for f in fields(AnalysisSpec)}
    raw = {k: v for k, v in settings.get("spec", {}).items() if k in known}
    if isinstance(raw.get("directed_tokens"), list):
        raw["directed_tokens"] = tuple(raw["directed_tokens"])
    return AnalysisSpec(**raw)


def _variant(
    store: CaseStore, tmp: Path, name: str, threshold: float, resolve: dict[str, Any]
) -> pd.DataFrame:
    from graphkit.analytics.run import analyze
    from graphkit.build import build_graph
    from graphkit.store import CaseStore as Store
    from resolution.case import recluster_case
    from resolution.spec import ResolutionSpec

    copy = tmp / name
    shutil.copytree(store.path, copy, ignore=lambda _d, names: [n for n in names if n in _SKIP])
    variant = Store.open(copy)
    known = {f.name for f in fields(ResolutionSpec)}
    spec = ResolutionSpec(**{k: v for k, v in resolve["settings"].items() if k in known})
    recluster_case(variant, spec=replace(spec, threshold_probability=threshold))
    build_graph(variant)
    settings = (store.stage("analyze") or {}).get("settings", {})
    analyze(
        variant,
        seed=int(settings.get("seed", 0)),
        only=["hierarchy"],
        spec=_analysis_spec(settings),
    )
    with variant.connect(read_only=True) as con:
        return con.execute("SELECT actor_id, phones, leadership FROM analytics_actor").df()


def leader_sensitivity(
    store: CaseStore, base: pd.DataFrame, *, top_k: int = 10
) -> LeaderSensitivity | None:
    """Leaders under the review band's loose and strict thresholds, or None when the case has
    no resolution or analytics to vary. ``base``: ``actor_id``, ``phones``, ``leadership``."""
    resolve = store.stage("resolve")
    if resolve is None or store.stage("analyze") is None or base.empty:
        return None
    try:
        from graphkit.analytics.sensitivity import rank_survival, ranking_agreement
    except ImportError:  # pragma: no cover - analytics without the sensitivity module
        return None
    s = resolve.get("settings", {})
    mid = float(s.get("threshold_probability", 0.9))
    candidates = {
        "loose": float(s.get("review_low_probability", mid)),
        "strict": float(s.get("review_high_probability", mid)),
    }
    chosen = {k: v for k, v in candidates.items() if abs(v - mid) > 1e-9}
    if not chosen:
        return None
    variants: dict[str, pd.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="graphkit-sensitivity-") as tmp:
        for name, threshold in chosen.items():
            log.info("sensitivity: re-running resolution at %.3f (%s)", threshold, name)
            variants[name] = _variant(store, Path(tmp), name, threshold, resolve)
    table = rank_survival(base, variants, column="leadership", top_k=top_k)
    agreement = {
        n: ranking_agreement(base, v, column="leadership", top_k=top_k) for n, v in variants.items()
    }
    return LeaderSensitivity(table, {"base": mid, **chosen}, agreement, top_k)
