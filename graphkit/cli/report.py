"""`graphkit report`: the case report as one self-contained HTML file (or Markdown + PNGs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli import _common
from graphkit.cli._common import console, flag_names, open_case, progress, render

__all__ = ["FLAGS", "register"]

#: the command's option for each field of :class:`graphkit.report.Settings`
FLAGS = {"out": "--out", "fmt": "--format", "seed": "--seed", "force": "--force"}


def report(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write (default: `CASE_DIR/reports/report-<time>.html`).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="html (one self-contained file) or md.")
    ] = "html",
    seed: Annotated[int, typer.Option(help="Seed of the network layout.")] = 0,
    force: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the case report: summary, network, communities, activity, hypotheses, methods.

    Example: graphkit report cases/op-lighthouse --out lighthouse.html
    """
    from graphkit.pipeline import run_stage
    from graphkit.report import Settings

    with flag_names(FLAGS):
        settings = Settings(out=out, fmt=fmt, seed=seed, force=force)
    store = open_case(case_dir)
    with flag_names(FLAGS), progress() as bar:
        bar.add_task("writing the report", total=None)
        result = run_stage(store, "report", settings, actor=_common.ACTOR["actor"])
    if json_output:
        render(
            [
                {
                    "report": str(result.path),
                    "sha256": result.sha256,
                    "bytes": result.size_bytes,
                    "figures": [str(p) for p in result.figures],
                }
            ],
            json_output=True,
            title="report",
        )
        return
    console.print(f"report: {result.path} ({result.size_bytes / 1e6:.1f} MB)")


def register(app: typer.Typer) -> None:
    """Add ``graphkit report`` to the app."""
    app.command("report")(report)
