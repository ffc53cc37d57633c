"""Plain-language explanations of blackout and hand-off rows, built from their evidence.

Each sentence states only what the stored row and its evidence hold (counts, times, p- and
q-values, the hand-off used), so an investigator can check it against the call records.
The rows stay hypotheses: the wording says "silent" and "took over", never why. A hand-off
that explains a silence or joins numbers is named by its review id and status: one nobody
has reviewed is "likely" and "may", with its score; only a confirmed one is stated as fact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from graphkit.hypotheses import Standing, status_words

__all__ = [
    "blackout_explanation",
    "came_back",
    "handoff_explanation",
    "handoff_owners",
    "handoff_reference",
    "with_handoff_reviews",
]

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
    """A p- or q-value as tables write it (:func:`graphkit.views.format_number`)."""
    return _score(value)


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


def with_handoff_reviews(
    evidence: Mapping[str, Any], reviews: Mapping[tuple[str, str], Mapping[str, Any]]
) -> dict[str, Any]:
    """``evidence`` of a blackout row with each hand-off it uses (``explained_by_handoff``,
    ``handoffs``) given its review record: ``reviews`` maps (old, new) to the stored hand-off's
    ``id``, ``status``, ``decided_by`` and ``score`` (the unrounded score of the hypothesis a
    reviewer sees). Hand-offs without a record keep what they have (status read as
    ``hypothesis``). Returns a new dict; ``evidence`` is not changed."""

    def review(item: Any) -> Any:
        if not isinstance(item, Mapping):
            return item
        found = reviews.get((str(item.get("old")), str(item.get("new"))))
        if found is None:
            return dict(item)
        known = {k: v for k, v in found.items() if v is not None}
        return {**item, **known}

    out = dict(evidence)
    if "explained_by_handoff" in out:
        out["explained_by_handoff"] = review(out["explained_by_handoff"])
    if isinstance(out.get("handoffs"), list):
        out["handoffs"] = [review(h) for h in out["handoffs"]]
    return out


def _reviewer(item: Mapping[str, Any]) -> str:
    by = item.get("decided_by")
    return f" by {by}" if by else ""


def handoff_reference(item: Mapping[str, Any]) -> str:
    """How a hand-off used by a blackout row is cited: its review id and status, "H... (confirmed
    by REVIEWER, score S)", "H... (rejected by REVIEWER, score S)", else "H... (hypothesis,
    score S, not reviewed)"."""
    hid = str(item.get("id") or "id unknown")
    score = _score(item.get("score"))
    status = item.get("status")
    if status in ("confirmed", "rejected"):
        return f"{hid} ({status}{_reviewer(item)}, score {score})"
    return f"{hid} (hypothesis, score {score}, not reviewed)"


def came_back(row: Mapping[str, Any], *, new_user: str | None = None) -> str:
    """Whether the silent phone, actor or group came back, in words: ``yes``, ``no``, or for a
    phone whose silence a hand-off explains, where it went: "moved to NEW (confirmed hand-off
    H...)" or "likely moved to NEW (hand-off H..., score ...)" while nobody has reviewed it.
    A rejected hand-off explains nothing: ``no``, naming it. ``new_user``: the name of the new
    number's user, written beside it."""
    ev = row.get("evidence") or {}
    handoff = ev.get("explained_by_handoff") if isinstance(ev, Mapping) else None
    back = "yes" if row.get("ended") else "no"
    if not isinstance(handoff, Mapping):
        return back
    hid = str(handoff.get("id") or "id unknown")
    new = handoff.get("new")
    who = f"{new_user}; " if new_user else ""
    status = handoff.get("status")
    if status == "confirmed":
        moved = f"moved to {new} ({who}confirmed hand-off {hid})"
    elif status == "rejected":
        moved = f"hand-off {hid} to {new} ({who}rejected{_reviewer(handoff)})"
    else:
        score = _score(handoff.get("score"))
        moved = f"likely moved to {new} ({who}hand-off {hid}, score {score})"
    if status == "rejected" or row.get("ended"):
        return f"{back}; {moved}"
    return moved


_JOINED_SHOWN = 3  # hand-offs a row's sentence names; the row's evidence holds them all


def _joined(handoffs: Sequence[Any]) -> str:
    """The numbers an actor or group row joins by hand-off, each with its id and status; a
    group that joins many names the first few and counts the rest (its evidence lists all)."""
    rows = [h for h in handoffs if isinstance(h, Mapping)]
    text = "; ".join(
        f"{h.get('old')} -> {h.get('new')}, {handoff_reference(h)}" for h in rows[:_JOINED_SHOWN]
    )
    more = len(rows) - _JOINED_SHOWN
    if more > 0:
        unreviewed = sum(1 for h in rows[_JOINED_SHOWN:] if h.get("status") != "confirmed")
        text += (
            f"; and {more} more ({unreviewed} of them not reviewed; each in the row's "
            "evidence, `--json`)"
        )
    return text


def _explained(handoff: Mapping[str, Any]) -> str:
    """The clause on a phone row's silence explained by a hand-off: stated as fact only when a
    reviewer confirmed the hand-off."""
    new, status = handoff.get("new"), handoff.get("status")
    hid = str(handoff.get("id") or "id unknown")
    score = _score(handoff.get("score"))
    first = _time(handoff.get("new_first_event"))
    if status == "confirmed":
        return (
            f"; explained by a hand-off to {new} confirmed{_reviewer(handoff)} ({hid}, score "
            f"{score}; first event {first}): the user went on with the new number"
        )
    if status == "rejected":
        return (
            f"; a hand-off to {new} ({hid}, score {score}; first event {first}) was "
            f"rejected{_reviewer(handoff)}: it does not explain this silence"
        )
    return (
        f"; likely explained by a hand-off to {new} (hypothesis {hid}, score {score}, not "
        f"reviewed; first event {first}): the user may have gone on with the new number"
    )


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
        if ev.get("handoffs"):
            text += f"; members' numbers joined by hand-off {_joined(ev['handoffs'])}"
        return text
    subject = str(row.get("id"))
    if kind == "actor" and ev.get("handoffs"):
        subject += f" (numbers joined by hand-off {_joined(ev['handoffs'])})"
    text = (
        f"{subject} was silent {_window(row)} where its own hour-of-week rhythm "
        f"({_num(ev.get('baseline_events_per_day'), 2)} events a day) expects "
        f"{_num(row.get('expected_events'))} events; {ev.get('events_7d_before', '?')} events "
        f"in the 7 days before, {ev.get('events_7d_after', '?')} after; {_outcome(row)}; {stats}"
    )
    handoff = ev.get("explained_by_handoff")
    if isinstance(handoff, Mapping):
        text += _explained(handoff)
    count = ev.get("also_silent_count")
    if count:
        text += f"; {count} others silent at the same time"
    return text


_ALTERNATIVES_SHOWN = 3  # other candidates a hand-off's sentence names; JSON lists them all


def _alternatives(row: Mapping[str, Any]) -> str:
    """The other candidates of the hand-off's old number, best first, each with its score and
    review id (a reviewer can accept one instead), so that a close choice shows."""
    others = [a for a in row.get("alternatives") or () if isinstance(a, Mapping)]
    if not others:
        return "no other candidate"
    named = "; ".join(
        f"{a.get('new')}, score {_score(a.get('score'))} ({a.get('id')}"
        + (f", {_alternative_note(a)}" if _alternative_note(a) else "")
        + ")"
        for a in others[:_ALTERNATIVES_SHOWN]
    )
    more = len(others) - _ALTERNATIVES_SHOWN
    word = "candidate" if len(others) == 1 else "candidates"
    return f"other {word}: {named}" + (f"; and {more} more (`--json`)" if more > 0 else "")


def _alternative_note(alt: Mapping[str, Any]) -> str:
    """An alternative's standing in words: its ``note`` when the view gave one ("rejected by
    R", "not chosen: NEW was confirmed by R"), else its decided status."""
    note = alt.get("note")
    if note:
        return str(note)
    status = alt.get("status")
    return str(status) if status in ("confirmed", "rejected") else ""


def handoff_owners(owners: tuple[str | None, str | None]) -> str:
    """What the records (entity resolution) say of a hand-off's two numbers, and so what a
    confirmation does to the actor graph: ``owners`` is the person the records give the old
    and the new number (None: nobody)."""
    old, new = owners
    if old and old == new:
        return f"both numbers already belong to {old}: the records agree"
    if old and new:
        return (
            f"the records give the old number to {old} and the new one to {new}: confirming "
            "it joins no persons (a burner is often registered under another name)"
        )
    return ""


def _started(ev: Mapping[str, Any]) -> str:
    """When the new number started, from the old one's end: "started 4.5 h later (7.2 active
    hours of the old number)", or for a successor already in use (a negative gap) "had started
    25.0 h before (both numbers in use at once)"."""
    try:
        gap = float(ev.get("gap_hours"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "started ? h later"
    if gap < 0:
        return f"had started {_num(-gap)} h before (both numbers in use at once)"
    active = _num(ev.get("gap_active_hours"))
    return f"started {_num(gap)} h later ({active} active hours of the old number)"


def _rhythm(value: Any) -> str:
    """The rhythm similarity in words: the measure is floored at 0, so 0 says the two
    numbers' hours of use agree no more than anyone's (or are opposite), not that it is small."""
    if isinstance(value, int | float) and value == 0:
        return "no rhythm similarity (hours of use no more alike than the population's)"
    return f"rhythm similarity {_num(value, 2)}"


def handoff_explanation(
    row: Mapping[str, Any], *, owners: tuple[str | None, str | None] = (None, None)
) -> str:
    """One paragraph for a row of the ``handoffs`` view: the evidence, the score, whether the
    joint matching chose it and over which other candidates (``alternatives``), what the
    records say of the two numbers (``owners``: the person the records give the old and the
    new number, see :func:`handoff_owners`) and the review status in words."""
    ev = row.get("evidence") or {}
    stop = "went silent" if ev.get("stop") == "silent" else "stopped"
    overlap = _num(ev.get("contacts_overlap"), 2)
    text = (
        f"{row.get('old')} {stop} after {_time(ev.get('old_last_event'))}; {row.get('new')} "
        f"{_started(ev)}; contact overlap {overlap}"
    )
    contacts = list(ev.get("shared_contacts") or [])
    if contacts:  # the evidence lists the heaviest few only
        text += f" (heaviest shared: {_names(contacts, complete=False)})"
    text += (
        f", cell overlap {_num(ev.get('cells_overlap'), 2)}, "
        f"{_rhythm(ev.get('rhythm_similarity'))}, "
        f"activity ratio {_num(ev.get('activity_ratio'), 2)}"
    )
    imei = list(ev.get("shared_imei") or [])
    if imei:
        text += f"; same handset (IMEI {_names(imei)})"
    if row.get("standing") == Standing.NEXT:
        choice = "the next candidate (the joint matching's choice was ruled out)"
    elif row.get("assigned"):
        choice = "chosen in the joint matching"
    else:
        choice = "not chosen"
    text += f"; score {_score(row.get('score'))}, rank {row.get('rank')}, {choice}"
    if "alternatives" in row:
        text += f"; {_alternatives(row)}"
    records = handoff_owners(owners)
    if records:
        text += f"; {records}"
    return f"{text}; {status_words(row)}"
