"""One forecast: a method's surface over a window, and ``auto``, which picks the method by a
back-test inside the training window (never by looking at the forecast window).

``auto`` forecasts the last part of the training window (as long as the forecast window, or
for monthly data its last month with incidents) from the part before it with every method that
applies, and for data finer than a month does the same for the :data:`BACKTEST_WINDOWS` - 1
windows before that (shifted back by the forecast window's length, while the training part
stays at least as long); it keeps the method with the highest mean PAI at 5 % of the area (the
simplest on a tie: counts, kde, promap, sepp), and forecasts the real window with it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from graphkit.errors import InputError
from graphkit.hotspots.grid import FloatArray, Grid
from graphkit.hotspots.methods import (
    METHODS,
    MONTH_DAYS,
    Incidents,
    counts_surface,
    kde_surface,
    promap_surface,
)
from graphkit.hotspots.scoring import capture_curve, score
from graphkit.hotspots.sepp import SeppFit, fit_sepp, sepp_surface
from graphkit.hotspots.windows import Window

__all__ = ["Forecast", "ForecastOptions", "applicable_methods", "forecast", "run_method"]

log = logging.getLogger(__name__)

#: back-test windows auto averages over for data finer than a month (one for month data):
#: one day's back-test picked ProMap over SEPP by chance on simulated near-repeat data, three
#: pick steadily (bench/hotspots_accuracy.py, docs/hotspots.md)
BACKTEST_WINDOWS = 3


@dataclass(frozen=True)
class ForecastOptions:
    """The methods' own settings (metres and days)."""

    bandwidth_m: float
    promap_radius_m: float = 400.0
    sepp_max_days: float = 30.0
    sepp_max_m: float = 500.0
    sepp_max_events: int = 20_000


@dataclass
class Forecast:
    """A surface of expected incidents per cell and how it was made."""

    method: str
    surface: FloatArray
    detail: dict[str, Any] = field(default_factory=dict)
    fit: SeppFit | None = None  # the fitted process, for sepp


def applicable_methods(incidents: Incidents) -> tuple[str, ...]:
    """Every method the data allow (sepp needs times finer than a month)."""
    return tuple(m for m in METHODS if not (m == "sepp" and incidents.monthly))


def run_method(
    method: str,
    incidents: Incidents,
    grid: Grid,
    train: Window,
    target: Window,
    options: ForecastOptions,
    *,
    warm: SeppFit | None = None,
) -> Forecast:
    """Forecast ``target`` with ``method`` from the incidents in ``train`` (``warm``: a fit
    the sepp EM starts from)."""
    seen = incidents.between(train.start, train.end)
    if len(seen) == 0:
        raise InputError(f"no incidents in the training window {train.label()}")
    exposure = incidents.exposure_days(train.start, train.end)
    horizon = target.days
    if incidents.monthly:
        horizon = max(round(target.days / MONTH_DAYS), 1) * MONTH_DAYS
    match method:
        case "counts":
            surface = counts_surface(seen, grid, exposure=exposure, horizon=horizon)
            return Forecast(method, surface)
        case "kde":
            surface = kde_surface(
                seen, grid, bandwidth_m=options.bandwidth_m, exposure=exposure, horizon=horizon
            )
            return Forecast(method, surface, {"bandwidth_m": options.bandwidth_m})
        case "promap":
            surface = promap_surface(
                seen,
                grid,
                start=target.start,
                radius_m=options.promap_radius_m,
                exposure=exposure,
                horizon=horizon,
            )
            return Forecast(method, surface, {"radius_m": options.promap_radius_m})
        case "sepp":
            fit = fit_sepp(
                seen,
                grid,
                start=train.start,
                end=train.end,
                bandwidth_m=options.bandwidth_m,
                max_days=options.sepp_max_days,
                max_m=options.sepp_max_m,
                max_events=options.sepp_max_events,
                initial=warm,
            )
            surface = sepp_surface(fit, seen, grid, start=target.start, end=target.end)
            return Forecast(method, surface, fit.summary(), fit)
    raise InputError(f"unknown method {method!r}; choose auto or one of {', '.join(METHODS)}")


def _backtest_split(
    incidents: Incidents, train: Window, horizon_days: float
) -> tuple[Window, Window] | None:
    """(earlier part, last part) of ``train`` for the back-test, or None if it cannot be split."""
    inside = incidents.between(train.start, train.end)
    if len(inside) == 0:
        return None
    if incidents.monthly:
        # times are mid-months: the last month with incidents starts half a month before
        last = float(inside.t.max())
        if float(inside.t.min()) >= last:
            return None
        cut, last_end = last - MONTH_DAYS / 2, train.end
        horizon_days = min(horizon_days, cut - train.start)
    else:
        cut = train.end - horizon_days
        last_end = train.end
    if cut - train.start < horizon_days or len(incidents.between(cut, last_end)) == 0:
        return None
    return Window(train.start, cut, "back-test training"), Window(cut, last_end, "back-test")


def forecast(
    method: str,
    incidents: Incidents,
    grid: Grid,
    train: Window,
    target: Window,
    options: ForecastOptions,
    *,
    area: npt.NDArray[np.bool_],
) -> Forecast:
    """Forecast ``target`` with ``method`` (``auto`` chooses by back-test; see the module
    docstring). ``area`` flags the cells of the study area (a flat mask over the grid)."""
    if method != "auto":
        if method == "sepp" and incidents.monthly:
            run_method(method, incidents, grid, train, target, options)  # raises the one line
        return run_method(method, incidents, grid, train, target, options)
    candidates = applicable_methods(incidents)
    split = _backtest_split(incidents, train, target.days)
    scores: dict[str, float] = {}
    curves: dict[str, list[float]] = {}
    window: dict[str, str] = {}
    warm: SeppFit | None = None
    rounds = 0
    if split is None:
        chosen = "promap"
        reason = "the training window is too short to back-test; promap by default"
    else:
        early, last = split
        rounds = 1 if incidents.monthly else BACKTEST_WINDOWS
        per: dict[str, list[float]] = {}
        for k in range(rounds):  # the last part of training, then the parts before it
            shift = k * last.days
            fit_on = Window(early.start, early.end - shift, early.text)
            scored_on = Window(last.start - shift, last.end - shift, last.text)
            if fit_on.days < last.days:
                break
            seen = incidents.between(scored_on.start, scored_on.end).cell
            observed = grid.histogram(seen).ravel()[area]
            if observed.sum() == 0:
                break
            for name in candidates:
                try:
                    trial = run_method(name, incidents, grid, fit_on, scored_on, options)
                except InputError as exc:
                    log.info("auto: %s not tried: %s", name, exc)
                    continue
                risk = trial.surface.ravel()[area]
                per.setdefault(name, []).append(score(risk, observed)["pai_5"])
                if k == 0:
                    warm = trial.fit or warm
                    curves[name] = [round(float(r), 4) for r in capture_curve(risk, observed)[1]]
        scores = {name: float(np.mean(v)) for name, v in per.items()}
        rounds = min(rounds, len(next(iter(per.values()), [])))
        window = {"train": early.label(), "forecast": last.label()}
        if not scores:  # no method could be fitted on the back-test's training part
            chosen = "promap"
            reason = f"no method could be back-tested on {early.label()}; promap by default"
        else:
            chosen = max(scores, key=lambda m: (scores[m], -candidates.index(m)))
            reason = f"highest PAI at 5 % forecasting {last.label()} from {early.label()}" + (
                f"; mean of {rounds} back-tests, each shifted back by the forecast's length"
                if rounds > 1
                else ""
            )
    result = run_method(chosen, incidents, grid, train, target, options, warm=warm)
    result.detail = {
        **result.detail,
        "chosen": chosen,
        "why": reason,
        "backtest_pai_5": scores,
        "backtest_window": window,
        "backtest_rounds": rounds if split is not None else 0,
        "backtest_curves": curves,
    }
    result.method = "auto"
    return result
