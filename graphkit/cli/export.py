"""`graphkit export`: a subgraph of the case for other tools, audited as a disclosure."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli import _common
from graphkit.cli._common import flag_names, open_case, render
from graphkit.errors import InputError

__all__ = ["FLAGS", "parse_time", "register"]

#: graphkit.export.FORMATS, spelled out so that ``--help`` does not import the exporters
#: (tests/pipeline/test_stage_shape.py checks they agree)
FORMATS = ("graphml", "gexf", "json", "csv", "cypher", "anx")

#: the command's option for each field of :class:`graphkit.export.Settings` and its
#: :class:`~graphkit.export.Selection`
FLAGS = {
    "fmt": "--format",
    "out": "--out",
    "purpose": "--purpose",
    "recipient": "--recipient",
    "pseudonymise": "--pseudonymise",
    "force": "--force",
    "actors": "--actors",
    "hops": "--hops",
    "community": "--community",
    "start": "--from",
    "end": "--to",
    "include_hypotheses": "--include-hypotheses",
}


def parse_time(text: str | None, *, end: bool) -> datetime | None:
    """ISO date or date-time; naive values are UTC. A bare date as ``--to`` means the whole
    day (up to its last microsecond)."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not an ISO date or date-time (e.g. 2024-01-31)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if end and len(text.strip()) == 10:
        value = value + timedelta(days=1) - timedelta(microseconds=1)
    return value


def export(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="File to write (CSV: STEM.nodes.csv, STEM.edges.csv).",
            show_default=False,
        ),
    ],
    purpose: Annotated[
        str, typer.Option(help="Why the data is disclosed (audit log).", show_default=False)
    ],
    recipient: Annotated[
        str, typer.Option(help="Who receives it (audit log).", show_default=False)
    ],
    actors: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated actors: names, phones in any format or ids (or their start), "
            'e.g. "kate schmidt,07700 900123".'
        ),
    ] = None,
    hops: Annotated[int, typer.Option(help="Steps out from --actors over observed ties.")] = 1,
    community: Annotated[str | None, typer.Option(help="A community, e.g. C3.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Ties from this date/time (UTC if no zone).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Ties up to this date/time (a date: whole day).")
    ] = None,
    include_hypotheses: Annotated[
        bool, typer.Option(help="Add predicted links and hand-offs, marked as hypotheses.")
    ] = False,
    pseudonymise: Annotated[
        bool, typer.Option(help="Replace identifiers by keyed tokens (key stays in the case).")
    ] = False,
    force: Annotated[bool, typer.Option(help="Replace existing files.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Export a subgraph (around actors, a community, a time window) with a manifest beside it.

    Example: graphkit export cases/op-lighthouse --format graphml --out c3.graphml
    --community C3 --pseudonymise --purpose "joint analysis" --recipient "NCA team 4"
    """
    from graphkit.export import Selection, Settings
    from graphkit.people import directory
    from graphkit.pipeline import run_stage

    queries = tuple(a.strip() for a in (actors or "").split(",") if a.strip())
    with flag_names(FLAGS):
        selection = Selection(
            actors=queries,
            hops=hops,
            community=community,
            start=parse_time(start, end=False),
            end=parse_time(end, end=True),
            include_hypotheses=include_hypotheses,
        )
        settings = Settings(
            fmt=fmt,
            out=out,
            purpose=purpose,
            recipient=recipient,
            selection=selection,
            pseudonymise=pseudonymise,
            force=force,
        )
    store = open_case(case_dir)
    if queries:
        # the manifest and the audit log record the actors found, by id, not what was typed
        people = directory(store)
        found = dict.fromkeys(people.find_one(q).actor_id for q in queries)
        selection = dataclasses.replace(selection, actors=tuple(found))
        settings = dataclasses.replace(settings, selection=selection)
    with flag_names(FLAGS):
        result = run_stage(store, "export", settings, actor=_common.ACTOR["actor"])
    rows = [{"file": str(p), "sha256": h} for p, h in result.files.items()]
    rows.append({"file": str(result.manifest), "sha256": "(manifest)"})
    render(
        rows,
        json_output=json_output,
        title=(
            f"exported {result.nodes} actors, {result.edges} ties "
            f"({result.hypotheses} hypotheses)"
            + (", pseudonymised" if result.pseudonymised else "")
        ),
    )


def register(app: typer.Typer) -> None:
    """Add ``graphkit export`` to the app."""
    app.command("export")(export)
