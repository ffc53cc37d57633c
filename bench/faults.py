"""Benchmark: kill -9 at seeded points of every command that changes a case, then recover.

Uses the harness of the test suite (``tests/store/faults.py``): a small simulated case with a
snapshot before each stage; for each stage, ``--kills`` seeded kill points spread over the
stage's clean work (from its first write to the case, its intent, to its end; SIGKILL of the
command's whole process group), then the next command recovers (``--probe``, by default
``graphkit show CASE summary``; empty: the re-run recovers, as in the tests), and the
invariants are checked: tables all-or-nothing right after the kill, re-run exits 0, the audit
chain verifies, every intent has exactly one outcome, every manifest source/stage tx has a
success outcome, an output file left by the kill has a success entry of the killed run, tables
equal to those of a clean run. Commands are forked from the harness's fork server (one per
job; GRAPHKIT_FAULT_FORK=0 for plain ``python -m graphkit``).

Prints, per stage: kill points, how many were clean after recovery, how many invariant
violations the others had, the mean time of the recovering command after kills that left an
intent pending (beside the same command on a clean copy), and how many kills found no intent
pending (killed before the intent or after the outcome). Ends with the load
average and the CPU seconds of the graphkit processes (children) and of this script.

Usage: python bench/faults.py [--kills 20] [--stages ingest,build] [--jobs 2] [--seed 0]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/resolution.py is named like the resolution package: keep this folder off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from collections import Counter  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402

from tests.store.faults import (  # noqa: E402
    STAGES,
    Base,
    Check,
    Result,
    base_cases,
    cli,
    fresh_case,
    kill_and_check,
    kill_delays,
    reference,
)


@dataclass(frozen=True)
class Point:
    stage: str
    delay: float
    killed: Result
    check: Check


def _run_point(
    base: Base, stage: str, k: int, delay: float, work: Path, probe: tuple[str, ...] | None
) -> Point:
    tmp = work / f"{stage}-{k}"
    tmp.mkdir(parents=True)
    try:
        ref = reference(base, STAGES[stage])
        killed, check = kill_and_check(base, STAGES[stage], tmp, delay, ref, probe=probe)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return Point(stage, delay, killed, check)


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kills", type=int, default=20, help="kill points per stage")
    parser.add_argument("--stages", default=",".join(STAGES), help="comma-separated stages")
    parser.add_argument("--jobs", type=int, default=2, help="kill points run side by side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--show", type=int, default=3, help="failing points to describe per stage")
    parser.add_argument(
        "--probe",
        default="show,summary",
        help="the command that recovers after each kill (comma-separated, CASE after the first "
        "word); empty: the re-run recovers (the tests' choice)",
    )
    args = parser.parse_args()
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        parser.error(f"unknown stages {unknown}; one of {list(STAGES)}")
    work = Path(args.workdir or tempfile.mkdtemp(prefix="graphkit-faults-"))
    work.mkdir(parents=True, exist_ok=True)
    load0 = os.getloadavg()
    print(f"load average at start: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}", file=sys.stderr)
    started = time.perf_counter()
    base = base_cases(work / "base")
    refs = {s: reference(base, STAGES[s]) for s in stages}
    probe = tuple(x for x in args.probe.split(",") if x) or None
    # the probe on a clean copy of each snapshot: what the recovering command costs anyway
    clean_probe: dict[str, float] = {}
    for s in stages:
        if probe is None:
            continue
        case = fresh_case(base, STAGES[s].snapshot, work / "probe" / s)
        runs = [cli(probe[0], case, *probe[1:]).seconds for _ in range(3)]
        clean_probe[s] = sorted(runs)[1]
    setup_s = time.perf_counter() - started
    print(f"base case and clean runs: {setup_s:.1f}s", file=sys.stderr)
    jobs = []
    for s in stages:
        seed = zlib.crc32(s.encode()) ^ args.seed
        jobs += [
            (s, k, d) for k, d in enumerate(kill_delays(refs[s].seconds, args.kills, seed=seed))
        ]
    points: list[Point] = []
    kill_started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(_run_point, base, s, k, d, work / "points", probe) for s, k, d in jobs
        ]
        for n, f in enumerate(futures, 1):
            points.append(f.result())
            if n % 10 == 0:
                print(f"  {n}/{len(futures)} kill points", file=sys.stderr)
    kill_s = time.perf_counter() - kill_started
    own_cpu, kids_cpu = _cpu()
    load1 = os.getloadavg()

    print(
        f"Kill -9 at {args.kills} seeded points per stage (spread over each command's clean "
        f"work, from its first write to its end), {args.jobs} side by side, case: {base.root}; "
        "recovering command: "
        f"{'graphkit ' + ' CASE '.join([probe[0], ' '.join(probe[1:])]) if probe else 'tests'}"
        " (mean recovery s: its time after kills that left an intent pending)\n"
    )
    print(
        "| stage | clean work s | kills | nothing pending | clean after recovery | "
        "invariant failures | mean recovery s | same command, nothing to recover s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    failures: dict[str, Counter[str]] = {}
    for s in stages:
        mine = [p for p in points if p.stage == s]
        clean = sum(1 for p in mine if not p.check.problems)
        problems = sum(len(p.check.problems) for p in mine)
        early = sum(1 for p in mine if p.killed.killed and p.check.dangling_before == 0)
        pending = [p.check.recovery_seconds for p in mine if p.check.dangling_before] or [0.0]
        recovery = sum(pending) / len(pending)
        base_probe = f"{clean_probe[s]:.2f}" if s in clean_probe else "-"
        print(
            f"| {s} | {refs[s].seconds:.2f} | {len(mine)} | {early} | {clean} | {problems} | "
            f"{recovery:.2f} | {base_probe} |"
        )
        failures[s] = Counter(_kind(line, base) for p in mine for line in p.check.problems)
    print()
    for s in stages:
        if failures[s]:
            print(f"{s}: " + "; ".join(f"{n}x {k}" for k, n in failures[s].most_common(6)))
            shown = [p for p in points if p.stage == s and p.check.problems][: args.show]
            for p in shown:
                print(f"  e.g. killed after {p.delay:.2f}s: {p.check.problems[0]}")
    print(
        f"\nsetup {setup_s:.1f}s, kill points {kill_s:.1f}s wall; CPU: graphkit processes "
        f"{kids_cpu:.1f}s, this script {own_cpu:.1f}s; load average "
        f"{load0[0]:.2f} at start, {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f} at end "
        f"({os.cpu_count()} CPUs)"
    )
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


def _kind(line: str, base: Base) -> str:
    """A problem line without its paths and ids, to count problems of one kind together."""
    import re

    text = line.replace(str(base.root), "BASE")
    text = re.sub(r"/\S+", "PATH", text)
    text = re.sub(r"\b[0-9a-f]{16,64}\b", "ID", text)
    return re.sub(r"\d+(\.\d+)?", "N", text)[:160]


if __name__ == "__main__":
    main()
