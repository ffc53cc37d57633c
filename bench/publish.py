"""Benchmark: publishing a case to Neo4j, batched UNWIND MERGE vs one MERGE per transaction.

Generates a case database (seeded): phones with hour-of-week profiles, CALLED between them,
persons using them, cells and CONNECTED_VIA with hourly presence. Then, in the same run:

* graphkit, client side only (no server): plan, read from DuckDB and build every batch of
  parameter maps (recording runner), then the same plus encoding every batch with the
  driver's Bolt packer: the ceiling a server can only lower;
* with --uri: ``publish_case`` against the server (batched ``UNWIND $rows`` MERGE, 10k rows
  per transaction), a second, idempotent publish of the same case, and the alternative a user
  would otherwise write: one parameterised MERGE per row, each its own transaction, timed on
  a sample of --sample rows. Prints rows/s for each and the ratio. The bench case is deleted
  afterwards.

Usage: python bench/publish.py [--phones 20000] [--calls 200000] [--uri bolt://localhost:7687]
       [--user neo4j] (password from $NEO4J_PASSWORD) [--sample 2000]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb

from graphkit.model import NODES, RELATIONSHIPS, node_ddl, relationship_ddl
from graphkit.publish import Neo4jRunner, RecordingRunner, Result, publish_case
from graphkit.publish.source import iter_batches, plan_writes


def generate(db: Path, *, phones: int, calls: int, seed: int = 7) -> None:
    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SELECT setseed({1 / (seed + 1)})")
    for n in NODES:
        con.execute(node_ddl(n))
    for r in RELATIONSHIPS:
        con.execute(relationship_ddl(r))
    con.execute(
        f"""CREATE TABLE src_cdr AS SELECT
        '+4474' || lpad(CAST(CAST(floor(random() * {phones}) AS INT) AS VARCHAR), 8, '0') AS caller,
        '+4474' || lpad(CAST(CAST(floor(random() * {phones}) AS INT) AS VARCHAR), 8, '0') AS callee,
        TIMESTAMPTZ '2024-03-04 00:00:00+00' + to_seconds(CAST(random() * 2592000 AS BIGINT))
          AS "start",
        CAST(random() * 600 AS BIGINT) AS duration_s,
        CASE WHEN random() < 0.3 THEN 'sms' ELSE 'call' END AS event_type,
        'CELL-' || CAST(CAST(floor(random() * 500) AS INT) AS VARCHAR) AS cell_id
        FROM range({calls})"""
    )
    con.execute(
        """INSERT INTO node_phone SELECT msisdn, true, min(t), max(t), count(*),
        list_transform(range(168), lambda h: CAST(h AS DOUBLE)) FROM (
          SELECT caller AS msisdn, "start" AS t FROM src_cdr
          UNION ALL SELECT callee, "start" FROM src_cdr) GROUP BY 1"""
    )
    con.execute(
        """INSERT INTO rel_called SELECT caller, callee, count(*) FILTER (event_type = 'call'),
        count(*) FILTER (event_type = 'sms'), sum(duration_s), min("start"), max("start")
        FROM src_cdr WHERE caller <> callee GROUP BY 1, 2"""
    )
    con.execute("INSERT INTO node_cell SELECT DISTINCT cell_id, 51.5, -0.1, 0.0 FROM src_cdr")
    con.execute(
        """INSERT INTO rel_connected_via SELECT caller, cell_id, count(*), min("start"),
        max("start") FROM src_cdr GROUP BY 1, 2"""
    )
    con.execute(
        """INSERT INTO node_person SELECT 'P-' || msisdn, 'Person ' || msisdn, ['x'], [], NULL,
        [], [], 1 FROM node_phone WHERE random() < 0.5"""
    )
    con.execute(
        "INSERT INTO rel_uses SELECT person_id, substr(person_id, 3), NULL, NULL, [] "
        "FROM node_person"
    )
    con.close()


def _open(db: Path) -> Any:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


class _Encoder:
    """Packs each call's parameters with the driver's Bolt packer, as sending would."""

    def __init__(self) -> None:
        from neo4j._codec.packstream.v1 import Packer  # private: bench only

        self.buffer = io.BytesIO()
        self.packer = Packer(self.buffer)
        self.bytes = 0

    def run(
        self,
        statement: str,
        parameters: dict[str, Any],
        metadata: dict[str, Any],
        *,
        write: bool = True,
    ) -> Result:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.packer.pack(parameters)
        self.bytes += self.buffer.tell()
        return Result()


def _packer() -> str:
    from neo4j._codec.packstream import v1

    return "Rust packer" if getattr(v1, "_rust_pack", None) else "pure-Python packer"


def bench_client(db: Path, *, encode: bool) -> tuple[int, float]:
    con = _open(db)
    runner: Any = _Encoder() if encode else RecordingRunner()
    started = time.perf_counter()
    summary = publish_case(con, runner, case_id="bench", actor="bench", purpose="bench")
    elapsed = time.perf_counter() - started
    con.close()
    return summary.totals()["rows"], elapsed


def bench_server(db: Path, runner: Neo4jRunner, case_id: str) -> dict[str, tuple[int, float]]:
    out = {}
    for label in ("graphkit publish (first)", "graphkit publish (re-run)"):
        con = _open(db)
        summary = publish_case(con, runner, case_id=case_id, actor="bench", purpose="bench")
        con.close()
        out[label] = (summary.totals()["rows"], summary.duration_s)
    return out


def bench_row_at_a_time(
    db: Path, runner: Neo4jRunner, case_id: str, sample: int
) -> tuple[int, float]:
    """One MERGE per row and transaction, on CALLED rows (the per-row loop users write)."""
    con = _open(db)
    step = next(s for s in plan_writes(con) if s.statement.name == "write/rel_called")
    rows = next(iter_batches(con, step, batch_rows=sample))
    con.close()
    text = (
        "MATCH (a:Phone {case_id: $case_id, msisdn: $src}) "
        "MATCH (b:Phone {case_id: $case_id, msisdn: $dst}) "
        "MERGE (a)-[r:CALLED]->(b) SET r = $props, r.case_id = $case_id, r.publish_run = $run_id"
    )
    started = time.perf_counter()
    for row in rows:
        runner.run(text, {**row, "case_id": case_id, "run_id": "row-at-a-time"}, {"case": case_id})
    return len(rows), time.perf_counter() - started


def _wipe(runner: Neo4jRunner, case_id: str) -> None:
    while True:
        result = runner.run(
            "MATCH (n) WHERE n.case_id = $case_id WITH n LIMIT 10000 DETACH DELETE n "
            "RETURN count(*) AS deleted",
            {"case_id": case_id},
            {"purpose": "bench clean-up"},
        )
        if result.records[0]["deleted"] < 10000:
            return


def _line(name: str, rows: int, seconds: float) -> str:
    return f"| {name:<48} | {rows:>10,} | {seconds:>9.2f} | {rows / seconds:>12,.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--uri", default=os.environ.get("NEO4J_URI"))
    parser.add_argument("--user", default=os.environ.get("NEO4J_USER", "neo4j"))
    parser.add_argument("--database", default=os.environ.get("NEO4J_DATABASE"))
    parser.add_argument("--sample", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        started = time.perf_counter()
        generate(db, phones=args.phones, calls=args.calls)
        print(
            f"generated {args.calls:,} CDR events, {args.phones:,} phones "
            f"in {time.perf_counter() - started:.1f} s"
        )
        print(f"| {'what':<48} |       rows |         s |       rows/s |")
        print("|---|---|---|---|")
        rows, seconds = bench_client(db, encode=False)
        print(_line("read + batch (no server)", rows, seconds))
        rows, seconds = bench_client(db, encode=True)
        print(_line(f"read + batch + Bolt encode ({_packer()})", rows, seconds))
        if not args.uri:
            print("(no --uri / NEO4J_URI: server timings skipped)")
            return
        runner = Neo4jRunner(
            args.uri,
            user=args.user,
            password=os.environ.get("NEO4J_PASSWORD"),
            database=args.database,
        )
        runner.verify()
        case_id = "bench-" + uuid.uuid4().hex[:8]
        try:
            timings = bench_server(db, runner, case_id)
            for name, (rows, seconds) in timings.items():
                print(_line(name, rows, seconds))
            n, seconds = bench_row_at_a_time(db, runner, case_id, args.sample)
            print(_line("one MERGE per transaction (sample)", n, seconds))
            batched = timings["graphkit publish (first)"]
            print(f"batched / row-at-a-time: {(batched[0] / batched[1]) / (n / seconds):.1f}x")
        finally:
            _wipe(runner, case_id)
            runner.close()


if __name__ == "__main__":
    main()
