"""`graphkit ingest` and `graphkit run`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from graphkit.audit import sha256_file
from graphkit.cli import logs
from graphkit.cli._common import ACTOR, audited, console, flag_names, open_case, progress, render
from graphkit.ingest.kinds import KINDS
from graphkit.runfile import load_case_file
from graphkit.store import CaseStore

if TYPE_CHECKING:  # the ingest machinery (pyarrow, parsers) loads when a file is ingested
    from graphkit.ingest import IngestResult

__all__ = ["FLAGS", "ingest_one", "register"]

#: the command's option for each field of :class:`graphkit.ingest.Settings`
FLAGS = {
    "path": "FILE",
    "kind": "--kind",
    "mapping_path": "--mapping",
    "source_name": "--source-name",
    "replace": "--replace",
}

_STEPS = (
    "hashing",
    "reading",
    "normalising identifiers",
    "normalising fields",
    "writing",
    "committing",
)


def ingest_one(
    store: CaseStore,
    file: Path,
    *,
    kind: str,
    mapping: Path | None,
    source_name: str | None,
    replace: bool,
) -> IngestResult:
    """Ingest one file with a progress display, audited as collection."""
    from graphkit.ingest import Settings
    from graphkit.pipeline import run_stage

    with flag_names(FLAGS):
        settings = Settings(
            path=file, kind=kind, mapping_path=mapping, source_name=source_name, replace=replace
        )
    inputs = {"file": str(file)}
    if file.is_file():
        inputs["file_sha256"] = sha256_file(file)
    if mapping is not None and mapping.is_file():
        inputs["mapping_sha256"] = sha256_file(mapping)
    with (
        audited(
            store, command="ingest", operation="collection", inputs=inputs, external_access=True
        ) as entry,
        flag_names(FLAGS),
        progress() as bar,
    ):
        task = bar.add_task(f"ingest {file.name}", total=len(_STEPS))

        def step(message: str) -> None:
            done = _STEPS.index(message) if message in _STEPS else 0
            bar.update(task, completed=done, description=f"{file.name}: {message}")

        result: IngestResult = run_stage(store, "ingest", settings, progress=step)
        bar.update(task, completed=len(_STEPS))
        entry.outputs["manifest_sha256"] = store.manifest_sha256()
        entry.detail.update(result.to_dict())
    return result


def _report(result: IngestResult) -> None:
    if result.skipped:
        console.print(
            f"{result.source_name}: this file was already ingested (same SHA-256); nothing to do "
            "(use --replace to ingest it again)"
        )
        return
    verb = "replaced" if result.replaced else "ingested"
    console.print(
        f"{result.source_name} ({result.kind}) {verb}: {result.rows_read:,} rows read = "
        f"{result.accepted:,} accepted + {result.rejected:,} rejected; "
        f"{result.duplicates:,} exact duplicate rows"
        + (
            f"; {result.duplicate_record_ids:,} repeated record ids"
            if result.duplicate_record_ids
            else ""
        )
    )
    for field, n in result.ambiguous_times.items():
        console.print(
            f"  {n} {field} value(s) fall in the repeated hour when the clocks go back: each "
            "was read as the second occurrence (standard time)"
        )
    if result.rejected:
        console.print(
            f"  see them with: graphkit show CASE_DIR rejects  (source {result.source_name})"
        )


def ingest(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    file: Annotated[
        Path, typer.Argument(help="CSV, Parquet or JSON Lines file.", show_default=False)
    ],
    kind: Annotated[str, typer.Option(help=f"What the file holds: {', '.join(KINDS)}.")],
    mapping: Annotated[
        Path | None, typer.Option(help="TOML mapping of source columns to canonical fields.")
    ] = None,
    source_name: Annotated[
        str | None, typer.Option(help="Name of this source (default: file name).")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Replace a source ingested before.")] = False,
) -> None:
    """Ingest a source file: validate, normalise, and keep bad rows in a rejects table.

    Example: graphkit ingest mycase calls.csv --kind cdr --mapping opA.toml
    """
    store = open_case(case_dir)
    _report(
        ingest_one(
            store, file, kind=kind, mapping=mapping, source_name=source_name, replace=replace
        )
    )


def run(
    case_file: Annotated[
        Path, typer.Argument(help="case.toml listing the sources.", show_default=False)
    ],
    case_dir: Annotated[
        Path | None, typer.Option("--case", help="Case directory (default: beside case.toml).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Ingest every source a case.toml lists (creating the case if needed).

    Example: graphkit run sim/case.toml --case cases/sim
    """
    spec = load_case_file(case_file)
    target = case_dir or case_file.parent / "case"
    if (target / "manifest.json").exists():
        store = open_case(target)
    else:
        store = CaseStore.init(target, name=spec.name, actor=ACTOR["actor"])
        logs.attach_case_log(store.path)
    results = []
    for src in spec.sources:
        result = ingest_one(
            store, src.file, kind=src.kind, mapping=src.mapping, source_name=src.name, replace=False
        )
        results.append(result)
        if not json_output:
            _report(result)
    if json_output:
        render([r.to_dict() for r in results], json_output=True, title="ingest")
    else:
        console.print(f"case: {target}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("run")(run)
