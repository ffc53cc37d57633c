"""Benchmark: ``graphkit analyze`` on a large synthetic actor graph, beside networkx.

Generates a heavy-tailed actor graph with planted communities (a degree-corrected planted
partition: Pareto activity, log-normal community sizes, 80 % of ties inside the community),
writes it into a fresh case as the ``actor`` and ``actor_edge`` tables ``graphkit build``
would, and runs the full ``analyze`` on it (read, every part, explanations, write), printing
the wall-clock and CPU seconds of each part. Then graphkit and networkx compute the measures
networkx has on a smaller graph of the same kind, with the ratio. Deterministic for a fixed
seed: the digest line of two runs is the same.

    python bench/analytics.py                      # 1M actors, 10M ties (minutes)
    python bench/analytics.py --nodes 20000 --edges 200000 --small-nodes 5000
    python bench/analytics.py --runs 3 --pivots 64 --null-draws 39 --broker-candidates 500

Settings default to the product's (``AnalysisSpec()``); flags that reduce them are named in
the tables' titles as REDUCED settings beside the product's values.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
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


def _cpu() -> float:
    from graphkit.analytics.parallel import cpu_seconds

    return cpu_seconds()  # the analysis's forkserver workers are not this process's children


def _timed(label: str, fn: Callable[[], Any], rows: dict[str, tuple[float, float]]) -> Any:
    """Wall-clock and CPU seconds (this process and its finished workers) into ``rows``."""
    wall, cpu = time.perf_counter(), _cpu()
    out = fn()
    rows[label] = (time.perf_counter() - wall, _cpu() - cpu)
    print(
        f"  {label:<34} {rows[label][0]:8.2f} s wall {rows[label][1]:8.2f} s cpu", file=sys.stderr
    )
    return out


def _spec(args: argparse.Namespace, *, workers: int | None = None) -> Any:
    from graphkit.analytics.measures import AnalysisSpec

    return AnalysisSpec(
        n_runs=args.runs,
        betweenness_pivots=args.pivots,
        hierarchy_null_draws=args.null_draws,
        broker_candidates=args.broker_candidates,
        workers=args.workers if workers is None else workers,
        exact_betweenness_max=0,  # sampled on the small graph too, as networkx is asked to
    )


def _case(edges: pd.DataFrame, workdir: Path) -> Any:
    """A case holding ``edges`` as its actor graph, as ``graphkit build`` writes it."""
    from graphkit.store import CaseStore

    store = CaseStore.init(Path(tempfile.mkdtemp(dir=workdir)) / "case")
    # through the store's one write path, as build's tables are written
    with store.operation("bench: actor graph", operation="combination") as op:
        con = op.con
        con.register("edge_frame", edges)
        con.execute(
            "CREATE TABLE actor_edge AS SELECT src, dst, layer, weight, "
            "1::BIGINT AS count FROM edge_frame"
        )
        con.execute(
            "CREATE TABLE actor AS SELECT actor_id, 'phone' AS kind, [actor_id] AS phones "
            "FROM (SELECT src AS actor_id FROM edge_frame UNION SELECT dst FROM edge_frame)"
        )
        con.unregister("edge_frame")
    return store


def _digest(table: pd.DataFrame) -> str:
    """Fingerprint of the results that randomness could change (communities, ranks)."""
    cols = [c for c in ("community", "pagerank", "betweenness", "leadership") if c in table]
    frame = table.sort_values("actor_id")[["actor_id", *cols]]
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy()).hexdigest()[
        :16
    ]


def run_analyze(store: Any, args: argparse.Namespace) -> dict[str, tuple[float, float]]:
    """The full ``analyze`` on the case ``store``; rows: part -> (wall s, CPU s)."""
    from graphkit.analytics.measures import PARTS
    from graphkit.pipeline import analyze

    rows: dict[str, tuple[float, float]] = {}
    total: dict[str, tuple[float, float]] = {}
    summary = _timed(
        "analyze (total)",
        lambda: analyze(store, seed=args.seed, only=list(PARTS), spec=_spec(args)),
        total,
    )
    parts = summary["seconds_by_part"]
    for part in parts["wall"]:
        rows[part] = (parts["wall"][part], parts["cpu"][part])
    wall, cpu = total["analyze (total)"]
    # parts run beside the hierarchy overlap it in time: their wall-clock is not added
    rows["case read + results write"] = (
        wall - sum(w for part, (w, _) in rows.items() if "beside hierarchy" not in part),
        cpu - sum(c for _, c in rows.values()),
    )
    rows["total (full analyze)"] = (wall, cpu)
    for part, (w, c) in rows.items():
        print(f"    {part:<32} {w:8.2f} s wall {c:8.2f} s cpu", file=sys.stderr)
    with store.connect(read_only=True) as con:
        table = con.execute("SELECT * FROM analytics_actor").df()
    shutil.rmtree(store.path.parent)  # the case was a throw-away copy
    print(
        f"  communities={summary['communities']} modularity={summary['modularity']:.4f} "
        f"runs={summary['consensus_runs']} rounds={summary['consensus_rounds']} "
        f"betweenness pivots={summary['betweenness_pivots']} "
        f"epsilon={summary['betweenness_epsilon']:.3f} digest={_digest(table)}",
        file=sys.stderr,
    )
    return rows


def leiden_once(edges: pd.DataFrame, seed: int, rows: dict[str, tuple[float, float]]) -> None:
    """One Leiden run on the undirected projection (the Leiden target), timed alone."""
    from graphkit.analytics.communities import leiden
    from graphkit.analytics.graph import collapse, from_edges, normalise_layers
    from graphkit.analytics.measures import AnalysisSpec, prepare_edges

    u = collapse(
        normalise_layers(from_edges(prepare_edges(edges, AnalysisSpec())[0])), directed=False
    )
    _timed("leiden, 1 run (in communities)", lambda: leiden(u, seed=seed), rows)


def run_graphkit_small(
    edges: pd.DataFrame, args: argparse.Namespace
) -> dict[str, tuple[float, float]]:
    """``analyze_edges`` part by part (no case, one process so that each part's time is its
    own), twice: the second run must agree."""
    from graphkit.analytics.measures import analyze_edges

    ids = sorted(set(edges["src"]) | set(edges["dst"]))
    rows: dict[str, tuple[float, float]] = {}
    first = _timed(
        "analyze_edges",
        lambda: analyze_edges(edges, actors=ids, seed=args.seed, spec=_spec(args, workers=1)),
        {},
    )
    for part, wall in first.summary["seconds_by_part"]["wall"].items():
        rows[part] = (wall, first.summary["seconds_by_part"]["cpu"][part])
    again = analyze_edges(edges, actors=ids, seed=args.seed, spec=_spec(args, workers=1))
    pd.testing.assert_frame_equal(first.actors, again.actors)
    print("  deterministic: a second run gave the same table", file=sys.stderr)
    leiden_once(edges, args.seed, rows)
    return rows


def run_networkx(edges: pd.DataFrame, *, seed: int, pivots: int) -> dict[str, tuple[float, float]]:
    """The same measures with networkx, as a user without graphkit would run them."""
    import networkx as nx

    t: dict[str, tuple[float, float]] = {}

    def graph() -> tuple[Any, Any]:
        d = nx.from_pandas_edgelist(
            edges.groupby(["src", "dst"], as_index=False)["weight"].sum(),
            "src",
            "dst",
            "weight",
            create_using=nx.DiGraph,
        )
        return d, d.to_undirected()

    d, u = _timed("graph", graph, t)
    _timed(
        "leiden, 1 run (in communities)",
        lambda: nx.community.louvain_communities(u, weight="weight", seed=seed),
        t,
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

    _timed("centrality", cent, t)
    return t


def _table(
    title: str, columns: list[tuple[str, dict[str, tuple[float, float]]]], *, ratio: bool
) -> None:
    measures = list(dict.fromkeys(k for _, r in columns for k in r))
    header = [title]
    for name, _ in columns:
        header += [f"{name}: wall s", f"{name}: CPU s"]
    if ratio:
        header.append("networkx / graphkit (CPU)")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for m in measures:
        cells = []
        for _, r in columns:
            cells += [f"{r[m][0]:.2f}", f"{r[m][1]:.2f}"] if m in r else ["-", "-"]
        if ratio:
            gk, nxr = columns[0][1], columns[-1][1]
            cells.append(
                f"{nxr[m][1] / gk[m][1]:.1f}x" if m in gk and m in nxr and gk[m][1] > 0 else "-"
            )
        print(f"| {m} | " + " | ".join(cells) + " |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--small-nodes", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    from graphkit.analytics.settings import AnalysisSpec

    product = AnalysisSpec()  # the product's defaults, unless a flag reduces them
    ap.add_argument("--pivots", type=int, default=product.betweenness_pivots)
    ap.add_argument("--runs", type=int, default=product.n_runs)
    ap.add_argument("--null-draws", type=int, default=product.hierarchy_null_draws)
    ap.add_argument("--broker-candidates", type=int, default=product.broker_candidates)
    ap.add_argument(
        "--workers", type=int, default=product.workers, help="processes for the Leiden runs"
    )
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()))
    ap.add_argument("--skip-large", action="store_true")
    ap.add_argument("--skip-small", action="store_true")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", file=sys.stderr)
    reduced = [
        f"{flag} {getattr(args, name)} (product {value})"
        for flag, name, value in (
            ("--runs", "runs", product.n_runs),
            ("--pivots", "pivots", product.betweenness_pivots),
            ("--null-draws", "null_draws", product.hierarchy_null_draws),
            ("--broker-candidates", "broker_candidates", product.broker_candidates),
        )
        if getattr(args, name) != value
    ]
    settings = (
        f"consensus of up to {args.runs} Leiden runs, stopping when they agree (the runs "
        f"made are printed below; {args.workers} worker processes), "
        f"{args.pivots} betweenness pivots, {args.null_draws} hierarchy null draws, "
        f"brokerage for the {args.broker_candidates} most between actors, seed {args.seed}"
        + (f"; REDUCED settings: {', '.join(reduced)}" if reduced else "; product defaults")
    )
    if not args.skip_large:
        print(f"graphkit analyze on {args.nodes:,} actors / {args.edges:,} ties", file=sys.stderr)
        big = _timed(
            "(generate, not timed below)",
            lambda: synthetic_edges(args.nodes, args.edges, seed=args.seed),
            {},
        )
        store = _timed("(case setup, not timed below)", lambda: _case(big, args.workdir), {})
        n_ties = len(big)
        del big  # the analysis reads the ties from the case, as the CLI's does: not held here
        large = run_analyze(store, args)
        big = synthetic_edges(args.nodes, args.edges, seed=args.seed)  # again, for one run
        leiden_once(big, args.seed, large)
        print(f"Full `analyze` on {args.nodes:,} actors / {n_ties:,} ties ({settings}):\n")
        del big
        _table("part", [("graphkit", large)], ratio=False)
    if not args.skip_small:
        ratio = args.edges / args.nodes
        small = synthetic_edges(args.small_nodes, int(args.small_nodes * ratio), seed=args.seed)
        label = f"{args.small_nodes:,} / {len(small):,}"
        print(f"graphkit on {label}", file=sys.stderr)
        gk = run_graphkit_small(small, args)
        print(f"networkx on {label}", file=sys.stderr)
        nxr = run_networkx(small, seed=args.seed, pivots=args.pivots)
        gk["total (all parts)"] = (
            sum(w for k, (w, _) in gk.items() if k != "leiden, 1 run (in communities)"),
            sum(c for k, (_, c) in gk.items() if k != "leiden, 1 run (in communities)"),
        )
        shared = [k for k in nxr if k in gk]
        for r in (gk, nxr):
            r["total (measures networkx has)"] = (
                sum(r[k][0] for k in shared),
                sum(r[k][1] for k in shared),
            )
        print(f"graphkit beside networkx on {label} actors / ties ({settings}):\n")
        _table("measure", [("graphkit", gk), ("networkx", nxr)], ratio=True)
        print(
            "networkx has no Leiden: its row is louvain_communities (one run). Its graph row "
            "builds the directed and undirected graphs; graphkit's also prepares layers and both "
            "projections. Its centrality row covers degree, strength, PageRank, sampled "
            "betweenness (same pivots), k-core, Burt's constraint and articulation points, as "
            "graphkit's does."
        )
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
