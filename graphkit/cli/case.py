"""`graphkit init` and `graphkit status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli._common import ACTOR, console, open_case, render
from graphkit.store import CaseStore

__all__ = ["register"]

CaseDir = Annotated[Path, typer.Argument(help="The case directory.", show_default=False)]


def init(
    case_dir: CaseDir,
    name: Annotated[str | None, typer.Option(help="Case name (default: directory name).")] = None,
) -> None:
    """Create a new case: a DuckDB file, a manifest and an audit log.

    Example: graphkit init cases/op-lighthouse
    """
    store = CaseStore.init(case_dir, name=name, actor=ACTOR["actor"])
    console.print(f"created case [bold]{store.manifest['name']}[/bold] in {case_dir}")


def status_rows(store: CaseStore) -> dict[str, Any]:
    """Sources, row counts, rejects and stages of a case, as plain data."""
    m = store.manifest
    sources = m.get("sources", {})
    return {
        "case": m.get("name"),
        "case_id": m.get("case_id"),
        "created_at": m.get("created_at"),
        "manifest_sha256": store.manifest_sha256(),
        "sources": [
            {
                "source": n,
                "kind": s.get("kind"),
                "status": s.get("status"),
                "rows_read": s.get("rows_read"),
                "accepted": s.get("accepted"),
                "rejected": s.get("rejected"),
                "duplicates": s.get("duplicates"),
            }
            for n, s in sorted(sources.items())
        ],
        "totals": {
            "rows_read": sum(int(s.get("rows_read") or 0) for s in sources.values()),
            "accepted": sum(int(s.get("accepted") or 0) for s in sources.values()),
            "rejected": sum(int(s.get("rejected") or 0) for s in sources.values()),
        },
        "stages": {
            n: {"ran_at": s.get("ran_at"), **s.get("summary", {})}
            for n, s in sorted(m.get("stages", {}).items())
        },
        "models": m.get("models", {}),
        "audit_entries": (m.get("audit_head") or {}).get("seq", -1) + 1,
    }


def status(
    case_dir: CaseDir,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a case: sources, row counts, rejects, and which stages have run.

    Example: graphkit status cases/op-lighthouse --json
    """
    store = open_case(case_dir)
    info = status_rows(store)
    if json_output:
        render([info], json_output=True, title="status")
        return
    console.print(f"[bold]{info['case']}[/bold]  manifest {info['manifest_sha256'][:16]}…")
    render(info["sources"], json_output=False, title="sources")
    t = info["totals"]
    console.print(f"rows read {t['rows_read']}, accepted {t['accepted']}, rejected {t['rejected']}")
    stages = info["stages"]
    if stages:
        render(
            [{"stage": n, **v} for n, v in stages.items()],
            json_output=False,
            title="stages run",
        )
    else:
        console.print("[dim]no analysis stage has run yet[/dim]")
    console.print(f"audit log: {info['audit_entries']} entries")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
