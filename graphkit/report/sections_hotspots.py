"""Report section on the hotspot forecast: the map, the riskiest cells, the capture curve and
what the forecast can and cannot say. Present only when `graphkit hotspots` has run."""

from __future__ import annotations

from typing import Any

from graphkit.report.blocks import Block, Box, Figure, Para, Section, Stats, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.figures_maps import capture_png, hotspot_map_svg
from graphkit.report.text import fmt

__all__ = ["hotspots_section"]

TOP_ROWS = 10


def _types(summary: dict[str, Any]) -> str:
    types = summary.get("types", "all")
    return "all crime" if types == "all" else ", ".join(types)


def _method(summary: dict[str, Any]) -> str:
    detail = summary.get("detail", {})
    if summary["method"] == "auto" and "chosen" in detail:
        return f"auto (chose {detail['chosen']})"
    return str(summary["method"])


def _curve(summary: dict[str, Any]) -> list[Block]:
    detail = summary.get("detail", {})
    blocks: list[Block] = []
    check = summary.get("check")
    if check:
        blocks.append(
            Para(
                f"The forecast window has passed: the riskiest 5 % of the area caught "
                f"{check['hit_rate_5']:.1%} of its {check['incidents']:,} incidents (PAI "
                f"{fmt(check['pai_5'])}; flagging cells at random would give PAI 1)."
            )
        )
    curves = dict(detail.get("backtest_curves", {}))
    window = detail.get("backtest_window", {})
    if check:
        curves = {"forecast": check["curve"], **curves}
    if not curves:
        return blocks
    if window:
        pais = detail.get("backtest_pai_5", {})
        ranked = ", ".join(f"{m} {fmt(v)}" for m, v in sorted(pais.items(), key=lambda i: -i[1]))
        rounds = int(detail.get("backtest_rounds", 1))
        before = f" and the {rounds - 1} windows of that length before it" if rounds > 1 else ""
        blocks.append(
            Para(
                f"How auto chose: each method forecast {window['forecast']} from "
                f"{window['train']}{before} (inside the training window); "
                f"{'mean ' if rounds > 1 else ''}PAI at 5 % of the area: {ranked}. The highest "
                "was used for the forecast."
            )
        )
    caption = "Capture curve: share of incidents caught against share of the area flagged"
    if window:
        caption += f" (back-test on {window['forecast']}"
        caption += "; 'forecast': the stored forecast on its own window)" if check else ")"
    blocks.append(Figure("hotspot_capture", capture_png(curves, title=""), caption))
    return blocks


def _governance(facts: CaseFacts, summary: dict[str, Any]) -> Box:
    sources = summary.get("sources", {})
    used = "; ".join(f"{name} (SHA-256 {digest[:12]}…)" for name, digest in sources.items())
    left_out = summary.get("incidents_left_out_no_coordinates_or_time", 0)
    lines = [
        Para(
            f"Data: {summary['incidents_trained_on']:,} {_types(summary)} incidents recorded "
            f"{summary['train']}, from {used or 'no named source'}"
            + (
                f"; {left_out:,} incidents without a usable place or time not counted"
                if left_out
                else ""
            )
            + " (the ingest's rejects list every row left out and why)."
        ),
        Para(
            "It ranks places, never people: nothing here says who will offend or be a victim, "
            "and it must not be used to single anyone out."
        ),
        Para(
            "Reporting bias: it learns where incidents were recorded, not where they happened; "
            "places watched or reported more look riskier, and patrols sent there record more, "
            "which feeds the next forecast."
        ),
        Para(
            "Displacement: it cannot foresee crime moving elsewhere because patrols went to "
            "the flagged cells; judge a forecast against the weeks after, not the patrolled "
            "cells alone."
        ),
    ]
    if summary.get("monthly"):
        lines.append(
            Para(
                "The incidents carry months, not times: near-repeat effects (days) cannot be "
                "learnt, and a month-ahead forecast is mostly where crime has been."
            )
        )
    if facts.hotspots.get("overlay") is not None:
        lines.append(
            Para(
                "Phone activity on the map is where the towers the phones used stand, not where "
                "the phones were: a tower serves an area kilometres across."
            )
        )
    return Box("note", "What this forecast can and cannot say", tuple(lines))


def hotspots_section(facts: CaseFacts) -> Section | None:
    """The section, or None when no forecast is stored."""
    spots = facts.hotspots
    if not spots:
        return None
    summary, cells, grid = spots["summary"], spots["cells"], spots["grid"]
    flagged = max(1, round(0.05 * len(cells)))
    blocks: list[Block] = [
        Para(
            f"Where {_types(summary)} incidents are most likely in {summary['forecast']}, "
            f"learnt from the incidents recorded {summary['train']} on a grid of "
            f"{fmt(grid.cell_m)} m cells."
        ),
        Stats(
            (
                ("forecast window", str(summary["forecast"])),
                ("incidents learnt from", f"{summary['incidents_trained_on']:,}"),
                ("method", _method(summary)),
                ("cells in the study area", f"{summary['area_cells']:,}"),
                ("flagged: 5 % of the area", f"{flagged:,} cells"),
            )
        ),
    ]
    caption = (
        f"The riskiest 5 % of the study area ({flagged:,} cells of {fmt(grid.cell_m)} m), "
        "darker = more incidents expected; the ten riskiest numbered; grey = where incidents "
        "are recorded."
    )
    if spots.get("overlay") is not None:
        caption += f" Circles: cells where the phones of {spots['overlay_label']} made calls."
    blocks.append(
        Figure(
            "hotspot_map",
            hotspot_map_svg(
                cells, grid, overlay=spots.get("overlay"), overlay_label=spots["overlay_label"]
            ),
            caption,
            kind="svg",
        )
    )
    top_cells = cells.head(TOP_ROWS)
    # the place column only where the incidents carry place names (police.uk street names)
    has_place = bool(top_cells["place"].map(lambda p: isinstance(p, str)).any())
    rows = tuple(
        (
            int(r.rank),
            *((r.place if isinstance(r.place, str) else "–",) if has_place else ()),
            f"{r.lat:.5f}",
            f"{r.lon:.5f}",
            fmt(r.expected_incidents),
            int(r.train_incidents),
        )
        for r in top_cells.itertuples(index=False)
    )
    head = ("rank", *(("place",) if has_place else ()), "latitude", "longitude")
    blocks.append(
        Table(
            (*head, "expected incidents", "in training"),
            rows,
            caption=f"The {TOP_ROWS} riskiest cells (all {len(cells):,}: "
            "`graphkit hotspots ... --geojson FILE` for QGIS, `--kml FILE` for Google Earth)",
        )
    )
    blocks += _curve(summary)
    blocks.append(_governance(facts, summary))
    return Section("hotspots", "Where next: hotspot forecast", tuple(blocks))
