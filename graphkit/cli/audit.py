"""`graphkit audit verify` and `graphkit audit log`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import console, open_case, render
from graphkit.errors import AuditError

__all__ = ["register"]

audit_app = typer.Typer(
    help="Check and read the case's hash-chained audit log.", no_args_is_help=True
)
CaseDir = Annotated[Path, typer.Argument(help="The case directory.", show_default=False)]


@audit_app.command("verify")
def verify(case_dir: CaseDir) -> None:
    """Verify the audit chain; exits 1 and names the first broken entry on any tampering.

    Example: graphkit audit verify cases/op-lighthouse
    """
    store = open_case(case_dir)
    result = store.audit.verify()
    if not result.ok:
        raise AuditError(f"audit log broken at line {result.first_bad_line}: {result.reason}")
    console.print(f"audit log intact: {result.entries} entries, head {result.head_hash}")


@audit_app.command("log")
def log(
    case_dir: CaseDir,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int | None, typer.Option(help="Only the last N entries.", min=0)] = None,
) -> None:
    """Show the audit log entries (newest last).

    Example: graphkit audit log cases/op-lighthouse --limit 10
    """
    store = open_case(case_dir)
    entries = store.audit.entries()
    if limit is not None:
        entries = entries[-limit:] if limit else []
    rows = [
        {
            k: e.get(k)
            for k in (
                "seq",
                "timestamp",
                "actor",
                "command",
                "operation",
                "outcome",
                "inputs",
                "outputs",
                "detail",
            )
        }
        for e in entries
    ]
    render(rows, json_output=json_output, title="audit log")


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
