"""Each method against a brute-force computation on small grids, and the EM against the
parameters a simulation was drawn with."""

from __future__ import annotations

import numpy as np
import pytest

from graphkit.errors import InputError
from graphkit.hotspots.forecast import ForecastOptions, forecast
from graphkit.hotspots.grid import Grid
from graphkit.hotspots.methods import Incidents, kde_surface, promap_kernel, promap_surface
from graphkit.hotspots.sepp import fit_sepp
from graphkit.hotspots.windows import Window
from graphkit.simulate.incidents import INCIDENT_CRS, IncidentSpec, simulate_incidents


def _incidents(n: int, seed: int, *, monthly: bool = False) -> tuple[Incidents, Grid]:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 2_000, n), rng.uniform(0, 2_000, n)
    grid = Grid(crs=INCIDENT_CRS, x0=0.0, y0=0.0, cell_m=100.0, nx=20, ny=20)
    return Incidents(x, y, rng.uniform(0, 60, n), grid.cell_of(x, y), monthly), grid


def test_binned_kde_matches_direct_kernel_sum() -> None:
    inc, grid = _incidents(300, 1)
    surface = kde_surface(inc, grid, bandwidth_m=200.0, exposure=60.0, horizon=60.0)
    cx, cy = grid.centres(np.arange(grid.n_cells))
    d2 = (cx[:, None] - inc.x[None, :]) ** 2 + (cy[:, None] - inc.y[None, :]) ** 2
    direct = np.exp(-d2 / (2 * 200.0**2)).sum(axis=1)
    assert np.corrcoef(surface.ravel(), direct)[0, 1] > 0.98
    assert surface.sum() == pytest.approx(300.0)  # the training rate over the horizon


def test_promap_equals_its_definition() -> None:
    inc, grid = _incidents(200, 2)
    start = 61.0
    surface = promap_surface(inc, grid, start=start, radius_m=250.0, exposure=60.0, horizon=1.0)
    kernel = promap_kernel(grid, 250.0)
    r = kernel.shape[0] // 2
    brute = np.zeros(grid.shape)
    for cell, t in zip(inc.cell, inc.t, strict=True):
        iy, ix = divmod(int(cell), grid.nx)
        for dy in range(-r, r + 1):
            for dx in range(-r, r + 1):
                if 0 <= iy + dy < grid.ny and 0 <= ix + dx < grid.nx:
                    d = np.hypot(dx, dy)
                    if d * grid.cell_m <= 250.0:
                        brute[iy + dy, ix + dx] += 1 / (1 + d) / (1 + (start - t) / 7)
    brute *= 200 * 1.0 / 60.0 / brute.sum()
    np.testing.assert_allclose(surface, brute, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_em_recovers_the_simulated_near_repeat(seed: int) -> None:
    spec = IncidentSpec(seed=seed)
    sim = simulate_incidents(spec)
    grid = Grid.covering(sim.x, sim.y, crs=INCIDENT_CRS, cell_m=200.0)
    inc = Incidents(sim.x, sim.y, sim.t, grid.cell_of(sim.x, sim.y), False)
    fit = fit_sepp(inc, grid, start=0.0, end=float(spec.days), bandwidth_m=200.0)
    assert fit.converged
    assert abs(fit.theta - spec.branching_ratio) < 0.08
    assert abs(1 / fit.omega - spec.mean_delay_days) / spec.mean_delay_days < 0.2
    assert abs(fit.sigma_m - spec.trigger_sigma_m) / spec.trigger_sigma_m < 0.1
    assert abs(fit.mu - spec.background_per_day) / spec.background_per_day < 0.15


def test_em_finds_no_excitation_where_there_is_none() -> None:
    sim = simulate_incidents(IncidentSpec(seed=4, branching_ratio=0.0))
    grid = Grid.covering(sim.x, sim.y, crs=INCIDENT_CRS, cell_m=200.0)
    inc = Incidents(sim.x, sim.y, sim.t, grid.cell_of(sim.x, sim.y), False)
    fit = fit_sepp(inc, grid, start=0.0, end=120.0, bandwidth_m=200.0)
    assert fit.theta < 0.05


def test_sepp_refuses_monthly_data() -> None:
    inc, grid = _incidents(100, 3, monthly=True)
    with pytest.raises(InputError, match="finer than a month"):
        fit_sepp(inc, grid, start=0.0, end=60.0, bandwidth_m=100.0)


def test_auto_falls_back_to_promap_when_no_back_test_can_be_fitted() -> None:
    """Training starts before the first incident and the back-test's training part holds
    none (evaluate-hotspots rolls windows back past the data): ProMap, with the reason."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 2_000, 400), rng.uniform(0, 2_000, 400)
    grid = Grid(crs=INCIDENT_CRS, x0=0.0, y0=0.0, cell_m=100.0, nx=20, ny=20)
    inc = Incidents(x, y, rng.uniform(34, 60, 400), grid.cell_of(x, y), False)
    result = forecast(
        "auto",
        inc,
        grid,
        Window(0.0, 40.0, "train"),
        Window(40.0, 47.0, "target"),
        ForecastOptions(bandwidth_m=200.0),
        area=np.ones(grid.n_cells, dtype=bool),
    )
    assert result.detail["chosen"] == "promap"
    assert result.detail["backtest_pai_5"] == {}
    assert "no method could be back-tested" in result.detail["why"]
    assert result.surface.sum() > 0
