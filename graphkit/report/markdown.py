"""Markdown report for case files: the same sections, PNG figures in a folder beside it."""

from __future__ import annotations

from pathlib import Path

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


def _cell(value: object) -> str:
    text = "–" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(t: Table) -> list[str]:
    lines = [f"*{t.caption}*", ""] if t.caption else []
    lines.append("| " + " | ".join(_cell(c) for c in t.columns) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in t.rows]
    return [*lines, ""]


def _block(b: Block, figures: dict[str, bytes], folder: str) -> list[str]:
    if isinstance(b, Para):
        return [f"*{b.text}*" if b.muted else b.text, ""]
    if isinstance(b, Figure):
        figures[f"{b.key}.png"] = b.png
        return [f"![{b.caption}]({folder}/{b.key}.png)", "", f"*{b.caption}*", ""]
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Stats):
        return _table(Table(("measure", "value"), b.items))
    if isinstance(b, Box):
        badge = {"hypothesis": "HYPOTHESIS", "fact": "OBSERVED", "note": "NOTE"}[b.kind]
        inner = [x for blk in b.blocks for x in _block(blk, figures, folder)]
        return [f"> **{badge}: {b.title}**", ">", *(f"> {x}" if x else ">" for x in inner), ""]
    if isinstance(b, Cards):
        out: list[str] = []
        for c in b.cards:
            out += [f"### {c.title}", ""]
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
    lines = [f"# {title}", "", subtitle, ""]
    for s in sections:
        lines += [f"## {s.title}", ""]
        for b in s.blocks:
            lines += _block(b, figures, Path(folder).as_posix())
    return "\n".join(lines).rstrip() + "\n", figures
