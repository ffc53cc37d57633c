"""`graphkit evaluate CASE_DIR --truth DIR`: compare a case with a simulation's truth or with
known labels of a real network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli._common import audited, console, open_case, print_json, render

__all__ = ["register", "truth_labelled"]

#: evaluation columns that hold the truth's own person ids (simulation truth, known labels),
#: not the case's actor ids
_TRUTH_ID_COLUMNS = ("boss",)


def truth_labelled(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for the table, each truth id said to be one: ``Samuel Wilkinson (truth
    P000102)``, never in the ``Name (id)`` form of the case's own ids (``--json`` keeps the
    plain id and its ``_name``)."""
    shown = []
    for row in rows:
        out = dict(row)
        for c in _TRUTH_ID_COLUMNS:
            value, name = out.get(c), out.pop(f"{c}_name", None)
            if isinstance(value, str) and value:
                out[c] = f"{name} (truth {value})" if name else f"truth {value}"
        shown.append(out)
    return shown


def evaluate(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    truth: Annotated[
        Path,
        typer.Option(
            "--truth",
            help="The truth folder of a simulated case, or a folder whose attributes.csv "
            "gives known groups and titles (Montagna format: node, familia, title).",
            show_default=False,
        ),
    ],
    stage: Annotated[
        list[str] | None, typer.Option(help="Only this stage (repeatable); default: all.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Measure each stage that has run against the truth (ingest: rows, rejects and
    duplicates per source; later stages add their own measures). With a labels folder,
    communities and leaders are scored against the known groups and titles.

    Example: graphkit evaluate sim/case --truth sim/truth --json
    (or: graphkit evaluate montagna-case --truth ../shared/data/montagna)
    """
    from graphkit.audit import sha256_file
    from graphkit.evaluate import evaluate_case

    store = open_case(case_dir)
    inputs = {
        f"truth_{name}": sha256_file(truth / name)
        for name in ("sources.csv", "attributes.csv")
        if (truth / name).is_file()
    }
    with audited(
        store, command="evaluate", operation="consultation", inputs=inputs or None
    ) as entry:
        results = evaluate_case(store, truth, stages=stage)
        entry.detail["stages"] = {k: v["status"] for k, v in results.items()}
    if json_output:
        print_json(results, default=str)
        return
    summary = []
    for name, result in results.items():
        metrics = result.get("metrics", {})
        summary.append(
            {
                "stage": name,
                "status": result["status"],
                "passed": result.get("passed"),
                "metrics": ", ".join(f"{k}={_fmt(v)}" for k, v in metrics.items())
                or (
                    "not run in this case: nothing to score"
                    if result["status"] == "skipped"
                    else ""
                ),
            }
        )
    render(summary, json_output=False, title="evaluation")
    for name, result in results.items():
        if result.get("rows"):
            render(
                truth_labelled(result["rows"]),
                json_output=False,
                title=name,
                columns=result.get("columns"),
            )
    console.print(f"truth: {truth}")


def _fmt(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
