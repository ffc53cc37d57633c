"""Accuracy of `graphkit scenes` on planted tower-dump scenes, over several seeds.

For each seed: `graphkit simulate --scenes` (library call, same spec), ingest of the call
records and towers, then `graphkit evaluate --stage scenes` (library call): the three lists
of `graphkit scenes`, with the scene file the simulation wrote and the command's default
``min_days``, against the planted phones (graphkit/cdr/evaluate_scenes.py says what is
counted). Prints one row per seed and the totals, with the machine and its load.

Run from the repository root:
    PYTHONPATH=. python -m bench.cdr_scenes [--seeds 1 2 3 4 5] [--people 2000] [--days 28]
(as a module: run as a script, bench/resolution.py would shadow the resolution package)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from graphkit.evaluate import evaluate_case
from graphkit.ingest import ingest_file
from graphkit.runfile import load_case_file
from graphkit.simulate import SimulationSpec, simulate
from graphkit.store import CaseStore

LISTS = ("multi_scene", "one_time", "silent")


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _one(seed: int, people: int, days: int, root: Path) -> dict[str, Any]:
    sim, case = root / f"sim{seed}", root / f"case{seed}"
    simulate(sim, spec=SimulationSpec(seed=seed, people=people, days=days, scenes=True))
    store = CaseStore.init(case, name=f"scenes-{seed}")
    for s in load_case_file(sim / "case.toml").sources:
        if s.kind in ("cdr", "towers"):
            ingest_file(store, s.file, kind=s.kind, mapping_path=s.mapping, source_name=s.name)
    wall, cpu = time.perf_counter(), _cpu()
    result = evaluate_case(store, sim / "truth", stages=["scenes"])["scenes"]
    metrics = result["metrics"]
    with store.connect(read_only=True) as con:
        row = con.execute("SELECT count(*) FROM src_cdr").fetchone()
    return {
        "seed": seed,
        "records": int(row[0]) if row else 0,
        **metrics,
        "passed": result["passed"],
        "wall_s": time.perf_counter() - wall,
        "cpu_s": _cpu() - cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--days", type=int, default=28)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gk-scenes-") as tmp:
        rows = [_one(seed, args.people, args.days, Path(tmp)) for seed in args.seeds]
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; "
        f"{args.people} people, {args.days} days, 4 scenes a case; min_days "
        f"{rows[0]['min_days']}"
    )
    head = "| seed | records | " + " | ".join(
        f"{name} listed / planted / found | precision | recall" for name in LISTS
    )
    print(head + " | silent median rank | passed | lists wall s / CPU s |")
    print("|---" * (head.count("|") + 3) + "|")
    for r in rows:
        cells = " | ".join(
            f"{r[f'{n}_reported']} / {r[f'{n}_planted']} / {r[f'{n}_found']} | "
            f"{r[f'{n}_precision']:.3f} | {r[f'{n}_recall']:.3f}"
            for n in LISTS
        )
        print(
            f"| {r['seed']} | {r['records']:,} | {cells} | {r['silent_median_rank']} | "
            f"{r['passed']} | {r['wall_s']:.2f} / {r['cpu_s']:.2f} |"
        )
    totals = []
    for n in LISTS:
        listed = sum(r[f"{n}_reported"] for r in rows)
        planted = sum(r[f"{n}_planted"] for r in rows)
        found = sum(r[f"{n}_found"] for r in rows)
        totals.append(
            f"{listed} / {planted} / {found} | {found / listed if listed else 1.0:.3f} | "
            f"{found / planted if planted else 1.0:.3f}"
        )
    print(f"| all | | {' | '.join(totals)} | | | |")


if __name__ == "__main__":
    main()
