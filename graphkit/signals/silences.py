"""Silences: gaps in each phone's (or actor's) activity judged against its own rhythm.

Method. Each entity gets an hour-of-week baseline (168 bins, events per hour observed over its
life, shrunk towards its overall rate times the population profile; see
:func:`graphkit.signals.events.hour_of_week_baseline`). Every gap between two
consecutive events, and the tail after the last event up to the end of the data, is a test:
under an inhomogeneous Poisson process the probability of no event in the gap is
``exp(-Lambda)``, ``Lambda`` the expected count from the baseline with the gap itself left out.
By the time-rescaling theorem (Brown et al. 2002, Neural Computation 14:325) this is exactly
uniform under the model for every inter-event gap, so the p-values of all gaps of all entities
are put through Benjamini-Hochberg (1995) control of the false discovery rate (or
Benjamini-Yekutieli 2001 under arbitrary dependence). Gaps shorter than the reportable minimum
count in that multiplicity with p = 1, which can only make the control more conservative.
Real activity is over-dispersed from day to day and the baseline is itself an estimate, so
the zero probability is taken from a gamma-Poisson (negative binomial) model whose multiplier
carries both: a gamma per UTC day of the gap (``1/k`` estimated from each entity's daily
counts) and the sampling variance of the baseline over the gap's hours (see
:func:`gap_zero_probability`). Results are hypotheses: a silence can also come from a lost
phone, a network fault or missing records.

Group blackouts (several members of a community silent together) are in
:mod:`graphkit.signals.groups`; phones, actors and groups together, with silences explained by
hand-offs, in :mod:`graphkit.signals.blackouts`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from graphkit.signals.events import (
    Baseline,
    BoolArray,
    EntityEvents,
    FloatArray,
    IntArray,
    as_event_frame,
    cumulative_exposure,
    entity_events,
    from_hours,
    hour_of_week_baseline,
    to_hours,
)
from graphkit.stats import fdr_qvalues

__all__ = [
    "BLACKOUT_COLUMNS",
    "SilenceTests",
    "detect_silences",
    "empty_blackouts",
    "silence_rows",
    "silence_tests",
]

log = logging.getLogger(__name__)

BLACKOUT_COLUMNS = (
    "kind",
    "id",
    "members",
    "start",
    "end",
    "duration_h",
    "expected_events",
    "p_value",
    "q_value",
    "ended",
    "evidence",
)
_ALSO_LIMIT = 10  # ids listed in the evidence of who else was silent
_CONTEXT_H = 7 * 24.0  # events counted before and after a silence, for the evidence


def _gaps(
    ev: EntityEvents, tested: IntArray, end_h: float
) -> tuple[IntArray, FloatArray, FloatArray, BoolArray]:
    """Gaps between consecutive events of the tested entities, plus each one's tail."""
    keep = np.isin(ev.entity, tested)
    ent, t = ev.entity[keep], ev.t_h[keep]
    same = ent[1:] == ent[:-1]
    g_ent, g_lo, g_hi = ent[1:][same], t[:-1][same], t[1:][same]
    last = np.r_[~same, True]
    tail_ent, tail_lo = ent[last], t[last]
    entities = np.concatenate([g_ent, tail_ent])
    lo = np.concatenate([g_lo, tail_lo])
    hi = np.concatenate([g_hi, np.full(len(tail_lo), end_h)])
    resumed = np.concatenate([np.ones(len(g_ent), bool), np.zeros(len(tail_ent), bool)])
    positive = hi > lo
    return entities[positive], lo[positive], hi[positive], resumed[positive]


def gap_zero_probability(
    base: Baseline, entity: IntArray, lo: FloatArray, hi: FloatArray, *, leave_out: bool
) -> tuple[FloatArray, FloatArray]:
    """(expected events, log P(no event)) for each window ``(lo, hi)`` of ``entity``.

    The expected count ``Lambda`` is scaled by an uncertain multiplier with relative variance
    ``v = phi * sum_d Lambda_d^2 / Lambda^2 + Var(Lambda_hat) / Lambda^2``: one gamma
    multiplier per UTC day piece ``d`` of the window (day-level over-dispersion ``phi``), plus
    the sampling error of the baseline itself (``Var(rate_b) ~ rate_b / exposure_b``).
    Matching a gamma multiplier to that variance gives ``P(0) = (1 + Lambda v) ** (-1 / v)``
    (exact for equal day pieces; ``exp(-Lambda)`` as ``v -> 0``). Leaving out the baseline's
    uncertainty makes plug-in tests too confident in the far tail, where decisions are made.
    With ``leave_out`` the window's own exposure is removed from the baseline.
    """
    expected = np.zeros(len(entity))
    log_p = np.zeros(len(entity))
    step = 20_000
    for chunk in range(0, len(entity), step):
        sl = slice(chunk, chunk + step)
        e, a, b = entity[sl], lo[sl], hi[sl]
        window = cumulative_exposure(b) - cumulative_exposure(a)
        exposure = base.exposure_h[e] - (window if leave_out else 0.0)
        rates = base.rates(left_out=window if leave_out else None, rows=e)
        lam = np.einsum("ij,ij->i", rates, window)
        var_hat = np.einsum(
            "ij,ij->i", rates / (np.maximum(exposure, 0.0) + base.prior_hours), window**2
        )
        day_a = np.floor(a / 24.0).astype(np.int64)
        pieces = np.floor(b / 24.0).astype(np.int64) - day_a + 1
        gap = np.repeat(np.arange(len(e)), pieces)
        day = day_a[gap] + (np.arange(len(gap)) - np.repeat(np.cumsum(pieces) - pieces, pieces))
        piece_exposure = cumulative_exposure(np.minimum(b[gap], (day + 1) * 24.0))
        piece_exposure -= cumulative_exposure(np.maximum(a[gap], day * 24.0))
        lam_d = np.einsum("ij,ij->i", rates[gap], piece_exposure)
        sum_sq = np.bincount(gap, weights=lam_d**2, minlength=len(e))
        safe = np.maximum(lam, 1e-12)
        v = (base.dispersion[e] * sum_sq + var_hat) / safe**2
        v_safe = np.maximum(v, 1e-12)
        expected[sl] = lam
        log_p[sl] = np.where(v > 1e-9, -np.log1p(lam * v_safe) / v_safe, -lam)
    return expected, log_p


@dataclass(frozen=True)
class SilenceTests:
    """Every tested gap of every tested entity, with its expected count and p-value."""

    ev: EntityEvents
    base: Baseline
    end_h: float
    tested: IntArray
    entity: IntArray
    lo_h: FloatArray
    hi_h: FloatArray
    resumed: BoolArray
    expected: FloatArray
    p_value: FloatArray

    def zero_probability(
        self, entity: IntArray, lo_h: FloatArray, hi_h: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """(expected events, probability of none) for windows, each left out of its baseline."""
        expected, log_p = gap_zero_probability(self.base, entity, lo_h, hi_h, leave_out=True)
        return expected, np.exp(log_p)


def silence_tests(
    frame: pd.DataFrame,
    *,
    phone_to_entity: Mapping[str, str] | None = None,
    min_silence_hours: float = 24.0,
    min_events: int = 20,
    min_observed_days: float = 7.0,
    prior_hours: float = 1.0,
    dispersion: float | None = None,
    window_end: Any = None,
) -> SilenceTests | None:
    """Test every gap of every entity with enough data; None when nothing can be tested."""
    t_all = to_hours(frame["start"])
    ev = entity_events(frame, phone_to_entity=phone_to_entity, t_h=t_all)
    finite = t_all[np.isfinite(t_all)]
    if len(finite) == 0:
        return None
    end_h = float(finite.max()) if window_end is None else float(to_hours([window_end])[0])
    base = hour_of_week_baseline(ev, end_h=end_h, prior_hours=prior_hours, dispersion=dispersion)
    life_h = end_h - base.first_h
    tested = np.flatnonzero((ev.counts() >= min_events) & (life_h >= min_observed_days * 24.0))
    if len(tested) == 0:
        return None
    ent, lo, hi, resumed = _gaps(ev, tested, end_h)
    long_gap = (hi - lo) >= min_silence_hours
    # shorter gaps count in the multiplicity but can never be reported: p = 1 (conservative)
    expected, log_p = np.zeros(len(ent)), np.zeros(len(ent))
    expected[long_gap], log_p[long_gap] = gap_zero_probability(
        base, ent[long_gap], lo[long_gap], hi[long_gap], leave_out=True
    )
    p = np.exp(log_p)
    return SilenceTests(ev, base, end_h, tested, ent, lo, hi, resumed, expected, p)


def detect_silences(
    events: Any,
    *,
    phone_to_entity: Mapping[str, str] | None = None,
    kind: str = "phone",
    min_silence_hours: float = 24.0,
    min_events: int = 20,
    min_observed_days: float = 7.0,
    q_threshold: float = 0.05,
    prior_hours: float = 1.0,
    dispersion: float | None = None,
    fdr_method: Literal["bh", "by"] = "bh",
    window_end: Any = None,
    report_all: bool = False,
) -> pd.DataFrame:
    """Silences of each phone (or entity, via ``phone_to_entity``) unlikely under its rhythm.

    ``events``: frame with ``caller``, ``callee``, ``start`` (UTC). Entities with at least
    ``min_events`` events and ``min_observed_days`` between their first event and the end of
    the data (``window_end``, default the last event) are tested; every one of their gaps
    counts in the FDR control, and those lasting ``min_silence_hours`` or more with
    ``q_value <= q_threshold`` are returned (all tested long gaps with ``report_all``).
    Columns: :data:`BLACKOUT_COLUMNS`; ``ended`` is True when activity resumed, False when
    the entity never came back before the end of the data. Deterministic.
    """
    frame = as_event_frame(events)
    tests = silence_tests(
        frame,
        phone_to_entity=phone_to_entity,
        min_silence_hours=min_silence_hours,
        min_events=min_events,
        min_observed_days=min_observed_days,
        prior_hours=prior_hours,
        dispersion=dispersion,
        window_end=window_end,
    )
    return silence_rows(tests, kind, q_threshold, fdr_method, min_silence_hours, report_all)


def silence_rows(
    tests: SilenceTests | None,
    kind: str,
    q_threshold: float,
    fdr_method: Literal["bh", "by"],
    min_silence_hours: float,
    report_all: bool,
) -> pd.DataFrame:
    """Rows for the long gaps passing the FDR threshold (all long gaps with ``report_all``)."""
    if tests is None:
        return empty_blackouts()
    ev, lo, hi = tests.ev, tests.lo_h, tests.hi_h
    p, q = tests.p_value, fdr_qvalues(tests.p_value, method=fdr_method)
    duration = hi - lo
    long_gap = duration >= min_silence_hours
    keep = long_gap & ((q <= q_threshold) | report_all)
    log.info(
        "%s silences: %d entities tested, %d gaps, %d flagged",
        kind,
        len(tests.tested),
        len(p),
        int(np.count_nonzero(long_gap & (q <= q_threshold))),
    )
    idx = np.flatnonzero(keep)
    ent_k, lo_k, hi_k = tests.entity[idx], lo[idx], hi[idx]
    before = ev.count_between(ent_k, lo_k - _CONTEXT_H, lo_k)
    after = ev.count_between(ent_k, hi_k, hi_k + _CONTEXT_H)
    life_days = np.maximum((tests.end_h - tests.base.first_h[ent_k]) / 24.0, 1e-9)
    per_day = ev.counts()[ent_k] / life_days
    ids = ev.ids[ent_k].astype(str)
    also = _also_silent(ids, lo_k, hi_k, q[idx] <= q_threshold)
    resumed = tests.resumed
    evidence = [
        {
            "expected_events": round(float(tests.expected[i]), 2),
            "baseline_events_per_day": round(float(per_day[j]), 2),
            "events_7d_before": int(before[j]),
            "events_7d_after": int(after[j]) if resumed[i] else 0,
            "dispersion": round(float(tests.base.dispersion[ent_k[j]]), 4),
            "also_silent": also[j][:_ALSO_LIMIT],
            "also_silent_count": len(also[j]),
            "method": "hour-of-week gamma-Poisson, " + fdr_method.upper(),
        }
        for j, i in enumerate(idx)
    ]
    out = pd.DataFrame(
        {
            "kind": kind,
            "id": ids,
            "members": [[s] for s in ids],
            "start": from_hours(lo_k),
            "end": from_hours(hi_k),
            "duration_h": np.round(duration[idx], 2),
            "expected_events": tests.expected[idx],
            "p_value": p[idx],
            "q_value": q[idx],
            "ended": resumed[idx],
            "evidence": evidence,
        }
    )
    return out.sort_values(["p_value", "id", "start"], kind="stable").reset_index(drop=True)


def _also_silent(ids: Any, lo: FloatArray, hi: FloatArray, flagged: Any) -> list[list[str]]:
    """For each silence, the other flagged entities whose silence overlaps it, the longest
    overlap first (then by id)."""
    n = len(ids)
    result: list[list[str]] = [[] for _ in range(n)]
    order = np.argsort(lo, kind="stable")
    lo_s, hi_s = lo[order], hi[order]
    for a in range(n):
        i = order[a]
        stop = np.searchsorted(lo_s, hi[i], side="left")
        cand = order[:stop][hi_s[:stop] > lo[i]]
        cand = cand[np.asarray(flagged)[cand] & (ids[cand] != ids[i])]
        overlap = np.minimum(hi[cand], hi[i]) - np.maximum(lo[cand], lo[i])
        best: dict[str, float] = {}
        for name, h in zip(ids[cand], overlap, strict=True):
            best[str(name)] = max(best.get(str(name), 0.0), float(h))
        result[i] = sorted(best, key=lambda k: (-best[k], k))
    return result


def empty_blackouts() -> pd.DataFrame:
    """No rows, the columns of :data:`BLACKOUT_COLUMNS`."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in BLACKOUT_COLUMNS})
