"""Benchmark: a hotspot forecast over 1M incidents on a 200 m grid over a county, beside the
kernel density a user would otherwise compute in plain Python (scikit-learn's KernelDensity
evaluated at every cell centre).

graphkit's figure is the product path: ``graphkit hotspots CASE --cell 200m --train ..
--forecast ..`` (defaults: method auto, which back-tests every method inside the training
window, fits the self-exciting process by EM on the latest 20,000 incidents and forecasts),
timed as a subprocess after the incidents were ingested. The peer is a plain KDE on the same
incidents and grid, the same bandwidth: ``KernelDensity(bandwidth=200, rtol=1e-3)``'s
``score_samples`` at the centre of every cell (a tree-based KDE, exact to 0.1 %).

Run from the repository root:  PYTHONPATH=. python bench/hotspots.py [--incidents 1000000]
Prints the load average and CPU seconds beside each wall time.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from graphkit.hotspots.grid import Grid
from graphkit.ingest import ingest_file
from graphkit.simulate.incidents import (
    INCIDENT_CRS,
    IncidentSpec,
    simulate_incidents,
    write_incidents,
)
from graphkit.store import CaseStore


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--no-peer", action="store_true", help="skip the scikit-learn KDE")
    args = parser.parse_args()
    days = 365
    spec = IncidentSpec(
        seed=1,
        days=days,
        size_m=50_000.0,  # 50 km x 50 km: a county (West Yorkshire is about 2,000 km2)
        hotspots=60,
        background_per_day=args.incidents * 0.4 / days,  # 60 % are triggered
    )
    work = Path(tempfile.mkdtemp(prefix="bench-hotspots-"))
    sim = simulate_incidents(spec)
    paths = write_incidents(sim, work / "sim")
    store = CaseStore.init(work / "case")
    t0 = time.perf_counter()
    ingest_file(store, paths["incidents"], kind="incidents")
    ingest_s = time.perf_counter() - t0
    cmd = [
        sys.executable,
        "-m",
        "graphkit",
        "hotspots",
        str(work / "case"),
        "--cell",
        "200m",
        "--train",
        "2024-01-01..2024-12-23",
        "--forecast",
        "2024-12-24..2024-12-30",
    ]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    ours_s, ours_cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    method = next(line for line in done.stdout.splitlines() if line.startswith("Method:"))
    grid = Grid.covering(sim.x, sim.y, crs=INCIDENT_CRS, cell_m=200.0)
    print(f"# hotspots: {len(sim.t):,} incidents over {days} days, {grid.n_cells:,} cells of 200 m")
    print(f"# machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"# ingest {ingest_s:.1f} s")
    print("| what | wall s | CPU s | note |")
    print("|---|---|---|---|")
    note = method.removeprefix("Method: ")[:60]
    print(f"| graphkit hotspots (auto, CLI) | {ours_s:.1f} | {ours_cpu:.1f} | {note} |", flush=True)
    if not args.no_peer:
        from sklearn.neighbors import KernelDensity

        train = sim.t < days - 8
        cpu0, t0 = _self_cpu(), time.perf_counter()
        # rtol: the tree prunes nodes whose contribution is known to 0.1 % (exact, rtol=0, had
        # not finished after 6 minutes here)
        kde = KernelDensity(bandwidth=200.0, rtol=1e-3).fit(
            np.column_stack([sim.x[train], sim.y[train]])
        )
        cx, cy = grid.centres(np.arange(grid.n_cells))
        kde.score_samples(np.column_stack([cx, cy]))
        wall, cpu = time.perf_counter() - t0, _self_cpu() - cpu0
        print(
            f"| scikit-learn KernelDensity | {wall:.1f} | {cpu:.1f} | "
            "density at every cell centre |"
        )
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
