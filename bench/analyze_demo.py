"""Benchmark: ``graphkit analyze`` on the demo's case, through the product's code and defaults.

Builds the case ``graphkit demo`` analyses (simulate, ingest, resolve, build; 2,000 people,
30 days, seed 7) once, then runs ``graphkit analyze CASE --seed 7`` on fresh copies of it, each
in a new interpreter (so that imports and worker start-up count), one after another:

* the product's defaults (``workers``: the machine's cores, at most 4);
* the same code with ``--workers 1`` (the alternative: everything in one process);
* optionally the same with another checkout of graphkit (``--before DIR``, e.g. an earlier
  commit unpacked with ``git archive``), for a before/after pair in one run.

Prints wall and CPU seconds of each (CPU: the process, its waited-for children and, where the
code has them, the forkserver workers whose results came back), the measures' and the
sensitivity's own seconds, the load average around each run, and a digest of the result tables
(floats to 9 digits, as the golden test), which must be equal for the two worker counts.

    python bench/analyze_demo.py
    python bench/analyze_demo.py --case /tmp/demo-case --before /tmp/graphkit-before
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# bench/resolution.py would shadow the resolution package; graphkit comes from PYTHONPATH
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
TABLES = ("analytics_actor", "analytics_community", "analytics_blackout", "analytics_sensitivity")


def build_case(out: Path, *, people: int, days: int, seed: int) -> Path:
    """The demo's case (stages 1-4 of ``graphkit demo``) under ``out``; returns its folder."""
    from graphkit.cli.build import build
    from graphkit.cli.ingest import run
    from graphkit.cli.resolve import resolve
    from graphkit.cli.simulate import simulate

    sim, case = out / "sim", out / "case"
    simulate(sim, seed=seed, people=people, days=days, meetings=True, devices=True)
    run(sim / "case.toml", case_dir=case)
    resolve(case, seed=seed)
    build(case)
    return case


def _cpu() -> float:
    try:
        from graphkit.analytics.parallel import cpu_seconds
    except ImportError:  # code from before the forkserver workers: all children are waited for
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system
    return cpu_seconds()


def _digest(case: Path) -> str:
    import duckdb

    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    digest = hashlib.sha256()
    for table in TABLES:
        rows = con.execute(f"SELECT * FROM {table}").fetchall()  # fixed names
        text = sorted(
            json.dumps([round(v, 9) if isinstance(v, float) else v for v in r], default=str)
            for r in rows
        )
        digest.update("\n".join(text).encode())
    con.close()
    return digest.hexdigest()[:16]


def run_one(case: Path, *, seed: int, workers: int | None) -> dict[str, Any]:
    """``graphkit analyze`` in this process, as the CLI runs it; its figures."""
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), _cpu()
    from graphkit.cli.app import main

    args = ["analyze", str(case), "--seed", str(seed), "--json"]
    if workers is not None:
        args += ["--workers", str(workers)]
    sys.argv = ["graphkit", *args]
    out = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the CLI's table is not wanted here)
    try:
        main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        sys.stdout.close()
        sys.stdout = out
    took = {"wall": time.perf_counter() - wall, "cpu": _cpu() - cpu}
    manifest = json.loads((case / "manifest.json").read_text())
    summary = manifest["stages"]["analyze"]["summary"]
    sens = (manifest["stages"].get("sensitivity") or {}).get("summary", {}).get("seconds", {})
    return {
        **took,
        "measures_wall": summary.get("seconds"),
        "sensitivity": sens.get("total"),
        "load": [load, os.getloadavg()[0]],
        "digest": _digest(case),
    }


def _child(code: Path, case: Path, *, seed: int, workers: int | None) -> dict[str, Any]:
    cmd = [sys.executable, str(ROOT / "bench" / "analyze_demo.py"), "--run-one", str(case)]
    cmd += ["--seed", str(seed)] + (["--workers", str(workers)] if workers else [])
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--case", type=Path, help="an already built case to copy (not changed)")
    parser.add_argument("--before", type=Path, help="another checkout to run the same way")
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--run-one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        print(json.dumps(run_one(args.run_one, seed=args.seed, workers=args.workers)))
        return
    with tempfile.TemporaryDirectory(prefix="graphkit-bench-analyze-") as tmp:
        work = Path(tmp)
        base = args.case
        if base is None:
            base = build_case(work / "built", people=args.people, days=args.days, seed=args.seed)
        runs: list[tuple[str, Path, int | None]] = [
            ("this code, default workers", ROOT, None),
            ("this code, --workers 1", ROOT, 1),
        ]
        if args.before:
            runs.append(("before (--before), its defaults", args.before, None))
        rows = []
        for k, (label, code, workers) in enumerate(runs):
            case = work / f"run{k}"
            shutil.copytree(base, case)
            rows.append((label, _child(code, case, seed=args.seed, workers=workers)))
            shutil.rmtree(case)
    print(f"\n`graphkit analyze` on the demo case ({args.people} people, {args.days} days, seed ")
    print(f"{args.seed}), {os.cpu_count()} cores; each run in a fresh interpreter\n")
    head = "| run | wall s | CPU s | measures wall s | sensitivity wall / CPU s | load 1 min |"
    print(head + " digest |")
    print("|---|---|---|---|---|---|---|")
    for label, r in rows:
        s = r["sensitivity"] or {}
        print(
            f"| {label} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['measures_wall']:.1f} | "
            f"{s.get('wall', float('nan')):.1f} / {s.get('cpu', float('nan')):.1f} | "
            f"{r['load'][0]:.1f} -> {r['load'][1]:.1f} | `{r['digest']}` |"
        )
    same = rows[0][1]["digest"] == rows[1][1]["digest"]
    print(f"\nresults equal for the two worker counts: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
