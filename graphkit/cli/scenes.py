"""`graphkit scenes CASE SCENES_FILE`: tower-dump intersection across scenes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphkit.cli._common import audited, console, open_case, print_json, render
from graphkit.views import LIST_LIMIT

if TYPE_CHECKING:
    from graphkit.cdr.scenes import SceneLists

__all__ = ["register"]


def _when(t: datetime) -> str:
    return t.isoformat(sep=" ", timespec="seconds")


def _visits(scenes: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['scene']}: {_when(v['first'])} .. {_when(v['last'])} ({v['events']})" for v in scenes
    )


def scenes(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    scenes_file: Annotated[
        Path,
        typer.Argument(
            metavar="SCENES_FILE",
            help="TOML: [[scene]] name, cells = [...] or lat/lon/radius_m, start, end (ISO "
            "times with a time zone).",
            show_default=False,
        ),
    ],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    min_days: Annotated[
        int,
        typer.Option(
            "--min-days",
            min=1,
            help="Usually active: a record in the scene's hours on at least this many other days.",
        ),
    ] = 3,
    silent: Annotated[
        bool,
        typer.Option(
            "--silent",
            help="Also list every quiet phone usually active in a scene's hours, ranked by the "
            "silence test's p (most are not evidence: see the line above the list).",
        ),
    ] = False,
    fdr: Annotated[
        float,
        typer.Option(
            "--fdr", min=0.0001, max=0.5, help="False discovery rate of the reported silences."
        ),
    ] = 0.05,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, help="Rows shown in each table (0: all; --json: all)."),
    ] = LIST_LIMIT,
) -> None:
    """Phones at two scenes or more, one-time visitors, and phones usually active in a
    scene's hours but silent during it.

    Present: a call record on one of the scene's cells within its window (the caller's
    cell). One-time visitor: present at one scene only and never on its cells outside the
    window. Silent: no record at all during the window, reported only when the phone's own
    rate in those hours on its other days makes that unlikely (Poisson, Benjamini-Hochberg at
    --fdr over every phone in service and scene); --silent lists every quiet phone.

    Example: graphkit scenes cases/op-lighthouse scenes.toml --min-days 4
    """
    from graphkit.audit import sha256_file
    from graphkit.cdr.scenes import load_scenes, scene_lists

    store = open_case(case_dir)
    scene_specs = load_scenes(scenes_file)
    with audited(
        store,
        command="scenes",
        operation="consultation",
        inputs={"scenes_file": sha256_file(scenes_file)},
    ) as entry:
        result = scene_lists(store, scene_specs, min_days=min_days, fdr=fdr)
        entry.detail["scenes"] = [s.name for s in result.scenes]
        entry.detail["rows"] = {
            "multi_scene": len(result.multi_scene),
            "one_time": len(result.one_time),
            "silent_reported": len(result.silent_reported),
            "silent_quiet": len(result.silent),
            "silent_tested": result.silent_tested,
        }
    if json_output:
        out = {
            "min_days": result.min_days,
            "fdr": result.fdr,
            "silent_tested": result.silent_tested,
            "scenes": [
                {"name": s.name, "cells": list(s.cells), "start": s.start, "end": s.end}
                for s in result.scenes
            ],
            "multi_scene": result.multi_scene,
            "one_time": result.one_time,
            "silent": result.silent_reported,
            "quiet": result.silent,
        }
        print_json(out, default=str)
        return
    tables = (
        (
            [{**r, "scenes": _visits(r["scenes"])} for r in result.multi_scene],
            "phones at two scenes or more",
        ),
        (result.one_time, "one-time visitors"),
    )
    for rows, title in tables:
        shown = rows[:limit] if limit else rows
        render(shown, json_output=False, title=title, not_shown=len(rows) - len(shown))
    _silences(result, limit=limit, show_quiet=silent)


def _silences(result: SceneLists, *, limit: int, show_quiet: bool) -> None:
    reported = result.silent_reported
    console.print(
        f"silent during a scene: {len(reported)} of {result.silent_tested} phones in service "
        f"pass the silence test (no record in the window though their own rate in those hours "
        f"predicts some; Poisson, Benjamini-Hochberg at {result.fdr:g}); "
        f"{len(result.silent)} were quiet though active in those hours on "
        f">= {result.min_days} other days, which alone is not evidence"
        + ("" if show_quiet else " (--silent lists them)")
    )
    if reported:
        shown = reported[:limit] if limit else reported
        render(
            shown,
            json_output=False,
            title=f"silent during a scene (q <= {result.fdr:g})",
            not_shown=len(reported) - len(shown),
        )
    if show_quiet:
        rows = result.silent[:limit] if limit else result.silent
        render(
            rows,
            json_output=False,
            title="quiet during a scene, ranked by p (a lead, not a finding, where q > fdr)",
            not_shown=len(result.silent) - len(rows),
        )


def register(app: typer.Typer) -> None:
    app.command("scenes")(scenes)
