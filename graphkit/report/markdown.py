"""Markdown report for case files: the same sections, PNG figures in a folder beside it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from graphkit.report.blocks import (
    Block,
    Box,
    Cards,
    Figure,
    Interactive,
    Para,
    Section,
    Stats,
    Table,
)

__all__ = ["render_markdown"]


# Case data (names, aliases, addresses, file names) is hostile input: a person called
# ``<img src=x onerror=...>`` or ``[x](javascript:...)`` must reach the reader as text. Every
# string the writer emits goes through :func:`_text`: HTML's ``& < >`` become entities (no raw
# HTML, no ``<http://...>`` autolinks) and the Markdown punctuation that opens emphasis, code,
# links and images is backslash-escaped, so ``[..](..)`` and ``![..](..)`` stay literal
# (a bare ``http://...`` stays text in CommonMark; only GFM's linkify would make it a link).
_MD_ESCAPE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "|": "\\|",
        "~": "\\~",
        "\r": " ",
        "\n": " ",
    }
)


def _text(value: object) -> str:
    """``value`` as inert Markdown text on one line (HTML and link syntax escaped)."""
    return str(value).translate(_MD_ESCAPE)


def _line(value: object) -> str:
    """:func:`_text` for a line of its own: a leading ``#``, ``-``, ``+`` or ``=`` is escaped
    too, so a name cannot turn a paragraph into a heading, list or rule."""
    text = _text(value)
    return "\\" + text if text[:1] in ("#", "-", "+", "=") else text


def _cell(value: object) -> str:
    return "–" if value is None else _text(value)


def _table(t: Table) -> list[str]:
    lines = [f"*{_text(t.caption)}*", ""] if t.caption else []
    lines.append("| " + " | ".join(_cell(c) for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in t.rows]
    return [*lines, ""]


def _block(b: Block, figures: dict[str, bytes], folder: str) -> list[str]:
    if isinstance(b, Para):
        return [f"*{_text(b.text)}*" if b.muted else _line(b.text), ""]
    if isinstance(b, Figure):
        figures[f"{b.key}.{b.kind}"] = b.png
        caption = _text(b.caption)
        # the folder comes from the --out name: percent-encoded so ``)`` or spaces cannot end
        # or redirect the link
        link = quote(f"{folder}/{b.key}.{b.kind}")
        return [f"![{caption}]({link})", "", f"*{caption}*", ""]
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Stats):
        return _table(Table(("measure", "value"), b.items))
    if isinstance(b, Box):
        badge = {"hypothesis": "HYPOTHESIS", "fact": "OBSERVED", "note": "NOTE"}[b.kind]
        inner = [x for blk in b.blocks for x in _block(blk, figures, folder)]
        return [
            f"> **{badge}: {_text(b.title)}**",
            ">",
            *(f"> {x}" if x else ">" for x in inner),
            "",
        ]
    if isinstance(b, Cards):
        out: list[str] = []
        for c in b.cards:
            out += [f"### {_text(c.title)}", ""]
            out += [x for blk in c.blocks for x in _block(blk, figures, folder)]
        return out
    if isinstance(b, Interactive):
        return []  # the static picture follows it in the section
    raise TypeError(f"unknown block {type(b).__name__}")


def render_markdown(
    sections: list[Section], *, title: str, subtitle: str, folder: str
) -> tuple[str, dict[str, bytes]]:
    """The Markdown text and the PNG files (name -> bytes) it links to under ``folder``."""
    figures: dict[str, bytes] = {}
    lines = [f"# {_text(title)}", "", _line(subtitle), ""]
    for s in sections:
        lines += [f"## {_text(s.title)}", ""]
        for b in s.blocks:
            lines += _block(b, figures, Path(folder).as_posix())
    return "\n".join(lines).rstrip() + "\n", figures
