"""The building blocks of a report, independent of its output format.

:mod:`graphkit.report.sections` fills a list of :class:`Section` from the case; the HTML and
Markdown writers render the same blocks, so both formats say the same things.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Block",
    "Box",
    "Card",
    "Cards",
    "Figure",
    "Interactive",
    "Para",
    "Section",
    "Stats",
    "Table",
]


@dataclass(frozen=True)
class Para:
    """A short paragraph of plain text."""

    text: str
    muted: bool = False


@dataclass(frozen=True)
class Figure:
    """A picture: PNG bytes, or SVG bytes when ``kind`` is ``svg`` (vector, for maps);
    ``key`` names its file in Markdown output."""

    key: str
    png: bytes
    caption: str
    kind: str = "png"


@dataclass(frozen=True)
class Stats:
    """Key numbers shown as tiles: (label, value) pairs."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A small table; long ones are cut by the section that makes them."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str = ""
    mono: tuple[str, ...] = ()  # columns shown in a fixed-width font (hashes, identifiers)
    collapsed: bool = False  # HTML: folded under its caption until opened


@dataclass(frozen=True)
class Box:
    """A framed group: ``kind`` is ``hypothesis`` (model output, not fact), ``fact``
    (observed) or ``note``."""

    kind: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Card:
    """A community card: title, colour of the community, blocks."""

    title: str
    colour: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Cards:
    """A column of cards."""

    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Interactive:
    """The interactive network view (HTML only; Markdown shows ``fallback``)."""

    data: dict[str, Any]
    fallback: Figure | None = None


Block = Para | Figure | Stats | Table | Box | Cards | Interactive


@dataclass(frozen=True)
class Section:
    """A titled part of the report; ``anchor`` is its link target."""

    anchor: str
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
