"""Evidence a person can check, for every actor: a dict of the numbers and one sentence.

The numbers are the ones the scores were computed from (ties inside the community, ranks,
brokerage counts), so an analyst can verify a claim such as "ranks above 7 of 9 members:
makes 31 contacts to them, receives 4" against the call records.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

if TYPE_CHECKING:
    import igraph as ig

__all__ = ["explain_actors"]


def _num(x: Any) -> Any:
    if isinstance(x, np.integer | np.bool_):
        return x.item()
    if isinstance(x, np.floating):
        x = float(x)
    if isinstance(x, float):
        return None if math.isnan(x) else round(x, 6)
    return x


def explain_actors(
    g: ig.Graph, table: pd.DataFrame, directed_layers: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Per row of ``table`` (one per vertex of ``g``): evidence dict and explanation text."""
    n = len(table)
    cols = set(table.columns)
    pr_rank = (
        rankdata(-table["pagerank"].to_numpy(), method="min").astype(int)
        if "pagerank" in cols
        else np.zeros(n, dtype=int)
    )
    evidence: list[dict[str, Any]] = []
    texts: list[str] = []
    records = table.to_dict("records")
    for i, row in enumerate(records):
        ev: dict[str, Any] = {}
        parts: list[str] = []
        if "community" in cols:
            ev["community"] = _num(row["community"])
            ev["community_confidence"] = _num(row["community_confidence"])
            parts.append(
                f"community {row['community']} (in {row['community_confidence']:.0%} of runs)"
            )
        if "pagerank" in cols:
            ev["pagerank_rank"] = int(pr_rank[i])
            ev["contacts"] = _num(row["degree"])
            parts.append(f"PageRank #{pr_rank[i]} of {n}, {row['degree']} contacts")
        if "leadership" in cols:
            for key in (
                "members",
                "members_below",
                "weight_out_in_community",
                "weight_in_in_community",
                "level",
                "superior",
                "hierarchy_p_value",
                "leadership",
            ):
                ev[key] = _num(row[key])
            directed = row["weight_out_in_community"] + row["weight_in_in_community"]
            if row["members"] > 1 and directed > 0:
                parts.append(
                    f"ranks above {row['members_below']} of {row['members'] - 1} other members: "
                    f"makes {row['weight_out_in_community']:g} directed contacts to them, "
                    f"receives {row['weight_in_in_community']:g} "
                    f"(hierarchy p={row['hierarchy_p_value']:.2g}); level {row['level']}"
                    + (f", most likely superior {row['superior']}" if row["superior"] else "")
                )
            elif row["members"] > 1:
                parts.append("no directed contacts inside the community: no rank from direction")
        if "broker_role" in cols:
            ev["broker_role"] = row["broker_role"]
            ev["brokerage"] = _num(row["brokerage"])
            ev["communities_reached"] = _num(row["communities_reached"])
            if row["broker_role"] != "none":
                role = row["broker_role"]
                parts.append(
                    f"{role} on {_num(row[role])} of {_num(row['brokerage'])} brokered paths; "
                    f"ties into {row['communities_reached']} other communities"
                )
            gain = row.get("fragmentation_gain")
            if gain is not None and not (isinstance(gain, float) and math.isnan(gain)):
                ev["fragmentation_gain"] = _num(gain)
                ev["pieces_if_removed"] = _num(row["pieces_if_removed"])
                if row["pieces_if_removed"] > 1:
                    parts.append(
                        f"removing them splits their component into "
                        f"{row['pieces_if_removed']} parts"
                    )
        evidence.append(ev)
        texts.append("; ".join(parts))
    return evidence, texts
