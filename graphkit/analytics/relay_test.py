"""Relayed orders inside a community: one test per community, robust to bursts of calls.

Second route to the words "chain of command" beside the ordering test
(:mod:`graphkit.analytics.ordering`; both are combined by :mod:`graphkit.analytics.chain_claim`).
A contact from ``A`` to ``X`` at ``t`` (ending at ``e``) is followed by ``X``'s *onward*
contacts to other members (not ``A``) in ``(e, e + window_s]``, and preceded by those in
``[t - window_s, t)``: the mirrored window. Orders relayed down a chain put onward contacts
after the order, never before it; a family evening, a busy afternoon or a phone's daily
rhythm put them on both sides. So the expectation is not a rate model (real calls are
burstier than Poisson: on bursty simulated households a rate null finds "relays" in 91-100 %
of communities without any, docs/analytics.md) but the same contacts read backwards in time.

* **Clusters**: per callee, contacts whose windows ``[t - w, e + w]`` chain into each other
  form one *episode* (they share onward contacts). Per source member ``A``, ``d`` = onward
  contacts after minus before, summed per episode of ``A``'s contacts.
* **Null**: time reversal. If the calls carry no order from incoming to outgoing contacts,
  each episode's ``d`` is as likely ``-d`` as ``d``; the sign-flip distribution of
  ``sum d`` over episodes is exact (conditional on ``|d|``; computed by convolution, no
  draws), one-sided: p = P(sum of signed ``|d|`` >= observed).
* **Per community**: the sources whose episodes could reach p <= ``eligible_p`` at all (a
  source with four episodes never can) are combined by Simes' test (valid for independent or
  positively dependent p-values), and so are the ``max_sources`` (5) of them with the most
  onward contacts around their contacts (``sum |d|`` over their episodes); where there are
  more than five, the community's p-value is twice the smaller of the two (Bonferroni over
  the two tests). Both choices read ``|d|`` only, which the sign flips leave unchanged, so
  every p-value keeps its exact null. Simes over every eligible member alone (up to session
  13) multiplies a boss's p-value by the 20-40 members of a group, while a chain's orders
  come from a few of them; the five alone miss a boss whose few clean orders carry less
  onward traffic than his busy crew's calls (docs/analytics.md, "Relayed orders: the second
  route"). Its effect is the best source's after/before ratio (before counted as at least 1).

Where results can vary: a community is tested only with time-stamped calls; a boss whose
orders go through a few contacts on few days has few episodes, hence a coarse p-value; real
gossip (news passed on) is a relay too, which is why the claim names the test and its figures.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from graphkit.analytics.relays import contact_arrays
from graphkit.stats import sign_flip_p

__all__ = ["relay_community_test", "sign_flip_p"]

MIN_MEMBERS = 3


def _simes(p: np.ndarray) -> float:
    p = np.sort(np.asarray(p, dtype=float))
    return float(min(1.0, (p * len(p) / np.arange(1, len(p) + 1)).min()))


def _window_counts(
    a: np.ndarray,
    x: np.ndarray,
    t: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_follow: int,
    *,
    backward: bool,
) -> np.ndarray:
    """Per contact ``a -> x``: ``x``'s contacts to others than ``a`` in ``(lo, hi]`` (the first
    ``max_follow`` of them) or, ``backward``, in ``[lo, hi)`` (the last ``max_follow``)."""
    out = np.zeros(len(t))
    if len(t) == 0:
        return out
    order = np.lexsort((t, a))
    out_a, out_t, out_b = a[order], t[order], x[order]
    base = min(int(t.min()), int(lo.min())) - 1
    stride = np.int64(max(int(t.max()), int(hi.max())) - base + 2)
    key = out_a * stride + (out_t - base)
    if backward:
        pos = np.searchsorted(key, x * stride + (hi - base), side="left") - 1
    else:
        pos = np.searchsorted(key, x * stride + (lo - base), side="right")
    for k in range(max_follow):
        j = pos - k if backward else pos + k
        inside = (j >= 0) & (j < len(key))
        jc = np.clip(j, 0, len(key) - 1)
        in_window = out_t[jc] >= lo if backward else out_t[jc] <= hi
        ok = inside & (out_a[jc] == x) & in_window
        if not ok.any():
            break
        out += ok & (out_b[jc] != a)
    return out


def _episodes(x: np.ndarray, t: np.ndarray, end: np.ndarray, window_s: int) -> np.ndarray:
    """Episode number per contact: per callee ``x``, contacts whose ``[t - w, end + w]``
    windows overlap a previous one's join its episode."""
    n = len(t)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((t, x))
    xs, ts, es = x[order], t[order], end[order]
    base = int(ts.min())
    big = np.int64(int(es.max()) - base + 2)
    reach = np.maximum.accumulate(xs * big + (es - base))  # latest end so far, per callee
    prev = np.r_[np.int64(-1), reach[:-1]] - xs * big
    same = np.r_[False, xs[1:] == xs[:-1]]
    new = ~same | (ts - base - 2 * window_s > prev)
    out = np.empty(n, dtype=np.int64)
    out[order] = np.cumsum(new) - 1
    return out


def relay_community_test(
    events: pd.DataFrame,
    membership: Mapping[str, int],
    *,
    window_s: float = 1800.0,
    max_follow: int = 8,
    eligible_p: float = 0.05,
    max_sources: int = 5,
) -> pd.DataFrame:
    """One relayed-orders test per community (module docstring).

    ``events``: ``src``, ``dst``, ``start``, ``duration_s`` (as for
    :func:`graphkit.analytics.relays.relay_table`); ``membership``: actor id -> community
    label (0..k-1); only contacts inside a community count. Returns one row per community
    label 0..max: ``relay_test_tested`` (at least 3 members and a source that could pass),
    ``relay_test_sources`` (eligible sources), ``relay_test_source`` (the source with the smallest
    p-value), ``relay_test_onward`` and ``relay_test_onward_before`` (its onward contacts after and
    before its contacts), ``relay_test_ratio`` (after / before, before counted as at least 1),
    ``relay_test_p_value`` (Simes over every eligible source and over the ``max_sources``
    busiest; twice the smaller where there are more than ``max_sources``). Deterministic; no
    randomness.
    """
    if max_sources < 1:
        raise ValueError("max_sources must be at least 1")
    k = int(max(membership.values())) + 1 if len(membership) else 0
    size = np.bincount(np.asarray(list(membership.values()), dtype=np.int64), minlength=k)
    a, x, t, dur, ids = contact_arrays(events)
    comm = pd.Series(ids).map(membership).fillna(-1).to_numpy(dtype=np.int64)
    keep = (a != x) & (comm[a] == comm[x]) & (comm[a] >= 0) & (t > np.iinfo(np.int64).min)
    a, x, t, dur = a[keep], x[keep], t[keep], np.maximum(dur[keep], 0)
    w = int(window_s)
    end = t + dur
    after = _window_counts(a, x, t, end, end + w, max_follow, backward=False)
    before = _window_counts(a, x, t, t - w, t, max_follow, backward=True)
    frame = pd.DataFrame(
        {"a": a, "episode": _episodes(x, t, end, w), "after": after, "before": before}
    )
    per = frame.groupby(["a", "episode"], sort=True)[["after", "before"]].sum()
    per["d"] = (per["after"] - per["before"]).astype(np.int64)
    per["mass"] = per["d"].abs()
    nonzero = per[per["d"] != 0].groupby(level=0)["d"]
    can_pass = nonzero.size()[0.5 ** nonzero.size() <= eligible_p].index
    sources = per.groupby(level=0)[["after", "before", "mass"]].sum().loc[can_pass]
    # per community, the eligible sources with the most onward contacts around their
    # contacts (|d| only: the sign flips do not change it), at most max_sources
    sources["community"] = comm[sources.index.to_numpy(dtype=np.int64)]
    sources["name"] = ids[sources.index.to_numpy(dtype=np.int64)]
    sources = sources.sort_values(["community", "mass", "name"], ascending=[True, False, True])
    sources["top"] = sources.groupby("community", sort=False).cumcount() < max_sources
    sources = sources.sort_index()
    # each source's episodes are one run of ``per`` (sorted by source): slices, not lookups
    src_of = per.index.get_level_values(0).to_numpy()
    d_all = per["d"].to_numpy()
    chosen = sources.index.to_numpy()
    lo = np.searchsorted(src_of, chosen, side="left")
    hi = np.searchsorted(src_of, chosen, side="right")
    sources["p"] = [sign_flip_p(d_all[i:j]) for i, j in zip(lo, hi, strict=True)]
    out = pd.DataFrame(
        {
            "relay_test_tested": np.zeros(k, dtype=bool),
            "relay_test_sources": np.zeros(k, dtype=np.int64),
            "relay_test_source": pd.Series([None] * k, dtype=object),
            "relay_test_onward": np.full(k, np.nan),
            "relay_test_onward_before": np.full(k, np.nan),
            "relay_test_ratio": np.full(k, np.nan),
            "relay_test_p_value": np.full(k, np.nan),
        }
    )
    ranked = sources.assign(excess=sources["after"] - sources["before"])
    ranked = ranked.sort_values(["community", "p", "excess", "name"], ascending=[1, 1, 0, 1])
    for c, group in ranked.groupby("community", sort=True):
        if size[c] < MIN_MEMBERS:
            continue
        best = group.iloc[0]
        out.loc[c, "relay_test_tested"] = True
        out.loc[c, "relay_test_sources"] = len(group)
        out.loc[c, "relay_test_source"] = best["name"]
        out.loc[c, "relay_test_onward"] = best["after"]
        out.loc[c, "relay_test_onward_before"] = best["before"]
        out.loc[c, "relay_test_ratio"] = best["after"] / max(best["before"], 1.0)
        p_all = _simes(group["p"].to_numpy())
        if len(group) > max_sources:  # two valid tests, one Bonferroni step: at most 2x
            p_top = _simes(group.loc[group["top"], "p"].to_numpy())
            p_all = min(1.0, 2.0 * min(p_all, p_top))
        out.loc[c, "relay_test_p_value"] = p_all
    return out
