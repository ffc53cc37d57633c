"""Benchmark: ingest of a large CDR CSV, graphkit vs a plain pandas read + normalise.

Generates a CDR CSV (seeded; phone numbers in mixed formats, local timestamps, durations,
cells, IMEIs), then times, in the same run:

* graphkit: ``ingest_file`` into a fresh case (hash, read, normalise phones to E.164 via the
  distinct values, parse timestamps to UTC, durations, rejects, duplicates, write to DuckDB);
* pandas: ``read_csv`` + the same normalisation done the way a careful pandas user would
  (phonenumbers on distinct values then ``map``, ``to_datetime`` with the format, ``tz_localize``
  + ``tz_convert``, ``to_numeric``), no rejects table and no write.

Usage: python bench/ingest.py [--rows 10000000] [--numbers 50000] [--skip-pandas] [--floor]
       [--csv PATH]

CPU s is the process CPU time (all threads); on a shared machine compare it as well as wall.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from graphkit.ingest import ingest_file
from graphkit.ingest.identifiers import normalise_phone
from graphkit.ingest.stage import count_lines
from graphkit.store import CaseStore

MAPPING = """
kind = "cdr"
timezone = "Europe/London"
default_region = "GB"
[columns]
caller = "From"
callee = "To"
start = "Datetime"
duration_s = "Duration"
cell_id = "Cell"
imei = "IMEI"
event_type = "Type"
[formats]
start = "%Y%m%d %H%M%S"
"""


def generate(path: Path, *, rows: int, numbers: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    national = 7400000000 + rng.choice(999999, size=numbers, replace=False)
    nat = national.astype(str)
    written = np.stack(
        [
            np.char.add("+44 ", nat),
            np.char.add("0044", nat),
            np.char.add("0", nat),
            np.char.add("+44", nat),
        ]
    )
    activity = rng.pareto(1.5, numbers) + 1
    activity /= activity.sum()
    chunk = 1_000_000
    start0 = np.datetime64("2024-03-01T00:00:00")
    with pacsv.CSVWriter(
        str(path),
        pa.schema(
            [
                (c, pa.string())
                for c in ("From", "To", "Datetime", "Duration", "Cell", "IMEI", "Type")
            ]
        ),
    ) as writer:
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)
            a = rng.choice(numbers, size=n, p=activity)
            b = rng.choice(numbers, size=n, p=activity)
            fa = written[rng.integers(0, 4, n), a]
            fb = written[rng.integers(0, 4, n), b]
            secs = rng.integers(0, 60 * 86400, n)
            ts = (start0 + secs.astype("timedelta64[s]")).astype("datetime64[s]")
            stamp = pd.DatetimeIndex(ts).strftime("%Y%m%d %H%M%S").to_numpy()
            dur = rng.exponential(90, n).astype(np.int64)
            cell = np.char.add("C", rng.integers(0, 5000, n).astype(str))
            imei = (35000000000000 + a).astype(str)
            kind = np.where(rng.random(n) < 0.3, "SMS", "Voice")
            writer.write_table(
                pa.table(
                    {
                        "From": fa,
                        "To": fb,
                        "Datetime": stamp,
                        "Duration": dur.astype(str),
                        "Cell": cell,
                        "IMEI": imei,
                        "Type": kind,
                    }
                )
            )


def run_graphkit(
    csv: Path, mapping: Path, work: Path
) -> tuple[float, float, int, list[tuple[str, float, float]]]:
    """Time ``ingest_file``; also the wall and CPU seconds of each of its progress steps."""
    store = CaseStore.init(work / "case")
    t0, c0 = time.perf_counter(), time.process_time()
    phases: list[tuple[str, float, float]] = []
    last = [t0, c0]

    def step(msg: str) -> None:
        t, c = time.perf_counter(), time.process_time()
        if phases:
            name, _, _ = phases[-1]
            phases[-1] = (name, t - last[0], c - last[1])
        phases.append((msg, 0.0, 0.0))
        last[:] = [t, c]

    result = ingest_file(store, csv, kind="cdr", mapping_path=mapping, progress=step)
    step("end")
    phases.pop()
    return time.perf_counter() - t0, time.process_time() - c0, result.accepted, phases


def run_floor(csv: Path, work: Path) -> list[tuple[str, float, float, int]]:
    """What any DuckDB ingest of this file pays: read it, and write the staged rows.

    Times DuckDB reading the CSV (all text) into a temp table, then writing the rows graphkit
    stored (``ingest_cdr``: identifiers as dictionary references, read from the case attached
    read-only) into a table of the same schema in a fresh database file: parsing and
    persistent, compressed storage with no normalisation at all. (The case itself is only
    written through its store's one write path, so the copy goes to a scratch file.)
    """
    out: list[tuple[str, float, float, int]] = []
    case_db = CaseStore(work / "case").db_path
    con = duckdb.connect(str(work / "floor.duckdb"))
    try:
        con.execute("ATTACH ? AS src (READ_ONLY)", [str(case_db)])

        def timed(label: str, sql: str, params: list[object] | None, count: str) -> None:
            t0, c0 = time.perf_counter(), time.process_time()
            con.execute(sql, params)
            con.execute("CHECKPOINT")
            row = con.execute(count).fetchone()
            out.append(
                (label, time.perf_counter() - t0, time.process_time() - c0, row[0] if row else 0)
            )

        timed(
            "floor: DuckDB CSV read",
            "CREATE TEMP TABLE _floor AS SELECT * FROM read_csv(?, all_varchar = true)",
            [str(csv)],
            "SELECT count(*) FROM _floor",
        )
        con.execute("DROP TABLE _floor")
        con.execute("CREATE TABLE _floor_copy AS SELECT * FROM src.ingest_cdr LIMIT 0")
        timed(
            "floor: DuckDB staged write",
            "INSERT INTO _floor_copy SELECT * FROM src.ingest_cdr",
            None,
            "SELECT count(*) FROM _floor_copy",
        )
    finally:
        con.close()
    return out


def run_pandas(csv: Path) -> tuple[float, float, int]:
    t0, c0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    uniq = pd.unique(pd.concat([df["From"], df["To"]]))
    norm = {u: normalise_phone(u, default_region="GB")[0] for u in uniq}
    df["caller"] = df["From"].map(norm)
    df["callee"] = df["To"].map(norm)
    start = pd.to_datetime(df["Datetime"], format="%Y%m%d %H%M%S", errors="coerce")
    df["start"] = start.dt.tz_localize(
        "Europe/London", ambiguous="NaT", nonexistent="NaT"
    ).dt.tz_convert("UTC")
    df["duration_s"] = pd.to_numeric(df["Duration"], errors="coerce")
    ok = df["start"].notna() & df["duration_s"].ge(0)
    return time.perf_counter() - t0, time.process_time() - c0, int(ok.sum())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--numbers", type=int, default=50_000)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--floor", action="store_true", help="also time DuckDB's bare CSV read and staged write"
    )
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--csv", type=Path, default=None, help="reuse this CSV (generated there if missing)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        csv, mapping = args.csv or work / "cdr.csv", work / "cdr.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        if not csv.exists():
            t0 = time.perf_counter()
            generate(csv, rows=args.rows, numbers=args.numbers)
            print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
        n_rows = count_lines(csv) - 1
        print(f"{csv.name}: {n_rows:,} rows, {csv.stat().st_size / 1e6:,.0f} MB")
        load = [os.getloadavg()[0]]
        g_s, g_cpu, g_rows, phases = run_graphkit(csv, mapping, work)
        rss_g = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = [("graphkit ingest (DuckDB)", g_s, g_cpu, g_rows)]
        load.append(os.getloadavg()[0])
        if args.floor:
            rows += run_floor(csv, work)
        if not args.skip_pandas:
            p_s, p_cpu, p_rows = run_pandas(csv)
            rows.append(("pandas read + normalise", p_s, p_cpu, p_rows))
            load.append(os.getloadavg()[0])
        print(f"\n{'method':<28}{'wall s':>9}{'CPU s':>9}{'rows/s':>14}{'rows ok':>14}")
        for name, secs, cpu, n in rows:
            print(f"{name:<28}{secs:>9.1f}{cpu:>9.1f}{n_rows / secs:>14,.0f}{n:>14,}")
        if not args.skip_pandas:
            pandas_s, pandas_cpu = rows[-1][1], rows[-1][2]
            print(
                f"\nspeed-up over pandas: {pandas_s / rows[0][1]:.1f}x wall, "
                f"{pandas_cpu / rows[0][2]:.1f}x CPU"
            )
        if args.floor:
            floor_s = sum(r[1] for r in rows if r[0].startswith("floor"))
            floor_cpu = sum(r[2] for r in rows if r[0].startswith("floor"))
            print(
                f"graphkit against the floor (read + write): {rows[0][1] / floor_s:.2f}x wall, "
                f"{rows[0][2] / floor_cpu:.2f}x CPU"
            )
        print(f"\n{'graphkit phase':<28}{'wall s':>9}{'CPU s':>9}")
        for name, secs, cpu in phases:
            print(f"{name:<28}{secs:>9.2f}{cpu:>9.2f}")
        print(f"\npeak RSS of this process after graphkit: {rss_g:,.0f} MB")
        print(f"{os.cpu_count()} CPUs; 1-min load average before/after: {load}")


if __name__ == "__main__":
    main()
