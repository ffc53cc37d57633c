"""What every CLI command shares: opening a case, auditing, rendering, progress."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from graphkit.store import CaseStore, Operation

__all__ = [
    "Operation",
    "audited",
    "console",
    "err_console",
    "flag_names",
    "open_case",
    "progress",
    "render",
]


def _console(*, stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    # Piped output is read by people too (logs, CI): do not wrap it at 80 columns.
    return probe if probe.is_terminal else Console(stderr=stderr, width=160)


console = _console(stderr=False)
err_console = _console(stderr=True)

# Set by the root callback (--actor); None means the OS user.
ACTOR: dict[str, str | None] = {"actor": None}


def open_case(case_dir: Path, *, recover: bool = True) -> CaseStore:
    """Open the case at ``case_dir`` (CaseError with a one-line message otherwise).

    Unless ``recover`` is False (``audit verify`` only reads), what a killed command left is
    finished first and the audit chain checked (one-line TamperError, exit 2, when broken).
    """
    store = CaseStore.open(case_dir)
    if recover:
        store.recover()
    return store


@contextlib.contextmanager
def audited(
    store: CaseStore,
    *,
    command: str,
    operation: str,
    inputs: dict[str, str] | None = None,
    external_access: bool = False,
) -> Iterator[Operation]:
    """Run the enclosed work as one operation of the case's write path (its tables, manifest
    changes and audit entries together or not at all), as the acting person (``--actor``)."""
    with store.operation(
        command,
        operation=operation,
        inputs=inputs,
        actor=ACTOR["actor"],
        external_access=external_access,
    ) as entry:
        yield entry


@contextlib.contextmanager
def flag_names(flags: dict[str, str]) -> Iterator[None]:
    """Name the command's option in a settings error: the library names fields
    (``n_runs: must be at least 1``), the user typed flags (``--runs: must be at least 1``)."""
    from graphkit.errors import InputError
    from graphkit.settings import SettingsError

    try:
        yield
    except SettingsError as exc:
        if exc.field not in flags:
            raise
        raise InputError(f"{flags[exc.field]}: {exc.problem}") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=_jsonable, ensure_ascii=False)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


_INLINE_EXPLANATION_MAX_COLUMNS = 9


def _nested(value: Any) -> bool:
    """A dict, or a list of dicts: structured evidence, left to ``--json`` in tables."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def render(
    rows: Sequence[dict[str, Any]],
    *,
    json_output: bool,
    title: str,
    columns: Sequence[str] | None = None,
) -> None:
    """Print rows as JSON (for scripts) or as a table (for people).

    The table leaves out nested columns (dicts such as ``evidence``, lists of dicts) when the
    rows carry a plain-language ``explanation``: the table stays readable and a caption says
    where the full evidence is (``--json``).
    """
    if json_output:
        sys.stdout.write(json.dumps(list(rows), default=_jsonable, ensure_ascii=False, indent=2))
        sys.stdout.write("\n")
        return
    if not rows:
        console.print(f"[dim]{title}: nothing to show[/dim]")
        return
    cols = list(columns or rows[0].keys())
    if len(rows) == 1 and len(cols) > _INLINE_EXPLANATION_MAX_COLUMNS and "explanation" not in cols:
        # one record with many fields (a run summary): one line per field, not 20 thin columns
        record = Table(title=title, show_header=False)
        record.add_column("field", style="bold")
        record.add_column("value", overflow="fold")
        for c in cols:
            record.add_row(c, _cell(rows[0].get(c)))
        console.print(record)
        return
    hidden: list[str] = []
    if "explanation" in cols:
        hidden = [c for c in cols if any(_nested(r.get(c)) for r in rows)]
        cols = [c for c in cols if c not in hidden]
    # a wide table leaves no room for free text: explanations then follow the table, one
    # paragraph per row, keyed by the row's first column
    below = "explanation" in cols and len(cols) > _INLINE_EXPLANATION_MAX_COLUMNS
    if below:
        cols.remove("explanation")
    caption = f"not shown: {', '.join(hidden)} (use --json)" if hidden else None
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*(_cell(r.get(c)) for c in cols))
    console.print(table)
    if below:
        for r in rows:
            console.print(
                f"[bold]{escape(_cell(r.get(cols[0])))}[/bold]: "
                f"{escape(_cell(r.get('explanation')))}"
            )


def progress(*, transient: bool = True) -> Progress:
    """A progress display on stderr: spinner, description, bar, count, elapsed time."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
        disable=not err_console.is_terminal,
    )
