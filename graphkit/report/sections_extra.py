"""Report sections on activity (heatmaps, timelines), hypotheses, and methods/provenance."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from graphkit.report import figures
from graphkit.report.blocks import Block, Box, Figure, Para, Section, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.text import evidence_text, fmt, label_of, short_label

__all__ = ["activity_section", "hypotheses_section", "methods_section"]

MAX_TIMELINE_ROWS = 24
MAX_HYPOTHESIS_ROWS = 25


def _names(facts: CaseFacts) -> dict[str, str]:
    if facts.actors.empty:
        return {}
    out = {str(r["actor_id"]): label_of(r) for _, r in facts.actors.iterrows()}
    for _, r in facts.actors.iterrows():
        for p in r["phones"] if r["phones"] is not None else []:
            if p != r["actor_id"]:
                out.setdefault(str(p), f"{p} ({short_label(r)})")
    return out


def _heatmaps(facts: CaseFacts) -> Figure:
    grids = [("all actors", figures.hour_of_week(facts.activity, facts.activity["actor_id"]))]
    if not facts.communities.empty and not facts.actors.empty:
        for c in facts.communities.sort_values("size", ascending=False)["community"].head(5):
            members = facts.actors.loc[facts.actors["community"] == c, "actor_id"]
            grids.append((f"community {c}", figures.hour_of_week(facts.activity, members)))
    return Figure(
        "heatmaps",
        figures.heatmaps_png(grids),
        "Hour-of-week activity (calls and "
        "texts, both ends, UTC): rows Monday to Sunday, columns hours; darker = busier.",
    )


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
                arrows.append((old, new, t0, t1, f"hand-off? {r.score:.2f}"))
    if not facts.blackouts.empty:
        for r in facts.blackouts.head(8).itertuples():
            members = list(r.members) if r.members is not None else [r.id]
            for m in members[:6]:
                k = key(str(m), r.kind == "phone")
                spans.append((k, r.start, r.end, f"q={r.q_value:.2g}"))
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
        "number to a new one (a hypothesis, with its score).",
    )


def activity_section(facts: CaseFacts) -> Section:
    """Hour-of-week heatmaps, the timeline of blackouts and hand-offs, the blackout table."""
    if not facts.has("activity"):
        return Section(
            "activity",
            "Activity, blackouts and hand-offs",
            (Para("No activity pictures: " + facts.missing["activity"] + "."),),
        )
    names = _names(facts)
    blocks: list[Block] = [
        Para(
            "When people are active tells routines apart: office hours, nights, weekends. "
            "A blackout is a silence that the actor's own rhythm makes very unlikely "
            "(q-value after false-discovery control); a group blackout is several members of "
            "a community silent together. A silence is a finding, not its cause: phones get "
            "lost and records go missing."
        ),
        _heatmaps(facts),
    ]
    timeline = _timeline(facts, names)
    if timeline is not None:
        blocks.append(timeline)
    if facts.has("blackouts") and not facts.blackouts.empty:
        b = facts.blackouts.head(MAX_HYPOTHESIS_ROWS)
        blocks.append(
            Table(
                ("kind", "who", "from", "to", "hours", "expected events", "q-value", "came back"),
                tuple(
                    (
                        r.kind,
                        f"{r.id}: {len(r.members)} members"
                        if r.kind == "group"
                        else names.get(str(r.id), str(r.id)),
                        f"{r.start:%d %b %H:%M}",
                        f"{r.end:%d %b %H:%M}",
                        fmt(r.duration_h),
                        fmt(r.expected_events),
                        fmt(r.q_value, 2),
                        "yes" if r.ended else "no",
                    )
                    for r in b.itertuples()
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


def _hyp_table(frame: pd.DataFrame, names: dict[str, str], a: str, b: str) -> Table:
    rows = tuple(
        (
            str(r.review_id),
            names.get(str(r.src), str(r.src)),
            names.get(str(r.dst), str(r.dst)),
            fmt(r.score, 3),
            fmt(r.threshold, 2),
            r.status,
            r.model_version,
            evidence_text(r.evidence),
        )
        for r in frame.head(MAX_HYPOTHESIS_ROWS).itertuples()
    )
    return Table(
        ("review id", a, b, "score", "threshold", "status", "model", "evidence"),
        rows,
        f"{min(len(frame), MAX_HYPOTHESIS_ROWS)} of {len(frame)}, best score first",
        mono=("review id",),
    )


def _status_counts(frame: pd.DataFrame) -> str:
    counts = frame["status"].value_counts()
    return ", ".join(f"{n} {s}" for s, n in counts.items())


def hypotheses_section(facts: CaseFacts) -> Section:
    """Hand-offs, predicted links and the review queue, framed as hypotheses."""
    names = _names(facts)
    build_stage = facts.stages.get("build", {})
    build = build_stage.get("summary", {})
    confirmed = int(build.get("confirmed_same_user_as", 0) or 0)
    conflicts = int(build.get("handoff_conflicts", 0) or 0)
    ignored = build_stage.get("settings", {}).get("confirmed_handoffs") == "ignored"
    if ignored:
        used = (
            "The actor graph was built without confirmed hand-offs "
            "(`graphkit build --no-confirmed-handoffs`); "
        )
    elif confirmed:
        used = f"The actor graph used {confirmed} confirmed hand-off(s)" + (
            f", {conflicts} of whose groups join numbers of several persons (each number "
            "kept its person: a merge entity resolution may have missed); "
            if conflicts
            else "; "
        )
    else:
        used = "The actor graph used no hand-off hypotheses; "
    blocks: list[Block] = [
        Para(
            "Everything in this section is model output: a suggestion with a score and the "
            "evidence behind it, not an observed fact. It changes status only when a reviewer "
            "confirms or rejects it (`graphkit review --accept ID` / `--reject ID`, with the "
            "review ids below). " + used + "unconfirmed hypotheses never enter the analytics."
        )
    ]
    if not facts.handoffs.empty:
        blocks.append(
            Box(
                "hypothesis",
                "Hand-offs: SAME_USER_AS (old number → new number)",
                (
                    Para(
                        "A number that stopped and a number that started soon after, with the same "
                        f"contacts, cells or handset. Status: {_status_counts(facts.handoffs)}."
                    ),
                    _hyp_table(facts.handoffs, names, "old number", "new number"),
                ),
            )
        )
    else:
        blocks.append(
            Para("Hand-offs: " + facts.missing.get("handoffs", "none suggested") + ".", muted=True)
        )
    if not facts.predicted.empty:
        blocks.append(
            Box(
                "hypothesis",
                "Predicted links: PREDICTED_LINK (not observed)",
                (
                    Para(
                        "Pairs the link-prediction model scores as likely tied although no tie was "
                        f"recorded. Status: {_status_counts(facts.predicted)}."
                    ),
                    _hyp_table(facts.predicted, names, "actor", "actor"),
                ),
            )
        )
    else:
        blocks.append(
            Para("Predicted links: " + facts.missing.get("predicted", "none") + ".", muted=True)
        )
    if not facts.review.empty:
        q = facts.review.head(MAX_HYPOTHESIS_ROWS)
        blocks.append(
            Box(
                "hypothesis",
                "Entity resolution: pairs waiting for review",
                (
                    Para(
                        "Record pairs whose match probability lies in the review band; each "
                        "decision is logged and honoured by later runs. Status: "
                        f"{_status_counts(facts.review)}."
                    ),
                    Table(
                        ("review id", "status", "match probability", "record", "record"),
                        tuple(
                            (r.review_id, r.status, fmt(r.match_probability, 3), r.id_l, r.id_r)
                            for r in q.itertuples()
                        ),
                        f"{len(q)} of {len(facts.review)}",
                        mono=("review id",),
                    ),
                ),
            )
        )
    return Section("hypotheses", "Hypotheses (model output, for review)", tuple(blocks))


def _settings_text(settings: dict[str, Any]) -> str:
    keep = {k: v for k, v in settings.items() if not isinstance(v, dict | list) or k == "only"}
    return json.dumps(keep, sort_keys=True, default=str)[:400]


LIMITATIONS = (
    "Records can be wrong, incomplete or late; everything here is only as good as the sources "
    "listed in the summary.",
    "Communities, ranks and roles are statistical descriptions of who talks to whom, not "
    "proof of membership, rank or role; several seeded runs and a significance test guard "
    "against chance structure, not against missing data.",
    "Direction-based hierarchy assumes that initiating contact signals seniority; "
    "organisations where juniors report upwards by phone invert it.",
    "Hypotheses (hand-offs, predicted links, uncertain record matches) stay hypotheses until "
    "a reviewer decides; their scores are not probabilities of guilt.",
    "Times are UTC; an actor's rhythm in local time may differ.",
)


_RANKING_NOUN = {"leaders": ("leader", "leadership"), "brokers": ("broker", "betweenness")}


def _sensitivity_blocks(facts: CaseFacts) -> list[Block]:
    info = facts.sensitivity_info
    th, k = info["thresholds"], int(info["top_k"])
    names = _names(facts)
    variants = [v for v in ("loose", "strict") if v in th]
    blocks: list[Block] = [
        Para(
            f"Rankings under other entity-resolution thresholds: persons were formed at match "
            f"probability {th['base']:g}; `graphkit analyze` re-ran resolution, build and "
            "analysis at "
            + " and ".join(f"{th[v]:g} ({v})" for v in variants)
            + ". An actor who drops out of a top list depends on how records were matched: "
            "check the resolution of their records before relying on the rank."
        )
    ]
    for ranking, (noun, measure) in _RANKING_NOUN.items():
        t = facts.sensitivity[facts.sensitivity["ranking"] == ranking]
        if t.empty:
            continue
        agree = info["agreement"].get(ranking, {})
        kept = int(t["survives"].sum())
        blocks.append(
            Para(
                f"{noun.capitalize()}s (by {measure}): {kept} of the top {len(t)} stay in the "
                f"top {k} under every threshold; "
                + "; ".join(
                    f"{v}: top-{k} overlap {agree[v]['jaccard_top_k']:.2f}, Kendall tau "
                    f"{agree[v]['kendall_tau']:.2f}"
                    for v in variants
                    if v in agree
                )
                + "."
            )
        )
        rows = tuple(
            (
                names.get(str(r["actor_id"]), str(r["actor_id"])),
                int(r["rank"]),
                *(
                    fmt(int(r[f"rank_{v}"])) if pd.notna(r[f"rank_{v}"]) else f"> {k}"
                    for v in variants
                ),
                "yes" if r["survives"] else "no",
            )
            for _, r in t.iterrows()
        )
        columns = (
            noun,
            f"rank at {th['base']:g}",
            *(f"rank at {th[v]:g} ({v})" for v in variants),
            f"stays in top {k}",
        )
        blocks.append(Table(columns, rows, f"Sensitivity of the {noun} ranking"))
    return blocks


def methods_section(facts: CaseFacts, *, seed: int) -> Section:
    """Manifest hash, stages and settings, models, versions, sensitivity, limitations."""
    blocks: list[Block] = [
        Para(
            f"Manifest SHA-256 {facts.manifest_sha256}: the case state this report was made from. "
            f"The network layout used seed {seed}. Settings, seeds and thresholds of every stage "
            "are below as recorded in the manifest."
        )
    ]
    stages = tuple(
        (
            name,
            s.get("ran_at", ""),
            s.get("graphkit_version", ""),
            _settings_text(s.get("settings", {})),
        )
        for name, s in sorted(facts.stages.items())
    )
    blocks.append(Table(("stage", "ran at", "version", "settings"), stages, "Stages run"))
    if facts.models:
        blocks.append(
            Table(
                ("model", "file", "SHA-256"),
                tuple(
                    (k, v.get("path", ""), v.get("sha256", ""))
                    for k, v in sorted(facts.models.items())
                ),
                "Models saved with the case",
                mono=("SHA-256",),
            )
        )
    blocks.append(Table(("software", "version"), tuple(sorted(facts.versions.items())), "Versions"))
    if facts.sensitivity_info:
        blocks += _sensitivity_blocks(facts)
    else:
        blocks.append(
            Para(
                "Sensitivity of the leader and broker rankings to entity-resolution "
                "thresholds: "
                + facts.missing.get("sensitivity", "not available")
                + "; the rankings above hold for the threshold recorded under `resolve`.",
                muted=True,
            )
        )
    missing = [f"{part}: {why}" for part, why in sorted(facts.missing.items())]
    blocks.append(
        Box(
            "note",
            "Limitations",
            tuple(
                Para(x)
                for x in (
                    *LIMITATIONS,
                    *(
                        ["Parts not available in this case: " + "; ".join(missing) + "."]
                        if missing
                        else []
                    ),
                )
            ),
        )
    )
    return Section("methods", "Methods and provenance", tuple(blocks))
