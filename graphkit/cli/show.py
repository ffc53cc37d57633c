"""`graphkit show CASE_DIR VIEW [QUERY]`: the one way to read results."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import audited, open_case, render
from graphkit.cli.cells import readable_rows
from graphkit.views import LIST_LIMIT, all_views, get_view

__all__ = ["register"]


def show(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    view_name: Annotated[
        str, typer.Argument(metavar="VIEW", help="View to show (see `graphkit show --list x`).")
    ] = "sources",
    query: Annotated[
        str | None,
        typer.Argument(
            metavar="[QUERY]",
            help="For the actor view: a name, a phone in any format or an id (or its start).",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[
        int | None,
        typer.Option(
            help=f"At most this many rows (0: all; default: the view's own, else {LIST_LIMIT}).",
            min=0,
        ),
    ] = None,
    list_views: Annotated[bool, typer.Option("--list", help="List the views and exit.")] = False,
) -> None:
    """Show a view of the case as a table, or JSON with --json.

    Views: sources, rejects, and those of later stages (--list shows them all). People are
    shown by name beside their id; `actor QUERY` shows one actor's card. A table says how
    many rows its limit left out.

    Example: graphkit show cases/op-lighthouse actor "kate schmidt"
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
    if limit is None and json_output and v.default_limit is None:
        limit = 0  # JSON is read by scripts: every row unless they ask for fewer
    with audited(store, command=f"show {view_name}", operation="consultation") as entry:
        page = v.page(store, limit=limit, query=query)
        entry.detail["rows"] = len(page.rows)
        if query is not None:
            entry.detail["query"] = query  # who looked up whom is part of the record
    title = view_name if not page.not_shown else f"{view_name} ({len(page.rows)} of {page.total})"
    if v.query and page.rows:
        title = f"{view_name}: {page.rows[0].get('name') or query}"
    rows = page.rows
    if not json_output:
        if v.json_only:
            rows = [{k: x for k, x in r.items() if k not in v.json_only} for r in rows]
        rows = readable_rows(rows)  # summaries and record lists as text, not raw JSON
    render(
        rows,
        json_output=json_output,
        title=title,
        not_shown=page.not_shown,
        record=v.query,
    )


def register(app: typer.Typer) -> None:
    app.command("show")(show)
