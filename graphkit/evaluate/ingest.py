"""Ingest evaluator: per source, rows read, rejects and duplicates against the truth.

Sources are matched by file hash (the truth records each file's SHA-256), then by name. A
reject is *matched* when its source row number is one of the planted malformed rows.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from graphkit.evaluate import evaluator
from graphkit.store import CaseStore

__all__ = ["evaluate_ingest"]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@evaluator("ingest", help="rows, rejects and duplicates per source vs the planted ones")
def evaluate_ingest(store: CaseStore, truth_dir: Path) -> dict[str, Any] | None:
    """Compare the case's ingested sources with ``truth_dir/sources.csv`` and
    ``truth_dir/malformed.csv``; ``None`` when nothing has been ingested."""
    ingested = {
        name: s
        for name, s in store.manifest.get("sources", {}).items()
        if s.get("status") == "ingested"
    }
    if not ingested:
        return None
    by_hash = {s.get("sha256"): name for name, s in ingested.items()}
    planted: dict[str, set[int]] = {}
    for bad in _read_csv(truth_dir / "malformed.csv"):
        planted.setdefault(bad["source"], set()).add(int(bad["row_number"]))
    rejected_rows: dict[str, set[int]] = {}
    with store.connect() as con:
        if store.table_exists(con, "rejects"):
            for source, row_number in con.execute(
                "SELECT DISTINCT source_name, row_number FROM rejects"
            ).fetchall():
                rejected_rows.setdefault(str(source), set()).add(int(row_number))
    rows = []
    for truth in _read_csv(truth_dir / "sources.csv"):
        name = by_hash.get(truth["sha256"]) or (
            truth["source"] if truth["source"] in ingested else None
        )
        expected = {
            "rows": int(truth["rows"]),
            "rejected": int(truth["malformed"]),
            "duplicates": int(truth["duplicates"]),
        }
        row: dict[str, Any] = {"source": truth["source"], "case_source": name}
        if name is None:
            row.update(found=False, ok=False, **{f"expected_{k}": v for k, v in expected.items()})
            rows.append(row)
            continue
        s = ingested[name]
        want = planted.get(truth["source"], set())
        got = rejected_rows.get(name, set())
        row.update(
            found=True,
            same_file=s.get("sha256") == truth["sha256"],
            rows_read=s.get("rows_read"),
            expected_rows=expected["rows"],
            rejected=s.get("rejected"),
            expected_rejected=expected["rejected"],
            rejects_matched=len(want & got),
            duplicates=s.get("duplicates"),
            expected_duplicates=expected["duplicates"],
        )
        row["ok"] = bool(
            row["same_file"]
            and row["rows_read"] == expected["rows"]
            and row["rejected"] == expected["rejected"]
            and row["duplicates"] == expected["duplicates"]
            and want == got
        )
        rows.append(row)
    found = [r for r in rows if r["found"]]
    planted_total = sum(r["expected_rejected"] for r in found)
    rejected_total = sum(r["rejected"] or 0 for r in found)
    matched = sum(r["rejects_matched"] for r in found)
    metrics = {
        "sources_expected": len(rows),
        "sources_found": len(found),
        "sources_ok": sum(1 for r in rows if r["ok"]),
        "rows_expected": sum(r["expected_rows"] for r in rows),
        "rows_read": sum(r["rows_read"] or 0 for r in found),
        "rejects_expected": planted_total,
        "rejected": rejected_total,
        "reject_precision": matched / rejected_total if rejected_total else 1.0,
        "reject_recall": matched / planted_total if planted_total else 1.0,
    }
    columns = [
        "source",
        "found",
        "rows_read",
        "expected_rows",
        "rejected",
        "expected_rejected",
        "rejects_matched",
        "duplicates",
        "expected_duplicates",
        "ok",
    ]
    passed = all(r["ok"] for r in rows)
    return {"metrics": metrics, "rows": rows, "columns": columns, "passed": passed}
