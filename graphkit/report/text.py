"""Small text helpers shared by the report sections: numbers, actor labels, evidence."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from graphkit.report.collect import CaseFacts

__all__ = [
    "community_index",
    "community_key",
    "display_names",
    "evidence_text",
    "fmt",
    "label_of",
    "short_label",
]


def community_key(value: Any) -> str | None:
    """The Community key (``C3``) of a community given as ``3`` or ``C3``; None if missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    if not text:
        return None
    return text if text.startswith("C") else f"C{int(float(text))}"


def community_index(value: Any) -> int | None:
    """The number of a community key (``C3`` -> 3); None when it has none."""
    key = community_key(value)
    digits = key[1:] if key else ""
    return int(digits) if digits.isdigit() else None


def fmt(value: Any, digits: int = 3) -> str:
    """A number for people, as the CLI and Neo4j captions write it
    (:func:`graphkit.views.format_number`: ``digits`` significant digits, a value below 1
    never written as 1, an exact 1 as ``1``); an en dash when missing."""
    from graphkit.views import format_number

    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float | np.floating):
        return format_number(float(value), digits=digits)
    return str(value)


#: phones written beside an actor's name in the report's text (the rest counted)
LABEL_PHONES = 2


def label_of(row: Any) -> str:
    """How an actor is named in the report: its name, then its id and phones
    (``Ann Lee (P3f2a…; +447700900123)``; beyond :data:`LABEL_PHONES`, the rest counted), or
    its id and phones where it has no name."""
    actor_id = str(row["actor_id"])
    get = row.get if hasattr(row, "get") else (lambda _key: None)
    name = get("name")
    phones = get("phones")
    listed = [] if phones is None or isinstance(phones, float) else [str(p) for p in phones]
    listed = [p for p in listed if p != actor_id]
    shown = ", ".join(listed[:LABEL_PHONES])
    if len(listed) > LABEL_PHONES:
        shown += f" and {len(listed) - LABEL_PHONES} more"
    if isinstance(name, str) and name.strip() and name != actor_id:
        return f"{name} ({actor_id}; {shown})" if shown else f"{name} ({actor_id})"
    return f"{actor_id} ({shown})" if shown else actor_id


# Evidence fields a reviewer reads first (hand-offs, predicted links, blackouts), then the rest.
_FIRST = (
    "contacts_overlap",
    "shared_contacts",
    "cells_overlap",
    "shared_cells",
    "shared_imei",
    "rhythm_similarity",
    "gap_hours",
    "n_shared_contacts",
    "shortest_path_hops",
    "common_neighbours",
    "expected_events",
    "also_silent",
)


# Evidence fields in words (the rest: their names with spaces for underscores).
_WORDS = {
    "contacts_overlap": "contact overlap",
    "cells_overlap": "cell overlap",
    "shared_imei": "same handset (IMEI)",
    "gap_hours": "hours between",
    "n_shared_contacts": "number of shared contacts",
    "shortest_path_hops": "hops apart",
    "common_neighbours": "shared contacts (count)",
    "expected_events": "events expected",
    "ranked_by": "ranked by",
    "then_by": "then by",
}


def evidence_text(evidence: Any, *, limit: int = 6, names: dict[str, str] | None = None) -> str:
    """A one-line summary of an evidence dict: the telling fields first, in words, numbers
    through :func:`fmt`, lists by their first items, named through ``names`` (actor id or
    phone -> label), with a count of the rest; paths as ``a → b → c``."""
    if not isinstance(evidence, dict):
        return "" if evidence is None else str(evidence)[:200]
    keys = [k for k in _FIRST if k in evidence] + [k for k in evidence if k not in _FIRST]
    parts = []
    for k in keys:
        v = evidence[k]
        if k in ("weights", "model_version") or isinstance(v, dict):
            continue
        said = _WORDS.get(k, k.replace("_", " "))
        value = fmt(v) if isinstance(v, float) else v
        parts.append(
            f"{said}: {_list_text(v, names or {})}" if isinstance(v, list) else f"{said}: {value}"
        )
        if len(parts) >= limit:
            break
    return "; ".join(parts) or json.dumps(evidence)[:200]


def _list_text(values: list[Any], names: dict[str, str], shown: int = 3) -> str:
    def one(v: Any) -> str:
        if isinstance(v, list):
            return " → ".join(names.get(str(x), str(x)) for x in v)
        return fmt(v) if isinstance(v, float) else names.get(str(v), str(v))

    if not values:
        return "none"
    head = ", ".join(one(v) for v in values[:shown])
    more = len(values) - shown
    return head + (f" and {more} more" if more > 0 else "")


def short_label(row: Any, *, max_chars: int = 24) -> str:
    """A short name for pictures: the name alone when known, else the id. A long name loses
    its ", registered as ..." part first (the picture's tooltip and the tables keep it), then
    whole words, never a word cut in the middle."""
    name = row.get("name") if hasattr(row, "get") else None
    text = name if isinstance(name, str) and name.strip() else str(row["actor_id"])
    if len(text) <= max_chars:
        return text
    text = text.split(", registered as ")[0]
    text += ")" * (text.count("(") - text.count(")"))  # "+44... (Name, registered as X)"
    if len(text) <= max_chars:
        return text
    held = re.fullmatch(r"\+?\d+ \((.+)\)", text)  # a phone and its holder: the holder
    if held:
        text = held.group(1)
        if len(text) <= max_chars:
            return text
    cut = text[: max_chars - 1].rsplit(" ", 1)[0]
    return (cut if cut and " " in text[: max_chars - 1] else text[: max_chars - 1]) + "…"


def display_names(facts: CaseFacts) -> dict[str, str]:
    """Each actor's label by its id, and each of its other phones as ``phone (name)``: the
    whole name, ``, registered as ...`` included (a table says what the command line says;
    only pictures shorten it, :func:`short_label`)."""
    if facts.actors.empty:
        return {}
    rows = facts.actors.to_dict("records")  # plain dicts: iterrows built a Series per row
    out = {str(r["actor_id"]): label_of(r) for r in rows}
    for r in rows:
        name = r.get("name")
        holder = name if isinstance(name, str) and name.strip() else str(r["actor_id"])
        for p in r["phones"] if r["phones"] is not None else []:
            if p != r["actor_id"]:
                out.setdefault(str(p), f"{p} ({holder})")
    return out
