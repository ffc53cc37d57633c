"""Co-location evaluator: the stored CO_LOCATED_WITH pairs against the planted meetings.

A planted pair is two phones that both have records in the same planted meeting
(``truth/meetings.csv``, written when the simulation plants meetings) on at least
``min_times`` meetings, ``min_times`` being the setting the case's ``colocate`` run used; it
is *visible* when on ``min_times`` of those meetings the records show them together as the
run's settings define it (a record of each within ``window_s`` on the same cell, or on towers
within ``distance_m``). Precision: the share of stored pairs (not rejected by a reviewer) that
are planted pairs; recall: the share of visible planted pairs stored (the others met, but no
record shows it: ``planted_pairs_not_visible``). A case simulated without meetings has no planted
pair: every stored pair is then a false alarm.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.evaluate import evaluator

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "TARGET",
    "evaluate_colocate",
    "planted_circles",
    "planted_pairs",
    "score_groups",
    "score_pairs",
]

TARGET = 0.9
_EARTH_RADIUS_M = 6_371_008.8
"""precision and recall the issue asks for (issue 19)"""


def planted_pairs(
    truth_dir: Path,
    *,
    min_times: int,
    window_s: int | None = None,
    distance_m: float | None = None,
) -> dict[tuple[str, str], int]:
    """Phone pairs (``a < b``) that met on at least ``min_times`` planted meetings, with the
    number of meetings; empty when the case was simulated without meetings.

    With ``window_s`` a meeting counts for a pair only when the records show them together
    as co-location defines it: a record of each within ``window_s`` of the other, on the same
    cell (``distance_m`` None) or on cells whose towers are at most ``distance_m`` apart (0:
    the same site; positions from the case's ``sources/towers.csv``). Members who stood on
    cells farther apart, or whose calls during the meeting were all more than the window
    apart, met, but no record shows it."""
    path = Path(truth_dir) / "meetings.csv"
    if not path.is_file():
        return {}
    rows: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            t = datetime.fromisoformat(row["time"].replace("Z", "+00:00")).timestamp()
            rows[row["meeting_id"]].append((row["msisdn"], row["cell_id"], t))
    near = None if window_s is None else _near_cells(Path(truth_dir), distance_m)
    met: dict[tuple[str, str], int] = defaultdict(int)
    for records in rows.values():
        together: set[tuple[str, str]] = set()
        for (pa, ca, ta), (pb, cb, tb) in combinations(records, 2):
            if pa == pb:
                continue
            if near is not None and (abs(ta - tb) > (window_s or 0) or not near(ca, cb)):
                continue
            together.add((min(pa, pb), max(pa, pb)))
        for pair in together:
            met[pair] += 1
    return {pair: n for pair, n in met.items() if n >= min_times}


def planted_circles(truth_dir: Path, *, min_times: int) -> dict[str, dict[str, Any]]:
    """Each planted circle (``truth/meetings.csv``, ids ``C..``; the tie meetings of two are
    not circles): ``phones``, every phone with a record at one of its meetings (a member who
    changed numbers brings both); ``largest_meeting``, the most phones present at one of its
    meetings; ``visible``, whether three of its phones or more all had records at
    ``min_times`` of its meetings (a group co-location can state)."""
    path = Path(truth_dir) / "meetings.csv"
    if not path.is_file():
        return {}
    present: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["circle_id"]:
                present[row["circle_id"]][row["meeting_id"]].add(row["msisdn"])
    out: dict[str, dict[str, Any]] = {}
    for circle, meetings in present.items():
        sets = [frozenset(s) for s in meetings.values() if len(s) >= 3]
        visible = any(
            sum(a & b <= s for s in sets) >= min_times
            for a, b in combinations(sets, 2)
            if len(a & b) >= 3
        ) or (min_times <= 1 and bool(sets))
        out[circle] = {
            "phones": set().union(*meetings.values()),
            "largest_meeting": max(len(s) for s in meetings.values()),
            "visible": visible,
        }
    return out


def score_groups(
    found: Iterable[Iterable[str]], circles: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Groups of phones against the planted circles (:func:`planted_circles`): a group is
    right when all its phones belong to one circle; recall is the share of visible circles
    holding at least one right group; ``largest_group`` against ``largest_meeting``, the most
    phones planted at one meeting."""
    groups = [frozenset(g) for g in found]
    home = [[c for c, v in circles.items() if g <= v["phones"]] for g in groups]
    visible = [c for c, v in circles.items() if v["visible"]]
    hit = {c for cs in home for c in cs}
    return {
        "groups": len(groups),
        "right_groups": sum(bool(cs) for cs in home),
        "precision": sum(bool(cs) for cs in home) / len(groups) if groups else None,
        "visible_circles": len(visible),
        "circles_found": len(hit & set(visible)),
        "recall": len(hit & set(visible)) / len(visible) if visible else None,
        "largest_group": max((len(g) for g in groups), default=0),
        "largest_meeting": max((v["largest_meeting"] for v in circles.values()), default=0),
    }


def _near_cells(truth_dir: Path, distance_m: float | None) -> Callable[[str, str], bool]:
    """Whether two cells are near as co-location counts it: the same cell, or towers within
    ``distance_m`` (great-circle) where the case has tower positions."""
    if distance_m is None:
        return lambda a, b: a == b
    towers = truth_dir.parent / "sources" / "towers.csv"
    pos: dict[str, tuple[float, float]] = {}
    if towers.is_file():
        with towers.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                pos[row["cell_id"]] = (float(row["latitude"]), float(row["longitude"]))

    def near(a: str, b: str) -> bool:
        if a == b:
            return True
        if a not in pos or b not in pos:
            return False
        (la1, lo1), (la2, lo2) = pos[a], pos[b]
        h = (
            math.sin(math.radians(la2 - la1) / 2) ** 2
            + math.cos(math.radians(la1))
            * math.cos(math.radians(la2))
            * math.sin(math.radians(lo2 - lo1) / 2) ** 2
        )
        return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h)) <= distance_m + 1e-6

    return near


def score_pairs(
    found: Iterable[tuple[str, str]],
    planted: dict[tuple[str, str], int],
    *,
    visible: dict[tuple[str, str], int] | None = None,
) -> dict[str, Any]:
    """Precision, recall and counts of ``found`` pairs (either order) against ``planted``.

    With ``visible`` (the planted pairs the records show together, :func:`planted_pairs`
    with ``window_s``) recall is over those: a pair that met but that no record shows
    together cannot be found; a found pair that met is right either way."""
    got = {(min(a, b), max(a, b)) for a, b in found}
    hits = len(got & planted.keys())
    target = planted if visible is None else visible
    recalled = len(got & target.keys())
    out = {
        "planted_pairs": len(target),
        "found_pairs": len(got),
        "true_pairs": hits,
        "false_alarms": len(got) - hits,
        "precision": hits / len(got) if got else None,
        "recall": recalled / len(target) if target else None,
    }
    if visible is not None:
        out["planted_pairs_not_visible"] = len(planted.keys() - visible.keys())
    return out


@evaluator("colocate", help="precision/recall of co-located pairs vs the planted meetings")
def evaluate_colocate(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Stored co-locations vs ``truth_dir``; None when ``colocate`` has not run in the case."""
    stage = store.stage("colocate")
    if stage is None:
        return None
    settings = stage.get("settings", {})
    min_times = int(settings.get("min_times", 2))
    window_s = int(settings.get("window_s", 900))
    distance_m = settings.get("distance_m")
    with store.connect(read_only=True) as con:
        found = con.execute(
            "SELECT src, dst FROM rel_co_located_with "
            "WHERE status <> 'rejected' AND model_version LIKE 'colocate-%'"
        ).fetchall()
    planted = planted_pairs(truth_dir, min_times=min_times)
    visible = planted_pairs(
        truth_dir, min_times=min_times, window_s=window_s, distance_m=distance_m
    )
    metrics = score_pairs(((str(a), str(b)) for a, b in found), planted, visible=visible)
    metrics["min_times"] = min_times
    precision, recall = metrics["precision"], metrics["recall"]
    passed = (
        None if precision is None or recall is None else precision >= TARGET and recall >= TARGET
    )
    return {"metrics": metrics, "passed": passed}
