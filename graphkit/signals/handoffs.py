"""Burner hand-offs: which new number took over from a number that stopped.

For every number that stops (its last event well before the end of the data, with a silence
its own rate makes unlikely) the candidates are numbers that start within ``window_hours`` of
that moment, counted in the old number's active hours (a weekend is short for an office
phone). Each pair is described by what a hand-off carries over: the contacts (weighted overlap
of counterpart distributions before vs after), the cells, the weekly rhythm (cosine of
hour-of-day x weekday/weekend profiles, centred on the population profile), the timing, the
activity level, and IMEI reuse (decisive when present, optional: burners often come with new
handsets). A logistic combination with documented weights (:class:`HandoffWeights`) turns the
features into a score.

Group-wide swaps are matched jointly (cf. the iterative seed-and-extend of network
de-anonymisation, Narayanan & Shmatikov 2009): an assignment over all candidate pairs
(Hungarian method, scipy ``linear_sum_assignment``) with a "no successor" option, then the
assigned pairs that are confident, or unambiguous (each other's best by a clear margin, or at
all when their score is not negligible), relabel the contacts of the others (a contact of old
X counts as shared with new Y if it was itself swapped) and the scores and assignment are
recomputed until they settle. Every row is a hypothesis (status 'hypothesis') with its
evidence; only a reviewer confirms it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from graphkit.errors import InputError
from graphkit.hypotheses import Status
from graphkit.signals.candidates import (
    active_gap,
    candidate_pairs,
    contact_moves,
    event_ends,
    stops_and_starts,
    without_fixed_lines,
)
from graphkit.signals.events import FloatArray, as_event_frame, from_hours, to_hours
from graphkit.signals.features import (
    PairWindows,
    contact_features,
    profile_windows,
    static_features,
)

__all__ = ["HANDOFF_COLUMNS", "MODEL_VERSION", "HandoffWeights", "detect_handoffs"]

log = logging.getLogger(__name__)

MODEL_VERSION = "handoff-logistic-3"
HANDOFF_COLUMNS = ("old", "new", "score", "rank", "assigned", "status", "evidence")


@dataclass(frozen=True)
class HandoffWeights:
    """Weights of the logistic hand-off score ``1 / (1 + exp(-(intercept + sum w_f x_f)))``.

    Every feature lies in [0, 1]. Set by reasoning about what a hand-off carries over, not
    fitted (on simulated cases a fit separates the classes perfectly, which says more about the
    simulator than about real data). Shared contacts are the main evidence: half the old
    number's contact mass and nothing else gives 0.27; with the same cells as well, 0.85.
    Rhythm confirms; timing and activity level only break ties among numbers starting
    together; a shared IMEI is decisive on its own. With no shared contacts, cells or rhythm
    a pair stays below 0.02 however well it is timed.

    ``beyond_chance`` weighs how unlikely the shared contacts are by chance (see
    :func:`_beyond_chance`): one contact shared where 0.05 were expected adds 1.5 to the
    logit, two add 3.4, three 5.5. It carries the pairs whose shared contacts are few but
    telling (a successor with mostly new contacts, a group swapping without cells to go on).
    Unlike the others, this weight was chosen by measurement on the harder simulated cases
    of seeds 1-5 without cells or IMEI (2,000 and 600 people), checked on seeds 6-8
    (docs/signals.md): 5 among 2-6 first, 7 among 5-8 once the simulator's ties were drawn
    thinner and its tie meetings added calls (model ``handoff-logistic-3``).
    """

    intercept: float = -6.0
    contacts: float = 10.0
    cells: float = 3.0
    rhythm: float = 1.5
    timing: float = 1.0
    activity: float = 1.0
    imei: float = 17.0
    beyond_chance: float = 7.0

    def logit(self, features: pd.DataFrame) -> FloatArray:
        return np.asarray(
            self.intercept
            + self.contacts * features["contacts"].to_numpy()
            + self.beyond_chance * features["beyond_chance"].to_numpy()
            + self.cells * features["cells"].to_numpy()
            + self.rhythm * features["rhythm"].to_numpy()
            + self.timing * features["timing"].to_numpy()
            + self.activity * features["activity"].to_numpy()
            + self.imei * features["imei"].to_numpy(),
            dtype=np.float64,
        )


def detect_handoffs(
    events: Any,
    *,
    window_hours: float = 72.0,
    min_events: int = 10,
    min_silent_hours: float = 48.0,
    min_expected_events: float = 3.0,
    profile_days: float = 14.0,
    use_imei: bool = True,
    old_numbers: Iterable[str] | None = None,
    silences: pd.DataFrame | None = None,
    weights: HandoffWeights = HandoffWeights(),
    confident_score: float = 0.8,
    margin_logit: float = 2.0,
    seed_score: float = 0.02,
    match_score: float = 0.5,
    max_iterations: int = 5,
    top_k: int = 3,
    min_score: float = 0.01,
    window_start: Any = None,
    window_end: Any = None,
    moves: bool = True,
    fixed_lines: bool = False,
) -> pd.DataFrame:
    """Candidate successors of every number that stops, scored and matched jointly.

    ``events``: frame with ``caller``, ``callee``, ``start`` (UTC) and optionally ``cell_id``
    and ``imei`` (ignored with ``use_imei=False``). A number *stops* when it has
    ``min_events`` events and its last one is followed by at least ``min_silent_hours`` and
    ``min_expected_events`` (at its own mean rate) without activity before the end of the
    data, and, given ``silences`` (rows of
    :func:`graphkit.signals.blackouts.detect_blackouts`), when it goes silent and later comes
    back (evidence ``stop``: 'ended' or 'silent'); a number *starts* after a silence from the
    start of the data likewise. Candidates
    start within ``window_hours`` of a stop, in the old number's active hours (hours weighted
    by its hour-of-week activity relative to its mean). Features use ``profile_days`` of
    activity before the stop and after the start. Relabelling seeds (see the module docstring)
    are the assigned pairs of score ``confident_score`` or more, the pairs each other's best by
    ``margin_logit``, and, from ``seed_score`` up, every pair each other's best at all: in a
    group that swaps at once without telling cells, those weak mutual choices are what lets
    the group's structure match. Returns up to ``top_k`` rows per stopped
    number with score of at least ``min_score``: :data:`HANDOFF_COLUMNS`, ``rank`` 1 being
    the joint assignment's choice (``assigned`` True when its score reaches ``match_score``).
    Fixed lines (E.164 numbers that phonenumbers types as such) take part only with
    ``fixed_lines=True``: a household's line shares its members' contacts and is no
    successor. Deterministic (no randomness).
    """
    if window_hours <= 0 or profile_days <= 0:
        raise InputError("window_hours and profile_days must be positive")
    frame = as_event_frame(events)
    t = to_hours(frame["start"])
    ok = np.isfinite(t)
    if not ok.any():
        return _empty()
    start_h = float(t[ok].min()) if window_start is None else float(to_hours([window_start])[0])
    end_h = float(t[ok].max()) if window_end is None else float(to_hours([window_end])[0])
    ends = event_ends(frame, t)
    olds, news = stops_and_starts(
        ends,
        start_h,
        end_h,
        min_events=min_events,
        min_silent_hours=min_silent_hours,
        min_expected=min_expected_events,
        silences=silences,
        restarts=moves,
    )
    pairs = candidate_pairs(olds, news, window_hours)
    if moves:
        moved = contact_moves(
            ends,
            olds,
            news,
            start_h,
            end_h,
            min_silent_hours=min_silent_hours,
            min_expected=min_expected_events,
            align_h=window_hours,
        )
        pairs = pd.concat([pairs, moved], ignore_index=True)
        pairs = pairs.sort_values(["old", "new", "moved_contacts"], ascending=[True, True, False])
        pairs = pairs.drop_duplicates(["old", "new"]).reset_index(drop=True)
    if old_numbers is not None:
        pairs = pairs[pairs["old_phone"].isin(set(old_numbers))].reset_index(drop=True)
    if not fixed_lines and len(pairs):
        pairs = without_fixed_lines(pairs)
    pairs = active_gap(pairs, ends, window_hours)
    log.info(
        "hand-offs: %d numbers stop, %d start, %d candidate pairs", len(olds), len(news), len(pairs)
    )
    if pairs.empty:
        return _empty()
    windows = profile_windows(ends, pairs, profile_h=profile_days * 24.0)
    static = static_features(
        frame, ends, pairs, windows, window_hours=window_hours, use_imei=use_imei
    )
    degree = _contact_degrees(ends)
    relabel: dict[str, str] = {}
    for iteration in range(max_iterations):
        feats = static.join(contact_features(pairs, windows, relabel=relabel))
        feats = feats.join(_beyond_chance(pairs, windows, degree, relabel))
        logit = weights.logit(feats)
        assigned = _assign(pairs, logit, match_logit=_logit(match_score))
        score = 1.0 / (1.0 + np.exp(-logit))
        seeds = (assigned & (score >= confident_score)) | _unambiguous(pairs, logit, margin_logit)
        seeds |= _unambiguous(pairs, logit, 0.0) & (score >= seed_score)
        confident = {
            str(n): str(o)
            for o, n in zip(pairs["old_phone"][seeds], pairs["new_phone"][seeds], strict=True)
        }
        log.debug("hand-offs iteration %d: %d confident pairs", iteration, len(confident))
        if confident == relabel:
            break
        relabel = confident
    return _rows(
        pairs,
        feats,
        score,
        assigned,
        weights,
        top_k=top_k,
        min_score=min_score,
        match_score=match_score,
    )


def _contact_degrees(ends: pd.DataFrame) -> pd.Series:
    """Distinct counterparts of every number over the whole data."""
    cp = ends[ends["counterpart"].notna()]
    return cp.groupby("phone")["counterpart"].nunique()


def _contact_sets(win: pd.DataFrame, relabel: Mapping[str, str]) -> pd.DataFrame:
    cp = win[win["counterpart"].notna()]
    raw = cp["counterpart"].astype(str)
    mapped = raw.map(dict(relabel)).fillna(raw) if relabel else raw
    out = pd.DataFrame({"key": cp["phone"].to_numpy(), "c": mapped.to_numpy()})
    return out.drop_duplicates()


def _beyond_chance(
    pairs: pd.DataFrame, windows: PairWindows, degree: pd.Series, relabel: Mapping[str, str]
) -> pd.DataFrame:
    """How unlikely the shared contacts are by chance: ``k`` distinct contacts shared, against
    a Poisson count with mean ``d_new * sum_c deg(c) / sum deg`` (the new number's distinct
    contacts, each drawn in proportion to a contact's degree, landing on one of the old
    number's); ``-log10 P(K >= k)`` scaled by 1/6 and capped at 1 (0 when nothing is shared).
    Contacts relabelled through matched hand-offs as for ``contacts``. Friends share contacts
    more than degrees predict, so this overstates the surprise between people who know each
    other; the contact overlap and the joint assignment keep those apart."""
    from scipy.stats import poisson

    old_c, new_c = _contact_sets(windows.old, relabel), _contact_sets(windows.new, relabel)
    total = float(degree.sum()) or 1.0
    old_c["deg"] = old_c["c"].map(degree).fillna(1.0).to_numpy()
    mass = old_c.groupby("key")["deg"].sum()
    d_new = new_c.groupby("key").size()
    keyed = pairs[["old", "new", "old_phone", "new_phone"]].reset_index()
    both = keyed.merge(old_c.rename(columns={"key": "old"}), on="old").merge(
        new_c.rename(columns={"key": "new"}), on=["new", "c"]
    )
    both = both[(both["c"] != both["old_phone"]) & (both["c"] != both["new_phone"])]
    k = both.groupby("index").size().reindex(pairs.index).fillna(0).to_numpy()
    lam = (
        pairs["new"].map(d_new).fillna(0).to_numpy()
        * pairs["old"].map(mass).fillna(0).to_numpy()
        / total
    )
    p = poisson.sf(k - 1, np.maximum(lam, 1e-12))
    score = np.where(k > 0, -np.log10(np.maximum(p, 1e-300)) / 6.0, 0.0)
    return pd.DataFrame(
        {"beyond_chance": np.clip(score, 0.0, 1.0), "shared_count": k, "chance_mean": lam},
        index=pairs.index,
    )


def _unambiguous(pairs: pd.DataFrame, logit: FloatArray, margin: float) -> Any:
    """Pairs that are each other's best candidate by at least ``margin`` in logit on both sides
    (a seed for relabelling even before its own score is high)."""
    frame = pd.DataFrame({"old": pairs["old"], "new": pairs["new_phone"], "logit": logit})
    ok = np.ones(len(frame), bool)
    for side in ("old", "new"):
        ranked = frame.sort_values([side, "logit"], ascending=[True, False], kind="stable")
        position = ranked.groupby(side).cumcount().to_numpy()
        runner_up = ranked["logit"].shift(-1).to_numpy()
        same_side = (ranked[side].shift(-1) == ranked[side]).to_numpy()
        gap = np.where(same_side, ranked["logit"].to_numpy() - runner_up, np.inf)
        best = pd.Series((position == 0) & (gap >= margin), index=ranked.index)
        ok &= best.reindex(frame.index).to_numpy()
    return ok


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _assign(pairs: pd.DataFrame, logit: FloatArray, *, match_logit: float) -> Any:
    """One-to-one assignment maximising the summed logits; a pair below ``match_logit`` loses
    to leaving the old number unmatched. Solved per connected component of candidates."""
    from scipy.optimize import linear_sum_assignment
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    old_codes, old_ids = pd.factorize(pairs["old"], sort=True)
    new_codes, new_ids = pd.factorize(pairs["new_phone"], sort=True)
    n_old, n_new = len(old_ids), len(new_ids)
    graph = coo_matrix(
        (np.ones(len(pairs)), (old_codes, n_old + new_codes)), shape=(n_old + n_new,) * 2
    )
    _, label = connected_components(graph, directed=False)
    assigned = np.zeros(len(pairs), bool)
    comp_of_pair = label[old_codes]
    order = np.argsort(comp_of_pair, kind="stable")
    bounds = np.flatnonzero(np.diff(comp_of_pair[order])) + 1
    for idx in np.split(order, bounds):
        o_loc, o_codes = np.unique(old_codes[idx], return_inverse=True)
        n_loc, n_codes = np.unique(new_codes[idx], return_inverse=True)
        big = 1e6
        cost = np.full((len(o_loc), len(n_loc) + len(o_loc)), big)
        cost[o_codes, n_codes] = -logit[idx]
        cost[np.arange(len(o_loc)), len(n_loc) + np.arange(len(o_loc))] = -match_logit
        rows, cols = linear_sum_assignment(cost)
        chosen = {(int(r), int(c)) for r, c in zip(rows, cols, strict=True) if c < len(n_loc)}
        assigned[idx] = [(int(a), int(b)) in chosen for a, b in zip(o_codes, n_codes, strict=True)]
    return assigned


def _rows(
    pairs: pd.DataFrame,
    feats: pd.DataFrame,
    score: FloatArray,
    assigned: Any,
    weights: HandoffWeights,
    *,
    top_k: int,
    min_score: float,
    match_score: float,
) -> pd.DataFrame:
    table = pairs.assign(score=score, assigned=assigned & (score >= match_score))
    table = table.join(feats.drop(columns=["old", "new"], errors="ignore"))
    table = table.sort_values(
        ["old", "assigned", "score", "new"], ascending=[True, False, False, True], kind="stable"
    )
    table["rank"] = table.groupby("old").cumcount() + 1
    table = table[(table["rank"] <= top_k) & (table["score"] >= min_score)]
    # one number stopping twice near one new number: keep the better-ranked pair
    table = table.sort_values(["rank", "score"], ascending=[True, False], kind="stable")
    table = table.drop_duplicates(["old_phone", "new_phone"])
    stop_at = from_hours(table["old_last"].to_numpy()).to_numpy()
    evidence = [
        _evidence(r, weights, stop_at=ts.isoformat())
        for r, ts in zip(table.to_dict("records"), stop_at, strict=True)
    ]
    out = pd.DataFrame(
        {
            "old": table["old_phone"].to_numpy(),
            "new": table["new_phone"].to_numpy(),
            "score": table["score"].to_numpy(),
            "rank": table["rank"].to_numpy(),
            "assigned": table["assigned"].to_numpy(),
            "status": Status.HYPOTHESIS.value,
            "evidence": evidence,
        }
    )
    return out.sort_values(
        ["rank", "score", "old"], ascending=[True, False, True], kind="stable"
    ).reset_index(drop=True)


def _evidence(r: Mapping[str, Any], weights: HandoffWeights, *, stop_at: str) -> dict[str, Any]:
    return {
        "stop": r["stop"],
        "start": r["start"],
        "old_last_event": stop_at,
        "moved_contacts": int(r["moved_contacts"]),
        "moved_share": round(float(r["moved_share"]), 3),
        "contacts_overlap": round(float(r["contacts"]), 3),
        "shared_contacts": list(r["shared_contacts"]),
        "shared_contact_count": int(r["shared_count"]),
        "shared_expected_by_chance": round(float(r["chance_mean"]), 4),
        "shared_beyond_chance": round(float(r["beyond_chance"]), 3),
        "shared_via_handoff": list(r["shared_via_handoff"]),
        "cells_overlap": round(float(r["cells"]), 3),
        "shared_cells": list(r["shared_cells"]),
        "rhythm_similarity": round(float(r["rhythm"]), 3),
        "gap_hours": round(float(r["new_first"] - r["old_last"]), 1),
        "gap_active_hours": round(float(r["gap_active_h"]), 1),
        "activity_ratio": round(float(r["new_rate"] / max(r["old_rate"], 1e-9)), 2),
        "shared_imei": list(r["shared_imei"]),
        "model_version": MODEL_VERSION,
        "weights": asdict(weights),
    }


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in HANDOFF_COLUMNS})
