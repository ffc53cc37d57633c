"""`graphkit build`: knowledge-graph tables and the actor graph from the ingested sources."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli._common import audited, console, open_case, progress, render

__all__ = ["register"]


def build(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    confirmed_handoffs: Annotated[
        bool,
        typer.Option(
            "--confirmed-handoffs/--no-confirmed-handoffs",
            help="Join the numbers of hand-offs confirmed in review into one actor "
            "(--no-confirmed-handoffs: build the actor graph without them).",
        ),
    ] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Build the knowledge graph (CALLED, TRANSFERRED, USED_DEVICE, CONNECTED_VIA, CONTACT)
    and the actor graph (people, plus phones attributed to no one) in the case store.
    Numbers joined by confirmed hand-offs (SAME_USER_AS) become one actor unless
    --no-confirmed-handoffs; unconfirmed hypotheses never change the graph.

    Example: graphkit build cases/op-lighthouse
    """
    from graphkit.build import Settings
    from graphkit.pipeline import run_stage

    store = open_case(case_dir)
    inputs = {"manifest_sha256": store.manifest_sha256()}
    with (
        audited(store, command="build", operation="combination", inputs=inputs) as entry,
        progress() as bar,
    ):
        task = bar.add_task("building the case graph", total=1)
        summary = run_stage(store, "build", Settings(confirmed_handoffs=confirmed_handoffs))
        bar.update(task, completed=1)
        entry.outputs["manifest_sha256"] = store.manifest_sha256()
        entry.detail.update(summary)
        entry.detail["confirmed_handoffs"] = "applied" if confirmed_handoffs else "ignored"
    rows = [{"table": t, "rows": n} for t, n in summary["tables"].items()]
    render(rows, json_output=json_output, title="case graph built")
    if not json_output:
        console.print(_handoff_note(summary, applied=confirmed_handoffs))


def _handoff_note(summary: dict[str, Any], *, applied: bool) -> str:
    """One line on what confirmed hand-offs did, printed after the table."""
    if not applied:
        return "Confirmed hand-offs ignored (--no-confirmed-handoffs)."
    conflicts = int(summary["handoff_conflicts"])
    note = f"{summary['confirmed_same_user_as']} confirmed hand-off(s) applied"
    if conflicts:
        note += (
            f"; {conflicts} group(s) join numbers of several persons, who keep their numbers "
            "(entity resolution may have missed a merge)"
        )
    return note + "."


def register(app: typer.Typer) -> None:
    app.command("build")(build)
