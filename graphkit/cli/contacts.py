"""`graphkit common-contacts` and `graphkit connect`: who links a set of targets."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from graphkit.cli._common import audited, console, open_case, render

__all__ = ["register"]

CaseArg = Annotated[Path, typer.Argument(help="The case directory.", show_default=False)]
TargetsArg = Annotated[
    list[str],
    typer.Argument(
        metavar="TARGET...",
        help="Two or more targets: a name, a phone in any format or an id (or its start).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
LayerOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--layer", help="Keep ties of this layer only (calls, sms, money, contact); repeatable."
    ),
]

SinceOpt = Annotated[
    datetime | None, typer.Option(help="Keep ties active on or after this time (UTC).")
]
UntilOpt = Annotated[
    datetime | None, typer.Option(help="Keep ties active on or before this time (UTC).")
]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def common_contacts(
    case_dir: CaseArg,
    targets: TargetsArg,
    min_targets: Annotated[
        int, typer.Option(help="Contacts of at least this many of the targets.", min=1)
    ] = 2,
    layer: LayerOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """List the actors in contact with several targets, with per target the number of
    contacts and the first and last time.

    Example: graphkit common-contacts cases/op-lighthouse "kate schmidt" +447700900123
    """
    from graphkit.cdr.contacts import common_contacts as find_common

    store = open_case(case_dir)
    with audited(store, command="common-contacts", operation="consultation") as entry:
        found = find_common(
            store,
            targets,
            min_targets=min_targets,
            layers=layer or None,
            since=_utc(since),
            until=_utc(until),
        )
        entry.detail["targets"] = list(targets)  # who looked up whom is part of the record
        entry.detail["rows"] = len(found)
    if json_output:
        render([c.to_row() for c in found], json_output=True, title="common contacts")
        return
    rows = [
        {
            "actor_id": c.actor_id,
            "name": c.name,
            "phones": list(c.phones),
            "n_targets": c.n_targets,
            "contacts": c.contacts,
            "per_target": "; ".join(
                f"{p['target_name']}: {p['contacts']} ({_day(p['first'])} to {_day(p['last'])})"
                for p in c.per_target
            ),
        }
        for c in found
    ]
    render(rows, json_output=False, title=f"common contacts of {len(targets)} targets")


def _day(value: object) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else "?"


def connect(
    case_dir: CaseArg,
    targets: TargetsArg,
    max_steps: Annotated[
        int, typer.Option(help="Paths of at most this many ties between targets.", min=1)
    ] = 2,
    layer: LayerOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    unresolved_only: Annotated[
        bool,
        typer.Option(
            "--through-unresolved-only", help="Paths only through numbers no person uses."
        ),
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Find the connecting network: a small set of actors and ties joining the targets by
    paths of at most --max-steps ties (every pair so joined keeps its shortest length).

    Example: graphkit connect cases/op-lighthouse "kate schmidt" +447700900123 --max-steps 3
    """
    from graphkit.cdr.contacts import connecting_network

    store = open_case(case_dir)
    with audited(store, command="connect", operation="consultation") as entry:
        net = connecting_network(
            store,
            targets,
            max_steps=max_steps,
            layers=layer or None,
            since=_utc(since),
            until=_utc(until),
            through_unresolved_only=unresolved_only,
        )
        entry.detail["targets"] = list(targets)
        entry.detail["actors"] = len(net.actors)
    if json_output:
        render(
            [{"actors": list(net.actors), "ties": list(net.ties), "pairs": list(net.pairs)}],
            json_output=True,
            title="connecting network",
        )
        return
    names = {a["actor_id"]: a["name"] for a in net.actors}
    render(list(net.actors), json_output=False, title=f"connecting network: {len(net.actors)}")
    render(
        [
            {"src": t["src"], "src_name": names.get(t["src"]), "dst": t["dst"]}
            | {"dst_name": names.get(t["dst"])}
            | {k: t[k] for k in ("layers", "contacts", "first", "last")}
            for t in net.ties
        ],
        json_output=False,
        title=f"ties ({len(net.ties)})",
    )
    render(
        [
            {"a": p["a"], "a_name": names.get(p["a"]), "b": p["b"], "b_name": names.get(p["b"])}
            | {"steps": p["steps"] if p["steps"] is not None else f"not within {max_steps}"}
            for p in net.pairs
        ],
        json_output=False,
        title="pairs of targets",
    )
    if net.ties:
        ids = ",".join(str(a["actor_id"]) for a in net.actors)
        console.print(
            "To hand this network on (its actors and every observed tie among them), e.g. to "
            f"Gephi:\n  graphkit export {shlex.quote(str(case_dir))} --format gexf --out "
            f"network.gexf --actors {shlex.quote(ids)} --hops 0 --purpose PURPOSE "
            "--recipient RECIPIENT",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command("common-contacts")(common_contacts)
    app.command("connect")(connect)
