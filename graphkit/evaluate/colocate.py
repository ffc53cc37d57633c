"""Co-location evaluator: the stored CO_LOCATED_WITH pairs against the planted meetings.

A planted pair is two phones that both have records in the same planted meeting
(``truth/meetings.csv``, written when the simulation plants meetings) on at least
``min_times`` meetings, ``min_times`` being the setting the case's ``colocate`` run used.
Precision: the share of stored pairs (not rejected by a reviewer) that are planted pairs;
recall: the share of planted pairs stored. A case simulated without meetings has no planted
pair: every stored pair is then a false alarm.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["TARGET", "evaluate_colocate", "planted_pairs", "score_pairs"]

TARGET = 0.9
"""precision and recall the issue asks for (issue 19)"""


def planted_pairs(truth_dir: Path, *, min_times: int) -> dict[tuple[str, str], int]:
    """Phone pairs (``a < b``) that met on at least ``min_times`` planted meetings, with the
    number of meetings; empty when the case was simulated without meetings."""
    path = Path(truth_dir) / "meetings.csv"
    if not path.is_file():
        return {}
    phones: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            phones[row["meeting_id"]].add(row["msisdn"])
    met: dict[tuple[str, str], int] = defaultdict(int)
    for present in phones.values():
        for a, b in combinations(sorted(present), 2):
            met[(a, b)] += 1
    return {pair: n for pair, n in met.items() if n >= min_times}


def score_pairs(
    found: Iterable[tuple[str, str]], planted: dict[tuple[str, str], int]
) -> dict[str, Any]:
    """Precision, recall and counts of ``found`` pairs (either order) against ``planted``."""
    got = {(min(a, b), max(a, b)) for a, b in found}
    hits = len(got & planted.keys())
    return {
        "planted_pairs": len(planted),
        "found_pairs": len(got),
        "true_pairs": hits,
        "false_alarms": len(got) - hits,
        "precision": hits / len(got) if got else None,
        "recall": hits / len(planted) if planted else None,
    }


@evaluator("colocate", help="precision/recall of co-located pairs vs the planted meetings")
def evaluate_colocate(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Stored co-locations vs ``truth_dir``; None when ``colocate`` has not run in the case."""
    stage = store.stage("colocate")
    if stage is None:
        return None
    min_times = int(stage.get("settings", {}).get("min_times", 2))
    with store.connect(read_only=True) as con:
        found = con.execute(
            "SELECT src, dst FROM rel_co_located_with "
            "WHERE status <> 'rejected' AND model_version LIKE 'colocate-%'"
        ).fetchall()
    planted = planted_pairs(truth_dir, min_times=min_times)
    metrics = score_pairs(((str(a), str(b)) for a, b in found), planted)
    metrics["min_times"] = min_times
    precision, recall = metrics["precision"], metrics["recall"]
    passed = (
        None if precision is None or recall is None else precision >= TARGET and recall >= TARGET
    )
    return {"metrics": metrics, "passed": passed}
