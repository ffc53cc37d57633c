"""Plain-language explanations of blackout and hand-off rows, built from their evidence.

Each sentence states only what the stored row and its evidence hold (counts, times, p- and
q-values, the hand-off used), so an investigator can check it against the call records.
The rows stay hypotheses: the wording says "silent" and "took over", never why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

__all__ = ["blackout_explanation", "handoff_explanation"]

_NAMED = 3  # ids named in a sentence before "and N more"


def _time(value: Any) -> str:
    """``YYYY-MM-DD HH:MM UTC`` from a datetime or an ISO string; the value as text otherwise."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return str(value.strftime("%Y-%m-%d %H:%M UTC"))
    return str(value)


def _num(value: Any, digits: int = 1) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return "?"


def _score(value: Any) -> str:
    """A score as it is: three significant digits, never "1" below 1."""
    from graphkit.views import format_number

    try:
        return format_number(float(value))
    except (TypeError, ValueError):
        return "?"


def _p(value: Any) -> str:
    try:
        return f"{float(value):.2g}"
    except (TypeError, ValueError):
        return "?"


def _names(ids: Sequence[Any], *, complete: bool = True) -> str:
    """The first few ids; "and N more" only when ``ids`` is the complete list."""
    shown = [str(i) for i in ids[:_NAMED]]
    more = len(ids) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 and complete else "")


def _window(row: Mapping[str, Any]) -> str:
    return (
        f"for {_num(row.get('duration_h'), 0)} h, from {_time(row.get('start'))} "
        f"to {_time(row.get('end'))}"
    )


def _outcome(row: Mapping[str, Any]) -> str:
    return "activity resumed" if row.get("ended") else "never came back before the data end"


def blackout_explanation(row: Mapping[str, Any]) -> str:
    """One paragraph for a row of the ``blackouts`` view (kind phone, actor or group)."""
    ev = row.get("evidence") or {}
    kind = row.get("kind")
    stats = f"p={_p(row.get('p_value'))}, q={_p(row.get('q_value'))}"
    if kind == "group":
        members = list(row.get("members") or [])
        gone = list(ev.get("never_came_back") or [])
        text = (
            f"{len(members)} members of community {ev.get('community', row.get('id'))} went "
            f"silent {_window(row)}, their silences starting within "
            f"{_num(ev.get('start_spread_h'))} h of one another "
            f"({ev.get('community_members_tested', '?')} members tested); "
            f"silent together by chance: p={_p(ev.get('p_value_silence'))}, starting "
            f"together by chance: p={_p(ev.get('p_value_alignment'))}; row (the larger) {stats}"
        )
        if gone:
            text += f"; never came back: {_names(gone)}"
        also = list(ev.get("also_silent") or [])
        if also:
            text += f"; also silent then: {_names(also)}"  # the full list (a group's few)
        return text
    subject = str(row.get("id"))
    if kind == "actor":
        joined = [f"{h.get('old')} -> {h.get('new')}" for h in ev.get("handoffs") or []]
        if joined:
            subject += f" (numbers joined by hand-off {', '.join(joined)})"
    text = (
        f"{subject} was silent {_window(row)} where its own hour-of-week rhythm "
        f"({_num(ev.get('baseline_events_per_day'), 2)} events a day) expects "
        f"{_num(row.get('expected_events'))} events; {ev.get('events_7d_before', '?')} events "
        f"in the 7 days before, {ev.get('events_7d_after', '?')} after; {_outcome(row)}; {stats}"
    )
    handoff = ev.get("explained_by_handoff")
    if isinstance(handoff, Mapping):
        text += (
            f"; explained by hand-off to {handoff.get('new')} (score "
            f"{_score(handoff.get('score'))}, first event {_time(handoff.get('new_first_event'))})"
            ": the user went on on the new number"
        )
    count = ev.get("also_silent_count")
    if count:
        text += f"; {count} others silent at the same time"
    return text


def handoff_explanation(row: Mapping[str, Any]) -> str:
    """One paragraph for a row of the ``handoffs`` view."""
    ev = row.get("evidence") or {}
    stop = "went silent" if ev.get("stop") == "silent" else "stopped"
    overlap = _num(ev.get("contacts_overlap"), 2)
    text = (
        f"{row.get('old')} {stop} after {_time(ev.get('old_last_event'))}; {row.get('new')} "
        f"started {_num(ev.get('gap_hours'))} h later ({_num(ev.get('gap_active_hours'))} "
        f"active hours of the old number); contact overlap {overlap}"
    )
    contacts = list(ev.get("shared_contacts") or [])
    if contacts:  # the evidence lists the heaviest few only
        text += f" (heaviest shared: {_names(contacts, complete=False)})"
    text += (
        f", cell overlap {_num(ev.get('cells_overlap'), 2)}, rhythm similarity "
        f"{_num(ev.get('rhythm_similarity'), 2)}, "
        f"activity ratio {_num(ev.get('activity_ratio'), 2)}"
    )
    imei = list(ev.get("shared_imei") or [])
    if imei:
        text += f"; same handset (IMEI {_names(imei)})"
    choice = "chosen in the joint matching" if row.get("assigned") else "not chosen"
    return (
        f"{text}; score {_score(row.get('score'))}, rank {row.get('rank')}, {choice}; "
        f"{row.get('status')}"
    )
