"""Entity-resolution metrics: pairwise precision / recall / F1 and B-cubed.

Pairwise metrics count record pairs placed in one entity (Christen, "Data Matching", 2012,
ch. 7); B-cubed averages per-record precision and recall of its cluster (Bagga and Baldwin,
"Entity-based cross-document coreferencing using the vector space model", 1998). Both are
computed from cluster sizes and the contingency table, never by listing pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["ERMetrics", "er_metrics", "evaluate_case_resolution", "evaluate_resolution"]


@dataclass(frozen=True)
class ERMetrics:
    """Pairwise and B-cubed scores of a clustering against the truth."""

    records: int
    true_entities: int
    predicted_entities: int
    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _pairs(sizes: np.ndarray) -> int:
    return int((sizes * (sizes - 1) // 2).sum())


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def er_metrics(predicted: Sequence[object], truth: Sequence[object]) -> ERMetrics:
    """Score predicted entity labels against true entity labels (same record order).

    With no true (or no predicted) pairs, pairwise precision (recall) is 1.0 by convention.
    """
    pred = pd.Series(np.asarray(predicted, dtype=object))
    true = pd.Series(np.asarray(truth, dtype=object))
    if len(pred) != len(true):
        raise InputError(f"{len(pred)} predicted labels for {len(true)} true labels")
    if pred.isna().any() or true.isna().any():
        raise InputError("entity labels must not be null")
    if len(pred) == 0:
        raise InputError("no records to evaluate")
    frame = pd.DataFrame({"p": pred.astype(str), "t": true.astype(str)})
    joint = frame.groupby(["p", "t"], sort=False).size()
    p_size = frame.groupby("p", sort=False).size()
    t_size = frame.groupby("t", sort=False).size()
    tp = _pairs(joint.to_numpy())
    pred_pairs = _pairs(p_size.to_numpy())
    true_pairs = _pairs(t_size.to_numpy())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    # B-cubed: each record in cell (p, t) has precision n_pt / n_p and recall n_pt / n_t
    n_pt = joint.to_numpy().astype(float)
    n_p = p_size.loc[joint.index.get_level_values("p")].to_numpy().astype(float)
    n_t = t_size.loc[joint.index.get_level_values("t")].to_numpy().astype(float)
    total = float(len(frame))
    b_p = float((n_pt * n_pt / n_p).sum() / total)
    b_r = float((n_pt * n_pt / n_t).sum() / total)
    return ERMetrics(
        records=len(frame),
        true_entities=int(t_size.size),
        predicted_entities=int(p_size.size),
        pair_precision=precision,
        pair_recall=recall,
        pair_f1=_f1(precision, recall),
        bcubed_precision=b_p,
        bcubed_recall=b_r,
        bcubed_f1=_f1(b_p, b_r),
    )


def evaluate_case_resolution(store: CaseStore, truth: pd.DataFrame) -> ERMetrics:
    """ER metrics of a resolved case against true entities (for `graphkit evaluate`).

    ``truth`` has ``source``, ``record_id`` and ``entity`` (the true person, e.g. from the
    simulator), or ``record_key`` (``<source>:<record_id>``) and ``entity``. Only records that
    were resolved and have a true entity are scored; raises InputError when none overlap.
    """
    need = {"entity"}
    if not need <= set(truth.columns) or not (
        "record_key" in truth.columns or {"source", "record_id"} <= set(truth.columns)
    ):
        raise InputError("truth needs entity and record_key (or source and record_id) columns")
    keys = (
        truth["record_key"].astype(str)
        if "record_key" in truth.columns
        else truth["source"].astype(str) + ":" + truth["record_id"].astype(str)
    )
    true = pd.Series(truth["entity"].astype(str).to_numpy(), index=keys.to_numpy())
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "er_clusters"):
            raise InputError("the case has not been resolved: run `graphkit resolve` first")
        pred = con.execute("SELECT record_key, person_id FROM er_clusters").df()
    pred = pred[pred["record_key"].isin(true.index)]
    if pred.empty:
        raise InputError("no resolved record has a true entity: check the truth's record ids")
    return er_metrics(pred["person_id"].to_numpy(), true.loc[pred["record_key"]].to_numpy())


#: pairwise F1 a resolution of simulated persons is expected to reach (issue 4)
SIMULATED_PERSONS_F1 = 0.95


def evaluate_resolution(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """The `graphkit evaluate` evaluator of the resolve stage (None when it has not run).

    Truth: ``truth_dir/records.csv`` of `graphkit simulate` (``source``, ``record_id``,
    ``identity_id`` = who the record describes: a person, a fake identity or a company).
    Records describing no identity (unregistered SIMs) are left out. ``passed`` is pairwise
    F1 >= :data:`SIMULATED_PERSONS_F1`.
    """
    if store.stage("resolve") is None:
        return None
    path = truth_dir / "records.csv"
    if not path.is_file():
        raise InputError(f"truth file {path} not found")
    truth = pd.read_csv(path, dtype=str)
    truth = truth[truth["identity_id"].notna()].rename(columns={"identity_id": "entity"})
    m = evaluate_case_resolution(store, truth)
    metrics: dict[str, Any] = {**m.as_dict(), **_shared_phone_metrics(store, truth_dir)}
    return {"metrics": metrics, "passed": m.pair_f1 >= SIMULATED_PERSONS_F1}


def _shared_phone_metrics(store: CaseStore, truth_dir: Path) -> dict[str, Any]:
    """The ``shared-phones`` leads against ``phones.csv``: how many, the share that are, in
    truth, SIMs registered under a false name (``registered_as = fake``) or numbers several
    people really use (``shared = true``, household lines), and the share of all falsely
    registered numbers they list (only those another record ties to someone else can be).
    Empty without ``phones.csv``."""
    from resolution.views import shared_phones_view

    path = truth_dir / "phones.csv"
    if not path.is_file():
        return {}
    phones = pd.read_csv(path, dtype=str, keep_default_na=False)
    fake = set(phones.loc[phones["registered_as"] == "fake", "msisdn"])
    shared = set(phones.loc[phones["shared"] == "true", "msisdn"])
    listed = [str(r["phone"]) for r in shared_phones_view(store)]
    if not listed:
        return {"shared_phones": 0}
    n_fake = sum(p in fake for p in listed)
    return {
        "shared_phones": len(listed),
        "false_registrations_listed": round(n_fake / len(fake), 4) if fake else None,
        "shared_phones_false_registration": round(n_fake / len(listed), 4),
        "shared_phones_explained": round(sum(p in fake | shared for p in listed) / len(listed), 4),
    }
