"""Views of the call-record tools (`graphkit show CASE VIEW`): ``activity`` (each actor's
time wheel) and ``devices`` (the stored swap and impossible-travel hypotheses)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from graphkit.cdr.activity import DAYS, actor_activity
from graphkit.cdr.devices import REL_TYPES, REVIEW_PREFIX
from graphkit.hypotheses import id_sql
from graphkit.model import relationship
from graphkit.store import CaseStore
from graphkit.views import format_number, view

__all__ = ["activity_view", "devices_view"]

_CHECK_WORDS = {
    "sim_moved": "SIM moved to another handset",
    "sim_changed": "handset took another SIM",
    "clones": "cloned SIM or shared number",
}


_BARS = "▁▂▃▄▅▆▇█"


def _spark(counts: list[int]) -> str:
    """Counts as a line of bars, the highest a full block (a time wheel read flat)."""
    top = max(counts) or 1
    return "".join(_BARS[min(len(_BARS) - 1, c * len(_BARS) // (top + 1))] for c in counts)


def _wheel_row(row: dict[str, Any]) -> dict[str, Any]:
    night = format_number(100 * row["night_share"]) if row["events"] else "-"
    weekend = format_number(100 * row["weekend_share"]) if row["events"] else "-"
    return {
        "actor_id": row["actor_id"],
        "events": row["events"],
        "peak": row["peak"],
        "night_share": row["night_share"],
        "weekend_share": row["weekend_share"],
        "timezone": row["timezone"],
        "by_day": dict(zip(DAYS, row["by_day"], strict=True)),
        "matrix": dict(zip(DAYS, row["matrix"], strict=True)),
        "explanation": (
            f"{row['events']} records, busiest {row['peak']} ({row['timezone']}); {night}% at "
            f"night (00-06h), {weekend}% at weekends; by hour 00-23: {_spark(row['by_hour'])}"
        ),
    }


@view(
    "activity",
    help="each actor's time wheel: records by day of week and hour (local time), busiest first",
    actors=("actor_id",),
    default_limit=20,
)
def activity_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{actor_id, events, peak, night_share, weekend_share, timezone, by_day,
    matrix, explanation}``, most records first: ``by_day`` {Mon: n, ...} and ``matrix``
    {Mon: [24 hourly counts], ...} from :func:`graphkit.cdr.activity.actor_activity`."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "src_cdr"):
            return []
    rows = actor_activity(store)
    return [_wheel_row(r) for r in (rows[:limit] if limit is not None else rows)]


def _when(value: Any) -> str:
    """An ISO time of the evidence as ``2024-01-14 09:23 UTC``."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(value)


def _explain(check: str, phone: str, ev: dict[str, Any]) -> str:
    if check == "sim_moved":
        last, first = _when(ev.get("last_on_old")), _when(ev.get("first_on_new"))
        return (
            f"{phone} left handset {ev.get('old_imei')} (last record {last}, "
            f"{ev.get('records_on_old')} records) for {ev.get('new_imei')} (first {first}, "
            f"{ev.get('records_on_new')} records), never going back"
        )
    if check == "sim_changed":
        last, first = _when(ev.get("last_old")), _when(ev.get("first_new"))
        return (
            f"handset {ev.get('imei')} carried {ev.get('old_phone')} until {last} "
            f"({ev.get('records_old')} records), then {ev.get('new_phone')} from {first} "
            f"({ev.get('records_new')} records)"
        )
    parts = []
    if ev.get("impossible_hops"):
        parts.append(_hops_text(ev))
    if ev.get("handset_returns"):
        parts.append(f"{ev['handset_returns']} returns to a handset it had left")
    imeis = ", ".join(ev.get("imeis") or []) or "not recorded"
    return f"{phone}: {' and '.join(parts)} on {ev.get('days')} days; handsets {imeis}"


def _hops_text(ev: dict[str, Any]) -> str:
    """The hops too fast for one phone, with the fastest and what it was measured against
    (the speed limit after the allowance for cell coverage), so that a hop just over the
    limit reads as such."""
    n = ev["impossible_hops"]
    far = ev.get("max_distance_km")
    said = f"{n} hop{'s' * (n != 1)} too fast for one phone (cells up to {far} km apart"
    timed = [h for h in ev.get("fastest_hops") or [] if h.get("needed_kmh") is not None]
    if not timed or ev.get("speed_limit_kmh") is None:  # stored before the speeds were kept
        return said + ")"
    top = max(timed, key=lambda h: h["needed_kmh"])
    clock = ev.get("clock_allowance_min")
    plus = f" plus {clock:g} min for the records' clock" if clock else ""
    return (
        f"{said}; the fastest {top['distance_km']} km in {top['minutes']} min: "
        f"{top['needed_kmh']:.1f} km/h counting {ev.get('coverage_allowance_km'):g} km less "
        f"for cell coverage{plus}, against a limit of {ev['speed_limit_kmh']:g} km/h)"
    )


@view(
    "devices",
    help="SIM and handset swaps, and numbers used in two places or handsets at once, scored",
    actors=("phone", "old_phone"),
)
def devices_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, check, phone, imei, old_phone, old_imei, time, score, reported, status,
    decided_by, evidence, explanation}``, reported rows first, best first within each check;
    ``id`` is the review id (``graphkit review CASE --accept ID``)."""
    rows: list[dict[str, Any]] = []
    with store.connect(read_only=True) as con:
        for check, rel_type in REL_TYPES.items():
            table = relationship(rel_type).table  # declared model, never input
            if not store.table_exists(con, table):
                continue
            found = con.execute(
                f"SELECT {id_sql(REVIEW_PREFIX[check])} AS id, src, dst, score, threshold, "
                f"status, evidence, decided_by FROM {table} ORDER BY score DESC, src, dst"
            ).fetchall()
            for hid, src, dst, score, threshold, status, evidence, decided_by in found:
                ev = json.loads(evidence) if isinstance(evidence, str) else dict(evidence)
                phone = str(dst) if check == "sim_changed" else str(src)
                rows.append(
                    {
                        "id": hid,
                        "check": _CHECK_WORDS[check],
                        "phone": phone,
                        "imei": ev.get("new_imei") or ev.get("imei"),
                        "old_phone": ev.get("old_phone"),
                        "old_imei": ev.get("old_imei"),
                        "time": ev.get("first_on_new") or ev.get("first_new"),
                        "score": float(score),
                        "reported": threshold is None or float(score) >= float(threshold),
                        "status": status,
                        "decided_by": decided_by,
                        "evidence": ev,
                        "explanation": _explain(check, phone, ev),
                    }
                )
    rows.sort(key=lambda r: (not r["reported"], -r["score"]))
    return rows[:limit] if limit is not None else rows
