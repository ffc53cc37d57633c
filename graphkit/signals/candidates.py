"""Candidate hand-off pairs: numbers that stop or go silent, numbers that start near then,
and numbers whose contacts move to another number.

An *old* number is a stop: the number ending (its last event followed by a long, improbable
silence to the end of the data) or, given the blackouts found, going silent for a while. Each
stop has a key (the number for an ending, ``number@hours`` for a silence) so that one number can
hand off more than once. A *new* number starts after a long, improbable silence from the start
of the data, or *restarts* after one inside the data (a number used briefly before, then put
aside, then taken up as a successor; key ``number@hours``). Pairs are kept when the new number
starts within the window of the stop, counted in the old number's active hours.

*Contact moves* (:func:`contact_moves`) add the pairs neither rule sees: an old number that
keeps running at low volume, a successor that was in use before. A contact *moves* from X to
Y when X's exchanges with it stop (the rest of the data is an improbably long silence for that
pair) and Y's begin (likewise from the start of the data) within a week of each other;
every pair of numbers with at least two moved contacts making up 20% of X's exchanges or
40% of Y's is a candidate, new or silent or neither.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from graphkit.signals.events import (
    HOURS_PER_WEEK,
    FloatArray,
    cumulative_exposure,
    to_hours,
)

__all__ = [
    "PAIR_COLUMNS",
    "active_gap",
    "candidate_pairs",
    "contact_moves",
    "event_ends",
    "is_fixed_line",
    "stops_and_starts",
    "without_fixed_lines",
]

_CLOCK_FACTOR = 3.0
_MOVE_SPAN_H = 7 * 24.0  # a contact's last exchange with X and first with Y at most this apart

#: columns of a candidate pair: the old number's stop (``old`` key, ``old_phone``, ``stop``
#: kind, ``old_last``, ``old_rate``) and the new number's start (``new`` key, ``new_phone``,
#: ``start`` kind, ``new_first``, ``new_rate``), and for contact moves the moved contacts
PAIR_COLUMNS = (
    "old",
    "old_phone",
    "stop",
    "new",
    "new_phone",
    "start",
    "old_last",
    "new_first",
    "old_rate",
    "new_rate",
    "moved_contacts",
    "moved_share",
)


def event_ends(frame: pd.DataFrame, t: FloatArray) -> pd.DataFrame:
    """Both ends of every event as (phone, counterpart, t, caller_side, row), with each
    number's integer code (``pcode``, ``ccode``: one code per number, -1 for none) for the
    steps that group by number."""
    n = len(frame)
    rows = np.arange(n)
    numbers = pd.concat([frame["caller"], frame["callee"]], ignore_index=True)
    codes, _ = pd.factorize(numbers.astype(str).where(numbers.notna()))
    out = pd.DataFrame(
        {
            "phone": numbers,
            "counterpart": pd.concat([frame["callee"], frame["caller"]], ignore_index=True),
            "t": np.concatenate([t, t]),
            "caller_side": np.r_[np.ones(n, bool), np.zeros(n, bool)],
            "row": np.concatenate([rows, rows]),
            "pcode": codes,
            "ccode": np.r_[codes[n:], codes[:n]],
        }
    )
    out = out[out["phone"].notna() & np.isfinite(out["t"].to_numpy())]
    out["phone"] = out["phone"].astype(str)
    return out.reset_index(drop=True)


def _code_names(ends: pd.DataFrame) -> npt.NDArray[np.object_]:
    """The number of each code of :func:`event_ends` (codes of numbers only ever a
    counterpart get theirs from the counterpart column)."""
    size = int(max(ends["pcode"].max(), ends["ccode"].max(), -1)) + 1
    names = np.empty(size, dtype=object)
    cp = ends[ends["ccode"] >= 0]
    names[cp["ccode"].to_numpy()] = cp["counterpart"].astype(str).to_numpy()
    names[ends["pcode"].to_numpy()] = ends["phone"].to_numpy()
    return names


def stops_and_starts(
    ends: pd.DataFrame,
    start_h: float,
    end_h: float,
    *,
    min_events: int,
    min_silent_hours: float,
    min_expected: float,
    silences: pd.DataFrame | None = None,
    restarts: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(olds, news). olds: key, phone, last, rate, stop ('ended' or 'silent'); news: key,
    phone, first, rate, start ('new', or 'restarted' after a silence inside the data, when
    ``restarts``). ``silences``: rows of ``detect_blackouts`` (kind 'phone', ``ended`` True:
    the number came back) whose starts are stops as well."""
    per = ends.groupby("phone", sort=True)["t"].agg(["min", "max", "count"]).reset_index()
    per.columns = pd.Index(["phone", "first", "last", "events"])
    per["rate"] = per["events"] / np.maximum(per["last"] - per["first"], 24.0)
    enough = per["events"] >= min_events
    tail = end_h - per["last"]
    head = per["first"] - start_h
    olds = per[enough & (tail >= min_silent_hours) & (tail * per["rate"] >= min_expected)]
    olds = olds.assign(key=olds["phone"], stop="ended")[["key", "phone", "last", "rate", "stop"]]
    news = per[enough & (head >= min_silent_hours) & (head * per["rate"] >= min_expected)]
    news = news.assign(key=news["phone"], start="new")[["key", "phone", "first", "rate", "start"]]
    if silences is not None and len(silences):
        resumed = silences[(silences["kind"] == "phone") & silences["ended"].astype(bool)]
        extra = pd.DataFrame(
            {"phone": resumed["id"].astype(str), "last": to_hours(resumed["start"])}
        )
        extra = extra.merge(per[enough][["phone", "rate"]], on="phone")
        # what a number was is read off its use before the stop: a silence after its first
        # few events says too little whose it was (an ending has all its events before it)
        extra = extra[_events_until(ends, extra["phone"], extra["last"]) >= min_events]
        extra["key"] = extra["phone"] + "@" + np.floor(extra["last"]).astype(np.int64).astype(str)
        extra["stop"] = "silent"
        olds = pd.concat([olds, extra[["key", "phone", "last", "rate", "stop"]]], ignore_index=True)
        olds = olds.drop_duplicates("key").sort_values("key", kind="stable")
    if restarts:
        back = _restarts(ends, per[enough], min_silent_hours, min_expected, min_events)
        news = pd.concat([news, back], ignore_index=True).sort_values("key", kind="stable")
    return olds.reset_index(drop=True), news.reset_index(drop=True)


def _events_until(ends: pd.DataFrame, phone: pd.Series, t: pd.Series) -> npt.NDArray[np.int64]:
    """How many events each ``phone`` has at or before its time ``t``."""
    if not len(phone):
        return np.zeros(0, dtype=np.int64)
    codes, numbers = pd.factorize(ends["phone"], sort=True)
    times = ends["t"].to_numpy(dtype=np.float64)
    origin, span = float(times.min()), float(times.max() - times.min()) + 1.0
    keyed = np.sort(codes * span + (times - origin))  # (number, time) order in one float
    which = pd.Index(numbers).get_indexer(phone.astype(str))
    query = which * span + (np.asarray(t, dtype=np.float64) - origin)
    before = np.searchsorted(keyed, query, side="right") - np.searchsorted(keyed, which * span)
    return np.where(which >= 0, before, 0).astype(np.int64)


def _restarts(
    ends: pd.DataFrame,
    per: pd.DataFrame,
    min_silent_hours: float,
    min_expected: float,
    min_events: int,
) -> pd.DataFrame:
    """Numbers taken up again after lying unused: the event after a gap of at least
    ``min_silent_hours``, in which the number's mean rate expects ``min_expected`` events or
    more, that is longer than the number's whole use before it (a number tried out briefly,
    then put aside; a phone back from a blackout was in use for longer than it was silent)
    and followed by more events than preceded it, and by ``min_events`` at least (what a
    successor is, is read off its use after the start)."""
    codes = ends["pcode"].to_numpy()
    t_all = ends["t"].to_numpy(dtype=np.float64)
    order = np.lexsort((t_all, codes))
    code, t = codes[order], t_all[order]
    if len(t) < 2:
        return pd.DataFrame(columns=["key", "phone", "first", "rate", "start"])
    names = _code_names(ends)
    stats = per.set_index("phone").reindex(names)
    same = code[1:] == code[:-1]
    gap = t[1:] - t[:-1]
    after = code[1:]
    rate = stats["rate"].to_numpy()[after]
    first = stats["first"].to_numpy()[after]
    events = stats["events"].to_numpy()[after]
    # position of each event within its number: events before the gap
    position = np.arange(1, len(t)) - np.searchsorted(code, after, side="left")
    hit = (
        same
        & (gap >= min_silent_hours)
        & (gap * rate >= min_expected)
        & (t[:-1] - first < gap)
        & (position < events - position)
        & (events - position >= min_events)
    )
    idx = np.flatnonzero(hit) + 1
    phone = names[code[idx]]
    back = pd.DataFrame({"phone": phone, "first": t[idx], "rate": rate[idx - 1]})
    back["key"] = back["phone"] + "@" + np.floor(back["first"]).astype(np.int64).astype(str)
    back["start"] = "restarted"
    return back[["key", "phone", "first", "rate", "start"]]


@functools.lru_cache(maxsize=65536)
def is_fixed_line(number: str) -> bool:
    """True for an E.164 number of a fixed line (phonenumbers' metadata)."""
    import phonenumbers

    if not number.startswith("+"):
        return False
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE)


def without_fixed_lines(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs whose two numbers are not fixed lines. A fixed line serves a household or
    an office, not one person who takes it up or gives it up; its contacts are the
    household's, so it looks like the successor of any member's number."""
    numbers = pd.unique(pd.concat([pairs["old_phone"], pairs["new_phone"]]).astype(str))
    fixed = {n for n in numbers if is_fixed_line(n)}
    if not fixed:
        return pairs
    keep = ~(pairs["old_phone"].isin(fixed) | pairs["new_phone"].isin(fixed))
    return pairs[keep].reset_index(drop=True)


def candidate_pairs(olds: pd.DataFrame, news: pd.DataFrame, window_h: float) -> pd.DataFrame:
    """Pairs (old stop, new start) with the new number's start near the stop."""
    news_sorted = news.sort_values(["first", "key"], kind="stable")
    first = news_sorted["first"].to_numpy()
    clock_h = _CLOCK_FACTOR * window_h  # loose clock bound; active_gap applies the window
    lo = np.searchsorted(first, olds["last"].to_numpy() - clock_h, side="left")
    hi = np.searchsorted(first, olds["last"].to_numpy() + clock_h, side="right")
    counts = hi - lo
    old_idx = np.repeat(np.arange(len(olds)), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    new_pos = (starts + np.arange(int(counts.sum()))).astype(np.int64)
    o = olds.iloc[old_idx].reset_index(drop=True)
    nw = news_sorted.iloc[new_pos].reset_index(drop=True)
    pairs = pd.DataFrame(
        {
            "old": o["key"],
            "old_phone": o["phone"],
            "stop": o["stop"],
            "new": nw["key"],
            "new_phone": nw["phone"],
            "start": nw["start"],
            "old_last": o["last"],
            "new_first": nw["first"],
            "old_rate": o["rate"],
            "new_rate": nw["rate"],
            "moved_contacts": 0,
            "moved_share": 0.0,
        }
    )
    return pairs[pairs["old_phone"] != pairs["new_phone"]].reset_index(drop=True)


def contact_moves(
    ends: pd.DataFrame,
    olds: pd.DataFrame,
    news: pd.DataFrame,
    start_h: float,
    end_h: float,
    *,
    min_silent_hours: float,
    min_expected: float,
    align_h: float,
    min_moved: int = 2,
    min_moved_share: float = 0.2,
    min_taken_share: float = 0.4,
) -> pd.DataFrame:
    """Pairs (X, Y) where X's contacts move to Y over a short period (:data:`PAIR_COLUMNS`).

    A (number, contact) pair *stops* when it has two exchanges or more and the rest of the data
    after its last is at least ``min_silent_hours`` long and expected ``min_expected``
    exchanges at the pair's own rate (since the start of the data); it *starts* likewise
    from the start of the data. A contact moves from X to Y when X's pair with it stops and
    Y's starts, at most a week apart. Kept: at least ``min_moved`` contacts moved, holding
    ``min_moved_share`` of X's exchanges or ``min_taken_share`` of Y's (an old number kept
    alive for its busiest contacts moves only a small share of its own traffic). X's stop
    is the last exchange with a moved contact (or a stop of X within ``align_h`` of it), Y's
    start the first (or a start of Y within ``align_h``).
    """
    stats, total = _pair_stats(ends)
    tail, head = end_h - stats["last"], stats["first"] - start_h
    k = stats["k"].to_numpy(dtype=np.float64)
    stopped = stats[
        (stats["k"] >= 2)
        & (tail >= min_silent_hours)
        & (tail * k / np.maximum(stats["last"] - start_h, 24.0) >= min_expected)
    ]
    started = stats[
        (stats["k"] >= 2)
        & (head >= min_silent_hours)
        & (head * k / np.maximum(end_h - stats["first"], 24.0) >= min_expected)
    ]
    both = stopped.merge(started, on="contact", suffixes=("_o", "_n"))
    both = both[
        (both["phone_o"] != both["phone_n"])
        & ((both["first_n"] - both["last_o"]).abs() <= _MOVE_SPAN_H)
    ]
    if both.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS})
    agg = both.groupby(["phone_o", "phone_n"], sort=True).agg(
        moved_contacts=("contact", "size"),
        moved_k=("k_o", "sum"),
        taken_k=("k_n", "sum"),
        last=("last_o", "max"),
        first=("first_n", "min"),
    )
    agg = agg.reset_index()
    agg["moved_share"] = agg["moved_k"] / total.reindex(agg["phone_o"]).to_numpy()
    taken = agg["taken_k"] / total.reindex(agg["phone_n"]).to_numpy()
    agg = agg[
        (agg["moved_contacts"] >= min_moved)
        & ((agg["moved_share"] >= min_moved_share) | (taken >= min_taken_share))
    ]
    rate = ends.groupby("phone")["t"].agg(["min", "max", "count"])
    rate = rate["count"] / np.maximum(rate["max"] - rate["min"], 24.0)
    olds_t, news_t = olds.rename(columns={"last": "t"}), news.rename(columns={"first": "t"})
    old = _align(agg["phone_o"], agg["last"], olds_t, "moved", align_h)
    new = _align(agg["phone_n"], agg["first"], news_t, "moved", align_h)
    pairs = pd.DataFrame(
        {
            "old": old["key"],
            "old_phone": agg["phone_o"].to_numpy(),
            "stop": old["kind"],
            "new": new["key"],
            "new_phone": agg["phone_n"].to_numpy(),
            "start": new["kind"],
            "old_last": old["t"],
            "new_first": new["t"],
            "old_rate": rate.reindex(agg["phone_o"]).to_numpy(),
            "new_rate": rate.reindex(agg["phone_n"]).to_numpy(),
            "moved_contacts": agg["moved_contacts"].to_numpy(),
            "moved_share": agg["moved_share"].to_numpy(),
        }
    )
    return pairs.reset_index(drop=True)


def _pair_stats(ends: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """(phone, contact, first, last, k) of every pair of numbers that exchanged, and each
    number's exchanges; grouped on the integer codes of :func:`event_ends`."""
    names = _code_names(ends)
    pair = ends[(ends["ccode"] >= 0) & (ends["ccode"] != ends["pcode"])]
    a = pair["pcode"].to_numpy(dtype=np.int64)
    b = pair["ccode"].to_numpy(dtype=np.int64)
    t = pair["t"].to_numpy(dtype=np.float64)
    key = a * len(names) + b
    order = np.argsort(key, kind="stable")
    key, t = key[order], t[order]
    bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else key
    first = np.minimum.reduceat(t, bounds) if len(t) else t
    last = np.maximum.reduceat(t, bounds) if len(t) else t
    k = np.diff(np.r_[bounds, len(key)])
    uniq = key[bounds]
    stats = pd.DataFrame(
        {
            "phone": names[uniq // len(names)],
            "contact": names[uniq % len(names)],
            "first": first,
            "last": last,
            "k": k,
        }
    )
    total = pd.Series(np.bincount(a, minlength=len(names)), index=names)
    return stats, total


def _align(
    phone: pd.Series, t: pd.Series, known: pd.DataFrame, kind: str, within_h: float
) -> dict[str, Any]:
    """Key, time and kind of each move's end: the nearest stop (start) of the same number
    within ``within_h`` when there is one, else ``number@hours`` of the move itself."""
    times = np.asarray(t, dtype=np.float64)
    out_t = times.copy()
    keys = (phone.astype(str) + "@" + np.floor(times).astype(np.int64).astype(str)).to_numpy()
    kinds = np.full(len(times), kind, dtype=object)
    if len(known):
        cand = pd.DataFrame({"phone": phone.to_numpy(), "i": np.arange(len(times))})
        cand = cand.merge(known, on="phone")
        cand["d"] = (cand["t"] - times[cand["i"].to_numpy()]).abs()
        cand = cand[cand["d"] <= within_h].sort_values(["i", "d"], kind="stable")
        cand = cand.drop_duplicates("i")
        idx = cand["i"].to_numpy()
        keys[idx] = cand["key"].to_numpy()
        out_t[idx] = cand["t"].to_numpy()
        kinds[idx] = cand["stop" if "stop" in cand.columns else "start"].to_numpy()
    return {"key": keys, "t": out_t, "kind": kinds}


def active_gap(pairs: pd.DataFrame, ends: pd.DataFrame, window_h: float) -> pd.DataFrame:
    """Keep pairs whose gap, in the old number's *active* hours, is within the window.

    Each hour of the gap is weighted by the old number's hour-of-week activity relative to its
    mean (shrunk towards the population profile), so a weekend or a night is short for a phone
    used in office hours: its successor's first call on Monday morning is still "soon".
    """
    if pairs.empty:
        return pairs.assign(gap_active_h=pd.Series(dtype=np.float64))
    pop_counts = np.bincount(_hour_of_week(ends["t"]), minlength=HOURS_PER_WEEK)
    population = pop_counts / max(float(pop_counts.mean()), 1e-12)
    olds = ends[ends["phone"].isin(set(pairs["old_phone"]))]
    codes, phones = pd.factorize(olds["phone"], sort=True)
    counts = np.zeros((len(phones), HOURS_PER_WEEK))
    np.add.at(counts, (codes, _hour_of_week(olds["t"])), 1.0)
    n = counts.sum(axis=1, keepdims=True)
    prior = 0.2 * n * population[None, :] / HOURS_PER_WEEK
    profile = (counts + prior) / np.maximum((n + prior.sum(axis=1, keepdims=True)), 1e-12)
    profile = profile * HOURS_PER_WEEK  # mean 1 over the week
    row = pd.Index(phones).get_indexer(pairs["old_phone"])
    a = np.minimum(pairs["old_last"], pairs["new_first"]).to_numpy()
    b = np.maximum(pairs["old_last"], pairs["new_first"]).to_numpy()
    exposure = cumulative_exposure(b) - cumulative_exposure(a)
    active = np.einsum("ij,ij->i", profile[row], exposure)
    out = pairs.assign(gap_active_h=active)
    return out[out["gap_active_h"] <= window_h].reset_index(drop=True)


def _hour_of_week(t: Any) -> Any:
    return np.floor(np.asarray(t, dtype=np.float64)).astype(np.int64) % HOURS_PER_WEEK
