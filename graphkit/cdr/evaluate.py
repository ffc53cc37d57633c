"""Device swaps and clones against a simulated case's truth (``graphkit evaluate``).

Reads what :func:`graphkit.cdr.devices.store_devices` stored (rows at or above their
threshold are the reported ones) and the truth files of ``graphkit simulate``:

* *SIM moved to another handset*: ``swaps.csv`` rows of kind ``handset_swap``, matched on
  (number, new IMEI);
* *handset took another SIM*: ``swaps.csv`` rows of kind ``sim_swap`` and the burner
  hand-offs kept in the same handset (``handoffs.csv``, ``same_imei``), matched on the new
  number;
* *clones*: ``clones.csv`` (cases simulated with ``devices``), matched on the number; every
  other number reported is a false alarm, counted per 1,000 numbers that made a call
  (precision: the share of reported numbers that are planted clones).

``passed`` says whether a case meets issue 19's targets (swaps precision and recall >= 0.95;
clones recall >= 0.9 with at most one false alarm per 1,000 numbers).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.model import relationship

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["evaluate_clones", "evaluate_swaps", "precision_recall"]

# issue 19's targets: what ``passed`` says
SWAP_TARGET = 0.95  # precision and recall of swaps
CLONE_TARGET = 0.9  # recall of clones
FALSE_ALARMS_PER_1000 = 1.0  # numbers reported as clones that are not, per 1,000 numbers


def _truth(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _reported(store: CaseStore, rel_type: str) -> set[tuple[str, str]]:
    table = relationship(rel_type).table
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, table):
            return set()
        rows = con.execute(
            f"SELECT src, dst FROM {table} WHERE score >= threshold AND status <> 'rejected'"
        ).fetchall()
    return {(str(a), str(b)) for a, b in rows}


def precision_recall(found: set[Any], truth: set[Any]) -> dict[str, float | int]:
    """Precision and recall of ``found`` against ``truth``, with the counts (1.0 when empty)."""
    hits = len(found & truth)
    return {
        "precision": hits / len(found) if found else 1.0,
        "recall": hits / len(truth) if truth else 1.0,
        "reported": len(found),
        "planted": len(truth),
        "found": hits,
    }


def _ran(store: CaseStore) -> bool:
    return "devices" in store.manifest.get("stages", {})


def evaluate_swaps(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Precision and recall of both swap kinds, apart and together; None when ``graphkit
    devices`` has not run in the case."""
    if not _ran(store):
        return None
    swaps = _truth(truth_dir / "swaps.csv")
    moved_truth = {(r["old_msisdn"], r["new_imei"]) for r in swaps if r["kind"] == "handset_swap"}
    took_truth = {r["new_msisdn"] for r in swaps if r["kind"] == "sim_swap"} | {
        r["new_msisdn"]
        for r in _truth(truth_dir / "handoffs.csv")
        if r.get("same_imei", "").lower() == "true"
    }
    moved = precision_recall(_reported(store, "MOVED_TO_HANDSET"), moved_truth)
    took = precision_recall({dst for _, dst in _reported(store, "TOOK_SIM")}, took_truth)
    reported = int(moved["reported"]) + int(took["reported"])
    hits = int(moved["found"]) + int(took["found"])
    planted = int(moved["planted"]) + int(took["planted"])
    metrics = {
        "precision": hits / reported if reported else 1.0,
        "recall": hits / planted if planted else 1.0,
        **{f"sim_moved_{k}": v for k, v in moved.items()},
        **{f"sim_changed_{k}": v for k, v in took.items()},
    }
    passed = metrics["precision"] >= SWAP_TARGET and metrics["recall"] >= SWAP_TARGET
    return {"metrics": metrics, "passed": passed}


def evaluate_clones(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Recall of the planted clones and false alarms per 1,000 calling numbers; None when
    ``graphkit devices`` has not run."""
    if not _ran(store):
        return None
    clones = {r["msisdn"] for r in _truth(truth_dir / "clones.csv")}
    reported = {src for src, _ in _reported(store, "CLONED_SIM")}
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT count(DISTINCT caller) FROM src_cdr WHERE NOT coalesce(is_duplicate, false)"
        ).fetchone()
    numbers = int(row[0]) if row else 0
    false_alarms = len(reported - clones)
    per_1000 = 1000 * false_alarms / numbers if numbers else 0.0
    recall = len(reported & clones) / len(clones) if clones else None
    precision = len(reported & clones) / len(reported) if reported else 1.0
    return {
        "passed": per_1000 <= FALSE_ALARMS_PER_1000 and (recall is None or recall >= CLONE_TARGET),
        "metrics": {
            "precision": precision,
            "recall": recall,
            "planted": len(clones),
            "reported": len(reported),
            "false_alarms": false_alarms,
            "false_alarms_per_1000": per_1000,
            "numbers": numbers,
        },
        "rows": [{"phone": p, "planted": p in clones} for p in sorted(reported | clones)],
    }
