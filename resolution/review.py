"""Human review of uncertain pairs: the queue, a text waterfall, decisions as constraints."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import pandas as pd

from graphkit.errors import InputError

__all__ = [
    "DECISIONS",
    "constraints_from_decisions",
    "review_id",
    "review_queue",
    "waterfall",
    "waterfall_text",
]

DECISIONS = ("accept", "reject")


def review_id(id_l: str, id_r: str) -> str:
    """Deterministic id of a pair under review (stable across re-runs)."""
    a, b = (id_l, id_r) if id_l < id_r else (id_r, id_l)
    return "R" + hashlib.sha256(f"{a}\x1f{b}".encode()).hexdigest()[:12]


def review_queue(
    pairs: pd.DataFrame,
    *,
    low_probability: float,
    high_probability: float,
    decisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pairs with ``low <= match_probability < high``, most uncertain first.

    Returns ``review_id``, ``id_l``, ``id_r``, ``match_probability``, ``match_weight`` and
    ``status``: ``pending``, or ``accepted`` / ``rejected`` when ``decisions`` (``id_l``,
    ``id_r``, ``decision``) already holds one. Ordered by distance of the weight from 0
    (p = 0.5), then by id: the pairs a reviewer's decision changes most come first.
    """
    band = pairs.loc[
        (pairs["match_probability"] >= low_probability)
        & (pairs["match_probability"] < high_probability),
        ["id_l", "id_r", "match_probability", "match_weight"],
    ].copy()
    ids = [review_id(a, b) for a, b in zip(band["id_l"], band["id_r"], strict=True)]
    band.insert(0, "review_id", ids)
    band["status"] = "pending"
    if decisions is not None and len(decisions):
        last = decisions.drop_duplicates(["id_l", "id_r"], keep="last").set_index(["id_l", "id_r"])
        key = pd.MultiIndex.from_arrays([band["id_l"], band["id_r"]])
        found = last["decision"].reindex(key).to_numpy()
        status = pd.Series(found).map({"accept": "accepted", "reject": "rejected"})
        band["status"] = status.fillna("pending").to_numpy()
    band["_u"] = band["match_weight"].abs()
    band = band.sort_values(["_u", "review_id"], kind="stable").drop(columns="_u")
    return band.reset_index(drop=True)


def constraints_from_decisions(
    decisions: pd.DataFrame,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must_link, cannot_link) from decisions; the latest decision on a pair counts."""
    if decisions is None or decisions.empty:
        return [], []
    bad = set(decisions["decision"]) - set(DECISIONS)
    if bad:
        raise InputError(f"unknown review decision(s): {sorted(bad)}")
    last = decisions.drop_duplicates(["id_l", "id_r"], keep="last")
    must = [(a, b) for a, b, d in last[["id_l", "id_r", "decision"]].itertuples(index=False)
            if d == "accept"]  # fmt: skip
    cannot = [(a, b) for a, b, d in last[["id_l", "id_r", "decision"]].itertuples(index=False)
              if d == "reject"]  # fmt: skip
    return must, cannot


def _level_label(comparison: dict[str, Any], base_weight: float) -> str:
    """The comparison level whose weight log2(m/u) is nearest ``base_weight``."""
    best, best_d = "", math.inf
    for level in comparison["comparison_levels"]:
        if level.get("is_null_level"):
            if abs(base_weight) < 1e-9 and best_d > 1e-9:
                best, best_d = str(level.get("label_for_charts", "null")), 0.0
            continue
        m, u = level.get("m_probability"), level.get("u_probability")
        if not m or not u:
            continue
        d = abs(math.log2(m / u) - base_weight)
        if d < best_d:
            best, best_d = str(level.get("label_for_charts", level.get("sql_condition"))), d
    return best


def waterfall(pair: dict[str, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of a match-weight waterfall for one scored pair.

    ``pair`` holds ``match_weight``, ``match_probability`` and per comparison ``mw_<name>``
    (total weight) and ``tfw_<name>`` (its term-frequency part). Rows: the prior, then each
    comparison with the level that fired, its weight and the running total, then the final
    weight and probability. The weights add up to ``match_weight`` (Splink's own waterfall).
    """
    p = float(model["probability_two_random_records_match"])
    prior = math.log2(p / (1.0 - p))
    rows: list[dict[str, Any]] = [
        {"step": "prior", "level": "two random records match", "weight": prior, "total": prior}
    ]
    total = prior
    for comp in model["comparisons"]:
        name = comp["output_column_name"]
        w = float(pair.get(f"mw_{name}") or 0.0)
        tf = float(pair.get(f"tfw_{name}") or 0.0)
        total += w
        label = _level_label(comp, w - tf)
        if abs(tf) > 1e-9:
            label += f" (term frequency {tf:+.2f})"
        rows.append({"step": name, "level": label, "weight": w, "total": total})
    rows.append(
        {
            "step": "final",
            "level": f"match probability {float(pair['match_probability']):.4f}",
            "weight": float(pair["match_weight"]),
            "total": float(pair["match_weight"]),
        }
    )
    return rows


def waterfall_text(rows: list[dict[str, Any]], *, width: int = 30) -> str:
    """A text waterfall: one bar per step, right of the axis for evidence for a match."""
    scale = max([abs(r["weight"]) for r in rows] + [1.0])
    out = []
    for r in rows:
        n = round(abs(r["weight"]) / scale * width)
        bar = ("+" * n).ljust(width) if r["weight"] >= 0 else ("-" * n).rjust(width)
        left, right = (" " * width, bar) if r["weight"] >= 0 else (bar, " " * width)
        out.append(
            f"{r['step'][:12]:<12} {left}|{right} {r['weight']:+7.2f} "
            f"(total {r['total']:+7.2f})  {r['level']}"
        )
    return "\n".join(out)
