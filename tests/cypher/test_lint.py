"""Every .cypher file and every statement publish sends passes Neo4j's own linter.

The linter is @neo4j-cypher/language-support (pinned in tools/cypherlint/package-lock.json,
installed with `npm ci --prefix tools/cypherlint`), run by tools/cypherlint/lint.mjs. Strict
mode: a label, relationship type or property the model does not declare is an error too, and
statements are checked with their parameters, so an undeclared parameter is an error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from graphkit.publish.paths import cypher_dir
from graphkit.publish.properties import lint_schema
from graphkit.publish.queries import list_queries
from graphkit.publish.runner import RecordingRunner

LINT_DIR = Path(__file__).resolve().parents[2] / "tools" / "cypherlint"
# Neo4j 5 (the pinned image) speaks Cypher 5; so do Neo4j 2025 releases unless told otherwise.
CYPHER_VERSION = "CYPHER 5"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Cypher linter cannot run")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.fail("the linter is not installed: run `npm ci --prefix tools/cypherlint`")
    return node


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value))


def lint(statements: list[dict[str, Any]], *, version: str) -> subprocess.CompletedProcess[str]:
    request = {"schema": lint_schema(version), "strict": True, "statements": statements}
    return subprocess.run(
        [_node(), str(LINT_DIR / "lint.mjs"), "--stdin"],
        input=json.dumps(request, default=_jsonable),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


NEGATIVE_CONTROLS: list[dict[str, Any]] = [
    {"name": "negative-control/label", "text": "MATCH (n:Phne) RETURN n", "parameters": {}},
    {
        "name": "negative-control/param",
        "text": "MATCH (n:Phone {msisdn: $m}) RETURN n",
        "parameters": {},
    },
    {"name": "negative-control/syntax", "text": "MATCH (n:Phone RETURN n"},
]


def _sample(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[:2] if k == "rows" else v) for k, v in parameters.items()}


def _body(text: str) -> str:
    lines = text.splitlines()
    while lines and (lines[0].startswith("//") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines)


@pytest.mark.slow
def test_every_cypher_file_and_every_statement_sent_passes(recorded: RecordingRunner) -> None:
    """One linter run (it is slow to start): files, with the parameters they are sent with."""
    sent: dict[str, dict[str, Any]] = {}
    for c in recorded.calls:
        sent.setdefault(c.statement, _sample(c.parameters))
    assert len(sent) > 60
    queries = {q.name: q for q in list_queries()}
    statements = []
    for path in sorted(cypher_dir().rglob("*.cypher")):
        text = path.read_text(encoding="utf-8")
        item: dict[str, Any] = {"name": str(path.relative_to(cypher_dir())), "text": text}
        if path.parent.name == "queries":
            item["parameters"] = {p.name: p.value for p in queries[path.stem].params}
        elif _body(text) in sent:
            item["parameters"] = sent.pop(_body(text))
        statements.append(item)
    # Publish sends nothing but the checked-in statements, each linted with its parameters.
    assert sent == {}
    assert len(statements) > 90
    result = lint(statements + NEGATIVE_CONTROLS, version=CYPHER_VERSION)
    findings = [line for line in result.stdout.splitlines() if not line.startswith("cypherlint:")]
    # The linter does find errors (a misspelt label, an undeclared parameter, bad syntax) ...
    for control in NEGATIVE_CONTROLS:
        assert any(line.startswith(control["name"] + ":") for line in findings), control
    # ... and finds none in the project's Cypher.
    assert [f for f in findings if not f.startswith("negative-control/")] == []
    assert result.returncode == 1
