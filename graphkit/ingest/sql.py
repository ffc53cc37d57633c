"""SQL-building primitives shared by the normalisation modules.

Run a statement with exactly the named parameters it uses, quote identifiers, and collect the
pieces of a normalisation (:class:`NormalisePlan`) with the trimmed raw value of each field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from graphkit.ingest.mapping import ResolvedMapping

__all__ = ["NormalisePlan", "field_value_sql", "quote_ident", "raw_value", "run_sql", "trimmed_sql"]

_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def run_sql(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute ``sql`` with the named parameters it uses (DuckDB refuses unused ones)."""
    used = set(_PARAM_RE.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})


def quote_ident(name: str) -> str:
    """A SQL identifier in double quotes, embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class NormalisePlan:
    """The SQL pieces of a normalisation and the parameters they use."""

    trims: dict[str, str] = field(default_factory=dict)  # field -> trimmed raw value SQL
    selects: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (error expr, source column)
    joins: list[str] = field(default_factory=list)  # identifier lookups, joined in stage t
    # (field, lookup table, list expression over the raw table ``r``)
    list_lookups: list[tuple[str, str, str]] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    # index in ``errors`` -> SQL of the reject's detail, ``{e}`` standing for the error column
    details: dict[int, str] = field(default_factory=dict)
    # (timestamp field, time zone) of fields read as local times: their values in the
    # repeated autumn hour are counted after the write (graphkit.ingest.staging)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)

    def param(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"


def raw_value(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    """The untrimmed source value of ``fname``: a column of the raw table ``r`` or a constant."""
    if fname in rm.constants:
        return f"CAST({plan.param(rm.constants[fname])} AS VARCHAR)"
    return f"r.{quote_ident(rm.columns[fname])}"


def trimmed_sql(x: str) -> str:
    """``NULLIF(trim(x), '')`` that copies only values with a space at either end.

    DuckDB's ``trim`` removes spaces only, so a value with no space at either end is its own
    trimmed value; most values are like that and pass through without a copy.
    """
    padded = f"starts_with({x}, ' ') OR ends_with({x}, ' ')"
    return f"NULLIF(CASE WHEN {padded} THEN trim({x}) ELSE {x} END, '')"


def field_value_sql(plan: NormalisePlan, rm: ResolvedMapping, fname: str) -> str:
    """The trimmed source value of ``fname`` over the raw table ``r`` (NULL when empty)."""
    return trimmed_sql(raw_value(plan, rm, fname))
