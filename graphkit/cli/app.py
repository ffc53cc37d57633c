"""The `graphkit` command: a thin shell over the library, one module per command group."""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer
from rich.markup import escape

from graphkit import __version__
from graphkit.allocator import tune_allocator
from graphkit.cli import _common
from graphkit.errors import GraphkitError

__all__ = ["app", "main"]

COMMAND_MODULES = (
    "graphkit.cli.case",
    "graphkit.cli.ingest",
    "graphkit.cli.resolve",
    "graphkit.cli.build",
    "graphkit.cli.analyze",
    "graphkit.cli.show",
    "graphkit.cli.contacts",
    "graphkit.cli.scenes",
    "graphkit.cli.colocate",
    "graphkit.cli.devices",
    "graphkit.cli.hotspots",
    "graphkit.cli.maps",
    "graphkit.cli.audit",
    "graphkit.cli.publish",
    "graphkit.cli.predict",
    "graphkit.cli.simulate",
    "graphkit.cli.evaluate",
    "graphkit.cli.report",
    "graphkit.cli.export",
    "graphkit.cli.demo",
)

app = typer.Typer(
    name="graphkit",
    help=(
        "Link analysis for crime analysts: ingest records, resolve entities, build the case "
        "graph, analyse it, publish and report.\n\n"
        "Example: graphkit init mycase && graphkit ingest mycase calls.csv --kind cdr"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",  # help paragraphs reflow to the terminal's width
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"graphkit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who is acting, for the audit log (default: OS user)."),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Show progress details and library messages (all are in the case log).",
        ),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """graphkit: graph-centric link analysis."""
    tune_allocator()
    _common.ACTOR["actor"] = actor
    _common.start_command(ctx, verbose=verbose)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2 (or their own):
    graphkit's own checks and the command line's (a bad option value, an unknown command),
    which Typer would otherwise draw as a framed panel under the usage line."""
    try:
        code = app(standalone_mode=False)
    except GraphkitError as exc:
        _error(str(exc))
        sys.exit(exc.exit_code)
    except typer.Abort:
        _common.err_console.print("interrupted")
        sys.exit(1)
    except typer.TyperException as exc:  # the command line's own errors (Click's, in Typer)
        ctx = getattr(exc, "ctx", None)
        where = f" (see `{ctx.command_path} -h`)" if ctx is not None else ""
        format_message = getattr(exc, "format_message", None)
        _error((format_message() if callable(format_message) else str(exc)) + where)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except KeyboardInterrupt:
        _common.err_console.print("interrupted")
        sys.exit(130)
    if isinstance(code, int) and code:  # a command's or --help's exit code
        sys.exit(code)


def _error(message: str) -> None:
    _common.err_console.print(
        f"[bold red]error:[/bold red] {escape(message)}", highlight=False, soft_wrap=True
    )
