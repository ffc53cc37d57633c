"""Time wheel: when a phone, an actor or a group is active, hour of day by day of week.

A record counts for a subject when one of the subject's phones is its caller or its callee
(``src_cdr``, duplicates flagged at ingest left out); a record between two phones of the same
subject counts once. Times are read in ``timezone`` (an IANA name; default: the time zone the
case's call-record mappings used, else UTC), so a night owl shows up at night in local time,
not an hour off in summer.

* :func:`activity_matrix`: the 7 x 24 counts (Monday first, hour 0 first) of one subject,
  named as a user types it: an actor (name, phone, id), a phone, or a group (community id).
* :func:`actor_activity` / :func:`community_activity`: one row per actor (the ``activity``
  view of ``graphkit show``) or per community with its matrix, in one DuckDB query each.

Both are DuckDB aggregations; Python only arranges the counts into arrays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from graphkit.errors import CaseError, InputError
from graphkit.people import Directory, directory

if TYPE_CHECKING:
    import duckdb

    from graphkit.store import CaseStore

__all__ = [
    "DAYS",
    "Activity",
    "activity_matrix",
    "actor_activity",
    "case_timezone",
    "community_activity",
    "wheel_summary",
]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NIGHT_HOURS = range(0, 6)

Kind = Literal["actor", "phone", "group"]

# records involving a set of phones, by local day of week (0 = Monday) and hour
_COUNTS = """
    SELECT isodow(timezone($tz, start)) - 1 AS dow, hour(timezone($tz, start)) AS hour,
           count(*) AS n
    FROM src_cdr
    WHERE NOT coalesce(is_duplicate, false) AND start IS NOT NULL
      AND (list_contains($phones::VARCHAR[], caller) OR list_contains($phones::VARCHAR[], callee))
    GROUP BY ALL
"""

# every actor's (or community's) records: a record once per owner, even when both ends are
# its phones; {owner} is one of this module's two constants below
# each record once per owner: by its caller's owner, and by its callee's owner unless the
# caller belongs to the same owner (a call inside one actor or group); no DISTINCT over the
# records, which cost most of the time at 10M records
_OWNER_COUNTS = """
    WITH owner AS ({owner}),
    rec AS (
        SELECT caller, callee, start FROM src_cdr
        WHERE NOT coalesce(is_duplicate, false) AND start IS NOT NULL
    ),
    hit AS (
        SELECT o.actor_id, r.start FROM rec r JOIN owner o ON o.phone = r.caller
        UNION ALL
        SELECT o.actor_id, r.start FROM rec r JOIN owner o ON o.phone = r.callee
        WHERE NOT EXISTS (
            SELECT 1 FROM owner same WHERE same.phone = r.caller AND same.actor_id = o.actor_id
        )
    )
    SELECT actor_id, isodow(timezone($tz, start)) - 1 AS dow,
           hour(timezone($tz, start)) AS hour, count(*) AS n
    FROM hit GROUP BY ALL
"""
_ACTOR_PHONES = "SELECT DISTINCT unnest(phones) AS phone, actor_id FROM actor"
_COMMUNITY_PHONES = """
    SELECT DISTINCT p.phone, m.dst AS actor_id
    FROM rel_member_of m JOIN (SELECT actor_id, unnest(phones) AS phone FROM actor) p
      ON p.actor_id = m.src
"""


@dataclass(frozen=True)
class Activity:
    """One subject's time wheel: ``matrix[d, h]`` records on day ``d`` (0 = Monday) in hour
    ``h`` (local time in ``timezone``); ``phones`` whose records were counted."""

    kind: str
    subject: str
    name: str
    phones: tuple[str, ...]
    timezone: str
    matrix: np.ndarray

    @property
    def events(self) -> int:
        return int(self.matrix.sum())

    def summary(self) -> dict[str, Any]:
        """Plain figures: total, busiest cell, share at night (00-06h) and at weekends."""
        return wheel_summary(self.matrix)


def wheel_summary(matrix: np.ndarray) -> dict[str, Any]:
    """``events``, ``peak`` (e.g. ``Fri 18h``), ``night_share`` (00-06h) and
    ``weekend_share`` of a 7 x 24 matrix; shares are None when it is empty."""
    total = int(matrix.sum())
    if total == 0:
        return {"events": 0, "peak": None, "night_share": None, "weekend_share": None}
    d, h = np.unravel_index(int(np.argmax(matrix)), matrix.shape)
    return {
        "events": total,
        "peak": f"{DAYS[int(d)]} {int(h):02d}h",
        "night_share": float(matrix[:, _NIGHT_HOURS].sum() / total),
        "weekend_share": float(matrix[5:, :].sum() / total),
    }


def case_timezone(store: CaseStore) -> str:
    """The time zone most of the case's call-record mappings read times in (UTC if none)."""
    counts = Counter(
        str((s.get("mapping") or {}).get("timezone") or "")
        for s in store.manifest.get("sources", {}).values()
        if s.get("kind") == "cdr"
    )
    counts.pop("", None)
    return counts.most_common(1)[0][0] if counts else "UTC"


def _zone(timezone: str | None, store: CaseStore) -> str:
    zone = timezone or case_timezone(store)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"timezone: unknown time zone {zone!r} (e.g. Europe/London)") from None
    return zone


def _check_cdr(store: CaseStore, con: duckdb.DuckDBPyConnection) -> None:
    if not store.table_exists(con, "src_cdr"):
        raise CaseError("the case has no call records; ingest a cdr source first")


def _matrix(rows: list[tuple[Any, ...]]) -> np.ndarray:
    m = np.zeros((7, 24), dtype=np.int64)
    for dow, hour, n in rows:
        m[int(dow), int(hour)] += int(n)
    return m


def _subject(
    store: CaseStore, query: str, kind: Kind, people: Directory | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """(id, display name, phones) of what ``query`` names, found in ``people`` (default: the
    case's :func:`directory`)."""
    people = people if people is not None else directory(store)
    if kind == "actor":
        actor = people.find_one(query)
        if not actor.phones:
            raise InputError(f"actor {actor.label()} has no phone; nothing to count")
        return actor.actor_id, actor.name, actor.phones
    if kind == "phone":
        forms = _phone_forms(query, people.regions)
        with store.connect(read_only=True) as con:
            found = con.execute(
                "SELECT p FROM (SELECT unnest($forms::VARCHAR[]) AS p) "
                "WHERE EXISTS (SELECT 1 FROM src_cdr WHERE caller = p OR callee = p) "
                "ORDER BY p LIMIT 1",
                {"forms": forms},
            ).fetchall()
        if not found:
            raise InputError(f"unknown phone {query!r}: no call record has it as caller or callee")
        phone = str(found[0][0])
        owner = people.get(phone)
        return phone, owner.name if owner else phone, (phone,)
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_member_of"):
            raise CaseError("the case has no communities; run `graphkit analyze` first")
        members = [
            r[0]
            for r in con.execute(
                "SELECT src FROM rel_member_of WHERE dst = $g ORDER BY src", {"g": query.strip()}
            ).fetchall()
        ]
    if not members:
        raise InputError(
            f"unknown group {query!r}: no community has that id "
            "(`graphkit show CASE communities` lists them)"
        )
    phones = tuple(
        dict.fromkeys(
            p for m in members for p in (people.by_id[m].phones if m in people.by_id else ())
        )
    )
    return query.strip(), f"group {query.strip()} ({len(members)} members)", phones


def _phone_forms(text: str, regions: tuple[str, ...]) -> list[str]:
    """``text`` as typed and as E.164 under each of the case's phone regions."""
    import phonenumbers

    raw = text.strip()
    forms = [raw]
    candidate = "+" + raw[2:] if raw.startswith("00") else raw
    for region in regions:
        try:
            parsed = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        forms.append(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    return list(dict.fromkeys(forms))


def activity_matrix(
    store: CaseStore,
    query: str,
    *,
    kind: Kind = "actor",
    timezone: str | None = None,
    people: Directory | None = None,
) -> Activity:
    """The 7 x 24 time wheel of one subject: ``kind`` ``actor`` (``query`` a name, a phone in
    any format or an id, as ``graphkit show CASE actor`` takes), ``phone`` (the number as the
    case keys it, or a phone of a one-phone actor) or ``group`` (a community id). Counts the
    records with one of its phones as caller or callee, in ``timezone`` (default:
    :func:`case_timezone`). An unknown subject is a one-line :class:`InputError`. ``people``:
    the case's :func:`directory` when the caller has read it already."""
    if kind not in ("actor", "phone", "group"):
        raise InputError(f"kind: must be actor, phone or group, not {kind!r}")
    zone = _zone(timezone, store)
    with store.connect(read_only=True) as con:
        _check_cdr(store, con)
    subject, name, phones = _subject(store, query, kind, people)
    with store.connect(read_only=True) as con:
        rows = con.execute(_COUNTS, {"tz": zone, "phones": list(phones)}).fetchall()
    return Activity(kind, subject, name, phones, zone, _matrix(rows))


def _wheels(store: CaseStore, owner: str, key: str, zone: str) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        frame = con.execute(_OWNER_COUNTS.format(owner=owner), {"tz": zone}).df()
    if frame.empty:
        return []
    # one (owners, 7, 24) array filled at once: a Python loop over the (owner, day, hour)
    # rows took most of the time at 10M records
    codes, owners = pd.factorize(frame["actor_id"].astype(str))
    cube = np.zeros((len(owners), 7, 24), dtype=np.int64)
    np.add.at(
        cube,
        (codes, frame["dow"].to_numpy(np.int64), frame["hour"].to_numpy(np.int64)),
        frame["n"].to_numpy(np.int64),
    )
    out = []
    for owner_id, m in zip(owners, cube, strict=True):
        out.append(
            {
                key: owner_id,
                **wheel_summary(m),
                "timezone": zone,
                "by_day": m.sum(axis=1).tolist(),
                "by_hour": m.sum(axis=0).tolist(),
                "matrix": m.tolist(),
            }
        )
    out.sort(key=lambda r: (-r["events"], r[key]))
    return out


def actor_activity(store: CaseStore, *, timezone: str | None = None) -> list[dict[str, Any]]:
    """One row per actor with records: ``actor_id``, ``events``, ``peak``, ``night_share``,
    ``weekend_share``, ``timezone``, ``by_day`` (7), ``by_hour`` (24) and ``matrix`` (7 lists
    of 24, Monday first), most records first; ``timezone`` as in :func:`activity_matrix`.
    One DuckDB query; empty before ``build``."""
    zone = _zone(timezone, store)
    with store.connect(read_only=True) as con:
        _check_cdr(store, con)
        if not store.table_exists(con, "actor"):
            return []
    return _wheels(store, _ACTOR_PHONES, "actor_id", zone)


def community_activity(store: CaseStore, *, timezone: str | None = None) -> list[dict[str, Any]]:
    """One row per community (``rel_member_of``) with the same fields as
    :func:`actor_activity`, keyed ``community_id``: the records of its members' phones, a
    call between two members once. Empty before ``analyze``."""
    zone = _zone(timezone, store)
    with store.connect(read_only=True) as con:
        _check_cdr(store, con)
        if not (store.table_exists(con, "actor") and store.table_exists(con, "rel_member_of")):
            return []
    return _wheels(store, _COMMUNITY_PHONES, "community_id", zone)
