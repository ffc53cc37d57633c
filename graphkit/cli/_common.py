"""What every CLI command shares: opening a case, auditing, rendering, progress."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
import typer.rich_utils
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

from graphkit.cli import logs
from graphkit.errors import InputError
from graphkit.people import short_id
from graphkit.store import CaseStore, Operation
from graphkit.views import format_number

__all__ = [
    "Operation",
    "audited",
    "console",
    "err_console",
    "flag_names",
    "open_case",
    "output_path",
    "progress",
    "render",
    "start_command",
]


def _help_width() -> int | None:
    """Columns for ``--help``: the terminal's, also when the output is piped (``| less``)
    while stderr or stdin is still a terminal; ``COLUMNS``, else 100, when there is none.
    None leaves it to Typer (``TERMINAL_WIDTH`` set, which Typer reads itself)."""
    if os.environ.get("TERMINAL_WIDTH"):
        return None
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            continue
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else _PIPED_HELP_WIDTH


_PIPED_HELP_WIDTH = 100
typer.rich_utils.MAX_WIDTH = _help_width()


def start_command(ctx: typer.Context, *, verbose: bool) -> None:
    """Per command: logging set up (:mod:`graphkit.cli.logs`), and when the command ends,
    one line on stderr if library messages were kept off the terminal."""
    logs.configure(verbose=verbose)
    command = ctx.invoked_subcommand or "graphkit"

    def close() -> None:
        line = logs.held_summary(command)
        if line:
            err_console.print(f"[dim]{escape(line)}[/dim]", highlight=False, soft_wrap=True)
        logs.reset()

    ctx.call_on_close(close)


def _console(*, stderr: bool) -> Console:
    probe = Console(stderr=stderr)
    # Piped output is read by people too (logs, CI): do not wrap it at 80 columns, unless the
    # user set COLUMNS for it
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) > 0 else _PIPED_WIDTH
    return probe if probe.is_terminal else Console(stderr=stderr, width=width)


_PIPED_WIDTH = 160


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
    logs.attach_case_log(store.path)
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


#: a field named inside a settings problem: `force`
_FIELD_REF = re.compile(r"`([a-z_]+)`")


@contextlib.contextmanager
def flag_names(flags: dict[str, str]) -> Iterator[None]:
    """Name the command's options in a settings error: the library names fields
    (``n_runs: must be at least 1``; other fields in backticks, ```force```), the user typed
    flags (``--runs: must be at least 1``, ``--force``)."""
    from graphkit.settings import SettingsError

    try:
        yield
    except SettingsError as exc:
        if exc.field not in flags:
            raise
        problem = _FIELD_REF.sub(lambda m: flags.get(m.group(1), m.group(0)), exc.problem)
        raise InputError(f"{flags[exc.field]}: {problem}") from exc


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return str(value)


def json_safe(value: Any) -> Any:
    """``value`` with every float that JSON has no word for (NaN, infinities: a measure not
    computed for that row) as ``null``; dicts, lists and tuples followed."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if (
        type(value).__module__ == "numpy"
        and hasattr(value, "item")
        and not hasattr(value, "__len__")
    ):
        # a numpy scalar (float32 NaN included), told by its module: the CLI starts without
        # importing numpy
        return json_safe(value.item())
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _json(
    value: Any, *, indent: int | None = None, default: Callable[[Any], Any] = _jsonable
) -> str:
    return json.dumps(
        json_safe(value), default=default, ensure_ascii=False, indent=indent, allow_nan=False
    )


def print_json(value: Any, *, default: Callable[[Any], Any] = _jsonable) -> None:
    """``value`` as indented JSON on stdout, a measure not computed as ``null`` (valid JSON:
    no ``NaN``)."""
    sys.stdout.write(_json(value, indent=2, default=default) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # a measure not computed for the row is left blank, as a missing value is
        return "" if math.isnan(value) else format_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return _json(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def _who(value: Any, name: Any) -> str:
    """An actor as people read it: ``Name (P93c67e4…)``, a phone's holder as ``Name
    (+447700900123)``, the value alone when it has no other name."""
    if value is None:
        return ""
    if isinstance(name, str) and name and name != value:
        return f"{name} ({short_id(str(value))})"
    return str(value)


_PHONES_SHOWN = 3


def _phones_cell(phones: Any) -> str:
    if not isinstance(phones, list | tuple):
        return _cell(phones)
    more = len(phones) - _PHONES_SHOWN
    return ", ".join(map(str, phones[:_PHONES_SHOWN])) + (f" +{more} more" if more > 0 else "")


def _actor_helpers(row: dict[str, Any], col: str) -> tuple[str, ...]:
    """The fields the view registry added beside the actor column ``col`` (see
    :meth:`graphkit.people.Directory.name_rows`); empty when ``col`` holds no actor."""
    if col == "actor_id" and "name" in row:
        return ("name",)
    if f"{col}_name" in row:
        return (f"{col}_name", f"{col}_phones", f"{col}_actor")
    if f"{col}_names" in row:
        return (f"{col}_names", f"{col}_phones")
    return ()


def _show(row: dict[str, Any], col: str) -> str:
    """A cell: actors by name beside their id, numbers with three significant digits."""
    value = row.get(col)
    if col == "actor_id" and "name" in row:
        return _who(value, row["name"])
    if f"{col}_name" in row:
        return _who(value, row[f"{col}_name"])
    if f"{col}_names" in row and isinstance(value, list | tuple):
        names = row[f"{col}_names"] or []
        return ", ".join(_who(v, names[i] if i < len(names) else None) for i, v in enumerate(value))
    if col == "phones" or col.endswith("_phones"):
        return _phones_cell(value)
    return _cell(value)


_INLINE_EXPLANATION_MAX_COLUMNS = 9


def _nested(value: Any) -> bool:
    """A dict, or a list of dicts: structured evidence, left to ``--json`` in tables."""
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and any(isinstance(v, dict) for v in value)


def _visible(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> list[str]:
    """The columns a table shows: those asked for, else every field but the names and phones
    the registry added beside actor columns (the actor cell shows the name)."""
    if columns is not None:
        return list(columns)
    cols = list(rows[0].keys())
    helpers = {h for c in cols for h in _actor_helpers(rows[0], c)}
    helpers.discard("phones")  # the row's own actor keeps its phones column
    helpers.add("evidence_names")
    return [c for c in cols if c not in helpers]


_SHORT = 24  # a value up to this long is never wrapped (numbers, dates, codes)
_TEXT_MIN = 16  # the narrowest a column of free text is drawn
_EXPLANATION_MIN = 40  # an explanation narrower than this follows the table instead
_CELL_EDGES = 3  # a column's padding and border


def _is_key(row: dict[str, Any], col: str) -> bool:
    """Ids, names beside ids and phones: never split across lines."""
    return (
        col in ("id", "phone", "phones", "review_id")
        or col.endswith(("_id", "_phones"))
        or bool(_actor_helpers(row, col))
    )


def _fit(
    row: dict[str, Any], cols: Sequence[str], cells: dict[str, list[str]], width: int
) -> dict[str, int]:
    """The columns that fit ``width`` in their order, each with the width it needs: keys and
    short values whole, free text at least ``_TEXT_MIN`` (wrapped). The first column always."""
    out: dict[str, int] = {}
    used = 1
    for c in cols:
        longest = max((len(v) for v in cells[c]), default=0)
        whole = _is_key(row, c) or longest <= _SHORT
        need = max(len(c) if longest else 1, longest if whole else _TEXT_MIN)
        if out and used + need + _CELL_EDGES > width:
            continue
        out[c] = need
        used += need + _CELL_EDGES
    return out


def _more_note(not_shown: int) -> str:
    return f"… {not_shown} more not shown (--limit 0 shows all)"


def _record(row: dict[str, Any], *, title: str, cols: Sequence[str]) -> None:
    """One record, one line per field; lists of records (a card's hypotheses) as tables."""
    record = Table(title=title, show_header=False)
    record.add_column("field", style="bold")
    record.add_column("value", overflow="fold")
    sections = []
    for c in cols:
        value = row.get(c)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            sections.append(c)
            continue
        if isinstance(value, list) and not value and c not in ("phones",):
            record.add_row(c, "none")
        elif c == "actor_id" and "name" in row:  # a record is where the whole id is read
            record.add_row(c, _cell(value))
            record.add_row("name", _cell(row["name"]))
        else:
            record.add_row(c, _show(row, c))
    console.print(record)
    for c in sections:
        render(row[c], json_output=False, title=f"{c} ({len(row[c])})")


def render(
    rows: Sequence[dict[str, Any]],
    *,
    json_output: bool,
    title: str,
    columns: Sequence[str] | None = None,
    not_shown: int = 0,
    record: bool = False,
) -> None:
    """Print rows as JSON (for scripts) or as a table (for people).

    Actors show as ``Name (id…)`` where the rows carry their names (every view does); numbers
    with three significant digits (:func:`graphkit.views.format_number`). ``not_shown``: rows
    left out by a limit, said under the table (JSON stays the list of rows alone).
    ``record``: one row shown field by field, its lists of records as tables below.

    The table leaves out nested columns (dicts such as ``evidence``, lists of dicts) when the
    rows carry a plain-language ``explanation``: the table stays readable and a caption says
    where the full evidence is (``--json``).
    """
    if json_output:
        sys.stdout.write(_json(list(rows), indent=2))
        sys.stdout.write("\n")
        return
    if not rows:
        console.print(f"[dim]{title}: nothing to show[/dim]")
        return
    cols = _visible(rows, columns)
    wide = len(cols) > _INLINE_EXPLANATION_MAX_COLUMNS and "explanation" not in cols
    if len(rows) == 1 and (record or wide):
        # one record with many fields (a run summary): one line per field, not 20 thin columns
        _record(rows[0], title=title, cols=cols)
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
    cells = {c: [_show(r, c) for r in rows] for c in cols}
    widths = _fit(rows[0], cols, cells, console.width)
    room = console.width - 1 - sum(w + _CELL_EDGES for c, w in widths.items() if c != "explanation")
    if "explanation" in cols and ("explanation" not in widths or room < _EXPLANATION_MIN):
        # too narrow a terminal for the explanation beside the names and ids (left out, or a
        # column of a few words a line): it follows the table, one paragraph per row
        below = True
        cols.remove("explanation")
        widths = _fit(rows[0], cols, cells, console.width)
    hidden += [c for c in cols if c not in widths]
    cols = [c for c in cols if c in widths]
    caption = f"not shown: {', '.join(hidden)} (use --json)" if hidden else None
    table = Table(title=title, caption=caption, show_lines=False, header_style="bold")
    for c in cols:
        table.add_column(c, overflow="fold", min_width=widths[c], no_wrap=_is_key(rows[0], c))
    for i in range(len(rows)):
        table.add_row(*(cells[c][i] for c in cols))
    console.print(table)
    if below:
        for r in rows:
            console.print(
                f"[bold]{escape(_show(r, cols[0]))}[/bold]: {escape(_cell(r.get('explanation')))}"
            )
    if not_shown:  # last, where the reader's eye ends
        console.print(f"[dim]{escape(_more_note(not_shown))}[/dim]")


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


def output_path(path: Path, case_dir: Path, *, force: bool, flag: str) -> Path:
    """Where a command may write ``path`` (``flag``'s value): the export checks
    (:func:`graphkit.export.files.check_target`: outside the case, no symbolic link on the way,
    not a folder, not over an existing file unless ``--force``, into a folder that exists)."""
    from graphkit.export.files import check_target

    with flag_names({"out": flag, "force": "--force"}):
        return check_target(path, case_dir=case_dir, force=force)
