"""The investigators' query library: ``cypher/queries/NAME.cypher``, one query per file.

Each file starts with a header of ``//`` comment lines::

    // Title: Money trail from an account
    // Description: ... (continued on indented comment lines)
    // Param: account_id STRING, e.g. "IT60X...": the account
    // Param: hops INTEGER, default 4: most transfers in a chain
    // Returns: path, hops, ...

A parameter with ``e.g.`` is required (the value is an example, as JSON); one with
``default`` is optional. Types: STRING, INTEGER, FLOAT, BOOLEAN, DATETIME (ISO 8601, passed
as text and read with ``datetime()`` in the query), LIST<STRING> and LIST<MAP> (a JSON list
of objects, e.g. scenes with their cells and windows; the example in the header is written
without a space after a colon). Every query takes ``case_id``, filled in from the case.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphkit.errors import InputError
from graphkit.publish.paths import cypher_dir
from graphkit.publish.runner import Runner

__all__ = [
    "PARAM_TYPES",
    "LibraryQuery",
    "QueryParam",
    "bind_parameters",
    "list_queries",
    "load_query",
    "parse_query",
    "run_query",
]

PARAM_TYPES = ("STRING", "INTEGER", "FLOAT", "BOOLEAN", "DATETIME", "LIST<STRING>", "LIST<MAP>")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_RE = re.compile(
    r"^// Param: (?P<name>[a-z][a-z0-9_]*) (?P<type>[A-Z<>]+), "
    r"(?P<mode>default|e\.g\.) (?P<value>.+?): (?P<doc>.+)$"
)
_FIELD_RE = re.compile(r"^// (?P<field>Title|Description|Returns): (?P<text>.*)$")
_USED_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class QueryParam:
    """A declared parameter: its type, whether it is required, an example or its default."""

    name: str
    type: str
    required: bool
    value: Any  # the example (required) or the default (optional), as parsed JSON
    doc: str


@dataclass(frozen=True)
class LibraryQuery:
    """A query of the library with its parsed header."""

    name: str
    title: str
    description: str
    returns: str
    params: tuple[QueryParam, ...]
    text: str

    def param(self, name: str) -> QueryParam:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


def parse_query(name: str, text: str) -> LibraryQuery:
    """Parses a query file; raises InputError naming the first problem in its header."""
    fields: dict[str, str] = {}
    params: list[QueryParam] = []
    current: str | None = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        if m := _PARAM_RE.match(line):
            params.append(_param(name, m))
            current = None
        elif m := _FIELD_RE.match(line):
            current = m["field"]
            fields[current] = m["text"].strip()
        elif line.startswith("//   ") and current:
            fields[current] += " " + line[2:].strip()
        else:
            raise InputError(f"query {name}: header line not understood: {line!r}")
    for required in ("Title", "Description", "Returns"):
        if not fields.get(required):
            raise InputError(f"query {name}: the header has no {required}")
    declared = {p.name for p in params}
    used = set(_USED_RE.findall(text))
    if used != declared:
        raise InputError(
            f"query {name}: parameters used {sorted(used)} but declared {sorted(declared)}"
        )
    if "case_id" not in declared:
        raise InputError(f"query {name}: every query must take $case_id")
    return LibraryQuery(
        name, fields["Title"], fields["Description"], fields["Returns"], tuple(params), text
    )


def _param(query: str, m: re.Match[str]) -> QueryParam:
    if m["type"] not in PARAM_TYPES:
        raise InputError(f"query {query}: parameter {m['name']} has unknown type {m['type']}")
    try:
        value = json.loads(m["value"])
    except json.JSONDecodeError as exc:
        raise InputError(f"query {query}: value of {m['name']} is not JSON: {exc}") from exc
    return QueryParam(m["name"], m["type"], m["mode"] == "e.g.", value, m["doc"].strip())


def load_query(name: str, *, root: Path | None = None) -> LibraryQuery:
    """The library query ``name`` (file ``queries/NAME.cypher`` under ``root``)."""
    if not _NAME_RE.match(name):
        raise InputError(f"not a query name: {name!r}")
    path = (root or cypher_dir()) / "queries" / f"{name}.cypher"
    if not path.is_file():
        known = ", ".join(q.name for q in list_queries(root=root))
        raise InputError(f"no query named {name!r}; the library has: {known}")
    return parse_query(name, path.read_text(encoding="utf-8"))


def list_queries(*, root: Path | None = None) -> list[LibraryQuery]:
    """Every query of the library, by name."""
    folder = (root or cypher_dir()) / "queries"
    return [
        parse_query(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.cypher"))
    ]


def _convert(query: str, p: QueryParam, raw: str) -> Any:
    try:
        if p.type == "STRING":
            return raw
        if p.type == "INTEGER":
            return int(raw)
        if p.type == "FLOAT":
            return float(raw)
        if p.type == "BOOLEAN":
            low = raw.strip().lower()
            if low not in ("true", "false", "yes", "no", "1", "0"):
                raise ValueError(raw)
            return low in ("true", "yes", "1")
        if p.type == "DATETIME":
            parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if p.type == "LIST<MAP>":  # a JSON list of objects
            maps = json.loads(raw)
            if not isinstance(maps, list) or not all(isinstance(m, dict) for m in maps):
                raise ValueError(raw)
            return maps
        # LIST<STRING>: a JSON list, or comma-separated values.
        if raw.strip().startswith("["):
            items = json.loads(raw)
            if not isinstance(items, list):
                raise ValueError(raw)
            return [str(x) for x in items]
        return [x.strip() for x in raw.split(",") if x.strip()]
    except (ValueError, json.JSONDecodeError) as exc:
        raise InputError(f"query {query}: parameter {p.name} is not a {p.type}: {raw!r}") from exc


def bind_parameters(query: LibraryQuery, raw: dict[str, str], *, case_id: str) -> dict[str, Any]:
    """Typed parameters for ``query`` from ``name -> text`` values, defaults filled in.

    Raises InputError for an unknown or missing parameter, or a value of the wrong type.
    """
    known = {p.name for p in query.params}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise InputError(f"query {query.name} has no parameter {unknown[0]!r}")
    if "case_id" in raw:
        raise InputError("case_id comes from the case; do not pass it")
    out: dict[str, Any] = {"case_id": case_id}
    for p in query.params:
        if p.name == "case_id":
            continue
        if p.name in raw:
            out[p.name] = _convert(query.name, p, raw[p.name])
        elif p.required:
            raise InputError(
                f"query {query.name} needs parameter {p.name}=... ({p.type}, e.g. {p.value})"
            )
        else:
            out[p.name] = p.value
    return out


def run_query(
    runner: Runner,
    query: LibraryQuery,
    parameters: dict[str, Any],
    *,
    metadata: dict[str, Any],
) -> list[dict[str, Any]]:
    """Runs ``query`` in a read transaction and returns its rows as plain dicts."""
    return runner.run(
        query.text, parameters, {**metadata, "query": query.name}, write=False
    ).records
