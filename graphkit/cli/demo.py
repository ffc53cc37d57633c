"""`graphkit demo`: simulate a small case and run every stage on it, embedded, no server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from graphkit.cli._common import console, render
from graphkit.errors import InputError

if TYPE_CHECKING:
    from graphkit.people import Directory

__all__ = ["register"]

MARKER = ".graphkit-demo"


def _fresh(out_dir: Path) -> None:
    """Empty ``out_dir`` only if an earlier demo made it; never delete anything else."""
    if out_dir.exists():
        if not (out_dir / MARKER).is_file():
            if out_dir.is_dir() and not any(out_dir.iterdir()):
                out_dir.rmdir()
            else:
                raise InputError(
                    f"{out_dir} exists and was not made by `graphkit demo`; choose another folder"
                )
        else:
            shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("made by graphkit demo; deleted by the next demo run\n")


def _cpu() -> float:
    """CPU seconds of this process, the children it has waited for and the analysis's
    forkserver workers."""
    from graphkit.analytics.parallel import cpu_seconds

    return cpu_seconds()


class _Clock:
    """Wall and CPU seconds of each demo stage, printed as each one ends and as a table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self._title: str | None = None
        self._wall = self._cpu = 0.0

    def stage(self, title: str) -> None:
        self.done()
        console.rule(f"[bold]{title}")
        self._title, self._wall, self._cpu = title, time.perf_counter(), _cpu()

    def done(self) -> None:
        if self._title is None:
            return
        wall, cpu = time.perf_counter() - self._wall, _cpu() - self._cpu
        self.rows.append((self._title, wall, cpu))
        console.print(f"[dim]{self._title}: {wall:.1f} s wall, {cpu:.1f} s CPU[/dim]")
        self._title = None

    def table(self) -> None:
        self.done()
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else ""
        render(
            [{"stage": t, "wall_s": round(w, 1), "cpu_s": round(c, 1)} for t, w, c in self.rows],
            json_output=False,
            title=f"seconds per stage (CPU includes worker processes; load average {load})",
            columns=["stage", "wall_s", "cpu_s"],
        )


def _sensitivity(rows: list[dict[str, Any]], people: Directory) -> None:
    """One line per ranking: how many of its top actors survive other ER thresholds (the
    others by name)."""

    def who(actor_id: str) -> str:
        actor = people.get(actor_id)
        return actor.label() if actor is not None else actor_id

    for ranking in ("leaders", "brokers"):
        part = [r for r in rows if r["ranking"] == ranking]
        if not part:
            continue
        lost = [f"{who(r['actor_id'])} (#{r['rank']})" for r in part if not r["survives"]]
        console.print(
            f"{ranking}: {len(part) - len(lost)} of the top {len(part)} stay in the top "
            f"{len(part)} when entity resolution is looser or stricter"
            + (f"; resolution-sensitive: {', '.join(lost)}" if lost else "")
        )


def handoff_leads(listed: list[dict[str, Any]], top: int = 5) -> tuple[list[dict[str, Any]], int]:
    """The first ``top`` rows of the hand-offs view whose two numbers the records do not
    already give to one person (in the view's order, best score first), and how many do."""
    agree = sum(bool(r.get("same_person")) for r in listed)
    return [r for r in listed if not r.get("same_person")][:top], agree


def _findings(case: Path) -> None:
    """The top rows of the analysis views, in a few readable columns."""
    from graphkit.people import directory
    from graphkit.store import CaseStore
    from graphkit.views import get_view

    store = CaseStore.open(case)

    def rows(view: str, limit: int = 5) -> list[dict[str, Any]]:
        return get_view(view)(store, limit=limit)

    render(
        rows("leaders"),
        json_output=False,
        title="leaders (top 5)",
        columns=[
            "actor_id",
            "community",
            "leadership",
            "rests_on",
            "burners",
            "same_person_as",
        ],
    )
    console.print(
        f"why each ranks where it does, with the tests behind it: graphkit show {case} actor "
        "NAME (or show leaders --json)",
        highlight=False,
    )
    render(
        rows("brokers"),
        json_output=False,
        title="brokers (top 5)",
        columns=["actor_id", "community", "broker_role", "brokerage", "explanation"],
    )
    render(
        rows("blackouts"),
        json_output=False,
        title="blackouts (strongest 5)",
        columns=["kind", "id", "q_value", "explanation"],
    )
    # lead with what the records do not already say: a hand-off between two numbers the
    # records give to one person only dates the move; one to an unregistered number or to a
    # number in another name is the lead an investigator wants (a possible burner)
    listed = get_view("handoffs")(store, limit=None)
    handoffs, agree = handoff_leads(listed)
    render(
        handoffs,
        json_output=False,
        title=f"hand-off hypotheses the records do not already explain (top {len(handoffs)})",
        columns=["id", "old", "new", "score", "status", "explanation"],
    )
    console.print(
        f"{len(listed):,} hand-offs in the review queue; {agree:,} of them join numbers the "
        f"records already give to one person (graphkit review {case} --queue handoffs)",
        highlight=False,
    )
    if handoffs:
        top = handoffs[0]
        effect = (
            f"the records already give both numbers to {top.get('same_person_name')}: "
            "confirming records the move; the actor graph does not change"
            if top.get("same_person")
            else "what it changes in the actor graph is said when it is decided"
        )
        console.print(
            f"a reviewer decides: graphkit review {case} --accept {top['id']} "
            f'--note "why" ({effect})',
            highlight=False,
        )
    shared = rows("shared-phones", 1000)
    render(
        shared[:3],
        json_output=False,
        title=f"numbers used by several persons ({len(shared)}; first 3): leads to review",
        columns=["phone", "attributed_to", "explanation"],
    )
    _sensitivity(rows("sensitivity", 1000), directory(store))
    render(
        rows("predicted-links"),
        json_output=False,
        title="predicted-link hypotheses (top 5)",
        columns=["id", "a", "b", "score", "status", "explanation"],
    )


def _hotspots(out_dir: Path, case: Path, *, seed: int, days: int) -> None:
    """Simulated incidents over the case's city and period, ingested, forecast for the last
    week from the weeks before, and every method scored on three rolling weeks."""
    from graphkit.cli.hotspots import (
        evaluate_hotspots_command,
        hotspots,
        simulate_incidents_command,
    )
    from graphkit.cli.ingest import ingest
    from graphkit.simulate.spec import SimulationSpec
    from graphkit.simulate.world import CITY_LAT, CITY_LON

    first = SimulationSpec().start_date
    forecast_from = first + dt.timedelta(days=days - 7)
    train = f"{first.isoformat()}..{(forecast_from - dt.timedelta(days=1)).isoformat()}"
    forecast = f"{forecast_from.isoformat()}..{(first + dt.timedelta(days=days - 1)).isoformat()}"
    incidents = out_dir / "incidents"
    simulate_incidents_command(
        incidents, seed=seed, days=days, start=first.isoformat(), centre=f"{CITY_LAT},{CITY_LON}"
    )
    ingest(case, incidents / "incidents.csv", kind="incidents")
    hotspots(
        case,
        train=train,
        forecast=forecast,
        top=5,
        geojson=out_dir / "hotspots.geojson",
        kml=out_dir / "hotspots.kml",
    )
    evaluate_hotspots_command(case, train=train, forecast=forecast, windows=3)


def demo(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder for the demo (replaced if an earlier demo made it).")
    ] = Path("demo-out"),
    people: Annotated[int, typer.Option(help="Simulated population.", min=100)] = 2000,
    days: Annotated[int, typer.Option(help="Simulated days.", min=14)] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the simulation and the analysis.")] = 7,
) -> None:
    """Run the whole pipeline on a simulated case and print what it found.

    Simulates an investigation (CDRs from two operators, KYC, bank, police records, towers,
    with the truth), ingests it, resolves persons, builds the graph, analyses it (communities,
    leaders, brokers, blackouts, hand-offs), predicts hidden links, forecasts where simulated
    burglaries are likely next in the same city, scores every stage against the truth and
    writes the HTML report.

    Example: graphkit demo demo-out --people 2000 --days 30
    """
    from graphkit.cli.analyze import analyze
    from graphkit.cli.build import build
    from graphkit.cli.colocate import colocate
    from graphkit.cli.devices import devices
    from graphkit.cli.evaluate import evaluate
    from graphkit.cli.ingest import run
    from graphkit.cli.predict import predict_links
    from graphkit.cli.report import report
    from graphkit.cli.resolve import resolve
    from graphkit.cli.simulate import simulate

    started = time.perf_counter()
    clock = _Clock()
    _stage = clock.stage
    _fresh(out_dir)
    sim, case = out_dir / "sim", out_dir / "case"
    _stage("1/10 simulate an investigation")
    simulate(sim, seed=seed, people=people, days=days, meetings=True, devices=True)
    _stage("2/10 ingest every source (graphkit run)")
    run(sim / "case.toml", case_dir=case)
    _stage("3/10 resolve persons (Splink)")
    resolve(case, seed=seed)
    _stage("4/10 build the knowledge graph and the actor graph")
    build(case)
    _stage("5/10 analyse: communities, centrality, hierarchy, brokers, blackouts, hand-offs")
    analyze(case, seed=seed)
    _stage("6/10 CDR tool-kit: who met (co-location), SIM and handset swaps, cloned SIMs")
    colocate(case, limit=5)
    devices(case, limit=5)
    _stage("7/10 predict hidden links (GNN, or the better heuristic)")
    predict_links(case, top=20, seed=seed)
    _stage("8/10 where next: a hotspot forecast from simulated burglaries in the same city")
    _hotspots(out_dir, case, seed=seed, days=days)
    _stage("findings (each with its explanation; hypotheses are not facts)")
    _findings(case)
    _stage("9/10 score every stage against the simulated truth")
    evaluate(case, truth=sim / "truth")
    _stage("10/10 report")
    report_path = out_dir / "report.html"
    report(case, out=report_path, seed=seed)
    clock.table()
    console.print(
        f"demo finished in {time.perf_counter() - started:.0f} s\n"
        f"case: {case}\nreport: {report_path.resolve()}"
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
