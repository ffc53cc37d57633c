from __future__ import annotations

from pathlib import Path

import pytest

from graphkit.errors import CaseError
from graphkit.model import NODES, RELATIONSHIPS
from graphkit.store import CaseStore


def test_init_creates_model_tables_and_manifest(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "c", name="op-test")
    assert store.manifest["name"] == "op-test"
    assert len(store.manifest["case_id"]) == 32
    with store.connect() as con:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        timezone = con.execute("SELECT current_setting('TimeZone')").fetchone()
    assert {n.table for n in NODES} | {r.table for r in RELATIONSHIPS} <= tables
    assert timezone == ("UTC",)


def test_init_refuses_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x").write_text("x")
    with pytest.raises(CaseError, match="not an empty directory"):
        CaseStore.init(tmp_path / "c")


def test_open_refuses_what_is_not_a_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="does not exist"):
        CaseStore.open(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(CaseError, match="not a graphkit case"):
        CaseStore.open(tmp_path / "plain")


def test_stages_models_and_manifest_hash(tmp_path: Path) -> None:
    store = CaseStore.init(tmp_path / "c")
    before = store.manifest_sha256()
    with store.operation("test", operation="combination"):
        store.record_stage("resolve", settings={"threshold": 0.9}, summary={"persons": 3})
        store.set_model("resolution", path="models/er.json", sha256="ab" * 32)
    assert store.stage("resolve")["settings"] == {"threshold": 0.9}  # type: ignore[index]
    assert store.stage("analyze") is None
    assert store.manifest["models"]["resolution"]["sha256"] == "ab" * 32
    assert store.manifest_sha256() != before
