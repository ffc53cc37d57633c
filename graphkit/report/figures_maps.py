"""Maps and curves of the hotspot forecast, drawn with matplotlib (Agg).

The map is vector (SVG): the study area as a light outline, the flagged cells as squares shaded
by expected incidents with a labelled colour scale, the ten riskiest numbered, a scale bar and
projected coordinates in km. No tile server and no network access: the outline is where
incidents are recorded, not a street map. Text is drawn as paths, so nothing in the picture is
markup.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.drawing import PALETTE
from graphkit.hotspots.grid import WGS84, Grid, local_crs, project

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["capture_png", "hotspot_map_svg", "trails_map_svg"]

_METHOD_COLOURS = {
    "auto": "#000000",
    "counts": "#0072B2",
    "kde": "#E69F00",
    "promap": "#009E73",
    "sepp": "#CC79A7",
    "forecast": "#D55E00",
}


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=110, facecolor="white", bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def _scale_bar(ax: Any, x0: float, y0: float, width_m: float) -> None:
    """A bar of a round length (100 m .. 20 km) about a fifth of the map's width."""
    target = width_m / 5
    length = max(
        (v for v in (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000) if v <= target),
        default=100,
    )
    ax.plot([x0, x0 + length / 1000], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length // 1000} km" if length >= 1000 else f"{length} m"
    ax.annotate(
        label,
        (x0 + length / 2000, y0),
        xytext=(0, 4),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=8,
    )


def _finish_map(
    fig: Figure, ax: Any, ex: tuple[float, float], ey: tuple[float, float], crs: str
) -> bytes:
    """Scale bar, extent, equal aspect and km axes named by their CRS; the map as SVG."""
    width, height = ex[1] - ex[0], ey[1] - ey[0]
    _scale_bar(ax, ex[0] + 0.05 * width, ey[0] + 0.05 * height, width * 1000.0)
    ax.set_xlim(*ex)
    ax.set_ylim(*ey)
    ax.set_aspect("equal")
    ax.set_xlabel(f"easting, km ({crs})")
    ax.set_ylabel(f"northing, km ({crs})")
    ax.tick_params(labelsize=7)
    return _save(fig, "svg")


def _label_groups(top: pd.DataFrame, near_km: float) -> dict[tuple[float, float], list[int]]:
    """Rank numbers gathered by place: a rank within ``near_km`` of an earlier one joins its
    label ("1, 2"), so no two labels overlap."""
    groups: dict[tuple[float, float], list[int]] = {}
    for r in top.itertuples(index=False):
        x, y = r.x / 1000.0, r.y / 1000.0
        home = next((k for k in groups if np.hypot(k[0] - x, k[1] - y) < near_km), None)
        groups.setdefault(home or (x, y), []).append(int(r.rank))
    return groups


def hotspot_map_svg(
    cells: pd.DataFrame,
    grid: Grid,
    *,
    flagged_share: float = 0.05,
    overlay: np.ndarray | None = None,
    overlay_label: str = "",
) -> bytes:
    """The map of a stored forecast (rows of ``hotspot_cell``): SVG bytes."""
    plt = _plt()
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Rectangle

    km = 1000.0
    area = np.zeros(grid.shape, dtype=float)
    area.ravel()[cells["cell_id"].to_numpy(np.int64)] = 1.0
    ys, xs = np.nonzero(area)
    pad = 2  # the view holds 99 % of the area's cells: stray records far away do not shrink it
    x_lo = max(int(np.percentile(xs, 0.5)) - pad, 0)
    x_hi = min(int(np.percentile(xs, 99.5)) + pad + 1, grid.nx)
    y_lo = max(int(np.percentile(ys, 0.5)) - pad, 0)
    y_hi = min(int(np.percentile(ys, 99.5)) + pad + 1, grid.ny)
    sub = area[y_lo:y_hi, x_lo:x_hi]
    ex = ((grid.x0 + x_lo * grid.cell_m) / km, (grid.x0 + x_hi * grid.cell_m) / km)
    ey = ((grid.y0 + y_lo * grid.cell_m) / km, (grid.y0 + y_hi * grid.cell_m) / km)
    width = ex[1] - ex[0]
    height = ey[1] - ey[0]
    fig, ax = plt.subplots(figsize=(7.5, max(3.5, 7.5 * height / max(width, 1e-9))))
    cx = ex[0] + (np.arange(sub.shape[1]) + 0.5) * grid.cell_m / km
    cy = ey[0] + (np.arange(sub.shape[0]) + 0.5) * grid.cell_m / km
    ax.contourf(cx, cy, sub, levels=[0.5, 1.5], colors=["#eeeeee"])
    ax.contour(cx, cy, sub, levels=[0.5], colors=["#bbbbbb"], linewidths=0.5)
    flagged = cells.head(max(1, round(flagged_share * len(cells))))
    risk = flagged["expected_incidents"].to_numpy(float)
    ix, iy = flagged["ix"].to_numpy(int), flagged["iy"].to_numpy(int)
    squares = [
        Rectangle(
            ((grid.x0 + i * grid.cell_m) / km, (grid.y0 + j * grid.cell_m) / km),
            grid.cell_m / km,
            grid.cell_m / km,
        )
        for i, j in zip(ix, iy, strict=True)
    ]
    shaded = PatchCollection(squares, cmap="YlOrRd", linewidths=0)
    shaded.set_array(risk)
    shaded.set_clim(0, float(risk.max()) if len(risk) and risk.max() > 0 else 1.0)
    ax.add_collection(shaded)
    bar = fig.colorbar(shaded, ax=ax, shrink=0.7, pad=0.02)
    bar.set_label("expected incidents in the forecast window")
    for (x, y), ranks in _label_groups(flagged.head(10), width / 40).items():
        ax.annotate(
            ", ".join(map(str, ranks)),
            (x, y),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#555555", "lw": 0.5},
        )
    if overlay is not None:
        oy, ox = np.nonzero(overlay)
        if len(ox):
            sizes = 8 + 40 * np.sqrt(overlay[oy, ox] / overlay.max())
            ax.scatter(
                (grid.x0 + (ox + 0.5) * grid.cell_m) / km,
                (grid.y0 + (oy + 0.5) * grid.cell_m) / km,
                s=sizes,
                facecolors="none",
                edgecolors="#0072B2",
                linewidths=0.8,
                label=f"calls by the phones of {overlay_label}",
            )
            ax.legend(loc="upper right", fontsize=7, frameon=True)
    return _finish_map(fig, ax, ex, ey, grid.crs)


def capture_png(curves: dict[str, list[float]], *, title: str) -> bytes:
    """Hit rate against the share of the area flagged, one line per method, with the line of
    no skill (flagging cells at random)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    for name, rates in curves.items():
        shares = np.linspace(0, 100, len(rates))
        ax.plot(
            shares,
            np.asarray(rates) * 100,
            label=name,
            color=_METHOD_COLOURS.get(name, "#777777"),
            linewidth=2.0 if name in ("auto", "forecast") else 1.2,
        )
    ax.plot([0, 100], [0, 100], color="#999999", linestyle=":", linewidth=1, label="no skill")
    for share in (1, 5, 10):
        ax.axvline(share, color="#dddddd", linewidth=0.8, zorder=0)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("share of the area flagged, % (1, 5 and 10 % marked)")
    ax.set_ylabel("share of incidents caught, %")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, "png")


def trails_map_svg(towers: pd.DataFrame, trails: list[tuple[str, pd.DataFrame]]) -> bytes:
    """Towers (grey; a tick towards the sector's azimuth where known) and each trail (label,
    stops with ``lat``, ``lon``, ``records`` in time order) as a line through its stops, circles
    sized by records; projected to the towers' UTM zone, km axes, a scale bar. SVG bytes."""
    plt = _plt()
    km = 1000.0
    lon = towers["lon"].to_numpy(float)
    lat = towers["lat"].to_numpy(float)
    crs = local_crs(lon, lat)
    tx, ty = (v / km for v in project(lon, lat, src=WGS84, dst=crs))
    placed = [
        (
            label,
            *(
                v / km
                for v in project(
                    st["lon"].to_numpy(float), st["lat"].to_numpy(float), src=WGS84, dst=crs
                )
            ),
            st,
        )
        for label, st in trails
        if len(st)
    ]
    xs = np.concatenate([tx, *(p[1] for p in placed)]) if placed else tx
    ys = np.concatenate([ty, *(p[2] for p in placed)]) if placed else ty
    x_lo, x_hi = np.percentile(xs, [0.5, 99.5])
    y_lo, y_hi = np.percentile(ys, [0.5, 99.5])
    pad = 0.05 * max(x_hi - x_lo, y_hi - y_lo, 1.0)
    ex, ey = (x_lo - pad, x_hi + pad), (y_lo - pad, y_hi + pad)
    width, height = ex[1] - ex[0], ey[1] - ey[0]
    fig, ax = plt.subplots(figsize=(7.5, max(3.5, 7.5 * height / max(width, 1e-9))))
    ax.scatter(tx, ty, s=6, color="#aaaaaa", zorder=1, label="cell towers")
    az = towers["azimuth"].to_numpy(float)
    has = np.isfinite(az)
    tick = 0.012 * width
    rad = np.deg2rad(az[has])  # azimuth: clockwise from north
    ax.plot(
        np.vstack([tx[has], tx[has] + tick * np.sin(rad)]),
        np.vstack([ty[has], ty[has] + tick * np.cos(rad)]),
        color="#bbbbbb",
        linewidth=0.6,
        zorder=1,
    )
    for k, (label, x, y, st) in enumerate(placed):
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(x, y, color=colour, linewidth=1.0, alpha=0.55, zorder=2)
        records = st["records"].to_numpy(float)
        ax.scatter(
            x,
            y,
            s=10 + 60 * np.sqrt(records / records.max()),
            facecolors="none",
            edgecolors=colour,
            linewidths=1.0,
            zorder=3,
            label=label,
        )
    ax.legend(loc="upper right", fontsize=7, frameon=True)
    return _finish_map(fig, ax, ex, ey, crs)
