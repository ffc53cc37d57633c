"""`graphkit map`: the towers and the trails of chosen actors, as GeoJSON and KML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli._common import audited, console, open_case, output_path, print_json, render
from graphkit.cli.export import parse_time
from graphkit.errors import InputError

__all__ = ["register"]


def map_command(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    actors: Annotated[
        list[str] | None,
        typer.Option(
            "--actor",
            help="Whose trail to map: a name, a phone in any format or an id (repeatable).",
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Records from this date/time (UTC if no zone).")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Records up to this date/time (a date: all of it).")
    ] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write towers and trails as GeoJSON (QGIS).")
    ] = None,
    kml: Annotated[
        Path | None,
        typer.Option("--kml", help="Write towers and trails as KML (Google Earth, time slider)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Map the case's cell towers and where chosen actors' phones were: each record at the
    tower it used, consecutive records at one tower merged into a stop, in time order. A tower
    serves an area up to kilometres across: this says which masts, not which street.

    Example: graphkit map cases/op-lighthouse --actor "Kate Schmidt" --from 2024-01-08 --to
    2024-01-14 --kml kate.kml --geojson kate.geojson
    """
    from graphkit.cdr.maps import map_geojson, map_kml, towers, trail
    from graphkit.people import find_actor

    t0, t1 = parse_time(start, end=False), parse_time(end, end=True)
    if t0 is not None and t1 is not None and t0 >= t1:
        raise InputError("--from must be before --to")
    store = open_case(case_dir)
    targets = {
        flag: output_path(path, case_dir, force=force, flag=flag)
        for flag, path in (("--geojson", geojson), ("--kml", kml))
        if path is not None
    }
    tower_frame = towers(store)
    chosen = [find_actor(store, q) for q in actors or ()]
    trails = [trail(store, a, start=t0, end=t1) for a in chosen]
    meta = {
        "case": store.path.name,
        "actors": [a.actor_id for a in chosen],
        "from": t0.isoformat() if t0 else None,
        "to": t1.isoformat() if t1 else None,
    }
    if targets:
        with audited(store, command="map", operation="disclosure") as op:
            op.detail.update(meta)
            if "--geojson" in targets:
                op.write_file(targets["--geojson"], map_geojson(tower_frame, trails, meta=meta))
            if "--kml" in targets:
                title = f"graphkit map {store.path.name}"
                op.write_file(targets["--kml"], map_kml(tower_frame, trails, title=title))
    rows: list[dict[str, Any]] = [t.summary() for t in trails]
    if json_output:
        out = {"towers": len(tower_frame), "trails": rows, **meta}
        print_json(out, default=str)
        return
    placed = tower_frame["azimuth"].notna().sum() if len(tower_frame) else 0
    console.print(
        f"{len(tower_frame):,} towers with a position ({placed:,} with a sector azimuth)",
        highlight=False,
    )
    if rows:
        shown = [
            {
                "actor_id": r["actor_id"],
                "name": r["name"],
                "phones": ", ".join(r["phones"]),
                "placed": r["records_placed"],
                "unplaced": r["records_unplaced"],
                "towers": r["towers"],
                "stops": r["stops"],
                "first (UTC)": str(r.get("first", ""))[:16].replace("T", " "),
                "last (UTC)": str(r.get("last", ""))[:16].replace("T", " "),
                "most used": f"{r['most_used_tower']} ({r['most_used_records']})"
                if "most_used_tower" in r
                else "–",
            }
            for r in rows
        ]
        render(shown, json_output=False, title="trails (records placed at their towers)")
        if any(r["records_unplaced"] for r in rows):
            console.print(
                "[dim]unplaced: records on cells the towers file has no position for[/dim]"
            )
    for flag, path in targets.items():
        console.print(f"wrote {path} ({flag[2:]})")


def register(app: typer.Typer) -> None:
    app.command("map")(map_command)
