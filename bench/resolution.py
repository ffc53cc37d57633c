"""Benchmark: graphkit resolution through the product path, on the public ER datasets.

Each dataset is ingested into a fresh case with the mapping file a user would write
(``bench/mappings/*.toml``: ``graphkit ingest CASE FILE --kind persons --mapping MAP``), then
resolved by the code ``graphkit resolve CASE`` runs (``resolve_case`` with the default
:class:`ResolutionSpec`), so the figure printed is the figure a user gets. Records the
ingest rejected or resolution left out count as unresolved singletons. Prints pairwise
precision / recall / F1, B-cubed F1, wall seconds, CPU seconds (process, all threads) and the
1-minute load average before and after each dataset.

``--library`` also runs the library call of the earlier benchmark (standardise, train,
predict, cluster on ``resolution.datasets`` frames, which may carry columns no canonical
field takes); ``--baseline`` the recordlinkage package's unsupervised classifiers on the
same data. ``--scale N`` resolves N person records made by duplicating historical_50k
records with seeded noise (by the library calls ``resolve_case`` makes), reporting wall and
CPU seconds per stage, the load average, the process's peak RSS and each stage's.

At 1,000,000 records on the shared 2-vCPU VM (7 December 2026, docs/resolution.md "Scale"):
after issue 21's memory work (Arrow-backed frames, linkers freed, DuckDB limit 2.5 GB) peak
RSS 3.3 GB against 5.6-6.2 GB before, the same P 0.9625, R 0.7800, F1 0.8617; 157-179 CPU s
against 173-182 (two back-to-back pairs at load 2-7; wall seconds follow the neighbours'
load there). With two shared cores the CPU seconds are the figure to compare;
``--rss-timeline FILE`` writes every RSS sample (0.1 s) with its stage.

Usage: PYTHONPATH=. python bench/resolution.py [--datasets febrl4,fake_1000] [--library]
"""

from __future__ import annotations

import sys
from pathlib import Path

# this script is named like the package it benchmarks: keep its folder off the import path
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from graphkit.ingest.stage import ingest_file  # noqa: E402
from graphkit.store import CaseStore  # noqa: E402
from resolution.cluster import cluster_records  # noqa: E402
from resolution.datasets import load_fake_1000, load_febrl3, load_febrl4, load_historical_50k  # noqa: E402
from resolution.evaluate import er_metrics  # noqa: E402
from resolution.linkage import predict_pairs, train_model  # noqa: E402
from resolution.spec import ResolutionSpec  # noqa: E402
from resolution.stage import resolve_case  # noqa: E402
from resolution.standardise import standardise  # noqa: E402

ER_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "er"
LOADERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "febrl4": load_febrl4,
    "febrl3": load_febrl3,
    "fake_1000": load_fake_1000,
    "historical_50k": load_historical_50k,
}
THRESHOLDS = (0.9, 0.99)
MAPPINGS = _HERE / "mappings"


@dataclass(frozen=True)
class Source:
    """One file of a dataset: path under the ER folder, source name, and its true entities."""

    file: str
    name: str
    truth: Callable[[Path], pd.Series]  # record_id -> true entity


def _febrl_truth(path: Path) -> pd.Series:
    raw = pd.read_csv(path, sep=",", skipinitialspace=True, dtype=str, usecols=[0])
    ids = raw.iloc[:, 0].str.strip()
    return pd.Series(ids.str.extract(r"rec-(\d+)-", expand=False).to_numpy(), index=ids)


def _fake_truth(path: Path) -> pd.Series:
    raw = pd.read_csv(path, dtype=str)
    return pd.Series(raw["cluster"].to_numpy(), index=raw["unique_id"])


def _historical_truth(path: Path) -> pd.Series:
    raw = pd.read_parquet(path, columns=["unique_id", "cluster"])
    return pd.Series(raw["cluster"].astype(str).to_numpy(), index=raw["unique_id"].astype(str))


#: dataset -> (mapping file, sources)
PRODUCT: dict[str, tuple[str, tuple[Source, ...]]] = {
    "febrl4": (
        "febrl.toml",
        (
            Source("febrl/dataset4a.csv", "febrl4a", _febrl_truth),
            Source("febrl/dataset4b.csv", "febrl4b", _febrl_truth),
        ),
    ),
    "febrl3": ("febrl.toml", (Source("febrl/dataset3.csv", "febrl3", _febrl_truth),)),
    "fake_1000": ("fake_1000.toml", (Source("fake_1000.csv", "fake_1000", _fake_truth),)),
    "historical_50k": (
        "historical_50k.toml",
        (Source("historical_figures_with_errors_50k.parquet", "historical", _historical_truth),),
    ),
}


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_product(name: str, er_dir: Path, spec: ResolutionSpec, workdir: Path) -> dict[str, object]:
    """Ingest ``name`` with its mapping into a new case and resolve it as the CLI does."""
    mapping, sources = PRODUCT[name]
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), _cpu_s()
    store = CaseStore.init(workdir / name)
    rejected = 0
    for src in sources:
        result = ingest_file(
            store,
            er_dir / src.file,
            kind="persons",
            mapping_path=MAPPINGS / mapping,
            source_name=src.name,
        )
        rejected += result.rejected
    t_ingest = time.perf_counter() - t0
    resolve_case(store, spec=spec)
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    with store.connect(read_only=True) as con:
        clusters = con.execute("SELECT record_key, person_id FROM er_clusters").df()
    truth = pd.concat(
        [src.truth(er_dir / src.file).rename(lambda r, s=src.name: f"{s}:{r}") for src in sources]
    )
    person = dict(zip(clusters["record_key"], clusters["person_id"], strict=True))
    # records rejected at ingest or left out by resolution are singletons: not resolved
    labels = np.array([person.get(k, "unresolved:" + k) for k in truth.index], dtype=object)
    m = er_metrics(labels, truth.reset_index(drop=True))
    return {
        "dataset": name,
        "method": f"ingest + resolve p>={spec.threshold_probability}",
        "rejected": rejected,
        **m.as_dict(),
        "ingest_s": t_ingest,
        "seconds": wall,
        "cpu_s": cpu,
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


def run_graphkit(records: pd.DataFrame, spec: ResolutionSpec) -> list[dict[str, object]]:
    t0 = time.perf_counter()
    std = standardise(records.drop(columns="truth"))
    model = train_model(std, spec=spec)
    pairs = predict_pairs(std, model, threshold_probability=min(THRESHOLDS))
    base = time.perf_counter() - t0
    rows = []
    for threshold in THRESHOLDS:
        t1 = time.perf_counter()
        labels = cluster_records(std["unique_id"], pairs, threshold_probability=threshold)
        seconds = base + time.perf_counter() - t1
        m = er_metrics(labels.loc[std["unique_id"]].to_numpy(), records["truth"])
        rows.append({"method": f"graphkit p>={threshold}", "seconds": seconds, **m.as_dict()})
    return rows


def _rl_frame(records: pd.DataFrame) -> pd.DataFrame:
    std = standardise(records.drop(columns="truth"))
    frame = std.set_index("unique_id")[
        ["given", "surname", "dob", "postcode", "address", "city", "email"]
    ]
    return frame.astype(object).where(frame.notna(), None)


def run_recordlinkage(records: pd.DataFrame) -> dict[str, object]:
    import recordlinkage as rl

    t0 = time.perf_counter()
    frame = _rl_frame(records)
    indexer = rl.Index()
    filled = [c for c in frame.columns if frame[c].notna().mean() > 0.01]
    for cols in (("given", "surname"), ("surname", "dob"), ("given", "dob"), ("dob", "city")):
        if set(cols) <= set(filled):
            indexer.block(list(cols))
    candidates = indexer.index(frame)
    compare = rl.Compare(n_jobs=1)
    for col in filled:
        if col in ("given", "surname", "address", "city", "email"):
            compare.string(col, col, method="jarowinkler", threshold=0.85, label=col)
        else:
            compare.exact(col, col, label=col)
    features = compare.compute(candidates, frame)
    prep = time.perf_counter() - t0
    best: dict[str, object] | None = None
    for name, clf in (("ECM", rl.ECMClassifier()), ("KMeans", rl.KMeansClassifier())):
        t1 = time.perf_counter()
        try:
            links = clf.fit_predict(features)
        except Exception as exc:
            logging.warning("recordlinkage %s failed: %s", name, exc)
            continue
        pairs = pd.DataFrame(
            {
                "id_l": links.get_level_values(0).astype(str),
                "id_r": links.get_level_values(1).astype(str),
                "match_probability": 1.0,
            }
        )
        labels = cluster_records(frame.index.astype(str), pairs, threshold_probability=0.5)
        m = er_metrics(labels.loc[frame.index.astype(str)].to_numpy(), records["truth"])
        row = {
            "method": f"recordlinkage {name}",
            "seconds": prep + time.perf_counter() - t1,
            **m.as_dict(),
        }
        if best is None or m.pair_f1 > float(best["pair_f1"]):  # type: ignore[arg-type]
            best = row
    return best or {"method": "recordlinkage (failed)"}


def noisy_copies(base: pd.DataFrame, n: int, *, seed: int) -> pd.DataFrame:
    """``n`` person records built from historical_50k (vectorised, seeded).

    Copy 0 is the dataset itself. Each further copy re-uses the records of every true person
    (their given-name variants, nicknames and missing fields) for a *new* person: surname,
    date of birth, birthplace and postcode are drawn from another random person, keeping each
    record's own gaps and partial dates; then 15% of names, places and postcodes get a typo
    and 5% are dropped. The true entity is (copy, person).
    """
    rng = np.random.default_rng(seed)
    reps = -(-n // len(base))
    out = pd.concat([base] * reps, ignore_index=True).iloc[:n].copy()
    copy_no = np.repeat(np.arange(reps), len(base))[:n]
    codes, uniq = pd.factorize(out["truth"])
    first = base.groupby("truth", sort=False).agg(
        {c: "first" for c in ("last_name", "dob", "city", "postcode")}
    )
    later = copy_no > 0
    for col in ("last_name", "dob", "city", "postcode"):
        donors = first[col].reindex(uniq).to_numpy(dtype=object)
        # one donor person per (copy, person): a random permutation per copy
        perm = rng.permuted(np.tile(np.arange(len(uniq)), (reps, 1)), axis=1)
        donor = donors[perm[copy_no, codes]]
        keep = out[col].notna().to_numpy() & later & pd.notna(donor)
        vals = out[col].to_numpy(dtype=object)
        if col == "dob":  # keep each record's precision (partial dates stay partial)
            lengths = out["dob"].astype(str).str.len().to_numpy()
            vals[keep] = [d[:k] for d, k in zip(donor[keep], lengths[keep], strict=True)]
        else:
            vals[keep] = donor[keep]
        out[col] = vals
    out.loc[later, "full_name"] = None
    out["truth"] = copy_no.astype(str) + ":" + out["truth"].astype(str)
    for col in ("first_name", "last_name", "city", "postcode"):
        s = out[col].astype(object)
        mask = later & (rng.random(n) < 0.15)
        vals = s[mask].dropna()
        pos = rng.integers(0, 1_000_000, len(vals))
        s.loc[vals.index] = [
            v[: p % len(v)] + v[p % len(v) + 1 :] if len(v) > 3 else v
            for v, p in zip(vals, pos, strict=True)
        ]
        s[later & (rng.random(n) < 0.05)] = None
        out[col] = s
    out["unique_id"] = np.arange(n).astype(str)
    return out


class _RssPeaks:
    """Peak resident memory per stage, sampled every 0.1 s from /proc (Linux), since
    ``ru_maxrss`` holds the whole process's peak, data generation included.

    With ``timeline`` set, every sample is also kept as (seconds, MB, stage, the last
    message logged by graphkit or Splink), to find where inside a stage the peak falls
    (tracemalloc does not see DuckDB's or Arrow's native memory)."""

    def __init__(self, *, timeline: bool = False) -> None:
        self.stage = "generate"
        self.detail = ""
        self.peaks: dict[str, float] = {}
        self.samples: list[tuple[float, float, str, str]] | None = [] if timeline else None
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
        while not self._stop.is_set():
            try:
                with open("/proc/self/statm") as fh:
                    rss = int(fh.read().split()[1]) * page_mb
            except OSError:
                return
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), rss)
            if self.samples is not None:
                t = time.perf_counter() - self._t0
                self.samples.append((t, rss, self.stage, self.detail))
            self._stop.wait(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class _LastMessage(logging.Handler):
    """Keeps the last log message in :attr:`_RssPeaks.detail` (a stage marker)."""

    def __init__(self, rss: _RssPeaks) -> None:
        super().__init__(logging.DEBUG)
        self.rss = rss

    def emit(self, record: logging.LogRecord) -> None:
        self.rss.detail = f"{record.name}: {record.getMessage()[:80]}"


def run_scale(n: int, spec: ResolutionSpec, *, timeline: Path | None = None) -> dict[str, object]:
    """Resolve ``n`` :func:`noisy_copies` records by the library calls of ``resolve_case``:
    wall and CPU seconds (process, all threads) per stage, the load average, peak RSS of the
    process and of the resolution stages alone; with ``timeline``, every RSS sample written
    there as tab-separated seconds, MB, stage and the last log message."""
    rss = _RssPeaks(timeline=timeline is not None)
    marker = _LastMessage(rss)
    if timeline is not None:
        for name in ("resolution", "splink"):
            logging.getLogger(name).addHandler(marker)
            logging.getLogger(name).setLevel(logging.INFO)
    records = noisy_copies(load_historical_50k(ER_DIR), n, seed=spec.seed)
    truth = records["truth"].to_numpy()
    records = records.drop(columns="truth")
    gc.collect()
    times: dict[str, float] = {}
    load0 = os.getloadavg()[0]

    def stage(name: str, t: float, c: float) -> None:
        times[f"{name}_s"] = time.perf_counter() - t
        times[f"{name}_cpu_s"] = _cpu_s() - c

    t, c = time.perf_counter(), _cpu_s()
    rss.stage = "standardise"
    std = standardise(records)
    del records
    stage("standardise", t, c)
    t, c = time.perf_counter(), _cpu_s()
    rss.stage = "train"
    model = train_model(std, spec=spec)
    stage("train", t, c)
    t, c = time.perf_counter(), _cpu_s()
    rss.stage = "predict"
    pairs = predict_pairs(
        std,
        model,
        threshold_probability=spec.review_low_probability,
        memory_limit_gb=spec.memory_limit_gb,
    )
    stage("predict", t, c)
    t, c = time.perf_counter(), _cpu_s()
    rss.stage = "cluster"
    labels = cluster_records(
        std["unique_id"], pairs, threshold_probability=spec.threshold_probability
    )
    stage("cluster", t, c)
    rss.stop()
    for name in ("resolution", "splink"):
        logging.getLogger(name).removeHandler(marker)
    if timeline is not None and rss.samples is not None:
        timeline.write_text(
            "".join(f"{t:.1f}\t{mb:.0f}\t{st}\t{d}\n" for t, mb, st, d in rss.samples)
        )
    m = er_metrics(labels.loc[std["unique_id"]].to_numpy(), truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "records": n,
        "pairs": len(pairs),
        **times,
        "total_s": sum(v for k, v in times.items() if not k.endswith("cpu_s")),
        "cpu_s": sum(v for k, v in times.items() if k.endswith("cpu_s")),
        "peak_rss_mb": round(peak_mb),
        **{f"rss_{k}_mb": round(v) for k, v in rss.peaks.items()},
        "pair_precision": m.pair_precision,
        "pair_recall": m.pair_recall,
        "pair_f1": m.pair_f1,
        "load": f"{load0:.1f}->{os.getloadavg()[0]:.1f}",
    }


def _table(rows: list[dict[str, object]], cols: list[str]) -> str:
    def fmt(v: object) -> str:
        return f"{v:.4f}" if isinstance(v, float) else str(v)

    widths = [max(len(c), *(len(fmt(r.get(c, ""))) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += [
        "  ".join(fmt(r.get(c, "")).ljust(w) for c, w in zip(cols, widths, strict=True))
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=",".join(PRODUCT))
    parser.add_argument("--threshold", type=float, default=ResolutionSpec.threshold_probability)
    parser.add_argument("--library", action="store_true", help="also the library call")
    parser.add_argument("--baseline", action="store_true", help="also recordlinkage")
    parser.add_argument("--scale", type=int, default=0, help="also resolve N noisy records")
    parser.add_argument("--rss-timeline", type=Path, help="with --scale: RSS samples to FILE")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("splink").setLevel(logging.ERROR)
    for handler in logging.getLogger().handlers:  # the terminal, even where --rss-timeline
        handler.setLevel(logging.ERROR)  # lowers a logger's level for its stage markers
    spec = ResolutionSpec(
        threshold_probability=args.threshold,
        review_low_probability=min(args.threshold, ResolutionSpec.review_low_probability),
        review_high_probability=max(args.threshold, ResolutionSpec.review_high_probability),
    )
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}", flush=True)
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="gk-bench-er-") as tmp:
        for name in [d for d in args.datasets.split(",") if d]:
            rows.append(run_product(name, ER_DIR, spec, Path(tmp)))
            if args.library:
                records = LOADERS[name](ER_DIR)
                for row in run_graphkit(records, spec):
                    rows.append(
                        {
                            "dataset": name,
                            "method": f"library {row['method']}",
                            **{k: v for k, v in row.items() if k != "method"},
                        }
                    )
                if args.baseline:
                    rows.append({"dataset": name, **run_recordlinkage(records)})
            elif args.baseline:
                rows.append({"dataset": name, **run_recordlinkage(LOADERS[name](ER_DIR))})
            print(_table(rows[-1:], ["dataset", "method", "pair_f1", "seconds"]), flush=True)
    cols = [
        "dataset",
        "method",
        "records",
        "rejected",
        "pair_precision",
        "pair_recall",
        "pair_f1",
        "bcubed_f1",
        "ingest_s",
        "seconds",
        "cpu_s",
        "load",
    ]
    if rows:
        print("\n" + _table(rows, cols))
    if args.scale:
        result = run_scale(args.scale, spec, timeline=args.rss_timeline)
        stages = ("standardise", "train", "predict", "cluster")
        print("\n" + _table([result], ["records", "pairs", *(f"{s}_s" for s in stages)]))
        print(_table([result], [*(f"{s}_cpu_s" for s in stages), "total_s", "cpu_s", "load"]))
        peaks = [f"rss_{s}_mb" for s in ("generate", *stages)]
        print(_table([result], ["peak_rss_mb", *peaks]))
        print(_table([result], ["pair_precision", "pair_recall", "pair_f1"]))


if __name__ == "__main__":
    main()
