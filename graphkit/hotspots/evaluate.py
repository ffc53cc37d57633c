"""Every method scored on the same windows: hit rate and PAI at 1, 5 and 10 % of the area.

The windows roll back from the one asked for: the training and forecast windows move back by
the forecast window's length while both still hold incidents, up to ``windows`` of them (a
police.uk extract of three single months allows one). Each method's figures are the means over
the windows; ``windows`` lists each one's, with the method ``auto`` chose there. The capture
curve (hit rate at every share of the area) is kept for the requested window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from graphkit.errors import InputError
from graphkit.hotspots.forecast import applicable_methods, forecast
from graphkit.hotspots.grid import FloatArray, Grid
from graphkit.hotspots.methods import METHODS
from graphkit.hotspots.scoring import capture_curve, score
from graphkit.hotspots.stage import Settings, load_incidents, study_area
from graphkit.hotspots.windows import Window

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["DEFAULT_METHOD", "evaluate_hotspots", "score_reference"]

log = logging.getLogger(__name__)

DEFAULT_METHOD = "auto"


def _rolled(train: Window, target: Window, k: int) -> tuple[Window, Window]:
    step = -k * target.days
    return train.shifted(step), target.shifted(step)


def evaluate_hotspots(store: CaseStore, settings: Settings, *, windows: int = 5) -> dict[str, Any]:
    """Scores of ``auto`` and of every method that applies (see the module docstring)."""
    if windows < 1:
        raise InputError("windows: must be at least 1")
    train, target = settings.windows()
    data = load_incidents(store, settings)
    grid, inc = data.grid, data.chosen
    methods = ("auto", *applicable_methods(inc))
    per_window: list[dict[str, Any]] = []
    curves: dict[str, list[float]] = {}
    for k in range(windows):
        tr, tg = _rolled(train, target, k)
        observed_inc = inc.between(tg.start, tg.end)
        if len(observed_inc) == 0 or len(inc.between(tr.start, tr.end)) == 0:
            if k == 0:
                raise InputError(
                    f"no incidents in the forecast window {tg.label()} to score against"
                    if len(observed_inc) == 0
                    else f"no incidents in the training window {tr.label()}"
                )
            break
        area = study_area(grid, data.all.between(tr.start, tr.end).cell, settings.area_buffer_cells)
        observed = grid.histogram(observed_inc.cell).ravel()
        row: dict[str, Any] = {
            "train": tr.label(),
            "forecast": tg.label(),
            "incidents": len(observed_inc),
            "outside_area": int(observed[~area].sum()),
            "methods": {},
        }
        for name in methods:
            result = forecast(name, inc, grid, tr, tg, settings.options(), area=area)
            risk = result.surface.ravel()
            # incidents outside the study area are misses for every method
            total = float(observed.sum())
            row["methods"][name] = score(risk[area], observed[area], total=total)
            if name == "auto":
                row["auto_chose"] = result.detail["chosen"]
            if k == 0:
                shares, rates = capture_curve(risk[area], observed[area], total=total)
                curves[name] = [round(float(r), 4) for r in rates]
        per_window.append(row)
    means = {
        name: {
            key: float(np.mean([w["methods"][name][key] for w in per_window]))
            for key in per_window[0]["methods"][name]
        }
        for name in methods
    }
    skipped = {m: "needs times finer than a month" for m in METHODS if m not in methods}
    return {
        "default": DEFAULT_METHOD,
        "methods": means,
        "not_applicable": skipped,
        "windows": per_window,
        "capture_curve": {"area_share": [round(float(s), 4) for s in shares], **curves},
        "cell_m": settings.cell_m,
        "types": list(settings.types) or "all",
        "monthly": inc.monthly,
        "area_cells": int(area.sum()),
        "sources": data.sources,
        "incidents_left_out_no_coordinates_or_time": data.unusable,
        "note": _note(means),
    }


def _note(means: dict[str, dict[str, float]]) -> str:
    """One sentence on how the default compares with the better baseline at 5 % of the area."""
    best = max(("counts", "kde"), key=lambda m: means[m]["pai_5"])
    ours, theirs = means[DEFAULT_METHOD]["pai_5"], means[best]["pai_5"]
    if math.isnan(ours) or math.isnan(theirs):
        return "no score: no incidents to score against"
    if ours > theirs * 1.02:
        return (
            f"auto beats the better baseline ({best}) at 5 % of the area: PAI {ours:.3g} vs "
            f"{theirs:.3g}"
        )
    if ours >= theirs:
        return (
            f"auto matches the better baseline ({best}) at 5 % of the area (PAI {ours:.3g} vs "
            f"{theirs:.3g}): nothing to gain over it on these data"
        )
    return (
        f"auto falls short of the better baseline ({best}) at 5 % of the area: PAI {ours:.3g} "
        f"vs {theirs:.3g}"
    )


def score_reference(
    store: CaseStore,
    settings: Settings,
    surface: Callable[[Grid, Window], FloatArray],
    *,
    windows: int = 5,
) -> list[dict[str, float]]:
    """Scores, on the windows and study areas :func:`evaluate_hotspots` uses, of a surface that
    comes from outside the methods (``surface(grid, forecast_window)``: expected incidents per
    cell, such as a simulator's true intensity): what a perfect ranking would reach."""
    train, target = settings.windows()
    data = load_incidents(store, settings)
    out = []
    for k in range(windows):
        tr, tg = _rolled(train, target, k)
        area = study_area(
            data.grid, data.all.between(tr.start, tr.end).cell, settings.area_buffer_cells
        )
        observed = data.grid.histogram(data.chosen.between(tg.start, tg.end).cell).ravel()
        risk = np.asarray(surface(data.grid, tg)).ravel()
        out.append(score(risk[area], observed[area], total=float(observed.sum())))
    return out
