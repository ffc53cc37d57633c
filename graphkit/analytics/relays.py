"""Relayed contacts: whose calls are passed on down a chain, judged against each callee's rate.

A call (or text) from ``A`` to ``X`` at time ``t`` is *followed* when ``X`` contacts someone
other than ``A`` within ``(t, t + duration + window_s]``: the pattern of an order passed on,
what analysts chart as a call sequence (i2 Analyst's Notebook "call sequence" charts; a
temporal two-edge motif ``A -> X -> Y``, Paranjape, Benson & Leskovec 2017). People call
others all day, so a follow-up alone proves nothing; the question is whether ``A``'s calls are
followed *more often than ``X``'s own calling rate predicts*.

Null model. ``X``'s rate of contacting anyone but ``A`` is estimated per hour of the day,
weekdays and weekends apart (48 bins), over the hours ``X`` was active (first to last event),
times the share of ``X``'s outgoing contacts that do not go to ``A``, and integrated over the
window hour by hour: that is ``mu``, the onward contacts expected by chance. Onward contacts
are counted (at most ``max_follow`` per contact): a relayed order usually reaches several
people, which a yes/no count would waste. Per actor ``A`` (as a *source*: contacts made) the
onward count ``O`` is, if ``X``'s contacts form a Poisson process with that rate, Poisson with
mean ``E = sum mu``: p-value = its upper tail, ``z = (O - E) / sqrt(E)`` beside it. The same is
computed per actor ``X`` as a *relayer* (contacts received). p-values are adjusted across
actors by Benjamini-Hochberg.

*Relay tier* (used by the leadership score,
:func:`graphkit.analytics.hierarchy.leadership_with_relays`):
2 = head of a relay chain (its calls are relayed significantly, and it does not itself relay
beyond chance), 1 = a significant source that also relays (a middle link), 0 = neither.
Where results can vary: the rate is estimated from the same data (a relayer's own relays
raise its estimated rate, which makes the test conservative); bursts of calls that are not
relays (a family evening) look like relays to this test.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.stats import fdr_qvalues

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["contact_arrays", "load_actor_contacts", "relay_table"]

log = logging.getLogger(__name__)

_BINS = 48


def _bin(t_s: np.ndarray) -> np.ndarray:
    """Hour of day (UTC), weekends shifted by 24: 48 bins."""
    hour = (t_s // 3600) % 24
    weekday = ((t_s // 86_400) + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    out: np.ndarray = hour + 24 * (weekday >= 5)
    return out


def _week_table() -> np.ndarray:
    """(48, 337): hours of each bin among the first k hours of a two-week span from Monday 0h."""
    k = np.arange(336)
    bins = k % 24 + 24 * ((k // 24) % 7 >= 5)
    table = np.zeros((_BINS, 337), dtype=np.int64)
    table[:, 1:] = np.cumsum(bins[None, :] == np.arange(_BINS)[:, None], axis=1)
    return table


_WEEK = _week_table()
_PER_WEEK = np.r_[np.full(24, 5), np.full(24, 2)]


def _exposure_hours(first_s: np.ndarray, last_s: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Hours of bin ``bins[i]`` from the hour of ``first_s[i]`` to that of ``last_s[i]``."""
    h0, h1 = first_s // 3600, last_s // 3600
    weeks = (h1 - h0 + 1) // 168
    start = (h0 + weeks * 168 + 72) % 168  # Monday-origin hour of the part after whole weeks
    rest = h1 - (h0 + weeks * 168) + 1  # 0..167 hours left
    out: np.ndarray = weeks * _PER_WEEK[bins] + _WEEK[bins, start + rest] - _WEEK[bins, start]
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values over the finite ones (NaN kept)."""
    q = np.full(len(p), np.nan)
    ok = np.isfinite(p)
    q[ok] = fdr_qvalues(p[ok], method="bh")
    return q


def relay_table(
    events: pd.DataFrame,
    *,
    actor_to_community: Mapping[str, object] | None = None,
    window_s: float = 1800.0,
    significance: float = 0.05,
    max_follow: int = 8,
) -> pd.DataFrame:
    """Per actor: how often its contacts are relayed onward, against the null model.

    ``events``: ``src``, ``dst`` (actor ids), ``start`` (timestamps), ``duration_s`` (missing
    = 0), each contact once (:func:`load_actor_contacts`). With ``actor_to_community``, only
    contacts inside a community count, and only follow-ups to the same community (orders
    travel inside the organisation; a callee's calls home are no relay), with the null rate
    counted the same way. Returns one row per actor: ``actor_id``; as a source, ``relay_calls``
    (contacts made), ``relay_followed`` (of them, followed by at least one contact onward),
    ``relay_onward`` (follow-up contacts, at most ``max_follow`` per contact),
    ``relay_expected`` (follow-up contacts the callees' own rates predict), ``relay_z``,
    ``relay_p_value`` (Poisson upper tail), ``relay_q_value`` (Benjamini-Hochberg across
    actors); as a relayer, ``relayer_calls``, ``relayer_onward``, ``relayer_expected``,
    ``relayer_q_value``; ``relay_tier`` (module docstring) and ``relay_evidence`` (dict: the
    callee whose follow-ups exceed chance most). Deterministic; no randomness.
    """
    a, x, t, dur, ids = contact_arrays(events)
    keep = (a != x) & (t > np.iinfo(np.int64).min)
    if actor_to_community is not None:
        comm = pd.factorize(pd.Series(ids).map(actor_to_community))[0]  # -1 = none
        keep &= (comm[a] == comm[x]) & (comm[a] >= 0)
    a, x, t, dur = a[keep], x[keep], t[keep], np.maximum(dur[keep], 0)
    n_act = len(ids)
    follow = _follow_ups(a, x, t, t + dur + int(window_s), max_follow)
    mu = _null_mean(a, x, t, dur + window_s, n_act)
    src = _aggregate(a, follow, mu, n_act)
    rel = _aggregate(x, follow, mu, n_act)
    src_sig = src["q"] < significance
    rel_sig = rel["q"] < significance
    tier = np.where(src_sig & ~rel_sig, 2, np.where(src_sig, 1, 0))
    evidence = _top_callees(a, x, follow, mu, ids, window_s)
    log.info(
        "relays: %d contacts; %d chain heads, %d middle links",
        len(t),
        (tier == 2).sum(),
        (tier == 1).sum(),
    )
    return pd.DataFrame(
        {
            "actor_id": ids,
            "relay_calls": src["n"].astype(np.int64),
            "relay_followed": np.bincount(a, weights=follow > 0, minlength=n_act).astype(np.int64),
            "relay_onward": src["o"].astype(np.int64),
            "relay_expected": np.round(src["e"], 3),
            "relay_z": np.round(src["z"], 3),
            "relay_p_value": src["p"],
            "relay_q_value": src["q"],
            "relayer_calls": rel["n"].astype(np.int64),
            "relayer_onward": rel["o"].astype(np.int64),
            "relayer_expected": np.round(rel["e"], 3),
            "relayer_q_value": rel["q"],
            "relay_tier": tier.astype(np.int64),
            "relay_evidence": evidence,
        }
    )


def contact_arrays(
    events: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``events`` (``src``, ``dst``, ``start``, ``duration_s``) as arrays: caller and callee
    codes into the sorted actor ids, start (epoch seconds; NaT as int64 min) and duration
    (missing = 0), and the ids. Rows missing an end are left out."""
    ev = events[events["src"].notna() & events["dst"].notna()]
    # sorted ids and each end's code, as np.unique(..., return_inverse=True) gives them; a
    # hash table then a sort of the distinct ids (np.unique sorts 400k strings: 20x slower)
    codes, ids = pd.factorize(
        np.r_[ev["src"].astype(str).to_numpy(), ev["dst"].astype(str).to_numpy()], sort=True
    )
    m = len(ev)
    a, x = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    stamps = pd.to_datetime(ev["start"], utc=True).dt.tz_convert(None)
    t = stamps.to_numpy().astype("datetime64[s]").astype(np.int64)
    dur = pd.to_numeric(ev["duration_s"], errors="coerce").fillna(0).to_numpy().astype(np.int64)
    return a, x, t, dur, np.asarray(ids)


def _follow_ups(
    a: np.ndarray, x: np.ndarray, t: np.ndarray, until: np.ndarray, max_follow: int
) -> np.ndarray:
    """Per contact a -> x at t: x's contacts to anyone but a in (t, until], at most max_follow."""
    follow = np.zeros(len(t))
    if len(t) == 0:
        return follow
    order = np.lexsort((t, a))
    out_a, out_t, out_b = a[order], t[order], x[order]
    base = t.min()
    stride = np.int64(t.max() - base + 2)
    out_key = out_a * stride + (out_t - base)
    pos = np.searchsorted(out_key, x * stride + (t - base), side="right")
    for k in range(max_follow):
        j = np.minimum(pos + k, len(out_key) - 1)
        ok = (pos + k < len(out_key)) & (out_a[j] == x) & (out_t[j] <= until)
        if not ok.any():
            break
        follow += ok & (out_b[j] != a)
    return follow


def _null_mean(
    a: np.ndarray, x: np.ndarray, t: np.ndarray, length_s: np.ndarray, n_act: int
) -> np.ndarray:
    """Per contact a -> x: contacts x places to others than a in a window of length_s,
    expected from x's own hourly rate (48 bins over x's active span)."""
    if len(t) == 0:
        return np.zeros(0)
    first = np.full(n_act, np.iinfo(np.int64).max)
    last = np.full(n_act, np.iinfo(np.int64).min)
    for ends in (a, x):
        np.minimum.at(first, ends, t)
        np.maximum.at(last, ends, t)
    # sparse (actor, hour bin) tables: only the pairs that occur, so memory follows the events
    made, made_n = np.unique(a * _BINS + _bin(t), return_counts=True)

    def hourly_rate(hour_start_s: np.ndarray) -> np.ndarray:
        b = _bin(hour_start_s)
        need = x * _BINS + b
        at = np.minimum(np.searchsorted(made, need), len(made) - 1)
        count = np.where(made[at] == need, made_n[at], 0)
        exposure = _exposure_hours(first[x], last[x], b)
        rate: np.ndarray = np.divide(count, exposure, out=np.zeros(len(t)), where=exposure > 0)
        return rate

    # the window (t, t + length_s] crosses hour boundaries: integrate the rate piece by piece
    end = t + length_s
    expected_calls = np.zeros(len(t))
    hour = (t // 3600) * 3600
    while True:
        lo, hi = np.maximum(t, hour), np.minimum(end, hour + 3600)
        inside = hi > lo
        if not inside.any():
            break
        expected_calls += np.where(inside, hourly_rate(hour) * (hi - lo) / 3600.0, 0.0)
        hour = hour + 3600
    n_out = np.bincount(a, minlength=n_act).astype(float)
    pair_ids, pair_n = np.unique(a * n_act + x, return_counts=True)
    back = np.searchsorted(pair_ids, x * n_act + a)
    back_c = np.minimum(back, len(pair_ids) - 1)
    to_caller = np.where(pair_ids[back_c] == x * n_act + a, pair_n[back_c], 0)
    other_share = np.where(n_out[x] > 0, 1.0 - to_caller / np.maximum(n_out[x], 1), 0.0)
    mu: np.ndarray = expected_calls * other_share
    return mu


def _aggregate(
    who: np.ndarray, follow: np.ndarray, mu: np.ndarray, n_act: int
) -> dict[str, np.ndarray]:
    from scipy.stats import poisson

    n = np.bincount(who, minlength=n_act).astype(float)
    o = np.bincount(who, weights=follow, minlength=n_act)
    e = np.bincount(who, weights=mu, minlength=n_act)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(e > 0, (o - e) / np.sqrt(e), np.nan)
    pv = np.where(e > 0, poisson.sf(o - 1, e), np.where(o > 0, 0.0, 1.0))
    pv = np.where(n > 0, pv, np.nan)
    return {"n": n, "o": o, "e": e, "z": z, "p": pv, "q": _bh(pv)}


def _top_callees(
    a: np.ndarray,
    x: np.ndarray,
    follow: np.ndarray,
    mu: np.ndarray,
    ids: np.ndarray,
    window_s: float,
) -> list[dict[str, Any]]:
    """Per source: the callee whose follow-ups exceed chance the most."""
    n_act = len(ids)
    out: list[dict[str, Any]] = [{} for _ in range(n_act)]
    if len(a) == 0:
        return out
    pair_ids, inv = np.unique(a * n_act + x, return_inverse=True)
    k = len(pair_ids)
    n = np.bincount(inv, minlength=k)
    followed = np.bincount(inv, weights=follow > 0, minlength=k)
    o = np.bincount(inv, weights=follow, minlength=k)
    e = np.bincount(inv, weights=mu, minlength=k)
    src, dst = pair_ids // n_act, pair_ids % n_act
    best = np.lexsort((dst, -(o - e), src))
    first = best[np.r_[True, src[best][1:] != src[best][:-1]]]
    for i in first.tolist():
        if o[i] > e[i]:
            out[src[i]] = {
                "callee": str(ids[dst[i]]),
                "calls": int(n[i]),
                "followed": int(followed[i]),
                "onward": int(o[i]),
                "expected": round(float(e[i]), 2),
                "window_min": round(window_s / 60, 1),
            }
    return out


#: the longest a ``contacts`` row may last and still be read as one contact (a call, a
#: meeting): a longer span is a tie's first and last sighting, not an event
CONTACT_EVENT_MAX_S = 86_400


def load_actor_contacts(store: CaseStore) -> pd.DataFrame | None:
    """The case's time-stamped contacts between actors (``src``, ``dst``, ``start``,
    ``duration_s``, ``layer``), phones mapped to their actors; None when there are none.

    Call records are directed (layer ``calls``). Rows of ``contacts`` sources are read as one
    contact each where they are one: a start, a weight of 1 (or none) and an end
    within :data:`CONTACT_EVENT_MAX_S` of the start (a wiretap log, a meeting diary); a
    pre-aggregated tie (a count, or first and last sightings) is no event in time and is left
    out. Their layer is ``contact:<kind>`` as in the actor graph, so a symmetric one is read
    both ways (:func:`graphkit.analytics.measures.prepare_contacts`). The same contact twice
    in one layer (two sources of the same kind, or a repeated row) counts once.
    """
    from graphkit.ingest.call_records import load_cdr_events

    parts = []
    with store.connect(read_only=True) as con:
        owners = (
            con.execute("SELECT DISTINCT unnest(phones) AS phone, actor_id FROM actor").df()
            if store.table_exists(con, "actor")
            else pd.DataFrame({"phone": [], "actor_id": []}, dtype=str)
        )
        has_cdr = store.table_exists(con, "src_cdr")
        if store.table_exists(con, "src_contacts"):
            logged = con.execute(
                """
                SELECT source AS caller, target AS callee, start,
                       coalesce(epoch("end") - epoch(start), 0)::BIGINT AS duration_s,
                       'contact:' || coalesce(kind, source_name) AS layer
                FROM src_contacts
                WHERE NOT coalesce(is_duplicate, false) AND start IS NOT NULL
                  AND source IS NOT NULL AND target IS NOT NULL
                  AND (weight IS NULL OR weight = 1)
                  AND coalesce(epoch("end") - epoch(start), 0) BETWEEN 0 AND ?
                QUALIFY row_number() OVER (
                    PARTITION BY source, target, start, coalesce(kind, source_name)
                    ORDER BY source_name, row_number
                ) = 1
                ORDER BY start, source, target
                """,
                [CONTACT_EVENT_MAX_S],
            ).df()
            if len(logged):
                parts.append(logged)
    if has_cdr:
        calls = load_cdr_events(store)
        if len(calls):
            parts.append(calls[["caller", "callee", "start", "duration_s"]].assign(layer="calls"))
    if not parts:
        return None
    events = pd.concat(parts, ignore_index=True)
    owner = owners.dropna().drop_duplicates("phone").set_index("phone")["actor_id"]
    caller, callee = events["caller"].astype("string"), events["callee"].astype("string")
    return pd.DataFrame(
        {
            "src": caller.map(owner).fillna(caller),
            "dst": callee.map(owner).fillna(callee),
            "start": events["start"],
            "duration_s": events["duration_s"],
            "layer": events["layer"],
        }
    )


_TIER_WORDS = {2: "head of a relay chain", 1: "a middle link of a relay chain"}
_PATTERN_WORDS = {2: "relay pattern of a chain head", 1: "relay pattern of a middle link"}
#: why a relay tier alone is no claim (the rate comparison fires on bursts of everyday calls)
UNCONFIRMED = (
    "not a tested claim: its community's relayed-orders test, which reads the same contacts "
    "backwards in time, did not pass, and bursts of everyday calls give this pattern too"
)


def explain_relay(
    row: Mapping[str, Any], *, confirmed: bool | None = None
) -> tuple[dict[str, Any], str]:
    """Evidence dict and sentence for one actor row holding :func:`relay_table` columns.

    ``confirmed``: whether the actor's community passed its relayed-orders test
    (:mod:`graphkit.analytics.relay_test`, time reversal). The per-actor comparison with the
    callees' rates is valid for Poisson-like calls only (on bursty households without orders
    it names heads in most communities, docs/analytics.md), so a tier is worded as a chain
    only where that test passed, and as a pattern, saying why, where it did not (None: not
    known, the tier's words)."""
    calls = row.get("relay_calls")
    if calls is None or pd.isna(calls) or int(calls) == 0:
        return {}, ""
    tier = int(row.get("relay_tier") or 0)
    top = row.get("relay_evidence") or {}
    q = float(row["relay_q_value"]) if pd.notna(row.get("relay_q_value")) else float("nan")
    relay: dict[str, Any] = {
        "calls": int(calls),
        "onward": int(row["relay_onward"]),
        "expected": float(row["relay_expected"]),
        "q_value": q,
        "tier": tier,
    }
    if top:
        relay["top_callee"] = top
    if tier == 0:
        return relay, ""
    if confirmed is not None:
        relay["confirmed_by_community_test"] = bool(confirmed)
    words = _TIER_WORDS[tier] if confirmed is not False else _PATTERN_WORDS[tier]
    if confirmed:
        words += " (its community's relayed-orders test passed)"
    elif confirmed is False:
        words += f" ({UNCONFIRMED})"
    sentence = (
        f"{words}: its {relay['calls']} contacts inside the community were followed "
        f"by {relay['onward']} onward contacts (expected {relay['expected']:.1f}, q={q:.3g})"
    )
    if top:
        sentence += (
            f"; {top['followed']} of {top['calls']} contacts to {top['callee']} were followed "
            f"within {top['window_min']:g} min by {top['callee']} contacting others "
            f"({top['onward']} contacts, expected {top['expected']:.1f})"
        )
    return relay, sentence
