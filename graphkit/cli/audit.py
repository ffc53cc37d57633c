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
    store = open_case(case_dir, recover=False)
    store.finish_pending_entry()  # an entry a killed command recorded in the manifest
    result = store.audit.verify()
    if not result.ok:
        raise AuditError(f"audit log broken at line {result.first_bad_line}: {result.reason}")
    last = result.entries - 1  # entries are numbered from 0 (`audit log`'s seq)
    console.print(
        f"audit log intact: {result.entries:,} entries (#0 to #{last}), head #{last} "
        f"{result.head_hash}",
        highlight=False,
    )


@audit_app.command("head")
def head(
    case_dir: CaseDir,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the audit head (case id, last entry's number, counted from #0, and its hash) to
    keep outside the case.

    Anyone who can rewrite both the log and the manifest can forge a consistent history; a
    head written down elsewhere (case notes, an e-mail, a ticket) shows whether the log still
    extends it: `graphkit audit log` must hold that entry with that hash.

    Example: graphkit audit head cases/op-lighthouse >> ~/case-notes/heads.txt
    """
    store = open_case(case_dir, recover=False)
    store.finish_pending_entry()
    result = store.audit.verify()
    if not result.ok:
        raise AuditError(f"audit log broken at line {result.first_bad_line}: {result.reason}")
    row = {
        "case_id": store.case_id,
        "seq": result.entries - 1,
        "hash": result.head_hash,
    }
    if json_output:
        render([row], json_output=True, title="audit head")
        return
    # the entry's number as `audit verify` and `audit log` give it: #0 is the first
    console.print(f"{row['case_id']} #{row['seq']} {row['hash']}", highlight=False)


@audit_app.command("log")
def log(
    case_dir: CaseDir,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int | None, typer.Option(help="Only the last N entries.", min=0)] = None,
) -> None:
    """Show the audit log entries (newest last).

    Example: graphkit audit log cases/op-lighthouse --limit 10
    """
    store = open_case(case_dir, recover=False)  # a broken log must stay readable
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
