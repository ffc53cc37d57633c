"""The store's one write path: tables, manifest and audit entries together or not at all.

In-process checks of each step; the kill -9 sweeps over real commands are in
``test_faults.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from graphkit.audit import TamperError
from graphkit.errors import CaseError, InputError
from graphkit.store import CaseStore
from graphkit.store.case import JOURNAL_TABLE


@pytest.fixture
def store(tmp_path: Path) -> CaseStore:
    return CaseStore.init(tmp_path / "case", name="t")


def _outcomes(store: CaseStore) -> list[tuple[str, str]]:
    return [(e["command"], e["outcome"]) for e in store.audit.entries()]


def _rows(store: CaseStore, sql: str) -> list[tuple[object, ...]]:
    with store.connect(read_only=True) as con:
        return con.execute(sql).fetchall()


def test_init_is_audited_and_needs_no_further_step(store: CaseStore) -> None:
    assert _outcomes(store) == [("init", "success")]
    assert store.audit.verify().ok
    assert not list(store.path.parent.glob(".case.init-*"))


def test_success_commits_tables_manifest_and_entries_together(store: CaseStore) -> None:
    with store.operation("build", operation="combination") as op:
        op.con.execute("CREATE TABLE t AS SELECT 1 AS x")
        store.record_stage("build", settings={"a": 1}, summary={"rows": 1})
        # the running operation sees its own manifest change before it commits
        assert store.stage("build")["summary"] == {"rows": 1}  # type: ignore[index]
        assert CaseStore.open(store.path)._disk_manifest()["stages"] == {}
    assert _rows(store, "SELECT x FROM t") == [(1,)]
    record = store.stage("build")
    assert record is not None and record["tx"] == op.tx
    entries = store.audit.entries()
    assert [(e["outcome"], e["detail"]["tx"]) for e in entries[1:]] == [
        ("started", op.tx),
        ("success", op.tx),
    ]
    assert _rows(store, f"SELECT count(*) FROM {JOURNAL_TABLE}") == [(0,)]
    assert store.audit.verify().ok


def test_failure_keeps_nothing_and_says_why(store: CaseStore) -> None:
    out = store.path.parent / "out.txt"
    with (
        pytest.raises(InputError, match="bad option"),
        store.operation("analyze", operation="combination") as op,
    ):
        op.con.execute("CREATE TABLE t AS SELECT 1 AS x")
        store.record_stage("analyze", settings={}, summary={})
        op.write_file(out, b"half")
        raise InputError("bad option")
    assert store.stage("analyze") is None
    assert _rows(store, "SELECT count(*) FROM information_schema.tables WHERE table_name='t'") == [
        (0,)
    ]
    assert not out.exists()
    assert not list(out.parent.glob(".out.txt.*"))
    last = store.audit.entries()[-1]
    assert (last["outcome"], last["detail"]["error"]) == ("failure", "bad option")


def test_output_files_appear_only_at_commit(store: CaseStore) -> None:
    out = store.path.parent / "report.html"
    with store.operation("report", operation="consultation", intent=True) as op:
        digest = op.write_file(out, b"<html></html>")
        op.outputs[str(out)] = digest
        assert not out.exists()  # a partial, hidden name until the commit
    assert out.read_bytes() == b"<html></html>"
    assert store.audit.entries()[-1]["outputs"] == {str(out): digest}


@pytest.mark.parametrize("name", ["audit.jsonl", "manifest.json", "case.duckdb", ".lock"])
def test_outputs_never_replace_case_files(store: CaseStore, name: str) -> None:
    link = store.path.parent / f"innocent-{name}"
    link.symlink_to(store.path / name)
    for target in (store.path / name, link):
        with (
            pytest.raises(InputError, match="file of the case store"),
            store.operation("report", operation="consultation", intent=True) as op,
        ):
            op.write_file(target, b"x")
    assert (store.path / name).read_bytes() != b"x"
    assert not list(store.path.glob(f".{name}.*.partial"))
    assert store.audit.verify().ok


def test_models_folder_only_for_the_case_itself(store: CaseStore) -> None:
    with (
        pytest.raises(InputError, match="models folder"),
        store.operation("export", operation="disclosure") as op,
    ):
        op.write_file(store.path / "models" / "x.json", b"{}")
    with store.operation("resolve", operation="combination") as op:
        op.write_file(store.path / "models" / "x.json", b"{}", inside_case=True)
    assert (store.path / "models" / "x.json").read_bytes() == b"{}"


def test_writes_outside_an_operation_are_refused(store: CaseStore) -> None:
    with pytest.raises(CaseError, match=r"store\.operation"):
        store.record_stage("x", settings={}, summary={})
    with store.connect() as con, pytest.raises(Exception, match="read-only"):
        con.execute("CREATE TABLE t (x INT)")


def test_nested_operations_are_refused(store: CaseStore) -> None:
    with (
        store.operation("a", operation="combination"),
        pytest.raises(CaseError, match="inside another operation"),
        CaseStore.open(store.path).operation("b", operation="combination"),
    ):
        pass


# -- recovery after a kill ---------------------------------------------------------------------

_KILLED_AFTER_COMMIT = """
import os, sys
from graphkit.store import CaseStore
store = CaseStore.open(sys.argv[1])
apply = store._apply
store._apply = lambda *a, **k: os._exit(9)   # dies right after DuckDB committed
with store.operation("build", operation="combination") as op:
    op.con.execute("CREATE TABLE t AS SELECT 42 AS x")
    store.record_stage("build", settings={}, summary={"rows": 1})
    op.write_file(__import__("pathlib").Path(sys.argv[2]), b"done")
"""

_KILLED_BEFORE_COMMIT = """
import os, sys
from graphkit.store import CaseStore
store = CaseStore.open(sys.argv[1])
with store.operation("build", operation="combination") as op:
    op.con.execute("CREATE TABLE t AS SELECT 42 AS x")
    store.record_stage("build", settings={}, summary={"rows": 1})
    op.write_file(__import__("pathlib").Path(sys.argv[2]), b"done")
    os._exit(9)
"""


def _die(script: str, store: CaseStore, out: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script, str(store.path), str(out)], capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode()


def test_killed_after_commit_is_rolled_forward(store: CaseStore, tmp_path: Path) -> None:
    out = tmp_path / "result.txt"
    _die(_KILLED_AFTER_COMMIT, store, out)
    assert store.stage("build") is None  # not visible yet: the journal holds it
    with store.operation("show", operation="consultation"):
        pass
    assert store.stage("build") is not None
    assert out.read_bytes() == b"done"
    assert _rows(store, "SELECT x FROM t") == [(42,)]
    assert [o for _c, o in _outcomes(store)] == [
        "success",
        "started",
        "success",
        "success",
    ]
    assert store.audit.verify().ok


def test_killed_before_commit_is_recorded_as_interrupted(store: CaseStore, tmp_path: Path) -> None:
    out = tmp_path / "result.txt"
    _die(_KILLED_BEFORE_COMMIT, store, out)
    with store.operation("show", operation="consultation"):
        pass
    assert store.stage("build") is None
    assert not out.exists() and not list(tmp_path.glob(".result.txt.*"))
    assert _rows(store, "SELECT count(*) FROM information_schema.tables WHERE table_name='t'") == [
        (0,)
    ]
    assert _outcomes(store)[1:] == [
        ("build", "started"),
        ("build", "interrupted"),
        ("show", "success"),
    ]
    assert store.audit.verify().ok


def test_crash_between_log_line_and_head_is_completed(store: CaseStore) -> None:
    """The entry is recorded as pending first: a crash after its line is rolled forward."""
    original = store.audit.write_line

    def line_then_crash(entry: dict[str, object]) -> None:
        original(entry)
        raise KeyboardInterrupt  # as if killed before the head moved

    store.audit.write_line = line_then_crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        store.audit.append(command="review", operation="alteration")
    manifest = json.loads(store.manifest_path.read_text())
    assert manifest["audit_pending"] and manifest["audit_head"]["seq"] == 0
    fresh = CaseStore.open(store.path)
    with fresh.operation("show", operation="consultation"):
        pass
    assert [c for c, _o in _outcomes(fresh)] == ["init", "review", "show"]
    assert "audit_pending" not in fresh.manifest
    assert fresh.audit.verify().ok


def test_crash_before_log_line_is_completed(store: CaseStore) -> None:
    def crash(entry: dict[str, object]) -> None:
        raise KeyboardInterrupt

    store.audit.write_line = crash  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        store.audit.append(command="review", operation="alteration")
    fresh = CaseStore.open(store.path)
    fresh.finish_pending_entry()
    assert [c for c, _o in _outcomes(fresh)] == ["init", "review"]
    assert fresh.audit.verify().ok


# -- tampering -----------------------------------------------------------------------------


def _three_entries(store: CaseStore) -> list[str]:
    for i in range(2):
        with store.operation(f"show {i}", operation="consultation"):
            pass
    return store.audit.path.read_text().splitlines()


def test_deleting_the_last_entry_stops_the_next_command(store: CaseStore) -> None:
    lines = _three_entries(store)
    store.audit.path.write_text("\n".join(lines[:-1]) + "\n")
    before = store.audit.path.read_bytes(), store.manifest_path.read_bytes()
    with (
        pytest.raises(TamperError, match="tampered"),
        store.operation("build", operation="combination"),
    ):
        pass
    # nothing healed it
    assert (store.audit.path.read_bytes(), store.manifest_path.read_bytes()) == before
    assert TamperError.exit_code == 2


def test_rehashed_edit_of_the_last_entry_is_caught(store: CaseStore) -> None:
    from graphkit.audit import _entry_hash

    lines = _three_entries(store)
    entry = json.loads(lines[-1])
    entry["actor"] = "someone else"
    entry["hash"] = _entry_hash(entry)
    lines[-1] = json.dumps(entry)
    store.audit.path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TamperError):
        store.audit.append(command="x", operation="consultation")
    with pytest.raises(TamperError), store.operation("show", operation="consultation"):
        pass


def test_a_middle_edit_stops_the_next_command(store: CaseStore) -> None:
    lines = _three_entries(store)
    lines[1] = lines[1].replace('"consultation"', '"alteration"')
    store.audit.path.write_text("\n".join(lines) + "\n")
    with (
        pytest.raises(TamperError, match="line 2"),
        store.operation("show", operation="consultation"),
    ):
        pass


# -- concurrency ---------------------------------------------------------------------------


def test_concurrent_operations_lose_no_manifest_record(store: CaseStore) -> None:
    """12 processes at once: every stage record lands (the case lock serialises them)."""
    script = (
        "import sys\nfrom graphkit.store import CaseStore\n"
        "s = CaseStore.open(sys.argv[1]); i = sys.argv[2]\n"
        "with s.operation('stage' + i, operation='combination'):\n"
        "    s.record_stage('stage' + i, settings={}, summary={'i': i})\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(store.path), str(i)], stderr=subprocess.PIPE
        )
        for i in range(12)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    assert sorted(store.manifest["stages"]) == sorted(f"stage{i}" for i in range(12))
    assert store.audit.verify().ok
    assert len(store.audit.entries()) == 1 + 12 * 2


def test_a_busy_case_is_refused_in_one_line(store: CaseStore) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom graphkit.store import CaseStore\n"
            "s = CaseStore.open(sys.argv[1])\n"
            "with s.operation('slow', operation='combination'):\n"
            "    print('in', flush=True); time.sleep(30)\n",
            str(store.path),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"in\n"
        env = {**os.environ, "GRAPHKIT_LOCK_WAIT_S": "0.3"}
        done = subprocess.run(
            [sys.executable, "-m", "graphkit", "show", str(store.path), "summary"],
            capture_output=True,
            env=env,
            text=True,
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 2
    assert "busy" in done.stderr and len(done.stderr.strip().splitlines()) == 1
