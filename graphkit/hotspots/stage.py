"""The hotspot stage: read ``src_incidents``, forecast on a grid, store the cells.

``run`` writes ``hotspot_cell`` (every cell of the study area with its expected incidents and
rank) and records the stage with its settings, the grid and the SHA-256 of every incident
source it read. ``evaluate`` scores every method on the same windows and stores nothing.

The study area is every cell within ``area_buffer_cells`` of a cell holding a training
incident of any type: where incidents are recorded at all (no boundary file is needed, and the
forecast window is never looked at to draw it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import ndimage

from graphkit.errors import InputError
from graphkit.hotspots.forecast import ForecastOptions, forecast
from graphkit.hotspots.grid import BNG, WGS84, Grid, coordinate_step_m, local_crs, project
from graphkit.hotspots.methods import METHODS, MONTH_DAYS, Incidents
from graphkit.hotspots.network import PhonesOf, phone_footprint, phones_of
from graphkit.hotspots.scoring import capture_curve, score
from graphkit.hotspots.windows import Window, parse_window
from graphkit.settings import SettingsError, StageSettings
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["CELL_TABLE", "CaseIncidents", "Settings", "load_incidents", "run"]

log = logging.getLogger(__name__)

CELL_TABLE = "hotspot_cell"
_EPOCH_DAYS = "epoch(CAST({} AS TIMESTAMPTZ)) / 86400.0"


@dataclass(frozen=True)
class Settings(StageSettings):
    """A forecast: grid, windows, method and crime types (empty: all)."""

    train: str = ""
    forecast: str = ""
    cell_m: float = 200.0
    method: str = "auto"
    types: tuple[str, ...] = ()
    bandwidth_m: float = 200.0
    promap_radius_m: float = 400.0
    area_buffer_cells: int = 1
    source_crs: str = BNG
    phones_of: tuple[str, ...] = ()  # communities (C3) or actors whose phones go on the map

    def validate(self) -> None:
        self.require(bool(self.train), "train", "give the training window, e.g. 2016-07..2017-07")
        self.require(bool(self.forecast), "forecast", "give the forecast window, e.g. 2018-07")
        self.require(self.cell_m >= 1, "cell_m", "must be at least 1 m")
        self.require(
            self.method in ("auto", *METHODS), "method", f"one of auto, {', '.join(METHODS)}"
        )
        self.require(self.bandwidth_m > 0, "bandwidth_m", "must be positive")
        self.require(self.promap_radius_m >= 0, "promap_radius_m", "must be at least 0")
        self.require(self.area_buffer_cells >= 0, "area_buffer_cells", "must be at least 0")

    def windows(self) -> tuple[Window, Window]:
        """(training, forecast) windows; the forecast must start when training has ended."""
        train = parse_window(self.train, what="train")
        target = parse_window(self.forecast, what="forecast")
        if target.start < train.end:
            raise SettingsError(
                "forecast", f"{self.forecast} starts before the training window {self.train} ends"
            )
        return train, target

    def options(self) -> ForecastOptions:
        return ForecastOptions(bandwidth_m=self.bandwidth_m, promap_radius_m=self.promap_radius_m)


@dataclass(frozen=True)
class CaseIncidents:
    """A case's incidents on a grid: every type (for the study area) and the chosen ones."""

    grid: Grid
    all: Incidents
    chosen: Incidents
    types: tuple[str, ...]
    unusable: int
    coordinate_step_m: float
    sources: dict[str, str]
    locations: npt.NDArray[np.object_]  # the location text of each of ``all``

    def places(self, start: float, end: float) -> dict[int, str]:
        """The commonest location text of each cell's incidents in ``[start, end)``."""
        keep = (self.all.t >= start) & (self.all.t < end) & pd.notna(self.locations)
        frame = pd.DataFrame({"cell": self.all.cell[keep], "place": self.locations[keep]})
        if frame.empty:
            return {}
        counts = frame.value_counts().reset_index(name="n")
        top = counts.sort_values(["cell", "n", "place"], ascending=[True, False, True])
        return dict(top.drop_duplicates("cell")[["cell", "place"]].itertuples(index=False))


def _read(store: CaseStore) -> pd.DataFrame:
    with store.connect() as con:
        if not store.table_exists(con, "src_incidents"):
            raise InputError(
                "the case has no incidents: ingest them first (graphkit ingest CASE FILE "
                "--kind incidents)"
            )
        occurred = _EPOCH_DAYS.format("occurred")
        return con.execute(
            f"""
            SELECT {occurred} AS t_exact,
                   epoch(coalesce(TRY_CAST(month || '-01' AS DATE), TRY_CAST(month AS DATE)))
                   / 86400.0 AS month_start,
                   lon, lat, easting, northing, crime_type, location
            FROM src_incidents
            """
        ).df()


def _incident_sources(store: CaseStore) -> dict[str, str]:
    sources = store.manifest.get("sources", {})
    return {
        name: str(entry.get("sha256", ""))
        for name, entry in sorted(sources.items())
        if entry.get("kind") == "incidents"
    }


def load_incidents(store: CaseStore, settings: Settings) -> CaseIncidents:
    """The case's incidents projected onto the settings' grid (InputError on bad input)."""
    df = _read(store)
    if df.empty:
        raise InputError("the case's incident table is empty")
    has_ll = df["lon"].notna() & df["lat"].notna()
    has_en = ~has_ll & df["easting"].notna() & df["northing"].notna()
    has_t = df["t_exact"].notna() | df["month_start"].notna()
    usable = (has_ll | has_en) & has_t
    unusable = int((~usable).sum())
    df, has_ll, has_en = df[usable], has_ll[usable], has_en[usable]
    lon = df["lon"].to_numpy(float).copy()
    lat = df["lat"].to_numpy(float).copy()
    if has_en.any():
        e_lon, e_lat = project(
            df.loc[has_en, "easting"].to_numpy(float),
            df.loc[has_en, "northing"].to_numpy(float),
            src=settings.source_crs,
            dst=WGS84,
        )
        lon[has_en.to_numpy()], lat[has_en.to_numpy()] = e_lon, e_lat
    step = coordinate_step_m(
        df.loc[has_ll, "lon"].to_numpy(float),
        df.loc[has_ll, "lat"].to_numpy(float),
        df.loc[has_en, "easting"].to_numpy(float),
        df.loc[has_en, "northing"].to_numpy(float),
    )
    if settings.cell_m < step:
        raise InputError(
            f"cell: {settings.cell_m:g} m is smaller than the coordinates' precision (they are "
            f"recorded about every {step:,.0f} m); use a cell of {step:,.0f} m or more"
        )
    crs = local_crs(lon, lat)
    x, y = project(lon, lat, src=WGS84, dst=crs)
    grid = Grid.covering(x, y, crs=crs, cell_m=settings.cell_m)
    monthly = bool(df["t_exact"].isna().all())
    t = df["t_exact"].fillna(df["month_start"] + MONTH_DAYS / 2).to_numpy(float)
    everything = Incidents(x, y, t, grid.cell_of(x, y), monthly)
    types_seen = sorted(df["crime_type"].dropna().unique().tolist())
    if settings.types:
        wanted = {s.casefold() for s in settings.types}
        known = {s.casefold() for s in types_seen}
        unknown = [s for s in settings.types if s.casefold() not in known]
        if unknown:
            raise SettingsError(
                "types",
                f"{', '.join(unknown)} not in the case; its crime types: {', '.join(types_seen)}",
            )
        keep = df["crime_type"].fillna("").str.casefold().isin(wanted).to_numpy()
        chosen = Incidents(x[keep], y[keep], t[keep], everything.cell[keep], monthly)
    else:
        chosen = everything
    return CaseIncidents(
        grid=grid,
        all=everything,
        chosen=chosen,
        types=tuple(settings.types),
        unusable=unusable,
        coordinate_step_m=step,
        sources=_incident_sources(store),
        locations=df["location"].to_numpy(object),
    )


def study_area(
    grid: Grid, train_cells: npt.NDArray[np.int64], buffer_cells: int
) -> npt.NDArray[np.bool_]:
    """Flat mask of the cells within ``buffer_cells`` of a cell with a training incident."""
    seen = grid.histogram(train_cells) > 0
    if buffer_cells:
        seen = ndimage.binary_dilation(seen, iterations=buffer_cells, structure=np.ones((3, 3)))
    return np.asarray(seen, dtype=bool).ravel()


def _phones_on_map(
    store: CaseStore, who: PhonesOf | None, grid: Grid, frame: pd.DataFrame
) -> dict[str, Any] | None:
    """With ``who``: each cell's call records by those actors' phones (column
    ``phone_records`` of ``frame``, set in place) and what the summary says about them."""
    if who is None:
        return None
    found = phone_footprint(store, grid, list(who.actor_ids))
    if found is None:
        raise InputError(
            "the case has no call records with tower positions to place the phones of "
            f"{who.label} (ingest cdr with cell ids and towers)"
        )
    counts, off_grid = found
    flat = counts.ravel()
    frame["phone_records"] = flat[frame["cell_id"].to_numpy()].astype(np.int64)
    flagged = frame.head(max(1, round(0.05 * len(frame))))
    hit = flagged[flagged["phone_records"] > 0]
    return {
        **who.to_dict(),
        "records": int(flat.sum()) + off_grid,
        "records_beyond_grid": off_grid,
        "cells": int((flat > 0).sum()),
        "cells_outside_study_area": int((flat > 0).sum() - (frame["phone_records"] > 0).sum()),
        "flagged_cells_with_records": [int(r) for r in hit["rank"]],
    }


@writes("hotspots", operation="combination")
def run(store: CaseStore, settings: Settings) -> dict[str, Any]:
    """Forecast with ``settings``, store ``hotspot_cell`` and the stage record; the summary."""
    train, target = settings.windows()
    who = phones_of(store, settings.phones_of) if settings.phones_of else None
    data = load_incidents(store, settings)
    grid = data.grid
    area = study_area(
        grid, data.all.between(train.start, train.end).cell, settings.area_buffer_cells
    )
    result = forecast(
        settings.method, data.chosen, grid, train, target, settings.options(), area=area
    )
    cells = np.flatnonzero(area)
    risk = result.surface.ravel()[cells]
    order = np.lexsort((cells, -risk))
    rank = np.empty(len(cells), dtype=np.int64)
    rank[order] = np.arange(1, len(cells) + 1)
    cx, cy = grid.centres(cells)
    lon, lat = project(cx, cy, src=grid.crs, dst=WGS84)
    seen = data.chosen.between(train.start, train.end)
    iy, ix = np.divmod(cells, grid.nx)
    frame = pd.DataFrame(
        {
            "cell_id": cells,
            "ix": ix,
            "iy": iy,
            "x": cx,
            "y": cy,
            "lon": lon,
            "lat": lat,
            "expected_incidents": risk,
            "rank": rank,
            "train_incidents": grid.histogram(seen.cell).ravel()[cells].astype(np.int64),
        }
    ).sort_values("rank")
    places = data.places(train.start, train.end)
    frame["place"] = [places.get(int(c)) for c in frame["cell_id"]]
    overlay = _phones_on_map(store, who, grid, frame)
    with store.connect() as con:
        con.register("hotspot_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {CELL_TABLE} AS SELECT * FROM hotspot_frame")
        con.unregister("hotspot_frame")
    summary: dict[str, Any] = {
        "method": result.method,
        **({"chosen": result.detail["chosen"]} if "chosen" in result.detail else {}),
        "detail": result.detail,
        "train": train.label(),
        "forecast": target.label(),
        "types": list(settings.types) or "all",
        "incidents_trained_on": len(seen),
        "incidents_left_out_no_coordinates_or_time": data.unusable,
        "monthly": data.chosen.monthly,
        "grid": grid.to_dict(),
        "area_cells": int(area.sum()),
        "coordinate_step_m": data.coordinate_step_m,
        "sources": data.sources,
        **({"phones_of": overlay} if overlay else {}),
    }
    happened = data.chosen.between(target.start, target.end)
    if len(happened):  # a window already past: how the stored forecast did
        observed = grid.histogram(happened.cell).ravel()
        check = score(risk, observed[cells], total=float(observed.sum()))
        curve = capture_curve(risk, observed[cells], total=float(observed.sum()))[1]
        summary["check"] = {
            "incidents": len(happened),
            **check,
            "curve": [round(float(r), 4) for r in curve],
        }
    store.record_stage("hotspots", settings=settings.to_dict(), summary=summary)
    return summary
