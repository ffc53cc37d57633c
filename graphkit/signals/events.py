"""Event frames for the signal analytics (blackouts, hand-offs): validation, time axis, baselines.

The input is a frame of communication events with the columns of the staging table ``src_cdr``
(``caller``, ``callee``, ``start`` as UTC timestamps; ``cell_id`` and ``imei`` where present).
Every event counts as activity for both of its ends. Times are handled as float hours since
Monday 1970-01-05 00:00 UTC, so that ``floor(t) mod 168`` is the hour-of-week bin (Monday 00h
first, UTC, as in the declared ``Phone.hour_of_week`` property).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from graphkit.errors import InputError

__all__ = [
    "HOURS_PER_WEEK",
    "Baseline",
    "EntityEvents",
    "as_event_frame",
    "cumulative_exposure",
    "entity_events",
    "from_hours",
    "hour_of_week_baseline",
    "to_hours",
]

log = logging.getLogger(__name__)

HOURS_PER_WEEK = 168
_EPOCH_MONDAY = pd.Timestamp("1970-01-05", tz="UTC")
_REQUIRED = ("caller", "callee", "start")
_SHRINK_DAYS = 14.0  # days of prior weight given to the population dispersion

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]


def as_event_frame(events: Any, *, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A pandas frame from a pandas frame, a pyarrow table or a DuckDB relation.

    Checks that ``caller``, ``callee``, ``start`` (and ``columns``) are present; raises
    :class:`InputError` otherwise. The input is not modified.
    """
    if isinstance(events, pd.DataFrame):
        frame = events
    elif hasattr(events, "to_pandas"):  # pyarrow.Table
        frame = events.to_pandas()
    elif hasattr(events, "df"):  # duckdb relation
        frame = events.df()
    else:
        raise InputError(
            f"events must be a DataFrame, Arrow table or DuckDB relation, got "
            f"{type(events).__name__}"
        )
    missing = [c for c in (*_REQUIRED, *columns) if c not in frame.columns]
    if missing:
        raise InputError(f"events lack the column(s) {', '.join(missing)}")
    return frame


def to_hours(values: Any) -> FloatArray:
    """Float hours since Monday 1970-01-05 00:00 UTC; naive timestamps are taken as UTC."""
    ts = pd.to_datetime(pd.Series(values), utc=True, errors="coerce")
    hours: FloatArray = (ts - _EPOCH_MONDAY).dt.total_seconds().to_numpy(dtype=np.float64)
    return hours / 3600.0


def from_hours(hours: Any) -> pd.Series:
    """UTC timestamps (rounded to the second) from hours since the Monday epoch."""
    seconds = np.round(np.asarray(hours, dtype=np.float64) * 3600.0).astype(np.int64)
    return pd.Series(_EPOCH_MONDAY + pd.to_timedelta(seconds, unit="s"))


def cumulative_exposure(t_h: FloatArray) -> FloatArray:
    """Hours spent in each hour-of-week bin between the epoch and each time: shape (n, 168).

    The exposure of an interval ``[a, b)`` per bin is ``C(b) - C(a)``.
    """
    t = np.asarray(t_h, dtype=np.float64)
    weeks = np.floor(t / HOURS_PER_WEEK)
    rest = t - weeks * HOURS_PER_WEEK
    bins = np.arange(HOURS_PER_WEEK, dtype=np.float64)
    exposure: FloatArray = weeks[:, None] + np.clip(rest[:, None] - bins[None, :], 0.0, 1.0)
    return exposure


@dataclass(frozen=True)
class EntityEvents:
    """Events per entity (a phone, or an actor owning phones), sorted by entity then time.

    ``entity[k]`` indexes ``ids``; ``row[k]`` is the row of the event in the input frame;
    ``offsets[i]:offsets[i+1]`` are the events of entity ``i``.
    """

    ids: ObjArray
    entity: IntArray
    t_h: FloatArray
    row: IntArray
    offsets: IntArray

    @property
    def n_entities(self) -> int:
        return len(self.ids)

    def counts(self) -> IntArray:
        return np.diff(self.offsets)

    def count_between(self, entity: IntArray, lo_h: FloatArray, hi_h: FloatArray) -> IntArray:
        """Events of ``entity[j]`` with ``lo_h[j] <= t <= hi_h[j]`` (vectorised).

        Entities are laid end to end on one axis, each ``stride`` hours apart (a power of
        two just above the span of the data, so keys stay small and exact to well under a
        second; bounds are clipped to the entity's own stretch)."""
        t0, stride, key = self._axis
        e = entity.astype(np.float64) * stride
        lo = np.clip(np.asarray(lo_h, dtype=np.float64) - t0, -0.5, stride - 0.5)
        hi = np.clip(np.asarray(hi_h, dtype=np.float64) - t0, -0.5, stride - 0.5)
        left = np.searchsorted(key, e + lo, side="left")
        right = np.searchsorted(key, e + hi, side="right")
        return np.asarray(np.maximum(right - left, 0), dtype=np.int64)

    @cached_property
    def _axis(self) -> tuple[float, float, FloatArray]:
        """(origin, stride, sorted keys) of :meth:`count_between`, computed once."""
        t0 = float(self.t_h.min()) if len(self.t_h) else 0.0
        span = float(self.t_h.max() - t0) if len(self.t_h) else 0.0
        stride = float(2.0 ** np.ceil(np.log2(span + 2.0)))
        return t0, stride, self.entity.astype(np.float64) * stride + (self.t_h - t0)


def entity_events(
    frame: pd.DataFrame,
    *,
    phone_to_entity: Mapping[str, str] | None = None,
    t_h: FloatArray | None = None,
) -> EntityEvents:
    """Stack the caller and callee ends of every event as activity of their entity.

    With ``phone_to_entity`` phones are collapsed onto their entity (phones not in it stay
    themselves); an event between two phones of one entity counts once for it. Events with
    an unreadable time are dropped (and logged).
    """
    times = to_hours(frame["start"]) if t_h is None else t_h
    n = len(frame)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    ends = pd.concat([frame["caller"], frame["callee"]], ignore_index=True)
    if phone_to_entity:
        mapped = ends.map(dict(phone_to_entity))
        ends = mapped.where(mapped.notna(), ends)
    keep = ends.notna().to_numpy() & np.isfinite(np.concatenate([times, times]))
    bad = int(np.count_nonzero(~np.isfinite(times)))
    if bad:
        log.warning("%d events without a readable start time were left out", bad)
    ends_kept = ends[keep].astype(str).to_numpy()
    rows = rows[keep]
    codes, ids = pd.factorize(ends_kept, sort=True)
    codes = codes.astype(np.int64)
    # one activity per (entity, event): an event between two phones of an actor counts once
    pair = codes * (n + 1) + rows
    _, first = np.unique(pair, return_index=True)
    codes, rows = codes[first], rows[first]
    t = times[rows]
    order = np.lexsort((t, codes))
    codes, rows, t = codes[order], rows[order], t[order]
    offsets = np.searchsorted(codes, np.arange(len(ids) + 1)).astype(np.int64)
    return EntityEvents(np.asarray(ids, dtype=object), codes, t, rows.astype(np.int64), offsets)


@dataclass(frozen=True)
class Baseline:
    """Hour-of-week activity baseline of each entity over its observed life.

    ``counts`` and ``exposure_h`` are (n, 168): events and hours observed per bin between the
    entity's first event and ``end_h``. ``shape`` is the population profile (mean 1 over the
    week); ``prior_hours`` the pseudo-exposure per bin given to the prior ``rate * shape``;
    ``dispersion`` the day-level over-dispersion ``1/k`` of a gamma-Poisson model (0 = Poisson).
    """

    counts: FloatArray
    exposure_h: FloatArray
    first_h: FloatArray
    end_h: float
    shape: FloatArray
    prior_hours: float
    dispersion: FloatArray

    def rates(
        self, *, left_out: FloatArray | None = None, rows: IntArray | None = None
    ) -> FloatArray:
        """Smoothed events per hour per bin, optionally leaving out an exposure (e.g. a gap).

        ``rate_b = (c_b + a * r * s_b) / (E_b + a)`` with ``r`` the entity's overall rate and
        ``s`` the population shape: a shrinkage of each bin towards the entity's own level.
        """
        counts = self.counts if rows is None else self.counts[rows]
        exposure = self.exposure_h if rows is None else self.exposure_h[rows]
        if left_out is not None:
            exposure = np.maximum(exposure - left_out, 0.0)
        total_h = np.maximum(exposure.sum(axis=1, keepdims=True), 1.0)
        overall = counts.sum(axis=1, keepdims=True) / total_h
        a = self.prior_hours
        return np.asarray((counts + a * overall * self.shape[None, :]) / (exposure + a))


def hour_of_week_baseline(
    ev: EntityEvents,
    *,
    end_h: float,
    prior_hours: float = 1.0,
    dispersion: float | None = None,
) -> Baseline:
    """Per-entity hour-of-week baseline, with a population shape and a day-level dispersion.

    ``dispersion=None`` estimates ``1/k`` of a gamma-Poisson (negative binomial) model of
    daily counts per entity by the method of moments, ``sum((n - mu)^2 - n) / sum(mu^2)``
    over its full days, shrunk towards the population median (the median over entities with
    two weeks of data, robust to the blackouts being looked for) with a weight of 14 days.
    """
    n = ev.n_entities
    first = ev.t_h[ev.offsets[:-1]] if n else np.zeros(0)
    hour_bin = np.floor(ev.t_h).astype(np.int64) % HOURS_PER_WEEK
    counts = np.bincount(ev.entity * HOURS_PER_WEEK + hour_bin, minlength=n * HOURS_PER_WEEK)
    counts_f = counts.reshape(n, HOURS_PER_WEEK).astype(np.float64)
    end_cum = cumulative_exposure(np.array([end_h]))
    exposure = np.maximum(end_cum - cumulative_exposure(first), 0.0)
    pooled = counts_f.sum(axis=0) / np.maximum(exposure.sum(axis=0), 1e-9)
    shape = pooled / max(float(pooled.mean()), 1e-12)
    shape = np.where(shape > 0, shape, 1e-3)
    base = Baseline(counts_f, exposure, first, end_h, shape, prior_hours, np.zeros(n))
    phi = _estimate_dispersion(ev, base) if dispersion is None else np.full(n, float(dispersion))
    return Baseline(counts_f, exposure, first, end_h, shape, prior_hours, phi)


def _estimate_dispersion(ev: EntityEvents, base: Baseline) -> FloatArray:
    n = ev.n_entities
    if n == 0:
        return np.zeros(0)
    rates = base.rates()
    per_weekday = rates.reshape(n, 7, 24).sum(axis=2)  # expected events per day of week
    day0 = np.ceil(base.first_h / 24.0).astype(np.int64)
    day_end = int(np.floor(base.end_h / 24.0))
    d_min = int(day0.min())
    n_days = max(day_end - d_min, 0)
    if n_days == 0:
        return np.zeros(n)
    day = np.floor(ev.t_h / 24.0).astype(np.int64) - d_min
    ok = (day >= 0) & (day < n_days)
    obs = np.bincount(ev.entity[ok] * n_days + day[ok], minlength=n * n_days)
    obs_f = obs.reshape(n, n_days).astype(np.float64)
    days = np.arange(n_days) + d_min
    last_day = np.floor(ev.t_h[ev.offsets[1:] - 1] / 24.0).astype(np.int64)
    valid = (days[None, :] >= day0[:, None]) & (days[None, :] < last_day[:, None])
    mu = per_weekday[:, days % 7]
    num = np.where(valid, (obs_f - mu) ** 2 - obs_f, 0.0).sum(axis=1)
    den = np.where(valid, mu**2, 0.0).sum(axis=1)
    n_valid = valid.sum(axis=1)
    own = np.where(den > 0, num / np.maximum(den, 1e-12), 0.0)
    enough = (n_valid >= 14) & (den > 0)
    pooled = float(np.median(own[enough])) if enough.any() else 0.0
    weight = n_valid / (n_valid + _SHRINK_DAYS)
    floor = _zero_day_dispersion(obs_f, mu, valid)
    phi = np.maximum(weight * own + (1.0 - weight) * pooled, floor)
    log.debug("day-level dispersion: median 1/k = %.3f, empty-day floor %.3f", pooled, floor)
    return np.asarray(phi, dtype=np.float64)


def _zero_day_dispersion(obs: FloatArray, mu: FloatArray, valid: npt.NDArray[np.bool_]) -> float:
    """Pooled ``1/k`` at which the gamma-Poisson predicts as many empty days as were seen.

    Only days expecting two events or more count; empty days in runs of three or more are
    left out (those are the silences being looked for). The variance-based estimate can be
    right on average and still too thin in the zero tail, which is what the tests use.
    """
    zero = (obs == 0) & valid
    run3 = zero[:, :-2] & zero[:, 1:-1] & zero[:, 2:]
    in_run = np.zeros_like(zero)
    for shift in range(3):
        in_run[:, shift : shift + run3.shape[1]] |= run3
    use = valid & ~in_run & (mu >= 2.0)
    m = mu[use]
    observed = float(np.count_nonzero(zero[use]))
    if len(m) == 0 or observed <= float(np.exp(-m).sum()):
        return 0.0
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        expected = float(np.exp(-np.log1p(m * mid) / mid).sum())
        lo, hi = (mid, hi) if expected < observed else (lo, mid)
    return 0.5 * (lo + hi)
