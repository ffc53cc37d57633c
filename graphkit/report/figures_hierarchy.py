"""The hierarchy diagram of one community: top-down, brokers drawn, labels that never overlap.

Height is the SpringRank score (higher = more senior; the leader at the top), bands mark the
levels (0 = top), arrows run from each member's most likely superior. Labels are placed
greedily in order of importance (leader, brokers, then by leadership): each tries a ring of
positions around its node and takes the first whose box overlaps no label and no node drawn
so far (:func:`place_labels`). A member whose name fits nowhere gets a number beside its node
instead and its name in a key at the right, so every drawn member is named and no two texts
overlap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from graphkit.drawing import community_colour
from graphkit.report.figures import _figure, _png
from graphkit.report.text import short_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.transforms import Bbox

__all__ = ["Label", "hierarchy_figure", "hierarchy_png", "place_labels"]

#: where a label may sit around its node, in points, tried in this order: right, left, above,
#: below, then the diagonals and further out
_OFFSETS: tuple[tuple[float, float, str, str], ...] = (
    (8, 0, "left", "center"),
    (-8, 0, "right", "center"),
    (0, 9, "center", "bottom"),
    (0, -9, "center", "top"),
    (8, 9, "left", "bottom"),
    (8, -9, "left", "top"),
    (-8, 9, "right", "bottom"),
    (-8, -9, "right", "top"),
    (0, 19, "center", "bottom"),
    (0, -19, "center", "top"),
    (10, 19, "left", "bottom"),
    (10, -19, "left", "top"),
    (-10, 19, "right", "bottom"),
    (-10, -19, "right", "top"),
)
_MARKER_PT = 150  # marker area in points^2
_KEY_WIDTH = 0.27  # share of the figure kept for the key when some names do not fit


@dataclass(frozen=True)
class Label:
    """A text placed on the figure: whose, what, and its box in display pixels."""

    actor_id: str
    text: str
    box: Bbox
    numbered: bool


def _drawn_members(members: pd.DataFrame, *, brokers: Sequence[str], most: int) -> pd.DataFrame:
    """The leader, the brokers, then members by leadership, each with the superiors above it
    (so arrows have ends); at most ``most``."""
    ranked = members.sort_values("leadership", ascending=False)
    by_id = ranked.set_index("actor_id")
    ids = list(ranked["actor_id"])
    wanted = ids[:1] + [b for b in brokers if b in by_id.index] + ids[1:]
    chosen: list[str] = []
    for actor in wanted:
        chain = [actor]
        sup = by_id.at[actor, "superior"]
        while isinstance(sup, str) and sup in by_id.index and sup not in chain and len(chain) < 4:
            chain.append(sup)
            sup = by_id.at[sup, "superior"]
        if len(chosen) + len([a for a in chain if a not in chosen]) > most:
            continue
        chosen += [a for a in reversed(chain) if a not in chosen]
        if len(chosen) >= most:
            break
    return ranked[ranked["actor_id"].isin(chosen)]


def _tree_order(m: pd.DataFrame) -> list[str]:
    """Members in depth-first order from the top of each reporting chain, so that everyone
    stands next to the people who report to them."""
    ids = list(m["actor_id"])
    present = set(ids)
    children: dict[str, list[str]] = {}
    roots = []
    for actor, sup in zip(m["actor_id"], m["superior"], strict=True):
        if isinstance(sup, str) and sup in present and sup != actor:
            children.setdefault(sup, []).append(actor)
        else:
            roots.append(actor)
    order: list[str] = []
    stack = list(reversed(roots))
    while stack:
        a = stack.pop()
        if a in order:
            continue
        order.append(a)
        stack.extend(reversed(children.get(a, [])))
    return order + [a for a in ids if a not in order]


def place_labels(
    fig: Figure,
    ax: Any,
    items: Sequence[tuple[str, float, float, str, bool]],
    *,
    obstacles: Sequence[Bbox] = (),
) -> tuple[list[Label], list[str]]:
    """Place ``(actor_id, x, y, text, bold)`` labels in the given order, each at the first
    position of :data:`_OFFSETS` whose box (display pixels) stays inside ``ax`` and overlaps
    neither ``obstacles`` (the node markers) nor a label placed before it. Returns the
    labels placed and the actors whose text fit nowhere (nothing drawn for them)."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer)
    taken: list[Bbox] = list(obstacles)
    placed: list[Label] = []
    left_out: list[str] = []
    for actor, x, y, text, bold in items:
        for dx, dy, ha, va in _OFFSETS:
            t = ax.annotate(
                text,
                (x, y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=7,
                fontweight="bold" if bold else "normal",
                zorder=4,
            )
            box = t.get_window_extent(renderer).expanded(1.04, 1.15)
            inside = (
                box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
            ) and box.y1 <= frame.y1
            if inside and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                placed.append(Label(actor, text, box, numbered=False))
                break
            t.remove()
        else:
            left_out.append(actor)
    return placed, left_out


def hierarchy_figure(
    members: pd.DataFrame,
    *,
    brokers: Sequence[str] = (),
    most: int = 18,
    same_as: Mapping[str, str] | None = None,
) -> tuple[Figure, list[Label], dict[str, Bbox]]:
    """The diagram (see the module docstring), its labels and each node's box; the caller
    saves or closes the figure. ``members`` has ``actor_id``, ``name``, ``community``,
    ``leadership``, ``level``, ``superior`` and, where measured, ``springrank``.
    ``same_as`` adds a note under an actor's name (a burner: ``≈ Name, hand-off 0.83``)."""
    m = _drawn_members(members, brokers=brokers, most=most)
    notes = dict(same_as or {})
    names = {
        r["actor_id"]: short_label(r, max_chars=22)
        + (f"\n{notes[r['actor_id']]}" if r["actor_id"] in notes else "")
        for _, r in m.iterrows()
    }
    full = {  # the key's entry: the name, and any note on a line of its own
        r["actor_id"]: short_label(r, max_chars=36)
        + (f"\n    {notes[r['actor_id']]}" if r["actor_id"] in notes else "")
        for _, r in m.iterrows()
    }
    leader = members.sort_values("leadership", ascending=False)["actor_id"].iloc[0]
    importance = [leader] + [b for b in brokers if b in names and b != leader]
    importance += [a for a in m["actor_id"] if a not in importance]
    fig, ax, nodes = _draw(m, brokers=brokers, leader=leader, key=False)
    items = [(a, *nodes[a][0], names[a], a == leader) for a in importance]
    labels, left_out = place_labels(fig, ax, items, obstacles=[b for _, b in nodes.values()])
    if not left_out:
        return fig, labels, {a: b for a, (_, b) in nodes.items()}
    # some names fit nowhere: draw again with room for a key, numbers beside those nodes
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig, ax, nodes = _draw(m, brokers=brokers, leader=leader, key=True)
    labels, left_out = place_labels(fig, ax, items, obstacles=[b for _, b in nodes.values()])
    taken = [lb.box for lb in labels] + [b for _, b in nodes.values()]
    numbers = [(a, *nodes[a][0], str(i), a == leader) for i, a in enumerate(left_out, 1)]
    numbered, unplaced = place_labels(fig, ax, numbers, obstacles=taken)
    labels += [Label(lb.actor_id, lb.text, lb.box, numbered=True) for lb in numbered]
    number_of = {lb.actor_id: lb.text for lb in numbered}
    key = [f"{number_of[a]}  {full[a]}" for a in left_out if a in number_of]
    key += [f"–  {full[a]} (not marked)" for a in unplaced]
    fig.text(
        1 - _KEY_WIDTH + 0.02,
        0.95,
        "\n".join(key),
        ha="left",
        va="top",
        fontsize=7,
        linespacing=1.5,
    )
    return fig, labels, {a: b for a, (_, b) in nodes.items()}


def _draw(
    m: pd.DataFrame, *, brokers: Sequence[str], leader: str, key: bool
) -> tuple[Figure, Any, dict[str, tuple[tuple[float, float], Bbox]]]:
    """Bands, arrows and nodes; returns each node's data position and its box in pixels."""
    from matplotlib.transforms import Bbox

    order = _tree_order(m)
    x = {a: (i + 0.5) / max(len(order), 1) for i, a in enumerate(order)}
    has_rank = "springrank" in m and m["springrank"].notna().all()
    height = m["springrank"] if has_rank else -m["level"].astype(float)
    y = dict(zip(m["actor_id"], height.astype(float), strict=True))
    fig, ax = _figure(8.4 if key else 7.2, 4.6)
    fig.subplots_adjust(left=0.09, right=(1 - _KEY_WIDTH) if key else 0.98, top=0.95, bottom=0.05)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_ylabel("seniority (SpringRank)" if has_rank else "level", fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    levels = sorted(m["level"].dropna().astype(int).unique())
    for k, lv in enumerate(levels):
        band = height[m["level"] == lv]
        ax.axhspan(
            band.min() - 0.08, band.max() + 0.08, color="#f1f3f6" if k % 2 else "#e7ebf1", zorder=0
        )
    span = float(height.max() - height.min()) or 1.0
    ax.set_ylim(float(height.min()) - 0.12 * span - 0.1, float(height.max()) + 0.12 * span + 0.1)
    ax.set_xlim(-0.04, 1.12)  # the strip right of x = 1 holds the level names, no node
    # each name at the top of its band, moved down where bands overlap so names never touch
    gap = 0.07 * (float(ax.get_ylim()[1]) - float(ax.get_ylim()[0]))
    spots: list[float] = []
    for lv in levels:
        top = float(height[m["level"] == lv].max()) + 0.06
        spots.append(min(top, spots[-1] - gap) if spots else top)
    for lv, spot in zip(levels, spots, strict=True):
        ax.text(
            1.11,
            spot,
            f"level {lv}",
            ha="right",
            va="top",
            fontsize=6.5,
            color="#555555",
        )
    links = [
        (x[sup], y[sup], x[a], y[a])
        for a, sup in zip(m["actor_id"], m["superior"], strict=True)
        if isinstance(sup, str) and sup in x
    ]
    if links:
        x0, y0, x1, y1 = (np.array(v) for v in zip(*links, strict=True))
        # one quiver for all arrows (fast); stop short of both ends so heads stay visible
        ax.quiver(
            x0 + 0.08 * (x1 - x0),
            y0 + 0.08 * (y1 - y0),
            0.84 * (x1 - x0),
            0.84 * (y1 - y0),
            angles="xy",
            scale_units="xy",
            scale=1,
            width=0.0022,
            headwidth=5,
            headlength=6,
            color="#7d8592",
            zorder=2,
        )
    for actor, comm in zip(m["actor_id"], m["community"], strict=True):
        ax.scatter(
            [x[actor]],
            [y[actor]],
            s=_MARKER_PT,
            marker="D" if actor in brokers else "o",
            c=community_colour(comm),
            zorder=3,
            edgecolors="black" if actor == leader else "white",
            linewidths=2.2 if actor == leader else 0.8,
        )
    fig.canvas.draw()  # fixes the transforms the label boxes are measured in
    radius = (_MARKER_PT**0.5) / 2 * fig.dpi / 72 + 1
    nodes = {}
    for actor in m["actor_id"]:
        px, py = ax.transData.transform((x[actor], y[actor]))
        box = Bbox.from_extents(px - radius, py - radius, px + radius, py + radius)
        nodes[actor] = ((x[actor], y[actor]), box)
    return fig, ax, nodes


def hierarchy_png(
    members: pd.DataFrame,
    *,
    brokers: Sequence[str] = (),
    most: int = 18,
    same_as: Mapping[str, str] | None = None,
) -> bytes:
    """:func:`hierarchy_figure` as PNG bytes."""
    fig, _labels, _nodes = hierarchy_figure(members, brokers=brokers, most=most, same_as=same_as)
    return _png(fig)
