"""Link prediction benchmark: the stored ranking against the baselines, at the top of the list.

What an investigator reads is the top 20-500 of a ranked list, so every dataset is scored
by hits@k (true ties among the top k candidates), AUC against uniform non-ties and AP, for
the model as ``predict-links`` ships it (``selected``: the learned variant, or the baseline
it falls back to when it does not win on validation), on Montagna the learned variants
themselves (``gnn``, ``pairwise``: their own lists, selected or not), and for Katz (beta
0.05, <= 4 steps), Adamic-Adar, resource allocation, common neighbours and personalised
PageRank, plus, where the case has them, the plain counts of the extra data the model
sees: days seen together on towers (``colocation``) and shared money counterparties
(``shared_money``).

* ``demo``: a simulated case built by ``graphkit demo`` (``--demo DIR``, the folder with
  ``case/`` and ``sim/truth``), through the product path: ``predict-links`` runs on a copy
  of the case (top 500 stored) and the stored list is scored against the planted hidden ties
  (``truth/hidden_ties.csv``, persons mapped to actors through their phones); the baselines
  rank the same candidate pairs. Calibration: ECE of the stored scores on held-out ties.
* ``meetings`` / ``phones``: Montagna, ``--splits`` paired random hold-outs (every scorer
  on the same split): test hits@k over all unobserved pairs, AUC, AP; wins against
  resource allocation at hits@20; and, as a bound rather than a scorer, the best of every
  scorer on each split chosen after seeing its test ties (its ``beats RA@20``: splits where
  some scorer other than resource allocation holds more ties in its top 20).

Montagna data: Cavallaro et al. 2020, PLOS ONE, doi:10.1371/journal.pone.0236476 (CC BY 4.0).

Usage: OMP_NUM_THREADS=1 python bench/link_prediction.py --demo /tmp/lp-demo7 --splits 20
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gnn.data import NodeFeatures, build_view, link_graph  # noqa: E402
from gnn.datasets import montagna_layers  # noqa: E402
from gnn.features import HEURISTICS  # noqa: E402
from gnn.metrics import link_metrics  # noqa: E402
from gnn.ranking import RANKING_KS  # noqa: E402
from gnn.scorers import BASELINES  # noqa: E402
from gnn.splits import random_split  # noqa: E402
from gnn.train import TrainConfig, train_link_model  # noqa: E402

SCORERS = ("selected", *BASELINES)
#: rows of AUC and AP only: the indices of shared neighbours with every pair that shares none
#: tied at 0 (as the baselines rank them, those pairs are ordered below by a path index), and
#: preferential attachment
PLAIN = ("resource_allocation_alone", "adamic_adar_alone", "preferential_attachment")
HINDSIGHT = "best of all, per split (bound)"


def _montagna_dir() -> Path:
    env = os.environ.get("GRAPHKIT_SHARED_DATA")
    return (Path(env) if env else ROOT.parent / "shared" / "data") / "montagna"


def montagna(layer: str, splits: int, config: TrainConfig) -> list[dict[str, object]]:
    """Paired random hold-outs of one Montagna layer: test metrics per scorer."""
    graph = link_graph(montagna_layers(_montagna_dir(), layers=(layer,)))
    per_split = []
    for seed in range(splits):
        split = random_split(graph, seed=seed)
        r = train_link_model(
            graph, NodeFeatures.empty(graph.n_nodes), split, seed=seed, config=config
        )
        rows = {}
        for name in (*SCORERS, *config.variants, *PLAIN):
            rows[name] = {
                **r.metrics["test_ranking"].get(name, {}),
                **{k: r.metrics["test"][name][k] for k in ("auc", "ap")},
            }
        # a bound, not a scorer: the best of every scorer on this split, chosen after seeing
        # its test ties (what a perfect choice among them would give)
        ranked = (*BASELINES, *config.variants)
        rows[HINDSIGHT] = {
            m: max(rows[n][m] for n in ranked) for m in (*(f"hits@{k}" for k in RANKING_KS), "auc")
        }
        rows[HINDSIGHT]["ap"] = max(rows[n]["ap"] for n in ranked)
        rows[HINDSIGHT]["hits@20 not RA"] = max(
            rows[n]["hits@20"] for n in ranked if n != "resource_allocation"
        )
        rows["_"] = {"ranked_by": r.ranked_by, "ece": r.calibration_report["test_ece"]}
        per_split.append(rows)
        print(
            f"  {layer} split {seed}: ranked by {r.ranked_by}, hits@20 "
            f"{rows['selected']['hits@20']:.1f} vs RA {rows['resource_allocation']['hits@20']:.1f}",
            file=sys.stderr,
        )
    out = []
    ra = np.array([p["resource_allocation"]["hits@20"] for p in per_split])
    # the learned variants' own rows too, whether or not a split ranks by them
    for name in (*SCORERS, *config.variants, *PLAIN, HINDSIGHT):
        row: dict[str, object] = {"dataset": f"montagna {layer} ({splits} splits)", "scorer": name}
        for metric in (*(f"hits@{k}" for k in RANKING_KS), "auc", "ap"):
            v = np.array([p[name].get(metric, np.nan) for p in per_split])
            if not np.isnan(v).all():  # AUC and AP only for the rows that rank no list
                row[metric] = f"{v.mean():.3f} ± {v.std(ddof=1) if splits > 1 else 0:.3f}"
        wins = "hits@20 not RA" if name == HINDSIGHT else "hits@20"
        h = np.array([p[name].get(wins, np.nan) for p in per_split])
        if not np.isnan(h).all():
            row["beats RA@20"] = f"{int((h > ra).sum())}/{splits}"
        out.append(row)
    ranked = pd.Series([p["_"]["ranked_by"] for p in per_split]).value_counts().to_dict()
    ece = np.mean([p["_"]["ece"] for p in per_split])
    print(f"montagna {layer}: ranked by {ranked}; mean test ECE {ece:.4f}", file=sys.stderr)
    out[0]["ranked_by"] = str(ranked)
    out[0]["test ECE"] = f"{ece:.4f}"
    return out


def _hidden_actor_keys(
    store: object, truth: Path, node_ids: np.ndarray, trace: str | None = None
) -> np.ndarray:
    """Planted hidden ties as actor pair keys (persons -> phones -> actors); ``trace``: only
    the ties that left that trace (truth/hidden_ties.csv)."""
    with store.connect(read_only=True) as con:  # type: ignore[attr-defined]
        owners = con.execute("SELECT actor_id, unnest(phones) AS phone FROM actor").df()
    phones = pd.read_csv(truth / "phones.csv", dtype=str)[["msisdn", "person_id"]]
    pa = owners.merge(phones, left_on="phone", right_on="msisdn")[["actor_id", "person_id"]]
    pa = pa.drop_duplicates()
    ties = pd.read_csv(truth / "hidden_ties.csv", dtype=str)
    if trace is not None and "trace" in ties:
        ties = ties[ties["trace"] == trace]
    m = ties.merge(pa.rename(columns={"actor_id": "x", "person_id": "person_a"}), on="person_a")
    m = m.merge(pa.rename(columns={"actor_id": "y", "person_id": "person_b"}), on="person_b")
    ids = pd.Index(node_ids.astype(str))
    a, b = ids.get_indexer(m["x"]), ids.get_indexer(m["y"])
    ok = (a >= 0) & (b >= 0) & (a != b)
    n = node_ids.size
    return np.unique(np.minimum(a, b)[ok] * n + np.maximum(a, b)[ok])


def demo(demo_dir: Path, seed: int, epochs: int) -> list[dict[str, object]]:
    """predict-links on a copy of a demo case; its stored list against the hidden ties."""
    from gnn.metrics import ranked_hits
    from gnn.model_files import load_recorded_model
    from gnn.predict import candidate_pairs
    from gnn.stage import PredictSettings, load_actor_edges, load_node_features, predict_case_links
    from gnn.train import _logits, _tensors, baseline_signal, view_baselines
    from graphkit.store import CaseStore

    truth = demo_dir / "sim" / "truth"
    with tempfile.TemporaryDirectory(prefix="lp-bench-") as tmp:
        case = Path(tmp) / "case"
        shutil.copytree(demo_dir / "case", case)
        store = CaseStore.open(case)
        t0, c0 = time.perf_counter(), time.process_time()
        summary = predict_case_links(store, PredictSettings(top_k=500, seed=seed, epochs=epochs))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        load = os.getloadavg()[0]
        with store.connect(read_only=True) as con:
            edges, _ = load_actor_edges(store, con)
            graph = link_graph(edges)
            features = load_node_features(store, con, graph.node_ids)
            stored = con.execute(
                "SELECT src, dst, score FROM rel_predicted_link WHERE status = 'hypothesis' "
                "ORDER BY score DESC, src, dst"
            ).df()
        model, card = load_recorded_model(case, store.manifest["models"]["link_prediction"])
        hidden = _hidden_actor_keys(store, truth, graph.node_ids)
        by_trace = {
            t: _hidden_actor_keys(store, truth, graph.node_ids, t)
            for t in ("meeting", "money", "none")
        }
    n = graph.n_nodes
    view = build_view(graph, features, np.ones(graph.n_records, dtype=bool))
    hidden = np.setdiff1d(hidden, view.pair_keys)
    t1 = time.perf_counter()
    pairs = candidate_pairs(view)
    cand_s = time.perf_counter() - t1
    keys = pairs[:, 0] * n + pairs[:, 1]
    labels = np.isin(keys, hidden)
    ids = pd.Index(graph.node_ids.astype(str))
    sa, sb = ids.get_indexer(stored["src"]), ids.get_indexer(stored["dst"])
    stored_keys = np.minimum(sa, sb) * n + np.maximum(sa, sb)
    stored_hit = np.isin(stored_keys, hidden)
    rng = np.random.default_rng(seed)
    non = rng.integers(0, n, (20000, 2))
    non = non[non[:, 0] != non[:, 1]]
    nk = np.unique(np.minimum(non[:, 0], non[:, 1]) * n + np.maximum(non[:, 0], non[:, 1]))
    nk = np.setdiff1d(nk, np.union1d(view.pair_keys, hidden))[:5000]
    hp = np.stack([hidden // n, hidden % n], 1)
    npairs = np.stack([nk // n, nk % n], 1)
    rows = []
    ranked_by = summary["ranked_by"]
    cfg = TrainConfig(epochs=epochs)
    baselines = view_baselines(view)
    for name in ("selected", *baselines):
        scorer = ranked_by if name == "selected" else name
        if name == "selected":
            hits = {f"hits@{k}": float(stored_hit[:k].sum()) for k in RANKING_KS}
        else:
            hits = ranked_hits(baseline_signal(scorer, view, pairs), labels, ks=RANKING_KS)
        if scorer in baselines:
            sp_, sn_ = baseline_signal(scorer, view, hp), baseline_signal(scorer, view, npairs)
        else:
            sp_ = _logits(model, view, _tensors(view, hp, None), seed, cfg)
            sn_ = _logits(model, view, _tensors(view, npairs, None), seed, cfg)
        m = link_metrics(sp_, sn_)
        rows.append(
            {
                "dataset": f"demo {demo_dir.name} (seed {seed})",
                "scorer": name if name != "selected" else f"stored ({ranked_by})",
                **hits,
                "auc": round(m["auc"], 3),
                "ap": round(m["ap"], 3),
            }
        )
    scores = stored["score"].to_numpy()
    top100 = scores[:100]
    from gnn.calibration import expected_calibration_error

    info = {
        "hidden actor pairs": int(hidden.size),
        "candidates": len(pairs),
        "candidate coverage of hidden ties": round(float(labels.sum() / hidden.size), 3),
        "candidates s": round(cand_s, 1),
        "predict-links wall s": round(wall, 1),
        "predict-links CPU s": round(cpu, 1),
        "load average (1 min) after it": round(load, 2),
        "selection (validation hits@50)": {
            k: round(v["hits@50"], 1) for k, v in summary["metrics"]["val_ranking"].items()
        },
        "learned vs best baseline on validation: paired sign-flip p": card["ranking"][
            "selection"
        ].get("learned_vs_baseline_p"),
        "train s": summary["train_seconds"],
        "top-100 scores >= 0.999": int((top100 >= 0.999).sum()),
        "max stored score": round(float(scores.max()), 4),
        "stored top-100 hits by trace": {
            t: int(np.isin(stored_keys[:100], k).sum()) for t, k in by_trace.items()
        },
        "hidden actor pairs by trace": {t: int(k.size) for t, k in by_trace.items()},
        "ECE of stored top 500 vs hidden ties": round(
            expected_calibration_error(scores, stored_hit), 4
        ),
        "mean stored score top 500": round(float(scores.mean()), 4),
        "hidden-tie rate top 500": round(float(stored_hit.mean()), 4),
        "test ECE (held-out ties, all candidates)": round(summary["calibration"]["test_ece"], 4),
        "test ECE top 500": round(summary["calibration"]["test_ece_top500"], 4),
        "fallback": summary["fallback"],
        "model_version": summary["model_version"],
    }
    print("\n".join(f"  {k}: {v}" for k, v in info.items()))
    print("  reliability on the test split (held-out ties; bin, pairs, predicted, observed):")
    for r in card["ranking"]["calibration"]["test_reliability"]:
        print(
            f"    {r['bin']}  {r['pairs']:>10.0f}  {r['mean_predicted']:.4f}  "
            f"{r['observed_rate']:.4f}"
        )
    return rows


def scale_graph(n_edges: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A sparse grouped graph with ``n_edges`` ties (mean degree 8, heavy-tailed activity)."""
    rng = np.random.default_rng(seed)
    n_nodes = max(100, n_edges // 4)
    group = np.arange(n_nodes) // 20
    weight = rng.pareto(2.0, n_nodes) + 1.0
    prob = weight / weight.sum()
    draws = int(n_edges * 1.4)  # duplicates and self-pairs are dropped below
    u = rng.choice(n_nodes, draws, p=prob)
    within = rng.random(draws) < 0.7
    mate = np.minimum(group[u] * 20 + rng.integers(0, 20, draws), n_nodes - 1)
    v = np.where(within, mate, rng.choice(n_nodes, draws, p=prob))
    key = np.unique(np.minimum(u, v)[u != v] * n_nodes + np.maximum(u, v)[u != v])
    key = rng.permutation(key)[:n_edges]
    u, v = key // n_nodes, key % n_nodes
    edges = pd.DataFrame({"src": u, "dst": v, "weight": rng.geometric(0.3, u.size)})
    n_groups = int(group.max()) + 1
    peaks = rng.integers(0, 168, n_groups)
    how = rng.poisson(0.2, (n_nodes, 168)).astype(np.float64)
    how[np.arange(n_nodes), peaks[group]] += rng.poisson(5, n_nodes)
    return edges, how


def time_training(n_edges: int, epochs: int) -> dict[str, object]:
    edges, how = scale_graph(n_edges, seed=0)
    t0 = time.perf_counter()
    every = np.arange(how.shape[0]).astype(str)
    graph = link_graph(edges.astype({"src": str, "dst": str}), nodes=every)
    order = np.argsort(every)  # node ids sort as strings
    features = NodeFeatures.from_activity(how[order])
    split = random_split(graph, seed=0)
    prep_s = time.perf_counter() - t0
    config = TrainConfig(epochs=epochs, variants=("gnn",))
    cpu0 = time.process_time()
    result = train_link_model(graph, features, split, seed=0, config=config)
    train_cpu_s = time.process_time() - cpu0
    big = graph.n_records * 2 > config.minibatch_above_edges
    return {
        "ties": graph.n_records,
        "actors": graph.n_nodes,
        "mode": "mini-batch (sampled)" if big else "full-batch",
        "epochs": epochs,
        "prepare_s": round(prep_s, 1),
        "load_avg_1min": round(os.getloadavg()[0], 1),
        "train_s": round(result.train_seconds, 1),
        "train_cpu_s": round(train_cpu_s, 1),
        "test_auc": round(result.metrics["test"]["gnn"]["auc"], 3),
        "best_heuristic_auc": round(max(result.metrics["test"][h]["auc"] for h in HEURISTICS), 3),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def _print_table(rows: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(rows).fillna("")
    try:
        print(frame.to_markdown(index=False))
    except ImportError:
        print(frame.to_string(index=False))
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--splits", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--demo", type=Path, nargs="*", default=[])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--datasets", nargs="*", default=["demo", "meetings", "phones"])
    parser.add_argument("--scale-edges", type=int, nargs="*", default=[])
    args = parser.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    config = TrainConfig(epochs=args.epochs)
    print(
        f"link prediction benchmark: torch threads={torch.get_num_threads()}, "
        f"cpus={os.cpu_count()}, epochs={args.epochs}\n"
    )
    rows: list[dict[str, object]] = []
    if "demo" in args.datasets:
        for d in args.demo:
            rows += demo(d, args.seed, args.epochs)
    if rows:
        _print_table(rows)
    rows = []
    for layer, key in (("meetings", "meetings"), ("phone", "phones")):
        if key in args.datasets:
            rows += montagna(layer, args.splits, config)
    if rows:
        _print_table(rows)
    if args.scale_edges:
        timing = [time_training(n, 100) for n in args.scale_edges]
        print("training time on generated graphs")
        _print_table(timing)


if __name__ == "__main__":
    main()
