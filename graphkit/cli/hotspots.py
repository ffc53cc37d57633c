"""`graphkit hotspots`, `graphkit evaluate-hotspots`, `graphkit simulate-incidents`: where
crime is likely next, on a grid, and how well each method would have done."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from graphkit.cli._common import (
    audited,
    console,
    flag_names,
    open_case,
    output_path,
    print_json,
    progress,
    render,
)
from graphkit.errors import InputError

__all__ = ["register"]

FLAGS = {
    "train": "--train",
    "forecast": "--forecast",
    "cell_m": "--cell",
    "method": "--method",
    "types": "--types",
    "bandwidth_m": "--bandwidth",
    "phones_of": "--phones-of",
}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|km)?\s*$", re.IGNORECASE)

CaseArg = Annotated[Path, typer.Argument(help="The case directory.", show_default=False)]
CellOpt = Annotated[str, typer.Option("--cell", help="Cell size: 200m, 0.25km or metres.")]
TrainOpt = Annotated[
    str,
    typer.Option(
        "--train",
        help="Training window START..END: months (2016-07..2017-07), days or ISO times; an "
        "end month or day is included whole.",
        show_default=False,
    ),
]
ForecastOpt = Annotated[
    str,
    typer.Option("--forecast", help="Forecast window: 2018-07, or START..END.", show_default=False),
]
TypesOpt = Annotated[
    list[str] | None,
    typer.Option("--types", help="Crime types to forecast (repeatable; default: all)."),
]


def metres(text: str, *, flag: str) -> float:
    """``200m``, ``0.25km`` or ``200`` as metres."""
    found = _LENGTH.match(text)
    if not found:
        raise InputError(f"{flag}: {text!r} is not a length such as 200m or 0.25km")
    value = float(found.group(1)) * (1000.0 if (found.group(2) or "").lower() == "km" else 1.0)
    if value <= 0:
        raise InputError(f"{flag}: must be more than 0 m")
    return value


def _types(values: list[str] | None) -> tuple[str, ...]:
    return tuple(t.strip() for v in values or () for t in v.split(",") if t.strip())


def hotspots(
    case_dir: CaseArg,
    train: TrainOpt,
    forecast: ForecastOpt,
    cell: CellOpt = "200m",
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="auto (picked by a back-test inside the training window), counts, kde, "
            "promap or sepp (needs times finer than a month).",
        ),
    ] = "auto",
    types: TypesOpt = None,
    bandwidth: Annotated[
        str, typer.Option("--bandwidth", help="Kernel bandwidth of kde and sepp's background.")
    ] = "200m",
    top: Annotated[int, typer.Option("--top", min=1, help="Cells shown.")] = 15,
    phones_of: Annotated[
        list[str] | None,
        typer.Option(
            "--phones-of",
            help="Put on the map where these actors' phones made calls: a community (C3) or a "
            "name, phone or id (repeatable).",
        ),
    ] = None,
    geojson: Annotated[
        Path | None, typer.Option("--geojson", help="Write the grid as GeoJSON (QGIS).")
    ] = None,
    kml: Annotated[
        Path | None,
        typer.Option("--kml", help="Write the top 5 % of the area as KML (Google Earth)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Forecast where incidents are likely in the forecast window: expected incidents per
    grid cell, stored in the case (table hotspot_cell) with the settings and source hashes.

    The forecast ranks places, never people; it learns from recorded incidents, so it carries
    their reporting bias, and it cannot foresee displacement.

    Example: graphkit hotspots cases/wy --cell 200m --train 2016-07..2017-07 --forecast 2018-07
    --types Burglary --geojson burglary.geojson
    """
    from graphkit.hotspots.geo import cells_geojson, cells_kml
    from graphkit.hotspots.grid import Grid
    from graphkit.hotspots.stage import CELL_TABLE, Settings
    from graphkit.pipeline import run_stage

    with flag_names(FLAGS):
        settings = Settings(
            train=train,
            forecast=forecast,
            cell_m=metres(cell, flag="--cell"),
            method=method,
            types=_types(types),
            bandwidth_m=metres(bandwidth, flag="--bandwidth"),
            phones_of=tuple(phones_of or ()),
        )
        settings.windows()
    store = open_case(case_dir)
    targets = {
        flag: output_path(path, case_dir, force=force, flag=flag)
        for flag, path in (("--geojson", geojson), ("--kml", kml))
        if path is not None
    }
    with (
        audited(store, command="hotspots", operation="combination") as op,
        flag_names(FLAGS),
        progress() as bar,
    ):
        bar.add_task("forecasting", total=None)
        summary = run_stage(store, "hotspots", settings)
        with store.connect() as con:
            cells = con.execute(f"SELECT * FROM {CELL_TABLE} ORDER BY rank").df()
        grid = Grid(**summary["grid"])
        meta = {k: summary[k] for k in ("method", "train", "forecast", "types", "sources")}
        if "--geojson" in targets:
            shown = cells[cells["expected_incidents"] > 0]
            op.write_file(targets["--geojson"], cells_geojson(shown, grid, meta=meta))
        if "--kml" in targets:
            flagged = cells.head(max(1, round(0.05 * len(cells))))
            title = f"graphkit hotspots {summary['forecast']}"
            op.write_file(targets["--kml"], cells_kml(flagged, grid, title=title))
    if json_output:
        out = {**summary, "top": cells.head(top).to_dict(orient="records")}
        print_json(out, default=str)
        return
    _print_summary(summary)
    has_place = cells["place"].notna().any()
    rows = [
        {
            "rank": int(r.rank),
            **({"place": r.place or "–"} if has_place else {}),
            "lat": f"{r.lat:.5f}",
            "lon": f"{r.lon:.5f}",
            "expected incidents": r.expected_incidents,
            "in training": int(r.train_incidents),
        }
        for r in cells.head(top).itertuples(index=False)
    ]
    render(rows, json_output=False, title="riskiest cells")
    if len(cells) > top:
        console.print(f"[dim]… {len(cells) - top:,} more cells (--top N shows more)[/dim]")
    if "phones_of" in summary:
        _print_phones(summary["phones_of"])
    for flag, path in targets.items():
        console.print(f"wrote {path} ({flag[2:]})")


def _print_phones(found: dict[str, Any]) -> None:
    """Where the chosen actors' phones were, against the flagged cells: facts, not a finding."""
    ranks = found["flagged_cells_with_records"]
    where = (
        f"{len(ranks)} of them among the flagged 5 % (ranks {', '.join(map(str, ranks[:10]))}"
        f"{', …' if len(ranks) > 10 else ''})"
        if ranks
        else "none of them among the flagged 5 %"
    )
    outside, beyond = found["cells_outside_study_area"], found["records_beyond_grid"]
    console.print(
        f"Phones of {found['label']}: {found['records']:,} call records; "
        f"{found['records'] - beyond:,} at towers in {found['cells']:,} cells of the grid, "
        f"{where}"
        + (f"; {outside:,} of those cells outside the study area" if outside else "")
        + (f"; {beyond:,} records at towers beyond the grid" if beyond else "")
        + ".\n[dim]A tower serves an area kilometres across: this places the towers, not the "
        "people, and a network near a hotspot is a pattern to look at, not evidence.[/dim]",
        highlight=False,
    )


def _print_summary(summary: dict[str, Any]) -> None:
    method = summary["method"]
    if method == "auto":
        d = summary["detail"]
        method = f"auto -> {d['chosen']} ({d['why']})"
    types = "all crime" if summary["types"] == "all" else ", ".join(summary["types"])
    console.print(
        f"Forecast {summary['forecast']} from {summary['train']} ({types}: "
        f"{summary['incidents_trained_on']:,} incidents)\n"
        f"Grid: {summary['grid']['cell_m']:g} m cells, {summary['area_cells']:,} in the study "
        f"area\nMethod: {method}",
        highlight=False,
    )
    if summary["incidents_left_out_no_coordinates_or_time"]:
        console.print(
            f"{summary['incidents_left_out_no_coordinates_or_time']:,} incidents have no usable "
            "coordinate pair or time and are not counted",
            highlight=False,
        )
    console.print(
        "[dim]Ranks places, never people; learnt from recorded incidents (reporting bias); "
        "cannot foresee displacement.[/dim]"
    )


def evaluate_hotspots_command(
    case_dir: CaseArg,
    train: TrainOpt,
    forecast: ForecastOpt,
    cell: CellOpt = "200m",
    types: TypesOpt = None,
    windows: Annotated[
        int, typer.Option("--windows", min=1, help="Rolling windows, back from the one given.")
    ] = 5,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hit rate and PAI (share of incidents caught / share of area flagged) at 1, 5 and 10 %
    of the area, for auto and every method, on the same windows.

    Example: graphkit evaluate-hotspots cases/wy --cell 200m --train 2016-07..2017-07
    --forecast 2018-07 --types Burglary --json
    """
    from graphkit.hotspots.evaluate import evaluate_hotspots
    from graphkit.hotspots.stage import Settings

    with flag_names(FLAGS):
        settings = Settings(
            train=train, forecast=forecast, cell_m=metres(cell, flag="--cell"), types=_types(types)
        )
        settings.windows()
    store = open_case(case_dir)
    with (
        audited(store, command="evaluate-hotspots", operation="consultation") as entry,
        flag_names(FLAGS),
        progress() as bar,
    ):
        bar.add_task("scoring every method on rolling windows", total=None)
        result = evaluate_hotspots(store, settings, windows=windows)
        entry.detail["windows"] = len(result["windows"])
    if json_output:
        print_json(result)
        return
    rows = [
        {
            "method": name,
            **{
                f"{'PAI' if key.startswith('pai') else 'hit rate'} {key.rsplit('_', 1)[1]}%": v
                for key, v in scores.items()
            },
        }
        for name, scores in result["methods"].items()
    ]
    title = (
        f"{'all crime' if result['types'] == 'all' else ', '.join(result['types'])}: "
        f"{len(result['windows'])} window(s), {settings.cell_m:g} m cells"
    )
    render(rows, json_output=False, title=title)
    chose = ", ".join(f"{w['forecast']}: {w['auto_chose']}" for w in result["windows"])
    console.print(f"auto chose: {chose}", highlight=False)
    for name, why in result["not_applicable"].items():
        console.print(f"{name}: not run ({why})", highlight=False)
    console.print(result["note"], highlight=False)


def _centre(text: str) -> tuple[float, float]:
    """``LAT,LON`` inside UTM zone 30N, where the simulator works in metres."""
    try:
        lat, lon = (float(v) for v in text.split(","))
    except ValueError:
        raise InputError(f"--centre: {text!r} is not LAT,LON (such as 53.48,-2.24)") from None
    if not (-6.0 <= lon <= 0.0 and 0.0 <= lat <= 84.0):
        raise InputError(
            f"--centre: {text} is outside UTM zone 30N (latitude 0 to 84, longitude -6 to 0), "
            "where the simulator works"
        )
    return lat, lon


def simulate_incidents_command(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write into.", show_default=False)],
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same incidents.", min=0)] = 7,
    days: Annotated[int, typer.Option(help="Length of the period in days.", min=14)] = 120,
    per_day: Annotated[
        float, typer.Option("--per-day", help="Background incidents per day.", min=0.1)
    ] = 30.0,
    start: Annotated[
        str, typer.Option("--start", help="First day of the period (YYYY-MM-DD, UTC).")
    ] = "2024-01-01",
    centre: Annotated[
        str,
        typer.Option(
            "--centre",
            help="LAT,LON of the middle of the 20 km square (UTM zone 30N: longitude -6 to 0).",
        ),
    ] = "53.80,-1.55",
) -> None:
    """Write simulated incidents with near-repeat self-excitation (incidents.csv) and their
    truth (truth/incidents.json), to measure forecasts where the true intensity is known.

    Example: graphkit simulate-incidents sim-incidents --seed 7 --centre 53.48,-2.24 --start
    2024-01-08 && graphkit ingest CASE sim-incidents/incidents.csv --kind incidents
    """
    from graphkit.simulate.incidents import IncidentSpec, simulate_incidents, write_incidents

    lat, lon = _centre(centre)
    try:
        first = dt.date.fromisoformat(start.strip())
    except ValueError:
        raise InputError(f"--start: {start!r} is not a date (YYYY-MM-DD)") from None
    spec = IncidentSpec(
        seed=seed,
        days=days,
        background_per_day=per_day,
        centre_lat=lat,
        centre_lon=lon,
        start=first.isoformat(),
    )
    sim = simulate_incidents(spec)
    paths = write_incidents(sim, out_dir)
    console.print(
        f"{len(sim.t):,} incidents over {days} days ({sim.triggered.mean():.0%} triggered by "
        f"earlier ones): {paths['incidents']}, truth in {paths['truth']}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("hotspots")(hotspots)
    app.command("evaluate-hotspots")(evaluate_hotspots_command)
    app.command("simulate-incidents")(simulate_incidents_command)
