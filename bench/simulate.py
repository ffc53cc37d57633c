"""Benchmark `graphkit simulate`: CDR rows per second and peak memory at 1M and 10M rows.

Each size runs in a fresh process (peak RSS is per run). The comparison is what an analyst
would otherwise write: a per-row Python generator (random numbers, datetime formatting, the
csv module) producing CDR-shaped rows with no world, no planted events and no truth; it runs
in the same session on a smaller row count, and its rows/s is what matters.

    python bench/simulate.py                  # 1M and 10M rows, plus the per-row baseline
    python bench/simulate.py --sizes 1M       # quicker
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# rows ~= people x days x 2.95 at scale 1 (measured); same population, so the memory
# comparison isolates the number of CDR rows
SIZES = {
    "1M": {"people": 20_000, "days": 17, "groups": 10},
    "10M": {"people": 20_000, "days": 170, "groups": 10},
}

_CHILD = """
import json, sys, time
from pathlib import Path
from graphkit.simulate import SimulationSpec, simulate
args = json.loads(sys.argv[1])
marks = {}
t0 = time.perf_counter()
def on_day(done, total):
    if done == 0:
        marks["first_day"] = time.perf_counter()
    if done == total:
        marks["last_day"] = time.perf_counter()
result = simulate(Path(args.pop("out")), spec=SimulationSpec(**args), on_day=on_day)
t1 = time.perf_counter()
print(json.dumps({"rows": result.cdr_rows, "seconds": t1 - t0,
                  "cdr_seconds": marks["last_day"] - marks["first_day"],
                  "people": result.persons}))
"""


def run_simulate(size: str, workdir: Path) -> dict[str, float]:
    args = {**SIZES[size], "out": str(workdir / size)}
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_mib"] = max(usage.ru_maxrss, before) / 1024
    out["cpu_seconds"] = usage.ru_utime + usage.ru_stime - cpu_before
    size_bytes = sum(p.stat().st_size for p in (workdir / size / "sources").glob("*_cdr.csv"))
    out["cdr_mib"] = size_bytes / 2**20
    return out


def per_row_baseline(rows: int, path: Path) -> dict[str, float]:
    """CDR-shaped rows written one at a time with the standard library."""
    rng = random.Random(7)
    start = dt.datetime(2024, 1, 8, tzinfo=dt.UTC)
    numbers = [f"07{rng.randrange(10**9):09d}" for _ in range(10_000)]
    t0, cpu0 = time.perf_counter(), time.process_time()
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["CallID", "Datetime", "From", "To", "Type", "Duration", "Cell", "IMEI"])
        for i in range(rows):
            when = start + dt.timedelta(seconds=rng.randrange(30 * 86_400))
            writer.writerow(
                [
                    f"A{i:010d}",
                    when.strftime("%Y%m%d %H%M"),
                    rng.choice(numbers),
                    rng.choice(numbers),
                    "MOC" if rng.random() < 0.6 else "MO-SMS",
                    int(rng.lognormvariate(4.0, 1.1)),
                    f"MAN{rng.randrange(4000):04d}{'ABC'[rng.randrange(3)]}",
                    f"35{rng.randrange(10**13):013d}",
                ]
            )
    return {"rows": rows, "seconds": time.perf_counter() - t0, "cpu": time.process_time() - cpu0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M", help="comma-separated: 1M, 10M")
    parser.add_argument("--baseline-rows", type=int, default=300_000)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="graphkit-bench-") as tmp:
        work = Path(tmp)
        base = per_row_baseline(args.baseline_rows, work / "baseline.csv")
        results.append(
            (
                "per-row Python (csv module), CDR rows only",
                base["rows"],
                base["seconds"],
                base["cpu"],
                base["seconds"],
                float("nan"),
                float("nan"),
            )
        )
        for size in args.sizes.split(","):
            r = run_simulate(size, work)
            spec = SIZES[size]
            label = f"graphkit simulate {size} ({spec['people']:,} people, {spec['days']} days)"
            results.append(
                (
                    label,
                    r["rows"],
                    r["seconds"],
                    r["cpu_seconds"],
                    r["cdr_seconds"],
                    r["peak_mib"],
                    r["cdr_mib"],
                )
            )
    header = (
        f"{'run':58} {'CDR rows':>11} {'wall s':>7} {'CPU s':>6} {'rows/s':>9} "
        f"{'rows/CPU s':>10} {'CDR-stage rows/s':>16} {'peak MiB':>8} {'CDR MiB':>7}"
    )
    lines = [header, "-" * len(header)]
    for label, rows, seconds, cpu, cdr_seconds, peak, mib in results:
        lines.append(
            f"{label:58} {rows:>11,} {seconds:>7.1f} {cpu:>6.1f} {rows / seconds:>9,.0f} "
            f"{rows / cpu:>10,.0f} {rows / cdr_seconds:>16,.0f} {peak:>8.0f} {mib:>7.0f}"
        )
    load = os.getloadavg()[0]
    lines.append(
        "wall s and CPU s cover the whole case (world, events, KYC, money, truth); the CDR "
        f"stage is event generation + formatting + writing (wall). Load average now: {load:.1f} "
        f"on {os.cpu_count()} cores."
    )
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
