"""Benchmark: ``graphkit export`` and ``graphkit report`` beside what an analyst would script.

Builds a simulated case (``graphkit simulate``; ingest, build, analyze, blackouts, hand-offs),
then times, in the same run:

* export of the whole actor graph in each format through :func:`graphkit.export.export_case`
  (selection, attributes, checks, atomic write, manifest, audit entry), plain and
  pseudonymised, beside the networkx one-liner a user would otherwise write (read
  ``actor_edge`` into a MultiDiGraph and call ``nx.write_graphml`` / ``write_gexf`` /
  ``cytoscape_data`` / ``DataFrame.to_csv``: no node attributes, no selection, no manifest);
* the leak scan of pseudonymised files: the word-set scan used by the exporter beside the
  plain "is each identifier a substring" scan;
* the HTML and Markdown report beside a networkx picture (``spring_layout`` + ``draw``).

Usage: python bench/export_report.py [--people 400] [--days 21]
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/resolution.py is named like the resolution package: keep this folder off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import networkx as nx  # noqa: E402
import pandas as pd  # noqa: E402

from graphkit.build import build_graph  # noqa: E402
from graphkit.export import FORMATS, Selection, export_case, select_subgraph  # noqa: E402
from graphkit.export.pseudonymise import leaked_identifiers, raw_identifiers  # noqa: E402
from graphkit.ingest import ingest_file  # noqa: E402
from graphkit.pipeline import analyze  # noqa: E402
from graphkit.report import write_report  # noqa: E402
from graphkit.runfile import load_case_file  # noqa: E402
from graphkit.signals.stage import detect_blackouts_in_case, detect_handoffs_in_case  # noqa: E402
from graphkit.simulate import SimulationSpec, simulate  # noqa: E402
from graphkit.store import CaseStore  # noqa: E402


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def build_case(root: Path, *, people: int, days: int, resolve: bool) -> CaseStore:
    result = simulate(root / "sim", spec=SimulationSpec(seed=7, people=people, days=days))
    store = CaseStore.init(root / "case", name="bench")
    for s in load_case_file(result.case_toml).sources:
        ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    if resolve:
        from resolution.spec import ResolutionSpec
        from resolution.stage import resolve_case

        resolve_case(store, spec=ResolutionSpec())
    build_graph(store)
    analyze(store, seed=1)
    detect_blackouts_in_case(store)
    detect_handoffs_in_case(store)
    return store


def _by_hand(store: CaseStore, fmt: str, out: Path) -> None:
    with store.connect(read_only=True) as con:
        edges = con.execute("SELECT * FROM actor_edge").df()
    if fmt == "csv":
        edges.to_csv(out, index=False)
        return
    for col in ("first", "last"):
        edges[col] = edges[col].astype(str)
    g = nx.from_pandas_edgelist(
        edges, "src", "dst", edge_attr=True, create_using=nx.MultiDiGraph, edge_key="layer"
    )
    if fmt == "graphml":
        nx.write_graphml(g, out)
    elif fmt == "gexf":
        nx.write_gexf(g, out)
    elif fmt == "json":
        out.write_text(json.dumps(nx.cytoscape_data(g), default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=400)
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument(
        "--resolve",
        action="store_true",
        help="resolve persons first (analyze then also re-ranks leaders and brokers at "
        "other resolution thresholds, and the report shows it)",
    )
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gk-bench-") as tmp:
        root = Path(tmp)
        seconds, store = _time(
            lambda: build_case(root, people=args.people, days=args.days, resolve=args.resolve)
        )
        sub = select_subgraph(store, Selection(include_hypotheses=True))
        print(
            f"case: {args.people} people, {args.days} days -> {len(sub.nodes)} actors, "
            f"{len(sub.edges)} ties ({sub.hypotheses} hypotheses); built in {seconds:.1f} s"
        )
        out = root / "out"
        out.mkdir()
        everyone = Selection(include_hypotheses=True)
        for fmt in FORMATS:
            for pseudo in (False, True):
                target = out / f"all{'-p' if pseudo else ''}.{fmt}"
                t, result = _time(
                    lambda t=target, p=pseudo, f=fmt: export_case(
                        store,
                        fmt=f,
                        out=t,
                        selection=everyone,
                        purpose="bench",
                        recipient="bench",
                        pseudonymise=p,
                    )
                )
                size = sum(p.stat().st_size for p in result.files)
                rows.append(
                    {
                        "task": f"export {fmt}" + (" pseudonymised" if pseudo else ""),
                        "tool": "graphkit",
                        "seconds": t,
                        "MB": size / 1e6,
                    }
                )
            if fmt in ("graphml", "gexf", "json", "csv"):
                target = out / f"hand.{fmt}"
                t, _ = _time(lambda t=target, f=fmt: _by_hand(store, f, t))
                rows.append(
                    {
                        "task": f"export {fmt}",
                        "tool": "networkx/pandas by hand",
                        "seconds": t,
                        "MB": target.stat().st_size / 1e6,
                    }
                )
        ids = {v for v in raw_identifiers(sub) if len(v) >= 5}
        blob = (out / "all-p.anx").read_bytes()
        t, _ = _time(lambda: leaked_identifiers(blob, ids))
        rows.append(
            {
                "task": f"leak scan ({len(ids)} ids, ANX)",
                "tool": "graphkit word set",
                "seconds": t,
                "MB": len(blob) / 1e6,
            }
        )
        text = blob.decode("utf-16")
        t, _ = _time(lambda: [v for v in ids if v in text])
        rows.append(
            {
                "task": f"leak scan ({len(ids)} ids, ANX)",
                "tool": "substring per id",
                "seconds": t,
                "MB": len(blob) / 1e6,
            }
        )
        for fmt in ("html", "md"):
            t, r = _time(lambda f=fmt: write_report(store, out=out / f"report.{f}", fmt=f))
            size = r.size_bytes + sum(p.stat().st_size for p in r.figures)
            task = f"report {fmt}"
            rows.append({"task": task, "tool": "graphkit", "seconds": t, "MB": size / 1e6})
        t, _ = _time(lambda: _networkx_picture(store, out / "nx.png"))
        rows.append(
            {
                "task": "network picture only",
                "tool": "networkx spring_layout + draw",
                "seconds": t,
                "MB": (out / "nx.png").stat().st_size / 1e6,
            }
        )
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


def _networkx_picture(store: CaseStore, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with store.connect(read_only=True) as con:
        edges = con.execute("SELECT src, dst FROM actor_edge").df()
    g = nx.from_pandas_edgelist(edges, "src", "dst")
    pos = nx.spring_layout(g, seed=0)
    fig = plt.figure(figsize=(10, 7.5))
    nx.draw(g, pos, node_size=20, width=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
