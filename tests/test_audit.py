"""The audit log detects every form of tampering: edit, deletion, reordering, insertion,
truncation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graphkit.audit import OPERATIONS
from graphkit.errors import GraphkitError
from graphkit.store import CaseStore


@pytest.fixture
def case(tmp_path: Path) -> CaseStore:
    store = CaseStore.init(tmp_path / "case")
    for i, op in enumerate(OPERATIONS):
        store.audit.append(command=f"cmd{i}", operation=op, inputs={"f": f"{i:064x}"})
    return store


def _lines(store: CaseStore) -> list[str]:
    return store.audit.path.read_text(encoding="utf-8").splitlines()


def _write(store: CaseStore, lines: list[str]) -> None:
    store.audit.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_intact_log_verifies(case: CaseStore) -> None:
    result = case.audit.verify()
    assert result.ok, result.reason
    assert result.entries == 1 + len(OPERATIONS)  # init, then one per operation
    entries = case.audit.entries()
    assert [e["seq"] for e in entries] == list(range(1 + len(OPERATIONS)))
    assert entries[1]["prev_hash"] == entries[0]["hash"]
    assert {e["operation"] for e in entries} == set(OPERATIONS)


def test_edit_is_detected(case: CaseStore) -> None:
    lines = _lines(case)
    entry = json.loads(lines[2])
    entry["actor"] = "someone-else"
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    _write(case, lines)
    result = case.audit.verify()
    assert not result.ok
    assert result.first_bad_line == 3
    assert "hash" in (result.reason or "")


def test_deletion_is_detected(case: CaseStore) -> None:
    lines = _lines(case)
    del lines[1]
    _write(case, lines)
    result = case.audit.verify()
    assert not result.ok and result.first_bad_line == 2


def test_reordering_is_detected(case: CaseStore) -> None:
    lines = _lines(case)
    lines[1], lines[2] = lines[2], lines[1]
    _write(case, lines)
    result = case.audit.verify()
    assert not result.ok and result.first_bad_line == 2


def test_insertion_is_detected(case: CaseStore) -> None:
    lines = _lines(case)
    forged = json.loads(lines[1])
    forged["command"] = "forged"
    lines.insert(2, json.dumps(forged))
    _write(case, lines)
    result = case.audit.verify()
    assert not result.ok and result.first_bad_line == 3


def test_truncation_is_detected(case: CaseStore) -> None:
    lines = _lines(case)
    _write(case, lines[:-2])
    result = case.audit.verify()
    assert not result.ok
    assert "truncated" in (result.reason or "")


def test_rewritten_chain_without_head_is_detected(case: CaseStore) -> None:
    """Dropping the first entry and re-chaining the rest still breaks sequence numbering."""
    lines = _lines(case)
    _write(case, lines[1:])
    assert not case.audit.verify().ok


def test_unknown_operation_is_refused(case: CaseStore) -> None:
    with pytest.raises(GraphkitError, match="unknown audit operation"):
        case.audit.append(command="x", operation="snooping")


def test_append_continues_chain_after_reopen(case: CaseStore) -> None:
    reopened = CaseStore.open(case.path)
    entry = reopened.audit.append(command="later", operation="consultation")
    assert entry["seq"] == 1 + len(OPERATIONS)
    assert reopened.audit.verify().ok
