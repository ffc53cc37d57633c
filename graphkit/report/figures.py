"""Pictures of the report, drawn with matplotlib (Agg) into PNG bytes.

Pure functions of frames from :mod:`graphkit.report.collect`; the network layout is computed
once (:func:`network_layout`) and shared by the static picture and the interactive view.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.drawing import PALETTE, community_colour, force_layout
from graphkit.drawing import node_sizes as sizes_of
from graphkit.report.text import short_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "PALETTE",
    "community_colour",
    "heatmaps_png",
    "network_layout",
    "network_png",
    "timeline_png",
]

HYPOTHESIS = "#d62728"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, facecolor="white")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _figure(width_in: float, height_in: float, **kw: Any) -> tuple[Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width_in, height_in), **kw)


def network_layout(
    actors: pd.DataFrame, ties: pd.DataFrame, *, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1]^2 for the actors: :func:`graphkit.drawing.force_layout` (ties
    inside a community pulled harder, so communities sit together), the same layout the
    exports give Gephi and yEd. Deterministic for ``seed``."""
    ids = actors["actor_id"].astype(str).tolist()
    communities = actors["community"] if "community" in actors else [None] * len(ids)
    known = set(ids)
    t = ties[ties["a"].astype(str).isin(known) & ties["b"].astype(str).isin(known)]
    triples = list(zip(t["a"].astype(str), t["b"].astype(str), t["weight"], strict=True))
    community = dict(zip(ids, communities, strict=True))
    return force_layout(ids, triples, community=community, seed=seed)


def node_sizes(pagerank: pd.Series, *, smallest: float, largest: float) -> np.ndarray:
    """Sizes growing with the square root of PageRank (area ~ centrality)."""
    return np.asarray(sizes_of(pagerank.tolist(), smallest=smallest, largest=largest), dtype=float)


def network_png(
    actors: pd.DataFrame,
    ties: pd.DataFrame,
    positions: dict[str, tuple[float, float]],
    *,
    labels: int = 15,
) -> bytes:
    """Static network for print: colour = community, size = PageRank, top actors labelled."""
    fig, ax = _figure(10, 7.5)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.99, bottom=0.01)
    ax.set_axis_off()
    t = ties[ties["a"].isin(positions) & ties["b"].isin(positions)]
    if len(t):
        from matplotlib.collections import LineCollection

        segs = [(positions[a], positions[b]) for a, b in zip(t["a"], t["b"], strict=True)]
        lw = 0.3 + 1.2 * np.log1p(t["weight"].to_numpy(float)) / max(
            1.0, float(np.log1p(t["weight"].max()))
        )
        ax.add_collection(LineCollection(segs, colors="#b0b0b0", linewidths=lw, alpha=0.5))
    a = actors[actors["actor_id"].isin(positions)]
    crowd = min(1.0, 250 / max(len(a), 1))  # dot areas shrink on big networks
    xy = np.array([positions[x] for x in a["actor_id"]]) if len(a) else np.zeros((0, 2))
    colours = [community_colour(c) for c in a.get("community", [None] * len(a))]
    sizes = node_sizes(
        a["pagerank"] if "pagerank" in a else pd.Series(np.zeros(len(a))),
        smallest=12 * crowd,
        largest=420 * crowd,
    )
    ax.scatter(xy[:, 0], xy[:, 1], s=sizes, c=colours, edgecolors="white", linewidths=0.6, zorder=3)
    if "pagerank" in a and len(a):
        top = a.nlargest(labels, "pagerank")
        for actor_id, name in zip(top["actor_id"], top["name"], strict=True):
            x, y = positions[actor_id]
            ax.annotate(
                short_label({"name": name, "actor_id": actor_id}, max_chars=22),
                (x, y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                zorder=4,
            )
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    return _png(fig)


def hour_of_week(activity: pd.DataFrame, actor_ids: Sequence[str]) -> np.ndarray:
    """7 x 24 matrix of events (rows Monday..Sunday, columns hours UTC) of these actors."""
    a = activity[activity["actor_id"].isin(set(actor_ids))]
    grid = np.zeros(168)
    np.add.at(grid, a["how"].to_numpy(dtype=int), a["events"].to_numpy(dtype=float))
    return grid.reshape(7, 24)


def heatmaps_png(
    grids: Sequence[tuple[str, np.ndarray]],
    *,
    columns: int = 3,
    zone: str = "UTC",
    relative_to: np.ndarray | None = None,
) -> bytes:
    """Small multiples of hour-of-week heatmaps, one per (title, 7x24 grid), each cell the
    share of that grid's records (so quiet and busy groups compare), on one shared, labelled
    colour scale. With ``relative_to`` (a 7x24 grid of counts), each cell is instead its
    share minus that grid's share, in percentage points, on a diverging scale centred on 0:
    what sets a group's rhythm apart from the reference's."""
    n = max(len(grids), 1)
    rows = math.ceil(n / columns)
    cols = min(columns, n)
    fig, axes = _figure(4.2 * cols + 0.9, 1.9 * rows + 0.2, nrows=rows, ncols=cols, squeeze=False)
    fig.subplots_adjust(left=0.05, right=0.9, top=0.9, bottom=0.12, hspace=0.6, wspace=0.18)
    shares = [100.0 * g / g.sum() if g.sum() > 0 else np.zeros_like(g) for _, g in grids]
    top = max((float(s.max()) for s in shares), default=1.0) or 1.0
    colours, low, label = "magma_r", 0.0, "% of its records in that hour"
    if relative_to is not None:
        base = 100.0 * relative_to / relative_to.sum() if relative_to.sum() > 0 else 0.0
        shares = [s - base for s in shares]
        top = max((float(np.abs(s).max()) for s in shares), default=1.0) or 1.0
        colours, low = "RdBu_r", -top
        label = "percentage points above (red) or below (blue) the case's rhythm"
    image = None
    for k, ax in enumerate(axes.flat):
        if k >= len(grids):
            ax.set_axis_off()
            continue
        title = grids[k][0]
        image = ax.imshow(
            shares[k], aspect="auto", cmap=colours, interpolation="nearest", vmin=low, vmax=top
        )
        ax.set_title(title, fontsize=8)
        ax.set_yticks(range(7), _DAYS, fontsize=6)
        ax.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)], fontsize=6)
        ax.set_xlabel(f"hour ({zone})", fontsize=6, labelpad=1)
    if image is not None:
        bar = fig.colorbar(image, ax=list(axes.flat), fraction=0.02, pad=0.02)
        bar.set_label(label, fontsize=7)
        bar.ax.tick_params(labelsize=6)
    return _png(fig)


def timeline_png(
    rows: Sequence[tuple[str, str]],
    daily: pd.DataFrame,
    spans: Sequence[tuple[str, Any, Any, str]],
    arrows: Sequence[tuple[str, str, Any, Any, str]],
) -> bytes:
    """One strip per entity (``rows``: (entity, label)) with its daily events as bars.

    ``spans``: (entity, start, end, text) shaded in red (blackouts); ``arrows``: (from
    entity, to entity, from time, to time, text) drawn in purple (hand-offs).
    """
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection

    widest = max((len(label) for _, label in rows), default=10)
    fig, ax = _figure(11, 0.9 + 0.42 * max(len(rows), 1))
    fig.subplots_adjust(
        left=min(0.45, 0.03 + 0.0052 * widest),
        right=0.98,
        top=0.98,
        bottom=0.6 / (0.9 + 0.42 * max(len(rows), 1)),
    )
    index = {e: i for i, (e, _) in enumerate(rows)}
    d = daily[daily["entity"].isin(index)]
    if len(d):
        peak = d.groupby("entity")["events"].transform("max").to_numpy(float)
        height = d["events"].to_numpy(float) / np.maximum(peak, 1.0) * 0.8
        x0 = mdates.date2num(  # type: ignore[no-untyped-call]
            pd.to_datetime(d["day"], utc=True).dt.tz_localize(None)
        )
        row = d["entity"].map(index).to_numpy(float) + 0.4
        bars = [
            ((a, r), (a + 0.85, r), (a + 0.85, r - h), (a, r - h))
            for a, r, h in zip(x0, row, height, strict=True)
        ]
        ax.add_collection(PolyCollection(bars, facecolors="#4c72b0", edgecolors="none"))
        ax.set_xlim(x0.min() - 0.5, x0.max() + 1.5)

    def num(t: Any) -> float:
        return float(
            mdates.date2num(  # type: ignore[no-untyped-call]
                pd.Timestamp(t).tz_convert(None)
            )
        )

    for entity, start, end, _ in spans:
        if entity in index:
            i = index[entity]
            ax.fill_between(
                [num(start), num(end)], i - 0.45, i + 0.45, color="#d62728", alpha=0.22, linewidth=0
            )
    for src, dst, t0, t1, text in arrows:
        if src in index and dst in index:
            ax.annotate(
                "",
                xy=(num(t1), index[dst]),
                xytext=(num(t0), index[src]),
                arrowprops={"arrowstyle": "-|>", "color": "#7b3294", "lw": 1.6},
            )
            ax.text(
                num(t1) + 0.3,
                index[dst] - 0.1,
                text,
                fontsize=7,
                color="#7b3294",
                va="center",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                zorder=5,
            )
    ax.xaxis_date()
    ax.set_yticks(range(len(rows)), [label for _, label in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.6)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    ax.grid(axis="x", color="#eeeeee")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _png(fig)
