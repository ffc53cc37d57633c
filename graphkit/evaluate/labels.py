"""Communities and leaders of a case against known labels of a real network.

A labels folder holds ``attributes.csv`` in the Montagna format (Cavallaro et al. 2020;
``../shared/data/montagna``): ``node`` (the identifier ingested, e.g. a contacts source's
``source``/``target``), ``familia`` (the known group; empty or ``-77`` = unknown) and
``title`` (``boss`` and ``underboss`` count as leaders). The case's ``analytics_actor`` table
(``graphkit analyze``) is joined on ``actor_id = node``:

* communities: NMI (arithmetic normalisation) and adjusted Rand index between the found
  community and the known group, over labelled nodes with a known group;
* leaders: AUC of the leadership score for "is boss or underboss" over labelled nodes, beside
  PageRank's AUC (the single centrality an analyst would otherwise sort by).

Targets (issue 5, on Montagna phones + meetings): NMI >= 0.70, leadership AUC >= 0.75.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from graphkit.analytics.evaluate import (
    adjusted_rand_index,
    montagna_attributes,
    normalized_mutual_information,
    roc_auc,
)
from graphkit.errors import InputError
from graphkit.evaluate import evaluator
from graphkit.store import CaseStore

__all__ = ["AUC_TARGET", "NMI_TARGET", "evaluate_labels"]

NMI_TARGET = 0.70
AUC_TARGET = 0.75


@evaluator(
    "labels",
    truth="labels",
    help="communities (NMI, ARI vs known group) and leadership (AUC for boss/underboss)",
)
def evaluate_labels(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return None
        actors = con.execute(
            "SELECT actor_id, community, leadership, pagerank FROM analytics_actor"
        ).df()
    attrs = montagna_attributes(Path(truth_dir))
    merged = attrs.join(actors.set_index("actor_id"), how="inner")
    if merged.empty:
        raise InputError(
            f"no actor of the case is a node of {Path(truth_dir) / 'attributes.csv'} "
            f"(nodes look like {attrs.index[0]!r}, actors like {actors['actor_id'].iloc[0]!r})"
            if len(actors) and len(attrs)
            else f"nothing to compare: {len(actors)} actors, {len(attrs)} labelled nodes"
        )
    grouped = merged[merged["family"].notna() & merged["community"].notna()]
    truth, found = grouped["family"].to_numpy(), grouped["community"].astype(str).to_numpy()
    nmi = normalized_mutual_information(truth, found) if len(grouped) else float("nan")
    ari = adjusted_rand_index(truth, found) if len(grouped) else float("nan")
    leader = merged["leader"].to_numpy(dtype=bool)
    scored = merged["leadership"].notna().to_numpy()
    both_classes = 0 < int(leader[scored].sum()) < int(scored.sum())
    auc = (
        roc_auc(leader[scored], merged["leadership"].to_numpy(dtype=float)[scored])
        if both_classes
        else float("nan")
    )
    pr_auc = (
        roc_auc(leader[scored], merged["pagerank"].to_numpy(dtype=float)[scored])
        if both_classes
        else float("nan")
    )
    rows = [
        _row("community NMI vs known group", nmi, NMI_TARGET, f"{len(grouped)} nodes"),
        _row("community adjusted Rand index", ari, None, f"{len(grouped)} nodes"),
        _row("leadership AUC (boss/underboss)", auc, AUC_TARGET, f"{int(leader.sum())} leaders"),
        _row("PageRank AUC (baseline)", pr_auc, None, f"{int(scored.sum())} nodes"),
    ]
    return {
        "metrics": {
            "labelled_actors": len(merged),
            "labelled_without_actor": len(attrs) - len(merged),
            "community_nmi": nmi,
            "community_ari": ari,
            "leadership_auc": auc,
            "pagerank_auc": pr_auc,
        },
        "passed": bool(nmi >= NMI_TARGET and auc >= AUC_TARGET),
        "rows": rows,
        "columns": ["measure", "value", "target", "passes", "over"],
    }


def _row(measure: str, value: float, target: float | None, over: str) -> dict[str, Any]:
    return {
        "measure": measure,
        "value": None if np.isnan(value) else round(value, 4),
        "target": target,
        "passes": None if target is None or np.isnan(value) else bool(value >= target),
        "over": over,
    }
