"""Benchmark: the network analytics on a large synthetic actor graph, beside networkx.

Generates a heavy-tailed actor graph with planted communities (a degree-corrected planted
partition: Pareto activity, log-normal community sizes, 80 % of ties inside the community),
runs every measure of ``graphkit analyze`` on it, then runs graphkit and networkx on a smaller
graph of the same kind and prints both times and their ratio. Deterministic for a fixed seed.

    python bench/analytics.py                      # 1M actors, 10M ties (minutes)
    python bench/analytics.py --nodes 20000 --edges 200000 --small-nodes 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def synthetic_edges(n_nodes: int, n_edges: int, *, seed: int, mixing: float = 0.2) -> pd.DataFrame:
    """Directed weighted ties (src, dst, weight, layer='calls') among ``n_nodes`` actors."""
    rng = np.random.default_rng(seed)
    sizes = np.maximum(3, rng.lognormal(mean=3.5, sigma=1.0, size=n_nodes // 10)).astype(np.int64)
    sizes = sizes[np.cumsum(sizes) <= n_nodes]
    sizes = np.r_[sizes, n_nodes - sizes.sum()] if sizes.sum() < n_nodes else sizes
    community = np.repeat(np.arange(len(sizes)), sizes)
    activity = rng.pareto(2.1, size=n_nodes) + 1.0
    cum = np.cumsum(activity)
    total = cum[-1]
    starts = np.r_[0.0, cum[np.cumsum(sizes)[:-1] - 1]]
    ends = cum[np.cumsum(sizes) - 1]
    src = np.minimum(np.searchsorted(cum, rng.random(n_edges) * total), n_nodes - 1)
    inside = rng.random(n_edges) >= mixing
    c = community[src]
    u = rng.random(n_edges)
    local = starts[c] + u * (ends[c] - starts[c])
    glob = u * total
    dst = np.minimum(np.searchsorted(cum, np.where(inside, local, glob)), n_nodes - 1)
    keep = src != dst
    weight = rng.geometric(0.3, size=int(keep.sum())).astype(float)
    width = len(str(n_nodes))
    names = np.char.add("a", np.char.zfill(np.arange(n_nodes).astype(str), width))
    return pd.DataFrame(
        {"src": names[src[keep]], "dst": names[dst[keep]], "weight": weight, "layer": "calls"}
    )


def _timed(label: str, fn: Callable[[], Any], rows: dict[str, float]) -> Any:
    """Wall-clock seconds into ``rows``; this process's CPU seconds are printed beside them
    (on a shared machine the two differ by the share of a core the process got)."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    rows[label] = time.perf_counter() - t
    cpu = time.process_time() - c
    print(f"  {label:<28} {rows[label]:8.2f} s wall {cpu:8.2f} s cpu", file=sys.stderr, flush=True)
    return out


def run_graphkit(
    edges: pd.DataFrame,
    *,
    seed: int,
    pivots: int,
    n_runs: int,
    null_draws: int,
    broker_candidates: int,
) -> dict[str, float]:
    """Time each measure the way ``analyze_edges`` runs it."""
    from graphkit.analytics.brokers import bridging, brokerage_roles, key_players
    from graphkit.analytics.centrality import centrality_table
    from graphkit.analytics.communities import consensus_communities, leiden
    from graphkit.analytics.graph import collapse, from_edges, normalise_layers
    from graphkit.analytics.hierarchy import hierarchy_table

    t: dict[str, float] = {}
    raw = _timed("graph from edge frame", lambda: from_edges(edges), t)
    g = normalise_layers(raw)
    d, u = _timed(
        "projections", lambda: (collapse(g, directed=True), collapse(g, directed=False)), t
    )
    _timed("leiden (1 run)", lambda: leiden(u, seed=seed), t)
    comm = _timed(
        f"consensus ({n_runs} runs)", lambda: consensus_communities(u, seed=seed, n_runs=n_runs), t
    )
    table, between = _timed(
        "centrality (all)",
        lambda: centrality_table(
            d, seed=seed, exact_max_vertices=0, max_pivots=pivots, undirected=u
        ),
        t,
    )
    print(
        f"  betweenness: exact={between.exact} pivots={between.pivots} "
        f"epsilon={between.epsilon:.3f} (delta={between.delta})",
        file=sys.stderr,
    )
    _timed(
        f"hierarchy ({null_draws} nulls)",
        lambda: hierarchy_table(
            raw,
            comm.membership,
            table["pagerank"].to_numpy(),
            seed=seed,
            n_null=null_draws,
            directed=["calls"],
        ),
        t,
    )
    order = np.argsort(-table["betweenness"].to_numpy(), kind="stable")
    cand = np.sort(order[:broker_candidates])
    _timed(
        f"brokerage ({len(cand)} actors)",
        lambda: brokerage_roles(d, comm.membership, vertices=cand),
        t,
    )
    _timed("bridging", lambda: bridging(u, comm.membership), t)
    _timed("key players (all, greedy 3)", lambda: key_players(u, set_size=3), t)
    t["total (all measures)"] = sum(t.values())
    print(
        f"  communities={comm.n_communities} modularity={comm.modularity:.4f} rounds={comm.rounds}",
        file=sys.stderr,
    )
    return t


def run_networkx(
    edges: pd.DataFrame, *, seed: int, pivots: int, broker_candidates: int
) -> dict[str, float]:
    """The same measures with networkx, as a user without graphkit would run them."""
    import networkx as nx

    t: dict[str, float] = {}
    d = _timed(
        "graph from edge frame",
        lambda: nx.from_pandas_edgelist(
            edges.groupby(["src", "dst"], as_index=False)["weight"].sum(),
            "src",
            "dst",
            "weight",
            create_using=nx.DiGraph,
        ),
        t,
    )
    u = d.to_undirected()
    _timed(
        "leiden (1 run)", lambda: nx.community.louvain_communities(u, weight="weight", seed=seed), t
    )

    def cent() -> None:
        dict(d.in_degree()), dict(d.out_degree()), dict(d.in_degree(weight="weight"))
        nx.pagerank(d, weight="weight")
        nx.betweenness_centrality(
            d, k=min(pivots, d.number_of_nodes()), seed=seed, normalized=False
        )
        nx.core_number(u)
        nx.constraint(u, weight="weight")
        list(nx.articulation_points(u))

    _timed("centrality (all)", cent, t)
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--small-nodes", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pivots", type=int, default=64)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--null-draws", type=int, default=39)
    ap.add_argument("--broker-candidates", type=int, default=500)
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    ratio = args.edges / args.nodes
    opts = dict(
        seed=args.seed,
        pivots=args.pivots,
        n_runs=args.runs,
        null_draws=args.null_draws,
        broker_candidates=args.broker_candidates,
    )
    results: list[tuple[str, dict[str, float]]] = []
    if not args.skip_large:
        print(f"graphkit on {args.nodes:,} actors / {args.edges:,} ties", file=sys.stderr)
        t = time.perf_counter()
        big = synthetic_edges(args.nodes, args.edges, seed=args.seed)
        print(f"  generated in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        results.append((f"graphkit {args.nodes:,}/{len(big):,}", run_graphkit(big, **opts)))
        del big
    small = synthetic_edges(args.small_nodes, int(args.small_nodes * ratio), seed=args.seed)
    label = f"{args.small_nodes:,}/{len(small):,}"
    print(f"graphkit on {label}", file=sys.stderr)
    gk_small = run_graphkit(small, **opts)
    print(f"networkx on {label}", file=sys.stderr)
    nx_small = run_networkx(
        small, seed=args.seed, pivots=args.pivots, broker_candidates=args.broker_candidates
    )
    results += [(f"graphkit {label}", gk_small), (f"networkx {label}", nx_small)]
    shared = [k for k in nx_small if k in gk_small]
    for _, r in results:
        r["total (measures networkx has)"] = sum(r[k] for k in shared)
    measures = list(dict.fromkeys(k for _, r in results for k in r))
    header = ["measure (seconds)", *[name for name, _ in results], "networkx / graphkit (small)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for m in measures:
        cells = [f"{r[m]:.2f}" if m in r else "-" for _, r in results]
        speed = (
            f"{nx_small[m] / gk_small[m]:.1f}x"
            if m in nx_small and m in gk_small and gk_small[m] > 0
            else "-"
        )
        print(f"| {m} | " + " | ".join(cells) + f" | {speed} |")
    print(
        "\nnetworkx has no Leiden: its row uses louvain_communities (one run); its centrality "
        "row covers degree, strength, PageRank, sampled betweenness (same pivots), k-core, "
        "Burt's constraint and articulation points, as graphkit's does."
    )


if __name__ == "__main__":
    main()
