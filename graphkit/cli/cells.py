"""Summary values as people read them in a table: a count per key as ``leaders 6 of 10,
brokers 10 of 10``, timings per part as ``wall: graph 0.363, …; cpu: …``, a person's records
as ``source id, id; source id``. ``--json`` keeps the values as they are; only tables use these."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphkit.views import format_number

__all__ = ["readable", "readable_rows"]

_RECORD_KEYS = frozenset({"source", "record_id"})


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _word(key: Any) -> str:
    return str(key).replace("_", " ")


def _flat(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return "" if value is None else str(value)


def _is_record(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == _RECORD_KEYS


def readable(value: Any) -> Any:
    """``value`` as table text where it is a summary: a mapping of plain values (``key
    value, ...``), a mapping of such mappings (``key: key value, ...; ...``), a list of
    records (``{source, record_id}``: ``source id, id; source id``, by source) or of plain
    values (joined by ``, ``). Anything else (evidence with lists inside, a card's list of
    rows) is returned as it is, for the table to lay out."""
    if isinstance(value, Mapping) and value:
        if all(_scalar(v) for v in value.values()):
            return ", ".join(f"{_word(k)} {_flat(v)}" for k, v in value.items())
        if all(
            isinstance(v, Mapping) and all(_scalar(x) for x in v.values()) for v in value.values()
        ):
            return "; ".join(f"{_word(k)}: {readable(v) or 'none'}" for k, v in value.items())
        return value
    if isinstance(value, list | tuple) and value:
        if all(_is_record(v) for v in value):
            by_source: dict[str, list[str]] = {}
            for v in value:
                by_source.setdefault(str(v["source"]), []).append(str(v["record_id"]))
            # one source, then its record ids: breaks between words in a narrow column
            return "; ".join(f"{src} {', '.join(ids)}" for src, ids in by_source.items())
        if all(_scalar(v) for v in value):
            return ", ".join(_flat(v) for v in value)
    return value


def readable_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with its mappings and record lists made :func:`readable`; lists of plain
    values are left to the table, which names the people in them."""
    return [{k: readable(v) if _summary_like(v) else v for k, v in r.items()} for r in rows]


def _summary_like(value: Any) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and all(_is_record(x) for x in value)
    )
