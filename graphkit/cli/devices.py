"""`graphkit devices CASE`: SIM and handset swaps, and numbers seen in two places at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli import _common
from graphkit.cli._common import audited, console, flag_names, open_case, progress, render

__all__ = ["register"]

FLAGS = {
    "max_speed_kmh": "--max-speed-kmh",
    "tolerance_m": "--tolerance-m",
    "swap_threshold": "--swap-threshold",
    "clone_threshold": "--clone-threshold",
}
_COLUMNS = ["id", "check", "phone", "score", "explanation"]


def devices(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Rows shown in the tables (0: all).")
    ] = 25,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    max_speed_kmh: Annotated[
        float, typer.Option(help="Faster than this between two records is impossible travel.")
    ] = 150.0,
    tolerance_m: Annotated[
        float,
        typer.Option(help="Distance taken off each hop for the area the two cells serve."),
    ] = 10_000.0,
    swap_threshold: Annotated[
        float, typer.Option(help="Report swaps scoring at least this (0.75: 2 records a side).")
    ] = 0.75,
    clone_threshold: Annotated[
        float,
        typer.Option(help="Report clones scoring at least this (0.875: 3 days)."),
    ] = 0.875,
) -> None:
    """Find SIMs moved to another handset (same number, new IMEI), handsets that took
    another SIM (same IMEI, new number) and cloned SIMs or shared numbers (impossible travel:
    cells too far apart for the time between two records; or a number going back to a
    handset it had left), and store each as a scored hypothesis with its evidence.

    Swaps and handset returns need IMEIs in the call records, impossible travel tower
    positions; a check the case cannot support is skipped and said so.

    Example: graphkit devices cases/op-lighthouse --max-speed-kmh 200 --json
    """
    from graphkit.cdr.devices import Settings
    from graphkit.pipeline import run_stage
    from graphkit.views import get_view

    with flag_names(FLAGS):
        settings = Settings(
            max_speed_kmh=max_speed_kmh,
            tolerance_m=tolerance_m,
            swap_threshold=swap_threshold,
            clone_threshold=clone_threshold,
        )
    store = open_case(case_dir)
    with audited(store, command="devices", operation="combination") as entry, progress() as bar:
        bar.add_task("checking SIMs and handsets", total=None)
        summary = run_stage(store, "devices", settings)
        entry.detail["summary"] = summary
    # the stored findings (reported ones, and any a reviewer decided); candidates below a
    # threshold are only counted
    rows = get_view("devices")(store)
    if json_output:
        out = {"summary": summary, "not_checked": summary.get("not_checked", {}), "rows": rows}
        _common.print_json(out, default=str)
        return
    for check, why in summary.get("not_checked", {}).items():
        console.print(f"not checked: {check.replace('_', ' ')}: {why}", highlight=False)
    checks = {name: s for name, s in summary.items() if name != "not_checked"}
    counts = "; ".join(
        f"{name.replace('_', ' ')}: {s['reported']:,} reported"
        + (
            f" ({s['candidates'] - s['reported']:,} more candidates below the threshold, "
            "not reported)"
            if s["candidates"] > s["reported"]
            else ""
        )
        for name, s in checks.items()
    )
    if counts:
        total = sum(int(s["reported"]) for s in checks.values())
        console.print(
            f"{counts}. {total:,} findings in all, each a hypothesis for review "
            f"(graphkit review {store.path} --queue devices)",
            highlight=False,
        )
    shown = rows[:limit] if limit else rows
    render(
        shown,
        json_output=False,
        title="device swaps and clones",
        columns=_COLUMNS,
        not_shown=len(rows) - len(shown),
    )


def register(app: typer.Typer) -> None:
    app.command("devices")(devices)
