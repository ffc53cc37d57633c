"""Digests of every table a fixed-seed simulated case holds after the whole pipeline.

Used by ``test_golden.py`` to show that refactoring leaves results unchanged: the same seed
gives the same tables, row for row. Regenerate the stored digests (only when a change of
results is intended, and say so in the commit) with::

    .venv/bin/python -m tests.pipeline.golden write
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb
from typer.testing import CliRunner

GOLDEN = Path(__file__).with_name("golden.json")
#: columns that hold the time of the run or the case's own id, not results
VOLATILE = {"decided_at", "created_at", "ran_at", "run_at", "saved_at", "imported_at"}
SKIP_TABLES = {"graphkit_journal"}
#: tables written from a trained network's output. Its weights, hence which pairs it ranks,
#: move with torch's and numpy's float kernels (library versions, CPU instruction sets): the
#: same code gave other rows after a dependency update alone. These are compared by shape
#: (columns, row count, statuses, the family of method that ranked them); tests/gnn checks
#: what they hold.
TRAINED = {"rel_predicted_link"}
PEOPLE, DAYS, SEED = 150, 14, 7


def run_pipeline(root: Path) -> Path:
    """Simulate, ingest, resolve, build, analyze and predict links through the CLI."""
    from graphkit.cli.app import app

    runner = CliRunner()
    sim, case = root / "sim", root / "case"

    def gk(*args: str) -> None:
        result = runner.invoke(app, list(args))
        if result.exit_code != 0:
            raise RuntimeError(f"graphkit {' '.join(args)} failed: {result.output[-2000:]}")

    gk("simulate", str(sim), "--people", str(PEOPLE), "--days", str(DAYS), "--seed", str(SEED))
    gk("run", str(sim / "case.toml"), "--case", str(case))
    gk("resolve", str(case))
    gk("build", str(case))
    gk("analyze", str(case), "--seed", "1", "--runs", "3", "--null-draws", "39")
    gk("predict-links", str(case), "--top", "20", "--epochs", "20")
    return case


def _plain(value: object) -> object:
    """Floats to 9 decimals (and -0.0 to 0.0): summation order in DuckDB's parallel
    aggregates moves the last bits between runs, not the results."""
    if isinstance(value, float):
        return round(value, 9) + 0.0
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _shape(rows: Iterable[dict[str, object]]) -> tuple[object, ...]:
    """What a table of :data:`TRAINED` is compared by: its row count, statuses and the
    families of ``model_version`` (``gnn-link`` or ``heuristic-link``), sorted."""
    rows = list(rows)
    families = sorted({str(r.get("model_version", "")).split("/", 1)[0] for r in rows})
    return (len(rows), sorted({str(r.get("status")) for r in rows}), families)


def table_digests(case: Path) -> dict[str, str]:
    """SHA-256 of each table's rows (sorted, volatile columns left out), by table name."""
    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' ORDER BY table_name"
            ).fetchall()
            if r[0] not in SKIP_TABLES
        ]
        out = {}
        for t in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [t],
                ).fetchall()
                if r[0] not in VOLATILE
            ]
            quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in cols)
            rows = con.execute(f'SELECT {quoted} FROM "{t}"').fetchall()
            if t in TRAINED:
                rows = [_shape(dict(zip(cols, r, strict=True)) for r in rows)]
            text = "\n".join(sorted(json.dumps([_plain(v) for v in r], default=str) for r in rows))
            out[t] = hashlib.sha256(f"{cols}\n{text}".encode()).hexdigest()
        return out
    finally:
        con.close()


#: one thread for torch and BLAS: float sums then come out the same in any process (a test
#: worker may have changed torch's thread count; a bigger machine has more cores)
_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def digests_in_fresh_process(root: Path) -> dict[str, str]:
    """Run the pipeline under ``root`` in a new interpreter with :data:`_ENV`; its digests."""
    import os
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "tests.pipeline.golden", "digest", str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, **_ENV},
        cwd=Path(__file__).resolve().parents[2],
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"golden pipeline failed: {done.stderr[-3000:]}")
    digests: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return digests


if __name__ == "__main__" and sys.argv[1:2] == ["digest"]:
    print(json.dumps(table_digests(run_pipeline(Path(sys.argv[2])))))
elif __name__ == "__main__" and sys.argv[1:] == ["write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        digests = digests_in_fresh_process(Path(tmp))
    GOLDEN.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {len(digests)} table digests to {GOLDEN}")
