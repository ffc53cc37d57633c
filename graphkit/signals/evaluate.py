"""Blackouts and hand-offs found in a case, scored against the truth of a simulated case.

Reads the truth folder written by ``graphkit simulate`` (``blackouts.csv``, ``phones.csv``,
``handoffs.csv``; numbers in E.164 as ingest normalises them) and what
:mod:`graphkit.signals.stage` stored. Evaluator signature ``(store, truth_dir) ->
dict | None`` (None: the stage has not run), for ``graphkit evaluate``'s registry.

Definitions. A phone blackout row is *correct* when it overlaps a true silence of that number:
a planted blackout, or the number going out of use (``valid_to`` a day or more before the end
of the data) and never coming back. *Recall* is over planted blackouts (resumed or not): found
when a phone row of that number overlaps it. An *actor* row is correct when a person using
one of its phones (shared landlines left out) has a planted blackout overlapping it, or had
stopped using every phone of theirs; a number given up for a successor is not a silent person.
A planted group blackout (the rows of one ``group_id`` with scope ``group``) is found when a
group row overlaps its window and its members' phones (the row's ``member_phones`` evidence
and the case's ``actor`` table) hold at least half its numbers; a group row is correct when at
least half of its members hold a number of one planted group blackout whose own silence
overlaps the row (members silent by chance or at a hand-off do not count).
``passed`` judges phone rows always, actor rows when the stage used actors, and group rows when
it used communities and the truth has group blackouts (the keys judged are returned).
Hand-offs:
*top-1 accuracy* is the share of planted hand-offs whose old number's rank-1 candidate is the
true new number (*top-3*: among its candidates of rank 3 or better); *precision* is the share
of assigned pairs that are one user's numbers (a planted hand-off, a harder one of
``hard_handoffs.csv`` or a SIM swap). A case simulated with ``hard_handoffs`` is also scored
per case (reused successor, old number kept alive, weak overlap, no IMEI, group relabelling).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from graphkit.errors import InputError
from graphkit.store import CaseStore

__all__ = [
    "evaluate_blackouts",
    "evaluate_handoffs",
    "score_blackouts",
    "score_handoff_cases",
    "score_handoffs",
]

_TARGET = 0.90
_CASE_TOP1, _CASE_TOP3 = 0.8, 0.9  # the harder hand-off cases (issue 19)


def _read(truth_dir: Path, name: str, *, dates: tuple[str, ...] = ()) -> pd.DataFrame:
    path = Path(truth_dir) / name
    if not path.is_file():
        raise InputError(f"{path} not found: not a simulation truth folder")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in dates:
        if column not in frame.columns:
            raise InputError(f"{path} has no column {column!r}")
        frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce")
    return frame


def _overlap(a0: Any, a1: Any, b0: Any, b1: Any) -> Any:
    return (a0 < b1) & (b0 < a1)


def _row_phones(
    kind: str, ident: str, evidence: Any, owners: Mapping[str, list[str]]
) -> dict[str, set[str]]:
    """The phones of each member of a detected row: the case's actor table, the numbers the
    row's own evidence joined by hand-off, and a group row's ``member_phones``."""
    ev = _as_dict(evidence)
    if kind == "group":
        listed = ev.get("member_phones") or {}
        return {m: set(listed.get(m, [])) | set(owners.get(m, [m])) for m in ev.get("_members", [])}
    joined = {x for h in ev.get("handoffs", []) for x in (h["old"], h["new"])}
    return {ident: set(owners.get(ident, [ident])) | joined}


def score_blackouts(
    detected: pd.DataFrame,
    blackouts: pd.DataFrame,
    phones: pd.DataFrame,
    *,
    data_end: Any,
    actor_phones: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Precision and recall of phone, actor and group rows of ``detected`` (rows of
    ``analytics_blackout``; ``evidence`` optional, dicts or JSON).

    ``actor_phones`` maps the case's actor ids to their phones, so that actors and group
    members can be compared with the planted numbers whatever ids resolution minted."""
    end = pd.Timestamp(data_end)
    blackouts = blackouts.assign(msisdns=blackouts["msisdns"].str.split(";")).explode("msisdns")
    owners = dict(actor_phones or {})
    if "evidence" not in detected.columns:
        detected = detected.assign(evidence=[{} for _ in range(len(detected))])
    stopped = phones[phones["valid_to"] < end - pd.Timedelta(hours=24)]
    silences = pd.concat(
        [
            pd.DataFrame(
                {"phone": blackouts["msisdns"], "t0": blackouts["start"], "t1": blackouts["end"]}
            ),
            pd.DataFrame({"phone": stopped["msisdn"], "t0": stopped["valid_to"], "t1": end}),
        ],
        ignore_index=True,
    )
    rows = detected[detected["kind"] == "phone"].reset_index(drop=True)
    hit = rows.reset_index().merge(silences, left_on="id", right_on="phone", how="left")
    hit["ok"] = _overlap(hit["start"], hit["end"], hit["t0"], hit["t1"])
    correct = hit.groupby("index")["ok"].any()
    found = blackouts.reset_index().merge(rows, left_on="msisdns", right_on="id", how="left")
    found["ok"] = _overlap(found["start_x"], found["end_x"], found["start_y"], found["end_y"])
    recalled = found.groupby("index")["ok"].any()
    return {
        "phone_rows": len(rows),
        "precision": float(correct.mean()) if len(correct) else 0.0,
        "planted": len(blackouts),
        "recall": float(recalled.mean()) if len(recalled) else 0.0,
        **_score_actors(detected, blackouts, phones, owners),
        **_score_groups(detected, blackouts, owners),
    }


def _score_actors(
    detected: pd.DataFrame,
    blackouts: pd.DataFrame,
    phones: pd.DataFrame,
    owners: Mapping[str, list[str]],
) -> dict[str, Any]:
    """An actor row is right when a person using one of its phones (shared landlines left
    out) has a planted blackout overlapping it, or had stopped using every phone of theirs
    (``valid_to``) a day or more before its end: a number that ended because its user moved
    to another is not a silent person. Recall: planted blackouts with an overlapping actor
    row holding their number."""
    own = phones[phones.get("shared", pd.Series("", index=phones.index)) != "true"]
    user = dict(zip(own["msisdn"], own["person_id"], strict=True))
    shared = set(phones["msisdn"]) - set(own["msisdn"])
    last_use = own[own["person_id"] != ""].groupby("person_id")["valid_to"].max()
    rows = detected[detected["kind"] == "actor"]
    held = [
        set().union(*_row_phones("actor", str(i), e, owners).values())
        for i, e in zip(rows["id"], rows["evidence"], strict=True)
    ]
    correct = []
    for numbers, t0, t1 in zip(held, rows["start"], rows["end"], strict=True):
        persons = {user[p] for p in numbers - shared if p in user}
        mine = blackouts[blackouts["person_id"].isin(persons)]
        gone = any(last_use.get(p, t1) < t1 - pd.Timedelta(hours=24) for p in persons)
        correct.append(gone or bool(_overlap(mine["start"], mine["end"], t0, t1).any()))
    recalled = []
    for number, t0, t1 in zip(
        blackouts["msisdns"], blackouts["start"], blackouts["end"], strict=True
    ):
        recalled.append(
            any(
                number in numbers and bool(_overlap(a0, a1, t0, t1))
                for numbers, a0, a1 in zip(held, rows["start"], rows["end"], strict=True)
            )
        )
    return {
        "actor_rows": len(rows),
        "actor_precision": float(sum(correct) / len(correct)) if correct else 0.0,
        "actor_recall": float(sum(recalled) / len(recalled)) if recalled else 0.0,
    }


def _score_groups(
    detected: pd.DataFrame, blackouts: pd.DataFrame, owners: Mapping[str, list[str]]
) -> dict[str, Any]:
    """A planted group blackout (the rows of one ``group_id`` with scope ``group``) is found
    when one group row overlaps its window and its members' phones hold at least half of its
    numbers. A group row is right when at least half of its members hold a number of one
    planted group blackout whose own silence overlaps the row's window (a member silent by
    chance, or at a hand-off, is not); ``group_member_precision`` is the share of all
    reported members that are."""
    rows = detected[detected["kind"] == "group"]
    planted = blackouts[blackouts["scope"] == "group"]
    members = [
        _row_phones("group", str(i), {**_as_dict(e), "_members": list(m)}, owners)
        for i, e, m in zip(rows["id"], rows["evidence"], rows["members"], strict=True)
    ]
    group_found = []
    for _, g in planted.groupby("group_id"):
        numbers = set(g["msisdns"])
        t0, t1 = g["start"].min(), g["end"].max()
        near = _overlap(rows["start"], rows["end"], t0, t1).to_numpy()
        named = [set().union(*m.values()) for m, ok in zip(members, near, strict=True) if ok]
        group_found.append(any(len(numbers & n) >= len(numbers) / 2 for n in named))
    correct, right_members, all_members = [], 0, 0
    for m, t0, t1 in zip(members, rows["start"], rows["end"], strict=True):
        best = 0
        for _, g in planted.groupby("group_id"):
            live = g[_overlap(g["start"], g["end"], t0, t1)]
            best = max(best, sum(bool(ph & set(live["msisdns"])) for ph in m.values()))
        correct.append(best >= len(m) / 2)
        right_members += best
        all_members += len(m)
    return {
        "group_rows": len(rows),
        "group_blackouts_planted": len(group_found),
        "group_recall": float(sum(group_found) / len(group_found)) if group_found else 0.0,
        "group_precision": float(sum(correct) / len(correct)) if correct else 0.0,
        "group_member_precision": float(right_members / all_members) if all_members else 0.0,
    }


def _as_dict(evidence: Any) -> dict[str, Any]:
    if isinstance(evidence, dict):
        return evidence
    return dict(json.loads(evidence)) if evidence else {}


def score_handoffs(
    result: pd.DataFrame,
    handoffs: pd.DataFrame,
    *,
    swaps: pd.DataFrame | None = None,
    hard: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Top-1 and top-3 accuracy and precision of the assigned pairs; ``result`` has old, new,
    rank, assigned (as :func:`graphkit.signals.handoffs.detect_handoffs` returns). SIM swaps
    (``swaps``, kind ``sim_swap``: one user, a new number) and the harder hand-offs
    (``hard``, rows of ``hard_handoffs.csv``) are same-user pairs too: an assigned pair that
    is one counts as right; ``hard`` is also scored per case (``cases``)."""
    truth = dict(zip(handoffs["old_msisdn"], handoffs["new_msisdn"], strict=True))
    ranks = _ranks(result, truth.items())
    same_user = set(truth.items())
    if swaps is not None and len(swaps):
        sim = swaps[swaps["kind"] == "sim_swap"]
        same_user |= set(zip(sim["old_msisdn"], sim["new_msisdn"], strict=True))
    out: dict[str, Any] = {}
    if hard is not None and len(hard):
        same_user |= set(zip(hard["old_msisdn"], hard["new_msisdn"], strict=True))
        out["cases"] = score_handoff_cases(result, hard)
    assigned = result[result["assigned"].astype(bool)]
    right = [(o, n) in same_user for o, n in zip(assigned["old"], assigned["new"], strict=True)]
    return {
        "planted": len(truth),
        "top1_accuracy": _share(ranks, 1),
        "top3_accuracy": _share(ranks, 3),
        "assigned": len(assigned),
        "assigned_precision": float(sum(right) / len(right)) if right else 0.0,
        **out,
    }


def score_handoff_cases(result: pd.DataFrame, hard: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per case of ``hard`` (rows of ``hard_handoffs.csv``: case, old_msisdn, new_msisdn):
    planted, top-1 and top-3 accuracy (the true new number among the old number's candidates
    of rank 1, or 3 or better)."""
    out: dict[str, dict[str, Any]] = {}
    for case, rows in hard.groupby("case", sort=True):
        ranks = _ranks(result, zip(rows["old_msisdn"], rows["new_msisdn"], strict=True))
        out[str(case)] = {
            "planted": len(rows),
            "top1_accuracy": _share(ranks, 1),
            "top3_accuracy": _share(ranks, 3),
        }
    return out


def _ranks(result: pd.DataFrame, pairs: Any) -> list[int | None]:
    """Where each (old, new) pair stands among the old number's candidates (1 = its best:
    the lowest rank, then the highest score, over all its stops), None when absent."""
    if not len(result):
        return [None for _ in pairs]
    order = result.assign(neg=-result["score"].astype(float) if "score" in result else 0.0)
    order = order.sort_values(["old", "rank", "neg", "new"], kind="stable")
    order = order.drop_duplicates(["old", "new"])
    order["position"] = order.groupby("old").cumcount() + 1
    best = dict(zip(zip(order["old"], order["new"], strict=True), order["position"], strict=True))
    return [best.get((o, n)) for o, n in pairs]


def _share(ranks: list[int | None], k: int) -> float:
    return float(sum(r is not None and r <= k for r in ranks) / len(ranks)) if ranks else 0.0


def evaluate_blackouts(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Blackouts stored in the case vs ``truth_dir``; None when the stage has not run."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_blackout"):
            return None
        detected = con.execute(
            'SELECT kind, id, members, start, "end", evidence FROM analytics_blackout'
        ).df()
        end_row = (
            con.execute("SELECT max(start) FROM src_cdr").fetchone()
            if store.table_exists(con, "src_cdr")
            else None
        )
        actor_phones: dict[str, list[str]] = {}
        if store.table_exists(con, "actor"):
            for actor_id, owned in con.execute("SELECT actor_id, phones FROM actor").fetchall():
                actor_phones[str(actor_id)] = [str(p) for p in owned or []]
    data_end = pd.Timestamp(end_row[0]) if end_row and end_row[0] is not None else None
    blackouts = _read(truth_dir, "blackouts.csv", dates=("start", "end"))
    phones = _read(truth_dir, "phones.csv", dates=("valid_to",))
    if data_end is None:
        data_end = phones["valid_to"].max()
    metrics = score_blackouts(
        detected, blackouts, phones, data_end=data_end, actor_phones=actor_phones
    )
    settings = (store.stage("blackouts") or {}).get("settings", {})
    judged = ["precision", "recall"]
    if settings.get("actors"):
        judged += ["actor_precision", "actor_recall"]
    if settings.get("communities") and metrics["group_blackouts_planted"]:
        judged += ["group_precision", "group_recall"]
    passed = all(metrics[k] >= _TARGET for k in judged)
    return {"metrics": metrics, "passed": passed, "judged": judged}


def evaluate_handoffs(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Hand-off hypotheses stored in the case vs ``truth_dir``; None when not run."""
    with store.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT src, dst, evidence, score FROM rel_same_user_as WHERE model_version LIKE ?",
            ["handoff-%"],
        ).fetchall()
    if not rows and store.stage("handoffs") is None:
        return None
    evidence = [json.loads(e) if isinstance(e, str) else e for _, _, e, _ in rows]
    result = pd.DataFrame(
        {
            "old": [r[0] for r in rows],
            "new": [r[1] for r in rows],
            "score": [float(r[3]) for r in rows],
            "rank": [int(e.get("rank", 0)) for e in evidence],
            "assigned": [bool(e.get("assigned", False)) for e in evidence],
        }
    )
    swaps = _read(truth_dir, "swaps.csv") if (Path(truth_dir) / "swaps.csv").is_file() else None
    hard_path = Path(truth_dir) / "hard_handoffs.csv"
    hard = _read(truth_dir, "hard_handoffs.csv") if hard_path.is_file() else None
    metrics = score_handoffs(result, _read(truth_dir, "handoffs.csv"), swaps=swaps, hard=hard)
    stage = store.stage("handoffs") or {}
    metrics["use_imei"] = bool(stage.get("settings", {}).get("use_imei", True))
    cases = metrics.pop("cases", {})
    passed = metrics["top1_accuracy"] >= _TARGET and all(
        c["top1_accuracy"] >= _CASE_TOP1 and c["top3_accuracy"] >= _CASE_TOP3
        for c in cases.values()
    )
    out: dict[str, Any] = {"metrics": metrics, "passed": passed}
    if cases:  # the harder cases (hard_handoffs.csv), one row each
        out["columns"] = ["case", "planted", "top1_accuracy", "top3_accuracy"]
        out["rows"] = [{"case": name, **c} for name, c in cases.items()]
    return out
