"""`graphkit simulate OUT_DIR`: write a synthetic investigation with its ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import console, progress, render
from graphkit.errors import InputError

__all__ = ["register"]


def simulate(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder to write the case into.", show_default=False)
    ],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.", min=0)] = 7,
    people: Annotated[int, typer.Option(help="Population size.", min=100)] = 2000,
    days: Annotated[int, typer.Option(help="Length of the period in days.", min=14)] = 30,
    groups: Annotated[int, typer.Option(help="Organised groups.", min=1)] = 4,
    scale: Annotated[
        float, typer.Option(help="Multiplier of every communication rate (CDR volume).")
    ] = 1.0,
    meetings: Annotated[
        bool,
        typer.Option(
            "--meetings", help="Plant repeated meetings of group members (truth/meetings.csv)."
        ),
    ] = False,
    devices: Annotated[
        bool,
        typer.Option(
            "--devices",
            help="Plant extra SIM and handset swaps and a cloned SIM (truth/swaps.csv, "
            "truth/clones.csv).",
        ),
    ] = False,
    hard_handoffs: Annotated[
        bool,
        typer.Option(
            "--hard-handoffs",
            help="Plant messier hand-offs: numbers taken up again, old phones kept alive, "
            "weak contact overlap, no IMEI, a group relabelling at once "
            "(truth/hard_handoffs.csv).",
        ),
    ] = False,
    scenes: Annotated[
        bool,
        typer.Option(
            "--scenes",
            help="Plant tower-dump scenes: a crew at several, one-time visitors, a usually "
            "active member silent during each (OUT_DIR/scenes.toml, truth/scenes.csv).",
        ),
    ] = False,
    overwrite: Annotated[
        bool, typer.Option(help="Replace sources/, mappings/ and truth/ if OUT_DIR has them.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Simulate an investigation: operator CDRs and subscriber KYC, bank accounts and
    transactions, police records and cell towers, with mappings, a case.toml and the truth
    (groups, phone ownership, hand-offs, blackouts, swaps, hidden ties) in OUT_DIR/truth.

    Example: graphkit simulate sim --people 2000 --days 30 && graphkit run sim/case.toml
    """
    from graphkit.simulate import SimulationSpec
    from graphkit.simulate import simulate as run_simulation

    spec = SimulationSpec(
        seed=seed,
        people=people,
        days=days,
        groups=groups,
        scale=scale,
        meetings=meetings,
        devices=devices,
        hard_handoffs=hard_handoffs,
        scenes=scenes,
    )
    if not overwrite and out_dir.is_dir() and any(out_dir.iterdir()):
        # the library's own refusal cannot name the option (it has no command line)
        raise InputError(
            f"{out_dir} is not empty; choose another directory, or add --overwrite to replace "
            "its sources/, mappings/ and truth/"
        )
    with progress() as bar:
        task = bar.add_task("simulating days", total=days)
        result = run_simulation(
            out_dir,
            spec=spec,
            overwrite=overwrite,
            on_day=lambda done, _total: bar.update(task, completed=done),
        )
    rows = [
        {"source": name, "file": f"sources/{name}.csv", "rows": count}
        for name, count in result.sources.items()
    ]
    if json_output:
        render(
            [
                {
                    "out_dir": str(result.out_dir),
                    "case_toml": str(result.case_toml),
                    "truth": str(result.out_dir / "truth"),
                    "sources": result.sources,
                    "persons": result.persons,
                    "phones": result.phones,
                    "handoffs": result.handoffs,
                    "blackouts": result.blackouts,
                    "hidden_ties": result.hidden_ties,
                }
            ],
            json_output=True,
            title="simulate",
        )
        return
    render(rows, json_output=False, title=f"simulated case (seed {seed})")
    console.print(
        f"{result.persons} people, {result.phones} phones, {result.handoffs} hand-offs, "
        f"{result.blackouts} blackouts, {result.hidden_ties} hidden ties; "
        f"truth in {result.out_dir / 'truth'}"
    )
    console.print(f"next: graphkit run {result.case_toml}")
    if scenes:
        console.print(f"scenes: graphkit scenes CASE {result.out_dir / 'scenes.toml'}")


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
