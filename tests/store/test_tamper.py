"""Tampering with a case's audit log or its head: detected, refused, never healed.

Each case of the corpus changes ``audit.jsonl`` or the manifest's ``audit_head`` the way a
person editing the files would. Then ``graphkit audit verify`` exits 1 and names the first bad
line, every command that would append (a reader such as ``show`` as well as ``build``) exits 2
with one line naming audit tampering, and the log and manifest bytes are what the tamperer left.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.store.faults import Base, base_cases, fresh_case, graphkit, shared_root

Lines = list[str]


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return base_cases(shared_root(tmp_path_factory))


def _hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def _forged_after(lines: Lines) -> str:
    """A well-formed entry chained onto the last line (only the manifest head disagrees)."""
    last = json.loads(lines[-1])
    entry = {**last, "seq": last["seq"] + 1, "prev_hash": last["hash"], "command": "forged"}
    entry["detail"] = {"note": "added by hand"}
    entry["hash"] = _hash(entry)
    return _line(entry)


def _edit(lines: Lines, i: int, *, rehash: bool = False) -> Lines:
    entry = json.loads(lines[i])
    entry["actor"] = "someone-else"
    if rehash:
        entry["hash"] = _hash(entry)
    return [*lines[:i], _line(entry), *lines[i + 1 :]]


def _mid(lines: Lines) -> int:
    return len(lines) // 2


# name -> (change to the log lines, first bad line reported by verify or None if not asserted)
LOG_TAMPER: dict[str, Callable[[Lines], tuple[Lines, int | None]]] = {
    "edit-middle": lambda ls: (_edit(ls, _mid(ls)), _mid(ls) + 1),
    "edit-first": lambda ls: (_edit(ls, 0), 1),
    "edit-last": lambda ls: (_edit(ls, len(ls) - 1), len(ls)),
    "edit-and-rehash-middle": lambda ls: (_edit(ls, _mid(ls), rehash=True), _mid(ls) + 2),
    "delete-middle": lambda ls: ([*ls[: _mid(ls)], *ls[_mid(ls) + 1 :]], _mid(ls) + 1),
    "delete-first": lambda ls: (ls[1:], 1),
    "reorder": lambda ls: (
        [*ls[: _mid(ls)], ls[_mid(ls) + 1], ls[_mid(ls)], *ls[_mid(ls) + 2 :]],
        _mid(ls) + 1,
    ),
    "insert-head": lambda ls: ([ls[0], *ls], 2),
    "insert-middle": lambda ls: (
        [*ls[: _mid(ls)], ls[_mid(ls) - 1], *ls[_mid(ls) :]],
        _mid(ls) + 1,
    ),
    "insert-tail-chained": lambda ls: ([*ls, _forged_after(ls)], None),
    "truncate-half": lambda ls: (ls[: _mid(ls)], None),
    "truncate-last-entry": lambda ls: (ls[:-1], None),
    "truncate-mid-line": lambda ls: ([*ls[:-1], ls[-1][: len(ls[-1]) // 2]], None),
    "truncate-empty": lambda ls: ([], None),
}


def _set_head(field: str, value: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def change(m: dict[str, Any]) -> None:
        head = m["audit_head"]
        if field == "*":
            m["audit_head"] = value(head)
        else:
            head[field] = value(head[field])

    return change


HEAD_TAMPER: dict[str, Callable[[dict[str, Any]], None]] = {
    "head-hash-edited": _set_head("hash", lambda h: "0" * 64 if h != "0" * 64 else "1" * 64),
    "head-seq-back-one": _set_head("seq", lambda s: s - 1),
    "head-seq-ahead-one": _set_head("seq", lambda s: s + 1),
    "head-removed": _set_head("*", lambda h: None),
}


def _one_line(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


def _check_refused(case: Path, what: str, *, verified: bool = False) -> None:
    """``verified``: the caller has seen `audit verify` exit 1 on this case already."""
    before = (case / "audit.jsonl").read_bytes(), (case / "manifest.json").read_bytes()
    if not verified:
        verify = graphkit("audit", "verify", case)
        assert verify.rc == 1, (
            f"{what}: `audit verify` exited {verify.rc}: {verify.stdout}{verify.stderr}"
        )
    for args in (("show", case, "summary"), ("build", case)):
        r = graphkit(*args)
        said = _one_line(r.stdout + r.stderr)
        assert r.rc == 2, f"{what}: `{r.cmdline}` exited {r.rc}: {said[-3:]}"
        assert len(said) == 1, f"{what}: `{r.cmdline}` printed {len(said)} lines: {said[:5]}"
        assert re.search("audit", said[0], re.I) and re.search("tamper", said[0], re.I), said
    after = (case / "audit.jsonl").read_bytes(), (case / "manifest.json").read_bytes()
    assert after[0] == before[0], f"{what}: the audit log was changed (healed?)"
    assert after[1] == before[1], f"{what}: the manifest was changed (healed?)"


@pytest.mark.parametrize("name", list(LOG_TAMPER))
def test_log_tampering_is_refused_and_not_healed(base: Base, name: str, tmp_path: Path) -> None:
    case = fresh_case(base, "built", tmp_path / "case")
    log = case / "audit.jsonl"
    lines = log.read_text("utf-8").splitlines(keepends=True)
    assert len(lines) >= 6
    changed, bad_line = LOG_TAMPER[name](lines)
    log.write_text("".join(changed), "utf-8")
    verify = graphkit("audit", "verify", case)
    said = _one_line(verify.stdout + verify.stderr)
    assert verify.rc == 1, f"{name}: `audit verify` exited {verify.rc}: {said}"
    if bad_line is not None:
        assert any(re.search(rf"\bline {bad_line}\b", s) for s in said), (name, bad_line, said)
    else:
        assert any(re.search(r"\bline \d+\b", s) for s in said), (name, said)
    _check_refused(case, name, verified=True)


@pytest.mark.parametrize("name", list(HEAD_TAMPER))
def test_head_tampering_is_refused_and_not_healed(base: Base, name: str, tmp_path: Path) -> None:
    case = fresh_case(base, "built", tmp_path / "case")
    path = case / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    HEAD_TAMPER[name](manifest)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
    _check_refused(case, name)


def test_untouched_case_verifies(base: Base, tmp_path: Path) -> None:
    """The control: the same case without tampering verifies and accepts commands."""
    case = fresh_case(base, "built", tmp_path / "case")
    assert graphkit("audit", "verify", case).rc == 0
    r = graphkit("show", case, "summary")
    assert r.rc == 0, r.stderr
    assert graphkit("audit", "verify", case).rc == 0
