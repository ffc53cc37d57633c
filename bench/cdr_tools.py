"""Benchmark: the CDR tool-kit on a large call-record set, each command through the CLI, beside
the same computation in pandas where a user would write one.

Generates (seeded) a CDR CSV in which every phone has a home, a work and a few nearby cells on
a 60 km x 60 km city of three-sector sites, a handset per phone (a few swap it mid-period),
and a towers CSV with positions and azimuths; ingests both, builds the graph, then times as
subprocesses, with the CLI's defaults:

* ``graphkit devices`` (SIM / handset swaps, impossible travel), peer: pandas sort by number
  and time, the IMEI changes found with ``shift`` (swaps only: no travel check);
* ``graphkit show CASE activity`` (every actor's time wheel), peer: pandas ``groupby`` of
  caller and callee by day of week and hour;
* ``graphkit map CASE --actor BUSIEST`` (one trail), peer: pandas filter, sort and run-length;
* ``graphkit scenes`` (three scenes, two hours each), peer: pandas filter per scene and set
  intersection (multi-scene phones only);
* ``graphkit common-contacts`` (the two busiest phones), peer: pandas contacts per target and
  their intersection;
* ``graphkit colocate`` (its defaults: 15 minutes, same cell, twice), no pandas peer: the
  self-join on cell and time a pandas user would write does not fit in memory at this size.

Run from the repository root:  PYTHONPATH=. python bench/cdr_tools.py [--rows 10000000]
Wall and CPU seconds per row; the machine and load are printed with the table.
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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graphkit.build import build_graph
from graphkit.ingest import ingest_file
from graphkit.store import CaseStore

CITY_LAT, CITY_LON = 53.48, -2.24
KM_PER_DEG_LAT, KM_PER_DEG_LON = 111.2, 66.3
START = np.datetime64("2024-03-01T00:00:00")
DAYS = 60


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def generate(work: Path, *, rows: int, numbers: int, sites: int, seed: int = 7) -> dict[str, Any]:
    """``cdr.csv`` and ``towers.csv`` under ``work``; returns what the peers need to know."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-30, 30, (sites, 2))  # km around the centre
    cell_names = np.array([f"S{s:05d}{sec}" for s in range(sites) for sec in "ABC"])
    towers = pd.DataFrame(
        {
            "cell_id": cell_names,
            "latitude": np.round(CITY_LAT + np.repeat(xy[:, 1], 3) / KM_PER_DEG_LAT, 6),
            "longitude": np.round(CITY_LON + np.repeat(xy[:, 0], 3) / KM_PER_DEG_LON, 6),
            "azimuth": np.tile([0, 120, 240], sites),
        }
    )
    towers.to_csv(work / "towers.csv", index=False)
    phones = np.array([f"+447{700000000 + i:09d}" for i in range(numbers)])
    home = rng.integers(0, sites, numbers)
    # work: a site within about 10 km of home
    near = np.argsort(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1), axis=1)[:, :8]
    office = near[home, rng.integers(1, 8, numbers)]
    imei = (35000000000000 + np.arange(numbers)).astype(np.int64)
    swapped = rng.random(numbers) < 0.01
    swap_at = rng.integers(10, DAYS - 10, numbers) * 86400
    activity = rng.pareto(1.5, numbers) + 1
    activity /= activity.sum()
    with pacsv.CSVWriter(
        str(work / "cdr.csv"),
        pa.schema([(c, pa.string()) for c in ("caller", "callee", "start", "cell_id", "imei")]),
    ) as writer:
        for lo in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - lo)
            a = rng.choice(numbers, size=n, p=activity)
            b = rng.choice(numbers, size=n, p=activity)
            secs = rng.integers(0, DAYS * 86400, n)
            where = rng.random(n)
            site = np.where(
                where < 0.6,
                home[a],
                np.where(where < 0.9, office[a], near[home[a], rng.integers(0, 8, n)]),
            )
            cell = cell_names[site * 3 + rng.integers(0, 3, n)]
            handset = imei[a] + np.where(swapped[a] & (secs > swap_at[a]), 50_000_000, 0)
            stamp = pd.DatetimeIndex(
                (START + secs.astype("timedelta64[s]")).astype("datetime64[s]")
            )
            writer.write_table(
                pa.table(
                    {
                        "caller": phones[a],
                        "callee": phones[b],
                        "start": stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
                        "cell_id": cell,
                        "imei": handset.astype(str),
                    }
                )
            )
    busiest = phones[np.argsort(-activity)[:2]]
    return {"busiest": list(busiest), "cells": cell_names, "swapped": int(swapped.sum())}


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if done.returncode != 0:
        return wall, cpu, "FAILED: " + (done.stderr.strip().splitlines() or ["?"])[-1][:80]
    return wall, cpu, ""


def _peer(fn: Any) -> tuple[float, float]:
    cpu0, t0 = _self_cpu(), time.perf_counter()
    fn()
    return time.perf_counter() - t0, _self_cpu() - cpu0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=1_500)
    parser.add_argument("--no-peers", action="store_true", help="skip the pandas peers")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-cdr-"))
    t0 = time.perf_counter()
    info = generate(work, rows=args.rows, numbers=args.numbers, sites=args.sites)
    gen_s = time.perf_counter() - t0
    store = CaseStore.init(work / "case")
    t0 = time.perf_counter()
    ingest_file(store, work / "cdr.csv", kind="cdr")
    ingest_file(store, work / "towers.csv", kind="towers")
    ingest_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_graph(store)
    build_s = time.perf_counter() - t0
    a, b = info["busiest"]
    day = "2024-03-15"
    cells = info["cells"]
    scenes = work / "scenes.toml"
    scenes.write_text(
        "".join(
            f'[[scene]]\nname = "scene {k}"\ncells = ["{cells[k * 7]}", "{cells[k * 7 + 1]}"]\n'
            f'start = "{day}T{10 + 2 * k:02d}:00:00Z"\nend = "{day}T{12 + 2 * k:02d}:00:00Z"\n\n'
            for k in range(3)
        )
    )
    gk = [sys.executable, "-m", "graphkit"]
    case = str(work / "case")
    commands = [
        ("devices", [*gk, "devices", case, "--json"]),
        ("show activity", [*gk, "show", case, "activity", "--limit", "10"]),
        ("map (busiest phone)", [*gk, "map", case, "--actor", a, "--json"]),
        ("scenes (3 scenes)", [*gk, "scenes", case, str(scenes), "--json"]),
        ("common-contacts (2 busiest)", [*gk, "common-contacts", case, a, b, "--json"]),
        ("colocate", [*gk, "colocate", case, "--json"]),
    ]
    ours = {name: _timed(cmd) for name, cmd in commands}
    peers: dict[str, tuple[float, float]] = {}
    read = (float("nan"), float("nan"))
    if not args.no_peers:
        cpu0, t0 = _self_cpu(), time.perf_counter()
        frame = pd.read_csv(work / "cdr.csv", dtype=str)
        frame["start"] = pd.to_datetime(frame["start"], utc=True)
        read = (time.perf_counter() - t0, _self_cpu() - cpu0)

        def swaps() -> None:
            f = frame.sort_values(["caller", "start"])
            changed = f["imei"].ne(f.groupby("caller")["imei"].shift()) & f["caller"].eq(
                f["caller"].shift()
            )
            f.loc[changed, ["caller", "imei", "start"]].to_dict("records")

        def wheel() -> None:
            both = pd.concat(
                [
                    frame[["caller", "start"]].rename(columns={"caller": "phone"}),
                    frame[["callee", "start"]].rename(columns={"callee": "phone"}),
                ]
            )
            both.groupby(["phone", both["start"].dt.dayofweek, both["start"].dt.hour]).size()

        def trail() -> None:
            f = frame[frame["caller"] == a].sort_values("start")
            run = f["cell_id"].ne(f["cell_id"].shift()).cumsum()
            f.groupby(run).agg(
                first=("start", "min"), last=("start", "max"), cell=("cell_id", "first")
            )

        def scene_sets() -> None:
            seen = []
            for k in range(3):
                lo = pd.Timestamp(f"{day}T{10 + 2 * k:02d}:00:00Z")
                hi = pd.Timestamp(f"{day}T{12 + 2 * k:02d}:00:00Z")
                inside = frame["cell_id"].isin([cells[k * 7], cells[k * 7 + 1]]) & frame[
                    "start"
                ].between(lo, hi)
                seen.append(set(frame.loc[inside, "caller"]))
            [p for p in set().union(*seen) if sum(p in s for s in seen) >= 2]

        def common() -> None:
            sets = []
            for target in (a, b):
                f = frame[(frame["caller"] == target) | (frame["callee"] == target)]
                sets.append(set(f["caller"]) | set(f["callee"]) - {target})
            sets[0] & sets[1]

        for name, fn in (
            ("devices", swaps),
            ("show activity", wheel),
            ("map (busiest phone)", trail),
            ("scenes (3 scenes)", scene_sets),
            ("common-contacts (2 busiest)", common),
        ):
            peers[name] = _peer(fn)
    print(
        f"# CDR tools: {args.rows:,} records, {args.numbers:,} phones, {args.sites * 3:,} cells; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    print(
        f"# generate {gen_s:.0f} s, ingest (cdr + towers) {ingest_s:.1f} s, build {build_s:.1f} s"
    )
    print("| command | graphkit wall s | CPU s | pandas wall s | CPU s | note |")
    print("|---|---|---|---|---|---|")
    for name, (wall, cpu, note) in ours.items():
        pw, pc = peers.get(name, (float("nan"), float("nan")))
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {pw:.1f} | {pc:.1f} | {note} |")
    if peers:
        print(
            f"| (pandas: read the CSV once, used by every peer) | | | {read[0]:.1f} | "
            f"{read[1]:.1f} "
            "| graphkit reads the case, ingested once |"
        )
    print(f"# load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
