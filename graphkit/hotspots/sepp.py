"""A self-exciting point process for crime (Mohler et al. 2011), fitted by EM.

Conditional intensity at place ``s`` and time ``t`` (per day per square metre)::

    lambda(s, t) = mu b(s) + sum_{t_j < t} theta omega exp(-omega (t - t_j)) g_sigma(s - s_j)

``b`` is a spatial background density (a Gaussian KDE of the incidents weighted by their
probability of being background, computed on the grid), ``mu`` the background rate (incidents
per day), ``theta`` the expected number of incidents one incident triggers (the branching
ratio), ``1 / omega`` the mean delay in days and ``g_sigma`` an isotropic Gaussian of standard
deviation ``sigma`` metres: the near-repeat effect. Parameters are estimated by the EM
algorithm of stochastic declustering (Veen and Schoenberg 2008; Mohler et al. 2011, "Self-
exciting point process modeling of crime", JASA 106; Mohler et al. 2015, "Randomized controlled
field trials of predictive policing", JASA 110): the E-step gives each incident the probability
that it is background or was triggered by each earlier incident within ``max_days`` and
``max_m``; the M-step re-estimates the parameters from those probabilities.

The forecast for a window ``[t0, t1)`` is the intensity integrated over each cell and the window,
given the incidents before ``t0``. It needs timestamps: on month-resolution data the triggering
delay cannot be estimated and the method is refused.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from graphkit.errors import InputError
from graphkit.hotspots.grid import FloatArray, Grid
from graphkit.hotspots.methods import Incidents
from graphkit.settings import SettingsError

__all__ = ["SeppFit", "fit_sepp", "sepp_surface"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SeppFit:
    """Fitted parameters: ``mu`` per day, ``theta`` offspring per incident, ``omega`` per day,
    ``sigma_m``; ``background`` is the (ny, nx) share of background incidents per cell (sums
    to 1); ``iterations`` and ``converged`` of the EM; ``n_fit`` incidents used."""

    mu: float
    theta: float
    omega: float
    sigma_m: float
    background: FloatArray
    iterations: int
    converged: bool
    n_fit: int
    log_likelihood: float

    def summary(self) -> dict[str, float | int | bool]:
        return {
            "background_per_day": self.mu,
            "branching_ratio": self.theta,
            "mean_delay_days": 1.0 / self.omega,
            "sigma_m": self.sigma_m,
            "em_iterations": self.iterations,
            "em_converged": self.converged,
            "incidents_fitted": self.n_fit,
            "log_likelihood": self.log_likelihood,
        }


def _pairs(
    inc: Incidents, children: np.ndarray, max_days: float, max_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """(parent, child) index pairs, the child among ``children`` (indices), with
    0 < t_child - t_parent <= max_days and distance <= max_m."""
    pts = np.column_stack([inc.x / max_m, inc.y / max_m, inc.t / max_days])
    near = cKDTree(pts[children]).sparse_distance_matrix(
        cKDTree(pts), 1.0, p=np.inf, output_type="ndarray"
    )
    child, parent = children[near["i"]], near["j"].astype(np.int64)
    dt = inc.t[child] - inc.t[parent]
    d2 = (inc.x[child] - inc.x[parent]) ** 2 + (inc.y[child] - inc.y[parent]) ** 2
    keep = (dt > 0) & (d2 <= max_m**2)
    return parent[keep], child[keep]


def _background(
    grid: Grid,
    cells: np.ndarray,
    weights: FloatArray,
    bandwidth_m: float,
    older: FloatArray | None = None,
    older_share: float = 0.0,
) -> FloatArray:
    """The background density per cell: the fitted incidents weighted by their chance of
    being background, plus the older incidents at the background share, smoothed."""
    hist = grid.histogram(cells, weights)
    if older is not None:
        hist = hist + older * older_share
    smooth = ndimage.gaussian_filter(hist, sigma=bandwidth_m / grid.cell_m, mode="constant")
    total = float(smooth.sum())
    return smooth / total if total > 0 else np.full(grid.shape, 1.0 / grid.n_cells)


def fit_sepp(
    train: Incidents,
    grid: Grid,
    *,
    start: float,
    end: float,
    bandwidth_m: float,
    max_days: float = 30.0,
    max_m: float = 500.0,
    max_events: int = 20_000,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
    initial: SeppFit | None = None,
) -> SeppFit:
    """Fit the process to the training incidents in ``[start, end)`` (days) by EM.

    Only the latest ``max_events`` incidents are fitted (the parameters of a recent window;
    the forecast still uses every incident); the ``max_days`` before them take part as
    possible triggers only, so incidents at the window's start are not all taken for
    background. Triggering is looked for within ``max_days`` and ``max_m`` (so ``sigma`` stays
    below ``max_m / 3``). ``bandwidth_m`` smooths the background. The training incidents
    before the fitted ones enter the background at the share the fit gives background
    incidents (``1 - theta``). ``initial``: a fit to start the EM from (a warm start).
    """
    if train.monthly:
        raise SettingsError(
            "method",
            "sepp needs times finer than a month (its triggering delay is days); these incidents "
            "have months only: use promap, kde or counts",
        )
    inside = train.between(start, end)
    if len(inside) > max_events:
        start = float(np.sort(inside.t)[len(inside) - max_events])
    inc = train.between(start - max_days, end)  # the incidents before ``start`` only trigger
    fitted = inc.t >= start
    n = int(fitted.sum())
    if n < 20:
        raise InputError(f"sepp needs at least 20 incidents in the training window, not {n}")
    span = max(end - start, 1e-9)
    own = np.flatnonzero(fitted)
    parent, child = _pairs(inc, own, max_days, max_m)
    dt = (inc.t[child] - inc.t[parent]).astype(np.float32)
    d2 = ((inc.x[child] - inc.x[parent]) ** 2 + (inc.y[child] - inc.y[parent]) ** 2).astype(
        np.float32
    )
    cell_area = grid.cell_m**2
    older = train.between(-math.inf, start)  # training incidents before the fitted ones
    older_hist = grid.histogram(older.cell) if len(older) else None
    theta, omega, sigma = 0.5, 1.0 / 7.0, max_m / 6
    if initial is not None:
        theta, omega, sigma = initial.theta, initial.omega, min(initial.sigma_m, max_m / 3)
    background = _background(grid, inc.cell[own], np.ones(n), bandwidth_m, older_hist, 1 - theta)
    mu = n * (1 - theta) / span
    # each incident's window for triggering inside [start, end): from max(t_j, start)
    before = np.maximum(start - inc.t, 0.0)
    after = np.minimum(end - inc.t, max_days)
    converged, iterations, loglik = False, 0, -math.inf
    for iterations in range(1, max_iterations + 1):  # noqa: B007
        bg = np.zeros(len(inc))
        bg[own] = mu * background.ravel()[inc.cell[own]] / cell_area
        kernel = np.exp(np.float32(-omega) * dt - d2 * np.float32(1 / (2 * sigma**2)))
        trig = (theta * omega / (2 * math.pi * sigma**2) * kernel).astype(np.float64)
        lam = bg + np.bincount(child, weights=trig, minlength=len(inc))
        p_bg = bg[own] / lam[own]
        p_trig = trig / lam[child]
        exposure = float(
            np.sum(np.exp(-omega * before) - np.exp(-omega * np.maximum(after, before)))
        )
        new_loglik = float(np.sum(np.log(lam[own]))) - mu * span - theta * exposure
        n_trig = float(p_trig.sum())
        new_theta = min(n_trig / max(exposure, 1e-9), 0.95)
        if n_trig > 1e-9:
            new_omega = max(n_trig / float(np.dot(p_trig, dt)), 1.0 / max_days)
            new_sigma = min(math.sqrt(float(np.dot(p_trig, d2)) / (2 * n_trig)), max_m / 3)
            new_sigma = max(new_sigma, 1.0)
        else:
            new_omega, new_sigma = omega, sigma
        mu = float(p_bg.sum()) / span
        background = _background(grid, inc.cell[own], p_bg, bandwidth_m, older_hist, 1 - theta)
        change = max(
            abs(new_theta - theta),
            abs(new_omega - omega) / omega,
            abs(new_sigma - sigma) / sigma,
        )
        theta, omega, sigma = new_theta, new_omega, new_sigma
        done = abs(new_loglik - loglik) <= tolerance * max(1.0, abs(new_loglik)) and change < 5e-3
        loglik = new_loglik
        if done:
            converged = True
            break
    log.info(
        "sepp: theta %.3f, delay %.2f d, sigma %.0f m, %d iterations",
        theta,
        1 / omega,
        sigma,
        iterations,
    )
    return SeppFit(
        mu=mu,
        theta=theta,
        omega=omega,
        sigma_m=sigma,
        background=background,
        iterations=iterations,
        converged=converged,
        n_fit=n,
        log_likelihood=loglik,
    )


def sepp_surface(
    fit: SeppFit, train: Incidents, grid: Grid, *, start: float, end: float
) -> FloatArray:
    """Expected incidents per cell in ``[start, end)`` given the incidents before ``start``:
    the background plus each incident's triggered intensity over the window (binned onto its
    cell, spread by the Gaussian)."""
    past = train.between(-math.inf, start)
    age_start = start - past.t
    mass = fit.theta * (
        np.exp(-fit.omega * age_start) - np.exp(-fit.omega * (age_start + end - start))
    )
    live = mass > 1e-12
    hist = grid.histogram(past.cell[live], mass[live])
    triggered = ndimage.gaussian_filter(hist, sigma=fit.sigma_m / grid.cell_m, mode="constant")
    surface: FloatArray = fit.mu * (end - start) * fit.background + triggered
    return surface
