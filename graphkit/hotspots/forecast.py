"""One forecast: a method's surface over a window, and ``auto``, which picks the method by a
back-test inside the training window (never by looking at the forecast window).

``auto`` forecasts the last part of the training window (as long as the forecast window, or
for monthly data its last month with incidents) from the part before it with every method that
applies, keeps the one with the highest PAI at 5 % of the area (the simplest on a tie:
counts, kde, promap, sepp), and forecasts the real window with it.
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
    if split is None:
        chosen = "promap"
        reason = "the training window is too short to back-test; promap by default"
    else:
        early, last = split
        observed = grid.histogram(incidents.between(last.start, last.end).cell).ravel()[area]
        for name in candidates:
            try:
                trial = run_method(name, incidents, grid, early, last, options)
            except InputError as exc:
                log.info("auto: %s not tried: %s", name, exc)
                continue
            warm = trial.fit or warm
            scores[name] = score(trial.surface.ravel()[area], observed)["pai_5"]
            rates = capture_curve(trial.surface.ravel()[area], observed)[1]
            curves[name] = [round(float(r), 4) for r in rates]
        chosen = max(scores, key=lambda m: (scores[m], -candidates.index(m)))
        reason = f"highest PAI at 5 % forecasting {last.label()} from {early.label()}"
        window = {"train": early.label(), "forecast": last.label()}
    result = run_method(chosen, incidents, grid, train, target, options, warm=warm)
    result.detail = {
        **result.detail,
        "chosen": chosen,
        "why": reason,
        "backtest_pai_5": scores,
        "backtest_window": window,
        "backtest_curves": curves,
    }
    result.method = "auto"
    return result
