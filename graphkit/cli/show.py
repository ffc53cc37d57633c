"""`graphkit show CASE_DIR VIEW`: the one way to read results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import audited, open_case, render
from graphkit.views import all_views, get_view

__all__ = ["register"]


def show(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    view_name: Annotated[
        str, typer.Argument(metavar="VIEW", help="View to show (see `graphkit show --list x`).")
    ] = "sources",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.", min=0)] = None,
    list_views: Annotated[bool, typer.Option("--list", help="List the views and exit.")] = False,
) -> None:
    """Show a view of the case as a table, or JSON with --json.

    Views: sources, rejects, and those of later stages (--list shows them all).

    Example: graphkit show cases/op-lighthouse rejects --limit 20
    """
    if list_views:
        render(
            [{"view": v.name, "shows": v.help} for v in all_views().values()],
            json_output=json_output,
            title="views",
        )
        return
    store = open_case(case_dir)
    v = get_view(view_name)
    with audited(store, command=f"show {view_name}", operation="consultation") as entry:
        rows = v(store, limit=limit)
        entry.detail["rows"] = len(rows)
    render(rows, json_output=json_output, title=view_name)


def register(app: typer.Typer) -> None:
    app.command("show")(show)
