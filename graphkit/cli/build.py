"""`graphkit build`: knowledge-graph tables and the actor graph from the ingested sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import audited, open_case, progress, render

__all__ = ["register"]


def build(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Build the knowledge graph (CALLED, TRANSFERRED, USED_DEVICE, CONNECTED_VIA, CONTACT)
    and the actor graph (people, plus phones attributed to no one) in the case store.

    Example: graphkit build cases/op-lighthouse
    """
    from graphkit.build import build_graph

    store = open_case(case_dir)
    inputs = {"manifest_sha256": store.manifest_sha256()}
    with (
        audited(store, command="build", operation="combination", inputs=inputs) as entry,
        progress() as bar,
    ):
        task = bar.add_task("building the case graph", total=1)
        summary = build_graph(store)
        bar.update(task, completed=1)
        entry.outputs["manifest_sha256"] = store.manifest_sha256()
        entry.detail.update(summary)
    rows = [{"table": t, "rows": n} for t, n in summary["tables"].items()]
    render(rows, json_output=json_output, title="case graph built")


def register(app: typer.Typer) -> None:
    app.command("build")(build)
