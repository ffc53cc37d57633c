"""Column mappings: which source column feeds each canonical field, and in what format.

A mapping is a TOML file (documented in the README)::

    kind = "cdr"
    timezone = "Europe/London"
    default_region = "GB"
    [read]
    delimiter = ";"
    [columns]
    caller = "From"
    [constants]
    operator = "OpA"
    [formats]
    start = "%Y%m%d %H%M"

Without a mapping (or for fields it leaves out) common column names are recognised.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from graphkit.errors import MappingError
from graphkit.ingest.kinds import KindSpec, get_kind, normalise_column_name

__all__ = ["Mapping", "ReadOptions", "ResolvedMapping", "load_mapping", "resolve_mapping"]

_DURATION_FORMATS = ("s", "ms", "min", "hms")
_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
_NUMBER_FORMATS = ("decimal_point", "decimal_comma")
_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "cp1252": "latin-1",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-32": "utf-32",
    "utf32": "utf-32",
}


@dataclass(frozen=True)
class ReadOptions:
    """How to read the file; None means auto-detect."""

    delimiter: str | None = None
    encoding: str | None = None
    header: bool = True

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise MappingError(f"[read] delimiter must be one character, got {self.delimiter!r}")
        if self.encoding is not None and self.encoding.lower() not in _ENCODINGS:
            raise MappingError(
                f"[read] encoding {self.encoding!r} not supported; use utf-8, latin-1, utf-16 "
                "or utf-32"
            )


@dataclass(frozen=True)
class Mapping:
    """A validated column mapping for one kind."""

    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    formats: dict[str, Any] = field(default_factory=dict)
    timezone: str = "UTC"
    default_region: str = "GB"
    read: ReadOptions = field(default_factory=ReadOptions)
    source_name: str | None = None
    # earliest plausible partial date (dates of birth): "YYYY", "YYYY-MM" or "YYYY-MM-DD";
    # None = 1900. Historical records (people born centuries ago) set it lower.
    earliest_date: str | None = None

    def __post_init__(self) -> None:
        spec = get_kind(self.kind)
        known = set(spec.field_names)
        for section, names in (
            ("columns", self.columns),
            ("constants", self.constants),
            ("formats", self.formats),
        ):
            unknown = sorted(set(names) - known)
            if unknown:
                raise MappingError(
                    f"[{section}] names unknown {self.kind} field(s) {', '.join(unknown)}; "
                    f"fields are: {', '.join(spec.field_names)}"
                )
        both = sorted(set(self.columns) & set(self.constants))
        if both:
            raise MappingError(f"field(s) {', '.join(both)} mapped to a column and a constant")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MappingError(f"unknown time zone {self.timezone!r}") from None
        if self.earliest_date is not None and not _PARTIAL_DATE.fullmatch(self.earliest_date):
            raise MappingError(
                f"earliest_date must be YYYY, YYYY-MM or YYYY-MM-DD, got {self.earliest_date!r}"
            )
        if self.default_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise MappingError(f"unknown phone region {self.default_region!r} (e.g. GB, IT, US)")
        for name, fmt in self.formats.items():
            ftype = spec.field(name).type
            if ftype == "duration" and fmt not in _DURATION_FORMATS:
                raise MappingError(f"format of {name} must be one of {_DURATION_FORMATS}")
            if ftype == "number" and fmt not in _NUMBER_FORMATS:
                raise MappingError(f"format of {name} must be one of {_NUMBER_FORMATS}")
            if ftype in ("timestamp", "partial_date"):
                fmts = [fmt] if isinstance(fmt, str) else fmt
                if not isinstance(fmts, list) or not all(isinstance(f, str) for f in fmts):
                    raise MappingError(f"format of {name} must be a strptime string or a list")

    @property
    def spec(self) -> KindSpec:
        return get_kind(self.kind)

    def to_dict(self) -> dict[str, Any]:
        """Serialisable form, saved in the manifest with each source."""
        return {
            "kind": self.kind,
            "columns": dict(self.columns),
            "constants": dict(self.constants),
            "formats": dict(self.formats),
            "timezone": self.timezone,
            "default_region": self.default_region,
            **({"earliest_date": self.earliest_date} if self.earliest_date else {}),
            "read": {
                "delimiter": self.read.delimiter,
                "encoding": self.read.encoding,
                "header": self.read.header,
            },
        }


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(f"[{key}] must be a table")
    return value


def load_mapping(path: Path | None, *, kind: str) -> Mapping:
    """Read and validate a TOML mapping (or the empty mapping when ``path`` is None)."""
    if path is None:
        return Mapping(kind=kind)
    if not path.is_file():
        raise MappingError(f"mapping file {one_line(str(path))} not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(
            f"mapping {one_line(str(path))} is not valid TOML: {one_line(str(exc))}"
        ) from None
    declared = data.get("kind")
    if declared is not None and declared != kind:
        raise MappingError(f"mapping {path.name} is for kind {declared!r}, not {kind!r}")
    known_top = {
        "kind",
        "source_name",
        "timezone",
        "default_region",
        "read",
        "columns",
        "constants",
        "formats",
        "earliest_date",
    }
    unknown = sorted(set(data) - known_top)
    if unknown:
        raise MappingError(f"mapping {path.name}: unknown key(s) {', '.join(unknown)}")
    columns: dict[str, str] = {}
    constants: dict[str, str] = {}
    for fname, col in _table(data, "columns").items():
        if isinstance(col, dict) and set(col) == {"constant"}:
            constants[fname] = str(col["constant"])
        elif isinstance(col, str):
            columns[fname] = col
        else:
            raise MappingError(f"[columns] {fname} must be a column name or {{constant = ...}}")
    constants.update({k: str(v) for k, v in _table(data, "constants").items()})
    formats = dict(_table(data, "formats"))
    # timezone and default_region may sit at the top level or in [formats]
    timezone = str(data.get("timezone", formats.pop("timezone", "UTC")))
    region = str(data.get("default_region", formats.pop("default_region", "GB"))).upper()
    read = _table(data, "read")
    unknown_read = sorted(set(read) - {"delimiter", "encoding", "header"})
    if unknown_read:
        raise MappingError(f"[read] unknown key(s) {', '.join(unknown_read)}")
    source_name = data.get("source_name")
    return Mapping(
        kind=kind,
        columns=columns,
        constants=constants,
        formats=formats,
        timezone=timezone,
        default_region=region,
        read=ReadOptions(
            delimiter=read.get("delimiter"),
            encoding=_ENCODINGS.get(str(read["encoding"]).lower()) if "encoding" in read else None,
            header=bool(read.get("header", True)),
        ),
        source_name=str(source_name) if source_name is not None else None,
        earliest_date=str(data["earliest_date"]) if "earliest_date" in data else None,
    )


@dataclass(frozen=True)
class ResolvedMapping:
    """A mapping applied to a file's columns: every mapped field has a column or a constant."""

    mapping: Mapping
    columns: dict[str, str]
    constants: dict[str, str]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(
            f for f in self.mapping.spec.field_names if f in self.columns or f in self.constants
        )


def one_line(text: str) -> str:
    """``text`` with line breaks and tabs written as escapes: user errors are one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def resolve_mapping(mapping: Mapping, file_columns: list[str]) -> ResolvedMapping:
    """Match canonical fields to the file's columns: mapped names first, then known aliases.

    Raises MappingError naming the missing required fields and the columns seen.
    """
    spec = mapping.spec
    seen = one_line(", ".join(file_columns))
    missing_cols = sorted(c for c in mapping.columns.values() if c not in file_columns)
    if missing_cols:
        raise MappingError(
            f"mapped column(s) {', '.join(map(repr, missing_cols))} not in the file; "
            f"columns seen: {seen}"
        )
    columns = dict(mapping.columns)
    used = set(columns.values())
    by_norm: dict[str, str] = {}
    for col in file_columns:
        by_norm.setdefault(normalise_column_name(col), col)
    for f in spec.fields:
        if f.name in columns or f.name in mapping.constants:
            continue
        for alias in f.aliases:
            found = by_norm.get(normalise_column_name(alias))
            if found is not None and found not in used:
                columns[f.name] = found
                used.add(found)
                break
    missing = [f for f in spec.required if f not in columns and f not in mapping.constants]
    if missing:
        raise MappingError(
            f"{spec.name}: required field(s) {', '.join(missing)} not found; columns seen: "
            f'{seen} (map them in a mapping file: [columns] field = "Column")'
        )
    if spec.needs_one_of:
        for group in spec.needs_one_of:
            if not any(g in columns or g in mapping.constants for g in group):
                raise MappingError(
                    f"{spec.name}: none of {', '.join(group)} found; columns seen: {seen}"
                )
    return ResolvedMapping(mapping=mapping, columns=columns, constants=dict(mapping.constants))
