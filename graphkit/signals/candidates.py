"""Candidate hand-off pairs: numbers that stop or go silent, numbers that start near then.

An *old* number is a stop: the number ending (its last event followed by a long, improbable
silence to the end of the data) or, given the blackouts found, going silent for a while. Each
stop has a key (the number for an ending, ``number@hours`` for a silence) so that one number can
hand off more than once. A *new* number starts after a long, improbable silence from the start
of the data. Pairs are kept when the new number starts within the window of the stop, counted
in the old number's active hours.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from graphkit.signals.events import (
    HOURS_PER_WEEK,
    FloatArray,
    cumulative_exposure,
    to_hours,
)

__all__ = ["active_gap", "candidate_pairs", "event_ends", "stops_and_starts"]

_CLOCK_FACTOR = 3.0


def event_ends(frame: pd.DataFrame, t: FloatArray) -> pd.DataFrame:
    """Both ends of every event as (phone, counterpart, t, caller_side, row)."""
    n = len(frame)
    rows = np.arange(n)
    out = pd.DataFrame(
        {
            "phone": pd.concat([frame["caller"], frame["callee"]], ignore_index=True),
            "counterpart": pd.concat([frame["callee"], frame["caller"]], ignore_index=True),
            "t": np.concatenate([t, t]),
            "caller_side": np.r_[np.ones(n, bool), np.zeros(n, bool)],
            "row": np.concatenate([rows, rows]),
        }
    )
    out = out[out["phone"].notna() & np.isfinite(out["t"].to_numpy())]
    out["phone"] = out["phone"].astype(str)
    return out.reset_index(drop=True)


def stops_and_starts(
    ends: pd.DataFrame,
    start_h: float,
    end_h: float,
    *,
    min_events: int,
    min_silent_hours: float,
    min_expected: float,
    silences: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(olds, news). olds: key, phone, last, rate, stop ('ended' or 'silent'); news: phone,
    first, rate. ``silences``: rows of ``detect_blackouts`` (kind 'phone', ``ended`` True:
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
    if silences is not None and len(silences):
        resumed = silences[(silences["kind"] == "phone") & silences["ended"].astype(bool)]
        extra = pd.DataFrame(
            {"phone": resumed["id"].astype(str), "last": to_hours(resumed["start"])}
        )
        extra = extra.merge(per[enough][["phone", "rate"]], on="phone")
        extra["key"] = extra["phone"] + "@" + np.floor(extra["last"]).astype(np.int64).astype(str)
        extra["stop"] = "silent"
        olds = pd.concat([olds, extra[["key", "phone", "last", "rate", "stop"]]], ignore_index=True)
        olds = olds.drop_duplicates("key").sort_values("key", kind="stable")
    return olds.reset_index(drop=True), news[["phone", "first", "rate"]].reset_index(drop=True)


def candidate_pairs(olds: pd.DataFrame, news: pd.DataFrame, window_h: float) -> pd.DataFrame:
    """Pairs (old stop, new number) with the new number's first event near the stop."""
    news_sorted = news.sort_values(["first", "phone"], kind="stable")
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
            "new": nw["phone"],
            "old_last": o["last"],
            "new_first": nw["first"],
            "old_rate": o["rate"],
            "new_rate": nw["rate"],
        }
    )
    return pairs[pairs["old_phone"] != pairs["new"]].reset_index(drop=True)


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
