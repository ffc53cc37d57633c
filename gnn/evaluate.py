"""Stored predictions against a simulated case's truth (for ``graphkit evaluate``).

A predicted tie between two actors is mapped to the true persons behind them (an actor's
phones, through ``truth/phones.csv``); it is a *hidden-tie hit* when those persons share a
planted hidden tie (``truth/hidden_ties.csv``: a relationship with no event in the data) and
a *true relationship* when they share any tie (hidden ones, or ``truth/ties.csv``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from graphkit.errors import InputError
from graphkit.store import CaseStore

__all__ = ["evaluate_predicted_links"]


def _pairs(frame: pd.DataFrame, a: str, b: str) -> set[tuple[str, str]]:
    return {(min(x, y), max(x, y)) for x, y in zip(frame[a], frame[b], strict=True) if x != y}


def evaluate_predicted_links(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Precision at K of the stored hypotheses for hidden ties and for any true tie.

    ``hits@n``: stored predictions among the n best (by score) that join a hidden tie, for
    the depths the list reaches; ``hidden_ties_found``: distinct hidden ties among them.
    Returns ``None`` when the case has no stored prediction. Also reports the share of
    hidden ties recovered and the base rate (hidden ties among all pairs of the actors'
    persons), the precision a random ranking would have.
    """
    truth_dir = Path(truth_dir)
    needed = ("phones.csv", "hidden_ties.csv")
    missing = [n for n in needed if not (truth_dir / n).is_file()]
    if missing:
        raise InputError(f"truth file {missing[0]} not found in {truth_dir}")
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_predicted_link"):
            return None
        pred = con.execute(
            "SELECT src, dst FROM rel_predicted_link WHERE status = 'hypothesis' "
            "ORDER BY score DESC, src, dst"
        ).df()
        owners = (
            con.execute("SELECT actor_id, unnest(phones) AS phone FROM actor").df()
            if store.table_exists(con, "actor")
            else None
        )
    if pred.empty:
        return None
    phones = pd.read_csv(truth_dir / "phones.csv", dtype=str)[["msisdn", "person_id"]]
    if owners is None:  # phones are the actors
        owners = pd.DataFrame({"actor_id": phones["msisdn"], "phone": phones["msisdn"]})
    persons = owners.merge(phones, left_on="phone", right_on="msisdn")[["actor_id", "person_id"]]
    by_actor = persons.drop_duplicates().groupby("actor_id")["person_id"].apply(set).to_dict()
    hidden = _pairs(pd.read_csv(truth_dir / "hidden_ties.csv", dtype=str), "person_a", "person_b")
    ties_file = truth_dir / "ties.csv"
    known = _pairs(pd.read_csv(ties_file, dtype=str), "a", "b") if ties_file.is_file() else set()
    hits = related = 0
    hit_at: list[bool] = []
    found: set[tuple[str, str]] = set()
    for a, b in zip(pred["src"], pred["dst"], strict=True):
        pairs = {
            (min(x, y), max(x, y))
            for x in by_actor.get(a, ())
            for y in by_actor.get(b, ())
            if x != y
        }
        hits += bool(pairs & hidden)
        hit_at.append(bool(pairs & hidden))
        related += bool(pairs & (hidden | known))
        found |= pairs & hidden
    n_persons = len({p for s in by_actor.values() for p in s})
    all_pairs = n_persons * (n_persons - 1) / 2
    k = len(pred)
    return {
        "metrics": {
            "predictions": k,
            "precision_hidden_ties": hits / k,
            "precision_true_relationships": related / k,
            "hidden_ties_recovered": len(found) / len(hidden) if hidden else 0.0,
            "hidden_ties_found": len(found),
            **{f"hits@{n}": sum(hit_at[:n]) for n in (20, 50, 100, 500) if n <= k},
            "base_rate_hidden_ties": len(hidden) / all_pairs if all_pairs else 0.0,
        }
    }
