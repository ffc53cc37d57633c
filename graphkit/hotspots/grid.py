"""The forecast grid: incidents projected to a local metric CRS and binned into square cells.

Longitude/latitude (WGS 84) are projected to the UTM zone of the data's centre (pyproj), so a
cell is a true square of ``cell_m`` metres. Easting/northing are taken in the CRS the user names
(default British National Grid, EPSG:27700, what UK police systems record) and projected to the
same UTM zone, so a case may mix both. Cells are indexed ``ix`` (west to east) and ``iy`` (south
to north) from the grid's south-west corner; ``cell_id`` is ``iy * nx + ix``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from graphkit.errors import InputError
from graphkit.settings import SettingsError

__all__ = [
    "BNG",
    "WGS84",
    "Grid",
    "coordinate_step_m",
    "local_crs",
    "project",
    "to_lonlat",
]

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
FloatArray = npt.NDArray[np.float64]


@cache
def _transformer(src: str, dst: str) -> Any:
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def local_crs(lon: FloatArray, lat: FloatArray) -> str:
    """The UTM zone (as ``EPSG:326xx`` / ``EPSG:327xx``) holding the median of the points."""
    if len(lon) == 0:
        raise InputError("no incident has coordinates")
    lon0, lat0 = float(np.median(lon)), float(np.median(lat))
    zone = min(60, max(1, int((lon0 + 180.0) // 6.0) + 1))
    return f"EPSG:{32600 + zone if lat0 >= 0 else 32700 + zone}"


def project(x: FloatArray, y: FloatArray, *, src: str, dst: str) -> tuple[FloatArray, FloatArray]:
    """Coordinates ``x``, ``y`` (longitude, latitude for WGS 84) from ``src`` to ``dst``."""
    if len(x) == 0:
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    try:
        px, py = _transformer(src, dst).transform(np.asarray(x, float), np.asarray(y, float))
    except Exception as exc:  # pyproj raises CRSError / ProjError with long texts
        raise InputError(f"cannot project {src} to {dst}: {str(exc).splitlines()[0]}") from exc
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise InputError(f"some coordinates cannot be projected from {src} to {dst}")
    return px, py


def to_lonlat(x: FloatArray, y: FloatArray, *, crs: str) -> tuple[FloatArray, FloatArray]:
    """Projected coordinates back to longitude, latitude (WGS 84)."""
    return project(x, y, src=crs, dst=WGS84)


def _decimals(values: FloatArray, *, max_decimals: int = 7) -> int:
    """The number of decimals the values are written with (the median over a sample)."""
    sample = values[np.isfinite(values)][:20_000]
    if len(sample) == 0:
        return max_decimals
    found = np.full(len(sample), max_decimals)
    for k in range(max_decimals - 1, -4, -1):  # down to hundreds (k = -2) for grid metres
        scale = 10.0**k
        exact = np.abs(sample * scale - np.round(sample * scale)) < 1e-6 * np.maximum(
            1.0, np.abs(sample * scale)
        )
        found = np.where(exact, k, found)
    return int(np.median(found))


def coordinate_step_m(
    lon: FloatArray, lat: FloatArray, easting: FloatArray, northing: FloatArray
) -> float:
    """The coarsest spacing the coordinates are recorded at, in metres.

    Longitude/latitude with ``k`` decimals are recorded every ``10**-k`` degrees (about
    ``111 km * 10**-k``, less east-west away from the equator); easting/northing every
    ``10**-k`` metres, ``k`` negative for values rounded to tens or hundreds of metres.
    """
    steps = [0.0]
    if len(lat):
        k = min(_decimals(lon), _decimals(lat))
        lat0 = math.radians(float(np.median(lat)))
        steps.append(111_320.0 * 10.0**-k * max(math.cos(lat0), 0.05))
    if len(easting):
        steps.append(10.0 ** -min(_decimals(easting), _decimals(northing)))
    return max(steps)


@dataclass(frozen=True)
class Grid:
    """Square cells of ``cell_m`` metres over ``crs``; ``x0``, ``y0`` is the south-west corner."""

    crs: str
    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, x: FloatArray, y: FloatArray, *, crs: str, cell_m: float) -> Grid:
        """The smallest grid aligned to multiples of ``cell_m`` that holds every point."""
        if len(x) == 0:
            raise InputError("no incident has coordinates")
        x0 = math.floor(float(x.min()) / cell_m) * cell_m
        y0 = math.floor(float(y.min()) / cell_m) * cell_m
        nx = int((float(x.max()) - x0) // cell_m) + 1
        ny = int((float(y.max()) - y0) // cell_m) + 1
        if nx * ny > 50_000_000:
            raise SettingsError(
                "cell_m",
                f"a {cell_m:g} m grid over this area has {nx * ny:,} cells; use larger cells",
            )
        return cls(crs=crs, x0=x0, y0=y0, cell_m=cell_m, nx=nx, ny=ny)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns) = (ny, nx): the shape of a risk surface as a 2-D array."""
        return self.ny, self.nx

    def cell_of(self, x: FloatArray, y: FloatArray) -> npt.NDArray[np.int64]:
        """The ``cell_id`` of each point; -1 for points outside the grid."""
        ix = np.floor((np.asarray(x) - self.x0) / self.cell_m).astype(np.int64)
        iy = np.floor((np.asarray(y) - self.y0) / self.cell_m).astype(np.int64)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(inside, iy * self.nx + ix, -1)

    def centres(self, cells: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
        """Projected centres of ``cells``."""
        iy, ix = np.divmod(np.asarray(cells, dtype=np.int64), self.nx)
        return self.x0 + (ix + 0.5) * self.cell_m, self.y0 + (iy + 0.5) * self.cell_m

    def corners_lonlat(self, cells: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Longitude/latitude of each cell's corners: shape (n, 5, 2), a closed ring (SW, SE,
        NE, NW, SW), for GeoJSON and KML."""
        cells = np.asarray(cells, dtype=np.int64)
        iy, ix = np.divmod(cells, self.nx)
        xs = self.x0 + np.stack([ix, ix + 1, ix + 1, ix, ix], axis=1) * self.cell_m
        ys = self.y0 + np.stack([iy, iy, iy + 1, iy + 1, iy], axis=1) * self.cell_m
        lon, lat = to_lonlat(xs.ravel(), ys.ravel(), crs=self.crs)
        return np.stack([lon, lat], axis=1).reshape(len(cells), 5, 2)

    def histogram(
        self, cells: npt.NDArray[np.int64], weights: FloatArray | None = None
    ) -> FloatArray:
        """Counts (or summed ``weights``) per cell as a (ny, nx) array; cells < 0 ignored."""
        keep = cells >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        flat = np.bincount(cells[keep], weights=w, minlength=self.n_cells).astype(float)
        return flat.reshape(self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "crs": self.crs,
            "x0": self.x0,
            "y0": self.y0,
            "cell_m": self.cell_m,
            "nx": self.nx,
            "ny": self.ny,
        }
