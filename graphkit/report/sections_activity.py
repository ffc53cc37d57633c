"""Report section on activity: hour-of-week heatmaps, a timeline, the blackouts table."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from graphkit.analytics.organisation import organisation
from graphkit.report import figures, figures_maps
from graphkit.report.blocks import Block, Figure, Para, Section, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.sections_hypotheses import MAX_HYPOTHESIS_ROWS
from graphkit.report.text import display_names, fmt
from graphkit.signals.wording import came_back, handoff_reference, with_handoff_reviews

__all__ = ["activity_section"]

MAX_TIMELINE_ROWS = 24


def _heatmaps(facts: CaseFacts) -> list[Figure]:
    """The case's rhythm and that of the communities the report reads first (the most
    organised, as the community cards are ordered), then the same communities against the
    case's rhythm, which is where they differ."""
    everyone = figures.hour_of_week(facts.activity, facts.activity["actor_id"])
    grids = []
    if not facts.communities.empty and not facts.actors.empty:
        ranked = organisation(facts.communities, facts.actors, facts.blackouts, facts.handoffs)
        for c in ranked["community"].head(5):
            members = facts.actors.loc[facts.actors["community"] == c, "actor_id"]
            grids.append((f"community {c}", figures.hour_of_week(facts.activity, members)))
    shown = [
        Figure(
            "heatmaps",
            figures.heatmaps_png([("all actors", everyone), *grids]),
            "Hour-of-week activity (calls and texts, both ends, UTC): rows Monday to Sunday, "
            "columns hours; each cell the share of that group's records, one colour scale for "
            "all. Communities in the order of the community cards (most organised first).",
        )
    ]
    if grids:
        shown.append(
            Figure(
                "heatmaps_relative",
                figures.heatmaps_png(grids, relative_to=everyone),
                "The same communities against the whole case: each cell the community's share "
                "of its records in that hour minus the case's share, red where it is busier "
                "than everyone, blue where quieter. Similar rhythms show as pale panels.",
            )
        )
    return shown


def _wheels(facts: CaseFacts) -> list[Block]:
    """Time wheels of the top actors by leadership score, by name, in the case's local
    time."""
    if not facts.wheels:
        return []
    zone = facts.wheels[0].timezone
    grids = []
    lines = []
    for w in facts.wheels:
        who = w.name if w.name == w.subject else f"{w.name} ({', '.join(w.phones[:2])})"
        grids.append((who, w.matrix))
        s = w.summary()
        lines.append(
            f"{who}: {s['events']:,} records, busiest {s['peak']}, "
            f"{s['night_share']:.0%} at night (00-06h), {s['weekend_share']:.0%} at weekends"
        )
    return [
        Figure(
            "leader_wheels",
            figures.heatmaps_png(grids, zone=zone),
            f"Time wheels of the {len(grids)} actors ranked highest by leadership score (records "
            f"with one of their phones at either end, {zone}): rows Monday to Sunday, columns "
            "hours. "
            "`graphkit show CASE activity` lists every actor's.",
        ),
        Para("; ".join(lines) + "."),
        *_trails(facts),
    ]


def _trails(facts: CaseFacts) -> list[Block]:
    """The map of the first leaders' trails over the towers, and what each trail holds."""
    if not facts.trails:
        return []
    drawn = []
    lines = []
    for t in facts.trails:
        a = t.actor
        label = f"{a.name} ({', '.join(a.phones[:2])})" if a.named else a.name
        drawn.append((label, t.stops))
        s = t.summary()
        line = (
            f"{label}: {s['records_placed']:,} records at {s['towers']} towers in "
            f"{s['stops']:,} stops, most at {s['most_used_tower']} ({s['most_used_records']:,})"
        )
        if t.unplaced:
            line += f"; {t.unplaced:,} on cells without a tower position"
        lines.append(line)
    return [
        Figure(
            "leader_trails",
            figures_maps.trails_map_svg(facts.towers, drawn),
            f"Where the phones of the {len(drawn)} actors ranked highest by leadership score made "
            "calls: the towers "
            "they used (grey: every tower, a tick towards its sector), joined in time order, "
            "circles sized by records. A tower serves an area up to kilometres across: this "
            "shows masts, not streets. `graphkit map CASE --actor NAME --kml FILE` for Google "
            "Earth.",
            kind="svg",
        ),
        Para("; ".join(lines) + "."),
    ]


def _timeline(facts: CaseFacts, names: dict[str, str]) -> Figure | None:
    actor_ids = set(facts.actors["actor_id"]) if not facts.actors.empty else set()
    daily = facts.daily.assign(key=facts.daily["level"] + ":" + facts.daily["entity"].astype(str))
    rows: list[tuple[str, str]] = []
    spans: list[tuple[str, Any, Any, str]] = []
    arrows: list[tuple[str, str, Any, Any, str]] = []

    def key(entity: str, phone: bool) -> str:
        k = ("phone:" if phone or entity not in actor_ids else "actor:") + entity
        if k not in {r[0] for r in rows} and len(rows) < MAX_TIMELINE_ROWS:
            rows.append((k, names.get(entity, entity)))
        return k

    if not facts.handoffs.empty:
        for r in facts.handoffs.head(6).itertuples():
            old, new = key(str(r.src), True), key(str(r.dst), True)
            d_old, d_new = daily[daily["key"] == old], daily[daily["key"] == new]
            if len(d_old) and len(d_new):
                t0 = pd.Timestamp(d_old["day"].max()) + pd.Timedelta(hours=12)
                t1 = pd.Timestamp(d_new["day"].min()) + pd.Timedelta(hours=12)
                arrows.append((old, new, t0, t1, f"hand-off? {fmt(float(r.score))}"))
    if not facts.blackouts.empty:
        for r in facts.blackouts.head(8).itertuples():
            members = list(r.members) if r.members is not None else [r.id]
            for m in members[:6]:
                k = key(str(m), r.kind == "phone")
                spans.append((k, r.start, r.end, f"q={fmt(float(r.q_value))}"))
    if not rows:
        return None
    png = figures.timeline_png(
        rows, daily.drop(columns="entity").rename(columns={"key": "entity"}), spans, arrows
    )
    return Figure(
        "timeline",
        png,
        "Daily activity per number or actor (bars, scaled per row); "
        "red shading = blackout found; purple arrow = suggested hand-off from an old "
        "number to a new one (a hypothesis, with its score). An actor's blackout across "
        "numbers a hand-off joined rests on that hand-off: the blackout table names it.",
    )


def _reviewed_evidence(rows: pd.DataFrame, facts: CaseFacts) -> list[dict[str, Any]]:
    """Each blackout row's evidence, its hand-offs with their review id, status and score as
    stored now (:func:`graphkit.signals.wording.with_handoff_reviews`)."""
    reviews: dict[tuple[str, str], dict[str, Any]] = {}
    if facts.has("handoffs") and not facts.handoffs.empty:
        for h in facts.handoffs.itertuples():
            reviews[(str(h.src), str(h.dst))] = {
                "id": h.review_id,
                "status": h.status,
                "decided_by": h.decided_by if isinstance(h.decided_by, str) else None,
                "score": float(h.score),
            }
    out = []
    for value in rows["evidence"]:
        evidence = json.loads(value) if isinstance(value, str) else value
        out.append(with_handoff_reviews(evidence or {}, reviews))
    return out


def _who(r: Any, evidence: dict[str, Any], names: dict[str, str]) -> str:
    """Who a blackout row is about; for an actor or group whose numbers were joined by
    hand-offs, which ones, each confirmed or a hypothesis with its id and score."""
    who = (
        f"{r.id}: {len(r.members)} members"
        if r.kind == "group"
        else names.get(str(r.id), str(r.id))
    )
    joins = [h for h in evidence.get("handoffs") or [] if isinstance(h, dict)]
    if r.kind != "phone" and joins:
        who += "; numbers joined by hand-off " + "; ".join(handoff_reference(h) for h in joins)
    return who


def _came_back(r: Any, evidence: dict[str, Any], names: dict[str, str]) -> str:
    """The "came back" cell: yes, no, or for a phone whose silence a hand-off explains, where
    its user moved, confirmed or as a hypothesis with its id and score
    (:func:`graphkit.signals.wording.came_back`), the new number's user by name."""
    moved = evidence.get("explained_by_handoff")
    new = str(moved.get("new")) if isinstance(moved, dict) else ""
    label = names.get(new, new)  # "name (phone)" or "phone (name)" for a named actor's phone
    who = None
    if new and label.startswith(f"{new} ("):
        who = label[len(new) + 2 : -1]
    elif new and label.endswith(f" ({new})"):
        who = label[: -len(new) - 3]
    return came_back({"ended": bool(r.ended), "evidence": evidence}, new_user=who)


def activity_section(facts: CaseFacts) -> Section:
    """Hour-of-week heatmaps, the timeline of blackouts and hand-offs, the blackout table."""
    if not facts.has("activity"):
        return Section(
            "activity",
            "Activity, blackouts and hand-offs",
            (Para("No activity pictures: " + facts.missing["activity"] + "."),),
        )
    names = display_names(facts)
    blocks: list[Block] = [
        Para(
            "When people are active tells routines apart: office hours, nights, weekends. "
            "A blackout is a silence that the actor's own rhythm makes very unlikely "
            "(q-value after false-discovery control); a group blackout is several members of "
            "a community silent together. A silence is a finding, not its cause: phones get "
            "lost and records go missing."
        ),
        *_heatmaps(facts),
        *_wheels(facts),
    ]
    timeline = _timeline(facts, names)
    if timeline is not None:
        blocks.append(timeline)
    if facts.has("blackouts") and not facts.blackouts.empty:
        b = facts.blackouts.head(MAX_HYPOTHESIS_ROWS)
        blocks.append(
            Para(
                "A number that stopped because its user moved to a new one is not a silent "
                'person: "came back" says "moved to" when a reviewer confirmed the '
                'hand-off, "likely moved to" with the hand-off\'s review id and score while '
                "nobody has. Actors and groups whose numbers were joined through a hand-off "
                "name it, with its status: their silence rests on it."
            )
        )
        blocks.append(
            Table(
                ("kind", "who", "from", "to", "hours", "expected events", "q-value", "came back"),
                tuple(
                    (
                        r.kind,
                        _who(r, ev, names),
                        f"{r.start:%d %b %H:%M}",
                        f"{r.end:%d %b %H:%M}",
                        fmt(r.duration_h),
                        fmt(r.expected_events),
                        fmt(r.q_value),
                        _came_back(r, ev, names),
                    )
                    for r, ev in zip(b.itertuples(), _reviewed_evidence(b, facts), strict=True)
                ),
                f"Blackouts ({len(b)} of {len(facts.blackouts)}, most significant first)",
            )
        )
    elif not facts.has("blackouts"):
        blocks.append(
            Para(
                "Blackouts: "
                + facts.missing["blackouts"]
                + " (`graphkit analyze --only blackouts`).",
                muted=True,
            )
        )
    return Section("activity", "Activity, blackouts and hand-offs", tuple(blocks))
