"""`graphkit colocate CASE`: phones repeatedly together, more often than chance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cdr.colocate import ColocateSettings
from graphkit.cdr.colocate_groups import MIN_GROUP_OCCASIONS
from graphkit.cli._common import (
    audited,
    console,
    flag_names,
    open_case,
    print_json,
    progress,
    render,
)

__all__ = ["register"]

_DEFAULT = ColocateSettings()  # the option defaults are the settings' own

#: settings field -> the option that sets it (errors name the option)
FLAGS = {
    "window_s": "--window",
    "min_times": "--min-times",
    "distance_m": "--distance-m",
    "fdr": "--fdr",
}


def _pair_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "a": r["a"],
        "a_name": r.get("a_name"),
        "b": r["b"],
        "b_name": r.get("b_name"),
        "occasions": r["occasions"],
        "expected": r["expected"],
        "q_value": r["q_value"],
        "first (UTC)": _minute(r["first"]),
        "last (UTC)": _minute(r["last"]),
        "explanation": r["explanation"],
    }


def _group_row(i: int, g: dict[str, Any]) -> dict[str, Any]:
    members = [
        f"{n} ({p})" if n and n != p else p
        for p, n in zip(g["phones"], g["phones_names"], strict=True)
    ]
    return {
        "group": f"G{i}",
        "size": g["size"],
        "occasions": g["occasions"],
        "q_value": g["q_value"],
        "first (UTC)": _minute(g["first"]),
        "last (UTC)": _minute(g["last"]),
        "members": "; ".join(members),
        "where": "; ".join(f"{_minute(o['first'])[5:]} {'+'.join(o['cells'])}" for o in g["seen"]),
    }


def _minute(value: Any) -> str:
    """A time to the minute for the table (JSON keeps the full value)."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text[:16].replace("T", " ")


def colocate(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    window: Annotated[
        str,
        typer.Option(
            "--window", help="Together: seen within this time of each other (90s, 15m, 1h)."
        ),
    ] = f"{_DEFAULT.window_s // 60}m",
    min_times: Annotated[
        int, typer.Option("--min-times", help="Unusual occasions a pair needs.")
    ] = _DEFAULT.min_times,
    distance_m: Annotated[
        float | None,
        typer.Option(
            "--distance-m",
            help="Also together on cells whose towers are this close (metres; 0 = the same "
            "site). Needs tower positions. Default: the same cell only.",
        ),
    ] = _DEFAULT.distance_m,
    fdr: Annotated[
        float, typer.Option("--fdr", help="False discovery rate of the reported pairs.")
    ] = _DEFAULT.fdr,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Rows shown in the tables (0: all).")
    ] = 25,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Pairs and groups of phones seen on the same (or nearby) cells at the same time,
    repeatedly, at places neither usually is: stored as CO_LOCATED_WITH hypotheses.

    An occasion counts when the two were within --window of each other on the same cell
    (or towers within --distance-m) and the chance of finding both there then, from each
    phone's own cells in that part of the day on its other days, is at most 1 in 1,000.
    A pair is reported with --min-times such occasions or more when that many is unlikely
    by chance (Benjamini-Hochberg at --fdr). See docs/cdr.md.

    Example: graphkit colocate cases/op-lighthouse --window 15m --min-times 2 --distance-m 0
    """
    from graphkit.cdr.colocate import parse_duration
    from graphkit.pipeline import run_stage

    store = open_case(case_dir)
    with flag_names(FLAGS):
        settings = ColocateSettings(
            window_s=parse_duration(window, field="--window"),
            min_times=min_times,
            distance_m=distance_m,
            fdr=fdr,
        )
    with audited(store, command="colocate", operation="combination"), progress() as bar:
        bar.add_task("finding phones seen together", total=None)
        found = run_stage(store, "colocate", settings)
    if json_output:
        out = {
            "settings": settings.to_dict(),
            "summary": found.summary(),
            "pairs": found.pairs,
            "groups": found.groups,
        }
        print_json(out, default=str)
        return
    summary = found.summary()
    together = max(min_times, MIN_GROUP_OCCASIONS)  # what a group needs (colocate_groups)
    console.print(
        f"{summary['reported']:,} pairs reported of {summary['tested']:,} pairs seen together "
        f"{min_times} times or more, stored as CO_LOCATED_WITH hypotheses; {summary['groups']:,} "
        f"groups: three phones or more, every two a reported pair, all together at places none "
        f"usually is on {together} occasions or more (q: the largest of its pairs')"
    )
    pairs = found.pairs[:limit] if limit else found.pairs
    render(
        [_pair_row(r) for r in pairs],
        json_output=False,
        title="phones repeatedly together at unusual places",
        not_shown=len(found.pairs) - len(pairs),
    )
    groups = found.groups[:limit] if limit else found.groups
    render(
        [_group_row(i, g) for i, g in enumerate(groups, 1)],
        json_output=False,
        title=f"groups: all together at unusual places on {together} occasions or more",
        not_shown=len(found.groups) - len(groups),
    )


def register(app: typer.Typer) -> None:
    app.command("colocate")(colocate)
