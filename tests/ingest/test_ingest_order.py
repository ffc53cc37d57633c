"""Sources keep the order they were ingested in, exactly (person anchors depend on it)."""

from __future__ import annotations

from pathlib import Path

from graphkit.ingest import ingest_file
from graphkit.store import CaseStore
from resolution.records import source_order


def _towers(path: Path, cell: str) -> Path:
    path.write_text(f"cell_id,lat,lon,azimuth\n{cell},51.5,-0.1,90\n")
    return path


def test_sequence_follows_ingest_order_and_survives_replace(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    # names sort the other way round from ingest order; the whole run takes under a second
    for name in ("zulu", "mike", "alpha"):
        ingest_file(store, _towers(tmp_path / f"{name}.csv", name), kind="towers", source_name=name)
    sources = store.manifest["sources"]
    assert [sources[n]["sequence"] for n in ("zulu", "mike", "alpha")] == [1, 2, 3]
    assert source_order(store.manifest) == {"zulu": 0, "mike": 1, "alpha": 2}
    other = _towers(tmp_path / "mike2.csv", "mike-2")
    ingest_file(store, other, kind="towers", source_name="mike", replace=True)
    assert store.manifest["sources"]["mike"]["sequence"] == 2
    assert source_order(store.manifest) == {"zulu": 0, "mike": 1, "alpha": 2}


def test_cases_without_sequence_fall_back_to_start_time_then_name() -> None:
    manifest = {
        "sources": {
            "b": {"status": "ingested", "started_at": "2026-01-01T00:00:01+00:00"},
            "a": {"status": "ingested", "started_at": "2026-01-01T00:00:01+00:00"},
            "c": {"status": "ingested", "started_at": "2026-01-01T00:00:00+00:00"},
            "d": {"status": "failed", "started_at": "2026-01-01T00:00:00+00:00"},
        }
    }
    assert source_order(manifest) == {"c": 0, "a": 1, "b": 2}
