"""The layout's checked rules (issue 20): package sizes, one door to the store.

Import layers, independence and cycles are import-linter contracts (``pyproject.toml``, run by
``make check``); these are the rules import-linter cannot express.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graphkit", "resolution", "gnn")


def _sources() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if parts[0] != "graphkit" or len(parts) == 2 else "/".join(parts[:2])


def test_no_package_holds_more_than_15_percent_of_the_lines() -> None:
    lines: Counter[str] = Counter()
    for path in _sources():
        lines[_package(path)] += len(path.read_text(encoding="utf-8").splitlines())
    total = sum(lines.values())
    biggest, size = lines.most_common(1)[0]
    assert size / total <= 0.15, f"{biggest} holds {size / total:.1%} of {total} lines"


def test_transactions_are_written_only_by_the_store() -> None:
    """No hand-written BEGIN / COMMIT / ROLLBACK outside graphkit/store: every change goes
    through ``CaseStore.operation`` (docs/evidence-chain.md)."""
    statement = re.compile(r"""execute\(\s*["'](BEGIN|COMMIT|ROLLBACK)\b""", re.IGNORECASE)
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if "graphkit/store/" not in p.as_posix() and statement.search(p.read_text("utf-8"))
    ]
    assert offenders == []


def test_manifest_is_written_only_by_the_store() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in _sources()
        if "graphkit/store/" not in p.as_posix()
        and re.search(r"update_manifest|_write_manifest|manifest_path\.write", p.read_text("utf-8"))
    ]
    assert offenders == []


def test_docstrings_cite_files_that_exist() -> None:
    """A docstring or comment naming a repository file (``docs/x.md``, ``ARCHITECTURE.md``,
    ``graphkit/...py``) names one that is there."""
    cited = re.compile(
        r"(?<![\w/])((?:docs|graphkit|resolution|gnn|bench|cypher|tests)/[\w/.-]+\.(?:md|py))"
    )
    missing = sorted(
        {
            f"{p.relative_to(ROOT)}: {m}"
            for p in _sources()
            for m in cited.findall(p.read_text("utf-8"))
            if not (ROOT / m).exists()
        }
    )
    assert missing == []
    for p in _sources():
        assert "DESIGN.md" not in p.read_text("utf-8"), f"{p} cites DESIGN.md, not in the repo"


def test_library_errors_name_settings_not_flags() -> None:
    """Outside the CLI an error names the setting (``cell_m: ...``, other fields in
    backticks); the CLI turns fields into the flags the user typed (``flag_names``). A hint
    that spells out a whole command (``graphkit review CASE --queue handoffs``) is fine."""
    import ast

    flag = re.compile(r"(?<![\w`-])--[a-z][a-z-]+")
    offenders = []
    for p in _sources():
        if "graphkit/cli/" in p.as_posix():
            continue
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            text = "".join(
                part.value
                for part in ast.walk(node.exc)
                if isinstance(part, ast.Constant) and isinstance(part.value, str)
            )
            if flag.search(text) and "graphkit " not in text:
                offenders.append(f"{p.relative_to(ROOT)}:{node.lineno}: {text[:80]}")
    assert offenders == []
