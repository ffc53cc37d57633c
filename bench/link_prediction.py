"""Link prediction benchmark: the model against the classic heuristics, same splits, same run.

Datasets: Montagna phones, Montagna meetings, phones -> meetings (cross-layer), planted hidden
ties (gnn.synthetic: hidden ties whose ends share a weekly rhythm), and optionally a simulated
case (``--sim-case CASE_DIR --truth TRUTH_DIR``: the case built from ``graphkit simulate``
output, phones as actors, hidden ties from ``truth/hidden_ties.csv`` mapped to phones through
``truth/phones.csv``). For each: AUC, AP and Hits@20 on the test pairs, mean and s.d. over
``--seeds`` seeded splits, for the model (``selected``: the variant picked on validation; also
``gnn`` and ``pairwise`` separately) and common neighbours, Jaccard, Adamic-Adar, resource
allocation and preferential attachment. Then training seconds on generated graphs of
``--scale-edges`` ties (full-batch below 400k directed edges, sampled mini-batches above).

Montagna data: Cavallaro et al. 2020, PLOS ONE, doi:10.1371/journal.pone.0236476 (CC BY 4.0).

Usage: OMP_NUM_THREADS=1 python bench/link_prediction.py [--seeds 10] [--scale-edges 100000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gnn.data import LinkGraph, NodeFeatures, link_graph  # noqa: E402
from gnn.datasets import montagna_layers  # noqa: E402
from gnn.features import HEURISTICS  # noqa: E402
from gnn.splits import (  # noqa: E402
    LinkSplit,
    cross_layer_split,
    hidden_tie_split,
    random_split,
)
from gnn.synthetic import planted_hidden_ties  # noqa: E402
from gnn.train import TrainConfig, train_link_model  # noqa: E402

SCORERS = ("selected", "gnn", "pairwise", *HEURISTICS)
Task = Callable[[int], tuple[LinkGraph, NodeFeatures, LinkSplit]]


def _montagna_dir() -> Path:
    env = os.environ.get("GRAPHKIT_SHARED_DATA")
    return (Path(env) if env else ROOT.parent / "shared" / "data") / "montagna"


def montagna_task(layer: str) -> Task:
    graph = link_graph(montagna_layers(_montagna_dir(), layers=(layer,)))

    def make(seed: int) -> tuple[LinkGraph, NodeFeatures, LinkSplit]:
        return graph, NodeFeatures.empty(graph.n_nodes), random_split(graph, seed=seed)

    return make


def cross_layer_task() -> Task:
    graph = link_graph(montagna_layers(_montagna_dir()))

    def make(seed: int) -> tuple[LinkGraph, NodeFeatures, LinkSplit]:
        split = cross_layer_split(
            graph, seed=seed, source_layers=("phone",), target_layers=("meetings",)
        )
        return graph, NodeFeatures.empty(graph.n_nodes), split

    return make


def planted_task(n_nodes: int) -> Task:
    def make(seed: int) -> tuple[LinkGraph, NodeFeatures, LinkSplit]:
        pg = planted_hidden_ties(seed=1000 + seed, n_nodes=n_nodes)
        graph = link_graph(pg.edges, nodes=pg.node_ids)
        idx = np.stack(
            [
                np.searchsorted(graph.node_ids, pg.hidden.a),
                np.searchsorted(graph.node_ids, pg.hidden.b),
            ],
            axis=1,
        )
        features = NodeFeatures.from_activity(pg.hour_of_week)
        return graph, features, hidden_tie_split(graph, idx, seed=seed)

    return make


def simulated_task(case_dir: Path, truth_dir: Path) -> Task:
    """Hidden ties of a simulated case, phones as actors (see the module docstring)."""
    from gnn.stage import load_actor_edges, load_node_features
    from graphkit.store import CaseStore

    store = CaseStore.open(case_dir)
    with store.connect() as con:
        edges, _ = load_actor_edges(store, con)
        graph = link_graph(edges)
        features = load_node_features(store, con, graph.node_ids)
    ties = pd.read_csv(truth_dir / "hidden_ties.csv", dtype=str)
    phones = pd.read_csv(truth_dir / "phones.csv", dtype=str)
    phones = phones.rename(columns={"person_id": "person"})[["msisdn", "person"]].drop_duplicates()
    pairs = ties.merge(
        phones.rename(columns={"person": "person_a", "msisdn": "msisdn_a"}), on="person_a"
    ).merge(phones.rename(columns={"person": "person_b", "msisdn": "msisdn_b"}), on="person_b")
    ids = pd.Index(graph.node_ids.astype(str))
    a, b = ids.get_indexer(pairs["msisdn_a"]), ids.get_indexer(pairs["msisdn_b"])
    ok = (a >= 0) & (b >= 0) & (a != b)
    hidden = np.stack([a[ok], b[ok]], axis=1)

    def make(seed: int) -> tuple[LinkGraph, NodeFeatures, LinkSplit]:
        return graph, features, hidden_tie_split(graph, hidden, seed=seed)

    return make


def run_task(name: str, task: Task, seeds: int, config: TrainConfig) -> list[dict[str, object]]:
    per_seed = []
    for seed in range(seeds):
        graph, features, split = task(seed)
        result = train_link_model(graph, features, split, seed=seed, config=config)
        per_seed.append(result.metrics["test"])
        print(
            f"  {name} seed {seed}: selected={result.variant} "
            f"auc={result.metrics['test']['selected']['auc']:.3f} "
            f"({result.train_seconds:.1f}s, {len(split.test_pos)} test ties)",
            file=sys.stderr,
        )
    rows = []
    for scorer in SCORERS:
        row: dict[str, object] = {"dataset": name, "scorer": scorer}
        for metric in ("auc", "ap", "hits@20"):
            values = np.array([m[scorer][metric] for m in per_seed])
            row[metric] = f"{values.mean():.3f} ± {values.std(ddof=1) if seeds > 1 else 0:.3f}"
        rows.append(row)
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
    frame = pd.DataFrame(rows)
    print(frame.to_markdown(index=False) if _has_tabulate() else frame.to_string(index=False))
    print()


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--planted-nodes", type=int, default=400)
    parser.add_argument("--sim-case", type=Path)
    parser.add_argument("--truth", type=Path)
    parser.add_argument("--scale-edges", type=int, nargs="*", default=[100_000])
    parser.add_argument("--scale-epochs", type=int, nargs="*", default=None)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--datasets",
        nargs="*",
        default=["phones", "meetings", "cross", "planted", "simulated"],
        help="subset of: phones meetings cross planted simulated",
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    config = TrainConfig(epochs=args.epochs)
    print(
        f"link prediction benchmark: torch threads={torch.get_num_threads()}, "
        f"cpus={os.cpu_count()}, seeds={args.seeds}, epochs={args.epochs}\n"
    )
    if not args.skip_accuracy:
        wanted = set(args.datasets)
        tasks: list[tuple[str, Task]] = []
        if "phones" in wanted:
            tasks.append(("montagna phones", montagna_task("phone")))
        if "meetings" in wanted:
            tasks.append(("montagna meetings", montagna_task("meetings")))
        if "cross" in wanted:
            tasks.append(("phones -> meetings", cross_layer_task()))
        if "planted" in wanted:
            name = f"planted hidden ties ({args.planted_nodes} actors)"
            tasks.append((name, planted_task(args.planted_nodes)))
        if "simulated" in wanted and args.sim_case and args.truth:
            tasks.append(("simulated hidden ties", simulated_task(args.sim_case, args.truth)))
        rows: list[dict[str, object]] = []
        for name, task in tasks:
            rows += run_task(name, task, args.seeds, config)
        print(
            "test metrics, mean ± s.d. over seeded splits (selected = variant chosen on validation)"
        )
        _print_table(rows)
    if args.scale_edges:
        epochs = args.scale_epochs or [100 if n <= 200_000 else 3 for n in args.scale_edges]
        timing = [time_training(n, e) for n, e in zip(args.scale_edges, epochs, strict=True)]
        print("training time on generated graphs (edge-gated GraphSAGE encoder + pair features)")
        _print_table(timing)


if __name__ == "__main__":
    main()
