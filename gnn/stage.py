"""Link prediction on a case: read the actor graph, train, store hypotheses and the model.

The actor graph comes from the ``actor_edge`` table written by ``graphkit build``. Until a
case has been built, it is assembled here from the staging tables (CDR events between phones,
and pre-aggregated contact ties, one layer per contact kind or source), with phones as actors.
Predictions land in ``rel_predicted_link`` as hypotheses; decisions already taken by a person
(confirmed or rejected) are kept and those pairs are not suggested again.
"""

from __future__ import annotations

import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from gnn.colocation import colocation
from gnn.data import LinkGraph, NodeFeatures, link_graph
from gnn.settings import PredictSettings
from gnn.splits import LinkSplit, cross_layer_split, random_split, temporal_split
from gnn.view_activity import pair_activity
from graphkit.errors import CaseError
from graphkit.hypotheses import Status
from graphkit.store import CaseStore, writes

__all__ = [
    "MODEL_NAME",
    "PredictSettings",
    "load_actor_edges",
    "load_node_features",
    "predict_case_links",
]

logger = logging.getLogger(__name__)

MODEL_NAME = "link_prediction"
_MODEL_FILE_STEM = "link_predictor"
#: actors above which two worker threads make the lists: above 5,000 actors the walk counts
#: and baselines of the lists are read from sparse rows, not dense matrices, and take longer
#: than the training (10,000 people, 11,451 actors: one worker busy 143 s, the training 55 s)
_TWO_LIST_WORKERS_ABOVE = 5_000


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _has_rows(store: CaseStore, con: duckdb.DuckDBPyConnection, table: str) -> bool:
    if not store.table_exists(con, table):
        return False
    row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    return bool(row and row[0])


def load_actor_edges(store: CaseStore, con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, str]:
    """Edge frame (src, dst, layer, weight, first, last) and where it came from."""
    if _has_rows(store, con, "actor_edge"):
        sql = 'SELECT src, dst, layer, weight, "first", "last" FROM actor_edge'
        return _frame(con, sql), "actor_edge"
    parts, origin = [], []
    if _has_rows(store, con, "src_cdr"):
        parts.append(
            _frame(
                con,
                """
            SELECT caller AS src, callee AS dst,
                   CASE event_type WHEN 'sms' THEN 'sms' WHEN 'call' THEN 'calls'
                       ELSE 'other' END AS layer,
                   count(*)::DOUBLE AS weight, min(start) AS "first", max(start) AS "last"
            FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
              AND caller IS NOT NULL AND callee IS NOT NULL
            GROUP BY ALL""",
            )
        )
        origin.append("src_cdr")
    if _has_rows(store, con, "src_contacts"):
        parts.append(
            _frame(
                con,
                """
            SELECT source AS src, target AS dst,
                   'contact:' || coalesce(nullif(kind, ''), source_name) AS layer,
                   sum(coalesce(weight, 1))::DOUBLE AS weight,
                   min(start) AS "first", max("end") AS "last"
            FROM src_contacts WHERE NOT coalesce(is_duplicate, false)
              AND source IS NOT NULL AND target IS NOT NULL
            GROUP BY ALL""",
            )
        )
        origin.append("src_contacts")
    if not parts:
        raise CaseError("the case has no ties to learn from (ingest CDRs or contacts first)")
    return pd.concat(parts, ignore_index=True), "+".join(origin) + " (phones as actors)"


def load_node_features(
    store: CaseStore,
    con: duckdb.DuckDBPyConnection,
    node_ids: np.ndarray,
    *,
    until_s: float | None = None,
) -> NodeFeatures:
    """Hour-of-week rhythm per actor from CDR events, kept per tie (:mod:`gnn.view_activity`) so
    that each view counts only the events of the ties it shows; with the events' cells, the
    co-present sightings of actor pairs (:mod:`gnn.colocation`), also per tie.

    ``until_s`` keeps only events up to that time (epoch seconds), for a temporal split. The
    columns of ``analytics_actor`` are not read: ``analyze`` computes them over every tie and
    the whole period, so they would carry the ties a split holds out (degree, PageRank,
    community), and several are constant over a community (its hierarchy p-value, size,
    level) or role flags that say nothing about a pair. Structural features are computed on
    each view instead (:func:`gnn.data.build_view`).
    """
    if not _has_rows(store, con, "src_cdr"):
        return NodeFeatures.empty(node_ids.size)
    cut = "" if until_s is None else f"AND epoch(start) <= {float(until_s)!r}"
    events = _frame(
        con,
        """
        SELECT caller AS a, callee AS b,
               ((isodow(start) - 1) * 24 + hour(start))::INT AS how, count(*) AS n
        FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
          AND caller IS NOT NULL AND start IS NOT NULL """
        + cut
        + " GROUP BY ALL",
    )
    if events.empty:
        return NodeFeatures.empty(node_ids.size)
    # the caller's cell at each event: co-location, per tie like the rhythm
    sightings = _frame(
        con,
        """
        SELECT caller AS a, callee AS b, cell_id AS cell,
               CAST(floor(epoch(start)) AS BIGINT) AS t
        FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
          AND caller IS NOT NULL AND start IS NOT NULL AND cell_id IS NOT NULL """
        + cut,
    )
    if _has_rows(store, con, "actor") and "phones" in _frame(con, "SELECT * FROM actor LIMIT 0"):
        owners = _frame(con, "SELECT unnest(phones) AS phone, actor_id FROM actor")
        owner = dict(zip(owners["phone"].astype(str), owners["actor_id"].astype(str), strict=True))
        events = events.assign(
            a=events["a"].astype(str).map(owner), b=events["b"].astype(str).map(owner)
        )
        sightings = sightings.assign(
            a=sightings["a"].astype(str).map(owner), b=sightings["b"].astype(str).map(owner)
        )
    features = NodeFeatures.from_pair_activity(pair_activity(events, node_ids))
    if sightings.empty:
        return features
    return features.with_colocation(colocation(sightings, node_ids))


def _split(graph: LinkGraph, settings: PredictSettings) -> LinkSplit:
    target = settings.target_layers or None
    if settings.source_layers:
        return cross_layer_split(
            graph,
            seed=settings.seed,
            source_layers=settings.source_layers,
            target_layers=settings.target_layers,
        )
    # the stored list answers "which ties exist but were never observed": auto hides ties
    # at random, thin ones first (the closest observed relatives of an unobserved tie; on the
    # demo case this validation ranks the scorers as the planted hidden ties do, a uniform
    # hold-out does not, docs/gnn.md). A temporal split asks another question: which pairs
    # make their first contact late in the period (`--split temporal`).
    if settings.split == "temporal":
        return temporal_split(graph, seed=settings.seed, target_layers=target)
    thin = settings.split == "auto"
    return random_split(graph, seed=settings.seed, target_layers=target, thin=thin)


@writes("predict-links", operation="combination")
def predict_case_links(store: CaseStore, settings: PredictSettings) -> dict[str, Any]:
    """Train on the case's actor graph, store the top-K predictions and the model.

    Returns a summary: the split, metrics of the model and the heuristics on validation and
    test, the model version and how many hypotheses were stored.
    """
    import torch

    from gnn.model_files import save_model
    from gnn.predict import predict_links, prepare_candidates, with_pair_features
    from gnn.train import (
        TrainConfig,
        evaluation_lists,
        filled_below,
        train_link_model,
        warm_path_fill,
    )

    torch.manual_seed(settings.seed)
    with store.connect() as con:
        edges, origin = load_actor_edges(store, con)
        graph = link_graph(edges)
        features = load_node_features(store, con, graph.node_ids)
        split = _split(graph, settings)
        # a temporal split must not see activity after its cut: train and test on rhythms up to
        # the validation cut; the final ranking uses every event
        train_features = (
            features
            if split.val_until_s is None
            else load_node_features(store, con, graph.node_ids, until_s=split.val_until_s)
        )
    config = TrainConfig(epochs=settings.epochs)
    visible = (
        graph.layer_mask(settings.source_layers)
        if settings.source_layers
        else np.ones(graph.n_records, dtype=bool)
    )
    same_user = _same_user_pairs(store, graph.node_ids)
    # what needs no model is made by worker threads beside the training, in the order the
    # training asks for it: the validation candidates (while the folds are drawn), the test
    # list, then the final list's view, candidates and pair features. numpy and scipy release
    # the GIL; the values are the same as made in this thread. One worker on graphs of the
    # demo's size, so the training keeps a core of its own on 2 cores; two on large graphs,
    # where the lists and not the training are the longer path (:data:`_TWO_LIST_WORKERS_ABOVE`)
    workers = 2 if graph.n_nodes > _TWO_LIST_WORKERS_ABOVE else 1
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="link-lists") as pool:
        lists = evaluation_lists(
            graph, train_features, split, seed=settings.seed, config=config, executor=pool
        )
        prepared = pool.submit(
            prepare_candidates,
            graph,
            features,
            records=visible,
            target_layers=split.target_layers,
            exclude_pairs=same_user,
            with_features=False,
        )
        # what the ranking reads, whichever ranks: a baseline the path index below a side
        # signal (PPR where kept), the model the candidates' pair features. These are asked
        # for last: when a baseline ranks and the worker has not started them, they are not
        # computed (on the demo case 1.5 s of CPU)
        warmed = pool.submit(lambda: warm_path_fill(prepared.result().view))
        featured = pool.submit(lambda: with_pair_features(prepared.result()))
        # the variants side by side only where the training is the longer path: above the
        # threshold the lists are, and a second training thread slowed them (10,000 people:
        # 125.4 s side by side, 111.3 s one after the other; the same model)
        result = train_link_model(
            graph,
            train_features,
            split,
            seed=settings.seed,
            config=config,
            lists=lists,
            side_by_side=workers == 1,
        )
        if result.falls_back:
            featured.cancel()
            if filled_below(result.ranked_by) or result.ranked_by == "ppr":
                warmed.result()  # the final view's PPR, which ranks or fills
            else:
                warmed.cancel()
            candidates = prepared.result()
        else:
            candidates = featured.result()
    data = {
        "case_id": store.case_id,
        "manifest_sha256": store.manifest_sha256(),
        "origin": origin,
        "actors": graph.n_nodes,
        "tie_records": graph.n_records,
        "layers": list(graph.layers),
        "val_pairs": [len(split.val_pos), len(split.val_neg)],
        "test_pairs": [len(split.test_pos), len(split.test_neg)],
    }
    with tempfile.TemporaryDirectory(prefix="graphkit-model-") as tmp:
        made = save_model(result, Path(tmp), name=_MODEL_FILE_STEM, data=data)
        digest = made[2]
        # renamed into models/ when the operation commits, with the predictions and the record
        op = store.active_operation()
        weights, card = (store.path / "models" / p.name for p in made[:2])
        for source, target in zip(made[:2], (weights, card), strict=True):
            op.write_file(target, source.read_bytes(), inside_case=True)
    version = (
        f"heuristic-link/{result.ranked_by}/{digest[:12]}"
        if result.falls_back
        else f"gnn-link/{result.variant}/{digest[:12]}"
    )
    with store.connect() as con:
        decided = _frame(
            con, "SELECT src, dst FROM rel_predicted_link WHERE status <> 'hypothesis'"
        )
    predictions = predict_links(
        result.model,
        graph,
        features,
        records=visible,
        target_layers=split.target_layers,
        top_k=settings.top_k + len(decided),
        seed=settings.seed,
        config=config,
        ranked_by=result.ranked_by,
        calibration=result.calibration,
        exclude_pairs=same_user,
        candidates=candidates,
    )
    cut = dict(predictions.attrs)
    if len(decided):
        done = set(zip(decided["src"], decided["dst"], strict=True))
        keep = [(a, b) not in done for a, b in zip(predictions["a"], predictions["b"], strict=True)]
        predictions = predictions[keep]
    predictions = predictions.head(settings.top_k)
    threshold = float(predictions["score"].min()) if len(predictions) else None
    rows = pd.DataFrame(
        {
            "src": predictions["a"],
            "dst": predictions["b"],
            "score": predictions["score"],
            "threshold": threshold,
            "model_version": version,
            "evidence": [json.dumps(e, sort_keys=True) for e in predictions["evidence"]],
            "status": Status.HYPOTHESIS.value,
        }
    )
    with store.connect() as con:  # the operation's transaction: with the model and the record
        con.execute("DELETE FROM rel_predicted_link WHERE status = 'hypothesis'")
        con.register("new_predictions", rows)
        con.execute("""
            INSERT INTO rel_predicted_link
                (src, dst, score, threshold, model_version, evidence, status)
            SELECT src, dst, score, threshold, model_version, evidence::JSON, status
            FROM new_predictions""")

    def rel(path: Path) -> str:
        return str(path.relative_to(store.path))

    store.set_model(MODEL_NAME, path=rel(weights), sha256=digest, card=rel(card), version=version)
    summary = {
        "model_version": version,
        "variant": result.variant,
        "ranked_by": result.ranked_by,
        "fallback": fallback_line(result),
        "selection": result.selection,
        "calibration": {
            k: v for k, v in result.calibration_report.items() if k != "test_reliability"
        },
        "origin": origin,
        "split": split.settings,
        "metrics": result.metrics,
        "stored": len(rows),
        "candidates": cut.get("candidates"),
        "tied_beyond_cut": cut.get("tied_beyond_cut"),
        "same_user_pairs_left_out": len(same_user),
        "train_seconds": round(result.train_seconds, 2),
        "actors": graph.n_nodes,
        "tie_records": graph.n_records,
        "weights": rel(weights),
        "card": rel(card),
        "weights_sha256": digest,
    }
    store.record_stage("predict_links", settings=asdict(settings), summary=summary)
    return summary


def fallback_line(result: Any) -> str | None:
    """One line saying that the learned model lost to a baseline on validation, or None."""
    if not result.falls_back:
        return None
    k = result.config.hits_k
    val = result.metrics["val_ranking"]
    p = result.selection.get("learned_vs_baseline_p")
    mine, theirs = val[result.variant][f"hits@{k}"], val[result.ranked_by][f"hits@{k}"]
    counts = f"hits@{k} {mine:.3g} vs {theirs:.3g}"
    if result.selection.get("learned_ahead_on_validation") and p is not None:
        why = (
            f"does not beat {result.ranked_by} on validation by more than chance ({counts}; "
            f"paired sign-flip test p = {p:.3g}, above {result.config.selection_alpha:g})"
        )
    else:
        why = f"does not beat {result.ranked_by} on validation ({counts})"
    return (
        f"the learned model ({result.variant}) {why}; predictions are ranked by "
        f"{result.ranked_by}, the simpler scorer"
    )


Settings = PredictSettings  # the stage's settings, under the name every stage uses


def _same_user_pairs(store: CaseStore, node_ids: np.ndarray) -> np.ndarray:
    """(k, 2) node indices of actors whose numbers a hand-off joins (at or above its
    threshold, not rejected): one user's two numbers, never a hidden tie between two people
    to suggest. On the demo case 4 of the 20 stored predictions were such pairs, the first
    at 0.95 (17 shared contacts, Jaccard 0.94)."""
    from graphkit.hypotheses import same_user_links

    index = {str(a): i for i, a in enumerate(node_ids)}
    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "rel_same_user_as") and store.table_exists(con, "actor")):
            return np.zeros((0, 2), dtype=np.int64)
        found = [(b, c) for b, c, *_ in same_user_links(con)]
    pairs = [(index[a], index[b]) for a, b in found if a in index and b in index]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def run(store: CaseStore, settings: PredictSettings) -> dict[str, Any]:
    """The predict-links stage (:func:`predict_case_links`), with torch on one thread: its
    parallel sums add in whatever order the threads finish, so two runs with the same seed
    trained different weights and stored different lists (demo case: a new model version
    each run on 2 threads, the same one on 1; 30-34 s wall on 2 threads, 38.5 s on 1). A
    re-run with the same seed must give the same hypotheses: they are evidence."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return predict_case_links(store, settings)
    finally:
        torch.set_num_threads(threads)
