"""Forecast methods: each turns the training incidents into expected incidents per cell.

Every method returns a (ny, nx) surface in the unit "incidents expected in the forecast
window" (the training rate carried forward), so surfaces compare across methods; ranking cells
is what the hit rate and PAI score (graphkit.hotspots.scoring).

* ``counts``: incidents per cell over the training window (retrospective hotspot mapping;
  the baseline every analyst has).
* ``kde``: a Gaussian kernel density of the training incidents, computed on the grid (binned
  KDE: the incidents' cell counts convolved with the kernel; exact up to the cell size),
  bandwidth ``bandwidth_m`` (Chainey, Tompson and Uhlig 2008, "The utility of hotspot mapping
  for predicting spatial patterns of crime", Security Journal 21).
* ``promap``: prospective hotspotting (Bowers, Johnson and Pease 2004, "Prospective
  hot-spotting: the future of crime mapping?", Br. J. Criminology 44): each incident counts
  ``1 / (1 + distance in cells)`` within ``promap_radius_m`` times ``1 / (1 + age in weeks)``
  at the start of the forecast window, so recent nearby incidents count most.
* ``sepp``: a self-exciting point process fitted by EM (graphkit.hotspots.sepp).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from graphkit.hotspots.grid import FloatArray, Grid

__all__ = [
    "BASELINES",
    "METHODS",
    "Incidents",
    "counts_surface",
    "kde_surface",
    "promap_surface",
]

METHODS = ("counts", "kde", "promap", "sepp")
BASELINES = ("counts", "kde")
DAY_S = 86_400.0
MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class Incidents:
    """Incidents on a grid: projected ``x``, ``y`` (metres), ``cell`` ids and ``t`` in days
    since 1970-01-01 (for month-resolution data the middle of the month). ``monthly``: the
    times are months, not instants."""

    x: FloatArray
    y: FloatArray
    t: FloatArray
    cell: npt.NDArray[np.int64]
    monthly: bool

    def __len__(self) -> int:
        return len(self.t)

    def between(self, start: float, end: float) -> Incidents:
        """The incidents with ``start <= t < end`` (days)."""
        keep = (self.t >= start) & (self.t < end)
        return Incidents(self.x[keep], self.y[keep], self.t[keep], self.cell[keep], self.monthly)

    def exposure_days(self, start: float, end: float) -> float:
        """How long the window ``[start, end)`` observed: its length, or for monthly data the
        months in it that hold an incident (police.uk extracts are often single months years
        apart)."""
        if not self.monthly:
            return max(end - start, 0.0)
        inside = self.t[(self.t >= start) & (self.t < end)]
        return float(len(np.unique(np.round(inside / MONTH_DAYS)))) * MONTH_DAYS


def _rate_scaled(
    surface: FloatArray, n_events: float, exposure: float, horizon: float
) -> FloatArray:
    """``surface`` rescaled so it sums to the training rate times the forecast ``horizon``."""
    total = float(surface.sum())
    if total <= 0 or exposure <= 0:
        return np.zeros_like(surface)
    return surface * (n_events * horizon / exposure / total)


def counts_surface(train: Incidents, grid: Grid, *, exposure: float, horizon: float) -> FloatArray:
    """Training incidents per cell, as expected incidents over ``horizon`` days."""
    hist = grid.histogram(train.cell)
    return _rate_scaled(hist, len(train), exposure, horizon)


def kde_surface(
    train: Incidents, grid: Grid, *, bandwidth_m: float, exposure: float, horizon: float
) -> FloatArray:
    """Gaussian KDE (standard deviation ``bandwidth_m``) of the training incidents per cell."""
    hist = grid.histogram(train.cell)
    smooth = ndimage.gaussian_filter(hist, sigma=bandwidth_m / grid.cell_m, mode="constant")
    return _rate_scaled(smooth, len(train), exposure, horizon)


def promap_kernel(grid: Grid, radius_m: float) -> FloatArray:
    """ProMap's spatial weights ``1 / (1 + d)``, ``d`` the distance between cell centres in
    cells, for every cell within ``radius_m``."""
    r = int(radius_m // grid.cell_m)
    dy, dx = np.mgrid[-r : r + 1, -r : r + 1]
    d = np.hypot(dx, dy)
    kernel: FloatArray = np.where(d * grid.cell_m <= radius_m, 1.0 / (1.0 + d), 0.0)
    return kernel


def promap_surface(
    train: Incidents,
    grid: Grid,
    *,
    start: float,
    radius_m: float,
    week_days: float = 7.0,
    exposure: float,
    horizon: float,
) -> FloatArray:
    """ProMap risk at the start ``start`` (days) of the forecast window."""
    age_weeks = np.maximum(start - train.t, 0.0) / week_days
    hist = grid.histogram(train.cell, 1.0 / (1.0 + age_weeks))
    risk = ndimage.convolve(hist, promap_kernel(grid, radius_m), mode="constant")
    return _rate_scaled(risk, len(train), exposure, horizon)
