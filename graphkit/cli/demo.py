"""`graphkit demo`: run the whole pipeline on the embedded default and print where to look."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import audited, console, render
from graphkit.cli.ingest import _report, ingest_one
from graphkit.errors import InputError
from graphkit.store import CaseStore

__all__ = ["register"]


def _montagna_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent.parent / "shared" / "data" / "montagna"
        if candidate.is_dir():
            return candidate
    raise InputError("the Montagna dataset (../shared/data/montagna) was not found")


def demo(
    out_dir: Annotated[Path, typer.Argument(help="Where to write the demo case.")] = Path(
        "demo-out"
    ),
) -> None:
    """Run the demo: build a case from the Montagna networks and summarise it.

    Example: graphkit demo demo-out
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    case_dir = out_dir / "case"
    store = CaseStore.init(case_dir, name="montagna-demo")
    with audited(store, command="init", operation="collection") as entry:
        entry.detail["case_id"] = store.case_id
    data = _montagna_dir()
    for name in ("phone", "meetings", "kinship", "sightings"):
        _report(
            ingest_one(
                store,
                data / f"{name}.csv",
                kind="contacts",
                mapping=None,
                source_name=f"montagna_{name}",
                replace=False,
            )
        )
    from graphkit.ingest.views import sources_view

    render(sources_view(store), json_output=False, title="sources")
    console.print(f"demo case: {case_dir}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
