"""Simulated incidents with a known intensity: a background plus near-repeat self-excitation.

A Hawkes process on a square region (metres, UTM zone 30N around Leeds, written out as
longitude/latitude): background incidents arrive at ``background_per_day`` and fall around
fixed hotspots (a mixture of Gaussians plus a uniform share); each incident triggers a
Poisson(``branching_ratio``) number of others, after an exponential delay (mean
``mean_delay_days``) and a Gaussian displacement (``trigger_sigma_m``): the near-repeat effect
of burglary (Johnson et al. 2007). Simulated by branching (Zhuang, Ogata and Vere-Jones 2002).
Because the parameters are known, :func:`expected_counts` gives the true expected incidents
per grid cell in a window given the history, against which a forecast's risk is compared.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr

__all__ = [
    "INCIDENT_CRS",
    "IncidentSpec",
    "SimulatedIncidents",
    "expected_counts",
    "expected_in",
    "simulate_incidents",
    "write_incidents",
]

INCIDENT_CRS = "EPSG:32630"  # UTM zone 30N: West Yorkshire
START = datetime(2024, 1, 1, tzinfo=UTC)  # the default start of the simulated period


@dataclass(frozen=True)
class IncidentSpec:
    """What to simulate. Rates per day, distances in metres."""

    seed: int = 7
    days: int = 120
    size_m: float = 20_000.0
    background_per_day: float = 30.0
    hotspots: int = 12
    uniform_share: float = 0.2
    branching_ratio: float = 0.6
    mean_delay_days: float = 2.0
    trigger_sigma_m: float = 75.0
    crime_type: str = "Burglary"
    centre_lat: float = 53.80  # Leeds; any place in UTM zone 30N (longitude -6 to 0)
    centre_lon: float = -1.55
    start: str = START.date().isoformat()

    @property
    def start_time(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=UTC)

    def origin(self) -> tuple[float, float]:
        """South-west corner of the region in metres of :data:`INCIDENT_CRS`."""
        from pyproj import Transformer

        to_utm = Transformer.from_crs("EPSG:4326", INCIDENT_CRS, always_xy=True)
        x, y = to_utm.transform(self.centre_lon, self.centre_lat)
        return float(x) - self.size_m / 2, float(y) - self.size_m / 2


@dataclass(frozen=True)
class SimulatedIncidents:
    """Incidents (``x``, ``y`` in metres of :data:`INCIDENT_CRS`, ``t`` in days since the
    spec's start), whether each was triggered, and the background mixture."""

    spec: IncidentSpec
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    t: npt.NDArray[np.float64]
    triggered: npt.NDArray[np.bool_]
    centres: npt.NDArray[np.float64]
    spreads: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]

    @property
    def start_days(self) -> float:
        """The spec's start in days since 1970-01-01 (the unit of graphkit.hotspots)."""
        return (self.spec.start_time - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(days=1)


def _background(spec: IncidentSpec, rng: np.random.Generator, n: int, mix: Any) -> Any:
    centres, spreads, weights = mix
    which = rng.choice(len(weights) + 1, size=n, p=[*weights, spec.uniform_share])
    x = rng.uniform(0, spec.size_m, n)
    y = rng.uniform(0, spec.size_m, n)
    clustered = which < len(weights)
    k = which[clustered]
    x[clustered] = rng.normal(centres[k, 0], spreads[k])
    y[clustered] = rng.normal(centres[k, 1], spreads[k])
    return np.clip(x, 0, spec.size_m), np.clip(y, 0, spec.size_m)


def simulate_incidents(spec: IncidentSpec) -> SimulatedIncidents:
    """Simulate ``spec``: same seed, same incidents."""
    rng = np.random.default_rng([spec.seed, 20_221])
    centres = rng.uniform(0.15 * spec.size_m, 0.85 * spec.size_m, (spec.hotspots, 2))
    spreads = rng.uniform(250.0, 1_200.0, spec.hotspots)
    weights = rng.dirichlet(np.ones(spec.hotspots)) * (1 - spec.uniform_share)
    n0 = rng.poisson(spec.background_per_day * spec.days)
    t = rng.uniform(0, spec.days, n0)
    x, y = _background(spec, rng, n0, (centres, spreads, weights))
    xs, ys, ts, trig = [x], [y], [t], [np.zeros(n0, bool)]
    parents = (x, y, t)
    while len(parents[0]):
        px, py, pt = parents
        kids = rng.poisson(spec.branching_ratio, len(pt))
        src = np.repeat(np.arange(len(pt)), kids)
        ct = pt[src] + rng.exponential(spec.mean_delay_days, len(src))
        cx = px[src] + rng.normal(0, spec.trigger_sigma_m, len(src))
        cy = py[src] + rng.normal(0, spec.trigger_sigma_m, len(src))
        keep = (ct < spec.days) & (cx >= 0) & (cx <= spec.size_m) & (cy >= 0) & (cy <= spec.size_m)
        parents = (cx[keep], cy[keep], ct[keep])
        xs.append(parents[0])
        ys.append(parents[1])
        ts.append(parents[2])
        trig.append(np.ones(int(keep.sum()), bool))
    order = np.argsort(np.concatenate(ts), kind="stable")
    ox, oy = spec.origin()
    return SimulatedIncidents(
        spec=spec,
        x=np.concatenate(xs)[order] + ox,
        y=np.concatenate(ys)[order] + oy,
        t=np.concatenate(ts)[order],
        triggered=np.concatenate(trig)[order],
        centres=centres + np.array([ox, oy]),
        spreads=spreads,
        weights=weights,
    )


def _interval_mass(lo: float, step: float, n: int, mean: npt.NDArray[np.float64], sd: Any) -> Any:
    """Mass of N(mean, sd) in each of ``n`` intervals [lo + i step, lo + (i+1) step): (k, n)."""
    edges = lo + step * np.arange(n + 1)
    cdf = ndtr((edges[None, :] - mean[:, None]) / np.asarray(sd, float).reshape(-1, 1))
    return np.diff(cdf, axis=1)


def expected_counts(
    sim: SimulatedIncidents,
    *,
    x0: float,
    y0: float,
    cell_m: float,
    nx: int,
    ny: int,
    start_day: float,
    end_day: float,
) -> npt.NDArray[np.float64]:
    """True expected incidents per cell (a (ny, nx) array) in ``[start_day, end_day)`` (days
    since the spec's start) given the incidents before ``start_day``: background plus the first
    generation triggered by the history (cascades inside the window are not added)."""
    spec = sim.spec
    length = end_day - start_day
    out = np.zeros((ny, nx))
    mx = _interval_mass(x0, cell_m, nx, sim.centres[:, 0], sim.spreads)
    my = _interval_mass(y0, cell_m, ny, sim.centres[:, 1], sim.spreads)
    out += np.einsum("k,ky,kx->yx", sim.weights, my, mx) * spec.background_per_day * length
    ox, oy = spec.origin()
    inside_x = np.clip((x0 + cell_m * (np.arange(nx) + 1)), ox, ox + spec.size_m) - np.clip(
        x0 + cell_m * np.arange(nx), ox, ox + spec.size_m
    )
    inside_y = np.clip((y0 + cell_m * (np.arange(ny) + 1)), oy, oy + spec.size_m) - np.clip(
        y0 + cell_m * np.arange(ny), oy, oy + spec.size_m
    )
    uniform = np.outer(inside_y, inside_x) / spec.size_m**2
    out += uniform * spec.uniform_share * spec.background_per_day * length
    omega = 1.0 / spec.mean_delay_days
    past = sim.t < start_day
    age = start_day - sim.t[past]
    mass = spec.branching_ratio * (np.exp(-omega * age) - np.exp(-omega * (age + length)))
    live = mass > 1e-9
    if live.any():
        sd = np.full(int(live.sum()), spec.trigger_sigma_m)
        tx = _interval_mass(x0, cell_m, nx, sim.x[past][live], sd)
        ty = _interval_mass(y0, cell_m, ny, sim.y[past][live], sd)
        out += np.einsum("k,ky,kx->yx", mass[live], ty, tx)
    return out


def expected_in(sim: SimulatedIncidents, grid: Any, start: float, end: float) -> Any:
    """:func:`expected_counts` on ``grid`` (anything with ``x0``, ``y0``, ``cell_m``, ``nx``,
    ``ny`` in this simulator's metres) for ``[start, end)`` in days since 1970-01-01."""
    return expected_counts(
        sim,
        x0=grid.x0,
        y0=grid.y0,
        cell_m=grid.cell_m,
        nx=grid.nx,
        ny=grid.ny,
        start_day=start - sim.start_days,
        end_day=end - sim.start_days,
    )


def write_incidents(sim: SimulatedIncidents, out_dir: Path) -> dict[str, Path]:
    """``incidents.csv`` (id, time, longitude, latitude, crime type) and
    ``truth/incidents.json`` (the spec and which incidents were triggered) under ``out_dir``."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(INCIDENT_CRS, "EPSG:4326", always_xy=True).transform(
        sim.x, sim.y
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "truth").mkdir(exist_ok=True)
    csv_path = out_dir / "incidents.csv"
    when = pd.Timestamp(sim.spec.start_time) + pd.to_timedelta(np.round(sim.t * 86_400), unit="s")
    pd.DataFrame(
        {
            "incident_id": [f"I{i:07d}" for i in range(len(sim.t))],
            "occurred": when.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "longitude": np.round(lon, 6),
            "latitude": np.round(lat, 6),
            "crime_type": sim.spec.crime_type,
        }
    ).to_csv(csv_path, index=False, float_format="%.6f")
    truth_path = out_dir / "truth" / "incidents.json"
    truth = {
        "spec": asdict(sim.spec),
        "crs": INCIDENT_CRS,
        "start": sim.spec.start_time.isoformat(),
        "incidents": len(sim.t),
        "triggered": int(sim.triggered.sum()),
        "triggered_share": float(sim.triggered.mean()) if len(sim.t) else math.nan,
    }
    truth_path.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return {"incidents": csv_path, "truth": truth_path}
