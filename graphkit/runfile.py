"""case.toml: a list of sources (file, kind, mapping) that one command ingests together.

::

    [case]
    name = "op-lighthouse"
    [[sources]]
    name = "opA_cdr"
    kind = "cdr"
    file = "sources/opA_cdr.csv"       # relative to case.toml
    mapping = "mappings/opA_cdr.toml"  # optional
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from graphkit.errors import InputError
from graphkit.ingest.kinds import get_kind

__all__ = ["CaseFile", "SourceEntry", "load_case_file"]


@dataclass(frozen=True)
class SourceEntry:
    name: str
    kind: str
    file: Path
    mapping: Path | None


@dataclass(frozen=True)
class CaseFile:
    name: str
    sources: tuple[SourceEntry, ...]
    path: Path


def load_case_file(path: Path) -> CaseFile:
    """Read and check a case.toml; paths are resolved relative to it."""
    if not path.is_file():
        raise InputError(f"case file {path} not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid TOML: {exc}") from None
    base = path.parent
    case = data.get("case", {})
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise InputError(f"{path} lists no [[sources]]")
    sources = []
    seen: set[str] = set()
    for i, s in enumerate(raw_sources, start=1):
        if not isinstance(s, dict) or "file" not in s or "kind" not in s:
            raise InputError(f"{path}: source #{i} needs at least file and kind")
        get_kind(str(s["kind"]))
        file = base / str(s["file"])
        name = str(s.get("name") or file.stem)
        if name in seen:
            raise InputError(f"{path}: source name {name!r} appears twice")
        seen.add(name)
        mapping = base / str(s["mapping"]) if s.get("mapping") else None
        sources.append(SourceEntry(name, str(s["kind"]), file, mapping))
    return CaseFile(str(case.get("name") or base.name), tuple(sources), path)
