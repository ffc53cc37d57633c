"""Tower-dump scenes against a simulated case's truth (``graphkit evaluate --stage scenes``).

A case simulated with ``scenes`` has the scene file ``scenes.toml`` next to its truth folder
and ``truth/scenes.csv``: per scene the phones planted there (``crew``, ``visitor``: with
their planted records) and the one made ``silent`` for the scene's window. The scorer runs
:func:`graphkit.cdr.scenes.scene_lists` with the scene file and its default ``min_days`` on
the case's call records and compares each list with its planted role:

* **multi-scene**: the planted phones with records at two scenes or more (the crew, by
  phone: a member who changed numbers between scenes is two phones);
* **one-time**: each (scene, phone) of a planted visitor;
* **silent**: each (scene, phone) made silent, against the silences that pass the test
  (``q <= fdr``); ``quiet_*`` against every quiet phone usually active then (the list before
  the test), and the planted phone's rank in its scene's quiet list, ordered by p.

Recall is over the planted phones. Precision is the share of a list that was planted: the
other rows are phones the records really put there (or show quiet), found exactly as the
records say (``tests/cdr/test_scenes.py`` checks the lists against brute force), but not part
of the plant: in the one-time and silent lists they are passers-by and phones that happened
to be quiet, so precision there measures how long the list is for an analyst to read.
``passed``: every planted multi-scene phone and visitor is listed and the multi-scene list
holds at least :data:`MULTI_PRECISION` planted phones.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.cdr.evaluate import precision_recall
from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["MULTI_PRECISION", "evaluate_scenes"]

MULTI_PRECISION = 0.9


def _names(path: Path) -> dict[str, str]:
    """Each simulated person's true name (``persons.csv``), by person id."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            r["person_id"]: f"{r['first_name']} {r['last_name']}" for r in csv.DictReader(handle)
        }


def evaluate_scenes(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Precision and recall of the three scene lists against the planted phones; None when
    the case was simulated without scenes or has no call records."""
    from graphkit.cdr.scenes import load_scenes, scene_lists

    path = Path(truth_dir) / "scenes.csv"
    if not path.is_file():
        return None
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "src_cdr"):
            return None
    scene_file = Path(truth_dir).parent / "scenes.toml"
    if not scene_file.is_file():
        raise InputError(f"{scene_file}: missing (graphkit simulate --scenes writes it)")
    with path.open(encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    lists = scene_lists(store, load_scenes(scene_file))
    names = _names(Path(truth_dir) / "persons.csv")
    present = [r for r in truth if r["role"] in ("crew", "visitor") and int(r["records"]) > 0]
    scenes_of = Counter(phone for _, phone in {(r["scene"], r["msisdn"]) for r in present})
    multi_truth = {p for p, k in scenes_of.items() if k >= 2}
    once_truth = {
        (r["scene"], r["msisdn"])
        for r in present
        if r["role"] == "visitor" and r["msisdn"] not in multi_truth
    }
    silent_truth = {(r["scene"], r["msisdn"]) for r in truth if r["role"] == "silent"}
    multi = precision_recall({r["phone"] for r in lists.multi_scene}, multi_truth)
    once = precision_recall({(r["scene"], r["phone"]) for r in lists.one_time}, once_truth)
    silent_found = {(r["scene"], r["phone"]) for r in lists.silent_reported}
    silent = precision_recall(silent_found, silent_truth)
    quiet_found = {(r["scene"], r["phone"]) for r in lists.silent}
    quiet = precision_recall(quiet_found, silent_truth)
    rank: dict[tuple[str, str], int] = {}
    for scene in {r["scene"] for r in lists.silent}:
        rows = [r for r in lists.silent if r["scene"] == scene]  # ordered by p
        rank |= {(scene, r["phone"]): i + 1 for i, r in enumerate(rows)}
    listed_multi = {r["phone"] for r in lists.multi_scene}
    listed_once = {(r["scene"], r["phone"]) for r in lists.one_time}
    rows = []
    for r in truth:
        key = (r["scene"], r["msisdn"])
        if r["role"] == "silent":
            listed = key in quiet_found  # in the quiet list; reported only at q <= fdr
        elif r["msisdn"] in multi_truth:
            listed = r["msisdn"] in listed_multi
        else:
            listed = key in listed_once
        rows.append(
            {
                "scene": r["scene"],
                "role": r["role"],
                "phone": r["msisdn"],
                "name": names.get(r["person_id"], ""),
                "person_id": r["person_id"],
                "planted_records": int(r["records"]),
                "listed": listed,
                "silent_rank": rank.get(key) if r["role"] == "silent" else None,
            }
        )
    silent_ranks = sorted(rank[k] for k in silent_truth if k in rank)
    metrics: dict[str, Any] = {
        **{f"multi_scene_{k}": v for k, v in multi.items()},
        **{f"one_time_{k}": v for k, v in once.items()},
        **{f"silent_{k}": v for k, v in silent.items()},
        **{f"quiet_{k}": v for k, v in quiet.items()},
        "silent_median_rank": silent_ranks[len(silent_ranks) // 2] if silent_ranks else None,
        "min_days": lists.min_days,
    }
    passed = (
        multi["recall"] == 1.0
        and once["recall"] == 1.0
        and float(multi["precision"]) >= MULTI_PRECISION
    )
    return {"metrics": metrics, "passed": passed, "rows": rows}
